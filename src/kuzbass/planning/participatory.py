"""Participatory rounds: councils answer a price vector, a facilitation rule moves the prices.

The procedure is the one of Albert & Hahnel's published pequod simulations. Each round every
council answers the same prices: worker councils propose an output and the inputs they need,
consumer councils propose what they want to consume. For every good the surplus
s = supply − demand moves its price down by a factor (1 − δ) when s > 0 and up by (1 + δ) when
s < 0, with δ = max(0.001, Δ·pd), Δ = 1.05 − 0.5^|r|, r = 2s/(supply + demand) and pd =
min(0.25, |r| of the previous round) (0.25 before the first round). The rounds stop once
100·|r| ≤ 3 for every good.

Two layers, so that the platform can run rounds with real councils' proposals:

- :func:`facilitation_round` is the rule alone: prices and :class:`Proposals` in, the new prices
  and every good's supply, demand and surplus out (:class:`PriceUpdate`).
- :func:`simulate_rounds` drives it with simulated councils whose proposals are the closed-form
  optima of their Cobb-Douglas utility or net benefit (:func:`consumer_demands`,
  :func:`worker_proposals`). Councils are arrays, never Python loops, so that tens of thousands
  of councils answer a round in milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

START_PD = 0.25
"""The pd used in the first round, before any surplus is known."""

BALANCE_TOLERANCE_PERCENT = 3.0
"""A good is balanced when 100·|2s|/(supply + demand) is at most this."""


class GoodKind(IntEnum):
    """What a good is; it decides who supplies and who demands it."""

    PRIVATE = 0
    """Made by worker councils, consumed by each consumer council on its own."""
    PUBLIC = 1
    """Made by worker councils; demand is the mean of the consumer councils' demands."""
    INTERMEDIATE = 2
    """Made by worker councils, used by worker councils as an input."""
    NATURAL_RESOURCE = 3
    """A fixed supply, used by worker councils as an input."""
    LABOUR = 4
    """A type of labour in fixed supply, used by worker councils as an input."""


PRODUCED_KINDS = (GoodKind.PRIVATE, GoodKind.PUBLIC, GoodKind.INTERMEDIATE)
CONSUMED_KINDS = (GoodKind.PRIVATE, GoodKind.PUBLIC)
INPUT_KINDS = (GoodKind.INTERMEDIATE, GoodKind.NATURAL_RESOURCE, GoodKind.LABOUR)
FIXED_SUPPLY_KINDS = (GoodKind.NATURAL_RESOURCE, GoodKind.LABOUR)


@dataclass(frozen=True, eq=False)
class Goods:
    """Every good of the economy, in the order of the price vector.

    ``fixed_supply`` is the supply of natural resources and labour types and 0 for the goods that
    worker councils make.
    """

    names: list[str]
    kinds: IntArray
    start_prices: FloatArray
    fixed_supply: FloatArray

    @property
    def count(self) -> int:
        return len(self.names)

    def is_public(self) -> NDArray[np.bool_]:
        return self.kinds == GoodKind.PUBLIC


@dataclass(frozen=True, eq=False)
class ConsumerCouncils:
    """Consumer councils with utility U = c·Π dⱼ^αⱼ·Π gⱼ^γⱼ and an income.

    ``exponents`` is councils × consumer goods (αⱼ for private, γⱼ for public goods, 0 where a
    council does not want the good); ``goods`` gives, per column, the index of the good in
    :class:`Goods`. The scale c does not change demands and is not needed.
    """

    names: list[str]
    income: FloatArray
    exponents: FloatArray
    goods: IntArray

    @property
    def count(self) -> int:
        return len(self.names)


@dataclass(frozen=True, eq=False)
class WorkerCouncils:
    """Worker councils, each making one product with q = A·e^c·Π xᵢ^bᵢ.

    A council chooses effort e and inputs xᵢ to maximise price·q − Σ pᵢxᵢ − S·e^k. Inputs are
    padded to the council with most inputs: ``input_goods`` holds good indices and -1 in padding,
    ``input_exponents`` the bᵢ and 0 in padding.
    """

    names: list[str]
    product: IntArray
    productivity: FloatArray
    effort_exponent: FloatArray
    disutility_coefficient: FloatArray
    disutility_exponent: FloatArray
    input_goods: IntArray
    input_exponents: FloatArray

    @property
    def count(self) -> int:
        return len(self.names)

    def returns_margin(self) -> FloatArray:
        """1 − c/k − Σbᵢ; a council's net benefit has a maximum only where this is positive."""
        return (
            1.0 - self.effort_exponent / self.disutility_exponent - self.input_exponents.sum(axis=1)
        )


@dataclass(frozen=True, eq=False)
class ParticipatoryEconomy:
    """Goods and the simulated councils that trade in them."""

    goods: Goods
    consumers: ConsumerCouncils
    workers: WorkerCouncils


@dataclass(frozen=True, eq=False)
class Proposals:
    """Every council's answer to one price vector, as flat rows of (good, quantity).

    ``supplied_*`` rows are worker councils' outputs; ``demanded_*`` rows are worker councils'
    inputs and consumer councils' demands. Demands for public goods come from consumer councils
    and are averaged over ``consumer_council_count``. Natural resources and labour are supplied
    by :attr:`Goods.fixed_supply`, not by rows.
    """

    supplied_goods: IntArray
    supplied_quantities: FloatArray
    demanded_goods: IntArray
    demanded_quantities: FloatArray
    consumer_council_count: int


@dataclass(frozen=True, eq=False)
class PriceUpdate:
    """The outcome of one facilitation round, per good in the order of :class:`Goods`.

    ``supply``, ``demand``, ``surplus`` and ``imbalance_percent`` (100·|2s|/(supply + demand))
    are at the prices the councils answered; ``prices`` are the new prices and ``next_pd`` the
    pd of the next round. ``step`` is δ, the relative price change.
    """

    prices: FloatArray
    supply: FloatArray
    demand: FloatArray
    surplus: FloatArray
    imbalance_percent: FloatArray
    step: FloatArray
    next_pd: FloatArray
    balanced: bool


def consumer_demands(consumers: ConsumerCouncils, goods: Goods, prices: FloatArray) -> FloatArray:
    """Each consumer council's utility-maximising demands (councils × consumer goods).

    Maximising a Cobb-Douglas utility under the income gives dⱼ = income·αⱼ / (Σα·p̃ⱼ), where p̃
    is the price for a private good and price / number of consumer councils for a public good,
    because each council pays its share of a public good.
    """
    council_price = prices[consumers.goods].astype(np.float64)
    public = goods.is_public()[consumers.goods]
    council_price[public] /= consumers.count
    budget_share = consumers.exponents / consumers.exponents.sum(axis=1, keepdims=True)
    demands: FloatArray = consumers.income[:, None] * budget_share / council_price[None, :]
    return demands


@dataclass(frozen=True, eq=False)
class WorkerProposal:
    """Worker councils' optimal output, effort and inputs (inputs padded as in the councils)."""

    output: FloatArray
    effort: FloatArray
    inputs: FloatArray


def worker_proposals(workers: WorkerCouncils, prices: FloatArray) -> WorkerProposal:
    """Each worker council's output, effort and inputs maximising its net benefit.

    The first-order conditions give xᵢ = λbᵢq/pᵢ and S·k·e^k = λcq (λ the product's price);
    substituted into q = A·e^c·Π xᵢ^bᵢ they are linear in logs:
    ln q·(1 − c/k − Σbᵢ) = ln A + (c/k)·ln(λc/(Sk)) + Σ bᵢ·ln(λbᵢ/pᵢ).
    """
    own_price = prices[workers.product]
    padded = workers.input_goods < 0
    input_price = np.where(padded, 1.0, prices[np.where(padded, 0, workers.input_goods)])
    b = workers.input_exponents
    c = workers.effort_exponent
    k = workers.disutility_exponent
    s = workers.disutility_coefficient
    safe_b = np.where(padded, 1.0, b)
    input_terms = np.where(padded, 0.0, b * np.log(own_price[:, None] * safe_b / input_price)).sum(
        axis=1
    )
    log_output = (
        np.log(workers.productivity) + (c / k) * np.log(own_price * c / (s * k)) + input_terms
    ) / workers.returns_margin()
    output = np.exp(log_output)
    inputs = np.where(padded, 0.0, own_price[:, None] * b * output[:, None] / input_price)
    effort = (own_price * c * output / (s * k)) ** (1.0 / k)
    return WorkerProposal(output=output, effort=effort, inputs=inputs)


def simulated_proposals(economy: ParticipatoryEconomy, prices: FloatArray) -> Proposals:
    """What the simulated councils propose at these prices, as rows for the facilitation rule."""
    workers = economy.workers
    consumers = economy.consumers
    production = worker_proposals(workers, prices)
    used = workers.input_goods >= 0
    demands = consumer_demands(consumers, economy.goods, prices)
    return Proposals(
        supplied_goods=workers.product,
        supplied_quantities=production.output,
        demanded_goods=np.concatenate(
            [workers.input_goods[used], np.broadcast_to(consumers.goods, demands.shape).ravel()]
        ),
        demanded_quantities=np.concatenate([production.inputs[used], demands.ravel()]),
        consumer_council_count=consumers.count,
    )


def tally(goods: Goods, proposals: Proposals) -> tuple[FloatArray, FloatArray]:
    """Total supply and demand of every good; public-good demand is the councils' mean."""
    supplied = np.bincount(
        proposals.supplied_goods, weights=proposals.supplied_quantities, minlength=goods.count
    )
    supply: FloatArray = goods.fixed_supply + np.asarray(supplied, dtype=np.float64)
    demanded = np.bincount(
        proposals.demanded_goods, weights=proposals.demanded_quantities, minlength=goods.count
    )
    demand: FloatArray = np.asarray(demanded, dtype=np.float64)
    public = goods.is_public()
    demand[public] /= max(proposals.consumer_council_count, 1)
    return supply, demand


def update_prices(
    prices: FloatArray,
    supply: FloatArray,
    demand: FloatArray,
    previous_pd: FloatArray,
    tolerance_percent: float = BALANCE_TOLERANCE_PERCENT,
) -> PriceUpdate:
    """Move every price against its surplus by the published facilitation rule.

    A good that nobody supplies or demands (supply + demand = 0) counts as balanced and keeps
    its price.
    """
    surplus = supply - demand
    total = supply + demand
    relative = np.divide(2.0 * surplus, total, out=np.zeros_like(surplus), where=total > 0)
    magnitude = np.abs(relative)
    step = np.maximum(0.001, (1.05 - 0.5**magnitude) * previous_pd)
    new_prices = prices * (1.0 - np.sign(surplus) * step)
    imbalance = 100.0 * magnitude
    return PriceUpdate(
        prices=new_prices,
        supply=supply,
        demand=demand,
        surplus=surplus,
        imbalance_percent=imbalance,
        step=step,
        next_pd=np.minimum(START_PD, magnitude),
        balanced=bool(np.all(imbalance <= tolerance_percent)),
    )


def facilitation_round(
    goods: Goods,
    prices: FloatArray,
    proposals: Proposals,
    previous_pd: FloatArray,
    tolerance_percent: float = BALANCE_TOLERANCE_PERCENT,
) -> PriceUpdate:
    """One round of the facilitation board: tally the proposals, then update the prices.

    ``previous_pd`` is :attr:`PriceUpdate.next_pd` of the round before, or ``START_PD`` for
    every good in the first round.
    """
    supply, demand = tally(goods, proposals)
    return update_prices(prices, supply, demand, previous_pd, tolerance_percent)


@dataclass(frozen=True, eq=False)
class RoundRecord:
    """One round: the prices the councils answered and what came of them."""

    round: int
    prices: FloatArray
    update: PriceUpdate


def simulate_rounds(
    economy: ParticipatoryEconomy,
    max_rounds: int,
    tolerance_percent: float = BALANCE_TOLERANCE_PERCENT,
    propose: Callable[[ParticipatoryEconomy, FloatArray], Proposals] = simulated_proposals,
) -> Iterator[RoundRecord]:
    """Run rounds from the starting prices until every good is balanced or ``max_rounds``.

    Yields every round, the balanced one last when it is reached.
    """
    prices = economy.goods.start_prices.astype(np.float64)
    pd = np.full(economy.goods.count, START_PD)
    for number in range(1, max_rounds + 1):
        update = facilitation_round(
            economy.goods, prices, propose(economy, prices), pd, tolerance_percent
        )
        yield RoundRecord(round=number, prices=prices, update=update)
        if update.balanced:
            return
        prices, pd = update.prices, update.next_pd
