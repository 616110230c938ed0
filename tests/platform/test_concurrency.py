"""One member, one vote under load, and a ledger that never forks: real concurrent
transactions (threads with their own database connections), on SQLite and on PostgreSQL."""

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import requests
from django.db import connection
from django.test import Client

from kuzbass.platform.core import errors
from kuzbass.platform.councils import services
from kuzbass.platform.councils.models import Motion, PendingPaper, VoterRoll
from kuzbass.platform.ledger.models import LedgerEvent
from kuzbass.platform.ledger.services import verify_database

pytestmark = pytest.mark.django_db(transaction=True)
SUBMISSIONS = 50


def run_together(count: int, action: Callable[[int], str]) -> Counter[str]:
    """Start ``count`` threads at once (a barrier) and count their outcomes."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            barrier.wait()
            outcome = action(index)
        except Exception as error:  # every outcome is reported, none lost
            outcome = f"error: {type(error).__name__}: {error}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(outcomes)


def test_fifty_concurrent_votes_by_one_member_record_one(
    brigade: dict[str, Any], open_motion: Any
) -> None:
    _, ballot = open_motion(brigade["council"], brigade["members"][0], brigade["officer"])
    voter = brigade["members"][1]

    def vote(index: int) -> str:
        try:
            services.cast_vote(voter, ballot, "yes" if index % 2 else "no")
        except errors.RefusedError as error:
            return error.message
        return "recorded"

    outcomes = run_together(SUBMISSIONS, vote)
    assert outcomes == {"recorded": 1, "you have already voted on this ballot": SUBMISSIONS - 1}
    assert VoterRoll.objects.filter(ballot=ballot, voter=voter).count() == 1
    assert PendingPaper.objects.filter(ballot=ballot).count() == 1


def test_fifty_concurrent_http_votes_by_one_member_record_one(
    brigade: dict[str, Any], open_motion: Any, live_server: Any
) -> None:
    _, ballot = open_motion(brigade["council"], brigade["members"][0], brigade["officer"])
    client = Client()
    client.force_login(brigade["members"][2])
    session = client.cookies["sessionid"].value
    csrf = requests.get(f"{live_server.url}/api/csrf", timeout=10).cookies["csrftoken"]

    def vote(index: int) -> str:
        # The test server's listen queue is short: a refused connection is retried, as a
        # browser would; the one-vote rule must hold however often a request arrives.
        for attempt in range(10):
            try:
                response = requests.post(
                    f"{live_server.url}/api/ballots/{ballot.pk}/votes",
                    json={"content": "yes"},
                    cookies={"sessionid": session, "csrftoken": csrf},
                    headers={"X-CSRFToken": csrf, "Referer": live_server.url},
                    timeout=60,
                )
            except requests.ConnectionError:
                time.sleep(0.05 * (attempt + 1))
                continue
            return f"{response.status_code} {response.json().get('detail', '')}"
        return "no connection"

    outcomes = run_together(SUBMISSIONS, vote)
    assert outcomes == {
        "201 ": 1,
        "409 you have already voted on this ballot": SUBMISSIONS - 1,
    }
    assert VoterRoll.objects.filter(ballot=ballot).count() == 1
    assert PendingPaper.objects.filter(ballot=ballot).count() == 1


def test_concurrent_decisions_keep_one_unbroken_chain(brigade: dict[str, Any]) -> None:
    members = brigade["members"]

    def table(index: int) -> str:
        services.table_motion(
            members[index % len(members)],
            brigade["council"],
            title=f"Motion from thread {index}",
            text="Concurrent.",
        )
        return "tabled"

    outcomes = run_together(20, table)
    assert outcomes == {"tabled": 20}
    assert Motion.objects.count() == 20
    assert sorted(Motion.objects.values_list("number", flat=True)) == list(range(1, 21))
    sequences = list(LedgerEvent.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))
    report = verify_database()
    assert report.events_checked == len(sequences)
    # the fixture makes its people outside any transaction, so no event seals them; every other
    # row (the motions tabled at once among them) matches its seal
    assert all(problem.startswith("table auth_user row ") for problem in report.problems), (
        report.problems
    )
