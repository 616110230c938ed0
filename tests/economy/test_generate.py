from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from kuzbass.economy import Economy
from kuzbass.economy.generate import LAND, generate
from kuzbass.planning.balances import gross_output, labour_values


def test_same_seed_same_economy_and_another_seed_another() -> None:
    a, b, c = generate(400, 10, seed=7), generate(400, 10, seed=7), generate(400, 10, seed=8)
    assert (a.input_coefficients != b.input_coefficients).nnz == 0
    np.testing.assert_array_equal(
        a.resource_coefficients.toarray(), b.resource_coefficients.toarray()
    )
    assert (a.input_coefficients != c.input_coefficients).nnz > 0


@pytest.mark.parametrize("radius", [0.5, 0.9, 0.99])
def test_spectral_radius_is_exactly_the_one_asked(radius: float) -> None:
    economy = generate(500, 12, seed=1, spectral_radius=radius)
    dense = economy.input_coefficients.toarray()
    assert np.abs(np.linalg.eigvals(dense)).max() == pytest.approx(radius, abs=1e-9)


def test_spectral_radius_is_exact_beyond_the_dense_limit() -> None:
    economy = generate(2500, 8, seed=1, spectral_radius=0.8)
    value = sp.linalg.eigs(economy.input_coefficients, k=1, return_eigenvectors=False)
    assert abs(value[0]) == pytest.approx(0.8, abs=1e-9)


def test_structure_is_skewed_with_labour_everywhere() -> None:
    economy = generate(5000, 20, seed=3)
    counts = np.diff(economy.input_coefficients.indptr)
    assert counts.mean() == pytest.approx(20, rel=0.1)
    assert counts.max() > 3 * counts.mean()
    assert counts.min() >= 1
    used_by = np.bincount(economy.input_coefficients.indices, minlength=5000)
    assert used_by.max() > 50 * used_by.mean()  # basic products feed very many others
    assert (economy.resource_coefficients.toarray()[0] > 0).all()
    assert (economy.input_coefficients.data > 0).all()
    assert economy.targets is not None and len(economy.targets) > 1000


def test_plan_problem_options() -> None:
    economy = generate(
        800,
        8,
        seed=2,
        capacity_headroom=0.5,
        labour_available=1.0,
        land_available=1.2,
        alternatives=0.25,
    )
    assert list(economy.resources) == ["labour", LAND]
    assert economy.n_techniques > 800 and economy.techniques[-1].endswith("~2")
    needed = gross_output(economy, active=economy.techniques[:800])
    capacity = economy.technique_capacity[:800]
    assert (capacity >= needed.to_numpy() * (1 - 1e-9)).all()
    assert (capacity <= needed.to_numpy() * 2 + 1e-9).all()
    labour = economy.resource_coefficients.toarray()[0, :800] @ needed.to_numpy()
    assert economy.resource_available[0] == pytest.approx(labour, rel=1e-9)
    with pytest.raises(Exception, match="several techniques"):
        labour_values(economy)


def test_refuses_impossible_requests() -> None:
    with pytest.raises(ValueError, match="spectral_radius"):
        generate(10, 2, spectral_radius=1.0)
    with pytest.raises(ValueError, match="at least 1"):
        generate(0)


def test_writes_a_readable_parquet_folder(tmp_path: Path) -> None:
    generate(300, 5, seed=1).write(tmp_path / "g", "parquet")
    assert (tmp_path / "g" / "inputs.parquet").exists()
    assert Economy.read(tmp_path / "g").check().spectral_radius == pytest.approx(0.9, abs=1e-9)
