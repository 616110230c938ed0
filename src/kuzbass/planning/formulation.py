"""The plan as one sparse linear program, built with whole-matrix operations.

This is the reduced form of docs/design.md "Multi-year plans". Variables are only intensities
``q[j, y]`` (output of technique j in year y), accumulation ``acc[e, y]`` of each capital stock
e = (good k held by technique j) in years 1..Y-1 and one fulfilment variable per target group.
Everything else is determined and eliminated:

- flows = input coefficients × intensity, and resource use (labour) = coefficients × intensity,
  since using more than needed never helps;
- final use = net output − accumulation, so the product balance row is
  ``(P − A) q[·, y] − Σ acc[·, y] − Σ_g quantity·f_g ≥ 0``;
- stocks never need throwing away, so ``stock[e, y] = (1−d)^y·S0 + Σ_{s<y} (1−d)^(y−1−s)·acc[e, s]``
  and the capital row reads ``c_e·q[j, y] − Σ_{s<y} (1−d)^(y−1−s)·acc[e, s] ≤ (1−d)^y·S0``;
  in year 1 it is the bound ``q[j, 1] ≤ output_j`` (S0 = c_e·output_j);
- accumulation in the last year builds stock nobody uses, so it is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from kuzbass.economy.model import Economy
from kuzbass.planning.targets import PlanInputError


@dataclass
class Formulation:
    """Matrix, bounds and the index maps that turn rows and columns back into words."""

    economy: Economy
    years: int
    targets: pd.DataFrame
    target_group: np.ndarray
    group_names: list[str]
    matrix: sp.csc_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    capital_goods: np.ndarray
    capital_techniques: np.ndarray
    capital_coefficients: np.ndarray
    initial_capital_binds: np.ndarray
    resource_rows: np.ndarray
    resource_available: np.ndarray
    offsets: dict[str, int] = field(default_factory=dict)

    @property
    def n_acc(self) -> int:
        return len(self.capital_goods) * max(self.years - 1, 0)

    @property
    def n_groups(self) -> int:
        return len(self.group_names)

    def q_index(self, technique: int, year: int) -> int:
        return year * self.economy.n_techniques + technique

    def describe_row(self, row: int) -> str:
        """The constraint in words, e.g. "labour in year 2" or "stock of iron held by coal"."""
        economy, offsets = self.economy, self.offsets
        if row < offsets["resources"]:
            year, product = divmod(row, economy.n_products)
            return f"balance of {economy.products[product]}{self._in_year(year)}"
        if row < offsets["capital"]:
            resource, year = self.resource_rows[row - offsets["resources"]]
            return f"{economy.resources[resource]}{self._in_year(year)}"
        if row < offsets["extra"]:
            position = row - offsets["capital"]
            year, entry = divmod(position, len(self.capital_goods))
            return self._stock_words(entry, year + 1)
        return "an added constraint"

    def describe_column(self, column: int) -> str:
        economy, offsets = self.economy, self.offsets
        if column < offsets["acc"]:
            year, technique = divmod(column, economy.n_techniques)
            return f"intensity of technique {economy.techniques[technique]}{self._in_year(year)}"
        if column < offsets["groups"]:
            year, entry = divmod(column - offsets["acc"], len(self.capital_goods))
            good = economy.products[self.capital_goods[entry]]
            technique = economy.techniques[self.capital_techniques[entry]]
            return f"investment in {good} for technique {technique}{self._in_year(year)}"
        return f"fulfilment of {self.group_names[column - offsets['groups']]}"

    def describe_bound(self, technique: int, year: int) -> str:
        """An intensity's upper bound: the technique's capacity or its initial capital stock."""
        name = self.economy.techniques[technique]
        if year == 0 and self.initial_capital_binds[technique]:
            return f"initial capital stock of technique {name}"
        return f"capacity of technique {name}{self._in_year(year)}"

    def _stock_words(self, entry: int, year: int) -> str:
        good = self.economy.products[self.capital_goods[entry]]
        technique = self.economy.techniques[self.capital_techniques[entry]]
        return f"stock of {good} held by technique {technique}{self._in_year(year)}"

    def _in_year(self, year: int) -> str:
        return f" in year {year + 1}" if self.years > 1 else ""


def check_economy(economy: Economy) -> None:
    """Reject what no plan can mean: negative or unknown capacities, outputs or depreciation."""
    for name, capacity in zip(economy.techniques, economy.technique_capacity, strict=True):
        if np.isnan(capacity) or capacity < 0:
            raise PlanInputError(f"technique {name}: capacity {capacity:g} must be ≥ 0")
    for name, output in zip(economy.techniques, economy.technique_output, strict=True):
        if not np.isfinite(output) or output < 0:
            raise PlanInputError(f"technique {name}: declared output {output:g} must be ≥ 0")
    for label, matrix in (
        ("input coefficient", economy.input_coefficients),
        ("resource coefficient", economy.resource_coefficients),
        ("capital coefficient", economy.capital_coefficients),
    ):
        if matrix is None:
            continue
        coo = sp.coo_array(matrix)
        bad = np.flatnonzero(~np.isfinite(coo.data) | (coo.data < 0))
        if len(bad):
            row, column = coo.row[bad[0]], coo.col[bad[0]]
            rows = economy.resources if label == "resource coefficient" else economy.products
            raise PlanInputError(
                f"technique {economy.techniques[column]}: {label} of {rows[row]} is "
                f"{coo.data[bad[0]]:g}; it must be a finite number ≥ 0"
            )
    if economy.depreciation is not None:
        coo = sp.coo_array(economy.depreciation)
        bad = np.flatnonzero(~np.isfinite(coo.data) | (coo.data < 0) | (coo.data > 1))
        if len(bad):
            row, column = coo.row[bad[0]], coo.col[bad[0]]
            raise PlanInputError(
                f"technique {economy.techniques[column]}: depreciation of {economy.products[row]} "
                f"is {coo.data[bad[0]]:g}; it must lie between 0 and 1"
            )


def resource_availability(economy: Economy, years: int) -> np.ndarray:
    """Availability of each resource (row) in each year (column): the schedule, else the default."""
    available = np.repeat(np.asarray(economy.resource_available, float)[:, None], years, axis=1)
    schedule = economy.resource_schedule
    if schedule is not None and len(schedule):
        for record in schedule.to_dict("records"):
            year = int(record["year"])
            if str(record["resource"]) in economy.resources and 1 <= year <= years:
                available[economy.resources.get_loc(record["resource"]), year - 1] = float(
                    record["available"]
                )
    return available


def entries_at(matrix: sp.coo_array, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``matrix[rows[e], cols[e]]`` for every e (0 where not stored), without densifying."""
    matrix = sp.coo_array(matrix)
    matrix.sum_duplicates()
    if not matrix.nnz:
        return np.zeros(len(rows))
    width = matrix.shape[1]
    stored = matrix.row.astype(np.int64) * width + matrix.col
    order = np.argsort(stored)
    stored, data = stored[order], matrix.data[order]
    wanted = np.asarray(rows, np.int64) * width + np.asarray(cols)
    position = np.minimum(np.searchsorted(stored, wanted), len(stored) - 1)
    return np.where(stored[position] == wanted, data[position], 0.0)


def build(
    economy: Economy, targets: pd.DataFrame, years: int, group_keys: list, target_group: np.ndarray
) -> Formulation:
    """Assemble the reduced LP; ``target_group[t]`` is the fulfilment variable of target row t."""
    n, m, Y = economy.n_products, economy.n_techniques, years
    makes = sp.csc_array(
        (np.ones(m), (np.asarray(economy.technique_product), np.arange(m))), shape=(n, m)
    )
    net = sp.csc_array(makes - sp.csc_array(economy.input_coefficients))

    if economy.capital_coefficients is not None:
        capital = sp.coo_array(economy.capital_coefficients)
        keep = capital.data > 0
        goods, techniques, coefficients = capital.row[keep], capital.col[keep], capital.data[keep]
        if economy.depreciation is not None:
            depreciation = entries_at(sp.coo_array(economy.depreciation), goods, techniques)
        else:
            depreciation = np.zeros(len(goods))
    else:
        goods = techniques = np.zeros(0, int)
        coefficients = depreciation = np.zeros(0)
    E = len(goods)
    n_acc = E * max(Y - 1, 0)
    n_groups = len(group_keys)
    offsets = {"acc": m * Y, "groups": m * Y + n_acc}
    n_cols = offsets["groups"] + n_groups

    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    product_block = sp.coo_array(sp.kron(sp.eye_array(Y), net))
    blocks.append((product_block.row, product_block.col, product_block.data))
    for year in range(Y - 1):
        blocks.append(
            (
                year * n + goods,
                offsets["acc"] + year * E + np.arange(E),
                -np.ones(E),
            )
        )
    positive = targets["quantity"].to_numpy() > 0
    product_index = economy.products.get_indexer(pd.Index(targets["product"]))
    year_index = targets["year"].to_numpy() - 1
    blocks.append(
        (
            (year_index * n + product_index)[positive],
            offsets["groups"] + target_group[positive],
            -targets["quantity"].to_numpy()[positive],
        )
    )

    available = resource_availability(economy, Y)
    resource_rows = np.argwhere(np.isfinite(available))
    offsets["resources"] = n * Y
    offsets["capital"] = offsets["resources"] + len(resource_rows)
    resource_matrix = sp.csr_array(economy.resource_coefficients)
    for position, (resource, year) in enumerate(resource_rows):
        row = resource_matrix[[resource], :].tocoo()
        blocks.append(
            (
                np.full(row.nnz, offsets["resources"] + position),
                year * m + row.col,
                row.data,
            )
        )

    capital_rhs = []
    for year in range(1, Y):
        rows = offsets["capital"] + (year - 1) * E + np.arange(E)
        blocks.append((rows, year * m + techniques, coefficients))
        for earlier in range(year):
            blocks.append(
                (
                    rows,
                    offsets["acc"] + earlier * E + np.arange(E),
                    -((1 - depreciation) ** (year - 1 - earlier)),
                )
            )
        capital_rhs.append(
            (1 - depreciation) ** year * coefficients * economy.technique_output[techniques]
        )
    offsets["extra"] = offsets["capital"] + E * max(Y - 1, 0)
    n_rows = offsets["extra"]

    row_index = np.concatenate([block[0] for block in blocks])
    col_index = np.concatenate([block[1] for block in blocks])
    values = np.concatenate([block[2] for block in blocks])
    matrix = sp.csc_array((values, (row_index, col_index)), shape=(n_rows, n_cols))
    matrix.sum_duplicates()

    row_lower = np.concatenate(
        [np.zeros(n * Y), np.full(len(resource_rows), -np.inf), np.full(E * max(Y - 1, 0), -np.inf)]
    )
    row_upper = np.concatenate(
        [
            np.full(n * Y, np.inf),
            available[resource_rows[:, 0], resource_rows[:, 1]] if len(resource_rows) else [],
            np.concatenate(capital_rhs) if capital_rhs else [],
        ]
    )
    capacity = np.asarray(economy.technique_capacity, float)
    has_capital = np.zeros(m, bool)
    has_capital[techniques] = True
    initial = np.where(has_capital, economy.technique_output, np.inf)
    col_upper = np.concatenate(
        [np.minimum(capacity, initial), np.tile(capacity, Y - 1), np.full(n_acc + n_groups, np.inf)]
    )
    return Formulation(
        economy=economy,
        years=Y,
        targets=targets,
        target_group=target_group,
        group_names=[str(key) for key in group_keys],
        matrix=matrix,
        row_lower=row_lower,
        row_upper=np.asarray(row_upper, float),
        col_lower=np.zeros(n_cols),
        col_upper=col_upper,
        capital_goods=goods,
        capital_techniques=techniques,
        capital_coefficients=coefficients,
        initial_capital_binds=initial < capacity,
        resource_rows=resource_rows,
        resource_available=available,
        offsets=offsets,
    )
