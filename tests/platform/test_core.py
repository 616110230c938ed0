"""The platform's core: the catalogue of ledger events, and the checks on what people type."""

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from kuzbass.platform.core import checks
from kuzbass.platform.core.errors import InvalidInputError
from kuzbass.platform.core.events import CATALOGUE, catalogue_markdown, check_payload
from kuzbass.platform.ledger.models import LedgerEvent
from kuzbass.platform.ledger.services import append_event

ARCHITECTURE = Path(__file__).parents[2] / "docs" / "architecture.md"


def test_the_architecture_page_prints_the_catalogue_as_it_is() -> None:
    page = ARCHITECTURE.read_text()
    section = page.split("<!-- catalogue:start -->\n")[1].split("<!-- catalogue:end -->")[0]
    assert section == catalogue_markdown(), (
        "docs/architecture.md is out of date: paste `kuzbass ledger kinds` between its markers"
    )


def test_a_payload_must_have_exactly_the_catalogued_fields() -> None:
    check_payload("hours.confirmed", {"worker": "anna", "registrations": 2, "seals": {}})
    with pytest.raises(ValueError, match="not in the catalogue"):
        check_payload("hours.forged", {})
    with pytest.raises(ValueError, match="fields not in the catalogue: hours; missing fields: "):
        check_payload("hours.confirmed", {"worker": "anna", "hours": "8"})


@pytest.mark.django_db
def test_an_event_outside_the_catalogue_is_refused_and_nothing_is_written() -> None:
    with pytest.raises(ValueError, match="missing fields: registrations"), transaction.atomic():
        append_event("hours.confirmed", {"worker": "anna"})
    assert not LedgerEvent.objects.exists()


def test_every_kind_describes_each_field() -> None:
    for kind in CATALOGUE.values():
        assert kind.summary.endswith(".") and kind.fields
        assert all(meaning for meaning in kind.fields.values()), kind.name
        assert kind.optional <= set(kind.fields), kind.name


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_number_is_finite_and_positive_or_refused_by_name(value: float) -> None:
    try:
        number = checks.check_number(value, "output", where="line 3")
    except InvalidInputError as error:
        assert error.field == "output" and error.message.startswith("line 3: output")
        assert not checks.SMALLEST_QUANTITY <= value <= checks.LARGEST_QUANTITY
    else:
        assert number == value
        assert checks.SMALLEST_QUANTITY <= number <= checks.LARGEST_QUANTITY


@given(st.fractions())
def test_a_share_lies_in_zero_to_one(value: Fraction) -> None:
    try:
        share = checks.check_share(str(value), "public_fund")
    except InvalidInputError as error:
        fits = len(f"{value.numerator}/{value.denominator}") <= checks.SHARE_LENGTH
        assert "public_fund" in error.message and not (0 <= value < 1 and fits)
    else:
        assert share == value and 0 <= share < 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [(" 7.5 ", Decimal("7.5")), ("0", None), ("-1", None), ("NaN", None), ("eight", None)],
)
def test_hours_are_exact_decimals(value: str, expected: Decimal | None) -> None:
    if expected is None:
        with pytest.raises(InvalidInputError, match="hours"):
            checks.check_hours(value, "hours")
    else:
        assert checks.check_hours(value, "hours") == expected


@pytest.mark.parametrize("value", [None, "", "   ", 7, "x" * 201])
def test_text_is_refused_when_empty_too_long_or_not_text(value: object) -> None:
    with pytest.raises(InvalidInputError, match="title"):
        checks.check_text(value, "title", max_length=200)
