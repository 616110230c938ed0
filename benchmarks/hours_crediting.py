"""Crediting 1,000,000 hour registrations and deriving every balance, on PostgreSQL.

Each run creates a fresh database, founds the workplaces and the congress through the services
(ledger events and all), loads members and their confirmed registrations with COPY (the set-up,
timed separately), then times:

- **credit**: ``credit_confirmed_hours()`` — the bulk path (``INSERT … SELECT`` per chunk, one
  sealed ledger event per chunk);
- **balances**: ``all_balances()`` — every account's balance derived from the transfers;
- **verify**: the ledger check, which checks every row (every transfer among them) against the
  leaf its event sealed.

The peer is the one-registration-at-a-time path (``confirm_hours``: three transfers and a ledger
event per registration) on a sample in the same database, extrapolated to the same count. The
script checks that both paths split hours identically and that the balances sum to zero.

    PYTHONPATH=src nice python benchmarks/hours_crediting.py
    PYTHONPATH=src nice python benchmarks/hours_crediting.py --registrations 100000 --repeat 3
"""

import argparse
import os
import statistics
import sys
import time
from fractions import Fraction
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console()
SERVER = "postgresql://postgres@127.0.0.1:5432"


def _recreate(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{url}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _drop(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{url}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _setup(registrations: int, members: int, workplaces: int, sample: int) -> dict[str, Any]:
    """Councils through the services; members, memberships and registrations by COPY."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from kuzbass.platform.accounts import services as accounts
    from kuzbass.platform.accounts.models import HourRegistration
    from kuzbass.platform.councils import services as councils
    from kuzbass.platform.councils.models import Membership
    from kuzbass.platform.ledger.services import append_event, lock_ledger, touched_query

    call_command("migrate", interactive=False, verbosity=0)
    users = get_user_model()
    congress = councils.found_council(name="Congress", slug="congress", kind="congress")
    with transaction.atomic():  # the officer's row is sealed by the event seating them
        officer = users.objects.create_user("officer", password=None)
        councils.appoint_officer(officer, congress)
    accounts.set_deductions(officer, congress, public_fund="3/20", investment_fund="1/10")
    places = []
    for number in range(workplaces):
        place = councils.found_council(name=f"Pit {number}", slug=f"pit-{number}", kind="workplace")
        councils.appoint_officer(officer, place)
        places.append(place)
    moment = timezone.now()
    user_table = users._meta.db_table
    with connection.cursor() as cursor:
        with cursor.copy(
            f"COPY {user_table} (username, password, is_superuser, first_name, last_name, "
            "email, is_staff, is_active, date_joined) FROM STDIN"
        ) as copy:
            for number in range(members):
                copy.write_row((f"w{number}", "!", False, "", "", "", False, True, moment))
        cursor.execute(f"SELECT id FROM {user_table} WHERE username LIKE 'w%%' ORDER BY id")
        worker_ids = [row[0] for row in cursor.fetchall()]
        with cursor.copy(
            f"COPY {Membership._meta.db_table} (user_id, council_id, role, joined_at) FROM STDIN"
        ) as copy:
            for number, worker in enumerate(worker_ids):
                copy.write_row((worker, places[number % workplaces].pk, "member", moment))
        with cursor.copy(
            f"COPY {HourRegistration._meta.db_table} (workplace_id, worker_id, period, key, "
            "seconds, registered_by_id, registered_at, confirmed_at) FROM STDIN"
        ) as copy:
            for number in range(registrations + sample):
                worker = number % members
                confirmed = moment if number >= sample else None
                seconds = 3600 * 6 + (number * 7919) % 14400  # 6 to 10 hours
                copy.write_row(
                    (
                        places[worker % workplaces].pk,
                        worker_ids[worker],
                        "1989-07",
                        f"r{number}",
                        seconds,
                        officer.pk,
                        moment,
                        confirmed,
                    )
                )
        cursor.execute("ANALYZE")
    with transaction.atomic():  # the rows written by COPY, sealed as the services would
        lock_ledger()
        touched_query(users.objects.filter(username__startswith="w"))
        touched_query(Membership.objects.filter(role="member"))
        touched_query(HourRegistration.objects.all())
        append_event(
            "demo.created",
            {"scenario": "benchmark: crediting hours", "notice": "members and hours are made up"},
        )
    return {"officer": officer}


def run_once(
    url: str, name: str, registrations: int, members: int, workplaces: int, sample: int
) -> dict[str, float]:
    _recreate(url, name)
    from django.db import connections

    connections.close_all()
    from django.db import connection
    from django.db.models import Sum

    from kuzbass.platform.accounts import services as accounts
    from kuzbass.platform.accounts.models import HourRegistration, Transfer
    from kuzbass.platform.ledger.services import verify_database

    started = time.perf_counter()
    _setup(registrations, members, workplaces, sample)
    setup_s = time.perf_counter() - started

    peer = list(
        HourRegistration.objects.filter(confirmed_at__isnull=True).select_related(
            "worker", "workplace"
        )
    )
    started = time.perf_counter()
    for registration in peer:
        accounts.confirm_hours(registration.worker, registration)
    peer_s = time.perf_counter() - started

    started = time.perf_counter()
    result = accounts.credit_confirmed_hours()
    credit_s = time.perf_counter() - started
    started = time.perf_counter()
    balances = accounts.all_balances()
    balances_s = time.perf_counter() - started
    started = time.perf_counter()
    report = verify_database()
    verify_s = time.perf_counter() - started

    if result.registrations != registrations:
        sys.exit(f"credited {result.registrations} registrations, expected {registrations}")
    if sum(balances.values()) != 0:
        sys.exit(f"balances sum to {sum(balances.values())} seconds, not 0")
    if not report.ok:
        sys.exit(f"ledger verification failed: {report.reason}")
    deductions = accounts.current_deductions()
    public, investment = Fraction(deductions.public_fund), Fraction(deductions.investment_fund)
    with connection.cursor() as cursor:  # split_hours's integer arithmetic, summed in SQL
        cursor.execute(
            f"SELECT SUM(seconds * {public.numerator} / {public.denominator}), "
            f"SUM(seconds * {investment.numerator} / {investment.denominator}), SUM(seconds) "
            f"FROM {HourRegistration._meta.db_table}"
        )
        to_public, to_investment, worked = cursor.fetchone()
    expected = {
        "public_fund": to_public,
        "investment_fund": to_investment,
        "hours": worked - to_public - to_investment,
    }
    totals = dict(Transfer.objects.values_list("kind").annotate(total=Sum("seconds")))
    if totals != expected:
        sys.exit(f"transfers by kind {totals} differ from the registrations' split {expected}")
    for registration in HourRegistration.objects.order_by("?")[:200]:
        hours = Transfer.objects.get(registration=registration, kind="hours").seconds
        if hours != accounts.split_hours(registration.seconds, deductions)["hours"]:
            sys.exit(f"registration {registration.pk} credited {hours} s")
    connections.close_all()
    return {
        "setup": setup_s,
        "credit": credit_s,
        "balances": balances_s,
        "verify": verify_s,
        "peer_per_registration": peer_s / max(sample, 1),
        "accounts": len(balances),
        "transfers": result.transfers + 3 * sample,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--workplaces", type=int, default=200)
    parser.add_argument(
        "--peer-sample",
        type=int,
        default=300,
        help="registrations credited one at a time by the peer path",
    )
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server URL, no database")
    parser.add_argument("--database", default="kuzbass_bench_hours")
    arguments = parser.parse_args()

    os.environ["DATABASE_URL"] = f"{arguments.server}/{arguments.database}"
    os.environ.setdefault("KUZBASS_DATA_DIR", "/tmp/kuzbass-bench-hours")
    from kuzbass.platform import setup

    setup()
    runs = []
    try:
        for number in range(arguments.repeat):
            console.print(f"run {number + 1}/{arguments.repeat} …")
            runs.append(
                run_once(
                    arguments.server,
                    arguments.database,
                    arguments.registrations,
                    arguments.members,
                    arguments.workplaces,
                    arguments.peer_sample,
                )
            )
    finally:
        _drop(arguments.server, arguments.database)

    def median(key: str) -> float:
        return statistics.median(run[key] for run in runs)

    ours = median("credit") + median("balances")
    peer = median("peer_per_registration") * arguments.registrations
    table = Table(
        title=f"Crediting {arguments.registrations:,} registrations "
        f"({arguments.members:,} members, {arguments.workplaces} workplaces; "
        f"median of {len(runs)})"
    )
    for column in ("step", "seconds", "per registration µs"):
        table.add_column(column, justify="right" if column != "step" else "left")
    rows = [
        ("set-up (COPY, not timed in the target)", median("setup")),
        ("credit (bulk, sealed per chunk)", median("credit")),
        ("derive every balance", median("balances")),
        ("credit + balances (target ≤ 60 s)", ours),
        ("ledger verify (recomputes seals)", median("verify")),
        (f"peer: one at a time ({arguments.peer_sample:,} sampled, extrapolated)", peer),
    ]
    for step, seconds in rows:
        table.add_row(step, f"{seconds:.2f}", f"{seconds / arguments.registrations * 1e6:.1f}")
    console.print(table)
    console.print(
        f"{int(runs[0]['transfers']):,} transfers, {int(runs[0]['accounts']):,} "
        f"accounts; balances sum to 0; peer / ours = {peer / ours:.0f}×; "
        f"target {'met' if ours <= 60 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
