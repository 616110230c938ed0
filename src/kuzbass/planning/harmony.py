"""Cockshott's harmony, maximised exactly by Kelley's cutting planes in a HiGHS model.

H is concave, so its tangents bound it from above: the LP with a variable h_g ≤ every tangent of
H at target g's fulfilment gives an upper bound on the best harmony, and the plan it returns has
a true harmony that is a lower bound. Cuts are added where h_g still overstates H until the two
bounds meet within the tolerance: their distance is the reported duality gap. Used both on the
whole plan LP and on the LP reduced to a Leontief basis.
"""

from __future__ import annotations

from collections.abc import Callable

import highspy
import numpy as np

START = (-1.0, -0.8, -0.6, -0.45, -0.3, -0.2, -0.1, 0.0, 0.25, 0.5, 1.0, 2.0, 8.0, 32.0, 128.0)
"""Points s = (x − t)/t where every target's harmony gets a tangent cut before the first solve."""
MAX_ROUNDS = 200


def harmony(s: np.ndarray) -> np.ndarray:
    """Cockshott's harmony of relative surplus s: s − s²/2 below the target, ln(1 + s) above."""
    s = np.asarray(s, float)
    return np.where(s < 0, s - s * s / 2, np.log1p(np.maximum(s, 0)))


def harmony_slope(s: np.ndarray) -> np.ndarray:
    s = np.asarray(s, float)
    return np.where(s < 0, 1 - s, 1 / (1 + np.maximum(s, 0)))


class HarmonyCuts:
    """The harmony variables and cuts of one HiGHS model whose columns include fulfilments f_g."""

    def __init__(self, highs: highspy.Highs, fulfilment: np.ndarray, weights: np.ndarray) -> None:
        self.highs = highs
        self.fulfilment = np.asarray(fulfilment, np.int32)
        self.weights = np.asarray(weights, float)
        groups = len(self.fulfilment)
        first = highs.getNumCol()
        highs.addCols(
            groups,
            self.weights,
            np.full(groups, -np.inf),
            np.full(groups, np.inf),
            0,
            np.zeros(0, np.int32),
            np.zeros(0, np.int32),
            np.zeros(0),
        )
        self.harmony_columns = np.arange(first, first + groups, dtype=np.int32)
        # A cut violated by less than HiGHS' feasibility tolerance would never move the plan.
        highs.setOptionValue("primal_feasibility_tolerance", 1e-10)
        highs.setOptionValue("dual_feasibility_tolerance", 1e-10)
        self.cuts = 0
        self.rounds = 0
        self.upper = np.inf
        self.gap = np.inf
        everyone = np.arange(groups)
        for point in START:
            self._add(np.full(groups, point), everyone)

    def _add(self, points: np.ndarray, which: np.ndarray) -> None:
        slope, value = harmony_slope(points), harmony(points)
        count = len(which)
        starts = np.arange(0, 2 * count, 2, dtype=np.int32)
        index = np.column_stack([self.harmony_columns[which], self.fulfilment[which]]).ravel()
        coefficients = np.column_stack([np.ones(count), -slope]).ravel()
        self.highs.addRows(
            count,
            np.full(count, -np.inf),
            value - slope * (1 + points),
            2 * count,
            starts,
            index.astype(np.int32),
            coefficients,
        )
        self.cuts += count

    def solve(
        self, tolerance: float, run: Callable[[highspy.Highs], str], say: Callable[[str], None]
    ) -> str:
        """Re-solve and cut until the bounds meet; returns the last run's status."""
        while True:
            self.rounds += 1
            status = run(self.highs)
            if status != "optimal":
                return status
            solution = np.asarray(self.highs.getSolution().col_value)
            self.upper = self.highs.getInfo().objective_function_value
            s = solution[self.fulfilment] - 1
            lower = float(self.weights @ harmony(s))
            self.gap = (self.upper - lower) / max(1.0, abs(self.upper))
            say(
                f"harmony cut round {self.rounds}: bound {self.upper:.9g}, plan {lower:.9g}, "
                f"gap {self.gap:.2e}"
            )
            if self.gap <= tolerance or self.rounds >= MAX_ROUNDS:
                return status
            loose = np.flatnonzero(solution[self.harmony_columns] - harmony(s) > tolerance * 1e-3)
            if not len(loose):
                return status
            self._add(s[loose], loose)

    def value(self) -> float:
        """The true harmony of the model's current plan."""
        solution = np.asarray(self.highs.getSolution().col_value)
        return float(self.weights @ harmony(solution[self.fulfilment] - 1))
