"""Logins are throttled per account and per address (django-axes), and password hashing cannot
be used to slow the whole server: when every password-check slot is busy, a login is refused at
once with 429."""

import json
import time
from typing import Any

from django.conf import settings
from django.test import Client

from kuzbass.platform.core import passwords

WRONG = "not the password"


def login_page(client: Client, username: str, password: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password})


def api_login(client: Client, username: str, password: str) -> Any:
    return client.post(
        "/api/auth/login",
        json.dumps({"username": username, "password": password}),
        content_type="application/json",
    )


def test_an_account_is_locked_after_ten_failures_from_any_address(
    brigade: dict[str, Any], password: str
) -> None:
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        address = f"10.0.0.{attempt + 1}"  # a new address each time: the account is counted
        failed = login_page(Client(REMOTE_ADDR=address), "anna", WRONG)
        assert failed.status_code == (200 if attempt + 1 < settings.AXES_FAILURE_LIMIT else 429)
    locked = login_page(Client(REMOTE_ADDR="10.0.1.1"), "anna", password)
    assert locked.status_code == 429
    assert "too many failed logins" in locked.content.decode()
    assert api_login(Client(REMOTE_ADDR="10.0.1.2"), "anna", password).status_code == 429
    assert api_login(Client(REMOTE_ADDR="10.0.1.3"), "boris", password).status_code == 200


def test_an_address_is_locked_after_ten_failures_on_any_accounts(
    brigade: dict[str, Any], password: str
) -> None:
    client = Client(REMOTE_ADDR="192.0.2.7")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        refused = api_login(client, f"nobody{attempt}", WRONG)
        assert refused.status_code == (400 if attempt + 1 < settings.AXES_FAILURE_LIMIT else 429)
    locked = api_login(client, "anna", password)
    assert locked.status_code == 429
    assert locked.json()["detail"].startswith("too many failed logins")
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert api_login(Client(REMOTE_ADDR="192.0.2.8"), "anna", password).status_code == 200


def test_a_success_before_the_limit_resets_the_count(
    brigade: dict[str, Any], password: str
) -> None:
    client = Client(REMOTE_ADDR="198.51.100.1")
    for _ in range(2):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            login_page(client, "anna", WRONG)
        assert login_page(client, "anna", password).status_code == 302


def test_a_login_finding_every_password_slot_busy_gets_429_at_once(
    brigade: dict[str, Any], password: str, settings: Any
) -> None:
    settings.PASSWORD_HASHERS = ["kuzbass.platform.core.passwords.BoundedArgon2PasswordHasher"]
    anna = brigade["members"][0]
    anna.set_password(password)
    anna.save()
    with passwords.password_slot():  # the machine's one slot, taken by another login
        started = time.perf_counter()
        page = login_page(Client(), "anna", password)
        api = api_login(Client(), "anna", password)
        waited = time.perf_counter() - started
    assert page.status_code == 429 and page["Retry-After"] == "1"
    assert api.status_code == 429
    assert api.json()["detail"] == "too many logins at once: try again in a second"
    assert waited < 1.0  # refused within the slot's short wait, not after a hash
    assert login_page(Client(), "anna", password).status_code == 302  # the slot is free again
