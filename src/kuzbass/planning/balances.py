"""Balances and labour values: solve x = M x + b for a nonnegative sparse M with ρ(M) < 1.

Gross output is x = A x + d; labour values are v = Aᵀ v + l. The solver was chosen by measurement
(benchmarks/README.md, "Planning engine I"): on economies with sector structure the input matrix
has, besides its Perron root ρ, one large eigenvalue per nearly self-contained sector (0.6–0.8 ρ at
a million products), so the Neumann series x ← M x + b needs about 150 products with M and a
Neumann series whose tail is summed along the Perron direction still about 110, while GMRES needs
41–54 (by cycle length) and BiCGSTAB 46. Here GMRES runs its products with M and its
Gram–Schmidt orthogonalisation (done once, repeated only when cancellation shows) over blocks of
rows on all cores; scipy's product is single-threaded but releases the GIL. On the loaded shared
machine it measured 0.8–1.4× the time of scipy's BiCGSTAB and 2–4× faster than the Neumann series.
Up to ``DENSE_LIMIT`` products LAPACK's dense LU is faster and exact to rounding.

Every answer reports the method and the measured relative residual ‖b − (I − M) x‖ / ‖b‖, and
an estimate of ρ (from the Ritz values of the first GMRES cycle). Because x = Σ Mᵏ b ≥ 0 whenever
ρ < 1 and b ≥ 0, a solution with negative entries for nonnegative b proves ρ ≥ 1: the solver
then raises ``NotProductiveError`` naming the self-consuming cycle.
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


RESTART = 20
"""Longest GMRES cycle. Longer cycles save products with M (a million products: 54 at 10, 43 at
20, 41 at 30) but orthogonalise against more vectors; 20 was fastest there (4.7 s against 5.1 s
at 10 and 4.8 s at 30). The basis is also held to 1 GB, so 10⁷ products get cycles of 11.
"""


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

    Vectors are split by the same rows, so that products with M and the vector work of GMRES
    both run on all cores (BLAS is held to one thread per block meanwhile).
    """

    def __init__(self, matrix: Sparse, threads: int | None = None) -> None:
        matrix = sp.csr_array(matrix)
        self.shape = matrix.shape
        if threads is None:
            threads = len(os.sched_getaffinity(0)) if matrix.nnz >= 500_000 else 1
        bounds = np.searchsorted(matrix.indptr, np.linspace(0, matrix.nnz, threads + 1)[1:-1])
        edges = [0, *bounds.tolist(), matrix.shape[0]]
        self.rows = [slice(a, b) for a, b in itertools.pairwise(edges)]
        self.blocks = []
        for rows in self.rows:
            first, last = int(matrix.indptr[rows.start]), int(matrix.indptr[rows.stop])
            self.blocks.append(
                sp.csr_array(
                    (
                        matrix.data[first:last],
                        matrix.indices[first:last],
                        matrix.indptr[rows.start : rows.stop + 1] - matrix.indptr[rows.start],
                    ),
                    shape=(rows.stop - rows.start, matrix.shape[1]),
                    copy=False,
                )
            )
        self.pool = ThreadPoolExecutor(len(self.blocks)) if len(self.blocks) > 1 else None

    def run(self, task: Callable[[int], T]) -> list[T]:
        """task(k) for every block k, in parallel."""
        if self.pool is None:
            return [task(0)]
        return list(self.pool.map(task, range(len(self.blocks))))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """M x."""
        if self.pool is None:
            return np.asarray(self.blocks[0] @ x)
        return np.concatenate(self.run(lambda k: self.blocks[k] @ x))

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

    Raises ``NotProductiveError`` when the answer proves ρ(M) ≥ 1 (``names`` label the cycle).
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
    try:
        with threadpool_limits(1, user_api="blas"):
            for right in columns:
                x, used, ritz = gmres(
                    operator, right, tolerance, max_products=max_products, progress=progress
                )
                products += used
                rho = max(rho, ritz)
                solved.append(x)
            x = solved[0] if b.ndim == 1 else np.column_stack(solved)
            residuals = _norms(b - x + operator(x)) / np.maximum(_norms(b), 1e-300)
            products += len(columns)
    finally:
        operator.close()
    if bool(np.all(b >= 0)) and _negative(x):
        raise _not_productive(matrix, max(rho, 1.0), names)
    report = SolveReport(
        "gmres", float(residuals.max()), products, rho, time.perf_counter() - started
    )
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


def gmres(
    operator: RowBlocks,
    b: np.ndarray,
    tolerance: float,
    max_products: int = 5000,
    progress: Progress | None = None,
    restart: int | None = None,
) -> tuple[np.ndarray, int, float]:
    """Restarted GMRES for (I − M) x = b, starting from x = b (the first Neumann term).

    Returns the solution, the number of products with M, and ρ̂ = the largest |1 − θ| over the
    Ritz values θ of I − M from the first cycle. The basis is split by rows among the blocks.
    """
    n = len(b)
    restart = restart or min(RESTART, max(10, int(1e9 // (8 * max(n, 1))) - 1))
    scale = float(np.linalg.norm(b)) or 1.0
    target = tolerance * scale
    basis = np.empty((restart + 1, n))
    w = np.empty(n)
    x = b.copy()
    products = 0
    rho = 0.0
    first_cycle = True
    blocks = operator.blocks
    while products < max_products:
        residual = b - x + operator(x)
        products += 1
        beta = float(np.linalg.norm(residual))
        if progress is not None:
            progress(products, beta / scale)
        if beta <= target:
            break
        np.divide(residual, beta, out=basis[0])
        del residual
        hessenberg = np.zeros((restart + 1, restart))
        triangle = np.zeros((restart + 1, restart))
        rotations = np.zeros((restart, 2))
        g = np.zeros(restart + 1)
        g[0] = beta
        steps = 0
        for j in range(restart):
            span = j + 1
            vector = basis[j]

            def first_pass(k: int, span: int = span, vector: np.ndarray = vector) -> np.ndarray:
                rows = operator.rows[k]
                np.subtract(vector[rows], blocks[k] @ vector, out=w[rows])
                part = basis[:span, rows] @ w[rows]
                return np.append(part, w[rows] @ w[rows])

            def project(k: int, h: np.ndarray, span: int = span) -> np.ndarray:
                rows = operator.rows[k]
                w[rows] -= basis[:span, rows].T @ h
                return np.append(basis[:span, rows] @ w[rows], w[rows] @ w[rows])

            def project_and_scale(k: int, h: np.ndarray, norm: float, span: int = span) -> None:
                rows = operator.rows[k]
                w[rows] -= basis[:span, rows].T @ h
                np.divide(w[rows], norm, out=basis[span, rows])

            sums = np.sum(operator.run(first_pass), axis=0)
            products += 1
            h, before = sums[:span], sums[span]
            remaining = before - float(h @ h)
            if remaining > 0.25 * before:
                norm = math.sqrt(remaining)
                operator.run(partial(project_and_scale, h=h, norm=norm))
            else:
                sums = np.sum(operator.run(partial(project, h=h)), axis=0)
                again = sums[:span]
                sums = np.sum(operator.run(partial(project, h=again)), axis=0)
                h = h + again
                norm = math.sqrt(sums[span])
                if norm > 0:
                    np.divide(w, norm, out=basis[span])
            column = np.append(h, norm)
            hessenberg[: span + 1, j] = column
            for i in range(j):
                c, s = rotations[i]
                column[i], column[i + 1] = (
                    c * column[i] + s * column[i + 1],
                    -s * column[i] + c * column[i + 1],
                )
            radius = math.hypot(column[j], column[j + 1])
            c, s = (1.0, 0.0) if radius == 0 else (column[j] / radius, column[j + 1] / radius)
            rotations[j] = c, s
            column[j], column[j + 1] = radius, 0.0
            g[j], g[j + 1] = c * g[j], -s * g[j]
            triangle[: span + 1, j] = column
            steps = span
            if progress is not None:
                progress(products, abs(g[j + 1]) / scale)
            if abs(g[j + 1]) <= target / 2 or norm == 0:
                break
        if first_cycle:
            ritz = np.linalg.eigvals(hessenberg[:steps, :steps])
            rho = float(np.abs(1.0 - ritz).max())
            first_cycle = False
        y = np.linalg.solve(np.triu(triangle[:steps, :steps]), g[:steps])
        x += basis[:steps].T @ y
    return x, products, rho


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
