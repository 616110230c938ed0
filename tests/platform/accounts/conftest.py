"""Fixtures for the accounts tests: a congress that voted the deductions, and an adopted plan's
labour values (the plan cycle's ``adopted_labour_values``) for soap and bread."""

from decimal import Decimal
from typing import Any

import pytest

from kuzbass.platform.accounts import services
from kuzbass.platform.councils import services as councils
from kuzbass.platform.plans.services import versions

SOAP_HOURS = Decimal("0.5")


@pytest.fixture
def economy(
    brigade: dict[str, Any], make_council: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """The brigade, a congress that voted deductions of 3/20 and 1/10, and an adopted plan's
    labour values for soap and bread."""
    congress = make_council("miners-congress", kind="congress")
    chair = make_user("marina")
    councils.appoint_officer(chair, congress)
    services.set_deductions(chair, congress, public_fund="3/20", investment_fund="1/10")
    monkeypatch.setattr(
        versions,
        "adopted_labour_values",
        lambda congress=None: {"soap": SOAP_HOURS, "bread": Decimal("1.25")},
    )
    return {**brigade, "congress": congress, "chair": chair}
