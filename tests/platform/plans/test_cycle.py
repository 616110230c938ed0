"""The plan cycle through its services: declarations to an adopted plan, with known answers."""

from decimal import Decimal
from typing import Any

import pytest

from kuzbass.platform.core import errors
from kuzbass.platform.ledger.models import LedgerEvent
from kuzbass.platform.ledger.services import verify_database
from kuzbass.platform.plans import services
from kuzbass.platform.plans.models import ImmutableVersionError, PlanVersion, VersionStatus


def test_a_planning_round_meets_the_need_and_prices_soap_at_its_labour_value(
    declared: dict[str, Any],
) -> None:
    version = services.run_planning_round(declared["kon"], declared["congress"])
    content = version.content
    assert version.status == VersionStatus.DRAFT
    assert content["mode"] == "complete-sets"
    values = {p["product"]: p["labour_value"] for p in content["products"]}
    assert values["coal"] == pytest.approx(2.0)
    assert values["soap"] == pytest.approx(2.0)
    # complete sets: labour (1000 h) binds; soap costs 2 h a tonne, so 500 t = 5 sets of 100
    assert content["objective"] == pytest.approx(5.0)
    soap = services.workplace_part(version, declared["soapworks"])
    assert {o["item"]: o["quantity"] for o in soap["outputs"]}["soap"] == pytest.approx(500)
    assert {i["item"]: i["quantity"] for i in soap["inputs"]}["coal"] == pytest.approx(250)
    assert soap["hours"] == pytest.approx(500)
    mine = services.workplace_part(version, declared["mine"])
    assert mine["hours"] == pytest.approx(500)
    (need,) = services.consumer_part(version, declared["town"])
    assert need["fulfilment"] == pytest.approx(5.0)
    assert need["delivered"] == pytest.approx(100)
    assert version.content_hash == services.content_hash(content)
    event = LedgerEvent.objects.filter(kind="plan.draft_stored").get()
    assert event.payload["content_hash"] == version.content_hash
    assert verify_database().ok


def test_adoption_by_congress_vote_freezes_the_version_and_publishes_labour_values(
    declared: dict[str, Any],
    carry: Any,
) -> None:
    with pytest.raises(services.NoAdoptedPlan):
        services.adopted_labour_values()
    version = services.run_planning_round(declared["kon"], declared["congress"])
    motion = services.propose_adoption(declared["kon"], declared["congress"], version)
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT
    carry(motion, [declared["kon"]])
    version.refresh_from_db()
    assert version.status == VersionStatus.ADOPTED
    assert version.adopted_by_id == motion.pk
    values = services.adopted_labour_values()
    assert values["soap"] == Decimal("2.0") or abs(values["soap"] - 2) < Decimal("1e-9")
    assert isinstance(values["coal"], Decimal)
    adopted = LedgerEvent.objects.filter(kind="plan.adopted").get()
    assert adopted.payload["content_hash"] == version.content_hash
    version.summary = {"tampered": True}
    with pytest.raises(ImmutableVersionError):
        version.save()
    with pytest.raises(ImmutableVersionError):
        version.delete()
    assert verify_database().ok
    PlanVersion.objects.filter(pk=version.pk).update(content_hash="0" * 64)
    report = verify_database()
    assert not report.ok and "plans.planversion" in report.reason


def test_a_failed_run_leaves_the_previous_draft_as_it_was(declared: dict[str, Any]) -> None:
    first = services.run_planning_round(declared["kon"], declared["congress"])
    events = LedgerEvent.objects.count()
    # the only soap technique now needs ore that nobody makes: nothing can meet the need
    services.register_products(
        declared["kon"], declared["congress"], [{"name": "ore", "unit": "t"}]
    )
    services.declare_technique(
        declared["lather"],
        declared["soapworks"],
        name="soap-vorkuta",
        product="soap",
        output=10,
        labour=10,
        inputs={"coal": 5, "ore": 1},
    )
    events = LedgerEvent.objects.count()
    with pytest.raises(errors.RefusedError, match="no workplace can make soap"):
        services.run_planning_round(declared["kon"], declared["congress"])
    assert LedgerEvent.objects.count() == events
    assert list(PlanVersion.objects.all()) == [first]
    first.refresh_from_db()
    assert first.content_hash == services.content_hash(first.content)


def test_a_defeated_adoption_leaves_the_draft_a_draft(declared: dict[str, Any]) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from kuzbass.platform.councils import services as councils

    version = services.run_planning_round(declared["kon"], declared["congress"])
    motion = services.propose_adoption(declared["kon"], declared["congress"], version)
    ballot = councils.open_ballot(
        declared["kon"], motion, closes_at=timezone.now() + timedelta(hours=1)
    )
    councils.cast_vote(declared["kon"], ballot, "no")
    councils.settle(ballot)
    motion.refresh_from_db()
    version.refresh_from_db()
    assert motion.status == "defeated"
    assert version.status == VersionStatus.DRAFT and version.adopted_at is None
    assert not LedgerEvent.objects.filter(kind="plan.adopted").exists()
