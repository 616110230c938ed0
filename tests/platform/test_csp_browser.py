"""The Content-Security-Policy is on and pages keep working under it, in Debian's chromium:
charts (drawn from JSON blocks by a static script), forms, and a vote answered through htmx,
with no violation reported by the browser."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from tests.platform.browsing import log_in

from kuzbass.platform import demo
from kuzbass.platform.councils import services
from kuzbass.platform.councils.models import Council
from kuzbass.platform.plans.models import PlanVersion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def visit(page: Any, url: str) -> list[str]:
    """Open ``url`` and return the violations the browser reported there."""
    response = page.goto(url)
    assert response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    return list(page.evaluate("window.cspViolations"))


def test_pages_with_charts_forms_and_htmx_work_under_the_policy(
    browser: Any, live_server: Any, make_user: Any, password: str
) -> None:
    report = demo.load()
    logins = {login[0]: login[1] for login in report.logins}
    brigade = Council.objects.get(slug="severnaya-9th-brigade")
    officer = brigade.memberships.filter(role="officer").first().user
    roll = [m.user for m in brigade.memberships.filter(ended_at__isnull=True)]
    closes = timezone.now() + timedelta(hours=1)
    decided = services.table_motion(officer, brigade, title="Towels", text="Towels too.")
    tallied = services.open_ballot(officer, decided, closes_at=closes)
    for voter in roll:
        services.cast_vote(voter, tallied, "yes")
    services.close_ballot(tallied)
    motion = services.table_motion(officer, brigade, title="Boots", text="Boots that fit.")
    services.open_ballot(officer, motion, closes_at=closes)
    version = PlanVersion.objects.filter(status="adopted").get()
    base = live_server.url
    console: list[str] = []
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    page.on("console", lambda message: console.append(message.text))

    charts = {
        f"{base}/plans/versions/{version.pk}/": 1,
        f"{base}/statistics/": 1,
        f"{base}/self-accounting/": 1,
    }
    for url, least in charts.items():
        assert visit(page, url) == [], url
        assert page.locator("[data-chart-source] .main-svg").count() >= least, url
    for url in (f"{base}/", f"{base}/ledger/", f"{base}/plans/", f"{base}/accounts/login/"):
        assert visit(page, url) == [], url

    assert visit(page, f"{base}/motions/{decided.pk}/") == []  # the tally's chart
    assert page.locator(f"#ballot-{tallied.pk} [data-chart-source] .main-svg").count() >= 1

    log_in(page, base, "andrei", logins["andrei"])  # a form posted under the policy
    assert visit(page, f"{base}/motions/{motion.pk}/") == []
    page.get_by_label("yes").check()
    page.get_by_role("button", name="Cast my vote").click()  # htmx swaps in the receipt
    page.locator(".receipt-code").wait_for()
    assert page.url.endswith(f"/motions/{motion.pk}/")  # answered in place, not a new page
    assert page.evaluate("window.cspViolations") == []
    assert not [line for line in console if "Content Security Policy" in line], console
    context.close()
