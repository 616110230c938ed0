"""Killing the process that closes the congress's adoption ballot (SIGKILL at a sweep of
moments), then closing it again: the plan is adopted exactly once, with one ledger event, and
``kuzbass ledger verify`` passes. Real subprocesses on a SQLite file."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SEED = """
from datetime import timedelta
from django.utils import timezone
from kuzbass.platform import setup
setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from django.contrib.auth import get_user_model
from kuzbass.platform.councils import services as councils
from kuzbass.platform.plans import services as plans
from django.db import transaction
users = get_user_model()
congress = councils.found_council(name="Congress", slug="congress", kind="congress")
mine = councils.found_council(name="Mine", slug="mine", kind="workplace")
town = councils.found_council(name="Town", slug="town", kind="consumer")
with transaction.atomic():  # a person is sealed by the event seating them
    people = {n: users.objects.create_user(n, password=None) for n in ("kon", "pit", "mayor", "d")}
    councils.appoint_officer(people["kon"], congress)
    councils.appoint_officer(people["d"], congress)
    councils.appoint_officer(people["pit"], mine)
    councils.appoint_officer(people["mayor"], town)
plans.register_products(people["kon"], congress, [{"name": "coal", "unit": "t"}])
plans.register_resources(people["kon"], congress, [{"name": "labour", "unit": "h",
                                                    "available": 1000}])
plans.declare_technique(people["pit"], mine, name="coal-mine", product="coal", output=100,
                        labour=200, capacity=1000)
plans.submit_need(people["mayor"], town, product="coal", quantity=100)
version = plans.run_planning_round(people["kon"], congress)
motion = plans.propose_adoption(people["kon"], congress, version)
ballot = councils.open_ballot(people["kon"], motion,
                              closes_at=timezone.now() + timedelta(days=1))
for name in ("kon", "d"):
    councils.cast_vote(people[name], ballot, "yes")
print(ballot.pk)
"""

CLOSE = """
import sys
from kuzbass.platform import setup
setup()
from kuzbass.platform.councils import services as councils
from kuzbass.platform.councils.models import Ballot
councils.settle(Ballot.objects.get(pk=int(sys.argv[1])))
"""

STATE = """
import json
from kuzbass.platform import setup
setup()
from kuzbass.platform.ledger.models import LedgerEvent
from kuzbass.platform.plans.models import PlanVersion
print(json.dumps({
    "adopted": PlanVersion.objects.filter(status="adopted").count(),
    "events": LedgerEvent.objects.filter(kind="plan.adopted").count(),
}))
"""


def _run(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *arguments],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _state(environment: dict[str, str]) -> dict[str, int]:
    return json.loads(_run(environment, "-c", STATE).stdout)


def test_sigkill_while_adopting_the_plan(tmp_path: Path) -> None:
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "KUZBASS_DATA_DIR": str(tmp_path)}
    environment.pop("DATABASE_URL", None)
    seeded = _run(environment, "-c", SEED)
    assert seeded.returncode == 0, seeded.stderr
    ballot = seeded.stdout.strip().splitlines()[-1]

    killed = 0
    delay = 0.5
    while True:  # kill later and later until a run finishes on its own
        closing = subprocess.Popen(
            [sys.executable, "-c", CLOSE, ballot],
            env=environment,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(delay)
        if closing.poll() is not None:
            assert closing.returncode == 0, closing.stderr.read() if closing.stderr else ""
            break
        closing.send_signal(signal.SIGKILL)
        closing.wait(timeout=30)
        killed += 1
        state = _state(environment)
        assert state["adopted"] == state["events"] <= 1  # all of the adoption or none of it
        if state["adopted"]:
            break
        delay += 0.15
    assert killed >= 1

    again = _run(environment, "-c", CLOSE, ballot)  # closing again changes nothing
    assert again.returncode == 0, again.stderr
    assert _state(environment) == {"adopted": 1, "events": 1}
    verified = _run(environment, "-m", "kuzbass", "ledger", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
