"""Checks on an Economy's arrays, whatever reader built it, and the choice of active techniques."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from kuzbass.economy.errors import EconomyError, Problems
from kuzbass.economy.model import LABOUR, Economy
from kuzbass.linalg import NotProductiveError, self_consuming_cycle, spectral_radius


@dataclass(frozen=True)
class Summary:
    """What ``kuzbass check`` prints about a sound economy."""

    products: int
    techniques: int
    resources: int
    coefficients: int
    spectral_radius: float | None
    years: int
    targets: int
    note: str = ""

    def __str__(self) -> str:
        rho = "n/a" if self.spectral_radius is None else f"{self.spectral_radius:.6g}"
        lines = [
            f"products         {self.products:,}",
            f"techniques       {self.techniques:,}",
            f"resources        {self.resources:,}",
            f"coefficients     {self.coefficients:,}",
            f"spectral radius  {rho} (productive)"
            if self.spectral_radius is not None
            else f"spectral radius  {rho}",
            f"years            {self.years}",
            f"targets          {self.targets:,}",
        ]
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)


def active_techniques(economy: Economy, active: Iterable[str] | None) -> np.ndarray:
    """Index of the technique making each product (see ``Economy.active_techniques``)."""
    n = economy.n_products
    made_by = np.asarray(economy.technique_product)
    counts = np.bincount(made_by, minlength=n)
    chosen = np.full(n, -1, dtype=np.int64)
    chosen[made_by] = np.arange(economy.n_techniques)
    named = np.zeros(n, dtype=bool)
    problems = Problems(limit=10)
    if active is not None:
        wanted = list(active)
        found = economy.techniques.get_indexer(pd.Index(wanted))
        for name in [w for w, f in zip(wanted, found, strict=True) if f < 0][:10]:
            problems.add(f"active technique {name!r} is not a technique of this economy")
        for technique in found[found >= 0]:
            product = made_by[technique]
            if named[product] and chosen[product] != technique:
                problems.add(
                    f"product {str(economy.products[product])!r}: techniques "
                    f"{str(economy.techniques[chosen[product]])!r} and "
                    f"{str(economy.techniques[technique])!r} are both named active"
                )
            chosen[product] = technique
            named[product] = True
    for product in np.flatnonzero(counts == 0)[:10]:
        problems.add(f"product {str(economy.products[product])!r} is made by no technique")
    ambiguous = np.flatnonzero((counts > 1) & ~named)
    for product in ambiguous[:10]:
        makers = ", ".join(repr(str(t)) for t in economy.techniques[made_by == product])
        problems.add(
            f"product {str(economy.products[product])!r} is made by several techniques "
            f"({makers}): name the active one"
        )
    if len(ambiguous) > 10:
        problems.add(f"… and {len(ambiguous) - 10} more products made by several techniques")
    problems.raise_if_any()
    return chosen


def _matrix_problems(
    economy: Economy,
    matrix: sp.csc_array,
    rows: pd.Index,
    what: str,
    problems: Problems,
) -> None:
    matrix = sp.csc_array(matrix)
    data = matrix.data
    bad = np.flatnonzero(~np.isfinite(data) | (data < 0))
    if len(bad):
        columns = np.searchsorted(matrix.indptr, bad, side="right") - 1
        for position, column in list(zip(bad, columns, strict=True))[: problems.limit]:
            problems.add(
                f"technique {str(economy.techniques[column])!r}, {what} "
                f"{str(rows[matrix.indices[position]])!r}: coefficient {data[position]!r} "
                f"must be a finite number ≥ 0"
            )


def check(economy: Economy, active: Iterable[str] | None = None) -> Summary:
    """Validate arrays and productivity; a summary, or EconomyError listing the problems."""
    problems = Problems()
    n, m = economy.n_products, economy.n_techniques
    if economy.input_coefficients.shape != (n, m):
        problems.add(
            f"input coefficients have shape {economy.input_coefficients.shape}, expected ({n}, {m})"
        )
    if economy.resource_coefficients.shape != (economy.n_resources, m):
        problems.add("resource coefficients do not match the resources and techniques")
    for label, index in (
        ("product", economy.products),
        ("technique", economy.techniques),
        ("resource", economy.resources),
    ):
        if index.has_duplicates:
            twice = ", ".join(repr(str(x)) for x in index[index.duplicated()][:5])
            problems.add(f"{label} names listed twice: {twice}")
    problems.raise_if_any()
    output = np.asarray(economy.technique_output, dtype=np.float64)
    for j in np.flatnonzero(~(np.isfinite(output) & (output > 0)))[: problems.limit]:
        problems.add(
            f"technique {str(economy.techniques[j])!r}: output {output[j]!r} must be positive"
        )
    capacity = np.asarray(economy.technique_capacity, dtype=np.float64)
    for j in np.flatnonzero(np.isnan(capacity) | (capacity < 0))[: problems.limit]:
        problems.add(
            f"technique {str(economy.techniques[j])!r}: capacity {capacity[j]!r} must be ≥ 0"
        )
    _matrix_problems(economy, economy.input_coefficients, economy.products, "input", problems)
    _matrix_problems(
        economy, economy.resource_coefficients, economy.resources, "resource", problems
    )
    problems.raise_if_any()
    chosen = active_techniques(economy, active)
    square = sp.csc_array(economy.input_coefficients[:, chosen])
    rho = spectral_radius(square, tolerance=1e-8)
    if rho >= 1:
        cycle, cycle_rho = self_consuming_cycle(square)
        names = [str(economy.products[i]) for i in cycle]
        raise NotProductiveError(max(rho, cycle_rho), names[:10], len(names))
    note = ""
    if LABOUR not in economy.resources:
        note = f"note: no resource {LABOUR!r}, so no labour values"
    nnz = economy.input_coefficients.nnz + economy.resource_coefficients.nnz
    return Summary(
        products=n,
        techniques=m,
        resources=economy.n_resources,
        coefficients=int(nnz),
        spectral_radius=rho,
        years=economy.years,
        targets=0 if economy.targets is None else len(economy.targets),
        note=note,
    )


__all__ = ["EconomyError", "Summary", "active_techniques", "check"]
