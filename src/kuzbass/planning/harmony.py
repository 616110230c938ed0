"""Cockshott's harmony, maximised exactly in a HiGHS model by refined chords and a dual bound.

H is concave, so chords between breakpoints lie below it: the model gets, for every target's
fulfilment f_g, bounded segment variables between breakpoints with the chords' slopes as costs
(a concave piecewise-linear objective needs no integer variables: the LP fills the segments in
order); past the last breakpoint a tangent, so that a plan without limit stays unbounded. The
plan the LP returns is feasible and its true harmony is a lower bound on the best one. The
upper bound is Lagrangian: the LP's row prices y give, for every target, the f that maximises
w·H(f − 1) − (price of f)·f in closed form, and for every other variable its best bound, so
that Σ y·bounds + those maxima bounds every feasible plan's harmony. Breakpoints are added at
the plan's fulfilments and at those maximisers until the two bounds meet: the distance is the
reported duality gap. Segments are columns, not rows, so the basis does not grow with
them. Used both on the whole plan LP and on the LP reduced to a Leontief basis.
"""

from __future__ import annotations

from collections.abc import Callable

import highspy
import numpy as np
import scipy.sparse as sp

START = (0.0, 0.2, 0.4, 0.55, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 2.0, 3.0, 9.0, 33.0, 129.0)
"""First breakpoints (fulfilment f = delivered / target) of every target's chords."""
MAX_ROUNDS = 200


def harmony(s: np.ndarray) -> np.ndarray:
    """Cockshott's harmony of relative surplus s: s − s²/2 below the target, ln(1 + s) above."""
    s = np.asarray(s, float)
    return np.where(s < 0, s - s * s / 2, np.log1p(np.maximum(s, 0)))


def harmony_slope(s: np.ndarray) -> np.ndarray:
    s = np.asarray(s, float)
    return np.where(s < 0, 1 - s, 1 / (1 + np.maximum(s, 0)))


def best_fulfilment(weight: np.ndarray, price: np.ndarray) -> np.ndarray:
    """argmax over f ≥ 0 of weight·H(f − 1) − price·f (∞ where the price is not positive).

    H′(f − 1) is 2 − f below the target and 1/f above it, so the maximiser is 2 − price/weight
    (at least 0) when price ≥ weight, and weight/price otherwise.
    """
    weight, price = np.broadcast_arrays(np.asarray(weight, float), np.asarray(price, float))
    ratio = np.divide(price, weight, out=np.full(weight.shape, np.inf), where=weight > 0)
    with np.errstate(divide="ignore"):
        above = np.where(price > 0, weight / np.where(price > 0, price, 1.0), np.inf)
    return np.where(ratio >= 1, np.maximum(2 - ratio, 0.0), above)


class HarmonyObjective:
    """Σ weights·H(f − 1) over the given fulfilment columns of a HiGHS model (maximised)."""

    def __init__(self, highs: highspy.Highs, fulfilment: np.ndarray, weights: np.ndarray) -> None:
        self.highs = highs
        self.fulfilment = np.asarray(fulfilment, np.int32)
        self.weights = np.asarray(weights, float)
        groups = len(self.fulfilment)
        highs.changeColsCost(groups, self.fulfilment, np.zeros(groups))
        highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        # f_g − Σ segments = 0: the segments carry the objective
        first_row = highs.getNumRow()
        highs.addRows(
            groups,
            np.zeros(groups),
            np.zeros(groups),
            groups,
            np.arange(groups, dtype=np.int32),
            self.fulfilment,
            np.ones(groups),
        )
        self.definition_rows = np.arange(first_row, first_row + groups)
        self.breaks: list[list[float]] = [[START[0]] for _ in range(groups)]
        self.segments: list[list[int]] = [[] for _ in range(groups)]
        self.segment_columns: list[int] = []
        self.rounds = 0
        self.upper = np.inf
        self.lower = -np.inf
        self.gap = np.inf
        # past the last breakpoint, a tangent: so that a plan without limit stays unbounded
        first = highs.getNumCol()
        self.tails = np.arange(first, first + groups)
        highs.addCols(
            groups,
            self.weights * harmony_slope(np.full(groups, START[0] - 1)),
            np.zeros(groups),
            np.full(groups, np.inf),
            groups,
            np.arange(groups, dtype=np.int32),
            self.definition_rows.astype(np.int32),
            np.full(groups, -1.0),
        )
        self.segment_columns.extend(self.tails.tolist())
        for point in START[1:]:
            self._refine(np.full(groups, point))

    @property
    def segment_count(self) -> int:
        return len(self.segment_columns)

    def _chord(self, group: int, left: float, right: float) -> float:
        rise = harmony(np.array([right - 1, left - 1]))
        return float(self.weights[group] * (rise[0] - rise[1]) / (right - left))

    def _refine(self, points: np.ndarray) -> int:
        """Breakpoints at ``points`` (one per target, NaN for none); returns how many were new.

        A point inside a segment shortens that segment and adds one for the rest; a point past
        the last breakpoint adds a segment up to it.
        """
        first = self.highs.getNumCol()
        costs: list[float] = []
        lengths: list[float] = []
        rows: list[int] = []
        changed: list[tuple[int, float, float]] = []
        for group, point in enumerate(points):
            breaks = self.breaks[group]
            if not np.isfinite(point) or point <= breaks[0]:
                continue
            at = int(np.searchsorted(breaks, point))
            near = min(abs(point - breaks[i]) for i in (at - 1, at) if 0 <= i < len(breaks))
            if near <= 1e-12 * max(1.0, point):
                continue
            right = breaks[at] if at < len(breaks) else None
            if right is not None:
                left = breaks[at - 1]
                changed.append(
                    (self.segments[group][at - 1], point - left, self._chord(group, left, point))
                )
            start = point if right is not None else breaks[-1]
            end = right if right is not None else point
            self.segments[group].insert(at, first + len(costs))
            costs.append(self._chord(group, start, end))
            lengths.append(end - start)
            rows.append(int(self.definition_rows[group]))
            breaks.insert(at, float(point))
        beyond = [g for g, p in enumerate(points) if np.isfinite(p) and p == self.breaks[g][-1]]
        if beyond:
            last = np.array([self.breaks[g][-1] for g in beyond])
            slopes = self.weights[beyond] * harmony_slope(last - 1)
            self.highs.changeColsCost(len(beyond), self.tails[beyond].astype(np.int32), slopes)
        if changed:
            columns = np.array([c for c, _, _ in changed], np.int32)
            self.highs.changeColsBounds(
                len(columns), columns, np.zeros(len(columns)), np.array([u for _, u, _ in changed])
            )
            self.highs.changeColsCost(len(columns), columns, np.array([c for _, _, c in changed]))
        count = len(costs)
        if count:
            self.highs.addCols(
                count,
                np.array(costs),
                np.zeros(count),
                np.array(lengths),
                count,
                np.arange(count, dtype=np.int32),
                np.array(rows, np.int32),
                np.full(count, -1.0),
            )
            self.segment_columns.extend(range(first, first + count))
        return count

    def solve(
        self, tolerance: float, run: Callable[[highspy.Highs], str], say: Callable[[str], None]
    ) -> str:
        """Re-solve and refine until the bounds meet; returns the last run's status."""
        while True:
            self.rounds += 1
            status = run(self.highs)
            if status != "optimal":
                return status
            plan = np.asarray(self.highs.getSolution().col_value)[self.fulfilment]
            self.lower = self.value()
            bound, maximisers = self._dual_bound()
            # every round's bound holds (a relaxation's too), so the least one is kept
            self.upper = min(self.upper, bound)
            self.gap = (self.upper - self.lower) / max(1.0, abs(self.upper))
            say(
                f"harmony round {self.rounds}: bound {self.upper:.9g}, plan {self.lower:.9g}, "
                f"gap {self.gap:.2e}"
            )
            if self.gap <= tolerance or self.rounds >= MAX_ROUNDS:
                return status
            if not self._refine(plan) + self._refine(maximisers):
                return status

    def value(self) -> float:
        """The true harmony of the model's current plan."""
        plan = np.asarray(self.highs.getSolution().col_value)[self.fulfilment]
        return float(self.weights @ harmony(plan - 1))

    def _dual_bound(self) -> tuple[float, np.ndarray]:
        """Lagrangian bound on the harmony of every plan from the LP's row prices, and each
        target's maximiser of its Lagrangian term."""
        lp = self.highs.getLp()
        solution = self.highs.getSolution()
        rows, columns = lp.num_row_, lp.num_col_
        matrix = sp.csc_array(
            (
                np.asarray(lp.a_matrix_.value_),
                np.asarray(lp.a_matrix_.index_),
                np.asarray(lp.a_matrix_.start_),
            ),
            shape=(rows, columns),
        )
        prices = np.asarray(solution.row_dual, float).copy()
        prices[self.definition_rows] = 0.0
        scale = max(1.0, float(np.abs(prices).max(initial=0.0)))
        prices[np.abs(prices) <= 1e-12 * scale] = 0.0
        lower, upper = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
        bound = np.where(prices > 0, upper, np.where(prices < 0, lower, 0.0))
        if not np.isfinite(bound).all():
            return np.inf, np.full(len(self.fulfilment), np.nan)
        total = float(prices @ bound)
        reduced = np.asarray(lp.col_cost_) - matrix.T @ prices
        others = np.ones(columns, bool)
        others[self.fulfilment] = False
        others[self.segment_columns] = False
        col_lower, col_upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
        slack = 1e-9 * max(1.0, float(np.abs(reduced[others]).max(initial=0.0)))
        gain = np.where(reduced > slack, col_upper, np.where(reduced < -slack, col_lower, 0.0))
        if not np.isfinite(gain[others]).all():
            return np.inf, np.full(len(self.fulfilment), np.nan)
        total += float(reduced[others] @ gain[others])
        price = -reduced[self.fulfilment]
        best = best_fulfilment(self.weights, price)
        best = np.clip(best, col_lower[self.fulfilment], col_upper[self.fulfilment])
        if not np.isfinite(best).all():
            return np.inf, best
        total += float(self.weights @ harmony(best - 1) - price @ best)
        return total, best
