"""The self-accounting comparison for the pages: each workplace's money balance under a price
list next to its labour-time account, from ``kuzbass.planning.self_accounting``.

The economy, the 1989 operating levels and wage rates are those of the bundled Kuzbass 1989
scenario; the price list is the 1989 state list or one a visitor uploads. Next to the computed
columns stand the hours the platform has actually credited at each workplace council.
"""

import io
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd

from kuzbass.platform.accounts.models import hours
from kuzbass.platform.accounts.services import credited_seconds
from kuzbass.platform.councils.models import Council


class PriceListUploadError(ValueError):
    """An uploaded price list that cannot be used; the message names the row or good."""


@dataclass(frozen=True)
class Comparison:
    rows: list[dict[str, Any]]
    money_per_hour: float
    unpaid_wages: float
    price_source: str


@cache
def _scenario() -> tuple[Any, pd.Series, pd.Series, pd.Series, dict[str, str]]:
    from kuzbass.economy import Economy
    from kuzbass.planning.self_accounting import average_labour_values
    from kuzbass.scenarios import loader

    economy = Economy.read(loader.economy_path())
    levels = loader.operating_levels_1989()
    values = average_labour_values(economy, levels)
    story = loader.load_story()
    owners = {t: c.id for c in story.councils for t in c.techniques}
    return economy, levels, values, loader.wage_rates_1989(), owners


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


def compare(prices: pd.Series | None = None) -> Comparison:
    """The comparison under ``prices`` (default: the 1989 state prices)."""
    from kuzbass.planning.self_accounting import (
        PriceListError,
        compare_self_accounting,
        money_per_hour,
    )
    from kuzbass.scenarios import loader

    economy, levels, values, wages, owners = _scenario()
    source = "uploaded price list"
    if prices is None:
        prices = loader.state_prices_1989()
        source = "1989 state prices"
    unknown = sorted(set(prices.index) - set(economy.products))
    if unknown:
        raise PriceListUploadError(
            f"the price list names goods the economy does not have: {', '.join(map(str, unknown))}"
        )
    try:
        rate = money_per_hour(economy, levels, prices, values)
        result = compare_self_accounting(
            economy, levels, prices, wages, values, money_per_hour=rate
        )
    except PriceListError as error:
        raise PriceListUploadError(str(error)) from error
    councils = Council.objects.in_bulk(list(owners.values()), field_name="slug")
    rows: list[dict[str, Any]] = []
    for technique, row in result.workplaces.iterrows():
        council = councils.get(owners.get(str(technique), ""))
        credited = (
            hours(credited_seconds(council.registrations.all())) if council is not None else None
        )
        rows.append(
            {
                "technique": technique,
                "council": council,
                "credited_hours": credited,
                **{str(column): value for column, value in row.items()},
            }
        )
    return Comparison(
        rows=rows, money_per_hour=rate, unpaid_wages=result.unpaid_wages, price_source=source
    )
