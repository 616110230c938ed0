"""The nearest feasible plan within every council's proposal, when the rounds did not balance.

Every workplace's proposal is scaled as a whole by a factor aᵢ ∈ [0, 1] (its outputs, inputs and
offered hours together, so no workplace is asked to make more than it proposed nor to make it
from fewer inputs); every line of a consumer council's proposal is met by a share cₖ ∈ [0, 1].
The plan maximises the value at the round's prices of the needs met, subject to every good's
supply (fixed supply plus the scaled outputs and offered hours) covering its use (the scaled
inputs and needs; public goods' needs averaged over the consumer councils, as in the tally).

A good whose balance constraint binds (a positive shadow price) is a *binding shortage*: it is
what holds back every council that gets less than it asked for and names that good.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.optimize import linprog

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

WORKER_WEIGHT = 1e-6
"""A workplace's small reward per unit of scale, so that nobody is cut without a reason."""


class NearestPlanError(RuntimeError):
    """The solver failed on a problem that always has a solution (a bug, not bad input)."""


@dataclass(frozen=True, eq=False)
class ProposalLines:
    """Every line of every proposal, flat.

    ``variable`` says which scale factor a line follows: one per workplace (all its lines) and
    one per consumer line. ``sign`` is +1 for supply (outputs, offered hours) and −1 for use
    (inputs, needs); ``weight`` divides use (the number of consumer councils for public goods'
    needs, else 1); ``value`` is the objective per unit of the scale factor.
    """

    good: IntArray
    quantity: FloatArray
    variable: IntArray
    sign: FloatArray
    weight: FloatArray
    value: FloatArray
    variables: int


@dataclass(frozen=True, eq=False)
class NearestPlan:
    """The scale factor of every variable, every line's planned quantity, the binding goods."""

    scale: FloatArray
    planned: FloatArray
    shadow_price: FloatArray
    binding: NDArray[np.bool_]


def nearest_feasible_plan(lines: ProposalLines, fixed_supply: FloatArray) -> NearestPlan:
    """Solve the scaling LP (HiGHS); ``fixed_supply`` is per good, in the order of ``good``."""
    goods = len(fixed_supply)
    net = -lines.sign * lines.quantity / lines.weight
    use = sparse.csr_array(
        (net, (lines.good, lines.variable)), shape=(goods, lines.variables)
    )  # Σ use − Σ supply ≤ fixed supply
    objective = -np.asarray(
        np.bincount(lines.variable, weights=lines.value, minlength=lines.variables),
        dtype=np.float64,
    )
    result = linprog(  # type: ignore[call-overload]  # the stubs omit sparse A_ub, which HiGHS takes
        objective,
        A_ub=use,
        b_ub=fixed_supply,
        bounds=(0.0, 1.0),
        method="highs",
    )
    if result.status != 0:
        raise NearestPlanError(f"the nearest feasible plan could not be solved: {result.message}")
    scale = np.clip(np.asarray(result.x, dtype=np.float64), 0.0, 1.0)
    shadow = -np.asarray(result.ineqlin.marginals, dtype=np.float64)
    return NearestPlan(
        scale=scale,
        planned=lines.quantity * scale[lines.variable],
        shadow_price=shadow,
        binding=shadow > 1e-9,
    )
