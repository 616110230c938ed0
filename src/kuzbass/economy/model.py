"""The `Economy`: one immutable bundle of arrays that every reader produces and every planner reads.

Coefficients are per unit of a technique's output, so that a technique run at intensity q (units of
output) uses ``input_coefficients[:, j] * q`` of products and ``resource_coefficients[:, j] * q`` of
resources. Several techniques may make one product (choice of technique); labour is a resource.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

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
