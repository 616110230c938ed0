"""Pure computations on an Economy.

Balances and labour values, optimal plans, harmony, participatory rounds, explanations.
"""

from kuzbass.planning.optimal import MODES, harmony, optimal_plan
from kuzbass.planning.result import PlanResult
from kuzbass.planning.targets import PlanInputError, read_targets

__all__ = ["MODES", "PlanInputError", "PlanResult", "harmony", "optimal_plan", "read_targets"]
