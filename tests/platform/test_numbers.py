"""Numbers as the pages show them: grouped thousands, the precision their size needs, a unit."""

import math

import pytest
from django.template import Context, Template
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from kuzbass.platform.core.numbers import THIN_SPACE, format_number, format_quantity


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (1_061_000, "h", f"1{THIN_SPACE}061{THIN_SPACE}000\u00a0h"),
        (13_000_000.0, "", f"13{THIN_SPACE}000{THIN_SPACE}000"),
        (6252.0, "h", f"6{THIN_SPACE}252\u00a0h"),
        (2.0, "", "2"),
        (0.125, "t", "0.125\u00a0t"),
        (3.14159, "", "3.14"),
        (1e-12, "h", "0\u00a0h"),
        (-271_738.4, "h", f"−271{THIN_SPACE}738\u00a0h"),
        (-1e-12, "", "0"),
        (math.inf, "t", "∞\u00a0t"),
        (None, "h", "—"),
    ],
)
def test_known_answers(value: float | None, unit: str, shown: str) -> None:
    assert format_quantity(value, unit) == shown


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_the_text_reads_back_as_the_number_to_three_significant_digits(value: float) -> None:
    text = format_number(value, grouping=",")
    assert "e" not in text
    back = float(text.replace(",", "").replace("−", "-"))
    assert back == pytest.approx(value, rel=5e-3, abs=1e-6)


def test_the_template_filters_use_the_language_separators() -> None:
    template = Template('{% load numbers %}{{ v|quantity:"h" }} {{ s|percent }} {{ n|number }}')
    with translation.override("en"):
        shown = template.render(Context({"v": 1061000.0, "s": 0.484, "n": None}))
    assert shown == "1,061,000\u00a0h 48.4\u00a0% —"
