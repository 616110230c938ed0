import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

MPI_ENVIRONMENT = {
    # Open MPI refuses root and more ranks than cores unless told
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_rmaps_base_oversubscribe": "1",
}


def mpi_missing() -> str | None:
    """Why the distributed engine cannot run here, or None."""
    if shutil.which("mpiexec") is None:
        return "no mpiexec"
    try:
        import mpi4py  # noqa: F401
        import petsc4py  # noqa: F401
        import slepc4py  # noqa: F401
    except ImportError as error:
        return str(error)
    return None


@pytest.fixture(scope="session", autouse=True)
def _mpi_installed() -> None:
    """Skip where MPI is not installed, but fail under `make test`, which installs it."""
    missing = mpi_missing()
    if missing is None:
        return
    if os.environ.get("KUZBASS_REQUIRE_MPI"):
        pytest.fail(f"MPI is required (KUZBASS_REQUIRE_MPI) but: {missing}")
    pytest.skip(f"MPI not installed ({missing}): scripts/install-mpi installs it")


Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def on_ranks(tmp_path: Path) -> Run:
    """Run `kuzbass ARGS` with `mpiexec -n RANKS` (2 by default)."""

    def run(*args: str, ranks: int = 2) -> subprocess.CompletedProcess[str]:
        command = ["mpiexec", "-n", str(ranks), sys.executable, "-m", "kuzbass", *args]
        environment = {**os.environ, **MPI_ENVIRONMENT, "COLUMNS": "200"}
        if "PYTHONPATH" in environment:  # the ranks run in tmp_path: a relative path would miss
            environment["PYTHONPATH"] = os.pathsep.join(
                str(Path(entry).resolve()) for entry in environment["PYTHONPATH"].split(os.pathsep)
            )
        return subprocess.run(
            command, capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=300
        )

    return run
