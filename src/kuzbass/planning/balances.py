"""Balances and labour values: solve x = M x + b for a nonnegative sparse M with ρ(M) < 1.

Gross output is x = A x + d; labour values are v = Aᵀ v + l. Both are solved by a Neumann
series whose tail is summed in closed form along the Perron direction ("perron-neumann"):

after m terms the increments t_m = M^m b of a nonnegative M line up with the Perron vector, so the
tail Σ_{k≥m} t_k ≈ t_m / (1 − ρ̂) with ρ̂ = ⟨M t_m, t_m⟩ / ⟨t_m, t_m⟩. The residual of that
extrapolated solution is (M t_m − ρ̂ t_m) / (1 − ρ̂), known without another product with M. For the
sparse input-output matrices of real and synthetic economies the rest of the spectrum lies far
inside the Perron root, so this needs about as many products with M as GMRES or BiCGSTAB, with
none of their vector work; the products themselves run on all cores (scipy's are single-threaded).
When the extrapolation stalls (several eigenvalues near the Perron root), GMRES finishes from the
current solution. Every answer reports the measured residual ‖b − (I − M) x‖ / ‖b‖.
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
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from kuzbass.economy.errors import EconomyError, NotProductiveError

if TYPE_CHECKING:
    from kuzbass.economy.model import Economy

Sparse = sp.csr_array | sp.csc_array | sp.coo_array
"""A sparse matrix (CSR is used as is; others are converted)."""

Progress = Callable[[int, float], None]
"""Called after each iteration with (iteration, relative residual)."""


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
    """y = M x with the rows of a CSR matrix split among threads (scipy releases the GIL)."""

    def __init__(self, matrix: Sparse, threads: int | None = None) -> None:
        matrix = sp.csr_array(matrix)
        self.shape = matrix.shape
        if threads is None:
            threads = len(os.sched_getaffinity(0)) if matrix.nnz >= 500_000 else 1
        bounds = np.searchsorted(
            matrix.indptr, np.linspace(0, matrix.nnz, threads + 1)[1:-1]
        ).tolist()
        rows = [0, *bounds, matrix.shape[0]]
        self.blocks = []
        for start, stop in itertools.pairwise(rows):
            first, last = int(matrix.indptr[start]), int(matrix.indptr[stop])
            self.blocks.append(
                sp.csr_array(
                    (
                        matrix.data[first:last],
                        matrix.indices[first:last],
                        matrix.indptr[start : stop + 1] - matrix.indptr[start],
                    ),
                    shape=(stop - start, matrix.shape[1]),
                    copy=False,
                )
            )
        self.pool = ThreadPoolExecutor(len(self.blocks)) if len(self.blocks) > 1 else None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.pool is None:
            return np.asarray(self.blocks[0] @ x)
        parts = list(self.pool.map(lambda block: block @ x, self.blocks))
        return np.concatenate(parts)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def _dots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.ndim == 1:
        return np.array([float(a @ b)])
    return np.einsum("ij,ij->j", a, b)


def _norms(a: np.ndarray) -> np.ndarray:
    return np.sqrt(_dots(a, a))


def solve_leontief(
    matrix: Sparse,
    b: np.ndarray,
    tolerance: float = 1e-10,
    max_iterations: int = 1000,
    progress: Progress | None = None,
    names: pd.Index | None = None,
) -> tuple[np.ndarray, SolveReport]:
    """Solve x = M x + b (b one vector or n × k columns) to relative residual ``tolerance``.

    Raises ``NotProductiveError`` when the series grows with ρ̂ ≥ 1 (``names`` label the cycle).
    """
    started = time.perf_counter()
    b = np.asarray(b, dtype=np.float64)
    operator = RowBlocks(matrix)
    try:
        return _solve(operator, matrix, b, tolerance, max_iterations, progress, names, started)
    finally:
        operator.close()


def _solve(
    operator: RowBlocks,
    matrix: Sparse,
    b: np.ndarray,
    tolerance: float,
    max_iterations: int,
    progress: Progress | None,
    names: pd.Index | None,
    started: float,
) -> tuple[np.ndarray, SolveReport]:
    scale = _norms(b)
    scale[scale == 0] = 1.0
    partial = np.zeros_like(b)
    term = b.copy()
    best = math.inf
    best_at = 0
    rho = np.zeros_like(scale)
    estimate = np.full_like(scale, math.inf)
    iterations = 0
    growing = 0
    while iterations < max_iterations:
        following = operator(term)
        iterations += 1
        squares = _dots(term, term)
        rho = np.divide(
            _dots(following, term), squares, out=np.zeros_like(squares), where=squares > 0
        )
        gap = np.where(rho < 1, 1.0 - rho, np.nan)
        deviation = following - (rho * term if term.ndim == 1 else term * rho[None, :])
        estimate = _norms(deviation) / gap / scale
        worst = float(np.nanmax(estimate)) if np.isfinite(estimate).any() else math.inf
        if np.isnan(estimate).any():
            worst = math.inf
        if progress is not None:
            progress(iterations, worst)
        if worst <= tolerance / 2:
            solution = partial + (term / gap if term.ndim == 1 else term / gap[None, :])
            return _finish(
                operator,
                matrix,
                b,
                solution,
                tolerance,
                "perron-neumann",
                iterations,
                float(rho.max()),
                progress,
                started,
            )
        if np.any(rho >= 1) and np.all(_norms(following) >= _norms(term) * (1 - 1e-12)):
            growing += 1
            if growing >= 3 and iterations >= 5:
                raise _not_productive(matrix, float(rho.max()), names)
        else:
            growing = 0
        if worst < best * 0.5:
            best, best_at = worst, iterations
        elif iterations - best_at >= 25:
            break
        partial += term
        term = following
    solution = partial + (
        term / np.where(rho < 1, 1 - rho, 1.0)
        if term.ndim == 1
        else term / np.where(rho < 1, 1 - rho, 1.0)[None, :]
    )
    return _finish(
        operator,
        matrix,
        b,
        solution,
        tolerance,
        "perron-neumann",
        iterations,
        float(rho.max()),
        progress,
        started,
        stalled=True,
    )


def _residual(operator: RowBlocks, b: np.ndarray, x: np.ndarray) -> float:
    scale = _norms(b)
    scale[scale == 0] = 1.0
    return float((_norms(b - x + operator(x)) / scale).max())


def _finish(
    operator: RowBlocks,
    matrix: Sparse,
    b: np.ndarray,
    x: np.ndarray,
    tolerance: float,
    method: str,
    iterations: int,
    rho: float,
    progress: Progress | None,
    started: float,
    stalled: bool = False,
) -> tuple[np.ndarray, SolveReport]:
    """Measure the true residual; finish with GMRES when the extrapolation did not reach it."""
    residual = _residual(operator, b, x)
    iterations += 1
    if residual > tolerance or stalled:
        n = matrix.shape[0]
        system = spla.LinearOperator((n, n), matvec=lambda v: v - operator(v), dtype=np.float64)
        columns = [x] if x.ndim == 1 else [x[:, j] for j in range(x.shape[1])]
        rights = [b] if b.ndim == 1 else [b[:, j] for j in range(b.shape[1])]
        counter = [0]

        def count(_: object) -> None:
            counter[0] += 1
            if progress is not None:
                progress(iterations + counter[0], math.nan)

        solved = []
        for guess, right in zip(columns, rights, strict=True):
            answer, _info = spla.gmres(
                system,
                right,
                x0=guess,
                rtol=tolerance / 4,
                atol=0.0,
                restart=40,
                maxiter=200,
                callback=count,
                callback_type="pr_norm",
            )
            solved.append(answer)
        x = solved[0] if x.ndim == 1 else np.column_stack(solved)
        residual = _residual(operator, b, x)
        iterations += counter[0] + 1
        method = "gmres after perron-neumann"
    return x, SolveReport(method, residual, iterations, rho, time.perf_counter() - started)


def spectral_radius(matrix: Sparse, tolerance: float = 1e-10) -> float:
    """ρ(M): exact (dense eigenvalues) for small M, ARPACK's largest eigenvalue otherwise."""
    n = matrix.shape[0]
    if n == 0:
        return 0.0
    if n <= 600:
        dense = sp.csr_array(matrix).toarray()
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
