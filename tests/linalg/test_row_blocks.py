"""The blocks of rows: scipy's private kernel is where we call it, and the fallback agrees."""

import numpy as np
import pytest
import scipy.sparse as sp

from kuzbass.economy.generate import generate
from kuzbass.linalg import row_blocks, solve_leontief
from kuzbass.linalg.row_blocks import RowBlocks


def test_scipy_still_has_the_private_kernel() -> None:
    # if this fails, scipy moved csr_matvec: the solver runs on the slower public fallback
    assert row_blocks.PRIVATE_KERNEL is not None
    assert RowBlocks(sp.csr_array(np.eye(3))).private


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_the_public_fallback_adds_the_same_product(threads: int) -> None:
    matrix = sp.random_array((50, 50), density=0.2, format="csr", rng=np.random.default_rng(1))
    x = np.random.default_rng(2).uniform(size=50)
    results = []
    for private in (True, False):
        blocks = RowBlocks(matrix, threads=threads, private=private)
        out = np.ones(50)
        blocks.run(lambda k, blocks=blocks, out=out: blocks.accumulate(k, x, out))
        blocks.close()
        results.append(out)
    np.testing.assert_allclose(results[0], 1.0 + matrix @ x, rtol=1e-14)
    np.testing.assert_allclose(results[1], results[0], rtol=1e-14)


def test_a_solve_on_the_fallback_gives_the_same_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    matrix = sp.csr_array(generate(2000, 5, seed=4).input_coefficients)
    x, _ = solve_leontief(matrix, np.ones(2000))
    monkeypatch.setattr(row_blocks, "PRIVATE_KERNEL", None)
    y, _ = solve_leontief(matrix, np.ones(2000))
    np.testing.assert_allclose(y, x, rtol=1e-12)
