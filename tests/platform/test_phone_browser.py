"""On a 390-px phone, in Debian's chromium: no page of the demo is wider than the screen, the
navigation folds under a Menu button, missing pages are styled with the navigation, and plotly.js
is fetched only by pages that draw a chart."""

from typing import Any
from urllib.parse import urljoin, urlparse

import pytest
from tests.platform.browsing import log_in

from kuzbass.platform import demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
PAGES_PER_KIND = 2
"""Pages of one kind (say /motions/N/) share a template: two of each are enough to see it."""


def kind_of(path: str) -> str:
    return "/".join("N" if part.isdigit() else part for part in path.split("/"))


def widths(page: Any, base: str, start: list[str]) -> dict[str, int]:
    """The document width of every page linked from the start pages and from the pages they
    link to (two clicks deep), at most PAGES_PER_KIND of each kind; never a link that logs out."""
    seen: dict[str, list[str]] = {}
    queue = [urljoin(base, path) for path in start]
    found: dict[str, int] = {}
    for _ in range(3):  # the start pages, then two clicks deep
        following = []
        for url in queue:
            bucket = seen.setdefault(kind_of(urlparse(url).path), [])
            if url in found or len(bucket) >= PAGES_PER_KIND:
                continue
            bucket.append(url)
            found[url] = width_of(page, url)
            links = page.eval_on_selector_all(
                "main a[href], nav a[href]", "as => as.map(a => a.href)"
            )
            following += [
                link.split("#")[0]
                for link in links
                if link.startswith(base)
                and "/static/" not in link
                and "logout" not in link
                and "/admin/" not in link
            ]
        queue = following
    return found


def width_of(page: Any, url: str) -> int:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.wait_for_load_state("networkidle")
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_no_page_is_wider_than_a_phone(browser: Any, live_server: Any) -> None:
    report = demo.load()
    andrei = next(login[1] for login in report.logins if login[0] == "andrei")
    base = live_server.url
    page = browser.new_context(viewport=PHONE).new_page()
    start = ["/", "/demands/", "/plans/", "/ledger/", "/statistics/", "/self-accounting/"]

    visitor = widths(page, base, start)
    log_in(page, base, "andrei", andrei)
    member = widths(page, base, ["/dashboard/", "/account/", *start])
    assert len(visitor) > 15 and len(member) > 15

    measured = {**visitor, **member}.items()
    too_wide = {urlparse(url).path: width for url, width in measured if width > PHONE["width"]}
    assert too_wide == {}


def test_the_menu_folds_on_a_phone_and_not_on_a_desk(browser: Any, live_server: Any) -> None:
    base = live_server.url
    phone = browser.new_context(viewport=PHONE).new_page()
    phone.goto(f"{base}/")
    menu = phone.get_by_role("button", name="Menu")
    ledger = phone.locator("#site-links").get_by_role("link", name="Ledger")
    assert menu.get_attribute("aria-expanded") == "false"
    assert not ledger.is_visible()
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert ledger.is_visible()
    assert ledger.bounding_box()["height"] >= 24  # a touch target

    desk = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    desk.goto(f"{base}/")
    assert desk.locator("#site-links").get_by_role("link", name="Ledger").is_visible()


def test_a_missing_page_keeps_the_navigation(browser: Any, live_server: Any) -> None:
    page = browser.new_context(viewport=PHONE).new_page()
    response = page.goto(f"{live_server.url}/motions/999999/")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="Nothing here").is_visible()
    assert page.get_by_role("navigation", name="Main").count() == 1
    assert page.title() == "Not found · kuzbass"


def test_plotly_is_fetched_only_where_a_chart_is_drawn(browser: Any, live_server: Any) -> None:
    demo.load()
    base = live_server.url
    page = browser.new_context(viewport=PHONE).new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))

    for path in ("/", "/ledger/", "/demands/"):
        width_of(page, f"{base}{path}")
    assert not any("plotly" in url for url in fetched)

    width_of(page, f"{base}/statistics/")
    assert any("plotly" in url for url in fetched)
    assert page.locator("[data-chart-source] .main-svg").count() >= 1
