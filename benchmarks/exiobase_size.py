"""Issue 2, target (b): gross output at EXIOBASE size (9,800 products, 5% dense) vs pymrio.

pymrio's route is ``IOSystem(A=A, Y=Y).calc_all()``: it inverts the dense Leontief matrix and
multiplies. kuzbass solves (I − A) x = y with its sparse solver (residual 1e-12). Each side runs
in its own child process, so that its peak memory (VmHWM of that process) is its own; the time is
that of the computation alone, measured inside the child. Medians over the repeats (pymrio
takes minutes, so by default it runs once).

    nice python benchmarks/exiobase_size.py [--products 9800] [--density 0.05] [--repeats 3]
                                            [--peer-repeats 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from kuzbass.economy.generate import generate

PYMRIO = """
import sys, time, numpy as np, pandas as pd, scipy.sparse as sp, pymrio
folder = sys.argv[1]
a = sp.load_npz(folder + "/A.npz").toarray()
y = np.load(folder + "/y.npy")
names = [f"p{i}" for i in range(len(y))]
A = pd.DataFrame(a, index=names, columns=names)
del a
Y = pd.DataFrame({"demand": y}, index=names)
started = time.perf_counter()
io = pymrio.IOSystem(A=A, Y=Y)
io.calc_all()
seconds = time.perf_counter() - started
np.save(folder + "/x_pymrio.npy", io.x.to_numpy().ravel())
print(seconds, PEAK())
"""

KUZBASS = """
import sys, time, numpy as np, scipy.sparse as sp
from kuzbass.linalg import solve_leontief
folder = sys.argv[1]
a = sp.load_npz(folder + "/A.npz").tocsr()
y = np.load(folder + "/y.npy")
started = time.perf_counter()
x, report = solve_leontief(a, y, tolerance=1e-12)
seconds = time.perf_counter() - started
np.save(folder + "/x_kuzbass.npy", x)
print(seconds, PEAK())
"""

PEAK = """
def PEAK():
    # VmHWM is this process image's own peak; ru_maxrss would include the parent it forked from
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1e6
"""


def child(code: str, folder: str) -> tuple[float, float]:
    """Run ``code`` in a fresh interpreter; (its own seconds, its peak RSS in GB)."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    process = subprocess.Popen(
        [sys.executable, "-c", PEAK + code, folder], stdout=subprocess.PIPE, env=env, text=True
    )
    output, _ = process.communicate()
    if process.returncode:
        raise SystemExit(f"child failed with {process.returncode}")
    seconds, peak = output.strip().splitlines()[-1].split()
    return float(seconds), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=9800)
    parser.add_argument("--density", type=float, default=0.05)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer-repeats", type=int, default=1, help="pymrio takes minutes")
    arguments = parser.parse_args()
    started = time.perf_counter()
    wanted = arguments.products**2 * arguments.density
    draws = arguments.products * arguments.density
    economy = generate(arguments.products, draws, seed=1)
    # repeated draws of one input merge, so draw more until the density is the one asked for
    for _ in range(3):
        draws *= wanted / economy.input_coefficients.nnz
        economy = generate(arguments.products, draws, seed=1)
    print(
        f"generated {economy.n_products:,} products, {economy.input_coefficients.nnz:,} "
        f"coefficients ({economy.input_coefficients.nnz / economy.n_products**2:.1%} dense) "
        f"in {time.perf_counter() - started:.0f} s"
    )
    with tempfile.TemporaryDirectory() as folder:
        sp.save_npz(f"{folder}/A.npz", sp.csc_array(economy.input_coefficients))
        demand = np.zeros(economy.n_products)
        assert economy.targets is not None
        demand[economy.products.get_indexer(economy.targets["product"])] = economy.targets[
            "quantity"
        ]
        np.save(f"{folder}/y.npy", demand)
        measured: dict[str, list[tuple[float, float]]] = {"pymrio calc_all": [], "kuzbass": []}
        for repeat in range(max(arguments.repeats, arguments.peer_repeats)):
            if repeat < arguments.peer_repeats:
                measured["pymrio calc_all"].append(child(PYMRIO, folder))
            if repeat < arguments.repeats:
                measured["kuzbass"].append(child(KUZBASS, folder))
        theirs = np.load(f"{folder}/x_pymrio.npy")
        ours = np.load(f"{folder}/x_kuzbass.npy")
    difference = float(np.abs(ours - theirs).max() / np.abs(theirs).max())
    worst = float((np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-300)).max())
    rows = {
        name: (statistics.median(t for t, _ in runs_), statistics.median(m for _, m in runs_))
        for name, runs_ in measured.items()
    }
    ours_time, ours_memory = rows["kuzbass"]
    print(f"{'method':<16} {'median s':>9} {'peak GB':>8} {'time ×':>8} {'memory ×':>9}")
    for name, (seconds, memory) in rows.items():
        print(
            f"{name:<16} {seconds:>9.3f} {memory:>8.2f} {seconds / ours_time:>8.1f} "
            f"{memory / ours_memory:>9.1f}"
        )
    print(
        json.dumps(
            {"max |x_ours − x_pymrio| / max |x_pymrio|": difference, "max elementwise rel": worst}
        )
    )


if __name__ == "__main__":
    main()
