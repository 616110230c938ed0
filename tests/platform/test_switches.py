"""The deployment switches (environment variables read by settings.py) and what they change."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.test import Client, RequestFactory

from kuzbass.platform.core.middleware import forwarded_client_address

READ_SETTINGS = (
    "import json; from kuzbass.platform import settings as s; print(json.dumps(["
    "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
    "s.SECURE_PROXY_SSL_HEADER, getattr(s, 'AXES_CLIENT_IP_CALLABLE', None),"
    "s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds(), s.KUZBASS_PASSWORD_CHECKS]))"
)


def settings_with(tmp_path: Path, **variables: str) -> list[Any]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KUZBASS_")}
    environment.update(KUZBASS_DATA_DIR=str(tmp_path), PYTHONPATH="src", **variables)
    out = subprocess.run(
        [sys.executable, "-c", READ_SETTINGS], env=environment, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return list(json.loads(out.stdout))


def test_switches_are_off_by_default_and_turn_on(tmp_path: Path) -> None:
    assert settings_with(tmp_path) == [False, False, 0, None, None, 10, 900.0, 1]
    assert settings_with(
        tmp_path,
        KUZBASS_SECURE_COOKIES="1",
        KUZBASS_HSTS_SECONDS="31536000",
        KUZBASS_BEHIND_PROXY="yes",
        KUZBASS_LOGIN_FAILURES="5",
        KUZBASS_LOGIN_COOLOFF_MINUTES="60",
        KUZBASS_PASSWORD_CHECKS="2",
    ) == [
        True,
        True,
        31536000,
        ["HTTP_X_FORWARDED_PROTO", "https"],
        "kuzbass.platform.core.middleware.forwarded_client_address",
        5,
        3600.0,
        2,
    ]


def test_behind_a_proxy_https_is_recognised_and_hsts_sent(db: None, settings: Any) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    plain = Client().get("/")
    assert "Strict-Transport-Security" not in plain
    proxied = Client().get("/", headers={"X-Forwarded-Proto": "https"})
    assert proxied["Strict-Transport-Security"] == "max-age=3600"
    assert "script-src 'self'" in proxied["Content-Security-Policy"]


def test_the_client_address_is_the_proxys_last_entry() -> None:
    request = RequestFactory().get(
        "/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="127.0.0.1"
    )
    assert forwarded_client_address(request) == "203.0.113.9"  # 6.6.6.6 is the client's claim
    assert forwarded_client_address(RequestFactory().get("/", REMOTE_ADDR="10.1.1.1")) == "10.1.1.1"
