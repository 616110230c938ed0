"""The shape of a plan version's content: what a planning run computed, as stored and shown.

A version's ``content`` column holds one :class:`PlanContent` as JSON. Quantities are per plan
period, in each product's unit; hours are hours of labour; prices are hours per unit.
"""

from typing import Any, NotRequired, TypedDict


class EconomySize(TypedDict):
    products: int
    techniques: int
    resources: int
    needs: int


class ExcludedTechnique(TypedDict):
    """A declared technique the plan could not run, and why."""

    technique: str
    workplace: str
    reason: str


class NeedRow(TypedDict):
    """A consumer council's need and what the plan gives it."""

    council: str
    product: str
    use: str
    priority: int
    quantity: float
    fulfilment: float
    delivered: float
    demand: int | None


class TechniqueRow(TypedDict):
    """A technique the plan runs (or not): its intensity, hours, and its price against its cost."""

    technique: str
    workplace: str
    product: str
    proposed: float
    capacity: float | None
    intensity: float
    hours: float
    unit_price: float
    unit_cost: float
    unit_rent: float


class ItemQuantity(TypedDict):
    item: str
    quantity: float


class WorkplacePart(TypedDict):
    """What the plan asks of one workplace, and its account at the plan's prices (hours): what its
    output is worth (``revenue``), what it costs (its hours and inputs) and ``balance`` = worth −
    cost: differential rent when positive, a loss when negative."""

    hours: float
    available_hours: float | None
    revenue: float
    cost: float
    balance: float
    outputs: list[ItemQuantity]
    inputs: list[ItemQuantity]


class ProductRow(TypedDict):
    product: str
    unit: str
    net_output: float
    valuation: float
    labour_value: float | None
    price: float


class Reason(TypedDict):
    constraint: str
    kind: str
    valuation: Any


class Shortage(TypedDict):
    """A product needed but not delivered in full, with the constraints that hold it back."""

    product: str
    quantity: float | None
    fulfilment: float
    reasons: list[Reason]
    why: str


class Flow(TypedDict):
    """Labour embodied in one product flowing into the making of another (for the diagram)."""

    source: str
    target: str
    hours: float


class Flag(TypedDict):
    """Something the congress must see before adopting the plan."""

    kind: str
    subject: str
    message: str


class ProposalsPart(TypedDict):
    """In a version made of the councils' proposals: whether the rounds balanced, and for every
    line of every proposal (``lines``: columns council, part, good, proposed, planned) what was
    proposed and what is planned; a line planned below its proposal is cut by the binding
    shortages."""

    balanced: bool
    tolerance_percent: float
    max_imbalance_percent: float
    worst_good: str | None
    binding_shortages: list[str]
    lines: dict[str, list[Any]]


class PlanContent(TypedDict):
    status: str
    mode: str
    pricing: str  # "margin": prices at the margin of the least-hours plan; "round": a round's
    least_hours: float | None  # the fewest hours that make the same net outputs ("margin" only)
    objective: float | None
    gap: float | None
    minimum_fulfilment: float | None
    need_threshold: float
    economy: EconomySize
    excluded: list[ExcludedTechnique]
    targets: list[dict[str, Any]]
    needs: list[NeedRow]
    techniques: list[TechniqueRow]
    workplaces: dict[str, WorkplacePart]
    resources: list[dict[str, Any]]
    products: list[ProductRow]
    shortages: list[Shortage]
    flows: list[Flow]
    solver: Any
    flags: list[Flag]
    proposals: NotRequired[ProposalsPart]


class PlanSummary(TypedDict):
    """The few figures of a version shown in lists and on the ledger."""

    mode: str
    objective: float | None
    minimum_fulfilment: float | None
    techniques: int
    products: int
    needs: int
    shortages: int
    flags: int
    total_hours: float
