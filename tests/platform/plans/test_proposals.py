"""Planning from below: councils propose at the round's prices, the rounds move the prices by
the simulation's rule, and the version the congress adopts is the councils' proposals."""

import math
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from kuzbass.platform.accounts.services.deductions import set_deductions
from kuzbass.platform.accounts.services.hours import confirm_hours, register_hours
from kuzbass.platform.core import clock as service_clock
from kuzbass.platform.core import errors
from kuzbass.platform.councils import services as councils
from kuzbass.platform.ledger.models import LedgerEvent
from kuzbass.platform.ledger.services import verify_database
from kuzbass.platform.plans import services
from kuzbass.platform.plans.models import ParticipatoryRound, Proposal, VersionStatus
from kuzbass.platform.plans.services.proposal_versions import proposal_lines
from kuzbass.platform.plans.services.proposals import submit_proposal
from kuzbass.platform.plans.services.rounds import close_due_rounds


def _carry(motion: Any, voter: Any) -> None:
    """Carry a motion by the one voter, on the services' clock (which the tests move)."""
    ballot = councils.open_ballot(voter, motion, closes_at=service_clock.now() + timedelta(hours=1))
    councils.cast_vote(voter, ballot, "yes")
    councils.settle(ballot)


def _open(declared: dict[str, Any], hours: int = 2) -> ParticipatoryRound:
    services.run_planning_round(declared["kon"], declared["congress"])
    return services.open_participatory_round(
        declared["kon"],
        declared["congress"],
        deadline=service_clock.now() + timedelta(hours=hours),
    )


def test_opening_a_series_seeds_each_council_with_what_it_declared(
    declared: dict[str, Any],
) -> None:
    first = _open(declared)
    assert first.prices["soap"] == pytest.approx(2.0) and first.prices["labour"] == 1.0
    mine = Proposal.objects.get(council=declared["mine"])
    assert mine.outputs == {"coal": 100.0} and mine.inputs == {"labour": 200.0}
    works = Proposal.objects.get(council=declared["soapworks"])
    assert works.outputs == {"soap": 10.0} and works.inputs == {"coal": 5.0, "labour": 10.0}
    assert Proposal.objects.get(council=declared["town"]).needs == {"soap": 100.0}
    assert LedgerEvent.objects.filter(kind="plan.proposal_submitted").count() == 3


def test_rounds_tally_proposals_and_a_council_that_does_not_answer_keeps_its_own(
    declared: dict[str, Any], clock: Any, carry: Any
) -> None:
    carry(
        services.propose_planning_rules(
            declared["kon"], declared["congress"], round_limit=3, need_threshold=0.95
        ),
        [declared["kon"]],
    )
    first = _open(declared)
    with pytest.raises(errors.RefusedError, match="takes proposals until"):
        services.close_participatory_round(declared["kon"], first)
    submit_proposal(
        declared["lather"],
        declared["soapworks"],
        outputs={"soap": 100},
        inputs={"coal": 50, "labour": 100},
    )
    event = LedgerEvent.objects.filter(kind="plan.proposal_submitted").last()
    assert event is not None
    assert event.payload["outputs"] == {"soap": "100.0"}
    assert event.payload["inputs"] == {"coal": "50.0", "labour": "100.0"}
    assert event.payload["cost"] == "200.0"  # coal at 2 h, labour at 1 h
    clock(timedelta(hours=3))
    with pytest.raises(errors.RefusedError, match="closed for proposals"):
        submit_proposal(declared["lather"], declared["soapworks"], outputs={"soap": 1})
    assert Proposal.objects.get(council=declared["soapworks"]).outputs == {"soap": 100.0}
    assert close_due_rounds() == 1
    closed = ParticipatoryRound.objects.get(pk=first.pk)
    goods = {g["good"]: g for g in closed.outcome["goods"]}
    assert goods["soap"]["supply"] == pytest.approx(100)
    assert goods["soap"]["demand"] == pytest.approx(100)
    assert goods["coal"]["supply"] == 100 and goods["coal"]["demand"] == 50
    assert goods["coal"]["new_price"] < goods["coal"]["price"]  # surplus: the price falls
    assert goods["labour"]["supply"] == 1000 and goods["labour"]["demand"] == 300
    assert closed.outcome["answered"] == ["soapworks"]
    assert closed.versions.count() == 1 and not closed.final
    second = services.open_round()
    assert second is not None and second.number == 2
    assert second.prices["coal"] == pytest.approx(goods["coal"]["new_price"])
    for _ in range(2):
        clock(timedelta(hours=3))
        assert close_due_rounds() == 1
    last = ParticipatoryRound.objects.filter(series=first.series).order_by("-number").first()
    assert last is not None and last.number == 3 and last.final and not last.balanced
    assert services.open_round() is None
    assert verify_database().ok


def test_a_balanced_round_makes_the_proposals_the_plan(
    declared: dict[str, Any], clock: Any, carry: Any
) -> None:
    services.register_resources(
        declared["kon"], declared["congress"], [{"name": "labour", "unit": "h", "available": 200}]
    )
    first = _open(declared, hours=1)
    submit_proposal(
        declared["lather"],
        declared["soapworks"],
        outputs={"soap": 100},
        inputs={"coal": 50, "labour": 100},
    )
    submit_proposal(declared["pit"], declared["mine"], outputs={"coal": 50}, inputs={"labour": 100})
    clock(timedelta(hours=2))
    closed = services.close_participatory_round(declared["kon"], first)
    assert closed.balanced and closed.final
    assert services.open_round() is None
    version = closed.versions.get()
    lines = proposal_lines(version.plan_content)
    assert lines and all(line["planned"] == line["proposed"] for line in lines)
    (need,) = services.consumer_part(version, declared["town"])
    assert need["quantity"] == need["delivered"] == 100
    part = services.workplace_part(version, declared["mine"])
    assert part["outputs"] == [{"item": "coal", "quantity": 50.0, "unit": "t"}]
    assert Client().get(f"/plans/versions/{version.pk}/").status_code == 200
    motion = services.propose_adoption(declared["kon"], declared["congress"], version)
    assert motion.text.splitlines()[0].startswith("The participatory rounds balanced")
    _carry(motion, declared["kon"])
    version.refresh_from_db()
    assert version.status == VersionStatus.ADOPTED
    assert verify_database().ok


def test_at_the_round_limit_the_plan_is_the_nearest_feasible_within_every_proposal(
    declared: dict[str, Any], clock: Any, carry: Any
) -> None:
    carry(
        services.propose_planning_rules(
            declared["kon"], declared["congress"], round_limit=1, need_threshold=0.95
        ),
        [declared["kon"]],
    )
    first = _open(declared)
    # the works can make only 40 t of soap for the town's 100 t: soap is the binding shortage
    submit_proposal(
        declared["lather"],
        declared["soapworks"],
        outputs={"soap": 40},
        inputs={"coal": 20, "labour": 40},
    )
    clock(timedelta(hours=3))
    closed = services.close_participatory_round(declared["kon"], first)
    assert closed.final and not closed.balanced
    version = closed.versions.get()
    part = version.plan_content["proposals"]
    assert part["binding_shortages"] == ["soap"]
    lines = {(line["council"], line["good"]): line for line in proposal_lines(version.plan_content)}
    town = lines[("vorkuta", "soap")]
    assert town["planned"] == pytest.approx(40) and town["proposed"] == 100
    assert "binding shortage: soap" in town["why"]
    assert all(line["planned"] <= line["proposed"] * (1 + 1e-9) for line in lines.values())
    assert lines[("soapworks", "soap")]["planned"] == pytest.approx(40)
    motion = services.propose_adoption(declared["kon"], declared["congress"], version)
    assert motion.text.splitlines()[0].startswith("The participatory rounds did NOT balance")


def test_adopting_a_version_ends_its_series(
    declared: dict[str, Any], clock: Any, carry: Any
) -> None:
    first = _open(declared)
    clock(timedelta(hours=3))
    closed = services.close_participatory_round(declared["kon"], first)
    assert not closed.final and services.open_round() is not None
    motion = services.propose_adoption(declared["kon"], declared["congress"], closed.versions.get())
    _carry(motion, declared["kon"])
    assert services.open_round() is None
    assert LedgerEvent.objects.filter(kind="plan.series_ended").count() == 1
    assert verify_database().ok


def test_bad_proposals_are_refused_with_the_reason_and_keep_the_standing_one(
    declared: dict[str, Any], join: Any
) -> None:
    _open(declared)
    standing = Proposal.objects.get(council=declared["soapworks"]).outputs
    events = LedgerEvent.objects.count()
    cases: list[tuple[Any, Any, dict[str, Any], type[Exception], str]] = [
        (declared["pit"], declared["soapworks"], {"outputs": {"soap": 1}}, errors.NotAllowedError,
         "only officers|not a member"),
        (declared["lather"], declared["soapworks"], {"outputs": {"soap": -1}},
         errors.InvalidInputError, "must be ≥ 0"),
        (declared["lather"], declared["soapworks"], {"outputs": {"soap": math.inf}},
         errors.InvalidInputError, "finite"),
        (declared["lather"], declared["soapworks"], {"outputs": {"bread": 3}},
         errors.InvalidInputError, "'bread' is not a good"),
        (declared["lather"], declared["soapworks"], {"hours": {"coal": 3}},
         errors.InvalidInputError, "members offer labour only"),
        (declared["mayor"], declared["town"], {"needs": {"soap": 10}}, errors.InvalidInputError,
         "over the council's budget of 0.00 hours"),
    ]  # fmt: skip
    for actor, council, lines, error, message in cases:
        with pytest.raises(error, match=message):
            submit_proposal(actor, council, **lines)
    assert Proposal.objects.get(council=declared["soapworks"]).outputs == standing
    assert LedgerEvent.objects.count() == events
    # withdrawing is a proposal of zero
    withdrawn = submit_proposal(declared["lather"], declared["soapworks"], outputs={"soap": 0})
    assert withdrawn.outputs == {}


def test_a_town_budget_follows_its_members_accounts_after_deductions(
    declared: dict[str, Any], join: Any
) -> None:
    set_deductions(
        declared["kon"], declared["congress"], public_fund="1/10", investment_fund="1/10"
    )
    join(declared["mine"], declared["mayor"], declared["pit"])
    registration = register_hours(
        declared["pit"],
        declared["mine"],
        worker=declared["mayor"],
        hours_worked=100,
        period="1989-07",
        key="july-1",
    )
    confirm_hours(declared["mayor"], registration)
    assert services.council_budget(declared["town"]) == pytest.approx(80)
    _open(declared)  # soap at 2 h a tonne
    with pytest.raises(errors.InvalidInputError, match=r"costs 100\.00 hours"):
        submit_proposal(declared["mayor"], declared["town"], needs={"soap": 50})
    proposal = submit_proposal(declared["mayor"], declared["town"], needs={"soap": 40})
    assert proposal.budget == pytest.approx(80) and proposal.needs == {"soap": 40.0}


def test_the_proposal_page_opens_filled_in_with_prices_and_keeps_data_on_refusal(
    declared: dict[str, Any],
) -> None:
    from django.test import Client

    _open(declared)
    officer = Client()
    officer.force_login(declared["lather"])
    page = officer.get("/plans/councils/soapworks/proposal/").content.decode()
    assert 'name="outputs:soap" value="10.0"' in page  # the standing proposal, not blank
    assert 'name="inputs:coal" value="5.0"' in page
    assert "2.0000" in page  # soap's price beside its line
    assert "worth 20.00 hours" in page
    refused = officer.post(
        "/plans/councils/soapworks/proposal/", {"outputs:soap": "-3", "inputs:coal": "5"}
    )
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "must be ≥ 0" in text and 'name="outputs:soap" value="-3"' in text
    assert Proposal.objects.get(council=declared["soapworks"]).outputs == {"soap": 10.0}
    done = officer.post(
        "/plans/councils/soapworks/proposal/",
        {"outputs:soap": "20", "inputs:coal": "10", "inputs:labour": "20"},
    )
    assert done.status_code == 302
    assert Proposal.objects.get(council=declared["soapworks"]).outputs == {"soap": 20.0}
    town = Client()
    town.force_login(declared["mayor"])
    page = town.get("/plans/councils/vorkuta/proposal/").content.decode()
    assert 'name="needs:soap" value="100.0"' in page
    assert "The basket costs 200.00 hours of a budget of 0.00 hours" in page
    assert Client().get("/plans/councils/vorkuta/proposal/").status_code == 302  # log in first


def test_opening_a_round_from_the_page_lands_on_the_round(declared: dict[str, Any]) -> None:
    from django.test import Client

    services.run_planning_round(declared["kon"], declared["congress"])
    chair = Client()
    chair.force_login(declared["kon"])
    deadline = (service_clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = chair.post("/plans/rounds/open/", {"deadline": deadline})
    participatory = services.open_round()
    assert participatory is not None
    assert response.status_code == 302 and response.url == f"/plans/rounds/{participatory.pk}/"


def test_the_round_page_says_who_answered(declared: dict[str, Any], clock: Any) -> None:
    from django.test import Client

    first = _open(declared)
    submit_proposal(declared["pit"], declared["mine"], outputs={"coal": 60}, inputs={"labour": 120})
    clock(timedelta(hours=3))
    services.close_participatory_round(declared["kon"], first)
    viewer = Client()
    viewer.force_login(declared["mayor"])
    page = viewer.get(f"/plans/rounds/{first.pk}/").content.decode()
    assert "1 council of 3 answered this round" in page and "severnaya" in page
