"""``{% load numbers %}``: ``{{ value|quantity:"h" }}`` and ``{{ value|number }}`` in the reader's
language's separators (Django's format files), by :mod:`kuzbass.platform.core.numbers`."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import get_format

from kuzbass.platform.core.numbers import format_quantity

register = template.Library()


def _separators() -> dict[str, str]:
    grouping = str(get_format("THOUSAND_SEPARATOR"))
    return {
        "grouping": "\u202f" if grouping in ("", " ", "\u00a0") else grouping,
        "decimal": str(get_format("DECIMAL_SEPARATOR")),
    }


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@register.filter
def quantity(value: Any, unit: str = "") -> str:
    """``value`` with grouped thousands and the precision its size needs, then ``unit``."""
    number = _number(value)
    if number is None:
        return "—" if value in (None, "") else str(value)
    return format_quantity(number, unit, **_separators())


@register.filter
def number(value: Any) -> str:
    """``value`` as :func:`quantity` shows it, without a unit."""
    return quantity(value)


@register.filter
def percent(value: Any) -> str:
    """A share (0.5) as a percentage ("50 %")."""
    share = _number(value)
    return "—" if share is None else format_quantity(100 * share, "%", **_separators())
