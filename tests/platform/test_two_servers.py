"""Two `kuzbass serve` processes on one PostgreSQL behave as one platform: a session made on one
is valid on the other, each member's ballot counts once however the casts are spread over both,
and the ledger stays one chain, with no fork and no gap, when both write at once."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import connection
from tests.platform.conftest import PASSWORD
from tests.platform.test_concurrency import run_together
from tests.platform.test_serve import free_port

from kuzbass.platform.councils.models import Motion, PendingPaper, VoterRoll
from kuzbass.platform.ledger.models import LedgerEvent
from kuzbass.platform.ledger.services import verify_database

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
WRITES = 100


@pytest.fixture(autouse=True)
def fast_password_hashing() -> None:
    """The servers log members in, so their passwords are hashed as the servers hash them."""


def database_url() -> str:
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return (
        f"postgresql://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[str]]:
    """Two servers (2 workers × 4 threads each) on the test database, one secret key."""
    if connection.vendor != "postgresql":
        pytest.skip("several servers share one PostgreSQL database")
    started = []
    for name in ("a", "b"):
        port = free_port()
        environment = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_SECRET_KEY": "one secret key shared by every server of the platform",
            "KUZBASS_DATA_DIR": str(tmp_path / name),
            "PYTHONPATH": "src",
        }
        command = [sys.executable, "-m", "kuzbass", "serve", "--port", str(port)]
        process = subprocess.Popen(
            [*command, "--workers", "2", "--threads", "4"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append((process, f"http://127.0.0.1:{port}"))
    try:
        for process, base in started:
            wait_for(process, base)
        yield [base for _, base in started]
    finally:
        for process, _ in started:
            process.send_signal(signal.SIGTERM)
        for process, _ in started:
            process.wait(timeout=30)


def wait_for(process: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            requests.get(f"{base}/api/csrf", timeout=5)
            return
        except requests.ConnectionError:
            assert process.poll() is None, "a server stopped while starting"
            assert time.monotonic() < deadline, "a server did not start within 90 s"
            time.sleep(0.3)


def log_in(base: str, username: str) -> dict[str, str]:
    """Log in through one server's API: the session and CSRF cookies a browser would keep."""
    csrf = requests.get(f"{base}/api/csrf", timeout=10).cookies["csrftoken"]
    response = requests.post(
        f"{base}/api/auth/login",
        json={"username": username, "password": PASSWORD},
        cookies={"csrftoken": csrf},
        headers={"X-CSRFToken": csrf},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return {"csrftoken": response.cookies.get("csrftoken", csrf), **response.cookies}


def post(base: str, path: str, cookies: dict[str, str], body: dict[str, Any]) -> str:
    response = requests.post(
        f"{base}{path}",
        json=body,
        cookies=cookies,
        headers={"X-CSRFToken": cookies["csrftoken"], "Referer": base},
        timeout=120,
    )
    return f"{response.status_code} {response.json().get('detail', '')}".strip()


def test_two_servers_on_one_database_behave_as_one(
    servers: list[str], brigade: dict[str, Any], open_motion: Any
) -> None:
    members = brigade["members"]
    sessions = [log_in(servers[i % 2], member.username) for i, member in enumerate(members)]
    for session, member in zip(sessions, members, strict=True):
        for base in servers:  # a session made on either server is valid on both
            who = requests.get(f"{base}/api/csrf", cookies=session, timeout=10).json()
            assert who["username"] == member.username

    _, ballot = open_motion(brigade["council"], members[0], brigade["officer"])

    def cast(index: int) -> str:
        session = sessions[index % len(members)]
        base = servers[(index // len(members)) % 2]
        return post(base, f"/api/ballots/{ballot.pk}/votes", session, {"content": "yes"})

    casts = run_together(WRITES, cast)
    refused = "409 you have already voted on this ballot"
    assert casts == {"201": len(members), refused: WRITES - len(members)}, casts
    assert VoterRoll.objects.filter(ballot=ballot).count() == len(members)
    assert PendingPaper.objects.filter(ballot=ballot).count() == len(members)

    before = LedgerEvent.objects.count()

    def table(index: int) -> str:
        body = {"title": f"Motion {index}", "text": "Tabled on one of two servers."}
        slug = brigade["council"].slug
        return post(servers[index % 2], f"/api/councils/{slug}/motions", sessions[index % 4], body)

    tabled = run_together(WRITES, table)
    assert tabled == {"201": WRITES}, tabled
    numbers = sorted(Motion.objects.values_list("number", flat=True))
    assert numbers == list(range(1, WRITES + 2))  # the ballot's motion, then the hundred
    sequences = list(LedgerEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))  # no gap, no sequence twice
    assert len(sequences) == before + WRITES
    report = verify_database()
    assert report.first_broken is None  # every event links to the one before it: no fork
    # the fixture makes its people outside any transaction, so no event seals them; every other
    # row written through the two servers matches its seal
    assert all(problem.startswith("table auth_user row ") for problem in report.problems), (
        report.problems
    )
