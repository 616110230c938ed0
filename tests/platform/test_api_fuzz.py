"""schemathesis against /api/openapi.json on a live server, as an anonymous visitor, as an
officer and as a member (session and CSRF token): whatever it sends, no answer is a 5xx.

Each operation gets ``KUZBASS_FUZZ_EXAMPLES`` generated requests (8 by default, derandomized so
that a run is repeatable); raise it to search harder.
"""

import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from kuzbass.platform.councils import services
from kuzbass.platform.plans import services as plans

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = int(os.environ.get("KUZBASS_FUZZ_EXAMPLES", "8"))
SKIPPED = {("POST", "/api/auth/logout")}
"""Logging out would turn the rest of a logged-in run into an anonymous one."""


@pytest.fixture
def councils_to_fuzz(brigade: dict[str, Any], make_council: Any) -> dict[str, Any]:
    """The brigade, and a congress (chaired by the brigade's officer) with a catalogue."""
    congress = make_council("congress", kind="congress")
    services.appoint_officer(brigade["officer"], congress)
    plans.register_products(
        brigade["officer"], congress, [{"name": "coal", "unit": "t"}, {"name": "soap", "unit": "t"}]
    )
    return brigade


def session_of(base: str, username: str | None, password: str) -> requests.Session:
    """A browser-like session: the CSRF cookie, logged in through the API when named."""
    session = requests.Session()
    session.get(f"{base}/api/csrf", timeout=30)
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    if username:
        answer = session.post(
            f"{base}/api/auth/login",
            json={"username": username, "password": password},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        session.headers["X-CSRFToken"] = session.cookies["csrftoken"]  # rotated at login
    return session


def operations(base: str) -> Iterator[Any]:
    schema = schemathesis.openapi.from_dict(
        requests.get(f"{base}/api/openapi.json", timeout=30).json()
    )
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) not in SKIPPED:
            yield operation


def server_errors(base: str, session: requests.Session) -> list[str]:
    """Every request that got a 5xx, as "METHOD path -> status: body"."""
    found: list[str] = []
    for operation in operations(base):

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(
            case=operation.as_strategy(GenerationMode.POSITIVE)
            | operation.as_strategy(GenerationMode.NEGATIVE)
        )
        def probe(case: Any) -> None:
            response = case.call(base_url=base, session=session, timeout=60)
            if response.status_code >= 500:
                found.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{case.path_parameters} {case.query} {case.body!r:.200}"
                )

        probe()
    return found


@pytest.mark.parametrize("who", [None, "chair", "anna"], ids=["anonymous", "officer", "member"])
def test_no_request_to_the_api_gets_a_server_error(
    councils_to_fuzz: dict[str, Any], live_server: Any, password: str, who: str | None
) -> None:
    base = live_server.url
    assert server_errors(base, session_of(base, who, password)) == []
