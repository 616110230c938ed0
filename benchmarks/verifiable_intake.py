"""Intake of encrypted papers on PostgreSQL: how many verifiable papers per second the platform
checks and records.

    nice .venv/bin/python benchmarks/verifiable_intake.py [--papers 2000] [--processes 2]

A scratch database (``kuzbass_e2e``, dropped and made again) gets a council with ``--papers``
voters and three trustees; a yes/no/abstain ballot is opened and its key set up through the
services, and every voter's paper is encrypted in Python (not timed). Then ``--processes``
processes, each with its own connection, cast every paper through ``services.verifiable.cast``
— what the API does after parsing the JSON: the roll check, ``check_paper`` (signature, three
choice proofs and the total proof), the voter's own credential, then one transaction with the
ledger lock, the roll row, the paper row (both unique constraints) and the
``ballot.encrypted_paper`` event. Timed from the first cast to the last; the HTTP layer is not
included (benchmarks/ballot_load.py measures it for ordinary votes). Afterwards: every paper is on
the roll, in the table and on the ledger exactly once, and ``verify_events`` passes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ballot_load import cpu_seconds  # the same CPU accounting as the vote load

REPO = Path(__file__).resolve().parent.parent
DATABASE = "kuzbass_e2e"
console = Console()


def recreate_database(server: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")


def prepare(voters: int) -> tuple[int, list[tuple[int, dict[str, Any]]]]:
    """Migrate, found the council with its voters and trustees, open the ballot, set up its key
    and encrypt one paper per voter; returns the ballot and (voter id, paper) pairs."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone

    from kuzbass.democracy import verifiable as crypto
    from kuzbass.platform.core import clock
    from kuzbass.platform.councils import services
    from kuzbass.platform.councils.models import Membership
    from kuzbass.platform.councils.services import verifiable

    call_command("migrate", interactive=False, verbosity=0)
    council = services.found_council(name="Raspadskaya mine", slug="raspadskaya", kind="workplace")
    user_model = get_user_model()
    officer = user_model.objects.create_user("officer", password=secrets.token_urlsafe(16))
    services.appoint_officer(officer, council)
    unusable = make_password(None)
    users = user_model.objects.bulk_create(
        [user_model(username=f"miner{i:06d}", password=unusable) for i in range(voters)],
        batch_size=2000,
    )
    joined = timezone.now() - timedelta(seconds=1)
    Membership.objects.bulk_create(
        [Membership(user=user, council=council, role="member", joined_at=joined) for user in users],
        batch_size=2000,
    )
    trustees = users[:3]
    names = [user.username for user in trustees]
    verifiable.set_rule(officer, council, names, 2)
    motion = services.table_motion(officer, council, title="No confidence", text="In the director.")
    ballot = services.open_ballot(officer, motion, closes_at=clock.now() + timedelta(hours=2))
    record = verifiable.get(ballot.pk)
    kept = {}
    for number, user in enumerate(trustees, start=1):
        kept[number], announcement = crypto.announce(record.name, names, 2, number)
        verifiable.upload(user, ballot.pk, "announce", announcement)
    announcements = verifiable.uploads(record, "announce")
    for number, user in enumerate(trustees, start=1):
        verifiable.upload(user, ballot.pk, "deal", crypto.deal(kept[number], announcements))
    dealings = verifiable.uploads(record, "deal")
    for number, user in enumerate(trustees, start=1):
        _, key = crypto.finish(kept[number], announcements, dealings)
        verifiable.upload(user, ballot.pk, "finish", key)
    record.refresh_from_db()
    opened = verifiable.checked_ballot(record)
    papers = []
    for i, user in enumerate(users):
        x, _ = crypto.credential_key(record.name, verifiable.credential_secret(record, user))
        marks = [[1, 0, 0], [0, 1, 0], [0, 0, 1]][i % 3]
        papers.append((user.pk, crypto.encrypt_paper(opened, marks, x)[0]))
    return ballot.pk, papers


def cast_all(ballot: int, chunk: list[tuple[int, dict[str, Any]]], start: Any) -> int:
    """In a worker process: cast each paper as its voter; returns how many were counted."""
    from django.contrib.auth import get_user_model
    from django.db import connections

    from kuzbass.platform.councils.services import verifiable

    connections.close_all()  # never share the parent's connection
    users = get_user_model().objects.in_bulk([user for user, _ in chunk])
    verifiable.checked_ballot(verifiable.get(ballot))  # the record is read once per process
    start.wait()
    counted = 0
    for user, paper in chunk:
        verifiable.cast(users[user], ballot, paper)
        counted += 1
    connections.close_all()
    return counted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=2000, help="voters, each casting once")
    parser.add_argument("--processes", type=int, default=2, help="casting processes")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    options = parser.parse_args()
    if not 10 <= options.papers <= 50_000 or not 1 <= options.processes <= 16:
        parser.error("--papers must be 10..50000 and --processes 1..16")
    os.environ.update(
        DATABASE_URL=f"{options.server}/{DATABASE}",
        KUZBASS_DATA_DIR=tempfile.mkdtemp(prefix="kuzbass-intake-"),
        DJANGO_SETTINGS_MODULE="kuzbass.platform.settings",
    )
    sys.path.insert(0, str(REPO / "src"))
    recreate_database(options.server)
    from kuzbass.platform import setup

    setup()
    from django.db import connections

    from kuzbass.democracy import verifiable as crypto
    from kuzbass.platform.councils.models import EncryptedPaper, VoterRoll
    from kuzbass.platform.ledger.models import LedgerEvent

    with console.status(f"setting up {options.papers} voters and encrypting their papers"):
        ballot, papers = prepare(options.papers)
    connections.close_all()
    load = os.getloadavg()[0]
    context = multiprocessing.get_context("fork")
    start = context.Manager().Event()
    chunks = [papers[i :: options.processes] for i in range(options.processes)]
    with context.Pool(options.processes) as pool:
        pending = [pool.apply_async(cast_all, (ballot, chunk, start)) for chunk in chunks]
        time.sleep(2)  # every worker connected and ready
        cpu_before = cpu_seconds(os.getpid())
        began = time.perf_counter()
        start.set()
        counted = sum(result.get() for result in pending)
        seconds = time.perf_counter() - began
        cpu_after = cpu_seconds(os.getpid())
    assert counted == options.papers
    assert EncryptedPaper.objects.count() == options.papers == VoterRoll.objects.count()
    events = LedgerEvent.objects.order_by("sequence")
    assert events.filter(kind=crypto.CAST).count() == options.papers
    report = crypto.verify_events(events.iterator(), workers=options.processes)
    assert report.ok and report.papers_verified == options.papers, report.failure
    python_ms, postgres_ms = (
        1000 * (after - before) / options.papers
        for before, after in zip(cpu_before, cpu_after, strict=True)
    )
    cores = os.cpu_count() or 1
    console.print(
        f"{options.papers} encrypted yes/no/abstain papers cast by {options.processes} "
        f"processes in {seconds:.1f} s: [bold]{options.papers / seconds:.0f} papers/s[/] "
        f"(load average {load:.1f} on {cores} cores); CPU per paper: Python {python_ms:.1f} ms, "
        f"PostgreSQL {postgres_ms:.1f} ms; ceiling on {cores} idle cores "
        f"{1000 * cores / (python_ms + postgres_ms):.0f} papers/s. Each counted once, "
        "verify_events passes."
    )


if __name__ == "__main__":
    main()
