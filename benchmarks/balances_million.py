"""Issue 2, target (a): 1,000,000 products × 20 inputs, spectral radius 0.9, residual 1e-10.

Labour values (I − Aᵀ) v = l and gross output (I − A) x = d, solved by kuzbass (threaded BiCGSTAB),
by scipy.sparse.linalg.bicgstab and by the Neumann iteration x ← A x + d, on the same CSR matrix.
Every method's relative residual ‖b − (I − M) x‖ / ‖b‖ is measured afterwards the same way;
seconds per product with the matrix (vector work included) show what the shared machine's load
did to each method in the same run.
The peers run with BLAS held to one thread, as ours does: on this shared 2-core machine
OpenBLAS's spinning threads otherwise make their vector operations many times slower.

    nice python benchmarks/balances_million.py [--products N] [--repeats R]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from threadpoolctl import threadpool_limits

from kuzbass.economy.generate import generate
from kuzbass.linalg import solve_leontief

Solver = Callable[[sp.csr_array, np.ndarray], tuple[np.ndarray, int]]


def ours(matrix: sp.csr_array, b: np.ndarray) -> tuple[np.ndarray, int]:
    x, report = solve_leontief(matrix, b, tolerance=1e-10)
    return x, report.iterations


def bicgstab(matrix: sp.csr_array, b: np.ndarray) -> tuple[np.ndarray, int]:
    system = sp.csr_array(sp.identity(matrix.shape[0], format="csr") - matrix)
    count = [0]

    def step(_: np.ndarray) -> None:
        count[0] += 1

    x, info = spla.bicgstab(system, b, rtol=1e-10, atol=0.0, maxiter=10_000, callback=step)
    assert info == 0, f"bicgstab did not converge ({info})"
    return x, 2 * count[0]


def neumann(matrix: sp.csr_array, b: np.ndarray) -> tuple[np.ndarray, int]:
    """x ← A x + d; the residual of x is the step A x + d − x, so it costs nothing to watch."""
    x = b.copy()
    scale = float(np.linalg.norm(b))
    steps = 0
    while True:
        following = matrix @ x
        following += b
        steps += 1
        done = float(np.linalg.norm(following - x)) <= 1e-10 * scale
        x = following
        if done:
            return x, steps


def residual(matrix: sp.csr_array, b: np.ndarray, x: np.ndarray) -> float:
    return float(np.linalg.norm(b - x + matrix @ x) / np.linalg.norm(b))


def measure(solver: Solver, matrix: sp.csr_array, b: np.ndarray, repeats: int) -> dict[str, float]:
    times = []
    products = 0
    error = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        with threadpool_limits(1, user_api="blas"):
            x, products = solver(matrix, b)
        times.append(time.perf_counter() - started)
        error = residual(matrix, b, x)
    return {"seconds": statistics.median(times), "products": products, "residual": error}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--inputs", type=float, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    started = time.perf_counter()
    economy = generate(arguments.products, arguments.inputs, seed=1, spectral_radius=0.9)
    print(
        f"generated {economy.n_products:,} products, {economy.input_coefficients.nnz:,} "
        f"coefficients in {time.perf_counter() - started:.0f} s"
    )
    a = economy.input_coefficients
    systems = {
        "labour values": (sp.csr_array(a.T), economy.resource_coefficients.toarray()[0]),
        "gross output": (sp.csr_array(a.tocsr()), np.ones(economy.n_products)),
    }
    print(
        f"{'balance':<14} {'method':<10} {'median s':>9} {'products':>9} {'ms/product':>10} "
        f"{'residual':>9} {'ours/peer':>9}"
    )
    for name, (matrix, b) in systems.items():
        results = {
            "kuzbass": measure(ours, matrix, b, arguments.repeats),
            "bicgstab": measure(bicgstab, matrix, b, arguments.repeats),
            "neumann": measure(neumann, matrix, b, 1),
        }
        for method, result in results.items():
            ratio = results["kuzbass"]["seconds"] / result["seconds"]
            per_product = 1000 * result["seconds"] / result["products"]
            print(
                f"{name:<14} {method:<10} {result['seconds']:>9.2f} {result['products']:>9.0f} "
                f"{per_product:>10.1f} {result['residual']:>9.1e} {ratio:>9.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
