"""Councils' proposals in the participatory rounds: what each answers to the published prices.

A workplace proposes the output it will make, the inputs that output needs and the hours its
members offer; a consumer council proposes its needs within its budget in hours. A council that
does not answer a round keeps its standing proposal. Every proposal's numbers go on the ledger,
so the tally and the new prices of a round can be recomputed from the ledger alone.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Sum

from kuzbass.economy.model import LABOUR
from kuzbass.ledger import float_text, floats_as_text
from kuzbass.planning.participatory import GoodKind, Goods, Proposals
from kuzbass.planning.proposal_plan import ProposalLines
from kuzbass.platform.accounts.models import Account, AccountKind, Transfer
from kuzbass.platform.core import clock
from kuzbass.platform.core.actors import Actor, Visitor, require_user
from kuzbass.platform.core.checks import check_count, check_number
from kuzbass.platform.core.errors import InvalidInputError, RefusedError
from kuzbass.platform.core.permissions import require_officer
from kuzbass.platform.councils.models import Council, CouncilKind, Membership
from kuzbass.platform.ledger.services import append_event, lock_ledger
from kuzbass.platform.plans.models import (
    Need,
    ParticipatoryRound,
    Product,
    ProductKind,
    Proposal,
    Resource,
    ResourceKind,
    Technique,
    TechniqueInput,
)

BUDGET_SLACK_HOURS = 1 / 3600
"""Accounts are kept in whole seconds: a basket may cost up to one second more than the budget."""

PRODUCT_KINDS = {
    ProductKind.PRIVATE: GoodKind.PRIVATE,
    ProductKind.PUBLIC: GoodKind.PUBLIC,
    ProductKind.INTERMEDIATE: GoodKind.INTERMEDIATE,
}


@dataclass(frozen=True)
class RoundGoods:
    """The goods whose prices the rounds move, in price-vector order, with their units."""

    names: list[str]
    units: list[str]
    kinds: np.ndarray
    fixed_supply: np.ndarray

    @property
    def index(self) -> dict[str, int]:
        return {name: position for position, name in enumerate(self.names)}

    def goods(self, prices: np.ndarray) -> Goods:
        return Goods(
            names=self.names, kinds=self.kinds, start_prices=prices, fixed_supply=self.fixed_supply
        )

    def kind(self, name: str) -> GoodKind | None:
        position = self.index.get(name)
        return None if position is None else GoodKind(int(self.kinds[position]))


def round_goods() -> RoundGoods:
    """Products (by name), then labour types and the natural resources with a registered stock;
    a natural resource without a stock is unlimited, so it has no price to move."""
    names, units, kinds, supply = [], [], [], []
    for name, unit, kind in Product.objects.order_by("name").values_list("name", "unit", "kind"):
        names.append(name)
        units.append(unit)
        kinds.append(PRODUCT_KINDS[ProductKind(kind)])
        supply.append(0.0)
    for name, unit, available, kind in Resource.objects.order_by("name").values_list(
        "name", "unit", "available", "kind"
    ):
        labour = kind == ResourceKind.LABOUR or name == LABOUR
        if available is None and not labour:
            continue
        names.append(name)
        units.append(unit)
        kinds.append(GoodKind.LABOUR if labour else GoodKind.NATURAL_RESOURCE)
        supply.append(float(available or 0.0))
    return RoundGoods(
        names=names,
        units=units,
        kinds=np.array(kinds, dtype=np.int64),
        fixed_supply=np.array(supply, dtype=np.float64),
    )


def consumer_councils() -> int:
    """How many consumer councils share the public goods (the divisor of their needs)."""
    return Council.objects.filter(kind=CouncilKind.CONSUMER).count()


def council_budget(council: Council) -> float:
    """A consumer council's budget in hours: its members' labour-time balances, which hold what
    they were credited after the congress's deductions for the public and investment funds."""
    members = Membership.objects.filter(council=council, ended_at__isnull=True).values("user_id")
    accounts = Account.objects.filter(kind=AccountKind.MEMBER, user_id__in=members)
    credit = Transfer.objects.filter(credit__in=accounts).aggregate(total=Sum("seconds"))["total"]
    debit = Transfer.objects.filter(debit__in=accounts).aggregate(total=Sum("seconds"))["total"]
    return ((credit or 0) - (debit or 0)) / 3600


def share_price(goods: RoundGoods, prices: Mapping[str, float], good: str, councils: int) -> float:
    """What one unit costs one consumer council: a public good's price is shared by all."""
    price = float(prices[good])
    if goods.kind(good) == GoodKind.PUBLIC:
        return price / max(councils, 1)
    return price


def basket_cost(
    goods: RoundGoods, prices: Mapping[str, float], needs: Mapping[str, float], councils: int
) -> float:
    return float(sum(share_price(goods, prices, g, councils) * q for g, q in needs.items()))


def worth_and_cost(
    prices: Mapping[str, float], outputs: Mapping[str, float], inputs: Mapping[str, float]
) -> tuple[float, float]:
    """A workplace proposal's worth (its outputs) and cost (its inputs) at the prices."""
    worth = sum(float(prices.get(g, 0.0)) * q for g, q in outputs.items())
    cost = sum(float(prices.get(g, 0.0)) * q for g, q in inputs.items())
    return float(worth), float(cost)


def current_round() -> ParticipatoryRound | None:
    return ParticipatoryRound.objects.filter(closed_at__isnull=True).first()


def _lines(
    lines: Mapping[str, Any] | None,
    field: str,
    goods: RoundGoods,
    allowed: tuple[GoodKind, ...],
    what: str,
) -> dict[str, float]:
    """Check one part of a proposal: known goods of the right kind, finite quantities ≥ 0."""
    if lines is None:
        return {}
    if not isinstance(lines, Mapping):
        raise InvalidInputError(f"{field} must map goods to quantities", field=field)
    check_count(lines, field, most=10_000)
    checked: dict[str, float] = {}
    for good, quantity in lines.items():
        kind = goods.kind(str(good))
        if kind is None:
            raise InvalidInputError(
                f"{field}: {good!r} is not a good of the catalogue with a price", field=field
            )
        if kind not in allowed:
            raise InvalidInputError(
                f"{field}: {good!r} is {kind.name.lower().replace('_', ' ')}; {what}",
                field=field,
            )
        number = check_number(quantity, f"{field} {good}", allow_zero=True)
        if number > 0:
            checked[str(good)] = number
    return checked


WORKER_OUTPUTS = (GoodKind.PRIVATE, GoodKind.PUBLIC, GoodKind.INTERMEDIATE)
WORKER_INPUTS = (
    GoodKind.PRIVATE,
    GoodKind.INTERMEDIATE,
    GoodKind.NATURAL_RESOURCE,
    GoodKind.LABOUR,
)
CONSUMER_NEEDS = (GoodKind.PRIVATE, GoodKind.PUBLIC)


@transaction.atomic
def submit_proposal(
    actor: Visitor,
    council: Council,
    *,
    outputs: Mapping[str, Any] | None = None,
    inputs: Mapping[str, Any] | None = None,
    hours: Mapping[str, Any] | None = None,
    needs: Mapping[str, Any] | None = None,
) -> Proposal:
    """An officer answers the open round for the council; the proposal replaces the standing
    one. Refused, with the reason, after the deadline, for a council the officer does not
    serve, with a negative or non-finite quantity, an unknown good or a basket over budget; a
    refused proposal changes nothing."""
    actor = require_user(actor)
    lock_ledger()
    require_officer(actor, council)
    participatory = current_round()
    if participatory is None:
        raise RefusedError("no participatory round is open: proposals answer a round's prices")
    if clock.now() >= participatory.deadline:
        raise RefusedError(
            f"round {participatory.number} closed for proposals at "
            f"{participatory.deadline:%Y-%m-%d %H:%M} UTC; your standing proposal is kept"
        )
    goods = round_goods()
    prices = participatory.prices
    budget: float | None = None
    cost: float
    if council.kind == CouncilKind.WORKPLACE:
        if needs:
            raise InvalidInputError(
                "a workplace proposes outputs and inputs, not needs", field="needs"
            )
        made = _lines(outputs, "outputs", goods, WORKER_OUTPUTS, "a workplace makes products")
        used = _lines(inputs, "inputs", goods, WORKER_INPUTS, "public goods are not inputs")
        offered = _lines(hours, "hours", goods, (GoodKind.LABOUR,), "members offer labour only")
        wanted: dict[str, float] = {}
        cost = worth_and_cost(prices, made, used)[1]
    elif council.kind == CouncilKind.CONSUMER:
        if outputs or inputs or hours:
            raise InvalidInputError("a consumer council proposes needs only", field="outputs")
        made, used, offered = {}, {}, {}
        wanted = _lines(needs, "needs", goods, CONSUMER_NEEDS, "only workplaces use it")
        budget = council_budget(council)
        cost = basket_cost(goods, prices, wanted, consumer_councils())
        if cost > budget + BUDGET_SLACK_HOURS:
            raise InvalidInputError(
                f"the basket costs {cost:,.2f} hours at round {participatory.number}'s prices, "
                f"over the council's budget of {budget:,.2f} hours; ask for less",
                field="needs",
            )
    else:
        raise InvalidInputError(
            f"{council.name} is a {council.get_kind_display()}: only workplace and consumer "
            "councils make proposals",
            field="council",
        )
    proposal, _ = Proposal.objects.update_or_create(
        council=council,
        defaults={
            "outputs": made,
            "inputs": used,
            "hours": offered,
            "needs": wanted,
            "budget": budget,
            "participatory_round": participatory,
            "submitted_by": actor,
            "submitted_at": clock.now(),
        },
    )
    record_proposal(proposal, participatory, cost, actor)
    return proposal


def record_proposal(
    proposal: Proposal, participatory: ParticipatoryRound, cost: float, actor: Actor
) -> None:
    append_event(
        "plan.proposal_submitted",
        {
            "council": proposal.council.slug,
            "kind": proposal.council.kind,
            "series": participatory.series,
            "round": participatory.number,
            "outputs": floats_as_text(proposal.outputs),
            "inputs": floats_as_text(proposal.inputs),
            "hours": floats_as_text(proposal.hours),
            "needs": floats_as_text(proposal.needs),
            "budget": float_text(proposal.budget),
            "cost": float_text(cost),
            "by": actor.get_username(),
        },
        seals=[proposal],
    )


def seed_from_declarations(participatory: ParticipatoryRound, actor: Actor) -> int:
    """At the start of a series, a council without a proposal proposes what it has declared
    (its techniques' outputs, inputs and hours; its needs); returns how many were seeded."""
    proposing = set(Proposal.objects.values_list("council_id", flat=True))
    goods = round_goods().index
    made: dict[int, dict[str, dict[str, float]]] = {}
    for workplace, product, output, labour in Technique.objects.filter(active=True).values_list(
        "workplace_id", "product__name", "output", "labour"
    ):
        if workplace in proposing:
            continue
        part = made.setdefault(workplace, {"outputs": {}, "inputs": {}})
        part["outputs"][product] = part["outputs"].get(product, 0.0) + output
        if LABOUR in goods:
            part["inputs"][LABOUR] = part["inputs"].get(LABOUR, 0.0) + labour
    for workplace, item, quantity in TechniqueInput.objects.filter(
        technique__active=True
    ).values_list("technique__workplace_id", "item", "quantity"):
        if workplace in made and item in goods:
            inputs = made[workplace]["inputs"]
            inputs[item] = inputs.get(item, 0.0) + quantity
    needs: dict[int, dict[str, float]] = {}
    for council, product, quantity in Need.objects.filter(withdrawn_at__isnull=True).values_list(
        "council_id", "product__name", "quantity"
    ):
        if council not in proposing:
            needs.setdefault(council, {})
            needs[council][product] = needs[council].get(product, 0.0) + quantity
    councils = Council.objects.in_bulk([*made, *needs])
    for pk, part in made.items():
        proposal = Proposal.objects.create(
            council=councils[pk],
            outputs=part["outputs"],
            inputs=part["inputs"],
            submitted_by=actor,
            submitted_at=clock.now(),
        )
        record_proposal(proposal, participatory, 0.0, actor)
    for pk, wanted in needs.items():
        proposal = Proposal.objects.create(
            council=councils[pk],
            needs=wanted,
            budget=council_budget(councils[pk]),
            submitted_by=actor,
            submitted_at=clock.now(),
        )
        record_proposal(proposal, participatory, 0.0, actor)
    return len(made) + len(needs)


@dataclass(frozen=True)
class StandingProposals:
    """Every standing proposal as flat rows: the tally's input and the plan's lines."""

    councils: list[str]
    workplace: np.ndarray
    good: np.ndarray
    quantity: np.ndarray
    owner: np.ndarray
    part: np.ndarray
    consumer_councils: int

    SUPPLY = 0
    INPUT = 1
    NEED = 2

    def proposals(self) -> Proposals:
        """The rows in the form of the simulation's facilitation rule."""
        supplied = self.part == self.SUPPLY
        return Proposals(
            supplied_goods=self.good[supplied],
            supplied_quantities=self.quantity[supplied],
            demanded_goods=self.good[~supplied],
            demanded_quantities=self.quantity[~supplied],
            consumer_council_count=self.consumer_councils,
        )

    def plan_lines(self, goods: RoundGoods, prices: np.ndarray) -> ProposalLines:
        """Workplaces scale as a whole; each consumer line scales on its own."""
        need = self.part == self.NEED
        first_line = len(self.councils)
        variable = np.where(need, first_line + np.arange(len(self.part)), self.owner)
        used, variable = np.unique(variable, return_inverse=True)
        public = goods.kinds[self.good] == GoodKind.PUBLIC
        weight = np.where(need & public, float(max(self.consumer_councils, 1)), 1.0)
        worth = prices[self.good] * self.quantity / weight
        value = np.where(need, worth, np.where(self.part == self.SUPPLY, 1e-6 * worth, 0.0))
        return ProposalLines(
            good=self.good,
            quantity=self.quantity,
            variable=variable.astype(np.int64),
            sign=np.where(self.part == self.SUPPLY, 1.0, -1.0),
            weight=weight,
            value=value,
            variables=len(used),
        )


def standing_proposals(goods: RoundGoods) -> StandingProposals:
    """Read every standing proposal in one query; lines naming unpriced goods are left out."""
    index = goods.index
    councils: list[str] = []
    workplace: list[bool] = []
    good: list[int] = []
    quantity: list[float] = []
    owner: list[int] = []
    part: list[int] = []
    rows = Proposal.objects.order_by("council__slug").values_list(
        "council__slug", "council__kind", "outputs", "hours", "inputs", "needs"
    )
    for slug, kind, outputs, hours, inputs, needs in rows:
        position = len(councils)
        councils.append(slug)
        workplace.append(kind == CouncilKind.WORKPLACE)
        for which, lines in (
            (StandingProposals.SUPPLY, outputs),
            (StandingProposals.SUPPLY, hours),
            (StandingProposals.INPUT, inputs),
            (StandingProposals.NEED, needs),
        ):
            for name, amount in lines.items():
                found = index.get(name)
                if found is not None and math.isfinite(amount) and amount > 0:
                    good.append(found)
                    quantity.append(float(amount))
                    owner.append(position)
                    part.append(which)
    return StandingProposals(
        councils=councils,
        workplace=np.array(workplace, dtype=bool),
        good=np.array(good, dtype=np.int64),
        quantity=np.array(quantity, dtype=np.float64),
        owner=np.array(owner, dtype=np.int64),
        part=np.array(part, dtype=np.int64),
        consumer_councils=consumer_councils(),
    )
