"""Prices at the margin: known answers, and the duality invariants on random small economies."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from tests.planning.conftest import build_economy

from kuzbass.economy.model import Economy
from kuzbass.planning.prices import (
    PriceError,
    labour_per_unit,
    marginal_prices,
    technique_accounts,
)


def pits(capacity_a: float = 10.0) -> Economy:
    """Pit A mines coal with 1 h/t (at most ``capacity_a`` t), pit B with 3 h/t; a mill makes
    steel from 2 t of coal and 1 h."""
    return build_economy(
        ["coal", "steel"],
        [("pit A", "coal", 1), ("pit B", "coal", 1), ("mill", "steel", 1)],
        inputs={("coal", "mill"): 2.0},
        resources={"labour": np.inf},
        uses={("labour", "pit A"): 1.0, ("labour", "pit B"): 3.0, ("labour", "mill"): 1.0},
        capacity={"pit A": capacity_a},
    )


def test_marginal_pit_sets_the_price_and_the_better_pit_earns_rent() -> None:
    economy = pits()
    priced = marginal_prices(economy, pd.Series({"coal": 15.0}))
    assert priced.prices["coal"] == pytest.approx(3.0)
    assert priced.prices["steel"] == pytest.approx(1.0 + 2 * 3.0)
    assert priced.hours == pytest.approx(10 * 1 + 5 * 3)
    assert priced.capacity_rent["pit A"] == pytest.approx(2.0)
    accounts = technique_accounts(economy, priced)
    assert accounts.loc["pit A", "rent"] == pytest.approx(20.0)
    assert accounts.loc["pit B", "rent"] == pytest.approx(0.0)
    assert accounts.loc["pit B", "worth"] == pytest.approx(accounts.loc["pit B", "cost"])


def test_spare_capacity_earns_no_rent_and_the_idle_pit_would_lose() -> None:
    economy = pits()
    priced = marginal_prices(economy, pd.Series({"coal": 10.0}))
    # pit A exactly used up: the least price is the one at which it breaks even
    assert priced.prices["coal"] == pytest.approx(1.0)
    assert priced.capacity_rent["pit A"] == pytest.approx(0.0)
    accounts = technique_accounts(economy, priced, pd.Series({"pit A": 8.0, "pit B": 2.0}))
    assert accounts.loc["pit B", "rent"] == pytest.approx(-4.0)  # worth 2 h, costs 6 h


def test_a_product_the_plan_does_not_make_is_priced_at_its_cost() -> None:
    priced = marginal_prices(pits(), pd.Series({"coal": 15.0}))
    assert priced.intensities["mill"] == 0.0
    assert priced.prices["steel"] == pytest.approx(7.0)


def test_unmade_products_made_from_each_other_are_priced_at_their_costs() -> None:
    economy = build_economy(
        ["coal", "steel", "tools", "perpetuum"],
        [
            ("pit", "coal", 1),
            ("mill", "steel", 1),
            ("smithy", "tools", 1),
            ("loop", "perpetuum", 1),
        ],
        inputs={("coal", "mill"): 2.0, ("steel", "smithy"): 0.5, ("perpetuum", "loop"): 2.0},
        resources={"labour": np.inf},
        uses={
            ("labour", "pit"): 1.0,
            ("labour", "mill"): 1.0,
            ("labour", "smithy"): 4.0,
            ("labour", "loop"): 1.0,
        },
    )
    priced = marginal_prices(economy, pd.Series({"coal": 5.0}))
    assert priced.prices["steel"] == pytest.approx(1 + 2 * 1.0)
    assert priced.prices["tools"] == pytest.approx(4 + 0.5 * 3.0)
    # a technique that uses up more than it makes cannot price its product: the dual's stays
    assert np.isfinite(priced.prices["perpetuum"])


def test_scarce_resource_earns_rent() -> None:
    economy = build_economy(
        ["grain"],
        [("good field", "grain", 1), ("poor field", "grain", 1)],
        resources={"labour": np.inf, "land": 4.0},
        uses={
            ("labour", "good field"): 1.0,
            ("labour", "poor field"): 2.0,
            ("land", "good field"): 1.0,
            ("land", "poor field"): 1.0,
        },
    )
    priced = marginal_prices(economy, pd.Series({"grain": 4.0}))
    assert priced.prices["grain"] == pytest.approx(1.0)
    assert priced.resource_rent["land"] == pytest.approx(0.0)
    economy_2 = build_economy(
        ["grain"],
        [("good field", "grain", 1), ("poor field", "grain", 1)],
        resources={"labour": np.inf, "good land": 4.0},
        uses={
            ("labour", "good field"): 1.0,
            ("labour", "poor field"): 2.0,
            ("good land", "good field"): 1.0,
        },
    )
    priced = marginal_prices(economy_2, pd.Series({"grain": 6.0}))
    assert priced.prices["grain"] == pytest.approx(2.0)
    assert priced.resource_rent["good land"] == pytest.approx(1.0)
    assert technique_accounts(economy_2, priced).loc["good field", "rent"] == pytest.approx(4.0)


def test_bad_outputs_are_named() -> None:
    with pytest.raises(PriceError, match="unknown products: soap"):
        marginal_prices(pits(), pd.Series({"soap": 1.0}))
    with pytest.raises(PriceError, match="coal = -1"):
        marginal_prices(pits(), pd.Series({"coal": -1.0}))
    no_b = build_economy(
        ["coal"],
        [("pit A", "coal", 1)],
        resources={"labour": np.inf},
        uses={("labour", "pit A"): 1.0},
        capacity={"pit A": 10.0},
    )
    with pytest.raises(PriceError, match="no plan within the capacities"):
        marginal_prices(no_b, pd.Series({"coal": 11.0}))


@st.composite
def economies(draw: st.DrawFn) -> tuple[Economy, pd.Series]:
    n = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    makes = np.concatenate([np.arange(n), rng.integers(0, n, draw(st.integers(0, 3)))])
    m = len(makes)
    inputs = rng.uniform(0, 0.6 / n, (n, m)) * (rng.random((n, m)) < 0.6)
    inputs[makes, np.arange(m)] = 0.0
    labour = rng.uniform(0.1, 5, m)
    crew = rng.uniform(0.1, 2, m) * (rng.random(m) < 0.4)
    capacity = np.where(rng.random(m) < 0.4, rng.uniform(0.5, 10, m), np.inf)
    capacity[:n] = np.inf  # one unlimited technique per product: every output can be made
    products = pd.Index([f"p{i}" for i in range(n)])
    economy = Economy(
        products=products,
        product_units=np.array(["t"] * n, dtype=object),
        techniques=pd.Index([f"t{j}" for j in range(m)]),
        technique_product=makes,
        technique_output=np.ones(m),
        technique_capacity=capacity,
        input_coefficients=sp.csc_array(inputs),
        resources=pd.Index(["labour", "crew"]),
        resource_units=np.array(["h", "h"], dtype=object),
        resource_available=np.array([np.inf, draw(st.floats(0.5, 50))]),
        resource_coefficients=sp.csc_array(np.vstack([labour, crew])),
    )
    wanted = rng.uniform(0, 5, n) * (rng.random(n) < 0.7)
    return economy, pd.Series(wanted, index=products)


def cheapest_labour_values(economy: Economy) -> np.ndarray:
    """The least hours per unit of each product over every choice of one technique per product
    (no capacities): the labour values of the cheapest techniques."""
    labour = labour_per_unit(economy)
    A = economy.input_coefficients.toarray()
    choices = [np.flatnonzero(economy.technique_product == i) for i in range(economy.n_products)]
    best = np.full(economy.n_products, np.inf)
    for chosen in itertools.product(*choices):
        columns = list(chosen)
        values = np.linalg.solve(np.eye(economy.n_products) - A[:, columns].T, labour[columns])
        best = np.minimum(best, values)
    return best


@settings(max_examples=150)
@given(economies())
def test_duality_invariants(case: tuple[Economy, pd.Series]) -> None:
    economy, wanted = case
    try:
        priced = marginal_prices(economy, wanted)
    except PriceError as error:
        assume("no plan within" not in str(error))
        raise
    p = priced.prices.to_numpy()
    q = priced.intensities.to_numpy()
    u = priced.capacity_rent.to_numpy()
    w = priced.resource_rent.to_numpy()
    scale = 1e-6 * max(1.0, float(p.max()))
    # capacities only add rent: no price below the cheapest techniques' labour values
    assert np.all(p >= cheapest_labour_values(economy) - scale)
    accounts = technique_accounts(economy, priced)
    rents = u + economy.resource_coefficients.T @ w
    running = q > 1e-9
    # in use: worth − cost = its rents ≥ 0; never worth more than cost plus rents
    assert np.all(accounts["unit_rent"].to_numpy()[running] >= -scale)
    assert np.allclose(accounts["unit_rent"].to_numpy()[running], rents[running], atol=scale)
    assert np.all(accounts["unit_rent"].to_numpy() <= rents + scale)
    # complementary slackness: spare capacity and spare resources earn nothing
    spare = q < np.nan_to_num(economy.technique_capacity, posinf=np.inf) * (1 - 1e-7) - 1e-7
    assert np.all(u[spare] <= scale)
    used = economy.resource_coefficients @ q
    left = used < economy.resource_available * (1 - 1e-7) - 1e-7
    assert np.all(w[left] <= scale)
    # strong duality: the outputs' worth less the rents is the hours worked
    finite = np.isfinite(economy.technique_capacity)
    stocks = np.isfinite(economy.resource_available)
    dual = (
        p @ wanted.to_numpy()
        - u[finite] @ economy.technique_capacity[finite]
        - w[stocks] @ economy.resource_available[stocks]
    )
    assert dual == pytest.approx(priced.hours, rel=1e-6, abs=1e-6)
