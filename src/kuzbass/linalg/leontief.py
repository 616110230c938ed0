"""Solve x = M x + b for a nonnegative sparse M with ρ(M) < 1: balances and labour values.

Gross output is x = A x + d; labour values are v = Aᵀ v + l. The solver was chosen by measurement
(benchmarks/README.md, "Planning engine I"): on economies with sector structure the input matrix
has, besides its Perron root ρ, one large eigenvalue per nearly self-contained sector (0.6–0.8 ρ at
a million products), so the Neumann series x ← M x + b needs about 150 products with M, and
Krylov methods 40–50 (to residual 1e-10 at a million products: GMRES(20) 43–48, GMRES(60) 40,
BiCGSTAB 46–47, IDR(s) with s = 2–8 39–51; a sector coarse space saved nothing). BiCGSTAB is used:
its vector work per product is a few fused passes, where GMRES's Gram–Schmidt against up to 20
basis vectors cost as much as the product itself, and IDR(s) saved 3–7 products on labour values
and at most 1 on gross output for 3s + 4 vectors of memory (BiCGSTAB keeps 6). Its products with
M and its vector work run over blocks of rows on all cores (scipy's CSR kernel releases the GIL).
It starts from x = 0: starting from b, the first Neumann term, cost 2–10 more products. Up to
``DENSE_LIMIT`` products LAPACK's dense LU is faster and exact to rounding.

Every answer reports the method and the measured relative residual ‖b − (I − M) x‖ / ‖b‖, and
an estimate of ρ from the Ritz values of the BiCG tridiagonal matrix hidden in BiCGSTAB's
coefficients. Because x = Σ Mᵏ b ≥ 0 whenever ρ < 1 and b ≥ 0, a solution with negative entries
for nonnegative b proves ρ ≥ 1: the solver then raises ``NotProductiveError`` naming the
self-consuming cycle. So it does when the iteration diverges or runs out of products and the
cycle's ρ is ≥ 1; otherwise running out raises ``NotConvergedError``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from kuzbass.linalg.bicgstab import Progress, bicgstab
from kuzbass.linalg.errors import NotConvergedError
from kuzbass.linalg.row_blocks import RowBlocks, Sparse
from kuzbass.linalg.spectral import Labels, not_productive

DENSE_LIMIT = 1500
"""Up to this many products, LAPACK's dense LU is both faster and exact to rounding."""


@dataclass(frozen=True)
class SolveReport:
    """How a balance was solved: method, measured relative residual, products with M, ρ̂."""

    method: str
    residual: float
    iterations: int
    spectral_radius: float
    seconds: float

    def as_attrs(self) -> dict[str, object]:
        return {
            "method": self.method,
            "residual": self.residual,
            "iterations": self.iterations,
            "spectral_radius": self.spectral_radius,
            "seconds": self.seconds,
        }


def _norms(a: np.ndarray) -> np.ndarray:
    return np.sqrt(np.einsum("i...,i...->...", a, a)).reshape(-1)


def solve_leontief(
    matrix: Sparse,
    b: np.ndarray,
    tolerance: float = 1e-10,
    progress: Progress | None = None,
    names: Labels | None = None,
    max_products: int = 5000,
) -> tuple[np.ndarray, SolveReport]:
    """Solve x = M x + b (b one vector or n × k columns) to relative residual ``tolerance``.

    Raises ``NotProductiveError`` when the answer proves ρ(M) ≥ 1 (``names`` label the cycle),
    ``NotConvergedError`` when ``max_products`` products with M do not reach ``tolerance``.
    """
    started = time.perf_counter()
    b = np.asarray(b, dtype=np.float64)
    if matrix.shape[0] <= DENSE_LIMIT:
        with threadpool_limits(1, user_api="blas"):
            return _solve_dense(sp.csr_array(matrix), b, names, started)
    operator = RowBlocks(matrix)
    columns = [b] if b.ndim == 1 else [b[:, j] for j in range(b.shape[1])]
    solved = []
    products = 0
    rho = 0.0
    worst = 0.0
    try:
        with threadpool_limits(1, user_api="blas"):
            for right in columns:
                x, used, ritz, residual = bicgstab(
                    operator, right, tolerance, max_products=max_products, progress=progress
                )
                products += used
                rho = max(rho, ritz)
                worst = max(worst, residual)
                solved.append(x)
    finally:
        operator.close()
    x = solved[0] if b.ndim == 1 else np.column_stack(solved)
    if worst > tolerance:
        verdict = not_productive(matrix, 0.0, names)
        if verdict.spectral_radius >= 1:
            raise verdict
        raise NotConvergedError(
            [
                f"no solution to relative residual {tolerance:.1e} within {max_products} "
                f"products with the input matrix (reached {worst:.1e}; spectral radius "
                f"{verdict.spectral_radius:.6g})"
            ]
        )
    if bool(np.all(b >= 0)) and _negative(x):
        raise not_productive(matrix, max(rho, 1.0), names)
    report = SolveReport("bicgstab", worst, products, rho, time.perf_counter() - started)
    return x, report


def _negative(x: np.ndarray) -> bool:
    scale = float(np.abs(x).max()) if x.size else 0.0
    return bool(x.size) and float(x.min()) < -1e-9 * scale


def _solve_dense(
    matrix: sp.csr_array, b: np.ndarray, names: Labels | None, started: float
) -> tuple[np.ndarray, SolveReport]:
    dense = matrix.toarray()
    rho = float(np.abs(np.linalg.eigvals(dense)).max()) if len(dense) else 0.0
    if rho >= 1:
        raise not_productive(matrix, rho, names)
    system = np.eye(len(dense)) - dense
    x = np.linalg.solve(system, b) if len(dense) else b.copy()
    residual = float((_norms(b - system @ x) / np.maximum(_norms(b), 1e-300)).max())
    return x, SolveReport("dense LU (LAPACK)", residual, 0, rho, time.perf_counter() - started)
