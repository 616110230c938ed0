"""Issue 2, target (c): 10,000,000 products × 20 inputs from Parquet, end to end.

Runs ``kuzbass values ECONOMY --out values.csv`` in a child process — read the Parquet tables
(200 million input rows), validate them, solve the labour values to residual 1e-10 and write
them — and reports its wall time and peak memory (ru_maxrss from wait4). The economy is generated
once into FOLDER (default /tmp/kuzbass-national) and reused. Targets: ≤ 90 s, ≤ 12 GB.

    nice python benchmarks/national_parquet.py [--products N] [--folder F] [--repeats R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from kuzbass.economy.generate import generate

SOURCE = Path(__file__).resolve().parents[1] / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=10_000_000)
    parser.add_argument("--inputs", type=float, default=20)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/kuzbass-national"))
    parser.add_argument("--repeats", type=int, default=1)
    arguments = parser.parse_args()
    folder: Path = arguments.folder
    if not (folder / "inputs.parquet").exists():
        started = time.perf_counter()
        economy = generate(arguments.products, arguments.inputs, seed=1, spectral_radius=0.9)
        economy.write(folder, "parquet")
        del economy
        print(f"generated and wrote {folder} in {time.perf_counter() - started:.0f} s", flush=True)
    size = sum(p.stat().st_size for p in folder.iterdir()) / 1e9
    out = folder.parent / f"{folder.name}-values.csv"
    env = dict(os.environ, PYTHONPATH=str(SOURCE))
    runs = []
    for _ in range(arguments.repeats):
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "kuzbass", "values", str(folder), "--out", str(out)], env=env
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status):
            raise SystemExit("kuzbass values failed")
        runs.append((seconds, usage.ru_maxrss / 1e6))
    lines = sum(1 for _ in out.open()) - 1
    print(f"economy {folder} ({size:.1f} GB of Parquet); wrote {lines:,} labour values")
    print(f"{'step':<40} {'median s':>9} {'peak GB':>8} {'target':>14}")
    print(
        f"{'read + validate + solve + write':<40} {statistics.median(r[0] for r in runs):>9.1f} "
        f"{statistics.median(r[1] for r in runs):>8.2f} {'≤ 90 s, ≤ 12 GB':>14}"
    )


if __name__ == "__main__":
    main()
