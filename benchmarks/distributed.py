"""Issue 12: labour values of N products × 20 inputs on 1 and 2 MPI ranks, and on one process.

For each size the economy is generated once as Parquet into FOLDER-N (default
/tmp/kuzbass-mpi-N) and reused. Each run is a child process (under ``mpiexec -n K`` for the
ranks) that times its phases: **read** (the Parquet tables, validated; for the ranks, each its
share of the input rows, moved to the rank that owns their product), **solve** (building the
matrix and solving to relative residual 1e-10) and **write** (gathering on rank 0 and writing
the CSV with one rename), with each rank's peak memory (VmHWM) and the iterations. The peer is
the one-process engine (``Economy.read``, ``labour_values``, the same CSV writer) in the same
run. Each answer is compared with the peer's (relative difference in the 2-norm and in the
max-norm) and with a reference solved on 2 ranks to relative residual 1e-14 (max-norm), which
shows whose answer a difference comes from.

``--solvers`` instead compares PETSc's Krylov solvers and preconditioners on 2 ranks (through
``PETSC_OPTIONS``), solve time and iterations.

    nice python benchmarks/distributed.py [--products 1000000 10000000] [--ranks 1 2]
    nice python benchmarks/distributed.py --solvers --products 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src"
MPI_ENVIRONMENT = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_rmaps_base_oversubscribe": "1",
}
SOLVERS = [
    ("bcgs", "bjacobi"),
    ("bcgs", "jacobi"),
    ("bcgs", "none"),
    ("gmres", "bjacobi"),
    ("gmres", "jacobi"),
    ("gmres", "none"),
    ("bcgs", "asm"),
]


def peak_gb() -> float:
    """This process's own peak resident memory (VmHWM), in GB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1e6
    return float("nan")


def one_process(folder: Path, out: Path) -> dict[str, object]:
    from kuzbass.cli.economy import write_table
    from kuzbass.economy.model import Economy
    from kuzbass.planning.balances import labour_values

    started = time.perf_counter()
    economy = Economy.read(folder)
    read = time.perf_counter()
    read_peak = peak_gb()
    values = labour_values(economy)
    solved = time.perf_counter()
    write_table(values.rename_axis("product").reset_index(), out)
    return {
        "read": read - started,
        "solve": solved - read,
        "write": time.perf_counter() - solved,
        "iterations": f"{values.attrs['iterations']} products",
        "peaks": [peak_gb()],
        "read_peaks": [read_peak],
    }


def on_ranks(folder: Path, out: Path) -> dict[str, object] | None:
    from kuzbass.cli.economy import write_tables
    from kuzbass.distributed.commands import Answer
    from kuzbass.distributed.ranks import Ranks
    from kuzbass.distributed.rows import read_rows
    from kuzbass.distributed.solve import solve, system_matrix

    ranks = Ranks()
    started = time.perf_counter()
    rows = read_rows(ranks, folder, "parquet", None)
    ranks.comm.Barrier()
    read = time.perf_counter()
    after_read = peak_gb()
    system = system_matrix(rows, ranks)
    assert rows.labour is not None
    answer, report = solve(system, rows.labour, ranks)
    system.destroy()
    ranks.comm.Barrier()
    solved = time.perf_counter()
    whole = ranks.gather(answer)
    if whole is not None:
        write_tables(Answer(whole, rows.names, "value", report).parts(), out)
    written = time.perf_counter()
    peaks = ranks.comm.gather((after_read, peak_gb()))
    if not ranks.root:
        return None
    return {
        "read": read - started,
        "solve": solved - read,
        "write": written - solved,
        "iterations": f"{report.iterations} ({report.method.split(' on ')[0]})",
        "residual": report.residual,
        "peaks": [peak for _, peak in peaks],
        "read_peaks": [peak for peak, _ in peaks],
    }


def worker(kind: str, folder: Path, out: Path) -> None:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1 if kind == "ranks" else None):
        result = one_process(folder, out) if kind == "one" else on_ranks(folder, out)
    if result is not None:
        print("RESULT " + json.dumps(result), flush=True)


def child(kind: str, folder: Path, out: Path, ranks: int, options: str = "") -> dict:
    command = [sys.executable, __file__, "--worker", kind, str(folder), str(out)]
    if kind == "ranks":
        command = ["mpiexec", "-n", str(ranks), *command]
    env = {**os.environ, **MPI_ENVIRONMENT, "PYTHONPATH": str(SOURCE), "PETSC_OPTIONS": options}
    started = time.perf_counter()
    process = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if process.returncode:
        sys.stderr.write(process.stderr)
        raise SystemExit(f"{' '.join(command)} failed")
    line = next(x for x in process.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    result["whole"] = time.perf_counter() - started
    return result


def economy(products: int, base: str) -> Path:
    folder = Path(f"{base}-{products}")
    if not (folder / "inputs.parquet").exists():
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "kuzbass", "generate", str(folder), "--products",
             str(products), "--inputs-per-product", "20", "--seed", "1", "--format", "parquet"],
            env={**os.environ, "PYTHONPATH": str(SOURCE)},
            check=True,
        )  # fmt: skip
        print(f"generated {folder} in {time.perf_counter() - started:.0f} s", flush=True)
    return folder


def differences(ours: Path, peer: Path, reference: Path) -> str:
    """Relative difference from the peer (2-norm, max-norm) and from the reference (max-norm)."""
    import numpy as np
    import pandas as pd

    a, b, c = (pd.read_csv(f)["value"].to_numpy() for f in (ours, peer, reference))
    two = np.linalg.norm(a - b) / np.linalg.norm(b)
    most = np.abs(a - b).max() / np.abs(b).max()
    return f"{two:.1e} / {most:.1e} | {np.abs(a - c).max() / np.abs(c).max():.1e}"


def compare(products: list[int], ranks: list[int], base: str) -> None:
    print("| products | engine | read s | solve s | write s | whole s | peak GB per rank |"
          " of it after the read | iterations | Δ one process (2-norm / max) |"
          " Δ reference (max) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in products:
        folder = economy(n, base)
        peer_out = folder.parent / f"{folder.name}-one.csv"
        runs = [("one process", child("one", folder, peer_out, 1), peer_out)]
        for k in ranks:
            out = folder.parent / f"{folder.name}-{k}.csv"
            label = f"{k} MPI rank" + ("s" if k > 1 else "")
            runs.append((label, child("ranks", folder, out, k), out))
        reference = folder.parent / f"{folder.name}-reference.csv"
        child("ranks", folder, reference, 2, "-ksp_rtol 1e-14")
        for label, r, out in runs:
            gap = differences(out, peer_out, reference)
            peaks = " / ".join(f"{p:.2f}" for p in r["peaks"])
            read_peaks = " / ".join(f"{p:.2f}" for p in r["read_peaks"])
            print(
                f"| {n:,} | {label} | {r['read']:.1f} | {r['solve']:.1f} | {r['write']:.1f} | "
                f"{r['whole']:.1f} | {peaks} | {read_peaks} | {r['iterations']} | {gap} |",
                flush=True,
            )
        print(f"load average after {n:,}: {os.getloadavg()}", flush=True)


def solvers(products: list[int], base: str) -> None:
    print("| products | Krylov | preconditioner | solve s | iterations |")
    print("|---|---|---|---|---|")
    for n in products:
        folder = economy(n, base)
        out = folder.parent / f"{folder.name}-solver.csv"
        for ksp, pc in SOLVERS:
            r = child("ranks", folder, out, 2, f"-ksp_type {ksp} -pc_type {pc}")
            print(f"| {n:,} | {ksp} | {pc} | {r['solve']:.2f} | {r['iterations']} |", flush=True)
    print(f"load average: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--folder", default="/tmp/kuzbass-mpi")
    parser.add_argument("--solvers", action="store_true")
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "FOLDER", "OUT"))
    arguments = parser.parse_args()
    if arguments.worker:
        kind, folder, out = arguments.worker
        worker(kind, Path(folder), Path(out))
    elif arguments.solvers:
        solvers(arguments.products, arguments.folder)
    else:
        print(f"load average before: {os.getloadavg()}", flush=True)
        compare(arguments.products, arguments.ranks, arguments.folder)


if __name__ == "__main__":
    main()
