"""The capital-blocks interior-point method against HiGHS' simplex, and its pieces."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuzbass.planning import PlanInputError, optimal_plan
from kuzbass.planning.interior_point import _Components, _SchurMap, solve_interior_point

from .test_multiyear import random_multiyear


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 8), years=st.integers(2, 4))
def test_capital_blocks_reach_the_simplex_optimum_with_a_certificate(seed, n, years):
    economy = random_multiyear(seed, n, years)
    ours = optimal_plan(economy, solver="capital-blocks")
    simplex = optimal_plan(economy, solver="simplex")
    # (in about 1 plan in 1,000 rounding stops the method early and the simplex takes over)
    assert ours.objective == pytest.approx(simplex.objective, rel=1e-7, abs=1e-10)
    assert ours.gap <= 1e-7
    assert ours.solver["max_dual_infeasibility"] <= 1e-7
    # the plan itself is feasible: labour within its availability, no product overdrawn
    resources = ours.resources
    assert (resources["use"] <= resources["available"] * (1 + 1e-9) + 1e-12).all()
    assert (ours.products["net_output"] >= -1e-9 * ours.products["net_output"].abs().max()).all()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 7), years=st.integers(2, 4))
def test_capital_blocks_with_choice_of_technique_capacities_and_land(seed, n, years):
    rng = np.random.default_rng(seed)
    economy = random_multiyear(seed, n, years)
    # a second technique for the first half of the products: other inputs, capital and labour
    copies = np.arange(n // 2 + 1)
    m = n + len(copies)

    def widened(matrix: sp.csc_array) -> sp.csc_array:
        dense = matrix.toarray()
        return sp.csc_array(
            np.hstack([dense, dense[:, copies] * rng.uniform(0.3, 2, dense[:, copies].shape)])
        )

    economy = dataclasses.replace(
        economy,
        techniques=pd.Index([*economy.techniques, *(f"t{i}~2" for i in copies)]),
        technique_product=np.concatenate([economy.technique_product, copies]),
        technique_output=np.concatenate(
            [economy.technique_output, economy.technique_output[copies]]
        ),
        technique_capacity=np.where(rng.random(m) < 0.5, rng.uniform(0.5, 3, m), np.inf),
        input_coefficients=widened(economy.input_coefficients),
        capital_coefficients=widened(economy.capital_coefficients),
        depreciation=sp.csc_array(np.minimum(widened(economy.depreciation).toarray(), 0.9)),
        resources=pd.Index(["labour", "land"]),
        resource_units=np.array(["hour", "hectare"]),
        resource_available=np.array([np.inf, rng.uniform(1, 4)]),
        resource_coefficients=sp.csc_array(
            np.vstack([widened(economy.resource_coefficients).toarray(), rng.uniform(0, 1, (1, m))])
        ),
    )
    ours = optimal_plan(economy, solver="capital-blocks")
    simplex = optimal_plan(economy, solver="simplex")
    assert ours.objective == pytest.approx(simplex.objective, rel=1e-7, abs=1e-10)
    assert ours.gap <= 1e-7
    intensities = ours.intensities
    assert (intensities["intensity"] <= intensities["upper_bound"] * (1 + 1e-9)).all()


def test_auto_plans_many_products_over_years_through_capital_blocks(toy):
    assert optimal_plan(toy).solver["algorithm"] == "primal-simplex"  # 25 rows: simplex is faster
    economy = random_multiyear(7, 100, 5, input_share=0.2, capital_share=0.05)
    result = optimal_plan(economy)
    assert result.solver["algorithm"] == "capital-blocks"
    assert result.solver["ipm_iterations"] < 40
    assert result.gap < 1e-9
    assert result.objective == pytest.approx(
        optimal_plan(economy, solver="simplex").objective, rel=1e-8
    )


def test_year_one_labour_is_worth_nothing_on_the_toy_as_with_the_simplex(toy):
    result = optimal_plan(toy, solver="capital-blocks")
    assert result.solver["algorithm"] == "capital-blocks"
    assert result.gap < 1e-9
    labour = result.resources.set_index("year")["valuation"]
    simplex = optimal_plan(toy, solver="simplex").resources.set_index("year")["valuation"]
    assert labour[1] == simplex[1] == 0
    np.testing.assert_allclose(labour, simplex, rtol=1e-7)


def test_binding_constraints_in_words_match_the_simplex(toy):
    ours = optimal_plan(toy, solver="capital-blocks")
    simplex = optimal_plan(toy, solver="simplex")
    assert set(ours.binding["constraint"]) == set(simplex.binding["constraint"])
    merged = ours.binding.merge(simplex.binding, on="constraint", suffixes=("", "_simplex"))
    np.testing.assert_allclose(merged["valuation"], merged["valuation_simplex"], rtol=1e-6)


def test_a_plan_past_its_time_limit_says_so(toy):
    result = optimal_plan(toy, solver="capital-blocks", time_limit=0.0)
    assert result.status == "time limit reached"
    assert result.objective is None
    assert "reached the time limit at step 1" in result.problems[0]


def test_capital_blocks_plan_complete_sets_only(toy):
    with pytest.raises(PlanInputError, match="capital-blocks solver plans complete sets only"):
        optimal_plan(toy, mode="priorities", solver="capital-blocks")


def test_rows_need_exactly_one_finite_side():
    matrix = sp.csc_array(np.array([[1.0, 1.0]]))
    with pytest.raises(ValueError, match="exactly one finite side"):
        solve_interior_point(
            matrix, np.array([0.0]), np.array([1.0]), np.full(2, np.inf), np.ones(2), 1
        )


def test_a_small_lp_with_a_known_optimum():
    # max x + y: x + 2y ≤ 4 (dense row), x ≤ 3 as an eliminated row, y ≤ 1.5 as a bound
    matrix = sp.csc_array(np.array([[1.0, 2.0], [1.0, 0.0]]))
    point = solve_interior_point(
        matrix,
        np.full(2, -np.inf),
        np.array([4.0, 3.0]),
        np.array([np.inf, 1.5]),
        np.ones(2),
        dense_rows=1,
    )
    assert point.status == "optimal"
    np.testing.assert_allclose(point.col_value, [3.0, 0.5], atol=1e-8)
    np.testing.assert_allclose(point.row_dual, [0.5, 0.5], atol=1e-8)
    assert point.objective == pytest.approx(3.5, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), dense=st.integers(1, 6), eliminated=st.integers(0, 8))
def test_schur_map_gives_the_lower_triangle_of_the_product(seed, dense, eliminated):
    rng = np.random.default_rng(seed)
    n_cols = 10

    def random_rows(count: int) -> sp.csr_array:
        values = rng.normal(size=(count, n_cols)) * (rng.random((count, n_cols)) < 0.3)
        values[np.arange(count), rng.integers(0, n_cols, count)] = 1.0  # no empty row
        return sp.csr_array(values)

    rows_dense, rows_eliminated = random_rows(dense), random_rows(eliminated)
    components = _Components(rows_eliminated, n_cols)
    pattern = components.pattern
    symmetric = rng.normal(size=(n_cols, n_cols))
    symmetric += symmetric.T
    rows = np.repeat(np.arange(n_cols), np.diff(pattern.indptr))
    entries = symmetric[rows, pattern.indices]  # Ξ on the components' blocks
    xi = sp.csr_array((entries, pattern.indices, pattern.indptr), shape=pattern.shape)
    expected = (rows_dense @ xi @ rows_dense.T).toarray()
    made = _SchurMap(rows_dense, pattern).apply(entries)
    np.testing.assert_allclose(np.tril(made), np.tril(expected), atol=1e-12)
    np.testing.assert_array_equal(np.triu(made, 1), 0)
