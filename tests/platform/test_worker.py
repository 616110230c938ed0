"""The task worker that `kuzbass serve` starts closes a ballot at its closing time, with no page
viewed and no operator command: a decision happens because its time came, on purpose."""

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
import requests
from tests.platform.test_serve import free_port

OPEN_A_BALLOT = """
from datetime import timedelta
from django.contrib.auth import get_user_model
from kuzbass.platform import setup
setup()
from kuzbass.platform.core import clock
from kuzbass.platform.councils import services
council = services.found_council(name="Ninth brigade", slug="ninth", kind="workplace")
chair = get_user_model().objects.create_user(username="chair", password="x" * 20)
services.appoint_officer(chair, council)
motion = services.table_motion(chair, council, title="Showers", text="Hot water.")
ballot = services.open_ballot(chair, motion, closes_at=clock.now() + timedelta(seconds=10))
print(ballot.pk)
"""


def test_serve_starts_a_worker_that_closes_ballots_on_time(tmp_path: Path) -> None:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(KUZBASS_DATA_DIR=str(tmp_path), PYTHONPATH="src", KUZBASS_DUE_SECONDS="600")
    server = subprocess.Popen(
        [sys.executable, "-m", "kuzbass", "serve", "--port", str(port), "--workers", "1"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(f"{base}/", timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "server did not start within 120 s"
                time.sleep(0.3)
        made = subprocess.run(
            [sys.executable, "-c", OPEN_A_BALLOT],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        ballot = int(made.stdout.split()[-1])
        assert requests.get(f"{base}/api/ballots/{ballot}", timeout=10).json()["state"] == "open"
        deadline = time.monotonic() + 60
        state = "open"
        while state != "closed" and time.monotonic() < deadline:
            time.sleep(0.5)
            state = requests.get(f"{base}/api/ballots/{ballot}", timeout=10).json()["state"]
        # booked at its closing time, not found by the periodic round (every 600 s here)
        assert state == "closed"
        closed = requests.get(f"{base}/api/ballots/{ballot}", timeout=10).json()
        closed_at = datetime.fromisoformat(closed["closed_at"])
        assert closed_at >= datetime.fromisoformat(closed["closes_at"])
        assert closed["carried"] is False
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_due_jobs_run_together_and_one_failing_stops_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kuzbass.platform.core import due

    def rounds_due() -> int:
        return 2

    def broken() -> int:
        raise RuntimeError("the planning server is down")

    monkeypatch.setattr(due, "JOBS", list(due.JOBS))
    assert [due.name(job) for job in due.JOBS] == [
        "kuzbass.platform.councils.services.ballots.close_due_ballots",
        "kuzbass.platform.plans.services.rounds.close_due_rounds",
    ]  # the councils and the plans register theirs when their apps are ready
    due.JOBS.clear()
    for job in (broken, rounds_due, rounds_due):
        due.register(job)
    assert [broken, rounds_due] == due.JOBS  # registered once
    done = due.run_due()
    assert done == {due.name(broken): -1, due.name(rounds_due): 2}
