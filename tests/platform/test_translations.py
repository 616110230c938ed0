"""Russian beside English: the committed catalogue is complete and compiled, and a page is in
Russian when the browser asks for it or the switch on the page chooses it."""

import gettext
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polib
import pytest
from django.template import Context, Template
from django.utils import translation

import kuzbass.platform
from kuzbass.platform import demo

RU = Path(kuzbass.platform.__file__).parent / "locale" / "ru" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]")
"""A format placeholder Django fills in (a blocktranslate variable becomes %(name)s)."""


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(RU / "django.po"))


def test_every_russian_entry_is_translated_and_none_is_fuzzy(catalogue: polib.POFile) -> None:
    assert len(catalogue) > 600
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    assert not catalogue.metadata_is_fuzzy
    assert catalogue.metadata["Language"] == "ru"
    assert catalogue.metadata["Plural-Forms"].startswith("nplurals=3;")


def test_the_committed_mo_is_the_po_compiled(catalogue: polib.POFile) -> None:
    """A fresh machine may lack gettext's msgfmt, so the .mo is committed: it must not lag."""
    with open(RU / "django.mo", "rb") as compiled:
        mo = gettext.GNUTranslations(compiled)
    for entry in catalogue.translated_entries():
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            for n, form in entry.msgstr_plural.items():
                assert mo._catalog[(key, n)] == form, entry.msgid  # type: ignore[attr-defined]
        else:
            assert mo._catalog[key] == entry.msgstr, entry.msgid  # type: ignore[attr-defined]
    assert (mo.pgettext("vote", "yes"), mo.gettext("yes")) == ("за", "да")  # a vote, an answer
    assert (mo.pgettext("supply and demand", "Demand"), mo.gettext("Demand")) == (
        "Спрос",
        "Требование",
    )
    assert mo.ngettext("%(n)s member has voted.", "", 1) == "Проголосовал %(n)s член."
    assert mo.ngettext("%(n)s member has voted.", "", 3) == "Проголосовали %(n)s члена."
    assert mo.ngettext("%(n)s member has voted.", "", 11) == "Проголосовали %(n)s членов."
    assert mo.ngettext("%(n)s member has voted.", "", 21) == "Проголосовал %(n)s член."


def test_every_placeholder_survives_translation(catalogue: polib.POFile) -> None:
    missing = []
    for entry in catalogue.translated_entries():
        if entry.msgid_plural:
            pairs = [(entry.msgid_plural, form) for form in entry.msgstr_plural.values()]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for source, target in pairs:
            lost = set(PLACEHOLDER.findall(source)) - set(PLACEHOLDER.findall(target))
            if lost or source.count("%%") != target.count("%%"):
                missing.append((entry.msgid, sorted(lost)))
            if source.count("<") != target.count("<"):
                missing.append((entry.msgid, ["HTML"]))
    assert missing == []


@pytest.mark.django_db
def test_the_browsers_language_chooses_russian(client: Any) -> None:
    russian = client.get("/", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.5").content.decode()
    assert '<html lang="ru">' in russian
    assert "<title>Советы · kuzbass</title>" in russian
    for link in ("Требования", "Реестр", "Проверить квитанцию", "Войти"):
        assert f">{link}</a>" in russian
    assert 'value="en" lang="en">English</button>' in russian

    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    assert '<html lang="en">' in english and ">Demands</a>" in english
    assert 'value="ru" lang="ru">Русский</button>' in english


@pytest.mark.django_db
def test_the_switch_turns_the_following_pages_russian_and_back(client: Any) -> None:
    assert '<html lang="en">' in client.get("/ledger/").content.decode()

    switched = client.post("/language/setlang/", {"language": "ru", "next": "/ledger/"})
    assert switched.status_code == 302 and switched["Location"] == "/ledger/"
    for path in ("/ledger/", "/demands/", "/accounts/login/"):
        page = client.get(path).content.decode()
        assert '<html lang="ru">' in page and ">Требования</a>" in page, path
    assert "<h1>Открытый реестр</h1>" in client.get("/ledger/").content.decode()

    back = client.post("/language/setlang/", {"language": "en", "next": "/demands/"})
    assert back["Location"] == "/demands/"
    page = client.get("/ledger/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert '<html lang="en">' in page and ">Demands</a>" in page  # the choice beats the browser


@pytest.mark.django_db
def test_the_switch_refuses_a_next_address_elsewhere(client: Any) -> None:
    response = client.post(
        "/language/setlang/", {"language": "ru", "next": "https://elsewhere.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["1989-07-11 14:05", "1989-07-11 14:05", "1989-07-11", "1234567.5"]),
        ("ru", ["11 июля 1989 г. 14:05", "11.07.1989 14:05", "11.07.1989", "1234567,5"]),
    ],
)
def test_dates_and_numbers_follow_the_language(language: str, expected: list[str]) -> None:
    """English dates are ISO 8601 and 24-hour (the issue's "ISO 24-hour dates"), Russian ones
    Russian; both 24-hour, both with the decimal separator of the language."""
    template = Template(
        '{{ d }}|{{ d|date:"SHORT_DATETIME_FORMAT" }}|{{ d|date:"SHORT_DATE_FORMAT" }}|{{ x }}'
    )
    moment = datetime(1989, 7, 11, 14, 5, tzinfo=UTC)
    with translation.override(language):
        assert template.render(Context({"d": moment, "x": 1234567.5})).split("|") == expected


@pytest.fixture
def demo_loaded(transactional_db: None) -> None:
    """Loaded before the browser starts: once Playwright's event loop runs in this thread, the
    ORM would open a second connection that nobody closes."""
    demo.load()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_russian_browser_reads_the_demo_in_russian(
    demo_loaded: None, browser: Any, live_server: Any
) -> None:
    base = live_server.url
    page = browser.new_context(locale="ru-RU", viewport={"width": 1200, "height": 900}).new_page()

    page.goto(f"{base}/")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.title() == "Советы · kuzbass"
    nav = page.get_by_role("navigation", name="Главное")
    for link in ("Требования", "План", "Реестр", "Статистика", "Войти"):
        assert nav.get_by_role("link", name=link, exact=True).is_visible()
    assert page.get_by_role("columnheader", name="Совет", exact=True).is_visible()
    assert page.get_by_role("cell", name="совет предприятия").first.is_visible()

    page.goto(f"{base}/councils/severnaya-pit/")
    for heading in ("Устав", "Предложения", "Требования", "Члены"):
        assert page.get_by_role("heading", name=heading, exact=True).is_visible()
    assert page.get_by_text("Кворум (доля избирателей, которая должна проголосовать)").is_visible()

    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"{base}/councils/severnaya-pit/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Constitution").is_visible()
    page.goto(f"{base}/")
    assert page.title() == "Councils · kuzbass"
