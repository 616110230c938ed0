"""Validation of what people type, before anything is written.

Each function returns the clean value or raises ``InvalidInputError`` naming the field and the
bad value (or the bound it breaks), so services check all their input first and write only when
everything is right. The bounds below are the platform's, one place for pages, API and command
line alike.
"""

import math
import re
from collections.abc import Sized
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from kuzbass.platform.core.errors import InvalidInputError, RefusedError
from kuzbass.platform.councils.models import Council, CouncilKind

TEXT_LENGTH = 20_000
"""The longest free text: a motion, an amendment (a long constitution fits in 20,000 characters)."""
DESCRIPTION_LENGTH = 5_000
"""Descriptions, comments, a delegate's mandate, notes on a demand."""
NAME_LENGTH = 120
"""Names of products, resources, techniques, ballot options."""
BALLOT_OPTIONS = 50
"""Most options or candidates on one ballot."""
LARGEST_QUANTITY = 10**12
"""The largest figure of goods, resources or hours in one field (10¹² units)."""
SMALLEST_QUANTITY = 1e-6
"""The smallest positive figure in a plan declaration: anything smaller is noise, not a plan."""
DAYS_PER_PERIOD = 366
"""A plan period is at most a year."""
SHARE_LENGTH = 20
"""The longest share (quorum, threshold, fund) as a reduced fraction's text, such as 3/20."""

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable(text: str) -> bool:
    """False for text with a NUL character or a lone surrogate, which no database stores
    (PostgreSQL refuses NUL in text; a lone surrogate is not UTF-8)."""
    return _UNSTORABLE.search(text) is None


def unstorable_message(field: str) -> str:
    return f"{field} contains a NUL character or a lone surrogate, which cannot be stored"


def check_text(
    value: Any, field: str, *, max_length: int = TEXT_LENGTH, required: bool = True
) -> str:
    """Stripped text; refused if it is not text, is empty (when required), too long, or holds
    characters no database stores."""
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise InvalidInputError(f"{field} must be text", field=field)
    if not is_storable(text):
        raise InvalidInputError(unstorable_message(field), field=field)
    if required and not text:
        raise InvalidInputError(f"{field} must not be empty", field=field)
    if len(text) > max_length:
        raise InvalidInputError(
            f"{field} is {len(text):,} characters long; the most is {max_length:,}", field=field
        )
    return text


def check_count(items: Sized, field: str, *, most: int) -> None:
    """Refuse more than ``most`` items (options on a ballot, lines in a list)."""
    if len(items) > most:
        raise InvalidInputError(f"{field}: {len(items):,} given; the most is {most:,}", field=field)


def check_number(
    value: Any,
    field: str,
    *,
    allow_zero: bool = False,
    where: str = "",
    most: float = LARGEST_QUANTITY,
) -> float:
    """A finite number from SMALLEST_QUANTITY to ``most`` (or exactly 0 with ``allow_zero``);
    ``where`` prefixes the message."""
    prefix = f"{where}: " if where else ""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError) as error:
        raise InvalidInputError(
            f"{prefix}{field} {value!r} is not a number", field=field
        ) from error
    if not math.isfinite(number):
        raise InvalidInputError(f"{prefix}{field} must be a finite number", field=field)
    if number < 0 or (number == 0 and not allow_zero):
        bound = "≥ 0" if allow_zero else "> 0"
        raise InvalidInputError(f"{prefix}{field} {number:g} must be {bound}", field=field)
    if 0 < number < SMALLEST_QUANTITY:
        raise InvalidInputError(
            f"{prefix}{field} {number:g} is below the smallest figure, {SMALLEST_QUANTITY:g}"
            + (" (or give 0)" if allow_zero else ""),
            field=field,
        )
    if number > most:
        raise InvalidInputError(
            f"{prefix}{field} {number:g} is above the largest figure, {most:g}", field=field
        )
    return number


def check_hours(
    value: Any,
    field: str,
    *,
    allow_zero: bool = False,
    places: int | None = None,
    most: int = LARGEST_QUANTITY,
) -> Decimal:
    """An exact decimal (hours, or a quantity of goods), > 0 (or ≥ 0 with ``allow_zero``), at
    most ``most`` and with at most ``places`` decimal places when given."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as error:
        raise InvalidInputError(f"{field} {value!r} is not a number", field=field) from error
    if not amount.is_finite() or amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidInputError(
            f"{field} must be a {'non-negative' if allow_zero else 'positive'} number, not {value}",
            field=field,
        )
    if amount > most:
        raise InvalidInputError(
            f"{field} {amount} is above the largest figure, {most:,}", field=field
        )
    exponent = amount.normalize().as_tuple().exponent
    if places is not None and isinstance(exponent, int) and -exponent > places:
        raise InvalidInputError(
            f"{field} {amount} has more than {places} decimal places", field=field
        )
    return amount


def check_share_text(value: Any, field: str) -> None:
    """Refuse a share written too long, or with an exponent (``1e999999999`` would take
    Fraction minutes to expand), before anything parses it."""
    text = str(value)
    if len(text) > 2 * SHARE_LENGTH or "e" in text.lower():
        raise InvalidInputError(
            f"{field} {text[:50]!r} is not a fraction such as 3/20 (at most "
            f"{2 * SHARE_LENGTH} characters, no exponent)",
            field=field,
        )


def check_share(value: Any, field: str) -> Fraction:
    """A share such as 3/20, at least 0 and below 1."""
    check_share_text(value, field)
    try:
        share = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError) as error:
        raise InvalidInputError(
            f"{field} {value!r} is not a fraction such as 3/20", field=field
        ) from error
    if not 0 <= share < 1:
        raise InvalidInputError(f"{field} {value!r} must be at least 0 and below 1", field=field)
    if len(f"{share.numerator}/{share.denominator}") > SHARE_LENGTH:
        raise InvalidInputError(
            f"{field} {value!r} is finer than a share of at most {SHARE_LENGTH} characters "
            "such as 3/20",
            field=field,
        )
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
