"""Balances and labour values: solve x = M x + b for a nonnegative sparse M with ρ(M) < 1.

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

import itertools
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.linalg import blas
from scipy.sparse._sparsetools import csr_matvec
from threadpoolctl import threadpool_limits

from kuzbass.economy.errors import EconomyError, NotProductiveError

if TYPE_CHECKING:
    from kuzbass.economy.model import Economy

Sparse = sp.csr_array | sp.csc_array | sp.coo_array
"""A sparse matrix (CSR is used as is; others are converted)."""

Progress = Callable[[int, float], None]
"""Called during a solve with (products with M so far, relative residual)."""

T = TypeVar("T")

DENSE_LIMIT = 1500
"""Up to this many products, LAPACK's dense LU is both faster and exact to rounding."""


BREAKDOWN = 1e-12
"""BiCGSTAB restarts when the cosine between the vectors of one of its inner products is below
this: the step it would divide by is lost in rounding."""


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


class RowBlocks:
    """M split into blocks of rows with equal nonzeros, one per core, worked on in parallel.

    Vectors are split by the same rows, so that products with M and the solver's vector work
    both run on all cores (BLAS is held to one thread per block meanwhile). The blocks share
    M's arrays: scipy's CSR kernel is called on each block's slice of the row pointers, where a
    ``csr_array`` per block would copy every block smaller than half of M (1.2 GB at 10⁷
    products) and allocate its result on every product.
    """

    def __init__(self, matrix: Sparse, threads: int | None = None) -> None:
        csr = sp.csr_array(matrix).astype(np.float64, copy=False)
        self.shape = csr.shape
        self.indices, self.data = csr.indices, csr.data
        if threads is None:
            threads = len(os.sched_getaffinity(0)) if csr.nnz >= 500_000 else 1
        bounds = np.searchsorted(csr.indptr, np.linspace(0, csr.nnz, threads + 1)[1:-1])
        n = csr.shape[0]
        edges = [0, *sorted({int(e) for e in bounds if 0 < e < n}), n]  # no empty blocks
        self.rows = [slice(a, b) for a, b in itertools.pairwise(edges)]
        self.pointers = [
            csr.indptr[rows.start : rows.stop + 1].astype(self.indices.dtype, copy=False)
            for rows in self.rows
        ]
        self.pool = ThreadPoolExecutor(len(self.rows)) if len(self.rows) > 1 else None

    def run(self, task: Callable[[int], T]) -> list[T]:
        """task(k) for every block k, in parallel."""
        if self.pool is None:
            return [task(0)]
        return list(self.pool.map(task, range(len(self.rows))))

    def accumulate(self, k: int, x: np.ndarray, out: np.ndarray) -> None:
        """out += M x on the rows of block k (``out`` a whole vector; the GIL is released)."""
        rows = self.rows[k]
        csr_matvec(
            rows.stop - rows.start,
            self.shape[1],
            self.pointers[k],
            self.indices,
            self.data,
            x,
            out[rows],
        )

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def _norms(a: np.ndarray) -> np.ndarray:
    return np.sqrt(np.einsum("i...,i...->...", a, a)).reshape(-1)


def solve_leontief(
    matrix: Sparse,
    b: np.ndarray,
    tolerance: float = 1e-10,
    progress: Progress | None = None,
    names: pd.Index | None = None,
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
        verdict = _not_productive(matrix, 0.0, names)
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
        raise _not_productive(matrix, max(rho, 1.0), names)
    report = SolveReport("bicgstab", worst, products, rho, time.perf_counter() - started)
    return x, report


def _negative(x: np.ndarray) -> bool:
    scale = float(np.abs(x).max()) if x.size else 0.0
    return bool(x.size) and float(x.min()) < -1e-9 * scale


def _solve_dense(
    matrix: sp.csr_array, b: np.ndarray, names: pd.Index | None, started: float
) -> tuple[np.ndarray, SolveReport]:
    dense = matrix.toarray()
    rho = float(np.abs(np.linalg.eigvals(dense)).max()) if len(dense) else 0.0
    if rho >= 1:
        raise _not_productive(matrix, rho, names)
    system = np.eye(len(dense)) - dense
    x = np.linalg.solve(system, b) if len(dense) else b.copy()
    residual = float((_norms(b - system @ x) / np.maximum(_norms(b), 1e-300)).max())
    return x, SolveReport("dense LU (LAPACK)", residual, 0, rho, time.perf_counter() - started)


class NotConvergedError(EconomyError):
    """No answer to the asked residual within the budget of products with M.

    With ρ < 1 and the default budget this takes a technology at the very edge of productivity,
    so it is reported as a problem of the economy, like ρ ≥ 1.
    """


def bicgstab(
    operator: RowBlocks,
    b: np.ndarray,
    tolerance: float,
    max_products: int = 5000,
    progress: Progress | None = None,
) -> tuple[np.ndarray, int, float, float]:
    """BiCGSTAB for (I − M) x = b from x = 0, its vector work fused per block of rows.

    It stops only when the measured residual ‖b − (I − M) x‖ ≤ ``tolerance`` ‖b‖: when the
    recursive residual says so, one more product measures the true one, and if that has drifted
    the iteration restarts from it (and gives up when a restart did not halve it: rounding
    allows no better). A breakdown (ρ or ω ≈ 0) restarts from the current residual.
    Returns the solution, the products with M, ρ̂ = the largest |1 − θ| over the Ritz values θ
    of I − M from the hidden BiCG coefficients of the first cycle, and the measured relative
    residual (∞ when the iteration diverged; above ``tolerance`` when ``max_products`` ran out).

    Besides b it keeps six vectors: x, r (which also holds s), the shadow residual, p, and
    v = (M − I) p, t = (M − I) s. These are the negatives of the textbook's (I − M) p and
    (I − M) s, because the product adds M p onto a vector holding −p; the signs of α's and ω's
    updates change with them.
    """
    n = len(b)
    scale = float(np.linalg.norm(b))
    x = np.zeros(n)
    if scale == 0:
        return x, 0, 0.0, 0.0
    target = (tolerance * scale) ** 2
    r, shadow, p, v, t = (np.empty(n) for _ in range(5))
    rows = operator.rows

    def measure(k: int) -> np.ndarray:
        """r = b − x + M x; ‖r‖²."""
        part = rows[k]
        np.subtract(b[part], x[part], out=r[part])
        operator.accumulate(k, x, r)
        return np.array([r[part] @ r[part]])

    def restart(k: int, fresh: bool) -> np.ndarray:
        """p = r; shadow = r, or random if r just broke down at once; shadow·r, ‖shadow‖²."""
        part = rows[k]
        p[part] = r[part]
        if fresh:
            shadow[part] = np.random.default_rng(k).uniform(-1.0, 1.0, part.stop - part.start)
        else:
            shadow[part] = r[part]
        return np.array([shadow[part] @ r[part], shadow[part] @ shadow[part]])

    def apply_p(k: int) -> np.ndarray:
        """v = M p − p; shadow·v, ‖v‖²."""
        part = rows[k]
        np.negative(p[part], out=v[part])
        operator.accumulate(k, p, v)
        return np.array([shadow[part] @ v[part], v[part] @ v[part]])

    def half_step(k: int, alpha: float) -> np.ndarray:
        """s = r − α (I − M) p = r + α v, kept in r; ‖s‖²."""
        part = rows[k]
        blas.daxpy(v[part], r[part], a=alpha)
        return np.array([r[part] @ r[part]])

    def advance(k: int, alpha: float) -> None:
        """x += α p."""
        part = rows[k]
        blas.daxpy(p[part], x[part], a=alpha)

    def apply_s(k: int) -> np.ndarray:
        """t = M s − s; t·s, ‖t‖²."""
        part = rows[k]
        np.negative(r[part], out=t[part])
        operator.accumulate(k, r, t)
        return np.array([t[part] @ r[part], t[part] @ t[part]])

    def step(k: int, alpha: float, omega: float) -> np.ndarray:
        """x += α p + ω s; r = s + ω t; p += ω v (half of the next direction); shadow·r, ‖r‖²."""
        part = rows[k]
        blas.daxpy(p[part], x[part], a=alpha)
        blas.daxpy(r[part], x[part], a=omega)
        blas.daxpy(t[part], r[part], a=omega)
        blas.daxpy(v[part], p[part], a=omega)
        return np.array([shadow[part] @ r[part], r[part] @ r[part]])

    def direction(k: int, beta: float) -> None:
        """p = r + β (p + ω v)."""
        part = rows[k]
        p[part] *= beta
        p[part] += r[part]

    def total(task: Callable[[int], np.ndarray]) -> np.ndarray:
        return np.sum(operator.run(task), axis=0)

    def report(squared: float) -> None:
        if progress is not None:
            progress(products, math.sqrt(squared) / scale)

    products = 0
    alphas: list[float] = []
    betas: list[float] = []
    first_cycle = True
    stalled = False
    measured = math.inf  # the last measured ‖r‖²
    r[:] = b
    squared = scale * scale
    while True:
        rho, shadow_norm = total(partial(restart, fresh=stalled))
        shadow_norm, started = math.sqrt(shadow_norm), products
        finished = False  # the recursive residual is small enough, or the budget is spent
        while True:
            dots = total(apply_p)
            products += 1
            if not abs(dots[0]) > BREAKDOWN * shadow_norm * math.sqrt(dots[1]):
                break
            alpha = -rho / dots[0]
            squared = float(total(partial(half_step, alpha=alpha))[0])
            if first_cycle:
                alphas.append(alpha)
            report(squared)
            if squared <= target or products >= max_products:
                operator.run(partial(advance, alpha=alpha))
                finished = True
                break
            dots = total(apply_s)
            products += 1
            if not abs(dots[0]) > BREAKDOWN * math.sqrt(squared * dots[1]):
                operator.run(partial(advance, alpha=alpha))  # ω ≈ 0: keep the BiCG half step
                break
            omega = -dots[0] / dots[1]
            dots = total(partial(step, alpha=alpha, omega=omega))
            squared = float(dots[1])
            report(squared)
            finished = squared <= target or products >= max_products
            if finished or not abs(dots[0]) > BREAKDOWN * shadow_norm * math.sqrt(squared):
                break
            beta = (dots[0] / rho) * (alpha / omega)
            if first_cycle:
                betas.append(beta)
            rho = float(dots[0])
            operator.run(partial(direction, beta=beta))
        first_cycle = False
        if not math.isfinite(squared):
            return x, products, _ritz_radius(alphas, betas), math.inf
        # broke down at once: try a random shadow residual, and if that fails too, give up
        gave_up = stalled and not finished and products == started + 1
        stalled = not finished and products == started + 1
        if finished or gave_up or products >= max_products:
            squared = float(total(measure)[0])
            products += 1
            report(squared)
            # a restart that did not halve the measured residual met the limit of rounding
            stuck = not squared < measured / 4
            measured = squared
            if squared <= target or gave_up or stuck or products >= max_products:
                residual = math.sqrt(squared) / scale if math.isfinite(squared) else math.inf
                return x, products, _ritz_radius(alphas, betas), residual


def _ritz_radius(alphas: list[float], betas: list[float]) -> float:
    """max |1 − θ| over the eigenvalues θ of BiCG's tridiagonal matrix for I − M.

    BiCG's residuals satisfy (I − M) R = R T with T tridiagonal: diagonal 1/αⱼ + βⱼ₋₁/αⱼ₋₁ and
    off-diagonal products βⱼ/αⱼ², which fix its eigenvalues.
    """
    if not alphas:
        return 0.0
    a = np.asarray(alphas)
    b = np.asarray(betas[: len(a) - 1])
    tridiagonal = np.diag(1 / a)
    tridiagonal[np.arange(1, len(a)), np.arange(1, len(a))] += b / a[:-1]
    tridiagonal[np.arange(len(b)), np.arange(1, len(a))] = 1.0
    tridiagonal[np.arange(1, len(a)), np.arange(len(b))] = b / a[:-1] ** 2
    return float(np.abs(1.0 - np.linalg.eigvals(tridiagonal)).max())


def spectral_radius(matrix: Sparse, tolerance: float = 1e-10) -> float:
    """ρ(M): exact (dense eigenvalues) for small M, ARPACK's largest eigenvalue otherwise."""
    n = matrix.shape[0]
    if n == 0:
        return 0.0
    if n <= 600:
        dense = sp.csr_array(matrix).toarray()
        with threadpool_limits(1, user_api="blas"):
            return float(np.abs(np.linalg.eigvals(dense)).max())
    operator = sp.csr_array(matrix)
    if operator.nnz == 0:
        return 0.0
    try:
        values = spla.eigs(
            operator,
            k=1,
            which="LM",
            tol=tolerance,
            maxiter=5000,
            return_eigenvectors=False,
            v0=np.ones(n),
        )
        return float(np.abs(values).max())
    except spla.ArpackNoConvergence as failure:
        if len(failure.eigenvalues):
            return float(np.abs(failure.eigenvalues).max())
        raise


def self_consuming_cycle(matrix: Sparse) -> tuple[list[int], float]:
    """The products of the strongly connected block with the largest ρ (≥ 1 if not productive).

    Small blocks are peeled down to a minimal set that still has ρ ≥ 1, so the named cycle is
    the few products that use up more of each other than they make. Ordered by Perron weight.
    """
    from scipy.sparse.csgraph import connected_components

    square = sp.csr_array(matrix)
    count, labels = connected_components(square, directed=True, connection="strong")
    best: tuple[list[int], float] = ([], 0.0)
    sizes = np.bincount(labels, minlength=count)
    diagonal = square.diagonal()
    for component in range(count):
        inside = np.flatnonzero(labels == component)
        if sizes[component] == 1 and diagonal[inside[0]] <= 0:
            continue
        rho = spectral_radius(square[inside][:, inside], tolerance=1e-8)
        if rho > best[1]:
            best = (inside.tolist(), rho)
    members, rho = best
    if rho >= 1 and len(members) <= 60:
        keep = list(members)
        for product in sorted(members, key=lambda p: -square[[p]][:, keep].sum()):
            trial = [p for p in keep if p != product]
            if trial and spectral_radius(square[trial][:, trial]) >= 1:
                keep = trial
        members = keep
    if len(members) > 1 and len(members) <= 600:
        block = square[members][:, members].toarray()
        values, vectors = np.linalg.eig(block)
        weight = np.abs(vectors[:, int(np.argmax(np.abs(values)))])
        members = [members[i] for i in np.argsort(-weight, kind="stable")]
    return members, rho


def _not_productive(matrix: Sparse, estimate: float, names: pd.Index | None) -> NotProductiveError:
    cycle, rho = self_consuming_cycle(matrix)
    labels = [str(names[i]) if names is not None else str(i) for i in cycle]
    return NotProductiveError(max(rho, estimate) if rho < 1 else rho, labels[:10], len(labels))


@contextmanager
def progress_bar(enabled: bool, what: str, tolerance: float) -> Iterator[Progress | None]:
    """A rich progress bar counting digits of accuracy gained (residual 1 → tolerance)."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    digits = -math.log10(tolerance)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(what, total=digits, status="")

        def report(iteration: int, residual: float) -> None:
            done = digits if residual <= tolerance else max(0.0, -math.log10(residual or 1.0))
            status = f"iteration {iteration}" + (
                f", residual {residual:.1e}" if math.isfinite(residual) else ""
            )
            bar.update(
                task, completed=min(done, digits) if math.isfinite(done) else 0, status=status
            )

        yield report


def _square_rows(economy: Economy, active: Iterable[str] | None) -> tuple[sp.csc_array, np.ndarray]:
    chosen = economy.active_techniques(active)
    coefficients = economy.input_coefficients
    if coefficients.shape[1] == len(chosen) and bool(np.all(chosen == np.arange(len(chosen)))):
        return sp.csc_array(coefficients), chosen
    return sp.csc_array(coefficients[:, chosen]), chosen


def labour_values(
    economy: Economy,
    active: Iterable[str] | None = None,
    tolerance: float = 1e-10,
    progress: bool = False,
) -> pd.Series:
    """v = v A + l by product; ``attrs`` report the solve (see ``SolveReport``)."""
    from kuzbass.economy.model import LABOUR

    if LABOUR not in economy.resources:
        raise EconomyError([f"no resource named {LABOUR!r}: labour values count its use"])
    square, chosen = _square_rows(economy, active)
    row = int(economy.resources.get_indexer(pd.Index([LABOUR]))[0])
    labour = np.asarray(
        sp.csr_array(economy.resource_coefficients)[[row]][:, chosen].toarray()
    ).ravel()
    with progress_bar(progress, "labour values", tolerance) as report:
        values, solve = solve_leontief(
            square.T, labour, tolerance=tolerance, progress=report, names=economy.products
        )
    result = pd.Series(values, index=economy.products, name="value")
    result.attrs.update(solve.as_attrs())
    return result


def demand_matrix(
    economy: Economy, demand: pd.Series | pd.DataFrame | np.ndarray | None
) -> tuple[np.ndarray, list[str] | None]:
    """Final demand as an n-vector or n × k array; unknown products are an error."""
    if demand is None:
        targets = economy.targets
        if targets is None or not len(targets):
            raise EconomyError(["no demand given and the economy has no targets"])
        first = targets[targets["year"] == targets["year"].min()]
        demand = first.groupby("product")["quantity"].sum()
    if isinstance(demand, np.ndarray):
        if demand.shape[0] != economy.n_products or demand.ndim > 2:
            raise EconomyError(
                [
                    f"demand has shape {demand.shape}; expected ({economy.n_products},) or "
                    f"({economy.n_products}, k)"
                ]
            )
        return np.asarray(demand, dtype=np.float64), None
    unknown = demand.index.difference(economy.products)
    if len(unknown):
        shown = ", ".join(repr(str(u)) for u in unknown[:10])
        raise EconomyError(
            [
                f"demand for unknown products: {shown}"
                + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
            ]
        )
    if demand.index.has_duplicates:
        twice = demand.index[demand.index.duplicated()].unique()[:10]
        raise EconomyError([f"demand lists products twice: {', '.join(map(repr, twice))}"])
    aligned = demand.reindex(economy.products, fill_value=0.0)
    values = np.asarray(aligned.to_numpy(dtype=np.float64))
    bad = ~np.isfinite(values)
    if bad.any():
        where = np.argwhere(bad)[0]
        raise EconomyError(
            [f"demand for {str(economy.products[where[0]])!r} is not a finite number"]
        )
    columns = [str(c) for c in demand.columns] if isinstance(demand, pd.DataFrame) else None
    return values, columns


def gross_output(
    economy: Economy,
    demand: pd.Series | pd.DataFrame | np.ndarray | None = None,
    active: Iterable[str] | None = None,
    tolerance: float = 1e-10,
    progress: bool = False,
) -> pd.Series | pd.DataFrame:
    """x = A x + d by product, for one demand (Series) or several (DataFrame columns)."""
    vectors, columns = demand_matrix(economy, demand)
    square, _ = _square_rows(economy, active)
    with progress_bar(progress, "gross output", tolerance) as report:
        output, solve = solve_leontief(
            square.tocsr(), vectors, tolerance=tolerance, progress=report, names=economy.products
        )
    result: pd.Series | pd.DataFrame
    if output.ndim == 1:
        result = pd.Series(output, index=economy.products, name="quantity")
    else:
        result = pd.DataFrame(output, index=economy.products, columns=columns)
    result.attrs.update(solve.as_attrs())
    return result
