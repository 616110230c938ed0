"""Multi-year plans: the reduced formulation against docs/design.md's variable-by-variable LP."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuzbass.economy.model import Economy
from kuzbass.planning import optimal_plan

from .variable_by_variable import solve_variable_by_variable

# Σ_y f_y of the toy, computed with the variable-by-variable formulation (HiGHS 1.16).
TOY_OPTIMUM = 8.797299129455235


def test_toy_reference_optimum_of_the_design_formulation(toy):
    peer = solve_variable_by_variable(toy)
    assert peer.status == "optimal"
    assert peer.objective == pytest.approx(TOY_OPTIMUM, rel=1e-9)


def test_reduced_formulation_agrees_on_the_toy_with_fewer_variables(toy):
    peer = solve_variable_by_variable(toy)
    result = optimal_plan(toy)
    assert result.objective == pytest.approx(peer.objective, rel=1e-6)
    asked = result.targets[result.targets["quantity"] > 0]
    fulfilment = asked.groupby("year")["fulfilment"].min()
    assert fulfilment.sum() == pytest.approx(result.objective, rel=1e-9)
    assert fulfilment.sum() == pytest.approx(np.nansum(peer.fulfilment), rel=1e-6)
    assert result.solver["variables"] < peer.variables / 2


def test_toy_plan_respects_labour_stocks_and_balances(toy):
    result = optimal_plan(toy)
    labour = result.resources
    # Solvers meet constraints to a relative tolerance (HiGHS 1e-7, the interior point 1e-10).
    assert (labour["use"] <= labour["available"] * (1 + 1e-9)).all()
    assert (result.products["net_output"] >= -1e-9).all()
    # Rebuild each capital stock from the investment table and check that it carries the output.
    capital = sp.coo_array(toy.capital_coefficients)
    depreciation = sp.csr_array(toy.depreciation)
    intensity = result.intensities.set_index(["technique", "year"])["intensity"]
    investment = result.investment.set_index(["technique", "product", "year"])["quantity"]
    for good, technique, coefficient in zip(capital.row, capital.col, capital.data, strict=True):
        good_name, name = toy.products[good], toy.techniques[technique]
        stock = coefficient * toy.technique_output[technique]
        for year in range(1, result.years + 1):
            assert coefficient * intensity[name, year] <= stock * (1 + 1e-9)
            added = investment.get((name, good_name, year), 0.0)
            stock = (1 - depreciation[good, technique]) * stock + added
    # Strong duality-style invariant: year 1 labour is slack, so it is worth nothing.
    assert labour.loc[labour["year"] == 1, "valuation"].iloc[0] == 0
    assert result.explanations, "every year falls short of twice its target, so reasons are given"


def random_multiyear(
    draw_seed: int, n: int, years: int, input_share: float = 0.6, capital_share: float = 0.5
) -> Economy:
    rng = np.random.default_rng(draw_seed)
    inputs = rng.uniform(0, 0.3 / n, (n, n)) * (rng.random((n, n)) < input_share)
    capital = rng.uniform(0, 1.5, (n, n)) * (rng.random((n, n)) < capital_share)
    depreciation = rng.uniform(0, 0.6, (n, n)) * (capital > 0)
    products = pd.Index([f"g{i}" for i in range(n)])
    targets = pd.DataFrame(
        [
            (products[i], float(rng.uniform(0.1, 2)), y, 1, 1.0)
            for y in range(1, years + 1)
            for i in range(n)
        ],
        columns=["product", "quantity", "year", "priority", "weight"],
    )
    return Economy(
        products=products,
        product_units=np.array(["unit"] * n),
        techniques=pd.Index([f"t{i}" for i in range(n)]),
        technique_product=np.arange(n),
        technique_output=rng.uniform(1, 5, n),
        technique_capacity=np.full(n, np.inf),
        input_coefficients=sp.csc_array(inputs),
        resources=pd.Index(["labour"]),
        resource_units=np.array(["hour"]),
        resource_available=np.array([np.inf]),
        resource_coefficients=sp.csc_array(rng.uniform(0.1, 1, (1, n))),
        targets=targets,
        capital_coefficients=sp.csc_array(capital),
        depreciation=sp.csc_array(depreciation),
        resource_schedule=pd.DataFrame(
            {
                "resource": "labour",
                "year": np.arange(1, years + 1),
                "available": rng.uniform(2, 6, years),
            }
        ),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), years=st.integers(1, 4))
def test_reduced_and_variable_by_variable_agree_on_random_economies(seed, n, years):
    economy = random_multiyear(seed, n, years)
    peer = solve_variable_by_variable(economy)
    result = optimal_plan(economy)
    assert peer.status == result.status == "optimal"
    assert result.objective == pytest.approx(peer.objective, rel=1e-6, abs=1e-9)


COCKSHOTT_S100A = Path(__file__).parents[1] / "data" / "5yearplan-s100a"
COCKSHOTT_S100A_OPTIMUM = 8.357441163889671  # HiGHS on the variable-by-variable LP, ~1e-9


def test_an_economy_of_cockshotts_generator_plans_to_its_reference_optimum():
    """100 industries × 5 years from testeconomy.java: degenerate capital rows, same optimum.

    The capital-blocks method still stops on this plan (a capital block singular to working
    precision near the optimum); until it does not, the plan must say that another method took
    over, and must still reach the reference optimum.
    """
    result = optimal_plan(Economy.read(COCKSHOTT_S100A))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(COCKSHOTT_S100A_OPTIMUM, rel=1e-6)
    assert result.gap is not None and result.gap <= 1e-6
    if result.solver["algorithm"] != "capital-blocks":
        assert result.fallback is not None and "capital-blocks" in result.fallback
