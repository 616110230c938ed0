"""docs/design.md "Multi-year plans" variable by variable, as Cockshott's 5yearplan writes it.

Every variable of the published formulation exists (out, flow, stock, acc, lab — here one ``use``
per resource —, final, f) and every constraint is one row. It is the peer the reduced formulation
of :mod:`kuzbass.planning.formulation` is checked and benchmarked against: both must reach the same
optimum Σ_y f_y. An oracle for tests and benchmarks/plan_multiyear.py, not part of the package.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd
import scipy.sparse as sp

from kuzbass.economy.model import Economy
from kuzbass.planning.formulation import check_economy, resource_availability
from kuzbass.planning.targets import economy_targets


@dataclass
class VariableByVariableSolution:
    status: str
    objective: float
    fulfilment: np.ndarray
    variables: int
    constraints: int
    build_seconds: float
    solve_seconds: float


def solve_variable_by_variable(
    economy: Economy,
    targets: pd.DataFrame | None = None,
    years: int | None = None,
    solver: str = "choose",
    options: dict[str, bool | int | float | str] | None = None,
) -> VariableByVariableSolution:
    """Build and solve the multi-year LP of docs/design.md (complete-sets objective Σ_y f_y).

    ``solver`` and ``options`` are passed to HiGHS as they are (e.g. ``simplex_strategy``).
    """
    check_economy(economy)
    started = time.perf_counter()
    Y = economy.years if years is None else years
    table = economy_targets(economy, Y) if targets is None else targets
    n, m = economy.n_products, economy.n_techniques
    inputs = sp.csc_array(economy.input_coefficients)
    capital = sp.csc_array(
        economy.capital_coefficients
        if economy.capital_coefficients is not None
        else sp.csc_array((n, m))
    )
    depreciation = sp.dok_array(
        economy.depreciation if economy.depreciation is not None else sp.csr_array((n, m))
    )
    labour_like = sp.csc_array(economy.resource_coefficients)
    available = resource_availability(economy, Y)

    lower: list[float] = []
    upper: list[float] = []
    cost: list[float] = []

    def variable(low: float = 0.0, high: float = np.inf, objective: float = 0.0) -> int:
        lower.append(low)
        upper.append(high)
        cost.append(objective)
        return len(lower) - 1

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    row_lower: list[float] = []
    row_upper: list[float] = []

    def constraint(terms: list[tuple[int, float]], low: float, high: float) -> None:
        row = len(row_lower)
        for column, value in terms:
            rows.append(row)
            cols.append(column)
            vals.append(value)
        row_lower.append(low)
        row_upper.append(high)

    out = {(j, y): variable(high=economy.technique_capacity[j]) for j in range(m) for y in range(Y)}
    flow, stock, acc, use = {}, {}, {}, {}
    for j in range(m):
        output = economy.technique_output[j]
        for pointer in range(inputs.indptr[j], inputs.indptr[j + 1]):
            k, a = int(inputs.indices[pointer]), float(inputs.data[pointer])
            if a <= 0:
                continue
            for y in range(Y):
                flow[j, k, y] = variable()
                # out[i,y] ≤ (output_i / flow_ki) · flow[i,k,y]
                constraint([(out[j, y], 1.0), (flow[j, k, y], -1.0 / a)], -np.inf, 0.0)
        for pointer in range(capital.indptr[j], capital.indptr[j + 1]):
            k, c = int(capital.indices[pointer]), float(capital.data[pointer])
            if c <= 0:
                continue
            d = float(depreciation[k, j])
            for y in range(Y):
                stock[j, k, y] = variable()
                acc[j, k, y] = variable()
                # out[i,y] ≤ (output_i / cap_ki) · stock[i,k,y]
                constraint([(out[j, y], 1.0), (stock[j, k, y], -1.0 / c)], -np.inf, 0.0)
            # stock[i,k,1] ≤ cap_ki
            constraint([(stock[j, k, 0], 1.0)], -np.inf, c * output)
            for y in range(1, Y):
                # stock[i,k,y] ≤ stock[i,k,y−1] + acc[i,k,y−1] − dep_ki · stock[i,k,y−1]
                constraint(
                    [
                        (stock[j, k, y], 1.0),
                        (stock[j, k, y - 1], -(1.0 - d)),
                        (acc[j, k, y - 1], -1.0),
                    ],
                    -np.inf,
                    0.0,
                )
        for pointer in range(labour_like.indptr[j], labour_like.indptr[j + 1]):
            r, coefficient = int(labour_like.indices[pointer]), float(labour_like.data[pointer])
            if coefficient <= 0:
                continue
            for y in range(Y):
                use[j, r, y] = variable()
                # out[i,y] ≤ (output_i / labour_i) · lab[i,y]
                constraint([(out[j, y], 1.0), (use[j, r, y], -1.0 / coefficient)], -np.inf, 0.0)
    workers: dict[tuple[int, int], list[int]] = {}
    for j, r, y in use:
        workers.setdefault((r, y), []).append(use[j, r, y])
    for r in range(economy.n_resources):
        for y in range(Y):
            if np.isfinite(available[r, y]):
                # Σ_i lab[i,y] ≤ L_y
                terms = [(column, 1.0) for column in workers.get((r, y), [])]
                constraint(terms, -np.inf, available[r, y])

    makers: dict[int, list[int]] = {k: [] for k in range(n)}
    for j in range(m):
        makers[int(economy.technique_product[j])].append(j)
    users: dict[tuple[int, int], list[int]] = {}
    for j, k, y in flow:
        users.setdefault((k, y), []).append(flow[j, k, y])
    holders: dict[tuple[int, int], list[int]] = {}
    for j, k, y in acc:
        holders.setdefault((k, y), []).append(acc[j, k, y])
    final = {(k, y): variable() for k in range(n) for y in range(Y)}
    for k in range(n):
        for y in range(Y):
            # final[k,y] ≤ out[k,y] − Σ_i acc[i,k,y] − Σ_i flow[i,k,y]
            terms = [(final[k, y], 1.0)]
            terms += [(out[j, y], -1.0) for j in makers[k]]
            terms += [(column, 1.0) for column in holders.get((k, y), [])]
            terms += [(column, 1.0) for column in users.get((k, y), [])]
            constraint(terms, -np.inf, 0.0)

    quantity = np.zeros((n, Y))
    for record in table.to_dict("records"):
        quantity[economy.products.get_loc(record["product"]), int(record["year"]) - 1] += float(
            record["quantity"]
        )
    f = {}
    for y in range(Y):
        if not (quantity[:, y] > 0).any():
            continue
        f[y] = variable(objective=1.0)
        for k in np.flatnonzero(quantity[:, y] > 0):
            # f_y ≤ final[k,y] / target[k,y]
            constraint([(f[y], 1.0), (final[k, y], -1.0 / quantity[k, y])], -np.inf, 0.0)

    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("solver", solver)
    for name, value in (options or {}).items():
        highs.setOptionValue(name, value)
    matrix = sp.csc_array((vals, (rows, cols)), shape=(len(row_lower), len(lower)))
    lp = highspy.HighsLp()
    lp.num_row_, lp.num_col_ = matrix.shape
    lp.col_cost_ = np.asarray(cost)
    lp.col_lower_, lp.col_upper_ = np.asarray(lower), np.asarray(upper)
    lp.row_lower_, lp.row_upper_ = np.asarray(row_lower), np.asarray(row_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data
    lp.sense_ = highspy.ObjSense.kMaximize
    highs.passModel(lp)
    built = time.perf_counter()
    highs.run()
    solved = time.perf_counter()
    status = highs.modelStatusToString(highs.getModelStatus()).lower()
    values = np.asarray(highs.getSolution().col_value)
    fulfilment = np.full(Y, np.nan)
    for y, column in f.items():
        fulfilment[y] = values[column]
    return VariableByVariableSolution(
        status=status,
        objective=highs.getInfo().objective_function_value,
        fulfilment=fulfilment,
        variables=matrix.shape[1],
        constraints=matrix.shape[0],
        build_seconds=built - started,
        solve_seconds=solved - built,
    )
