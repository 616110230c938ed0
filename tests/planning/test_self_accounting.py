"""Self-accounting: known answers by hand, invariants, and errors naming the bad entry."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from kuzbass.economy import Economy
from kuzbass.planning.self_accounting import (
    PriceListError,
    average_labour_values,
    compare_self_accounting,
    money_per_hour,
)


def _economy(A: np.ndarray, labour: np.ndarray, products: list[str] | None = None) -> Economy:
    """One technique per product, named after it."""
    n = len(labour)
    names = products or [f"good{i}" for i in range(n)]
    return Economy(
        products=pd.Index(names),
        product_units=np.array(["unit"] * n),
        techniques=pd.Index([f"make-{name}" for name in names]),
        technique_product=np.arange(n),
        technique_output=np.ones(n),
        technique_capacity=np.full(n, np.inf),
        input_coefficients=sp.csc_array(A),
        resources=pd.Index(["labour"]),
        resource_units=np.array(["hours"]),
        resource_available=np.array([np.inf]),
        resource_coefficients=sp.csc_array(labour.reshape(1, n)),
    )


# A mine needs 0.5 MWh and 3 hours per tonne of coal; a power station 0.25 t of coal and 1 hour per
# MWh. Labour values: coal 3 + 0.5·2 = 4 h/t, electricity 1 + 0.25·4 = 2 h/MWh.
MINE_AND_POWER = _economy(
    np.array([[0.0, 0.25], [0.5, 0.0]]), np.array([3.0, 1.0]), ["coal", "electricity"]
)
VALUES = pd.Series({"coal": 4.0, "electricity": 2.0})
PLAN = pd.Series({"make-coal": 100.0, "make-electricity": 80.0})
STATE_PRICES = pd.Series({"coal": 10.0, "electricity": 15.0})
WAGES = pd.Series({"make-coal": 3.0, "make-electricity": 2.0})


def test_a_mine_paid_below_its_cost_cannot_pay_wages_but_its_hours_are_credited() -> None:
    result = compare_self_accounting(
        MINE_AND_POWER, PLAN, STATE_PRICES, WAGES, VALUES, money_per_hour=3.0
    )
    mine = result.workplaces.loc["make-coal"]
    # 100 t × 10 = 1000 revenue; 50 MWh × 15 = 750 inputs; 300 h × 3 = 900 wages.
    assert mine["revenue"] == 1000
    assert mine["input_cost"] == 750
    assert mine["wage_bill"] == 900
    assert mine["balance"] == -650
    assert not mine["wages_payable"]
    assert mine["wage_share_payable"] == pytest.approx(250 / 900)
    assert mine["hours_credited"] == 300
    assert mine["output_value_hours"] == 400
    # Its cost is 4 h/t, 12 rubles at 3 rubles an hour: the price of 10 is below it.
    assert mine["unit_cost_hours"] == pytest.approx(4.0)
    assert mine["price_below_cost"]
    power = result.workplaces.loc["make-electricity"]
    # 80 MWh × 15 = 1200 revenue; 20 t × 10 = 200 inputs; 80 h × 2 = 160 wages.
    assert (power["revenue"], power["input_cost"], power["wage_bill"]) == (1200, 200, 160)
    assert power["balance"] == 840
    assert power["wages_payable"]
    assert power["wage_share_payable"] == 1
    assert not power["price_below_cost"]
    assert list(result.unpaid) == ["make-coal"]
    assert list(result.below_cost) == ["make-coal"]
    assert result.unpaid_wages == pytest.approx(650)


def test_money_per_hour_is_the_price_of_net_output_over_its_hours() -> None:
    # Net output: 100 − 20 = 80 t of coal, 80 − 50 = 30 MWh;
    # 80·10 + 30·15 = 1250 rubles, 80·4 + 30·2 = 380 h.
    rate = money_per_hour(MINE_AND_POWER, PLAN, STATE_PRICES, VALUES)
    assert rate == pytest.approx(1250 / 380)
    result = compare_self_accounting(
        MINE_AND_POWER, PLAN, STATE_PRICES, WAGES, VALUES, money_per_hour=rate
    )
    assert list(result.below_cost) == ["make-coal"]


def test_a_price_exactly_at_cost_is_not_flagged_and_idle_workplaces_are_left_out() -> None:
    result = compare_self_accounting(
        MINE_AND_POWER,
        pd.Series({"make-coal": 10.0}),
        pd.Series({"coal": 10.0, "electricity": 5.0}),
        2.5,
        VALUES,
        money_per_hour=2.5,
    )
    assert list(result.workplaces.index) == ["make-coal"]
    assert not result.workplaces.loc["make-coal", "price_below_cost"]
    assert result.workplaces.loc["make-coal", "wage_rate"] == 2.5


@st.composite
def economies(draw: st.DrawFn) -> tuple[Economy, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A productive economy (column sums below 1) with intensities, prices and wage rates."""
    n = draw(st.integers(1, 6))
    entries = st.floats(0, 1, allow_nan=False)
    raw = np.array(draw(st.lists(entries, min_size=n * n, max_size=n * n))).reshape(n, n)
    A = raw / (raw.sum(axis=0, keepdims=True) + 1) * draw(st.floats(0, 0.95))
    positive = st.floats(0.01, 1000, allow_nan=False)
    labour = np.array(draw(st.lists(positive, min_size=n, max_size=n)))
    q = np.array(draw(st.lists(st.floats(0, 1000), min_size=n, max_size=n)))
    prices = np.array(draw(st.lists(positive, min_size=n, max_size=n)))
    wages = np.array(draw(st.lists(positive, min_size=n, max_size=n)))
    return _economy(A, labour), q, prices, wages, labour


def _inputs(
    case: tuple[Economy, np.ndarray, np.ndarray, np.ndarray, np.ndarray], scale: float = 1.0
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    economy, q, prices, wages, _ = case
    A = economy.input_coefficients.toarray()
    labour = economy.resource_coefficients.toarray()[0]
    values = np.linalg.solve(np.eye(len(q)) - A.T, labour)
    return (
        pd.Series(q, index=economy.techniques),
        pd.Series(prices * scale, index=economy.products),
        pd.Series(wages * scale, index=economy.techniques),
        pd.Series(values, index=economy.products),
    )


@settings(max_examples=60, deadline=None)
@given(economies())
def test_balance_is_revenue_less_inputs_less_wages_and_hours_are_always_credited(case) -> None:
    economy, q, *_ = case
    intensities, prices, wages, values = _inputs(case)
    w = compare_self_accounting(
        economy, intensities, prices, wages, values, money_per_hour=1.0
    ).workplaces
    assert list(w.index) == list(economy.techniques[q > 0])
    np.testing.assert_allclose(
        w["balance"], w["revenue"] - w["input_cost"] - w["wage_bill"], rtol=1e-12, atol=1e-9
    )
    assert (w["wages_payable"] == (w["balance"] >= 0)).all()
    np.testing.assert_allclose(w["hours_credited"], w["hours"])
    labour = economy.resource_coefficients.toarray()[0]
    np.testing.assert_allclose(w["hours"], (q * labour)[q > 0])
    assert ((w["wage_share_payable"] >= 0) & (w["wage_share_payable"] <= 1)).all()
    assert (w.loc[w["wages_payable"], "wage_share_payable"] == 1).all()


@settings(max_examples=60, deadline=None)
@given(economies(), st.floats(0.01, 100))
def test_scaling_all_prices_scales_money_balances_and_keeps_the_flags(case, scale) -> None:
    economy = case[0]
    intensities, prices, wages, values = _inputs(case)
    _, scaled_prices, scaled_wages, _ = _inputs(case, scale)
    base = compare_self_accounting(economy, intensities, prices, wages, values, money_per_hour=2.0)
    scaled = compare_self_accounting(
        economy, intensities, scaled_prices, scaled_wages, values, money_per_hour=2.0 * scale
    )
    for column in ("revenue", "input_cost", "wage_bill", "balance"):
        np.testing.assert_allclose(
            scaled.workplaces[column], scale * base.workplaces[column], rtol=1e-9, atol=1e-6
        )
    assert scaled.workplaces["price_below_cost"].equals(base.workplaces["price_below_cost"])
    np.testing.assert_allclose(scaled.workplaces["hours_credited"], base.workplaces["hours"])


@settings(max_examples=60, deadline=None)
@given(economies())
def test_priced_at_labour_values_with_an_hour_per_hour_every_workplace_breaks_even(case) -> None:
    economy = case[0]
    intensities, _, _, values = _inputs(case)
    result = compare_self_accounting(economy, intensities, values, 1.0, values, money_per_hour=1.0)
    w = result.workplaces
    scale = np.maximum(w["revenue"], 1.0)
    np.testing.assert_allclose(w["balance"] / scale, 0.0, atol=1e-9)
    np.testing.assert_allclose(w["unit_cost_hours"], w["labour_value"], rtol=1e-9)
    if (intensities > 0).any():
        # The net output's value in hours is the hours worked (v·(I − A)q = l·q).
        assert money_per_hour(economy, intensities, values, values) == pytest.approx(1.0)
    else:
        with pytest.raises(PriceListError, match="embodies no hours"):
            money_per_hour(economy, intensities, values, values)


def _compare(**changes: object) -> None:
    arguments: dict[str, object] = {
        "economy": MINE_AND_POWER,
        "intensities": PLAN,
        "prices": STATE_PRICES,
        "wage_rates": WAGES,
        "labour_values": VALUES,
        "money_per_hour": 3.0,
    }
    arguments.update(changes)
    compare_self_accounting(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"prices": pd.Series({"coal": 10.0, "electricity": 15.0, "vodka": 3.0, "soap": 1.0})},
            "price list: unknown goods soap, vodka",
        ),
        (
            {"prices": pd.Series({"coal": 10.0})},
            "no price for electricity (needed by make-electricity)",
        ),
        (
            {"prices": pd.Series({"coal": 10.0}), "intensities": pd.Series({"make-coal": 5.0})},
            "no price for electricity (needed by make-coal)",
        ),
        ({"prices": pd.Series({"coal": -1.0, "electricity": 15.0})}, "coal = -1.0"),
        ({"prices": pd.Series({"coal": np.nan, "electricity": 15.0})}, "coal = nan"),
        (
            {"intensities": pd.Series({"make-coke": 1.0})},
            "intensities: unknown technique make-coke",
        ),
        ({"intensities": pd.Series({"make-coal": -1.0})}, "make-coal = -1.0"),
        ({"wage_rates": pd.Series({"make-coal": 3.0})}, "wage rates: no rate for make-electricity"),
        ({"wage_rates": -2.0}, "wage rate must be a non-negative number, not -2.0"),
        (
            {"labour_values": pd.Series({"coal": 4.0})},
            "labour values: no labour value for electricity",
        ),
        ({"money_per_hour": 0.0}, "money_per_hour must be a positive number"),
    ],
)
def test_bad_input_is_named(changes: dict[str, object], message: str) -> None:
    with pytest.raises(PriceListError) as error:
        _compare(**changes)
    assert message in str(error.value)


def test_a_repeated_good_is_named() -> None:
    prices = pd.Series([10.0, 15.0, 11.0], index=["coal", "electricity", "coal"])
    with pytest.raises(PriceListError, match="price list: coal listed more than once"):
        _compare(prices=prices)


def test_an_economy_without_labour_is_refused() -> None:
    no_labour = Economy(
        **{
            **MINE_AND_POWER.__dict__,
            "resources": pd.Index(["land"]),
        }
    )
    with pytest.raises(PriceListError, match="no 'labour' resource"):
        _compare(economy=no_labour)


def test_average_labour_values_with_one_technique_per_product_are_the_labour_values() -> None:
    values = average_labour_values(MINE_AND_POWER, PLAN)
    pd.testing.assert_series_equal(values, VALUES, check_names=False, rtol=1e-9)


def test_average_labour_values_weigh_the_workplaces_by_their_output() -> None:
    # Two mines: a hard one at 6 h/t and an easy one at 2 h/t; 100 t from the first, 300 t from
    # the second cost (600 + 600) / 400 = 3 h/t on average. An idle product costs the plain mean.
    economy = Economy(
        products=pd.Index(["coal", "soap"]),
        product_units=np.array(["t", "t"]),
        techniques=pd.Index(["coal-hard", "coal-easy", "soap-a", "soap-b"]),
        technique_product=np.array([0, 0, 1, 1]),
        technique_output=np.ones(4),
        technique_capacity=np.full(4, np.inf),
        input_coefficients=sp.csc_array((2, 4)),
        resources=pd.Index(["labour"]),
        resource_units=np.array(["hours"]),
        resource_available=np.array([np.inf]),
        resource_coefficients=sp.csc_array(np.array([[6.0, 2.0, 1.0, 3.0]])),
    )
    plan = pd.Series({"coal-hard": 100.0, "coal-easy": 300.0})
    values = average_labour_values(economy, plan)
    assert values["coal"] == pytest.approx(3.0)
    assert values["soap"] == pytest.approx(2.0)


@st.composite
def economies_with_choice(draw: st.DrawFn) -> tuple[Economy, pd.Series]:
    """A productive economy where each product has one to three techniques, and a plan."""
    n = draw(st.integers(1, 4))
    makers = draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    product_of = np.repeat(np.arange(n), makers)
    m = len(product_of)
    raw = np.array(draw(st.lists(st.floats(0, 1), min_size=n * m, max_size=n * m))).reshape(n, m)
    A = raw / (raw.sum(axis=0, keepdims=True) + 1) * 0.9
    labour = np.array(draw(st.lists(st.floats(0.01, 100), min_size=m, max_size=m)))
    q = np.array(draw(st.lists(st.floats(0, 1000), min_size=m, max_size=m)))
    names = [f"t{j}" for j in range(m)]
    economy = Economy(
        products=pd.Index([f"good{i}" for i in range(n)]),
        product_units=np.array(["unit"] * n),
        techniques=pd.Index(names),
        technique_product=product_of,
        technique_output=np.ones(m),
        technique_capacity=np.full(m, np.inf),
        input_coefficients=sp.csc_array(A),
        resources=pd.Index(["labour"]),
        resource_units=np.array(["hours"]),
        resource_available=np.array([np.inf]),
        resource_coefficients=sp.csc_array(labour.reshape(1, m)),
    )
    return economy, pd.Series(q, index=names)


@settings(max_examples=60, deadline=None)
@given(economies_with_choice())
def test_at_average_values_the_net_output_embodies_the_hours_worked(case) -> None:
    economy, plan = case
    values = average_labour_values(economy, plan)
    hours = float(economy.resource_coefficients.toarray()[0] @ plan.to_numpy())
    if hours > 0:
        assert money_per_hour(economy, plan, values, values) == pytest.approx(1.0, rel=1e-8)
        result = compare_self_accounting(economy, plan, values, 1.0, values, money_per_hour=1.0)
        total = result.workplaces["balance"].sum()
        assert abs(total) <= 1e-8 * max(1.0, result.workplaces["revenue"].sum())
