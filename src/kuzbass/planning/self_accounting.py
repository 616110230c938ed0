"""The 1989 "self-accounting" comparison: money balances next to labour-time accounts.

Under perestroika each mine had to pay its wages out of what the state paid for its coal, while the
plan fixed a coal price below what the coal cost to mine; so wages went unpaid although every hour
had been worked. This module computes, for each workplace (technique) of a plan:

- the money account under a given price list and wage rates: revenue (output × price), the money
  cost of inputs (inputs × prices), the wage bill (hours × wage rate), the balance
  revenue − inputs − wages, and whether wages could have been paid from revenue after inputs;
- the labour-time account: the hours worked, which are always credited in full, and the labour
  value of the output (output × labour value of the product);
- the valuation flag "plan price below cost": the price per unit is below the workplace's own cost
  per unit in hours (its direct labour plus its inputs at labour values) times the money that
  stands for an hour (1 when prices are given in hours).

Labour values are an input (a Series by product), so the comparison can be made with the values of
any adopted plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from kuzbass.economy.model import LABOUR, Economy
from kuzbass.planning.balances import labour_values

COLUMNS = (
    "product",
    "output",
    "price",
    "revenue",
    "input_cost",
    "hours",
    "wage_rate",
    "wage_bill",
    "balance",
    "wages_payable",
    "wage_share_payable",
    "hours_credited",
    "labour_value",
    "output_value_hours",
    "unit_cost_hours",
    "price_below_cost",
)


class PriceListError(ValueError):
    """A price list, wage rates, intensities or labour values do not fit the economy."""


@dataclass(frozen=True)
class SelfAccounting:
    """One row per active workplace (technique), in the economy's technique order.

    Columns: ``product``; ``output`` (the intensity); ``price`` (per unit of the product);
    ``revenue``, ``input_cost``, ``wage_bill`` and ``balance`` in the price list's money;
    ``hours`` worked; ``wage_rate`` (money per hour); ``wages_payable`` (revenue after inputs
    covers the wage bill); ``wage_share_payable`` (the share of the wage bill it covers, 0 to 1);
    ``hours_credited`` (always the hours worked); ``labour_value`` (hours per unit of the product);
    ``output_value_hours``; ``unit_cost_hours`` (the workplace's own cost per unit in hours);
    ``price_below_cost`` (price < unit_cost_hours × money_per_hour).
    """

    workplaces: pd.DataFrame
    money_per_hour: float

    @property
    def unpaid(self) -> pd.Index:
        """Workplaces that could not have paid their wages from revenue after inputs."""
        return self.workplaces.index[~self.workplaces["wages_payable"]]

    @property
    def below_cost(self) -> pd.Index:
        """Workplaces whose plan price is below their cost."""
        return self.workplaces.index[self.workplaces["price_below_cost"]]

    @property
    def unpaid_wages(self) -> float:
        """Money wages that revenue after inputs could not cover, summed over workplaces."""
        w = self.workplaces
        return float(((1 - w["wage_share_payable"]) * w["wage_bill"]).sum())


def compare_self_accounting(
    economy: Economy,
    intensities: pd.Series,
    prices: pd.Series,
    wage_rates: pd.Series | float,
    labour_values: pd.Series,
    *,
    money_per_hour: float,
) -> SelfAccounting:
    """Each active workplace's money account under ``prices`` and its labour-time account.

    ``intensities``: output per period by technique (techniques left out are idle);
    ``prices``: money per unit by product; ``wage_rates``: money per hour by technique, or one
    rate for all; ``labour_values``: hours per unit by product; ``money_per_hour``: the money
    that stands for one hour when comparing prices with costs (1 when prices are in hours — see
    `money_per_hour` for the plan's own average). Unknown names, missing entries and negative or
    non-finite numbers raise `PriceListError` naming them.
    """
    if not np.isfinite(money_per_hour) or money_per_hour <= 0:
        raise PriceListError(f"money_per_hour must be a positive number, not {money_per_hour}")
    q = _by_name(intensities, economy.techniques, "intensities", "technique", fill=0.0)
    active = np.flatnonzero(q > 0)
    A = sp.csc_array(economy.input_coefficients[:, active])
    made = economy.technique_product[active]
    touched = np.union1d(made, A.nonzero()[0])
    p = _by_name(prices, economy.products, "price list", "good")
    v = _by_name(labour_values, economy.products, "labour values", "product")
    users = _first_user(economy, active, made, A)
    _require(p, touched, economy, "price list", "price", users)
    _require(v, touched, economy, "labour values", "labour value", users)
    if isinstance(wage_rates, pd.Series):
        w = _by_name(wage_rates, economy.techniques, "wage rates", "technique")[active]
        missing = economy.techniques[active][np.isnan(w)]
        if len(missing):
            raise PriceListError(f"wage rates: no rate for {', '.join(map(str, missing))}")
    else:
        if not np.isfinite(wage_rates) or wage_rates < 0:
            raise PriceListError(f"wage rate must be a non-negative number, not {wage_rates}")
        w = np.full(len(active), float(wage_rates))
    hours_per_unit = _labour_row(economy)[active]

    output = q[active]
    p_in, v_in = np.nan_to_num(p), np.nan_to_num(v)
    revenue = output * p[made]
    input_cost = output * (A.T @ p_in)
    hours = output * hours_per_unit
    wage_bill = hours * w
    after_inputs = revenue - input_cost
    unit_cost_hours = hours_per_unit + A.T @ v_in
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(wage_bill > 0, np.clip(after_inputs / wage_bill, 0.0, 1.0), 1.0)
    table = pd.DataFrame(
        {
            "product": economy.products[made],
            "output": output,
            "price": p[made],
            "revenue": revenue,
            "input_cost": input_cost,
            "hours": hours,
            "wage_rate": w,
            "wage_bill": wage_bill,
            "balance": after_inputs - wage_bill,
            "wages_payable": after_inputs >= wage_bill,
            "wage_share_payable": share,
            "hours_credited": hours,
            "labour_value": v[made],
            "output_value_hours": output * v[made],
            "unit_cost_hours": unit_cost_hours,
            "price_below_cost": p[made] < unit_cost_hours * money_per_hour,
        },
        index=pd.Index(economy.techniques[active], name="technique"),
    )
    return SelfAccounting(workplaces=table[list(COLUMNS)], money_per_hour=float(money_per_hour))


def money_per_hour(
    economy: Economy, intensities: pd.Series, prices: pd.Series, labour_values: pd.Series
) -> float:
    """The money that stands for one hour in a plan: the price of its net output over its hours.

    Net output is what the active techniques make minus what they use. Dividing its value at the
    price list by its value in hours puts prices and labour values on one scale, so that the goods
    priced below this average rate are the ones the price list underpays.
    """
    q = _by_name(intensities, economy.techniques, "intensities", "technique", fill=0.0)
    made = np.zeros(economy.n_products)
    np.add.at(made, economy.technique_product, q)
    net = made - economy.input_coefficients @ q
    involved = np.flatnonzero(net != 0)
    p = _by_name(prices, economy.products, "price list", "good")[involved]
    v = _by_name(labour_values, economy.products, "labour values", "product")[involved]
    for name, values in (("price list", p), ("labour values", v)):
        missing = economy.products[involved][np.isnan(values)]
        if len(missing):
            raise PriceListError(f"{name}: nothing for {', '.join(map(str, missing))}")
    hours = float(net[involved] @ v)
    if hours <= 0:
        raise PriceListError("the plan's net output embodies no hours; no money-per-hour rate")
    return float(net[involved] @ p) / hours


def average_labour_values(economy: Economy, intensities: pd.Series) -> pd.Series:
    """Labour values of the products as a plan makes them, when several workplaces make one product.

    Each product's cost is the output-weighted average of the techniques the plan runs for it (the
    hours society spends on a unit on average, not those of its best or worst workplace); a product
    the plan does not make is costed at the plain average of its techniques. The hours embodied in
    the plan's net output then equal the hours it works.
    """
    q = _by_name(intensities, economy.techniques, "intensities", "technique", fill=0.0)
    made_by = np.asarray(economy.technique_product)
    planned = np.zeros(economy.n_products)
    np.add.at(planned, made_by, q)
    counts = np.bincount(made_by, minlength=economy.n_products).astype(float)
    weights = np.where(
        planned[made_by] > 0,
        q / np.where(planned[made_by] > 0, planned[made_by], 1.0),
        1.0 / counts[made_by],
    )
    shares = sp.csc_array(
        (weights, (np.arange(economy.n_techniques), made_by)),
        shape=(economy.n_techniques, economy.n_products),
    )
    made = np.flatnonzero(counts > 0)
    averaged = Economy(
        products=economy.products,
        product_units=economy.product_units,
        techniques=pd.Index([f"{p} (average)" for p in economy.products[made]]),
        technique_product=made,
        technique_output=np.ones(len(made)),
        technique_capacity=np.full(len(made), np.inf),
        input_coefficients=sp.csc_array(economy.input_coefficients @ shares[:, made]),
        resources=economy.resources,
        resource_units=economy.resource_units,
        resource_available=economy.resource_available,
        resource_coefficients=sp.csc_array(economy.resource_coefficients @ shares[:, made]),
    )
    return labour_values(averaged)


def _labour_row(economy: Economy) -> np.ndarray:
    if LABOUR not in economy.resources:
        raise PriceListError(f"the economy has no {LABOUR!r} resource, so no hours to account")
    row = list(economy.resources).index(LABOUR)
    return np.asarray(economy.resource_coefficients.tocsr()[row, :].toarray()).ravel()


def _by_name(
    values: pd.Series, names: pd.Index, what: str, kind: str, fill: float = np.nan
) -> np.ndarray:
    """``values`` aligned on ``names``; unknown, repeated, negative or non-finite entries raise."""
    unknown = values.index.difference(names)
    if len(unknown):
        listed = ", ".join(map(str, unknown))
        raise PriceListError(f"{what}: unknown {kind}{'s' if len(unknown) > 1 else ''} {listed}")
    repeated = values.index[values.index.duplicated()].unique()
    if len(repeated):
        raise PriceListError(f"{what}: {', '.join(map(str, repeated))} listed more than once")
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    bad = numbers.index[~np.isfinite(numbers) | (numbers < 0)]
    if len(bad):
        shown = ", ".join(f"{name} = {values[name]}" for name in bad)
        raise PriceListError(f"{what}: not a non-negative number: {shown}")
    return numbers.reindex(names).fillna(fill).to_numpy(dtype=float)


def _require(
    values: np.ndarray,
    needed: np.ndarray,
    economy: Economy,
    what: str,
    word: str,
    users: np.ndarray,
) -> None:
    """Name each product the active workplaces make or use that has no entry, and one user."""
    missing = needed[np.isnan(values[needed])]
    if len(missing):
        listed = "; ".join(
            f"{economy.products[i]} (needed by {economy.techniques[users[i]]})" for i in missing
        )
        raise PriceListError(f"{what}: no {word} for {listed}")


def _first_user(
    economy: Economy, active: np.ndarray, made: np.ndarray, A: sp.csc_array
) -> np.ndarray:
    """For each product, one active technique that makes it (or else uses it); -1 for none."""
    user = np.full(economy.n_products, -1)
    rows, cols = A.nonzero()
    user[rows[::-1]] = active[cols[::-1]]
    user[made[::-1]] = active[::-1]
    return user
