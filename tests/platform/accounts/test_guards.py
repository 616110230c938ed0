"""Consumption must cost something: a quantity that rounds to no labour writes nothing."""

from typing import Any

import pytest

from kuzbass.platform.accounts import services
from kuzbass.platform.accounts.models import Consumption
from kuzbass.platform.core.errors import InvalidInputError
from kuzbass.platform.ledger.models import LedgerEvent


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("1e-30", "has more than 4 decimal places"),
        ("0.0001", "costs less than a second of labour"),  # 0.0001 t × 0.5 h = 0.18 s
        ("1e13", "is above the largest figure"),
    ],
)
def test_consumption_that_costs_nothing_or_too_much_is_refused(
    economy: dict[str, Any], quantity: str, message: str
) -> None:
    events = LedgerEvent.objects.count()
    with pytest.raises(InvalidInputError, match=message):
        services.consume(economy["members"][0], {"soap": quantity})
    assert not Consumption.objects.exists() and LedgerEvent.objects.count() == events
