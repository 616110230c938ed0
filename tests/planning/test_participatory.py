"""Participatory rounds: closed-form proposals, the facilitation rule, and whole runs."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import minimize

from kuzbass.planning.participatory import (
    START_PD,
    ConsumerCouncils,
    GoodKind,
    Goods,
    Proposals,
    WorkerCouncils,
    consumer_demands,
    facilitation_round,
    simulate_rounds,
    simulated_proposals,
    tally,
    update_prices,
    worker_proposals,
)
from kuzbass.planning.participatory_generator import generate_economy
from kuzbass.planning.participatory_schema import parse_economy

# Goods of a small economy: 0 bread (private), 1 park (public), 2 steel (intermediate),
# 3 ore (natural resource), 4 miners (labour).
GOODS = Goods(
    names=["bread", "park", "steel", "ore", "miners"],
    kinds=np.array([0, 1, 2, 3, 4]),
    start_prices=np.full(5, 700.0),
    fixed_supply=np.array([0.0, 0.0, 0.0, 1000.0, 1000.0]),
)

WORKERS = WorkerCouncils(
    names=["bakery", "steelworks", "park crew"],
    product=np.array([0, 2, 1]),
    productivity=np.array([5.0, 4.2, 5.7]),
    effort_exponent=np.array([0.07, 0.05, 0.1]),
    disutility_coefficient=np.array([1.0, 1.0, 2.0]),
    disutility_exponent=np.array([3.5, 3.0, 4.0]),
    input_goods=np.array([[2, 3, 4], [3, 4, -1], [4, -1, -1]]),
    input_exponents=np.array([[0.27, 0.26, 0.28], [0.4, 0.41, 0.0], [0.8, 0.0, 0.0]]),
)


def _net_benefit(workers: WorkerCouncils, row: int, prices: np.ndarray, logs: np.ndarray) -> float:
    used = workers.input_goods[row] >= 0
    effort, inputs = np.exp(logs[0]), np.exp(logs[1:])
    b = workers.input_exponents[row, used]
    output = workers.productivity[row] * effort ** workers.effort_exponent[row] * np.prod(inputs**b)
    cost = prices[workers.input_goods[row, used]] @ inputs
    disutility = workers.disutility_coefficient[row] * effort ** workers.disutility_exponent[row]
    return float(prices[workers.product[row]] * output - cost - disutility)


@pytest.mark.parametrize("row", [0, 1, 2])
def test_worker_closed_form_matches_a_numeric_optimiser(row: int) -> None:
    prices = np.array([810.0, 640.0, 720.0, 530.0, 900.0])
    proposal = worker_proposals(WORKERS, prices)
    used = WORKERS.input_goods[row] >= 0
    closed = np.log(np.concatenate([[proposal.effort[row]], proposal.inputs[row, used]]))
    best = _net_benefit(WORKERS, row, prices, closed)
    found = minimize(
        lambda logs: -_net_benefit(WORKERS, row, prices, logs) / best,
        x0=np.zeros(1 + used.sum()),
        method="BFGS",
    )
    np.testing.assert_allclose(found.x, closed, atol=1e-4)
    assert best >= _net_benefit(WORKERS, row, prices, found.x)
    # The proposed output is what the technique makes from the proposed effort and inputs.
    b = WORKERS.input_exponents[row, used]
    made = (
        WORKERS.productivity[row]
        * proposal.effort[row] ** WORKERS.effort_exponent[row]
        * np.prod(proposal.inputs[row, used] ** b)
    )
    assert proposal.output[row] == pytest.approx(made, rel=1e-9)
    assert np.all(proposal.inputs[row, ~used] == 0)


def test_consumer_closed_form_matches_a_numeric_optimiser() -> None:
    consumers = ConsumerCouncils(
        names=["north", "south"],
        income=np.array([5000.0, 3000.0]),
        exponents=np.array([[0.03, 0.045], [0.05, 0.01]]),
        goods=np.array([0, 1]),
    )
    prices = np.array([640.0, 900.0, 1.0, 1.0, 1.0])
    demands = consumer_demands(consumers, GOODS, prices)
    council_prices = np.array([640.0, 900.0 / 2])  # a public good costs each council price / 2
    for row in range(2):
        alpha = consumers.exponents[row]
        found = minimize(
            lambda d, alpha=alpha: -float(alpha @ np.log(d)),
            x0=np.full(2, 1.0),
            constraints=[
                {"type": "eq", "fun": lambda d, row=row: council_prices @ d - consumers.income[row]}
            ],
            bounds=[(1e-9, None)] * 2,
            method="SLSQP",
            options={"ftol": 1e-14, "maxiter": 500},
        )
        assert found.success
        np.testing.assert_allclose(found.x, demands[row], rtol=1e-4)


@settings(max_examples=60, deadline=None)
@given(
    income=arrays(np.float64, 4, elements=st.floats(1.0, 1e5)),
    exponents=arrays(np.float64, (4, 3), elements=st.floats(0.001, 1.0)),
    prices=arrays(np.float64, 3, elements=st.floats(0.01, 1e4)),
    public=arrays(np.bool_, 3),
)
def test_a_consumer_council_spends_exactly_its_income(
    income: np.ndarray, exponents: np.ndarray, prices: np.ndarray, public: np.ndarray
) -> None:
    goods = Goods(
        names=["a", "b", "c"],
        kinds=np.where(public, GoodKind.PUBLIC, GoodKind.PRIVATE),
        start_prices=prices,
        fixed_supply=np.zeros(3),
    )
    consumers = ConsumerCouncils(
        names=[f"c{i}" for i in range(4)], income=income, exponents=exponents, goods=np.arange(3)
    )
    demands = consumer_demands(consumers, goods, prices)
    paid = np.where(public, prices / 4, prices)
    np.testing.assert_allclose(demands @ paid, income, rtol=1e-9)
    # Budget shares follow the exponents.
    np.testing.assert_allclose(
        demands * paid / income[:, None], exponents / exponents.sum(axis=1, keepdims=True)
    )


def test_the_facilitation_rule_on_a_known_case() -> None:
    update = update_prices(
        prices=np.array([700.0, 700.0, 700.0]),
        supply=np.array([110.0, 90.0, 100.0]),
        demand=np.array([90.0, 110.0, 100.0]),
        previous_pd=np.array([0.25, 0.1, 0.25]),
    )
    # r = ±0.2, Δ = 1.05 − 0.5^0.2 = 0.179448..., δ = Δ·pd.
    big_delta = 1.05 - 0.5**0.2
    np.testing.assert_allclose(update.step[:2], [big_delta * 0.25, big_delta * 0.1])
    np.testing.assert_allclose(
        update.prices, [700 * (1 - big_delta * 0.25), 700 * (1 + big_delta * 0.1), 700.0]
    )
    np.testing.assert_allclose(update.surplus, [20.0, -20.0, 0.0])
    np.testing.assert_allclose(update.imbalance_percent, [20.0, 20.0, 0.0])
    np.testing.assert_allclose(update.next_pd, [0.2, 0.2, 0.0])
    assert not update.balanced


def test_within_three_percent_is_balanced() -> None:
    prices = np.array([700.0, 700.0])
    # 100·|2s|/(supply + demand): 100·3/100 = 3% exactly, and 100·3.2/100 = 3.2%.
    assert update_prices(
        prices, np.array([50.75, 50.0]), np.array([49.25, 50.0]), np.full(2, 0.25)
    ).balanced
    assert not update_prices(
        prices, np.array([50.8, 50.0]), np.array([49.2, 50.0]), np.full(2, 0.25)
    ).balanced


@settings(max_examples=200, deadline=None)
@given(
    supply=arrays(np.float64, 6, elements=st.floats(0.0, 1e6)),
    demand=arrays(np.float64, 6, elements=st.floats(0.0, 1e6)),
    prices=arrays(np.float64, 6, elements=st.floats(1e-3, 1e6)),
    pd=arrays(np.float64, 6, elements=st.floats(0.0, START_PD)),
)
def test_prices_move_against_the_surplus_by_a_bounded_step(
    supply: np.ndarray, demand: np.ndarray, prices: np.ndarray, pd: np.ndarray
) -> None:
    update = update_prices(prices, supply, demand, pd)
    assert np.all(update.step >= 0.001)
    assert np.all(update.step <= 0.8 * START_PD + 1e-12)  # Δ ≤ 1.05 − 0.5² since |r| ≤ 2
    surplus = supply - demand
    assert np.all(update.prices[surplus > 0] < prices[surplus > 0])
    assert np.all(update.prices[surplus < 0] > prices[surplus < 0])
    assert np.all(update.prices[surplus == 0] == prices[surplus == 0])
    np.testing.assert_allclose(np.abs(update.prices / prices - 1), update.step * (surplus != 0))
    assert np.all(update.next_pd <= START_PD)
    assert np.all(update.imbalance_percent <= 200.0 + 1e-9)


def test_public_good_demand_is_the_mean_of_the_councils_demands() -> None:
    proposals = Proposals(
        supplied_goods=np.array([0, 1, 2]),
        supplied_quantities=np.array([100.0, 40.0, 30.0]),
        # Councils' demands: bread 60 + 50, park 30 and 60 (mean 45), steel and ore by workers.
        demanded_goods=np.array([0, 0, 1, 1, 2, 3, 4]),
        demanded_quantities=np.array([60.0, 50.0, 30.0, 60.0, 35.0, 900.0, 1100.0]),
        consumer_council_count=2,
    )
    supply, demand = tally(GOODS, proposals)
    np.testing.assert_allclose(supply, [100.0, 40.0, 30.0, 1000.0, 1000.0])
    np.testing.assert_allclose(demand, [110.0, 45.0, 35.0, 900.0, 1100.0])
    update = facilitation_round(GOODS, GOODS.start_prices, proposals, np.full(5, START_PD))
    np.testing.assert_allclose(update.surplus, [-10.0, -5.0, -5.0, 100.0, -100.0])
    assert list(np.sign(update.prices - 700.0)) == [1.0, 1.0, 1.0, -1.0, 1.0]


def test_simulated_proposals_add_up_councils_answers() -> None:
    economy = parse_economy(generate_economy(9, 4, 1, seed=3))
    prices = np.array([650.0, 800.0, 700.0, 500.0, 900.0])
    proposals = simulated_proposals(economy, prices)
    supply, demand = tally(economy.goods, proposals)
    production = worker_proposals(economy.workers, prices)
    demands = consumer_demands(economy.consumers, economy.goods, prices)
    assert supply[0] == pytest.approx(production.output[economy.workers.product == 0].sum())
    assert demand[0] == pytest.approx(demands[:, 0].sum())
    assert demand[1] == pytest.approx(demands[:, 1].mean())
    assert demand[4] == pytest.approx(production.inputs[economy.workers.input_goods == 4].sum())
    assert supply[4] == 1000.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_small_generated_economy_balances(seed: int) -> None:
    economy = parse_economy(generate_economy(30, 30, 2, seed=seed))
    records = list(simulate_rounds(economy, 300))
    last = records[-1].update
    assert last.balanced
    assert np.all(last.imbalance_percent <= 3.0)
    assert not any(record.update.balanced for record in records[:-1])
    # Each round answers the prices the previous one set.
    for before, after in itertools.pairwise(records):
        np.testing.assert_array_equal(after.prices, before.update.prices)
    np.testing.assert_array_equal(records[0].prices, economy.goods.start_prices)


def test_the_published_size_balances_in_the_published_number_of_rounds() -> None:
    rounds = [
        len(list(simulate_rounds(parse_economy(generate_economy(3000, 3000, 10, seed)), 100)))
        for seed in range(3)
    ]
    assert all(15 <= count <= 25 for count in rounds), rounds


def test_rounds_stop_at_the_limit_when_unbalanced() -> None:
    economy = parse_economy(generate_economy(30, 30, 2, seed=0))
    records = list(simulate_rounds(economy, 4))
    assert [record.round for record in records] == [1, 2, 3, 4]
    assert not records[-1].update.balanced
    assert math.isfinite(float(records[-1].update.prices.sum()))
