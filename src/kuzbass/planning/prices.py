"""Prices in hours at the margin: the duals of making a plan's outputs with the fewest hours.

In 1989 coal was priced by the labour of one chosen mine, so every less productive pit was "below
cost" although the plan needed its coal. Here a product's price is the extra hours society spends
for one more unit when the plan's net outputs are made with the fewest hours under the same
capacities and resource stocks (the dual of that linear program, solved with HiGHS). Then:

- every technique the least-hours plan runs covers its cost (inputs at these prices plus its own
  hours); what its output is worth beyond that is a *differential rent*: the rent of its capacity
  (a better mine that cannot make more) and of the scarce resources it uses;
- a technique worth less than its cost at these prices makes a real loss at the margin: the same
  outputs could be made with fewer hours;
- prices are never below the labour values of the cheapest techniques (capacities only add rent).

Where the dual is not unique (a capacity exactly used up), the least prices consistent with the
optimum are taken: the marginal technique breaks even, none is paid more than the optimum needs.
A product the plan does not make is priced at what its cheapest technique would cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import OptimizeResult, linprog

from kuzbass.economy.model import LABOUR, Economy

TOLERANCE = 1e-9
"""Relative tolerance under which an intensity, slack or rent counts as zero."""

UNBOUNDED = 1e9
"""Prices of unmade products are sought below this multiple of the largest price or hours."""

_linprog = cast(Callable[..., OptimizeResult], linprog)
"""scipy's HiGHS interface; its type stubs do not admit the sparse matrices HiGHS takes."""


class PriceError(ValueError):
    """Net outputs that do not fit the economy, or that no plan within its limits can make."""


@dataclass(frozen=True)
class MarginalPrices:
    """The least-hours plan for given net outputs and its dual prices, all in hours.

    ``prices``: hours per unit of each product; ``intensities``: the least-hours output of each
    technique; ``hours``: the hours that plan works; ``capacity_rent``: hours per unit of output a
    technique earns because its capacity binds; ``resource_rent``: hours per unit of each scarce
    resource (0 for a resource left over or unlimited, and for labour itself).
    """

    prices: pd.Series
    intensities: pd.Series
    hours: float
    capacity_rent: pd.Series
    resource_rent: pd.Series


def labour_per_unit(economy: Economy) -> np.ndarray:
    """Hours of the ``labour`` resource per unit of each technique's output."""
    if LABOUR not in economy.resources:
        raise PriceError(f"the economy has no {LABOUR!r} resource: prices in hours count its use")
    row = int(economy.resources.get_indexer(pd.Index([LABOUR]))[0])
    return np.asarray(sp.csr_array(economy.resource_coefficients)[[row]].toarray()).ravel()


def net_matrix(economy: Economy) -> sp.csc_array:
    """Net output per unit of each technique: its product (+1) minus its inputs."""
    m = economy.n_techniques
    made = sp.csc_array(
        (np.ones(m), (economy.technique_product, np.arange(m))), shape=(economy.n_products, m)
    )
    return sp.csc_array(made - economy.input_coefficients)


def marginal_prices(economy: Economy, net_output: pd.Series) -> MarginalPrices:
    """Prices at the margin for making ``net_output`` (by product; absent products: 0).

    Raises `PriceError` naming an unknown product or a negative or non-finite quantity, or saying
    why no plan within the capacities and resource stocks makes these outputs.
    """
    y = _outputs(economy, net_output)
    labour = labour_per_unit(economy)
    net = net_matrix(economy)
    scarce = np.flatnonzero(
        np.isfinite(economy.resource_available) & (np.asarray(economy.resources) != LABOUR)
    )
    uses = sp.csr_array(economy.resource_coefficients)[scarce]
    stock = economy.resource_available[scarce]
    capacity = economy.technique_capacity
    solved = _linprog(
        labour,
        A_ub=sp.csc_array(sp.vstack([-net, uses])),
        b_ub=np.concatenate([-y, stock]),
        bounds=np.column_stack([np.zeros(len(capacity)), capacity]),
        method="highs",
    )
    if solved.status != 0:
        raise PriceError(
            f"no plan within the capacities and stocks makes these outputs: {solved.message}"
        )
    q = np.maximum(solved.x, 0.0)
    duals = (
        -solved.ineqlin.marginals[: len(y)],
        -solved.upper.marginals,
        -solved.ineqlin.marginals[len(y) :],
    )
    if _degenerate(economy, net, uses, q, y, capacity, stock):
        least = _least_duals(net, uses, labour, q, y, capacity, stock)
        duals = duals if least is None else least
    p, u, w = (np.maximum(d, 0.0) for d in duals)
    p = _price_unmade(economy, p, labour + uses.T @ w, q)
    resource_rent = np.zeros(economy.n_resources)
    resource_rent[scarce] = w
    return MarginalPrices(
        prices=pd.Series(p, index=economy.products, name="price"),
        intensities=pd.Series(q, index=economy.techniques, name="intensity"),
        hours=float(labour @ q),
        capacity_rent=pd.Series(u, index=economy.techniques, name="capacity_rent"),
        resource_rent=pd.Series(resource_rent, index=economy.resources, name="resource_rent"),
    )


def technique_accounts(
    economy: Economy, priced: MarginalPrices, intensities: pd.Series | None = None
) -> pd.DataFrame:
    """Each technique's account at the prices, per unit and for ``intensities`` (default: the
    least-hours plan's), in hours.

    ``unit_worth`` is the price of its product; ``unit_cost`` its inputs at the prices plus its own
    hours; ``unit_rent`` = worth − cost (≥ 0 for every technique the least-hours plan runs: its
    capacity rent plus the rent of the scarce resources it uses); ``worth``, ``cost`` and ``rent``
    are those times the intensity. A negative rent is a loss at the margin.
    """
    q = (priced.intensities if intensities is None else intensities).reindex(
        economy.techniques, fill_value=0.0
    )
    p = priced.prices.to_numpy()
    worth = p[economy.technique_product]
    cost = labour_per_unit(economy) + economy.input_coefficients.T @ p
    table = pd.DataFrame(
        {
            "product": np.asarray(economy.products[economy.technique_product], dtype=object),
            "intensity": q.to_numpy(dtype=float),
            "unit_worth": worth,
            "unit_cost": cost,
            "unit_rent": worth - cost,
        },
        index=economy.techniques,
    )
    for column in ("worth", "cost", "rent"):
        table[column] = table[f"unit_{column}"] * table["intensity"]
    return table


def _outputs(economy: Economy, net_output: pd.Series) -> np.ndarray:
    unknown = net_output.index.difference(economy.products)
    if len(unknown):
        raise PriceError(f"net outputs of unknown products: {', '.join(map(str, unknown[:10]))}")
    values = pd.to_numeric(net_output, errors="coerce").astype(float)
    bad = values.index[~np.isfinite(values) | (values < 0)]
    if len(bad):
        shown = ", ".join(f"{name} = {net_output[name]}" for name in bad[:10])
        raise PriceError(f"net outputs must be non-negative numbers: {shown}")
    return values.groupby(level=0).sum().reindex(economy.products, fill_value=0.0).to_numpy()


def _degenerate(
    economy: Economy,
    net: sp.csc_array,
    uses: sp.csr_array,
    q: np.ndarray,
    y: np.ndarray,
    capacity: np.ndarray,
    stock: np.ndarray,
) -> bool:
    """Whether the optimal duals may not be unique: fewer quantities strictly inside their bounds
    (intensities between 0 and capacity, constraints with slack) than constraints that bind a
    product the plan makes, a capacity or a stock. A nondegenerate optimum has exactly as many,
    and then its duals are the only ones (the rows of products it does not make aside, which
    :func:`_price_unmade` settles)."""
    made = np.zeros(economy.n_products)
    np.add.at(made, economy.technique_product, q)
    interior = (
        int(np.count_nonzero(_above(q, np.zeros_like(q)) & _above(capacity, q)))
        + int(np.count_nonzero(_above(net @ q, y) & (made > 0)))
        + int(np.count_nonzero(_above(stock, uses @ q)))
    )
    return interior < int(np.count_nonzero(made > 0)) + len(stock)


def _above(value: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """Where ``value`` exceeds ``bound`` by more than rounding."""
    return np.asarray(value > bound + TOLERANCE * np.maximum(1.0, np.abs(bound)))


def _least_duals(
    net: sp.csc_array,
    uses: sp.csr_array,
    labour: np.ndarray,
    q: np.ndarray,
    y: np.ndarray,
    capacity: np.ndarray,
    stock: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The least prices among the optimal duals (complementary slackness with ``q``), or None
    when rounding makes that program infeasible (then HiGHS' own duals serve).

    Variables: prices p (n), capacity rents u (m), resource rents w (k), all ≥ 0. For every
    technique, worth − input cost − rents ≤ its hours, with equality where it runs; a capacity
    not used up and a resource left over earn nothing; a product made beyond need is worth 0.
    """
    n, m = net.shape
    k = uses.shape[0]
    scale = TOLERANCE * max(1.0, float(np.max(q, initial=0.0)))
    dual_rows = sp.csr_array(sp.hstack([net.T, -sp.identity(m), -uses.T]))
    running = q > scale
    at_capacity = q >= capacity - TOLERANCE * np.maximum(1.0, np.nan_to_num(capacity, posinf=0))
    used = uses @ q
    binding = used >= stock - TOLERANCE * np.maximum(1.0, stock)
    surplus = net @ q > y + TOLERANCE * np.maximum(1.0, y)
    upper = np.concatenate(
        [
            np.where(surplus, 0.0, np.inf),
            np.where(at_capacity, np.inf, 0.0),
            np.where(binding, np.inf, 0.0),
        ]
    )
    solved = _linprog(
        np.concatenate([np.ones(n), np.zeros(m + k)]),
        A_ub=dual_rows[~running] if (~running).any() else None,
        b_ub=labour[~running] if (~running).any() else None,
        A_eq=dual_rows[running] if running.any() else None,
        b_eq=labour[running] if running.any() else None,
        bounds=np.column_stack([np.zeros(n + m + k), upper]),
        method="highs",
    )
    if solved.status != 0:
        return None
    z = solved.x
    return z[:n], z[n : n + m], z[n + m :]


def _price_unmade(
    economy: Economy, p: np.ndarray, own_cost: np.ndarray, q: np.ndarray
) -> np.ndarray:
    """Raise the price of each product the plan does not make to its cheapest technique's cost
    (own hours, scarce resources at their rent, inputs at prices), which the dual leaves open.

    These costs depend on each other where unmade products are inputs to one another: the highest
    prices that no technique making them undercuts (a small linear program) are those costs. A
    product whose techniques cannot make it at all (they use up more than they make, directly or
    through its inputs) keeps the dual's price.
    """
    made = np.zeros(economy.n_products)
    np.add.at(made, economy.technique_product, q)
    has_technique = np.bincount(economy.technique_product, minlength=economy.n_products) > 0
    unmade = np.flatnonzero((made <= 0) & has_technique)
    if not len(unmade):
        return p
    making = np.flatnonzero(np.isin(economy.technique_product, unmade))
    inputs = sp.csc_array(economy.input_coefficients[:, making])
    position = np.full(economy.n_products, -1)
    position[unmade] = np.arange(len(unmade))
    others = np.where(position < 0, p, 0.0)
    made_here = sp.csr_array(
        (
            np.ones(len(making)),
            (np.arange(len(making)), position[economy.technique_product[making]]),
        ),
        shape=(len(making), len(unmade)),
    )
    # a price this high is one no technique bounds: its product cannot be made at all
    ceiling = UNBOUNDED * max(1.0, float(np.max(p)), float(np.max(own_cost, initial=0.0)))
    solved = _linprog(
        -np.ones(len(unmade)),
        A_ub=sp.csr_array(made_here - sp.csr_array(inputs.T)[:, unmade]),
        b_ub=own_cost[making] + inputs.T @ others,
        bounds=np.column_stack([p[unmade], np.full(len(unmade), ceiling)]),
        method="highs",
    )
    if solved.status != 0:
        return p
    raised = p.copy()
    raised[unmade] = np.where(solved.x < ceiling * (1 - TOLERANCE), solved.x, p[unmade])
    return raised
