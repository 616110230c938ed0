"""What ``kuzbass values``, ``output`` and ``check`` do when an MPI launcher started them.

Every rank runs the same function; rank 0 returns the answer, for the command to write or print
once, and the other ranks None. Problems are raised on rank 0 only (see ``Ranks.agree``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp
from mpi4py import MPI
from rich.console import Console
from threadpoolctl import threadpool_limits

from kuzbass.distributed.names import ProductNames
from kuzbass.distributed.ranks import Ranks
from kuzbass.distributed.rows import Rows, read_rows
from kuzbass.distributed.solve import DistributedSolve, solve, spectral_radius, system_matrix
from kuzbass.economy.errors import EconomyError
from kuzbass.economy.model import LABOUR
from kuzbass.economy.validate import Summary
from kuzbass.linalg import (
    LeontiefError,
    NotConvergedError,
    NotProductiveError,
    self_consuming_cycle,
)
from kuzbass.planning.balances import progress_bar

if TYPE_CHECKING:
    from petsc4py import PETSc

T = TypeVar("T")
TOLERANCE = 1e-10


@dataclass
class Answer:
    """An answer on rank 0: one value per product, in the products' order."""

    values: np.ndarray
    names: ProductNames
    column: str
    solved: DistributedSolve

    def parts(self) -> Iterator[pa.Table]:
        """The table product,COLUMN in parts, the names read back a part at a time."""
        start = 0
        for names in self.names.chunks():
            values = pa.array(self.values[start : start + len(names)])
            start += len(names)
            yield pa.table({"product": names, self.column: values})


def labour_values(folder: Path, active: list[str] | None, fmt: str | None) -> Answer | None:
    """v = v A + l on the ranks; the values by product on rank 0."""

    def task(ranks: Ranks) -> Answer | None:
        rows = _read(ranks, folder, fmt, active)
        labour = ranks.agree(lambda: _labour(rows), "looking for labour")
        return _solved(ranks, rows, labour, False, "labour values", "value")

    return _on_ranks(task)


def gross_output(
    folder: Path,
    demand: Callable[[], pd.Series],
    active: list[str] | None,
    fmt: str | None,
) -> Answer | None:
    """x = A x + d on the ranks, for the demand rank 0 reads; the output by product on rank 0."""

    def task(ranks: Ranks) -> Answer | None:
        rows = _read(ranks, folder, fmt, active)
        whole = ranks.agree(
            lambda: _demand(rows, demand) if ranks.root else None, "reading the demand"
        )
        counts = np.diff(rows.bounds)
        part = np.empty(int(counts[ranks.rank]))
        starts = rows.bounds[:-1]
        ranks.comm.Scatterv([whole, (counts, starts)] if ranks.root else None, part, root=0)
        return _solved(ranks, rows, part, True, "gross output", "quantity")

    return _on_ranks(task)


def check(folder: Path, active: list[str] | None, fmt: str | None) -> Summary | None:
    """The summary of ``kuzbass check`` computed on the ranks, on rank 0."""

    def task(ranks: Ranks) -> Summary | None:
        rows = _read(ranks, folder, fmt, active)
        negated = system_matrix(rows, ranks, shift=0.0)  # −Aᵀ: A's eigenvalues negated
        rho, _, _ = spectral_radius(negated)
        if not rho < 1:
            _raise_not_productive(ranks, rows, negated, -1.0)
        if not ranks.root:
            return None
        facts = rows.facts
        notes = [f"checked on {ranks}"]
        if LABOUR not in facts.resources:
            notes.append(f"note: no resource {LABOUR!r}, so no labour values")
        return Summary(
            products=rows.n,
            techniques=facts.techniques,
            resources=len(facts.resources),
            coefficients=rows.coefficients,
            spectral_radius=rho,
            years=facts.years,
            targets=facts.targets,
            note="\n".join(notes),
        )

    return _on_ranks(task)


def _on_ranks(task: Callable[[Ranks], T]) -> T:
    ranks = Ranks()
    with threadpool_limits(1), ranks.stop_all_on_failure():
        return task(ranks)


def _read(ranks: Ranks, folder: Path, fmt: str | None, active: list[str] | None) -> Rows:
    console = Console(stderr=True, quiet=not ranks.root)
    started = time.perf_counter()
    with console.status(f"reading {folder} on {ranks}"):
        rows = read_rows(ranks, folder, fmt, active)
    console.print(
        f"read {folder} on {ranks} in {time.perf_counter() - started:.2f} s", highlight=False
    )
    return rows


def _demand(rows: Rows, demand: Callable[[], pd.Series]) -> np.ndarray:
    """The demand as a vector in the products' order, checked as the one-process engine does
    (``demand_matrix``), with the names read back a part at a time."""
    wanted = demand()
    names = pa.array(wanted.index.astype(str)).cast(pa.large_string())
    index = rows.names.indexes(names)
    unknown = wanted.index[index < 0]
    if len(unknown):
        shown = ", ".join(repr(str(u)) for u in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise EconomyError([f"demand for unknown products: {shown}{more}"])
    if wanted.index.has_duplicates:
        twice = wanted.index[wanted.index.duplicated()].unique()[:10]
        raise EconomyError([f"demand lists products twice: {', '.join(map(repr, twice))}"])
    values = np.zeros(rows.n)
    values[index] = wanted.to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        name = rows.names.at(bad[:1])[0]
        raise EconomyError([f"demand for {name!r} is not a finite number"])
    return values


def _labour(rows: Rows) -> np.ndarray:
    if rows.labour is None:
        raise EconomyError([f"no resource named {LABOUR!r}: labour values count its use"])
    return rows.labour


def _solved(
    ranks: Ranks, rows: Rows, rhs: np.ndarray, transpose: bool, what: str, column: str
) -> Answer | None:
    """Solve on the ranks, check the answer like the one-process engine, gather it on rank 0."""
    system = system_matrix(rows, ranks)
    with progress_bar(ranks.root, f"{what} on {ranks}", TOLERANCE) as report:
        answer, solved = solve(system, rhs, ranks, transpose, TOLERANCE, report)
    nonnegative = not ranks.any(bool(len(rhs)) and float(rhs.min()) < 0)
    if not solved.converged or (nonnegative and _negative(ranks, answer)):
        inputs = system.duplicate(copy=True)
        inputs.scale(-1.0)
        inputs.shift(1.0)  # Aᵀ = I − (I − Aᵀ)
        _raise_not_productive(ranks, rows, inputs, 1.0, solved)
    system.destroy()  # before rank 0 gathers the answer and reads the names back
    whole = ranks.gather(answer)
    if whole is None:
        return None
    Console(stderr=True).print(str(solved), highlight=False)
    return Answer(whole, rows.names, column, solved)


def _negative(ranks: Ranks, x: np.ndarray) -> bool:
    scale = _largest(ranks, np.abs(x))
    return ranks.any(bool(len(x)) and float(x.min()) < -1e-9 * scale)


def _largest(ranks: Ranks, part: np.ndarray) -> float:
    return float(ranks.comm.allreduce(float(part.max()) if len(part) else 0.0, op=MPI.MAX))


def _raise_not_productive(
    ranks: Ranks,
    rows: Rows,
    inputs: PETSc.Mat,
    sign: float,
    solved: DistributedSolve | None = None,
) -> None:
    """Raise NotProductiveError naming the self-consuming cycle, or NotConvergedError when the
    spectral radius is below 1 after all. ``inputs`` is ``sign``·Aᵀ as a PETSc matrix."""
    rho, left, right = spectral_radius(inputs, vectors=True)
    cycle = _cycle(ranks, rows, inputs, sign, left, right)
    error: LeontiefError | None = None
    if ranks.root:
        if cycle is not None and (cycle[1] >= 1 or solved is None or not rho < 1):
            names, cycle_rho = cycle
            error = NotProductiveError(max(rho, cycle_rho), names[:10], len(names))
        else:
            residual = f"{solved.residual:.1e}" if solved is not None else "n/a"
            error = NotConvergedError(
                [
                    f"no solution to relative residual {TOLERANCE:.1e} on {ranks} (reached "
                    f"{residual}; spectral radius {rho:.6g})"
                ]
            )

    def fail() -> None:
        if error is not None:
            raise error

    ranks.agree(fail, "naming the self-consuming cycle")


def _cycle(
    ranks: Ranks,
    rows: Rows,
    inputs: PETSc.Mat,
    sign: float,
    left: np.ndarray | None,
    right: np.ndarray | None,
) -> tuple[list[str], float] | None:
    """On rank 0: the self-consuming cycle's product names and its spectral radius.

    Only the products where both Perron vectors are positive can be in the cycle (the left one
    is positive on what the cycle feeds, the right one on what feeds it), so rank 0 gathers
    only the coefficients among those and looks for the cycle there as the one-process engine
    does. Without the vectors it gathers every coefficient.
    """
    owned = rows.owned(ranks.rank)
    local = np.arange(owned.start, owned.stop)
    if left is not None and right is not None:
        top_left, top_right = _largest(ranks, left), _largest(ranks, right)
        local = local[(left > 1e-9 * top_left) & (right > 1e-9 * top_right)]
    candidates = np.concatenate(ranks.comm.allgather(local))
    indptr, indices, values = inputs.getValuesCSR()
    row = np.repeat(np.arange(owned.start, owned.stop), np.diff(indptr))
    keep = np.isin(row, candidates) & np.isin(indices, candidates) & (values != 0)
    gathered = [ranks.gather(array) for array in (row[keep], indices[keep], sign * values[keep])]
    if not ranks.root:
        return None
    rows_, columns, data = gathered
    assert rows_ is not None and columns is not None and data is not None
    place = np.searchsorted(candidates, columns), np.searchsorted(candidates, rows_)
    square = sp.csc_array((data, place), shape=(len(candidates), len(candidates)))
    members, rho = self_consuming_cycle(square)
    return rows.names.at(candidates[np.asarray(members, dtype=np.int64)]), rho
