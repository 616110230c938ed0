"""The plan cycle in Debian's chromium: a workplace declares a technique, a consumer council
submits a need, the congress runs a round and adopts the plan by vote, and each sees its part."""

import re
from pathlib import Path
from typing import Any

import pytest
from tests.platform.browsing import log_in

from kuzbass.platform.councils import services as councils
from kuzbass.platform.plans import services
from kuzbass.platform.plans.models import PlanVersion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_declare_need_round_adopt_and_each_sees_its_part(
    screenshots: Path,
    browser: Any,
    live_server: Any,
    make_council: Any,
    make_user: Any,
    password: str,
) -> None:
    base = live_server.url
    congress = make_council("congress", kind="congress", name="Miners' congress")
    mine = make_council("severnaya", name="Severnaya pit")
    town = make_council("vorkuta", kind="consumer", name="Vorkuta town council")
    soapworks = make_council("soapworks", name="Soap works")
    for username, council in (
        ("kon", congress),
        ("pit", mine),
        ("mayor", town),
        ("lather", soapworks),
    ):
        councils.appoint_officer(make_user(username), council)
    officer = congress.memberships.get().user
    services.register_products(
        officer, congress, [{"name": "coal", "unit": "t"}, {"name": "soap", "unit": "t"}]
    )
    services.register_resources(
        officer, congress, [{"name": "labour", "unit": "h", "available": 1000}]
    )
    # the soap works (declared through the services) uses half a tonne of coal per tonne
    lather = soapworks.memberships.get().user
    services.declare_technique(
        lather,
        soapworks,
        name="soap-vorkuta",
        product="soap",
        output=10,
        labour=10,
        inputs={"coal": 5},
    )
    services.submit_need(town.memberships.get().user, town, product="soap", quantity=250)
    elsewhere: list[str] = []

    def page_for(username: str) -> Any:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        context.on(
            "request", lambda r: elsewhere.append(r.url) if not r.url.startswith(base) else None
        )
        page = context.new_page()
        log_in(page, base, username, password)
        return page

    workplace = page_for("pit")
    workplace.goto(f"{base}/plans/councils/severnaya/")
    workplace.get_by_label("Technique name").fill("coal-severnaya")
    workplace.get_by_label("Product it makes").fill("coal")
    workplace.get_by_label("Output proposed for the period").fill("100")
    workplace.get_by_label("Labour hours for that output").fill("200")
    workplace.get_by_label("Capacity per period").fill("1000")
    workplace.get_by_role("button", name="Declare").click()
    workplace.wait_for_url(f"{base}/plans/councils/severnaya/")
    assert "coal-severnaya" in workplace.locator("#techniques").inner_text()

    consumers = page_for("mayor")
    consumers.goto(f"{base}/plans/councils/vorkuta/")
    consumers.get_by_label(re.compile("^Product:?$")).fill("coal")
    consumers.get_by_label("Quantity for the period").fill("250")
    consumers.get_by_label(re.compile("^Use:?$")).select_option("basic needs")
    consumers.get_by_role("button", name="Submit").click()
    consumers.wait_for_url(f"{base}/plans/councils/vorkuta/")
    assert "250" in consumers.locator("#needs").inner_text()

    planners = page_for("kon")
    planners.goto(f"{base}/plans/")
    planners.get_by_role("button", name="Run a planning round").click()
    planners.wait_for_url(re.compile(r".*/plans/versions/\d+/$"))
    version_url = planners.url
    planners.locator("#chart-flows-plot .main-svg").first.wait_for()
    planners.locator("#chart-fulfilment-plot .main-svg").first.wait_for()
    assert "draft" in planners.locator("#version-status").inner_text()
    planners.get_by_role("button", name="Table the motion to adopt this version").click()
    planners.wait_for_url(re.compile(r".*/motions/\d+/$"))
    planners.get_by_label("Voting method").select_option("majority")
    planners.get_by_role("button", name="Open the ballot").click()
    planners.get_by_label("yes").check()
    planners.get_by_role("button", name="Cast my vote").click()
    planners.locator("[id^=result-]").wait_for()
    planners.goto(version_url)
    assert planners.locator("#version-status").inner_text() == "adopted"
    version = PlanVersion.objects.get()
    assert planners.locator("#content-hash").inner_text() == version.content_hash
    planners.screenshot(path=str(screenshots / "plan-version.png"), full_page=True)

    workplace.goto(f"{base}/plans/councils/severnaya/")
    part = workplace.locator(".part").first
    assert "Our part in the adopted plan" in part.inner_text()
    # labour (1,000 h) binds at one complete set: 250 t of soap (250 h and 125 t of coal)
    # and 250 t of coal for the town; the pit digs 375 t in 750 h
    assert re.search(r"coal\s+375\u00a0t", part.inner_text())
    assert "Hours: 750\u00a0h" in part.inner_text()
    consumers.goto(f"{base}/plans/councils/vorkuta/")
    needs = consumers.locator(".part").first.inner_text()
    assert "What our needs get in the adopted plan" in needs
    assert consumers.locator(".part").count() == 1  # the adopted version is also the latest
    assert re.search(r"coal\s+basic needs\s+250\s+250\s+100\u00a0%", needs)
    consumers.screenshot(path=str(screenshots / "plan-consumer-part.png"), full_page=True)

    planners.goto(f"{base}/ledger/")
    kinds = planners.locator("tr.ledger-event").evaluate_all(
        "rows => rows.map(r => r.dataset.kind)"
    )
    assert "plan.adopted" in kinds and "plan.draft_stored" in kinds
    assert elsewhere == []
