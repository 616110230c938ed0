"""Solving x = M x + b: BiCGSTAB against dense answers, its progress, budget and breakdowns."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kuzbass.economy.generate import generate
from kuzbass.linalg import NotConvergedError, solve_leontief
from kuzbass.linalg.bicgstab import bicgstab
from kuzbass.linalg.row_blocks import RowBlocks


@st.composite
def productive(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """A nonnegative matrix with spectral radius < 1 and a nonnegative right-hand side."""
    n = draw(st.integers(1, 7))
    raw = draw(arrays(np.float64, (n, n), elements=st.floats(0.001, 1)))
    a = raw * draw(arrays(np.bool_, (n, n)))
    bound = max(a.sum(axis=0).max(), a.sum(axis=1).max())
    if bound > 0:
        a = a * (draw(st.floats(0.0, 0.95)) / bound)  # the largest row or column sum bounds ρ
    return a, draw(arrays(np.float64, n, elements=st.floats(0, 100)))


@settings(max_examples=40, deadline=None)
@given(productive())
def test_bicgstab_matches_the_dense_solution(case: tuple[np.ndarray, np.ndarray]) -> None:
    a, demand = case
    operator = RowBlocks(sp.csr_array(a), threads=2 if len(a) > 1 else 1)
    try:
        x, products, rho, residual = bicgstab(operator, demand, 1e-12)
    finally:
        operator.close()
    exact = np.linalg.solve(np.eye(len(a)) - a, demand)
    assert np.abs(x - exact).max() <= 1e-9 * max(1.0, np.abs(exact).max())
    # the residual is measured, not the recursion's
    assert residual == pytest.approx(
        np.linalg.norm(demand - x + a @ x) / max(np.linalg.norm(demand), 1e-300), abs=1e-13
    )
    assert residual <= 1e-12
    # in exact arithmetic BiCGSTAB ends within n steps of two products; one more measures
    assert products <= 2 * len(a) + 3
    assert np.isfinite(rho) and rho >= 0


def test_solve_leontief_reports_progress() -> None:
    seen: list[tuple[int, float]] = []
    economy = generate(2000, 5, seed=4)
    matrix = sp.csr_array(economy.input_coefficients)
    _, report = solve_leontief(matrix, np.ones(2000), progress=lambda i, r: seen.append((i, r)))
    assert seen and seen[-1][1] <= 1e-10
    assert report.iterations >= len({i for i, _ in seen})


def test_a_breakdown_restarts_with_another_shadow_residual() -> None:
    # b·(I − M) b = 0: BiCGSTAB's first step divides by zero when the shadow residual is b
    a = np.array([[0.0, 2.0], [0.0, 0.0]])
    b = np.ones(2)
    assert b @ (b - a @ b) == 0
    for threads in (1, 2):
        operator = RowBlocks(sp.csr_array(a), threads=threads)
        try:
            x, products, _, residual = bicgstab(operator, b, 1e-12)
        finally:
            operator.close()
        np.testing.assert_allclose(x, [3.0, 1.0], rtol=1e-12)
        assert residual <= 1e-12
        assert products > 2  # the broken-down step was spent


def test_the_budget_of_products_is_kept() -> None:
    economy = generate(2000, 5, seed=4)
    matrix = sp.csr_array(economy.input_coefficients)
    seen: list[int] = []
    with pytest.raises(NotConvergedError, match="within 6 products"):
        solve_leontief(matrix, np.ones(2000), max_products=6, progress=lambda i, _: seen.append(i))
    assert max(seen) <= 7  # six, and one more to measure what they reached


def test_a_residual_below_the_attainable_accuracy_is_refused_without_spending_the_budget() -> None:
    # 1e-17 is below rounding: the recursion claims it after ~60 products, the measurement
    # refuses, the solve restarts from the measured residual, and stops once that no longer falls
    economy = generate(2000, 5, seed=4)
    matrix = sp.csr_array(economy.input_coefficients)
    b = np.ones(2000)
    operator = RowBlocks(matrix, threads=2)
    seen: list[tuple[int, float]] = []
    try:
        x, products, _, residual = bicgstab(
            operator, b, 1e-17, progress=lambda i, r: seen.append((i, r))
        )
    finally:
        operator.close()
    assert products < 200
    assert 1e-17 < residual < 1e-14
    assert np.linalg.norm(b - x + matrix @ x) / np.linalg.norm(b) < 1e-14
    assert sum(1 for i, r in seen if r <= 1e-17) >= 2  # restarted at least once
    with pytest.raises(NotConvergedError, match="reached"):
        solve_leontief(matrix, b, tolerance=1e-17)
