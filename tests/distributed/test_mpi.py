"""The engine on 2 MPI ranks (mpiexec in a subprocess) against the one-process engine."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scipy.sparse as sp
from tests.distributed.conftest import MPI_ENVIRONMENT, Run

from kuzbass.economy import canonical
from kuzbass.economy.generate import generate
from kuzbass.economy.model import Economy
from kuzbass.linalg import NotProductiveError
from kuzbass.planning.balances import gross_output, labour_values

GROUP = 4000
"""Rows per Parquet row group in these tests: 3,000 products × 5 inputs make 4 row groups of
inputs and one of labour, so that each of 2 ranks reads a share."""


@pytest.fixture(scope="module")
def economy() -> Economy:
    return generate(3000, 5, seed=7)


@pytest.fixture(scope="module")
def parquet(economy: Economy, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parquet") / "economy"
    with mock.patch.object(canonical, "ROW_GROUP", GROUP):
        economy.write(folder, "parquet")
    assert pq.ParquetFile(folder / "inputs.parquet").num_row_groups >= 4
    return folder


def close(ours: pd.Series, expected: pd.Series) -> None:
    assert ours.index.tolist() == expected.index.astype(str).tolist()
    error = np.abs(ours.to_numpy() - expected.to_numpy()).max()
    assert error <= 1e-9 * np.abs(expected.to_numpy()).max()


def test_labour_values_on_two_ranks_equal_the_one_process_engine(
    economy: Economy, parquet: Path, on_ranks: Run, tmp_path: Path
) -> None:
    out = tmp_path / "values.csv"
    result = on_ranks("values", str(parquet), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "on 2 MPI ranks" in result.stderr
    ours = pd.read_csv(out, index_col="product")["value"]
    close(ours, labour_values(economy))


def test_gross_output_from_a_csv_folder_on_two_ranks(
    economy: Economy, on_ranks: Run, tmp_path: Path
) -> None:
    economy.write(tmp_path / "csv", "csv")
    demand = pd.Series(np.linspace(0, 3, 3000), index=economy.products, name="quantity")
    demand.rename_axis("product").reset_index().to_csv(tmp_path / "demand.csv", index=False)
    out = tmp_path / "output.csv"
    result = on_ranks("output", "csv", "--demand", "demand.csv", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "(transposed) on 2 MPI ranks" in result.stderr
    ours = pd.read_csv(out, index_col="product")["quantity"]
    close(ours, gross_output(economy, demand))


def test_check_on_two_ranks_reports_the_spectral_radius(
    economy: Economy, parquet: Path, on_ranks: Run
) -> None:
    result = on_ranks("check", str(parquet))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{economy.check()}\nchecked on 2 MPI ranks"


def test_a_self_consuming_cycle_is_named_on_two_ranks(
    economy: Economy, on_ranks: Run, tmp_path: Path
) -> None:
    a = sp.lil_array(economy.input_coefficients)
    pair = [10, 2900]  # made only of each other, and used by nobody else
    a[pair, :] = 0
    a[:, pair] = 0
    a[10, 2900] = 1.2  # together they use up more of each other than they make
    a[2900, 10] = 1.0
    bad = Economy(**{**economy.__dict__, "input_coefficients": sp.csc_array(a)})
    with mock.patch.object(canonical, "ROW_GROUP", GROUP):
        bad.write(tmp_path / "bad", "parquet")
    with pytest.raises(NotProductiveError) as expected:
        bad.check()
    assert sorted(expected.value.cycle) == ["p0010", "p2900"]
    for command in (["check", "bad"], ["values", "bad", "--out", "x.csv"]):
        result = on_ranks(*command)
        assert result.returncode == 2  # bad input, as on one process
        assert "the technology is not productive" in result.stderr
        assert "'p0010', 'p2900'" in result.stderr or "'p2900', 'p0010'" in result.stderr
    assert not (tmp_path / "x.csv").exists()


def test_a_bad_row_in_the_second_share_stops_both_ranks(
    parquet: Path, on_ranks: Run, tmp_path: Path
) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    for file in parquet.iterdir():
        (folder / file.name).write_bytes(file.read_bytes())
    inputs = pq.read_table(parquet / "inputs.parquet")
    quantity = inputs.column("quantity").to_numpy().copy()
    row = 3 * GROUP + 17  # in the fourth row group: the second rank's share
    quantity[row] = -1.0
    inputs = inputs.set_column(2, "quantity", pa.array(quantity))
    pq.write_table(inputs, folder / "inputs.parquet", row_group_size=GROUP)
    result = on_ranks("values", "broken", "--out", "values.csv")
    assert result.returncode == 2  # bad input, as on one process
    message = rf"inputs\.parquet row {row + 1}: .*quantity is -1\.0: must not be negative"
    assert len(re.findall(message, result.stderr)) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.glob("*values.csv*")) == []


def test_a_rank_out_of_memory_stops_every_rank_naming_it(tmp_path: Path) -> None:
    script = (
        "from kuzbass.distributed.ranks import Ranks\n"
        "ranks = Ranks()\n"
        "def step():\n"
        "    if ranks.rank == 1:\n"
        "        raise MemoryError\n"
        "ranks.agree(step, 'reading its share')\n"
    )
    environment = {**os.environ, **MPI_ENVIRONMENT}
    result = subprocess.run(
        ["mpiexec", "-n", "2", sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert result.returncode != 0
    assert result.stderr.count("rank 1 of 2 ran out of memory while reading its share") == 1


def test_without_mpiexec_the_commands_never_import_mpi(parquet: Path, tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from kuzbass.cli import app\n"
        f"result = CliRunner().invoke(app, ['values', {str(parquet)!r}])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in ('mpi4py', 'petsc4py', 'slepc4py') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]"


def test_no_rank_reads_a_whole_table_of_names(parquet: Path, tmp_path: Path) -> None:
    folder = tmp_path / "small-groups"
    folder.mkdir()
    for file in parquet.iterdir():
        (folder / file.name).write_bytes(file.read_bytes())
    for stem in ("products", "techniques"):  # 6 row groups each, so a rank reads 3 of them
        table = pq.read_table(parquet / f"{stem}.parquet")
        pq.write_table(table, folder / f"{stem}.parquet", row_group_size=500)
    script = (
        "import json\n"
        "from pathlib import Path\n"
        "from kuzbass.distributed.ranks import Ranks\n"
        "from kuzbass.distributed.rows import read_rows\n"
        "ranks = Ranks()\n"
        f"rows = read_rows(ranks, Path({str(folder)!r}), 'parquet', None)\n"
        "reads = ranks.comm.gather([rows.read, rows.owned(ranks.rank).stop])\n"
        "if ranks.root:\n"
        "    print(json.dumps(reads))\n"
    )
    environment = {**os.environ, **MPI_ENVIRONMENT}
    result = subprocess.run(
        ["mpiexec", "-n", "2", sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=True,
    )
    reads = json.loads(result.stdout)
    inputs = pq.ParquetFile(folder / "inputs.parquet").metadata.num_rows
    assert [read["products"] for read, _ in reads] == [1500, 1500]
    assert [read["techniques"] for read, _ in reads] == [1500, 1500]
    assert sum(read["inputs"] for read, _ in reads) == inputs
    assert all(read["inputs"] < inputs for read, _ in reads)
    assert reads[-1][1] == 3000


@pytest.fixture(scope="module")
def two_makers(economy: Economy) -> Economy:
    """The economy with a second technique for product p0005, which uses more of p0006."""
    second = sp.lil_array(economy.input_coefficients[:, [5]])
    second[6, 0] = second[6, 0] + 0.05
    return Economy(
        **{
            **economy.__dict__,
            "techniques": economy.techniques.append(pd.Index(["t-p0005-b"])),
            "technique_product": np.append(economy.technique_product, 5),
            "technique_output": np.append(economy.technique_output, 2.0),
            "technique_capacity": np.append(economy.technique_capacity, np.inf),
            "input_coefficients": sp.csc_array(sp.hstack([economy.input_coefficients, second])),
            "resource_coefficients": sp.csc_array(
                sp.hstack([economy.resource_coefficients, economy.resource_coefficients[:, [5]]])
            ),
        }
    )


def test_the_active_technique_named_on_two_ranks(
    two_makers: Economy, on_ranks: Run, tmp_path: Path
) -> None:
    with mock.patch.object(canonical, "ROW_GROUP", GROUP):
        two_makers.write(tmp_path / "two", "parquet")
    result = on_ranks("values", "two", "--out", "x.csv")
    assert result.returncode == 2
    assert "product 'p0005' is made by several techniques (" in result.stderr
    assert "'t-p0005-b'" in result.stderr
    result = on_ranks("values", "two", "--out", "x.csv", "--active", "t-p0005-b")
    assert result.returncode == 0, result.stderr
    ours = pd.read_csv(tmp_path / "x.csv", index_col="product")["value"]
    close(ours, labour_values(two_makers, ["t-p0005-b"]))
    result = on_ranks("values", "two", "--active", "nothing")
    assert "active technique 'nothing' is not a technique of this economy" in result.stderr


def test_names_are_checked_across_ranks(parquet: Path, on_ranks: Run, tmp_path: Path) -> None:
    folder = tmp_path / "names"
    folder.mkdir()
    for file in parquet.iterdir():
        (folder / file.name).write_bytes(file.read_bytes())
    products = pq.read_table(parquet / "products.parquet")
    names = products.column("product").to_pylist()
    names[2500] = names[10]  # listed twice: the rows are read by different ranks
    pq.write_table(products.set_column(0, "product", pa.array(names)), folder / "products.parquet")
    inputs = pq.read_table(parquet / "inputs.parquet").to_pandas()
    row = 3 * GROUP + 5  # read by the second rank
    inputs["input"] = inputs["input"].astype(str)
    inputs.loc[row, "input"] = "no-such-product"
    pq.write_table(pa.Table.from_pandas(inputs), folder / "inputs.parquet", row_group_size=GROUP)
    result = on_ranks("values", "names", "--out", "x.csv")
    assert result.returncode == 2, result.stderr
    assert "products.parquet row 2501: product 'p0010' is listed twice, first at row 11" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    names[2500] = "p2500"
    pq.write_table(products.set_column(0, "product", pa.array(names)), folder / "products.parquet")
    result = on_ranks("values", "names", "--out", "x.csv")
    assert result.returncode == 2, result.stderr
    assert (
        f"inputs.parquet row {row + 1}: unknown input (neither product nor resource) "
        f"'no-such-product' in column input"
    ) in result.stderr
    assert not (tmp_path / "x.csv").exists()
