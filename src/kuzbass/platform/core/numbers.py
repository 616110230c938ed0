"""Numbers as people read them: thousands grouped, as many decimals as the size needs, and a unit.

One home for every quantity the pages and stored messages show ("1 061 000 h", "0.125 t",
"13 000 000 rubles"), instead of ``floatformat`` with a different precision on each page and
"1.061e+06" from ``%g``. Text stored in plans and ledger events uses :func:`format_quantity`'s
default separators (a narrow no-break space between thousands, a point before decimals), so it
does not depend on who computed it; the ``quantity`` template filter
(:mod:`kuzbass.platform.core.templatetags.numbers`) passes the reader's language's separators.
"""

from __future__ import annotations

import math

THIN_SPACE = "\u202f"
"""Narrow no-break space: the SI thousands separator, which reads the same in every language."""

SIGNIFICANT = 3
"""Significant digits kept for quantities below 100 (larger ones are shown as whole numbers)."""


def decimals(value: float) -> int:
    """How many decimals ``value`` needs: none from 100 up, else enough for 3 significant digits
    (at most 6, so that a rounding remainder such as 1e-12 shows as 0)."""
    size = abs(value)
    if size >= 100 or size == 0:
        return 0
    return min(6, max(0, SIGNIFICANT - 1 - math.floor(math.log10(size))))


def format_number(value: float | int, *, grouping: str = THIN_SPACE, decimal: str = ".") -> str:
    """``value`` with its thousands grouped and trailing zeros dropped; "—" when it is not a
    finite number ("∞" for an unlimited one)."""
    number = float(value)
    if math.isnan(number):
        return "—"
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    places = decimals(number)
    text = f"{abs(number):,.{places}f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    sign = "−" if number < 0 and (whole.strip("0,") or fraction) else ""
    return sign + whole.replace(",", grouping) + (decimal + fraction if fraction else "")


def format_quantity(
    value: float | int | None,
    unit: str = "",
    *,
    grouping: str = THIN_SPACE,
    decimal: str = ".",
) -> str:
    """``value`` formatted by :func:`format_number`, followed by ``unit`` after a no-break
    space; "—" for a missing value."""
    if value is None:
        return "—"
    text = format_number(value, grouping=grouping, decimal=decimal)
    return f"{text}\u00a0{unit}" if unit and text != "—" else text
