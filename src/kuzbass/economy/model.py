"""The `Economy`: one immutable bundle of arrays that every reader produces and every planner reads.

It is data: reading, writing and checking it are ``kuzbass.economy``'s, computing with it
(balances, labour values, plans) is ``kuzbass.planning``'s (``planning.balances.labour_values``).
Its ``read``, ``write`` and ``check`` hand over to those modules, which build ``Economy`` objects
and so import this one: the methods import them when called.

Coefficients are per unit of a technique's output, so that a technique run at intensity q (units of
output) uses ``input_coefficients[:, j] * q`` of products and ``resource_coefficients[:, j] * q`` of
resources. Several techniques may make one product (choice of technique); labour is a resource.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from kuzbass.economy.errors import EconomyError

if TYPE_CHECKING:
    from kuzbass.economy.validate import Summary

LABOUR = "labour"
"""The name of the resource whose use per unit of output gives labour values."""


@dataclass(frozen=True, eq=False)
class Economy:
    """Products, techniques and resources of one economy.

    Fields (n products, m techniques, r resources):

    - ``products``: unique product names (length n); ``product_units``: unit of each product.
    - ``techniques``: unique technique names (length m); ``technique_product``: index into
      ``products`` of the product each technique makes; ``technique_output``: the output the
      technique was declared with (its inputs were declared for that output);
      ``technique_capacity``: most output per period (``inf`` where unlimited).
    - ``input_coefficients``: n × m sparse, units of product i used per unit output of technique j.
    - ``resources``: unique resource names (length r), usually including ``labour``;
      ``resource_units``; ``resource_available``: the stock per period (``inf`` where unlimited).
    - ``resource_coefficients``: r × m sparse, units of resource k used per unit output of j.
    - ``targets``: final demand / plan targets, a DataFrame with columns
      ``product, quantity, year, priority, weight`` (year and priority start at 1), or None.
    - Multi-year economies (5yearplan folders): ``capital_coefficients`` (n × m sparse, stock of
      product i that technique j holds per unit of yearly output), ``depreciation`` (n × m sparse,
      yearly fraction of that stock worn out) and ``resource_schedule`` (DataFrame with columns
      ``resource, year, available`` overriding ``resource_available`` year by year); None otherwise.
    """

    products: pd.Index
    product_units: np.ndarray
    techniques: pd.Index
    technique_product: np.ndarray
    technique_output: np.ndarray
    technique_capacity: np.ndarray
    input_coefficients: sp.csc_array
    resources: pd.Index
    resource_units: np.ndarray
    resource_available: np.ndarray
    resource_coefficients: sp.csc_array
    targets: pd.DataFrame | None = None
    capital_coefficients: sp.csc_array | None = None
    depreciation: sp.csc_array | None = None
    resource_schedule: pd.DataFrame | None = None

    @property
    def n_products(self) -> int:
        return len(self.products)

    @property
    def n_techniques(self) -> int:
        return len(self.techniques)

    @property
    def n_resources(self) -> int:
        return len(self.resources)

    @property
    def years(self) -> int:
        """How many years the economy's targets and schedules cover (1 for a single period)."""
        years = [1]
        if self.targets is not None and len(self.targets):
            years.append(int(self.targets["year"].max()))
        if self.resource_schedule is not None and len(self.resource_schedule):
            years.append(int(self.resource_schedule["year"].max()))
        return max(years)

    @classmethod
    def read(cls, path: str | Path, format: str | None = None) -> Economy:
        """Read an economy folder: ``csv``, ``parquet`` (canonical tables) or ``5yearplan``.

        The format is detected from the files when not named. Bad input raises
        ``EconomyError`` listing every problem by file, row and value.
        """
        from kuzbass.economy.canonical import detect_format, read_canonical
        from kuzbass.economy.fiveyearplan import read_fiveyearplan

        folder = Path(path)
        fmt = format or detect_format(folder)
        if fmt == "5yearplan":
            return read_fiveyearplan(folder)
        if fmt in ("csv", "parquet"):
            if not folder.is_dir():
                raise EconomyError([f"{folder}: not a folder"])
            return read_canonical(folder, fmt)
        raise EconomyError([f"unknown format {fmt!r} (expected csv, parquet or 5yearplan)"])

    def write(self, path: str | Path, format: str = "csv") -> None:
        """Write the canonical folder (``csv`` or ``parquet``); replaces ``path`` in one rename."""
        from kuzbass.economy.canonical import write_canonical

        if format not in ("csv", "parquet"):
            raise ValueError(f"unknown format {format!r} (expected csv or parquet)")
        write_canonical(self, Path(path), format)

    @classmethod
    def from_pymrio(
        cls,
        io_system: Any,
        labour: str | None = None,
        extensions: Iterable[str] = ("factor_inputs",),
    ) -> Economy:
        """An economy from a pymrio ``IOSystem``: its A and x, and factor inputs as resources.

        Each (region, sector) is a product made by one technique; every row of each extension's
        extension's ``F`` (by default the factor inputs) becomes a resource with coefficients
        ``F / x``. ``labour`` names the row to call ``labour`` (what labour values count).
        """
        from kuzbass.economy.pymrio_io import from_pymrio

        return from_pymrio(io_system, labour, extensions)

    def active_techniques(self, active: Iterable[str] | None = None) -> np.ndarray:
        """The technique index used for each product: the only one, or the one named active.

        Raises ``EconomyError`` naming each product made by several techniques of which none
        (or more than one) is named, and each product that no technique makes.
        """
        from kuzbass.economy.validate import active_techniques

        return active_techniques(self, active)

    def square(self, active: Iterable[str] | None = None) -> sp.csc_array:
        """The n × n input matrix A of the active techniques: column j is the technique making j."""
        chosen = self.active_techniques(active)
        return sp.csc_array(self.input_coefficients[:, chosen])

    def check(self, active: Iterable[str] | None = None) -> Summary:
        """Validate the arrays and the technology; returns a summary or raises ``EconomyError``
        (``NotProductiveError`` when the spectral radius is ≥ 1)."""
        from kuzbass.economy.validate import check

        return check(self, active)
