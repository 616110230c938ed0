"""Fixtures for the platform tests: councils, people and ballots built through the services."""

import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from tests.platform.browsing import CHROMIUM_ARGS

from kuzbass.platform.core import clock as service_clock
from kuzbass.platform.councils import services
from kuzbass.platform.councils.models import Ballot, Council, Motion

PASSWORD = "a long test password 1989"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Close connections at the end of each request: the live server's request threads end,
    and their persistent connections would keep the test database from being dropped."""
    from django.db import connections

    for alias in connections:
        connections[alias].settings_dict["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Argon2 is deliberately slow; tests that do not test hashing use a fast hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def password() -> str:
    return PASSWORD


NEW_PASSWORD = "pit props and soap 1989"


@pytest.fixture
def new_password() -> str:
    return NEW_PASSWORD


@pytest.fixture
def change_password() -> Callable[[Any], Any]:
    """Post the password-change form from a logged-in client: PASSWORD becomes NEW_PASSWORD."""

    def change(client: Any) -> Any:
        return client.post(
            "/accounts/password_change/",
            {
                "old_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )

    return change


@pytest.fixture
def make_user(db: None) -> Callable[[str], Any]:
    def make(username: str) -> Any:
        return get_user_model().objects.create_user(username=username, password=PASSWORD)

    return make


@pytest.fixture
def make_council(db: None) -> Callable[..., Council]:
    def make(slug: str, kind: str = "workplace", **options: Any) -> Council:
        return services.found_council(
            name=options.pop("name", slug.replace("-", " ").title()),
            slug=slug,
            kind=kind,
            **options,
        )

    return make


@pytest.fixture
def join() -> Callable[..., Any]:
    """Add a person to a council through an officer's invitation."""

    def add(council: Council, user: Any, officer: Any, role: str = "member") -> Any:
        issued = services.invite(officer, council, role=role)
        return services.accept_invitation(issued.token, user)

    return add


@pytest.fixture
def brigade(make_council: Any, make_user: Any, join: Any) -> dict[str, Any]:
    """The 9th brigade: one officer and four members."""
    council = make_council("ninth-brigade", name="9th brigade, Severnaya")
    officer = make_user("chair")
    services.appoint_officer(officer, council)
    members = [make_user(name) for name in ("anna", "boris", "vera", "gleb")]
    for member in members:
        join(council, member, officer)
    return {"council": council, "officer": officer, "members": members}


@pytest.fixture
def open_motion() -> Callable[..., tuple[Motion, Ballot]]:
    def make(
        council: Council,
        mover: Any,
        officer: Any,
        *,
        method: str = "majority",
        options: list[str] | None = None,
        secret: bool = True,
        kind: str = "ordinary",
        **motion_fields: Any,
    ) -> tuple[Motion, Ballot]:
        motion = services.table_motion(
            mover,
            council,
            title=motion_fields.pop("title", "Lower the norm"),
            text=motion_fields.pop("text", "The daily norm falls by 10%."),
            kind=kind,
            **motion_fields,
        )
        ballot = services.open_ballot(
            officer,
            motion,
            method=method,
            options=options,
            secret=secret,
            closes_at=timezone.now() + timedelta(hours=1),
        )
        return motion, ballot

    return make


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], None]:
    """Move the services' clock forward, as time passing would (past a closing time, say)."""
    offset = [timedelta(0)]
    monkeypatch.setattr(service_clock, "now", lambda: timezone.now() + offset[0])

    def advance(by: timedelta) -> None:
        offset[0] += by

    return advance


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright; never a browser build of Playwright's own."""
    # Playwright's sync API runs an event loop in this thread; the test also calls the ORM.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where browser tests save their pictures: a temporary folder, or the folder named by
    KUZBASS_SCREENSHOTS (`KUZBASS_SCREENSHOTS=docs/screenshots` refreshes the README's)."""
    folder = Path(os.environ.get("KUZBASS_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
