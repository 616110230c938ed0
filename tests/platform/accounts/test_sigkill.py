"""Killing ``kuzbass accounts credit`` with SIGKILL mid-run, then running it again, loses and
doubles no transfer, and ``kuzbass ledger verify`` passes. Real subprocesses, a real database:
a SQLite file, or a scratch PostgreSQL database when DATABASE_URL names a PostgreSQL server."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
WORKERS = 12
REGISTRATIONS = 2400
CHUNK = 20

SEED = f"""
from kuzbass.platform import setup
setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from django.contrib.auth import get_user_model
from kuzbass.platform.accounts import services as accounts
from kuzbass.platform.councils import services as councils
from django.db import transaction
users = get_user_model()
congress = councils.found_council(name="Congress", slug="congress", kind="congress")
with transaction.atomic():  # a person is sealed by the event seating them
    officer = users.objects.create_user("chair", password=None)
    councils.appoint_officer(officer, congress)
accounts.set_deductions(officer, congress, public_fund="3/20", investment_fund="1/10")
pit = councils.found_council(name="Severnaya", slug="severnaya", kind="workplace")
councils.appoint_officer(officer, pit)
workers = []
for number in range({WORKERS}):
    issued = councils.invite(officer, pit)
    with transaction.atomic():
        worker = users.objects.create_user(f"miner{{number}}", password=None)
        councils.accept_invitation(issued.token, worker)
    workers.append(worker)
lines = [accounts.SheetLine(f"miner{{n % {WORKERS}}}", str(6 + n % 5), f"shift-{{n}}")
         for n in range({REGISTRATIONS})]
accounts.register_sheet(officer, pit, period="1989-07", lines=lines)
for worker in workers:
    accounts.confirm_all_hours(worker)
"""

CHECK = """
import json
from kuzbass.platform import setup
setup()
from django.db.models import Count
from kuzbass.platform.accounts import services
from kuzbass.platform.accounts.models import Account, HourRegistration, Transfer
deductions = services.current_deductions()
expected = {"public_fund": 0, "investment_fund": 0, "member": 0}
for seconds in HourRegistration.objects.values_list("seconds", flat=True):
    split = services.split_hours(seconds, deductions)
    expected["public_fund"] += split["public_fund"]
    expected["investment_fund"] += split["investment_fund"]
    expected["member"] += split["hours"]
balances = services.all_balances()
kinds = dict(Account.objects.values_list("pk", "kind"))
by_kind = {}
for pk, seconds in balances.items():
    by_kind[kinds[pk]] = by_kind.get(kinds[pk], 0) + seconds
per_registration = list(
    Transfer.objects.filter(kind="hours").values("registration").annotate(n=Count("pk"))
    .values_list("n", flat=True)
)
print(json.dumps({
    "expected": expected, "by_kind": by_kind, "sum": sum(balances.values()),
    "credited": len(per_registration), "most_per_registration": max(per_registration),
}))
"""


def _batches_sqlite(path: Path) -> int:
    with sqlite3.connect(path, timeout=30) as connection:
        try:
            row = connection.execute(
                "SELECT count(*) FROM ledger_ledgerevent WHERE kind = 'hours.credited_batch'"
            ).fetchone()
        except sqlite3.OperationalError:
            return 0
    return int(row[0])


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[dict[str, str], Callable[[], int]]]:
    """An environment for the subprocesses and a way to count committed crediting batches."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "KUZBASS_DATA_DIR": str(tmp_path)}
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        environment.pop("DATABASE_URL", None)
        yield environment, lambda: _batches_sqlite(tmp_path / "kuzbass.sqlite3")
        return
    import psycopg

    server = url.rsplit("/", 1)[0]
    name = f"kuzbass_sigkill_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    environment["DATABASE_URL"] = f"{server}/{name}"

    def batches() -> int:
        with psycopg.connect(f"{server}/{name}") as connection:
            try:
                row = connection.execute(
                    "SELECT count(*) FROM ledger_ledgerevent WHERE kind = 'hours.credited_batch'"
                ).fetchone()
            except psycopg.errors.UndefinedTable:
                return 0
        return int(row[0]) if row else 0

    try:
        yield environment, batches
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(environment: dict[str, str], *arguments: str, timeout: float = 120) -> Any:
    return subprocess.run(
        [sys.executable, *arguments],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_sigkill_during_crediting_loses_and_doubles_nothing(
    database: tuple[dict[str, str], Callable[[], int]],
) -> None:
    environment, batches = database
    seeded = _run(environment, "-c", SEED)
    assert seeded.returncode == 0, seeded.stderr

    crediting = subprocess.Popen(
        [sys.executable, "-m", "kuzbass", "accounts", "credit", "--chunk", str(CHUNK)],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while batches() < 3 and time.monotonic() < deadline and crediting.poll() is None:
        time.sleep(0.005)
    crediting.send_signal(signal.SIGKILL)
    crediting.wait(timeout=30)
    assert crediting.returncode == -signal.SIGKILL, "the crediting finished before the kill"
    killed_at = batches()
    assert 3 <= killed_at < REGISTRATIONS // CHUNK

    import json

    partial = json.loads(_run(environment, "-c", CHECK).stdout)
    assert partial["sum"] == 0
    assert 0 < partial["credited"] < REGISTRATIONS
    assert partial["most_per_registration"] == 1

    again = _run(environment, "-m", "kuzbass", "accounts", "credit", "--chunk", str(CHUNK))
    assert again.returncode == 0, again.stderr
    final = json.loads(_run(environment, "-c", CHECK).stdout)
    assert final["credited"] == REGISTRATIONS
    assert final["most_per_registration"] == 1
    assert final["sum"] == 0
    assert final["by_kind"]["public_fund"] == final["expected"]["public_fund"]
    assert final["by_kind"]["investment_fund"] == final["expected"]["investment_fund"]
    assert final["by_kind"]["member"] == final["expected"]["member"]

    verified = _run(environment, "-m", "kuzbass", "ledger", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "chain intact" in verified.stdout + verified.stderr
