"""Single-year plans solved through a Leontief basis: the LP reduced to the constraints that bind.

A general LP solver does not see why large plans are easy. At an optimal vertex almost every
product is made by one technique, so the basis holds a square Leontief matrix I − A_π (π: the
technique chosen for each product) whose inverse H is dense: every simplex step then costs about
a dense solve, and interior-point and first-order methods stall on the same structure
(benchmarks/README.md, "Planning engine II"). Here H is never formed. Products are made by their
policy technique π, whose intensities are x_π = H (T f − N_o x_o) for fulfilments f and the
intensities x_o of every other technique; the LP over (f, x_o) keeps only

- the resource rows (labour, land, …): their coefficients are R_π H T and R_o − R_π H N_o, from
  one solve with (I − A_π)ᵀ per resource (the resource's "values"), and
- the rows 0 ≤ (x_π)_i ≤ capacity_i of the products whose policy technique reaches a bound, each
  row from one solve with (I − A_π)ᵀ; the others are checked after every solve (one solve with
  I − A_π gives x_π) and added only when violated.

π starts as the technique with the least resource cost per unit (Bellman's policy iteration on
the cost values, the way labour values choose techniques in the non-substitution theorem) and is
re-chosen at the reduced LP's resource prices until it no longer changes. The LP's duals give
the product valuations p = w R_π H + ν H_S, so a plan comes with a certificate: every technique's
reduced cost, and a dual bound from (p⁺, w) whose relative distance to the plan is the reported
gap. Nothing is assumed about which constraints bind; a wrong guess only costs more rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from kuzbass.linalg import NotProductiveError, solve_leontief
from kuzbass.planning.formulation import Formulation
from kuzbass.planning.harmony import HarmonyObjective

SOLVE_TOLERANCE = 1e-12
"""Relative residual of every Leontief solve; the plan's balances inherit it."""
FEASIBILITY_TOLERANCE = 1e-9
"""A policy intensity this far (relative to its capacity or the largest intensity) outside its
bounds brings its row into the reduced LP."""
MAX_ROUNDS = 60
ROUGH_HARMONY = 1e-4
"""Harmony gap to which chords are refined while product rows are still being found: the rows
depend on the plan only roughly, and each row round moves the plan."""
ROW_BLOCK = 256
"""Rows of H computed per call (each is an n-vector; a block of 256 at 10⁶ products is 2 GB)."""


@dataclass
class BasisSolution:
    """An optimal plan found through a Leontief basis, in the formulation's own terms."""

    col_value: np.ndarray
    row_dual: np.ndarray
    col_dual: np.ndarray
    objective: float
    gap: float
    rounds: int
    rows: int
    policy_changes: int
    max_infeasibility: float
    harmony: HarmonyObjective | None


class TimeLimitError(Exception):
    """The plan's time limit passed before the Leontief basis reached its optimum."""


def solve_by_leontief_basis(
    formulation: Formulation,
    weights: np.ndarray,
    say: Callable[[str], None],
    harmony_tolerance: float | None = None,
    time_limit: float | None = None,
) -> BasisSolution | None:
    """Maximise Σ weights·f over a one-year ``formulation`` — or, given ``harmony_tolerance``,
    Σ weights·H(f − 1). None when this method does not apply (an unbounded or infeasible reduced
    LP, a policy that is not productive, a solve that does not converge), so that the caller
    falls back to a general solver, which also explains such plans. Raises TimeLimitError
    when ``time_limit`` seconds pass first (checked before every run of the reduced LP, at least
    once a round).
    """
    if formulation.years != 1:
        raise ValueError("a Leontief basis plans one year at a time")
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    plan = _Plan(formulation, np.asarray(weights, float), say, harmony_tolerance, deadline)
    try:
        return plan.solve()
    except NotProductiveError:
        return None


class _Plan:
    def __init__(
        self,
        formulation: Formulation,
        group_costs: np.ndarray,
        say: Callable[[str], None],
        harmony_tolerance: float | None,
        deadline: float | None,
    ) -> None:
        self.harmony_tolerance = harmony_tolerance
        self.deadline = deadline
        economy = formulation.economy
        self.say = say
        self.n, self.m = economy.n_products, economy.n_techniques
        n, m = self.n, self.m
        offsets = formulation.offsets
        matrix = sp.csr_array(formulation.matrix)
        self.inputs = sp.csc_array(economy.input_coefficients)
        self.net = sp.csc_array(matrix[:n, :m])
        self.makes = np.asarray(economy.technique_product)
        groups = slice(offsets["groups"], offsets["groups"] + formulation.n_groups)
        self.targets = sp.csc_array(-matrix[:n, groups])
        resource_rows = slice(offsets["resources"], offsets["capital"])
        self.resources = sp.csr_array(matrix[resource_rows, :m])
        self.available = formulation.row_upper[resource_rows]
        self.capacity = formulation.col_upper[:m]
        self.group_costs = group_costs
        self.group_lower = formulation.col_lower[groups]
        self.group_upper = formulation.col_upper[groups]

    def solve(self) -> BasisSolution | None:
        started = time.perf_counter()
        k = len(self.available)
        scarcity = 1.0 / np.maximum(self.available, 1e-12 * float(self.available.max(initial=1.0)))
        first = np.full(self.n, -1)
        first[self.makes[::-1]] = np.arange(self.m)[::-1]
        policy = self._cheapest(first, self.resources.T @ scarcity if k else np.zeros(self.m))
        changes = 0
        for attempt in range(10):
            self._factor(policy)
            lp = self._reduced_lp()
            if self._run(lp) != "optimal":
                return None
            prices = np.asarray(lp.getSolution().row_dual)
            if not (prices > 0).any() or attempt == 9:
                break
            better = self._cheapest(policy, self.resources.T @ prices)
            moved = int((better != policy).sum())
            self.say(f"technique choice at the resource prices: {moved:,} products change")
            if not moved:
                break
            changes += moved
            policy = better

        harmony = None
        if self.harmony_tolerance is not None:
            harmony = HarmonyObjective(lp, np.arange(self.groups), self.group_costs)
        rows = np.zeros(0, int)
        final = self.harmony_tolerance or 0.0
        tolerance = max(final, ROUGH_HARMONY)
        for rounds in range(1, MAX_ROUNDS + 1):
            status = (
                self._run(lp) if harmony is None else harmony.solve(tolerance, self._run, self.say)
            )
            if status != "optimal":
                return None
            solution = lp.getSolution()
            values = np.asarray(solution.col_value)
            fulfilment = values[: self.groups]
            others = values[self.groups : self.groups + len(self.others)]
            chosen = self._policy_intensity(fulfilment, others)
            violation = self._violation(chosen)
            violation[rows] = 0.0
            new = np.flatnonzero(violation > FEASIBILITY_TOLERANCE)
            objective = (
                lp.getInfo().objective_function_value if harmony is None else harmony.value()
            )
            self.say(
                f"Leontief basis round {rounds}: objective {objective:.10g}, "
                f"{len(rows):,} product rows, {len(new):,} more needed"
            )
            if not len(new):
                if harmony is None or tolerance == final:
                    break
                tolerance = final
                continue
            self._add_rows(lp, new)
            rows = np.concatenate([rows, new])
        else:
            return None

        duals = np.asarray(solution.row_dual)
        prices, bound_duals = duals[:k], duals[self.bound_rows]
        valuation = prices @ self.resource_values + bound_duals @ self.row_values
        reduced = self.net.T @ valuation - self.resources.T @ prices
        intensity = np.zeros(self.m)
        intensity[self.policy] = chosen
        intensity[self.others] = others
        if harmony is None:
            objective = float(self.group_costs @ fulfilment)
            gap = self._gap(valuation, prices, objective)
        else:
            objective, gap = harmony.value(), harmony.gap
        self.say(f"Leontief basis: {time.perf_counter() - started:.1f} s, gap {gap:.1e}")
        return BasisSolution(
            col_value=np.concatenate([intensity, fulfilment]),
            row_dual=np.concatenate([-valuation, prices]),
            col_dual=np.concatenate([reduced, np.asarray(solution.col_dual)[: self.groups]]),
            objective=objective,
            gap=gap,
            rounds=rounds,
            rows=len(rows),
            policy_changes=changes,
            max_infeasibility=float(self._violation(chosen).max(initial=0.0)),
            harmony=harmony,
        )

    def _run(self, lp: highspy.Highs) -> str:
        """Run the reduced LP within what is left of the time limit."""
        if self.deadline is not None:
            left = self.deadline - time.perf_counter()
            if left <= 0:
                raise TimeLimitError
            lp.setOptionValue("time_limit", left)
        lp.run()
        status = lp.getModelStatus()
        if status == highspy.HighsModelStatus.kTimeLimit:
            raise TimeLimitError
        return "optimal" if status == highspy.HighsModelStatus.kOptimal else "other"

    @property
    def groups(self) -> int:
        return self.targets.shape[1]

    def _cheapest(self, policy: np.ndarray, cost: np.ndarray) -> np.ndarray:
        """Policy iteration: each product's least-cost technique at the cost values it implies."""
        for _ in range(50):
            chosen = sp.csr_array(self.inputs[:, policy])
            values, _ = solve_leontief(chosen.T, cost[policy], tolerance=SOLVE_TOLERANCE)
            unit = cost + self.inputs.T @ values
            order = np.lexsort((unit, self.makes))
            first = np.r_[True, self.makes[order][1:] != self.makes[order][:-1]]
            best = np.empty(self.n, int)
            best[self.makes[order][first]] = order[first]
            better = unit[best] < unit[policy] - 1e-10 * np.abs(unit[policy])
            if not better.any():
                return policy
            policy = np.where(better, best, policy)
        return policy

    def _factor(self, policy: np.ndarray) -> None:
        """Everything the reduced LP needs from one policy: A_π, the other techniques, R_π H."""
        self.policy = policy
        self.chosen = sp.csr_array(self.inputs[:, policy])
        self.chosen_t = sp.csr_array(self.chosen.T)
        mask = np.ones(self.m, bool)
        mask[policy] = False
        self.others = np.flatnonzero(mask)
        self.net_others = sp.csc_array(self.net[:, self.others])
        chosen_resources = self.resources[:, policy]
        if chosen_resources.shape[0]:
            values, _ = solve_leontief(
                self.chosen_t, chosen_resources.toarray().T, tolerance=SOLVE_TOLERANCE
            )
            self.resource_values = np.atleast_2d(values.T)
        else:
            self.resource_values = np.zeros((0, self.n))
        self.row_values = np.zeros((0, self.n))
        self.bound_rows = np.zeros(0, int)

    def _coefficients(self, values: np.ndarray) -> np.ndarray:
        """Rows (values · H) of the policy intensities as functions of (f, x_o)."""
        return np.hstack([values @ self.targets, -(self.net_others.T @ values.T).T])

    def _reduced_lp(self) -> highspy.Highs:
        lp = highspy.Highs()
        lp.setOptionValue("output_flag", False)
        lp.setOptionValue("primal_feasibility_tolerance", 1e-10)
        lp.setOptionValue("dual_feasibility_tolerance", 1e-10)
        others = len(self.others)
        resource_rows = self._coefficients(self.resource_values)
        resource_rows[:, self.groups :] += self.resources[:, self.others].toarray()
        lp.addVars(
            self.groups + others,
            np.concatenate([self.group_lower, np.zeros(others)]),
            np.concatenate([self.group_upper, self.capacity[self.others]]),
        )
        columns = np.arange(self.groups + others, dtype=np.int32)
        lp.changeColsCost(
            len(columns), columns, np.concatenate([self.group_costs, np.zeros(others)])
        )
        lp.changeObjectiveSense(highspy.ObjSense.kMaximize)
        _add_dense_rows(lp, resource_rows, np.full(len(resource_rows), -np.inf), self.available)
        return lp

    def _add_rows(self, lp: highspy.Highs, products: np.ndarray) -> None:
        for start in range(0, len(products), ROW_BLOCK):
            block = products[start : start + ROW_BLOCK]
            unit = np.zeros((self.n, len(block)))
            unit[block, np.arange(len(block))] = 1.0
            solved, _ = solve_leontief(self.chosen_t, unit, tolerance=SOLVE_TOLERANCE)
            values = solved.T
            self.row_values = np.vstack([self.row_values, values])
            capacity = self.capacity[self.policy[block]]
            first = lp.getNumRow()
            _add_dense_rows(lp, self._coefficients(values), np.zeros(len(block)), capacity)
            self.bound_rows = np.concatenate([self.bound_rows, np.arange(first, lp.getNumRow())])

    def _policy_intensity(self, fulfilment: np.ndarray, others: np.ndarray) -> np.ndarray:
        demand = self.targets @ fulfilment - self.net_others @ others
        intensity, _ = solve_leontief(self.chosen, demand, tolerance=SOLVE_TOLERANCE)
        return intensity

    def _violation(self, intensity: np.ndarray) -> np.ndarray:
        capacity = self.capacity[self.policy]
        scale = np.where(
            np.isfinite(capacity),
            np.maximum(capacity, 1e-300),
            max(1e-300, np.abs(intensity).max()),
        )
        return np.maximum(-intensity, intensity - capacity) / scale

    def _gap(self, valuation: np.ndarray, prices: np.ndarray, objective: float) -> float:
        """Relative distance to a dual bound from (p⁺, w): weak duality, whatever the LP said."""
        positive = np.maximum(valuation, 0.0)
        rent = np.maximum(self.net.T @ positive - self.resources.T @ prices, 0.0)
        # rounding leaves rents of ~1e-17 on techniques without capacity; more is a real miss
        if (rent[~np.isfinite(self.capacity)] > 1e-9 * positive.max(initial=0.0)).any():
            return float("inf")
        worth = self.targets.T @ positive
        wanted = self.group_costs > 0
        if (worth[wanted] <= 0).any():
            return float("inf")
        scale = float((self.group_costs[wanted] / worth[wanted]).max(initial=0.0))
        finite = np.isfinite(self.capacity)
        bound = scale * (prices @ self.available + rent[finite] @ self.capacity[finite])
        return abs(bound - objective) / max(1.0, abs(objective))


def _add_dense_rows(
    lp: highspy.Highs, rows: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> None:
    sparse = sp.csr_array(rows)
    sparse.eliminate_zeros()
    lp.addRows(
        sparse.shape[0],
        np.asarray(lower, float),
        np.asarray(upper, float),
        sparse.nnz,
        sparse.indptr.astype(np.int32),
        sparse.indices.astype(np.int32),
        sparse.data,
    )
