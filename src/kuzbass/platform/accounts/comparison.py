"""The self-accounting comparison for the pages: for the councils and the adopted plan in the
database, each workplace's money account under a price list next to its account in hours.

In 1989 each mine had to pay its wages from what the state paid for its coal. Here every
workplace council of the plan in force is shown twice, never mixing units in one column:

- in money (rubles), at a price list — the 1989 state prices bundled with the demo, or one a
  visitor uploads — and the 1989 wage rates: revenue, inputs, wage bill, balance, and whether the
  revenue after inputs pays the wages;
- in hours, at the plan's own prices (hours at the margin, :mod:`kuzbass.planning.prices`): what
  its planned output is worth, what it costs, the difference as differential rent (or a loss at
  the margin), and the hours the platform has actually credited to its members.
"""

import io
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kuzbass.platform.accounts.models import hours
from kuzbass.platform.accounts.services import credited_seconds
from kuzbass.platform.councils.models import Council
from kuzbass.platform.plans.content import TechniqueRow
from kuzbass.platform.plans.models import PlanVersion


class PriceListUploadError(ValueError):
    """An uploaded price list that cannot be used; the message names the row or good."""


@dataclass(frozen=True)
class Comparison:
    """``money``: one row per workplace in rubles; ``hours``: one row per workplace in hours."""

    version: PlanVersion
    money: list[dict[str, Any]]
    hours: list[dict[str, Any]]
    unpaid_wages: float
    price_source: str
    default_wage_rate: float
    units: dict[str, str]


def read_uploaded_prices(data: bytes) -> pd.Series:
    """A ``product,price_rubles`` CSV from a form; unknown goods are named by the comparison."""
    try:
        table = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise PriceListUploadError(f"the price list cannot be read as CSV ({error})") from error
    if list(table.columns) != ["product", "price_rubles"]:
        raise PriceListUploadError(
            f"the header must be product,price_rubles, not {','.join(map(str, table.columns))}"
        )
    prices = {}
    for line, (product, text) in enumerate(table.itertuples(index=False), start=2):
        try:
            price = float(text)
        except ValueError:
            raise PriceListUploadError(f"line {line}: price {text!r} is not a number") from None
        if not price >= 0:
            raise PriceListUploadError(f"line {line}: price {text!r} must not be negative")
        if product in prices:
            raise PriceListUploadError(f"line {line}: {product!r} is listed twice")
        prices[product] = price
    return pd.Series(prices, name="price_rubles", dtype=float)


def compare(version: PlanVersion, prices: pd.Series | None = None) -> Comparison:
    """The comparison for the plan ``version`` under ``prices`` (default: 1989 state prices)."""
    from kuzbass.scenarios import loader

    content = version.plan_content
    units = {row["product"]: row["unit"] for row in content["products"]}
    source = "uploaded price list"
    if prices is None:
        prices = loader.state_prices_1989()
        source = "1989 state prices"
    unknown = sorted(set(prices.index) - set(units))
    if unknown:
        raise PriceListUploadError(
            "the price list names goods the adopted plan does not have: "
            + ", ".join(map(str, unknown))
        )
    wages = loader.wage_rates_1989()
    default_rate = float(wages.mean())
    by_workplace: dict[str, list[TechniqueRow]] = {}
    for technique in content["techniques"]:
        if technique["intensity"] > 0:
            by_workplace.setdefault(technique["workplace"], []).append(technique)
    councils = Council.objects.in_bulk(list(by_workplace), field_name="slug")
    money: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    unpaid = 0.0
    for slug, techniques in sorted(by_workplace.items()):
        part = content["workplaces"][slug]
        revenue = sum(_priced(prices, t["product"], slug) * t["intensity"] for t in techniques)
        inputs = sum(
            _priced(prices, row["item"], slug) * row["quantity"]
            for row in part["inputs"]
            if row["item"] in units
        )
        wage_bill = sum(
            float(wages.get(t["technique"], default_rate)) * t["hours"] for t in techniques
        )
        after_inputs = revenue - inputs
        share = 1.0 if wage_bill <= 0 else min(1.0, max(0.0, after_inputs / wage_bill))
        unpaid += (1.0 - share) * wage_bill
        council = councils.get(slug)
        products = sorted({t["product"] for t in techniques})
        money.append(
            {
                "slug": slug,
                "council": council,
                "products": [
                    {"product": p, "unit": units[p], "price": float(prices[p])} for p in products
                ],
                "revenue": revenue,
                "inputs": inputs,
                "wage_bill": wage_bill,
                "balance": after_inputs - wage_bill,
                "wages_payable": after_inputs >= wage_bill,
                "wage_share_payable": share,
            }
        )
        credited = (
            hours(credited_seconds(council.registrations.all())) if council is not None else None
        )
        accounts.append(
            {
                "slug": slug,
                "council": council,
                "hours": part["hours"],
                "worth": part["revenue"],
                "cost": part.get("cost", part["revenue"] - part["balance"]),
                "rent": part["balance"],
                "loss": max(0.0, -part["balance"]),
                "credited_hours": credited,
            }
        )
    return Comparison(
        version=version,
        money=money,
        hours=accounts,
        unpaid_wages=unpaid,
        price_source=source,
        default_wage_rate=default_rate,
        units=units,
    )


def _priced(prices: pd.Series, product: str, slug: str) -> float:
    if product not in prices.index:
        raise PriceListUploadError(f"the price list has no price for {product} (used by {slug})")
    return float(prices[product])
