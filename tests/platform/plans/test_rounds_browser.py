"""Planning from below in Debian's chromium: a pit and a town answer two participatory rounds on
their proposal pages, the rounds close at their deadlines (as the task runner closes them), and the
congress adopts the balanced version — which is what the councils proposed."""

import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.platform.browsing import log_in

from kuzbass.platform.accounts.services.deductions import set_deductions
from kuzbass.platform.accounts.services.hours import confirm_hours, register_hours
from kuzbass.platform.councils import services as councils
from kuzbass.platform.councils.models import Motion
from kuzbass.platform.plans import services
from kuzbass.platform.plans.models import ParticipatoryRound, PlanVersion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROUND = timedelta(seconds=25)


def _close_when_due(participatory: ParticipatoryRound) -> ParticipatoryRound:
    """Wait for the deadline, then do what the task runner does."""
    from kuzbass.platform.core import clock

    while clock.now() < participatory.deadline:
        time.sleep(0.5)
    assert services.close_due_rounds() == 1
    return ParticipatoryRound.objects.get(pk=participatory.pk)


def test_a_pit_and_a_town_answer_two_rounds_and_the_congress_adopts_their_proposals(
    screenshots: Path,
    browser: Any,
    live_server: Any,
    make_council: Any,
    make_user: Any,
    join: Any,
    password: str,
) -> None:
    from kuzbass.platform.core import clock

    base = live_server.url
    congress = make_council("congress", kind="congress", name="Miners' congress")
    mine = make_council("severnaya", name="Severnaya pit")
    soapworks = make_council("soapworks", name="Soap works")
    town = make_council("vorkuta", kind="consumer", name="Vorkuta town council")
    people = {name: make_user(name) for name in ("kon", "pit", "lather", "mayor")}
    councils.appoint_officer(people["kon"], congress)
    councils.appoint_officer(people["pit"], mine)
    councils.appoint_officer(people["lather"], soapworks)
    councils.appoint_officer(people["mayor"], town)
    kon = people["kon"]
    services.register_products(
        kon, congress, [{"name": "coal", "unit": "t"}, {"name": "soap", "unit": "t"}]
    )
    services.register_resources(kon, congress, [{"name": "labour", "unit": "h", "available": 200}])
    services.declare_technique(
        people["pit"], mine, name="coal-severnaya", product="coal", output=100, labour=200
    )
    services.declare_technique(
        people["lather"], soapworks, name="soap-vorkuta", product="soap", output=10,
        labour=10, inputs={"coal": 5},
    )  # fmt: skip
    services.submit_need(people["mayor"], town, product="soap", quantity=100)
    # the mayor worked 250 h at the pit: the town's budget
    set_deductions(kon, congress, public_fund="0", investment_fund="0")
    join(mine, people["mayor"], people["pit"])
    confirm_hours(
        people["mayor"],
        register_hours(
            people["pit"], mine, worker=people["mayor"], hours_worked=250, period="1989-07",
            key="july",
        ),
    )  # fmt: skip
    motion = services.propose_planning_rules(kon, congress, round_limit=2, need_threshold=0.9)
    ballot = councils.open_ballot(kon, motion, closes_at=clock.now() + timedelta(hours=1))
    councils.cast_vote(kon, ballot, "yes")
    councils.settle(ballot)
    services.run_planning_round(kon, congress)  # its labour values are round 1's prices
    first = services.open_participatory_round(kon, congress, deadline=clock.now() + ROUND)

    def page_for(username: str) -> Any:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        page = context.new_page()
        log_in(page, base, username, password)
        return page

    pit, mayor = page_for("pit"), page_for("mayor")
    proposal_url = f"{base}/plans/councils/severnaya/proposal/"
    pit.goto(f"{base}/plans/councils/severnaya/")
    pit.locator("#proposal-link").click()
    pit.wait_for_url(proposal_url)
    outputs = pit.locator("#part-outputs")
    assert pit.get_by_label("coal").first.input_value() == "100.0"  # the standing proposal
    assert re.search(r"coal\s+t\s+2\.0000", outputs.inner_text())  # its price beside it
    pit.locator("[name='outputs:coal']").fill("40")
    pit.locator("[name='inputs:labour']").fill("80")
    pit.get_by_role("button", name="Submit the proposal").click()
    pit.wait_for_url(proposal_url)
    assert "Proposal submitted" in pit.content()
    assert pit.locator("[name='outputs:coal']").input_value() == "40.0"

    mayor.goto(f"{base}/plans/councils/vorkuta/proposal/")
    assert (
        "The basket costs 200.00 hours of a budget of 250.00 hours"
        in mayor.locator("#basket").inner_text()
    )
    mayor.locator("[name='needs:soap']").fill("130")
    mayor.get_by_role("button", name="Submit the proposal").click()
    assert (
        "over the council's budget of 250.00 hours" in mayor.locator("#proposal-error").inner_text()
    )
    assert mayor.locator("[name='needs:soap']").input_value() == "130"  # what was typed stays
    mayor.locator("[name='needs:soap']").fill("100")
    mayor.get_by_role("button", name="Submit the proposal").click()
    mayor.wait_for_url(f"{base}/plans/councils/vorkuta/proposal/")
    assert "Proposal submitted" in mayor.content()
    # the soap works answers through the services: 100 t of soap from 50 t of coal
    services.submit_proposal(
        people["lather"], soapworks, outputs={"soap": 100}, inputs={"coal": 50, "labour": 100}
    )

    closed = _close_when_due(first)
    assert not closed.balanced and not closed.final  # coal: 40 t offered, 50 t asked
    second = services.open_round()
    assert second is not None and second.number == 2
    pit.goto(proposal_url)
    assert "Round 2" in pit.locator("#round-state").inner_text()
    pit.locator("[name='outputs:coal']").fill("50")
    pit.locator("[name='inputs:labour']").fill("100")
    pit.get_by_role("button", name="Submit the proposal").click()
    pit.wait_for_url(proposal_url)
    pit.screenshot(path=str(screenshots / "proposal-workplace.png"), full_page=True)
    # the town does not answer round 2: its 100 t of soap stands
    closed = _close_when_due(second)
    assert closed.balanced and closed.final

    planners = page_for("kon")
    planners.goto(f"{base}/plans/rounds/{closed.pk}/")
    planners.get_by_role("link", name=re.compile("Plan version")).click()
    planners.wait_for_url(re.compile(r".*/plans/versions/\d+/$"))
    planners.get_by_role("button", name="Table the motion to adopt this version").click()
    planners.wait_for_url(re.compile(r".*/motions/\d+/$"))
    motion = Motion.objects.order_by("-pk").first()
    assert motion is not None and motion.text.startswith("The participatory rounds balanced")
    planners.get_by_label("Voting method").select_option("majority")
    planners.get_by_role("button", name="Open the ballot").click()
    planners.get_by_label("yes").check()
    planners.get_by_role("button", name="Cast my vote").click()
    planners.locator("[id^=result-]").wait_for()
    version = PlanVersion.objects.get(participatory_round=closed)
    assert version.status == "adopted"

    pit.goto(f"{base}/plans/councils/severnaya/")
    part = pit.locator(".part").first.inner_text()
    assert "Our part in the adopted plan" in part
    assert re.search(r"coal\s+50\u00a0t", part)  # planned = what the pit proposed
    mayor.goto(f"{base}/plans/councils/vorkuta/")
    needs = mayor.locator(".part").first.inner_text()
    assert re.search(r"soap\s+proposal\s+100\s+100\s+100\u00a0%", needs), needs
    mayor.screenshot(path=str(screenshots / "proposal-town-part.png"), full_page=True)
