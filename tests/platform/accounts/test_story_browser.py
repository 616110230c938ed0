"""The Kuzbass story in Debian's chromium, on the demo's data: as the 9th brigade's delegate,
raise the soap demand; the brigade adopts it; it enters the plan; the plan the congress adopts
meets it; the delegate's hours are credited and soap can be consumed. Takes the README's
screenshots."""

import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.platform.browsing import log_in

from kuzbass.platform import demo
from kuzbass.platform.accounts import services as accounts
from kuzbass.platform.councils import services as councils
from kuzbass.platform.councils.models import Council, Demand
from kuzbass.platform.plans import services as plans

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page(browser: Any, base: str, outside: list[str]) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.on(
        "request",
        lambda request: outside.append(request.url) if not request.url.startswith(base) else None,
    )
    return context.new_page()


def test_the_soap_demand_from_the_brigade_to_the_shower(
    screenshots: Path, browser: Any, live_server: Any
) -> None:
    report = demo.load()
    password = {login[0]: login[1] for login in report.logins}
    base, outside = live_server.url, []

    # the delegate raises the demand in the brigade, naming the town council to meet it
    andrei = _page(browser, base, outside)
    log_in(andrei, base, "andrei", password["andrei"])
    andrei.goto(f"{base}/councils/severnaya-9th-brigade/")
    andrei.get_by_label("Demand:", exact=True).fill("Soap in the pithead showers of Severnaya")
    andrei.get_by_label("Details").fill("Soap for every miner, every shift.")
    andrei.get_by_label("Category").select_option("supplies")
    andrei.get_by_label("Body responsible for meeting it").select_option(
        label="Vorkuta town council"
    )
    andrei.get_by_role("button", name="Raise the demand").click()
    andrei.wait_for_url(re.compile(r".*/demands/\d+/$"))
    demand = Demand.objects.get(title="Soap in the pithead showers of Severnaya")
    assert andrei.locator("#demand-status").inner_text().startswith("raised")

    # the brigade votes: its officer opens the ballot, the members vote yes
    motion = demand.motions.get()
    galina = _page(browser, base, outside)
    log_in(galina, base, "galina", password["galina"])
    galina.goto(f"{base}/motions/{motion.pk}/")
    galina.get_by_label("Voting method").select_option("majority")
    galina.get_by_role("button", name="Open the ballot").click()
    galina.wait_for_url(f"{base}/motions/{motion.pk}/")
    for page in (andrei, galina):
        page.goto(f"{base}/motions/{motion.pk}/")
        page.get_by_label("yes").check()
        page.get_by_role("button", name="Cast my vote").click()
        page.locator(".receipt-code").wait_for()
    ballot = motion.ballots.get()
    brigade = Council.objects.get(slug="severnaya-9th-brigade")
    for member in brigade.memberships.exclude(user__username__in=["andrei", "galina"]):
        councils.cast_vote(member.user, ballot, "yes")
    councils.settle(ballot)  # the whole roll has voted: the ballot closes and is tallied
    andrei.goto(f"{base}/demands/{demand.pk}/")
    assert andrei.locator("#demand-status").inner_text() == "open"

    # it enters the plan: the town council's need names it; the congress plans and adopts
    town = Council.objects.get(slug="vorkuta-town")
    town_officer = town.memberships.get(role="officer").user
    plans.submit_need(
        town_officer, town, product="soap", quantity=300, use="basic-needs", demand=demand
    )
    congress = Council.objects.get(slug="miners-congress")
    chair = congress.memberships.get(role="officer").user
    version = plans.run_planning_round(chair, congress)
    demo.carry(plans.propose_adoption(chair, congress, version), chair)
    assert plans.adopted_version().pk == version.pk
    (soap_need,) = [n for n in plans.consumer_part(version, town) if n["product"] == "soap"]
    assert soap_need["quantity"] == 300 and soap_need["fulfilment"] >= 1 - 1e-9
    andrei.goto(f"{base}/demands/{demand.pk}/")
    assert andrei.locator("#demand-status").inner_text() == "in plan"
    andrei.screenshot(path=str(screenshots / "demand-in-plan.png"), full_page=True)

    # the pit registers a month of hours; the delegate confirms; they are credited
    nina = _page(browser, base, outside)
    log_in(nina, base, "nina", password["nina"])
    nina.goto(f"{base}/councils/severnaya-pit/hours/")
    nina.get_by_label(re.compile(r"^Worker:?$")).select_option(label="andrei")
    nina.get_by_label(re.compile(r"^Hours worked:?$")).fill("144")
    nina.get_by_label("Period (e.g. 1989-07)").fill("1989-08")
    nina.get_by_label("Reference (time-sheet line)").fill("1989-08-andrei")
    nina.get_by_role("button", name="Register the hours").click()
    nina.wait_for_url(f"{base}/councils/severnaya-pit/hours/")
    before = accounts.member_balance_seconds(demand.raised_by)
    andrei.goto(f"{base}/account/")
    andrei.get_by_role("button", name="Confirm these hours").click()
    andrei.wait_for_url(f"{base}/account/")
    assert "108.00 h credited" in andrei.locator(".messages").inner_text()  # 144 h less 25%
    assert accounts.member_balance_seconds(demand.raised_by) == before + 108 * 3600

    # and soap can be taken, at the adopted plan's labour value
    soap_value = accounts.adopted_labour_values()["soap"]
    andrei.get_by_label(re.compile(r"^soap \(")).fill("0.01")  # 10 kg: soap is in tonnes
    andrei.get_by_role("button", name="Take these goods").click()
    andrei.wait_for_url(f"{base}/account/")
    cost = int((Decimal("0.01") * soap_value * 3600).to_integral_value(rounding=ROUND_HALF_UP))
    balance = (Decimal(before + 108 * 3600 - cost) / 3600).quantize(Decimal("0.01"))
    assert andrei.locator("#balance").inner_text() == f"{balance} h"
    assert "Taken: 0.01 soap" in andrei.locator(".messages").inner_text()
    andrei.screenshot(path=str(screenshots / "account.png"), full_page=True)

    visitor = _page(browser, base, outside)
    visitor.goto(f"{base}/self-accounting/")
    visitor.locator("#wages-chart-plot .main-svg").first.wait_for()
    visitor.screenshot(path=str(screenshots / "self-accounting.png"), full_page=True)
    visitor.goto(f"{base}/statistics/")
    visitor.locator("#hours-chart-plot .main-svg").first.wait_for()
    visitor.screenshot(path=str(screenshots / "statistics.png"), full_page=True)
    assert outside == []
