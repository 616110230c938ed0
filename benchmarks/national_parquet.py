"""Issue 2, target (c): 10,000,000 products × 20 inputs from Parquet, end to end.

Runs ``kuzbass values ECONOMY --out values.csv`` in a child process: read the Parquet tables
(200 million input rows), validate them, solve the labour values to residual 1e-10 and write
them. Reports its wall time, the solve's own seconds (as the command prints them), the child's
CPU seconds (user + system: on a machine shared with other work, the figure that does not
depend on how much of the cores the child got) and its own peak memory (VmHWM). The economy is
generated once, in another child process, into FOLDER (default /tmp/kuzbass-national) and
reused; delete the folder after a change to the Parquet writer. Targets: ≤ 90 s, ≤ 12 GB.

    nice python benchmarks/national_parquet.py [--products N] [--folder F] [--repeats R]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src"

SHIM = """
import atexit, sys

def peak():
    # VmHWM is this process image's own peak; ru_maxrss would include the parent it forked from
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            print("peak", int(line.split()[1]) / 1e6, file=sys.stderr)

atexit.register(peak)
sys.argv = ["kuzbass", *sys.argv[1:]]
from kuzbass.cli import app
app()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=10_000_000)
    parser.add_argument("--inputs", type=float, default=20)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/kuzbass-national"))
    parser.add_argument("--repeats", type=int, default=1)
    arguments = parser.parse_args()
    folder: Path = arguments.folder
    env = dict(os.environ, PYTHONPATH=str(SOURCE))
    if not (folder / "inputs.parquet").exists():
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "kuzbass",
                "generate",
                str(folder),
                "--products",
                str(arguments.products),
                "--inputs-per-product",
                str(arguments.inputs),
                "--seed",
                "1",
                "--spectral-radius",
                "0.9",
                "--format",
                "parquet",
            ],
            env=env,
            check=True,
        )
        print(f"generated and wrote {folder} in {time.perf_counter() - started:.0f} s", flush=True)
    size = sum(p.stat().st_size for p in folder.iterdir()) / 1e9
    out = folder.parent / f"{folder.name}-values.csv"
    runs = []
    for _ in range(arguments.repeats):
        started = time.perf_counter()
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        process = subprocess.run(
            [sys.executable, "-c", SHIM, "values", str(folder), "--out", str(out)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime
        sys.stderr.write(process.stderr)
        if process.returncode:
            raise SystemExit("kuzbass values failed")
        peak = float(process.stderr.strip().splitlines()[-1].split()[1])
        # the command's report line ends with the solve's seconds
        report = re.search(r"([0-9.]+) s\s*$", process.stderr.split("peak")[0].strip())
        solve = float(report.group(1)) if report else float("nan")
        runs.append((seconds, solve, cpu, peak))
        print(
            f"run {len(runs)}: {seconds:.1f} s, solve {solve:.1f} s, cpu {cpu:.1f} s, "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    lines = sum(1 for _ in out.open()) - 1
    print(f"economy {folder} ({size:.1f} GB of Parquet); wrote {lines:,} labour values")

    def median(k: int) -> float:
        return statistics.median(r[k] for r in runs)

    print(f"{'step':<32} {'median s':>9} {'of it solve':>11} {'cpu s':>7} {'peak GB':>8} target")
    print(
        f"{'read + validate + solve + write':<32} {median(0):>9.1f} {median(1):>11.1f} "
        f"{median(2):>7.1f} {median(3):>8.2f} ≤ 90 s, ≤ 12 GB"
    )


if __name__ == "__main__":
    main()
