"""Balances and labour values of an economy: gross output x = A x + d and v = v A + l.

The linear algebra (which solver, how it reports, when it refuses) is ``kuzbass.linalg``'s; here an
economy's active techniques give the square matrix, its ``labour`` resource the vector l, and the
answers come back as pandas objects labelled by product, with the solve reported in ``attrs``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import scipy.sparse as sp

from kuzbass.economy.errors import EconomyError
from kuzbass.economy.model import LABOUR, Economy
from kuzbass.linalg import solve_leontief
from kuzbass.linalg.bicgstab import Progress


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
