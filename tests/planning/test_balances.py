"""Balances and labour values: known answers, invariants (hypothesis), the iterative solver."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kuzbass.economy import Economy
from kuzbass.economy.generate import generate
from kuzbass.linalg import NotProductiveError, spectral_radius
from kuzbass.planning.balances import gross_output, labour_values


def _economy(a: np.ndarray, labour: np.ndarray) -> Economy:
    n = len(a)
    names = pd.Index([f"g{i}" for i in range(n)])
    return Economy(
        products=names,
        product_units=np.full(n, "t", dtype=object),
        techniques=names,
        technique_product=np.arange(n),
        technique_output=np.ones(n),
        technique_capacity=np.full(n, np.inf),
        input_coefficients=sp.csc_array(a),
        resources=pd.Index(["labour"]),
        resource_units=np.array(["h"], dtype=object),
        resource_available=np.array([np.inf]),
        resource_coefficients=sp.csc_array(labour[None, :]),
    )


@st.composite
def productive(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 7))
    raw = draw(arrays(np.float64, (n, n), elements=st.floats(0.001, 1)))
    mask = draw(arrays(np.bool_, (n, n)))
    a = raw * mask
    bound = max(a.sum(axis=0).max(), a.sum(axis=1).max())
    target = draw(st.floats(0.0, 0.95))
    if bound > 0:
        a = a * (target / bound)  # the largest column or row sum bounds the spectral radius
    labour = draw(arrays(np.float64, n, elements=st.floats(0.01, 10)))
    demand = draw(arrays(np.float64, n, elements=st.floats(0, 100)))
    return a, labour, demand


@settings(max_examples=60, deadline=None)
@given(productive())
def test_balances_hold_and_labour_adds_up(case: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    a, labour, demand = case
    economy = _economy(a, labour)
    x = gross_output(economy, demand).to_numpy()
    v = labour_values(economy).to_numpy()
    scale = max(1.0, np.abs(demand).max())
    assert np.abs(x - a @ x - demand).max() <= 1e-9 * max(scale, np.abs(x).max())
    assert np.abs(v - v @ a - labour).max() <= 1e-9 * max(1.0, np.abs(v).max())
    assert (x >= demand - 1e-9 * scale).all()
    assert (v >= labour - 1e-9 * np.abs(v).max()).all()
    # the labour embodied in the net product is the labour the gross output takes
    assert v @ demand == pytest.approx(labour @ x, rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(productive(), st.floats(0, 50))
def test_more_demand_never_needs_less_output(
    case: tuple[np.ndarray, np.ndarray, np.ndarray], extra: float
) -> None:
    a, labour, demand = case
    economy = _economy(a, labour)
    more = demand.copy()
    more[0] += extra
    both = gross_output(economy, np.column_stack([demand, more])).to_numpy()
    assert (both[:, 1] >= both[:, 0] - 1e-9 * max(1.0, np.abs(both).max())).all()


def test_large_economies_use_bicgstab_with_a_measured_residual() -> None:
    economy = generate(3000, 8, seed=5)
    values = labour_values(economy)
    assert values.attrs["method"] == "bicgstab"
    assert values.attrs["residual"] < 1e-10
    assert values.attrs["spectral_radius"] == pytest.approx(0.9, abs=1e-3)
    assert spectral_radius(economy.input_coefficients) == pytest.approx(0.9, abs=1e-9)
    a = economy.input_coefficients
    labour = economy.resource_coefficients.toarray()[0]
    exact = sp.linalg.spsolve(sp.csc_array(sp.identity(3000) - a.T), labour)
    np.testing.assert_allclose(values.to_numpy(), exact, rtol=1e-8)
    demands = pd.DataFrame({"a": np.ones(3000), "b": np.arange(3000.0)}, index=economy.products)
    outputs = gross_output(economy, demands)
    assert list(outputs.columns) == ["a", "b"]
    assert outputs.attrs["residual"] < 1e-10
    single = gross_output(economy, demands["b"])
    np.testing.assert_allclose(outputs["b"].to_numpy(), single.to_numpy(), rtol=1e-9)
    # total labour of the net product equals the labour used
    assert values.to_numpy() @ demands["b"].to_numpy() == pytest.approx(
        labour @ single.to_numpy(), rel=1e-9
    )


def test_large_non_productive_economy_is_refused() -> None:
    economy = generate(2000, 5, seed=2)
    a = sp.csc_array(economy.input_coefficients * 1.5)
    bad = Economy(**{**economy.__dict__, "input_coefficients": a})
    with pytest.raises(NotProductiveError) as error:
        labour_values(bad)
    assert error.value.spectral_radius == pytest.approx(1.35, rel=1e-6)
