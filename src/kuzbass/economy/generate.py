"""Synthetic productive economies with the structure of real input-output tables.

Products belong to sectors of skewed sizes. The number of inputs per product is skewed (lognormal,
mean ``inputs_per_product``); about half the inputs come from the product's own sector and the
rest from the whole economy, where a few basic products (energy, transport) are inputs to very
many others (Zipf popularity). Labour intensity differs by sector. The input matrix is scaled so
that its spectral radius is exactly the one asked for.

For plan problems the generator can add what a plan needs: final-demand targets, capacities with
some headroom over the gross output those targets need, a labour stock and a second, scarce
resource (``land``, used by the first sector), and alternative techniques for some products.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from kuzbass import linalg
from kuzbass.economy.model import LABOUR, Economy

LAND = "land"


def _names(prefix: str, count: int) -> pd.Index:
    width = max(1, len(str(max(count - 1, 0))))
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(count)), pa.string()), width, padding="0")
    return pd.Index(pc.binary_join_element_wise(prefix, digits, "").to_pandas())


def generate(
    products: int,
    inputs_per_product: float = 20,
    seed: int = 0,
    spectral_radius: float = 0.9,
    sectors: int | None = None,
    demand_share: float = 0.3,
    capacity_headroom: float | None = None,
    labour_available: float | None = None,
    land_available: float | None = None,
    alternatives: float = 0.0,
) -> Economy:
    """A reproducible economy of ``products`` products (same arguments → same economy).

    ``inputs_per_product`` is the mean number of inputs drawn per product; draws of the same
    input merge, so dense economies end up with somewhat fewer distinct inputs.

    - ``spectral_radius``: ρ of the input matrix of the first technique of each product (< 1).
    - ``demand_share``: share of products with a final-demand target (year 1).
    - ``capacity_headroom``: when given, each technique's capacity is the gross output the targets
      need times 1 + headroom·u, u uniform in [0, 2); otherwise unlimited.
    - ``labour_available``: labour stock as a multiple of the labour the targets need
      (None: unlimited). ``land_available``: adds the resource ``land`` used by the first sector,
      its stock that multiple of the land the targets need.
    - ``alternatives``: share of products given a second technique (named ``<product>~2``) with
      perturbed inputs and labour.
    """
    if products < 1:
        raise ValueError("products must be at least 1")
    if not 0 < spectral_radius < 1:
        raise ValueError("spectral_radius must be in (0, 1) for a productive economy")
    if inputs_per_product <= 0:
        raise ValueError("inputs_per_product must be positive")
    rng = np.random.default_rng(seed)
    n = products
    count = sectors or max(1, min(400, round(np.sqrt(n) / 4)))
    sizes = rng.lognormal(0.0, 0.8, count)
    bounds = np.concatenate([[0], np.round(np.cumsum(sizes) / sizes.sum() * n)]).astype(np.int32)
    sector = np.repeat(np.arange(count, dtype=np.int32), np.diff(bounds))

    raw = rng.lognormal(0.0, 0.8, n)
    inputs = np.clip(np.round(raw / raw.mean() * inputs_per_product), 1, n).astype(np.int64)
    total = int(inputs.sum())
    column = np.repeat(np.arange(n, dtype=np.int32), inputs)
    own = rng.random(total) < 0.5
    home = sector[column[own]]
    start = bounds[home]
    width = bounds[home + 1] - start
    del home
    row = np.empty(total, dtype=np.int32)
    row[own] = start + (rng.random(len(start)) * width).astype(np.int32)
    del start, width
    popularity = 1.0 / np.arange(1, n + 1)
    popular = rng.permutation(n).astype(np.int32)
    cumulative = np.cumsum(popularity)
    drawn = np.searchsorted(cumulative, rng.random(int((~own).sum())) * cumulative[-1])
    row[~own] = popular[np.minimum(drawn, n - 1)]
    del own, drawn, cumulative, popularity, popular
    value = rng.lognormal(0.0, 1.0, total)
    matrix = sp.coo_array((value, (row, column)), shape=(n, n)).tocsc()
    del row, column, value
    matrix.sum_duplicates()
    share = rng.uniform(0.2, 1.0, n)
    sums = np.add.reduceat(matrix.data, matrix.indptr[:-1]) if matrix.nnz else np.zeros(n)
    matrix.data *= np.repeat(share / sums, np.diff(matrix.indptr))
    matrix.data *= spectral_radius / linalg.spectral_radius(matrix, tolerance=1e-13)

    sector_labour = rng.lognormal(0.0, 0.6, count)
    labour = sector_labour[sector] * rng.lognormal(0.0, 0.5, n) * 0.2
    resource_rows = [labour]
    resources = [LABOUR]
    units = ["hours"]
    if land_available is not None:
        land = np.where(sector == 0, rng.lognormal(0.0, 0.5, n), 0.0)
        resource_rows.append(land)
        resources.append(LAND)
        units.append("hectares")
    product_names = _names("p", n)
    targets = None
    demand = np.zeros(n)
    wanted = rng.random(n) < demand_share
    if not wanted.any():
        wanted[rng.integers(n)] = True
    demand[wanted] = rng.lognormal(0.0, 1.0, int(wanted.sum()))
    targets = pd.DataFrame(
        {
            "product": product_names[wanted],
            "quantity": demand[wanted],
            "year": 1,
            "priority": 1,
            "weight": 1.0,
        }
    )

    techniques = product_names.rename("technique")
    technique_product = np.arange(n, dtype=np.int64)
    coefficients = matrix
    resource_matrix = np.vstack(resource_rows)
    chosen = rng.random(n) < alternatives
    if chosen.any():
        extra = np.flatnonzero(chosen)
        variant = sp.csc_array(matrix[:, extra])
        variant.data *= rng.uniform(0.7, 1.3, variant.nnz)
        coefficients = sp.csc_array(sp.hstack([matrix, variant], format="csc"))
        resource_matrix = np.hstack(
            [resource_matrix, resource_matrix[:, extra] * rng.uniform(0.7, 1.3, len(extra))]
        )
        techniques = pd.Index(
            np.concatenate([product_names.to_numpy(), (product_names[extra] + "~2").to_numpy()]),
            name="technique",
        )
        technique_product = np.concatenate([technique_product, extra])
    m = len(techniques)

    capacity = np.full(m, np.inf)
    available = np.full(len(resources), np.inf)
    if capacity_headroom is not None or labour_available is not None or land_available is not None:
        needed, _ = linalg.solve_leontief(sp.csr_array(matrix), demand, tolerance=1e-12)
        # (I − A)⁻¹ ≥ 0, so what a product nobody needs shows below zero is rounding (−1e-15),
        # and a capacity below zero would be refused by every planner
        needed = np.maximum(needed, 0.0)
        use = resource_matrix[:, :n] @ needed
        if capacity_headroom is not None:
            capacity = needed[technique_product] * (
                1 + capacity_headroom * rng.uniform(0.0, 2.0, m)
            )
        if labour_available is not None:
            available[0] = labour_available * use[0]
        if land_available is not None:
            available[1] = land_available * use[1]

    return Economy(
        products=product_names.rename("product"),
        product_units=np.full(n, "unit", dtype=object),
        techniques=techniques,
        technique_product=technique_product,
        technique_output=np.ones(m),
        technique_capacity=capacity,
        input_coefficients=coefficients,
        resources=pd.Index(resources, name="resource"),
        resource_units=np.array(units, dtype=object),
        resource_available=available,
        resource_coefficients=sp.csc_array(resource_matrix),
        targets=targets,
    )
