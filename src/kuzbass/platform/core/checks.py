"""Validation of what people type, before anything is written.

Each function returns the clean value or raises ``InvalidInputError`` naming the field and the
bad value, so services check all their input first and write only when everything is right.
"""

import math
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from kuzbass.platform.core.errors import InvalidInputError, RefusedError
from kuzbass.platform.councils.models import Council, CouncilKind


def check_text(
    value: Any, field: str, *, max_length: int | None = None, required: bool = True
) -> str:
    """Stripped text; refused if it is not text, is empty (when required) or too long."""
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise InvalidInputError(f"{field} must be text", field=field)
    if required and not text:
        raise InvalidInputError(f"{field} must not be empty", field=field)
    if max_length is not None and len(text) > max_length:
        raise InvalidInputError(f"{field} is longer than {max_length} characters", field=field)
    return text


def check_number(value: Any, field: str, *, allow_zero: bool = False, where: str = "") -> float:
    """A finite number > 0 (or ≥ 0 with ``allow_zero``); ``where`` prefixes the message."""
    prefix = f"{where}: " if where else ""
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(
            f"{prefix}{field} {value!r} is not a number", field=field
        ) from error
    if not math.isfinite(number):
        raise InvalidInputError(f"{prefix}{field} must be a finite number", field=field)
    if number < 0 or (number == 0 and not allow_zero):
        bound = "≥ 0" if allow_zero else "> 0"
        raise InvalidInputError(f"{prefix}{field} {number:g} must be {bound}", field=field)
    return number


def check_hours(value: Any, field: str, *, allow_zero: bool = False) -> Decimal:
    """A number of hours as an exact decimal, > 0 (or ≥ 0 with ``allow_zero``)."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as error:
        raise InvalidInputError(f"{field} {value!r} is not a number", field=field) from error
    if not amount.is_finite() or amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidInputError(
            f"{field} must be a {'non-negative' if allow_zero else 'positive'} number of hours, "
            f"not {value}",
            field=field,
        )
    return amount


def check_share(value: Any, field: str) -> Fraction:
    """A share such as 3/20, at least 0 and below 1."""
    try:
        share = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError) as error:
        raise InvalidInputError(
            f"{field} {value!r} is not a fraction such as 3/20", field=field
        ) from error
    if not 0 <= share < 1:
        raise InvalidInputError(f"{field} {value!r} must be at least 0 and below 1", field=field)
    return share


def check_whole_number(value: Any, field: str, *, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high`` (booleans are not numbers here)."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInputError(
            f"{field} {value!r} must be a whole number from {low} to {high}", field=field
        )
    return value


def check_council_kind(council: Council, kind: str, what: str) -> None:
    """Refuse an act that only another kind of council does (``what``: "declares techniques")."""
    if council.kind != kind:
        raise RefusedError(
            f"{council.name} is a {council.get_kind_display()}: only a "
            f"{CouncilKind(kind).label} {what}"
        )
