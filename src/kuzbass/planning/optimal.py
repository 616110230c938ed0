"""Optimal plans with HiGHS: complete sets (Kantorovich), priority classes, and harmony.

All three modes share one reduced linear program (:mod:`kuzbass.planning.formulation`) and differ
in their fulfilment variables and objective:

- ``complete-sets``: one fulfilment ``f_y`` per year; net output ≥ f_y·targets; maximise Σ_y f_y
  (for one year this is Kantorovich's z, the number of complete sets);
- ``priorities``: one fulfilment per (priority class, year), each at most 1; class 1 is maximised
  first, then class 2 with class 1 held at its optimum, and so on;
- ``harmony``: one fulfilment per target; maximise Σ weight·H(f − 1) with Cockshott's harmony
  function, exactly, by refined chords and a Lagrangian bound (:mod:`kuzbass.planning.harmony`).

Large single-year plans go through a Leontief basis (:mod:`kuzbass.planning.leontief_basis`),
multi-year complete-sets plans through an interior-point method that eliminates the capital rows
technique by technique (:mod:`kuzbass.planning.interior_point`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import pandas as pd
import scipy.sparse as sp

from kuzbass.economy.model import Economy
from kuzbass.planning.formulation import Formulation, build, check_economy
from kuzbass.planning.harmony import HarmonyObjective, harmony
from kuzbass.planning.interior_point import InteriorPointSolution, solve_interior_point
from kuzbass.planning.leontief_basis import TimeLimitError, solve_by_leontief_basis
from kuzbass.planning.result import PlanResult
from kuzbass.planning.targets import PlanInputError, _check_row, economy_targets, read_targets

MODES = ("complete-sets", "priorities", "harmony")
SOLVERS = {
    "auto": "choose",
    "simplex": "simplex",
    "ipm": "ipm",
    "pdlp": "pdlp",
    "leontief-basis": "leontief-basis",
    "capital-blocks": "capital-blocks",
}
BINDING_TOLERANCE = 1e-9
BINDING_SHARE = 1e-7
"""A valuation below this share of the largest is rounding, not a reason: an interior point
leaves such duals on constraints that hold with equality without binding."""


def optimal_plan(
    economy: Economy,
    targets: pd.DataFrame | str | Path | None = None,
    mode: str = "complete-sets",
    years: int | None = None,
    solver: str = "auto",
    harmony_tolerance: float = 1e-9,
    progress: Callable[[str], None] | None = None,
    time_limit: float | None = None,
) -> PlanResult:
    """The best feasible plan for ``economy`` and its targets.

    ``targets``: a DataFrame or CSV path with ``product,quantity[,year][,priority][,weight]``;
    ``None`` takes the economy's own. ``years`` defaults to the years the economy covers.
    ``solver`` picks the algorithm (auto, HiGHS' simplex, ipm or pdlp, leontief-basis or
    capital-blocks).
    ``time_limit`` (seconds per HiGHS run on the whole LP, or for the whole Leontief-basis or
    capital-blocks method) turns a plan that takes too long into the status "time limit reached".
    """
    if mode not in MODES:
        raise PlanInputError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    if solver not in SOLVERS:
        raise PlanInputError(f"solver {solver!r} is not one of {', '.join(SOLVERS)}")
    plan_years = economy.years if years is None else int(years)
    if plan_years < 1:
        raise PlanInputError(f"years {plan_years} must be at least 1")
    if solver == "leontief-basis" and (mode == "priorities" or plan_years != 1):
        raise PlanInputError(
            "the leontief-basis solver plans complete sets or harmony for one year only"
        )
    if solver == "capital-blocks" and mode != "complete-sets":
        raise PlanInputError("the capital-blocks solver plans complete sets only")
    check_economy(economy)
    table = _targets(economy, targets, plan_years)
    if not (table["quantity"] > 0).any():
        raise PlanInputError("no target asks for a positive quantity: there is nothing to plan for")

    started = time.perf_counter()
    keys, group = _groups(table, mode)
    formulation = build(economy, table, plan_years, keys, group)
    say = progress or (lambda message: None)
    say(
        f"{formulation.matrix.shape[0]:,} constraints × {formulation.matrix.shape[1]:,} "
        f"variables, {formulation.matrix.nnz:,} coefficients"
    )
    algorithm = _choose_solver(formulation, solver, mode)
    stages: list[dict[str, Any]] = []
    info: dict[str, Any] = {"algorithm": algorithm, "build_seconds": time.perf_counter() - started}
    if algorithm == "leontief-basis":
        basis_started = time.perf_counter()
        harmony_mode = mode == "harmony"
        weights = (
            _group_weights(formulation, table) if harmony_mode else np.ones(formulation.n_groups)
        )
        try:
            basis = solve_by_leontief_basis(
                formulation,
                weights,
                say,
                harmony_tolerance if harmony_mode else None,
                time_limit=time_limit,
            )
        except TimeLimitError:
            return _timed_out(
                "the Leontief basis method reached the time limit", mode, plan_years, info
            )
        if basis is not None:
            if basis.harmony is not None:
                info.update(
                    harmony_rounds=basis.harmony.rounds,
                    harmony_segments=basis.harmony.segment_count,
                    harmony_upper_bound=basis.harmony.upper,
                )
            info.update(
                solve_seconds=time.perf_counter() - basis_started,
                gap=basis.gap,
                leontief_rounds=basis.rounds,
                leontief_product_rows=basis.rows,
                leontief_policy_changes=basis.policy_changes,
                max_primal_infeasibility=basis.max_infeasibility,
                variables=formulation.matrix.shape[1],
                constraints=formulation.matrix.shape[0],
            )
            final = {
                "col_value": basis.col_value,
                "row_dual": basis.row_dual,
                "col_dual": basis.col_dual,
            }
            return _result(final, formulation, table, mode, basis.objective, stages, info)
        # infeasible or unbounded: the simplex method names the constraints or activities why
        info["fallback"] = (
            "the Leontief basis method did not decide this plan (infeasible or unbounded); "
            "HiGHS' simplex method took over"
        )
        say(info["fallback"])
        algorithm = info["algorithm"] = "simplex"
    if algorithm == "capital-blocks":
        blocks_started = time.perf_counter()
        point = _capital_blocks(formulation, say, time_limit)
        point_status = "linear algebra failed" if point is None else point.status
        if point is not None and point.status == "time limit reached":
            words = (
                f"the interior-point method reached the time limit at step {point.iterations}, "
                f"at a relative gap of {point.gap:.1e}"
            )
            return _timed_out(words, mode, plan_years, info)
        if point is not None and point.status == "optimal":
            final, gap, dual_infeasibility = _cleaned(point, formulation)
            info.update(
                solve_seconds=time.perf_counter() - blocks_started,
                gap=gap,
                ipm_iterations=point.iterations,
                max_primal_infeasibility=point.max_infeasibility,
                max_dual_infeasibility=dual_infeasibility,
                variables=formulation.matrix.shape[1],
                constraints=formulation.matrix.shape[0],
            )
            stages.append({"name": "complete sets", "rows": formulation.offsets["extra"]})
            return _result(final, formulation, table, mode, point.objective, stages, info)
        # infeasible or unbounded: the simplex method names the constraints or activities why
        where = (
            "" if point is None else f" at step {point.iterations}, relative gap {point.gap:.1e}"
        )
        info["fallback"] = (
            f"the capital-blocks interior-point method stopped ({point_status}{where}); "
            "HiGHS' primal simplex took over"
        )
        say(info["fallback"])
        algorithm = info["algorithm"] = "primal-simplex"
    highs = _highs(formulation, algorithm)
    if time_limit is not None:
        highs.setOptionValue("time_limit", float(time_limit))
    built = time.perf_counter()

    if mode == "complete-sets":
        _set_costs(highs, formulation, np.ones(formulation.n_groups))
        status = _run(highs)
        objective = highs.getInfo().objective_function_value
        stages.append({"name": "complete sets", "rows": formulation.offsets["extra"]})
    elif mode == "priorities":
        status, objective = _priorities(highs, formulation, keys, stages, say)
    else:
        status, objective = _harmony(highs, formulation, table, harmony_tolerance, info, say)
        stages.append({"name": "harmony", "rows": formulation.offsets["extra"]})

    info["solve_seconds"] = time.perf_counter() - built
    run_info = highs.getInfo()
    info["simplex_iterations"] = run_info.simplex_iteration_count
    info["ipm_iterations"] = run_info.ipm_iteration_count
    info["pdlp_iterations"] = run_info.pdlp_iteration_count
    info["max_primal_infeasibility"] = run_info.max_primal_infeasibility
    info["max_dual_infeasibility"] = run_info.max_dual_infeasibility
    info["variables"], info["constraints"] = formulation.matrix.shape[1], highs.getNumRow()
    if status != "optimal":
        return PlanResult(
            status=status,
            mode=mode,
            years=plan_years,
            problems=_problems(highs, formulation, status),
            solver=info,
            fallback=info.get("fallback"),
        )
    if mode != "harmony":
        info["gap"] = _lp_gap(highs)
    return _result(_duals(highs), formulation, table, mode, objective, stages, info)


def _timed_out(words: str, mode: str, years: int, info: dict[str, Any]) -> PlanResult:
    """A plan stopped by its time limit: the status and, in words, where it stopped."""
    return PlanResult(
        status="time limit reached", mode=mode, years=years, problems=[words], solver=info
    )


def _targets(
    economy: Economy, targets: pd.DataFrame | str | Path | None, years: int
) -> pd.DataFrame:
    if targets is None:
        return economy_targets(economy, years)
    if isinstance(targets, str | Path):
        return read_targets(targets, economy, years)
    rows = [
        _check_row(record, f"target {number}", economy, years)
        for number, record in enumerate(targets.to_dict("records"), start=1)
    ]
    return pd.DataFrame(rows, columns=["product", "quantity", "year", "priority", "weight"])


def _groups(table: pd.DataFrame, mode: str) -> tuple[list, np.ndarray]:
    """Which fulfilment variable each target row shares (−1 for targets asking for nothing)."""
    positive = table["quantity"].to_numpy() > 0
    if mode == "complete-sets":
        labels = [f"targets of year {year}" for year in table["year"]]
    elif mode == "priorities":
        labels = [
            f"priority class {priority} in year {year}"
            for priority, year in zip(table["priority"], table["year"], strict=True)
        ]
    else:
        labels = [
            f"target {row + 1} ({product} in year {year})"
            for row, (product, year) in enumerate(zip(table["product"], table["year"], strict=True))
        ]
    keys: list = []
    index: dict = {}
    group = np.full(len(table), -1)
    for row, label in enumerate(labels):
        if not positive[row]:
            continue
        if label not in index:
            index[label] = len(keys)
            keys.append(label)
        group[row] = index[label]
    return keys, group


PDLP_FROM_COEFFICIENTS = 20_000
"""Single-year plans with more coefficients go to PDLP (see ``_choose_solver``)."""
CLEAN_BELOW = 1e-9
"""Interior-point duals below this share of the largest are read as zero."""
CAPITAL_BLOCKS_FROM = 400
CAPITAL_BLOCKS_UP_TO = 10_000
"""Multi-year complete-sets plans with this many balance and resource rows (products × years) go
to the capital-blocks interior-point method, whose every step factors a dense matrix of that
order (10⁴: 0.8 GB and ~25 s a step); below 400 rows HiGHS' primal simplex is faster."""


def _choose_solver(formulation: Formulation, solver: str, mode: str) -> str:
    """The algorithm for ``auto``, from measurements in benchmarks/README.md.

    The basis of a plan contains I − A, whose inverse (the Leontief inverse) is dense, so every
    simplex iteration costs about a dense solve. From ~2·10⁴ coefficients (2,000 products)
    single-year complete-sets and harmony plans go through a Leontief basis
    (:mod:`kuzbass.planning.leontief_basis`; 0.2 s at 2,000 products, where HiGHS' dual simplex
    took 3.7–20 s and PDLP 0.6–0.9 s), priority plans to the matrix-free PDLP. Multi-year
    complete-sets plans with 400 to 10⁴ balance rows go to the capital-blocks interior-point
    method (25 steps where the simplex method takes ~3,000; 0.4 s against 0.55 s at 100
    industries × 5 years, 18 s against 336 s at 600 × 5); other multi-year
    plans start feasible at zero output, where the primal simplex needs 40% fewer iterations
    than the dual and a fifth of its time.
    """
    if solver != "auto":
        return solver
    if formulation.years == 1 and formulation.matrix.nnz >= PDLP_FROM_COEFFICIENTS:
        return "pdlp" if mode == "priorities" else "leontief-basis"
    if formulation.years == 1:
        return "auto"
    dense_rows = formulation.offsets["capital"]
    if mode == "complete-sets" and CAPITAL_BLOCKS_FROM <= dense_rows <= CAPITAL_BLOCKS_UP_TO:
        return "capital-blocks"
    return "primal-simplex"


def _capital_blocks(
    formulation: Formulation, say: Callable[[str], None], time_limit: float | None
) -> InteriorPointSolution | None:
    """The complete-sets plan by :mod:`kuzbass.planning.interior_point` (None: LAPACK failed)."""
    try:
        point = solve_interior_point(
            formulation.matrix,
            formulation.row_lower,
            formulation.row_upper,
            formulation.col_upper,
            _complete_sets_cost(formulation),
            dense_rows=formulation.offsets["capital"],
            tolerance=1e-10,
            progress=say,
            time_limit=time_limit,
        )
    except np.linalg.LinAlgError:
        return None
    return point


def _complete_sets_cost(formulation: Formulation) -> np.ndarray:
    """Σ_y f_y as a cost vector: one for every fulfilment variable."""
    cost = np.zeros(formulation.matrix.shape[1])
    cost[formulation.offsets["groups"] :] = 1.0
    return cost


def _cleaned(
    point: InteriorPointSolution, formulation: Formulation
) -> tuple[dict[str, np.ndarray], float, float]:
    """The interior optimum's duals with what is zero up to their accuracy set to zero, and the gap.

    An interior-point method stops a little inside every bound, so a dual below 1e-9 of the
    largest is that distance, not a valuation; the plan itself is kept as it is, since moving a
    value to its bound could break a constraint that the interior point meets. The gap is weak
    duality on the whole LP, from reduced costs recomputed from the row duals.
    """
    x = point.col_value
    upper = formulation.col_upper
    upper_row = np.isfinite(formulation.row_upper)
    row_dual = np.where(upper_row, np.maximum(point.row_dual, 0.0), np.minimum(point.row_dual, 0.0))
    row_dual[np.abs(row_dual) < CLEAN_BELOW * max(1.0, float(np.abs(row_dual).max()))] = 0.0
    col_dual = _complete_sets_cost(formulation) - formulation.matrix.T @ row_dual
    row_bound = np.where(upper_row, formulation.row_upper, formulation.row_lower)
    finite_upper = np.isfinite(upper)
    dual_objective = float(
        row_dual @ row_bound + (np.maximum(col_dual, 0.0)[finite_upper] @ upper[finite_upper])
    )
    dual_infeasibility = float(np.maximum(col_dual[~finite_upper], 0.0).max(initial=0.0))
    gap = abs(point.objective - dual_objective) / max(1.0, abs(point.objective))
    final = {"col_value": x, "row_dual": row_dual, "col_dual": col_dual}
    return final, gap, dual_infeasibility


def _highs(formulation: Formulation, chosen: str) -> highspy.Highs:
    """HiGHS holding the formulation, set to run ``chosen`` (a value of ``_choose_solver``)."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    if chosen == "primal-simplex":
        highs.setOptionValue("solver", "simplex")
        highs.setOptionValue("simplex_strategy", 4)
    else:
        highs.setOptionValue("solver", SOLVERS[chosen])
        highs.setOptionValue("pdlp_optimality_tolerance", 1e-9)
    lp = highspy.HighsLp()
    matrix = formulation.matrix
    lp.num_row_, lp.num_col_ = matrix.shape
    lp.col_cost_ = np.zeros(matrix.shape[1])
    lp.col_lower_, lp.col_upper_ = formulation.col_lower, formulation.col_upper
    lp.row_lower_, lp.row_upper_ = formulation.row_lower, formulation.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(float)
    lp.sense_ = highspy.ObjSense.kMaximize
    highs.passModel(lp)
    return highs


def _set_costs(highs: highspy.Highs, formulation: Formulation, group_costs: np.ndarray) -> None:
    columns = formulation.offsets["groups"] + np.arange(formulation.n_groups)
    highs.changeColsCost(len(columns), columns.astype(np.int32), np.asarray(group_costs, float))


def _run(highs: highspy.Highs) -> str:
    highs.run()
    status = highs.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return "optimal"
    if status in (highspy.HighsModelStatus.kInfeasible,):
        return "infeasible"
    if status == highspy.HighsModelStatus.kUnbounded:
        return "unbounded"
    if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
        highs.setOptionValue("presolve", "off")
        highs.setOptionValue("solver", "simplex")
        return _run(highs)
    return highs.modelStatusToString(status).lower()


def _priorities(
    highs: highspy.Highs,
    formulation: Formulation,
    keys: list,
    stages: list[dict[str, Any]],
    say: Callable[[str], None],
) -> tuple[str, float]:
    """Lexicographic: each class fulfilled as far as it can be (at most 100%) after those above."""
    classes = np.array([int(str(key).split()[2]) for key in keys])
    columns = formulation.offsets["groups"] + np.arange(len(keys))
    highs.changeColsBounds(
        len(columns), columns.astype(np.int32), np.zeros(len(columns)), np.ones(len(columns))
    )
    objective = 0.0
    status = "optimal"
    for priority in sorted(set(classes)):
        members = classes == priority
        _set_costs(highs, formulation, members.astype(float))
        stage_start = highs.getNumRow()
        status = _run(highs)
        if status != "optimal":
            return status, objective
        best = highs.getInfo().objective_function_value
        say(f"priority class {priority}: fulfilment {best / members.sum():.6f}")
        stages.append({"name": f"priority class {priority}", "rows": stage_start, "value": best})
        stages[-1]["duals"] = _duals(highs)
        objective += best
        if priority != max(classes):
            highs.addRow(
                best - 1e-9 * max(1.0, abs(best)),
                np.inf,
                int(members.sum()),
                columns[members].astype(np.int32),
                np.ones(int(members.sum())),
            )
    return status, objective


def _harmony(
    highs: highspy.Highs,
    formulation: Formulation,
    table: pd.DataFrame,
    tolerance: float,
    info: dict[str, Any],
    say: Callable[[str], None],
) -> tuple[str, float]:
    """Harmony by refined chords and a Lagrangian bound (:mod:`kuzbass.planning.harmony`)."""
    objective = HarmonyObjective(
        highs,
        formulation.offsets["groups"] + np.arange(formulation.n_groups),
        _group_weights(formulation, table),
    )
    status = objective.solve(tolerance, _run, say)
    info.update(
        harmony_rounds=objective.rounds,
        harmony_segments=objective.segment_count,
        gap=objective.gap,
        harmony_upper_bound=objective.upper,
    )
    return status, objective.value() if status == "optimal" else np.nan


def _group_weights(formulation: Formulation, table: pd.DataFrame) -> np.ndarray:
    """Each fulfilment variable's weight (harmony has one per target row asking for something)."""
    weights = np.zeros(formulation.n_groups)
    positive = formulation.target_group >= 0
    weights[formulation.target_group[positive]] = table["weight"].to_numpy()[positive]
    return weights


def _duals(highs: highspy.Highs) -> dict[str, np.ndarray]:
    solution = highs.getSolution()
    return {
        "row_dual": np.asarray(solution.row_dual),
        "col_dual": np.asarray(solution.col_dual),
        "col_value": np.asarray(solution.col_value),
    }


def _lp_gap(highs: highspy.Highs) -> float:
    """Relative gap between the primal objective and the dual objective of HiGHS' solution."""
    lp = highs.getLp()
    solution = highs.getSolution()
    row_dual = np.asarray(solution.row_dual)
    col_dual = np.asarray(solution.col_dual)
    row_bound = np.where(row_dual > 0, lp.row_upper_, lp.row_lower_)
    col_bound = np.where(col_dual > 0, lp.col_upper_, lp.col_lower_)
    dual_objective = float(
        (row_dual[row_dual != 0] * row_bound[row_dual != 0]).sum()
        + (col_dual[col_dual != 0] * col_bound[col_dual != 0]).sum()
    )
    primal = highs.getInfo().objective_function_value
    return abs(primal - dual_objective) / max(1.0, abs(primal))


def _problems(highs: highspy.Highs, formulation: Formulation, status: str) -> list[str]:
    """The constraints behind an infeasible plan (an IIS) or the activities of an unbounded one."""
    if status == "infeasible":
        highs.setOptionValue("iis_strategy", 1)
        found, iis = highs.getIis()
        words = [_row_words(formulation, int(row)) for row in iis.row_index_] + [
            formulation.describe_column(int(column)) + " ≥ 0" for column in iis.col_index_
        ]
        if found == highspy.HighsStatus.kOk and words:
            return ["these constraints cannot all hold, even with nothing produced:", *words]
        return ["no plan meets every constraint (no smaller set of conflicting constraints found)"]
    if status == "unbounded":
        _, has_ray, ray = highs.getPrimalRay()  # type: ignore[attr-defined]
        if has_ray:
            columns = np.flatnonzero(np.abs(ray[: formulation.matrix.shape[1]]) > 1e-9)
            return [
                "these activities can grow without limit: no resource, capacity or capital stock "
                "limits them:",
                *[formulation.describe_column(int(column)) for column in columns],
            ]
        return ["the plan is unbounded: some targeted product can be made without limit"]
    return [f"HiGHS stopped with status {status!r}"]


def _row_words(formulation: Formulation, row: int) -> str:
    lower, upper = formulation.row_lower[row], formulation.row_upper[row]
    if np.isfinite(upper):
        return f"{formulation.describe_row(row)} (at most {upper:g})"
    return f"{formulation.describe_row(row)} (at least {lower:g})"


def _result(
    final: dict[str, np.ndarray],
    formulation: Formulation,
    table: pd.DataFrame,
    mode: str,
    objective: float,
    stages: list[dict[str, Any]],
    info: dict[str, Any],
) -> PlanResult:
    economy, Y = formulation.economy, formulation.years
    n, m = economy.n_products, economy.n_techniques
    offsets = formulation.offsets
    columns = formulation.matrix.shape[1]
    x, row_dual = final["col_value"][:columns], final["row_dual"]
    col_dual = final["col_dual"][:columns]
    q = x[: m * Y].reshape(Y, m)
    E = len(formulation.capital_goods)
    acc = x[offsets["acc"] : offsets["groups"]].reshape(max(Y - 1, 0), E)
    fulfilment_by_group = x[offsets["groups"] : offsets["groups"] + formulation.n_groups]

    activity = formulation.matrix @ x
    years = np.repeat(np.arange(1, Y + 1), n)
    net_output = activity[: n * Y]
    targets = table.copy()
    group = formulation.target_group
    targets["fulfilment"] = np.where(group >= 0, fulfilment_by_group[np.maximum(group, 0)], 1.0)
    targets["delivered"] = targets["quantity"] * targets["fulfilment"]
    if mode == "harmony":
        targets["harmony"] = np.where(
            group >= 0, harmony(targets["fulfilment"].to_numpy() - 1), 0.0
        )

    products = pd.DataFrame(
        {
            "product": np.tile(np.asarray(economy.products, object), Y),
            "year": years,
            "net_output": net_output + _target_draw(formulation, fulfilment_by_group),
            "valuation": -row_dual[: n * Y],
        }
    )

    resource_use = (
        np.column_stack([economy.resource_coefficients @ q[year] for year in range(Y)])
        if economy.n_resources
        else np.zeros((0, Y))
    )
    resource_valuation = np.zeros((economy.n_resources, Y))
    rows = formulation.resource_rows
    if len(rows):
        resource_valuation[rows[:, 0], rows[:, 1]] = row_dual[
            offsets["resources"] : offsets["capital"]
        ]
    resources = pd.DataFrame(
        {
            "resource": np.repeat(np.asarray(economy.resources, object), Y),
            "year": np.tile(np.arange(1, Y + 1), economy.n_resources),
            "available": formulation.resource_available.ravel(),
            "use": resource_use.ravel(),
            "valuation": resource_valuation.ravel(),
        }
    )

    product_valuation = -row_dual[: n * Y].reshape(Y, n)
    net = sp.csc_array(
        sp.csc_array((np.ones(m), (economy.technique_product, np.arange(m))), shape=(n, m))
        - economy.input_coefficients
    )
    value_of_output = np.vstack([net.T @ product_valuation[year] for year in range(Y)])
    resource_cost = np.vstack(
        [economy.resource_coefficients.T @ resource_valuation[:, year] for year in range(Y)]
    )
    intensities = pd.DataFrame(
        {
            "technique": np.tile(np.asarray(economy.techniques, object), Y),
            "product": np.tile(np.asarray(economy.products[economy.technique_product], object), Y),
            "year": np.repeat(np.arange(1, Y + 1), m),
            "intensity": q.ravel(),
            "upper_bound": formulation.col_upper[: m * Y],
            "net_value": value_of_output.ravel(),
            "resource_cost": resource_cost.ravel(),
            "capacity_valuation": np.maximum(col_dual[: m * Y], 0.0),
        }
    )

    investment = pd.DataFrame(
        {
            "technique": np.tile(
                np.asarray(economy.techniques[formulation.capital_techniques], object),
                max(Y - 1, 0),
            ),
            "product": np.tile(
                np.asarray(economy.products[formulation.capital_goods], object), max(Y - 1, 0)
            ),
            "year": np.repeat(np.arange(1, Y), E),
            "quantity": acc.ravel(),
        }
    )
    largest = float(investment["quantity"].max()) if len(investment) else 0.0
    listed = investment["quantity"] > 1e-9 * max(1.0, largest)
    investment = investment[listed].reset_index(drop=True)

    binding = _binding(formulation, row_dual, col_dual, x, len(stages) and stages[-1]["rows"])
    stage_binding = {
        stage["name"]: _binding(
            formulation,
            stage["duals"]["row_dual"],
            stage["duals"]["col_dual"],
            stage["duals"]["col_value"],
            stage["rows"],
        )
        for stage in stages
        if "duals" in stage
    }
    explanations = []
    short = targets[targets["fulfilment"] < 1 - 1e-7]
    reasons_for: dict[tuple[str, int], list[dict[Any, Any]]] = {}
    for record in short.to_dict("records"):
        stage = f"priority class {record['priority']}" if mode == "priorities" else ""
        key = (stage, int(record["year"]))
        if key not in reasons_for:
            reasons = stage_binding.get(stage, binding)
            same_year = reasons["year"] == key[1]
            ranked = pd.concat([reasons[same_year].head(8), reasons[~same_year].head(8)])
            reasons_for[key] = ranked.head(8).to_dict("records")
        explanations.append(
            {
                "product": record["product"],
                "year": record["year"],
                "quantity": record["quantity"],
                "fulfilment": record["fulfilment"],
                "binding": reasons_for[key],
            }
        )
    info.setdefault("gap", 0.0)
    return PlanResult(
        status="optimal",
        mode=mode,
        years=Y,
        objective=float(objective),
        gap=float(info["gap"]),
        targets=targets,
        intensities=intensities,
        resources=resources,
        products=products,
        investment=investment,
        binding=binding,
        explanations=explanations,
        solver=info,
        fallback=info.get("fallback"),
    )


def _target_draw(formulation: Formulation, fulfilment: np.ndarray) -> np.ndarray:
    """What the targets take out of each product balance row, added back to show net output."""
    columns = formulation.matrix[
        : formulation.economy.n_products * formulation.years,
        formulation.offsets["groups"] : formulation.offsets["groups"] + formulation.n_groups,
    ]
    return -(columns @ fulfilment)


def _binding(
    formulation: Formulation,
    row_dual: np.ndarray,
    col_dual: np.ndarray,
    x: np.ndarray,
    stage_rows: int,
) -> pd.DataFrame:
    """Constraints with a positive valuation, in words, most valuable first."""
    offsets = formulation.offsets
    m = formulation.economy.n_techniques
    limits = row_dual[offsets["resources"] : offsets["extra"]]
    bounds = col_dual[: m * formulation.years]
    largest = max(float(limits.max(initial=0.0)), float(bounds.max(initial=0.0)))
    tolerance = max(BINDING_TOLERANCE, BINDING_SHARE * largest)
    entries = []
    for row in np.flatnonzero(limits > tolerance):
        row = int(row) + offsets["resources"]
        if row < offsets["capital"]:
            kind, year = "resource", int(formulation.resource_rows[row - offsets["resources"]][1])
        else:
            kind = "capital stock"
            year = (row - offsets["capital"]) // max(len(formulation.capital_goods), 1) + 1
        entries.append((formulation.describe_row(row), kind, year + 1, float(row_dual[row])))
    for column in np.flatnonzero(bounds > tolerance):
        year, technique = divmod(int(column), m)
        words = formulation.describe_bound(technique, year)
        kind = "capital stock" if words.startswith("initial") else "capacity"
        entries.append((words, kind, year + 1, float(col_dual[column])))
    for row in range(offsets["extra"], min(stage_rows, len(row_dual))):
        if row_dual[row] < -tolerance:
            words = "fulfilment held for a higher priority class"
            entries.append((words, "priority", 0, float(-row_dual[row])))
    frame = pd.DataFrame(entries, columns=["constraint", "kind", "year", "valuation"])
    frame["gain_per_unit"] = frame["valuation"]
    return frame.sort_values("valuation", ascending=False, kind="stable").reset_index(drop=True)
