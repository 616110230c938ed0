"""Properties of optimal plans on small random economies (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from kuzbass.economy.model import Economy
from kuzbass.planning import optimal_plan


@st.composite
def economies(draw):
    n = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    makes = np.concatenate([np.arange(n), rng.integers(0, n, draw(st.integers(0, 4)))])
    m = len(makes)
    inputs = rng.uniform(0, 0.5 / n, (n, m)) * (rng.random((n, m)) < 0.5)
    resources = draw(st.integers(1, 3))
    uses = rng.uniform(0.1, 2, (resources, m)) * (rng.random((resources, m)) < 0.7)
    uses[0] = rng.uniform(0.1, 1, m)  # labour: every technique needs some, so plans are bounded
    capacity = np.where(rng.random(m) < 0.3, rng.uniform(0, 10, m), np.inf)
    products = pd.Index([f"p{i}" for i in range(n)])
    wanted = rng.random(n) < 0.7
    wanted[rng.integers(n)] = True
    targets = pd.DataFrame(
        {
            "product": products[wanted],
            "quantity": rng.uniform(0.5, 5, wanted.sum()),
            "year": 1,
            "priority": rng.integers(1, 3, wanted.sum()),
            "weight": rng.uniform(0.5, 2, wanted.sum()),
        }
    )
    return Economy(
        products=products,
        product_units=np.array(["unit"] * n),
        techniques=pd.Index([f"t{j}" for j in range(m)]),
        technique_product=makes,
        technique_output=np.ones(m),
        technique_capacity=capacity,
        input_coefficients=sp.csc_array(inputs),
        resources=pd.Index(["labour", *[f"r{k}" for k in range(1, resources)]]),
        resource_units=np.array(["unit"] * resources),
        resource_available=rng.uniform(1, 20, resources),
        resource_coefficients=sp.csc_array(uses),
        targets=targets,
    )


def assert_feasible(economy: Economy, result) -> None:
    q = result.intensities["intensity"].to_numpy()
    assert (q >= -1e-9).all()
    assert (q <= economy.technique_capacity + 1e-7).all()
    use = economy.resource_coefficients @ q
    assert (use <= economy.resource_available + 1e-7).all()
    made = np.bincount(economy.technique_product, weights=q, minlength=economy.n_products)
    net = made - economy.input_coefficients @ q
    delivered = np.zeros(economy.n_products)
    np.add.at(
        delivered,
        economy.products.get_indexer(result.targets["product"]),
        result.targets["delivered"].to_numpy(),
    )
    assert (net >= delivered - 1e-7).all()


@settings(max_examples=40, deadline=None)
@given(economies(), st.sampled_from(["complete-sets", "priorities", "harmony"]))
def test_the_returned_plan_is_feasible(economy, mode):
    result = optimal_plan(economy, mode=mode)
    assert result.status == "optimal"
    assert_feasible(economy, result)
    if mode == "priorities":
        assert (result.targets["fulfilment"] <= 1 + 1e-9).all()
    assert result.gap <= 1e-6


@settings(max_examples=40, deadline=None)
@given(economies(), st.floats(1.0, 3.0))
def test_more_resources_never_lower_the_optimum(economy, factor):
    before = optimal_plan(economy)
    richer = Economy(
        **{**economy.__dict__, "resource_available": economy.resource_available * factor}
    )
    after = optimal_plan(richer)
    assert after.objective >= before.objective * (1 - 1e-9) - 1e-9


@settings(max_examples=40, deadline=None)
@given(economies())
def test_valuations_price_the_plan(economy):
    result = optimal_plan(economy)
    table = result.intensities
    profit = table["net_value"] - table["resource_cost"] - table["capacity_valuation"]
    interior = (table["intensity"] > 1e-7) & (table["intensity"] < table["upper_bound"] - 1e-7)
    # A technique in use breaks even at the valuations; none makes a profit.
    assert (np.abs(profit[interior]) < 1e-7).all()
    assert (profit <= 1e-7).all()
    resources = result.resources
    slack = resources["use"] < resources["available"] - 1e-7
    assert (resources.loc[slack, "valuation"].abs() < 1e-9).all()
    assert (resources["valuation"] >= -1e-9).all()
    # Strong duality: stocks and capacities at their valuations are worth the objective.
    bounded = np.isfinite(table["upper_bound"])
    value = (resources["valuation"] * resources["available"]).sum() + (
        table.loc[bounded, "capacity_valuation"] * table.loc[bounded, "upper_bound"]
    ).sum()
    assert value == pytest.approx(result.objective, rel=1e-6, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(economies())
def test_a_leontief_basis_reaches_the_simplex_optimum(economy):
    """The reduced LP (policy technique per product, binding rows only) loses nothing."""
    exact = optimal_plan(economy, solver="simplex")
    result = optimal_plan(economy, solver="leontief-basis")
    assert result.solver["algorithm"] == "leontief-basis"
    assert result.objective == pytest.approx(exact.objective, rel=1e-7, abs=1e-9)
    assert result.gap <= 1e-7
    assert_feasible(economy, result)
    # valuations: no technique earns more than its resources cost unless its capacity binds
    rows = result.intensities
    slack = rows["intensity"] < rows["upper_bound"] - 1e-9
    profit = rows["net_value"] - rows["resource_cost"]
    assert (profit[slack] <= 1e-7 * max(1.0, rows["net_value"].abs().max())).all()


@settings(max_examples=30, deadline=None)
@given(economies())
def test_harmony_through_a_leontief_basis_reaches_the_same_harmony(economy):
    exact = optimal_plan(economy, mode="harmony", solver="simplex")
    result = optimal_plan(economy, mode="harmony", solver="leontief-basis")
    assert result.solver["algorithm"] == "leontief-basis"
    assert result.gap <= 1e-6
    assert result.objective == pytest.approx(exact.objective, rel=1e-6, abs=1e-6)
    assert_feasible(economy, result)
