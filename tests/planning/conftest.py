"""Small economies built directly from arrays, shared by the planning tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from kuzbass.economy.model import Economy

TOY = Path(__file__).parents[1] / "data" / "5yearplan-toy"


def build_economy(
    products: list[str],
    techniques: list[tuple[str, str, float]],
    inputs: dict[tuple[str, str], float] | None = None,
    resources: dict[str, float] | None = None,
    uses: dict[tuple[str, str], float] | None = None,
    targets: list[tuple] | None = None,
    capacity: dict[str, float] | None = None,
) -> Economy:
    """``techniques``: (name, product, declared output); coefficients keyed (row, technique)."""
    names = [name for name, _, _ in techniques]
    product_index = pd.Index(products)
    resources = resources or {}
    resource_index = pd.Index(list(resources))

    def matrix(entries: dict, index: pd.Index) -> sp.csc_array:
        rows = [index.get_loc(key[0]) for key in entries]
        cols = [names.index(key[1]) for key in entries]
        return sp.csc_array((list(entries.values()), (rows, cols)), shape=(len(index), len(names)))

    frame = None
    if targets is not None:
        frame = pd.DataFrame(
            [(t + (1, 1, 1.0)[len(t) - 2 :]) if len(t) < 5 else t for t in targets],
            columns=["product", "quantity", "year", "priority", "weight"],
        )
    capacity = capacity or {}
    return Economy(
        products=product_index,
        product_units=np.array(["unit"] * len(products)),
        techniques=pd.Index(names),
        technique_product=np.array([product_index.get_loc(p) for _, p, _ in techniques]),
        technique_output=np.array([float(o) for _, _, o in techniques]),
        technique_capacity=np.array([capacity.get(name, np.inf) for name in names]),
        input_coefficients=matrix(inputs or {}, product_index),
        resources=resource_index,
        resource_units=np.array(["unit"] * len(resources)),
        resource_available=np.array(list(resources.values()), float),
        resource_coefficients=matrix(uses or {}, resource_index),
        targets=frame,
    )


@pytest.fixture
def toy() -> Economy:
    """Cockshott's 4-good, 5-year toy economy, read by the economy package's 5yearplan reader."""
    return Economy.read(TOY)


@pytest.fixture(name="make_economy")
def make_economy_fixture():
    """The builder itself, so that test modules need not import conftest."""
    return build_economy
