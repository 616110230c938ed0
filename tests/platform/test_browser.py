"""The whole story in Debian's chromium: an officer invites a member, the member accepts and
logs in, tables a motion, the council votes, and the result and its ledger event appear."""

import re
from pathlib import Path
from typing import Any

import pytest
from tests.platform.browsing import log_in

from kuzbass.platform.councils import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def council_with_officer(make_council: Any, make_user: Any) -> None:
    """Set up before the browser starts: once Playwright's event loop runs in this thread, the
    ORM would open a second connection (one per async context) that nobody closes."""
    council = make_council("ninth-brigade", name="9th brigade, Severnaya")
    services.appoint_officer(make_user("chair"), council)


def test_invite_table_vote_and_see_the_ledger(
    screenshots: Path, council_with_officer: None, password: str, live_server: Any, browser: Any
) -> None:
    base = live_server.url
    requests_elsewhere: list[str] = []

    def watch(context: Any) -> Any:
        context.on(
            "request",
            lambda request: (
                requests_elsewhere.append(request.url) if not request.url.startswith(base) else None
            ),
        )
        return context.new_page()

    officer = watch(browser.new_context(viewport={"width": 1200, "height": 900}))
    log_in(officer, base, "chair", password)
    officer.goto(f"{base}/councils/ninth-brigade/")
    officer.get_by_label("Note (who is this for?)").fill("Valentina, face worker")
    officer.get_by_role("button", name="Create invitation link").click()
    link = officer.locator("#invitation-link").inner_text()
    assert link.startswith(f"{base}/invitations/")

    member = watch(browser.new_context(viewport={"width": 1200, "height": 900}))
    member.goto(link)
    member.get_by_label("Username").fill("valentina")
    member.get_by_label(re.compile("^Password:?$")).fill("soap for the showers 1989")
    member.get_by_label("Password again").fill("soap for the showers 1989")
    member.get_by_role("button", name="Accept and join").click()
    member.wait_for_url(f"{base}/councils/ninth-brigade/")
    member.get_by_role("button", name=re.compile("Log out")).click()
    log_in(member, base, "valentina", "soap for the showers 1989")

    member.goto(f"{base}/councils/ninth-brigade/")
    member.get_by_label("Title").fill("Soap in the pithead showers")
    member.get_by_label("Text of the motion").fill(
        "The mine supplies soap and towels for every shift, from the July plan on."
    )
    member.get_by_role("button", name="Table the motion").click()
    member.wait_for_url(re.compile(r".*/motions/\d+/$"))
    motion_url = member.url

    officer.goto(motion_url)
    officer.get_by_label("Voting method").select_option("majority")
    officer.get_by_role("button", name="Open the ballot").click()
    officer.wait_for_url(motion_url)

    member.goto(motion_url)
    member.get_by_label("yes").focus()  # the member votes with the keyboard alone
    member.keyboard.press("Space")
    member.keyboard.press("Tab")
    assert member.evaluate("document.activeElement.textContent") == "Cast my vote"
    member.keyboard.press("Enter")  # htmx swaps in the receipt
    receipt = member.locator(".receipt-code").inner_text()
    assert len(receipt) >= 20

    officer.goto(motion_url)
    officer.get_by_label("yes").check()
    officer.get_by_role("button", name="Cast my vote").click()
    result = officer.locator("[id^=result-]")
    result.wait_for()
    assert result.inner_text().startswith("Carried")
    assert officer.locator("#motion-status").inner_text() == "carried"  # updated out of band
    officer.locator(".chart .main-svg").first.wait_for()  # plotly drew the chart
    officer.screenshot(path=str(screenshots / "motion-result.png"), full_page=True)

    member.goto(f"{base}/councils/ninth-brigade/")
    assert "carried" in member.locator("#motions-h + ul").inner_text()
    member.screenshot(path=str(screenshots / "council.png"), full_page=True)

    member.goto(f"{base}/receipts/?code={receipt}")
    receipt_text = member.locator(".receipt").inner_text()
    assert "this paper is counted" in receipt_text and "yes" not in receipt_text

    officer.goto(f"{base}/ledger/")
    kinds = officer.locator("tr.ledger-event").evaluate_all(
        "rows => rows.map(row => row.dataset.kind)"
    )
    assert kinds[:3] == ["motion.decided", "ballot.closed", "ballot.opened"]
    officer.screenshot(path=str(screenshots / "ledger.png"), full_page=True)
    officer.locator("tr.ledger-event", has_text="ballot.closed").get_by_role("link").click()
    assert '"quorum_met": true' in officer.locator("pre").inner_text()
    assert requests_elsewhere == []
