"""Economies from pymrio ``IOSystem`` objects (EXIOBASE, WIOD, OECD ICIO, … as pymrio reads them).

Each (region, sector) is a product named ``region/sector`` made by one technique of the same name,
declared at the system's gross output x, with input coefficients A. Rows of the factor-input
extension (value added, employment, …) become resources with coefficients F / x and, as stock,
today's use. The final demand Y, summed over its columns, becomes the targets. A sector with no
output keeps zero coefficients and is declared at output 1 (outputs must be positive).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from kuzbass.economy.errors import EconomyError
from kuzbass.economy.model import LABOUR, Economy


def _label(key: object) -> str:
    return "/".join(map(str, key)) if isinstance(key, tuple) else str(key)


def from_pymrio(
    io_system: Any, labour: str | None = None, extensions: Iterable[str] = ("factor_inputs",)
) -> Economy:
    """See the module docstring; ``labour`` names the resource row to call ``labour``."""
    import pymrio

    if io_system.A is not None:
        a = io_system.A
        x = io_system.x if io_system.x is not None else None
    else:
        if io_system.Z is None or io_system.Y is None:
            raise EconomyError(["the IOSystem has neither A nor Z and Y"])
        x = io_system.x if io_system.x is not None else pymrio.calc_x(io_system.Z, io_system.Y)
        a = pymrio.calc_A(io_system.Z, x)
    if x is None:
        if io_system.Y is None:
            raise EconomyError(["the IOSystem has A but neither x nor Y"])
        x = pymrio.calc_x_from_L(pymrio.calc_L(a), io_system.Y.sum(axis=1))
    output = np.asarray(x.to_numpy(dtype=np.float64)).reshape(-1)
    names = pd.Index([_label(k) for k in a.index], name="product")
    declared = np.where(output > 0, output, 1.0)
    units = (
        np.asarray(io_system.unit.reindex(a.index)["unit"].astype(str), dtype=object)
        if io_system.unit is not None
        else np.full(len(names), "", dtype=object)
    )

    resource_names: list[str] = []
    resource_units: list[str] = []
    rows = []
    for attribute in extensions:
        extension = getattr(io_system, attribute, None)
        if extension is None or extension.F is None:
            raise EconomyError([f"the IOSystem has no extension {attribute!r} with F"])
        f = extension.F.reindex(columns=a.columns).fillna(0.0)
        for key, values in f.iterrows():
            name = _label(key)
            resource_names.append(LABOUR if name == labour else name)
            unit = extension.unit.loc[key, "unit"] if extension.unit is not None else ""
            resource_units.append(str(unit))
            rows.append(values.to_numpy(dtype=np.float64))
    if labour is not None and LABOUR not in resource_names:
        raise EconomyError([f"no factor input named {labour!r} to use as labour"])
    use = np.vstack(rows) if rows else np.zeros((0, len(names)))
    coefficients = np.divide(use, output, out=np.zeros_like(use), where=output > 0)
    targets = None
    if io_system.Y is not None:
        demand = io_system.Y.sum(axis=1).to_numpy(dtype=np.float64)
        targets = pd.DataFrame(
            {"product": names, "quantity": demand, "year": 1, "priority": 1, "weight": 1.0}
        )
    return Economy(
        products=names,
        product_units=units,
        techniques=names.rename("technique"),
        technique_product=np.arange(len(names), dtype=np.int64),
        technique_output=declared,
        technique_capacity=np.full(len(names), np.inf),
        input_coefficients=sp.csc_array(np.asarray(a.to_numpy(dtype=np.float64))),
        resources=pd.Index(resource_names, name="resource"),
        resource_units=np.asarray(resource_units, dtype=object),
        resource_available=use.sum(axis=1),
        resource_coefficients=sp.csc_array(coefficients),
        targets=targets,
    )
