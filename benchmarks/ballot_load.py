"""Ballot submissions per second against PostgreSQL and `kuzbass serve` (gunicorn).

    nice python benchmarks/ballot_load.py [--workers 2] [--threads 4] [--votes 20000]
        [--connections 32] [--max-seconds 60] [--server postgresql://postgres@127.0.0.1:5432]

What it does, all on 127.0.0.1:
1. creates a scratch database ``kuzbass_ballot_load`` on the PostgreSQL server (dropped at the
   end unless --keep), migrates it, founds a council through the services and opens one secret
   yes/no ballot. The voters (``--votes`` of them) are bulk-inserted with their memberships and
   logged-in sessions: setting up 20,000 accounts one by one through the invitation service
   would take longer than the measurement, and only the ballot submissions are measured;
2. starts ``kuzbass serve --workers N`` in its own process;
3. from a separate load process, sends each voter's vote once (POST /api/ballots/{id}/votes with
   session cookie and CSRF token, as a browser would) over ``--connections`` keep-alive
   connections, stopping at ``--max-seconds``. The peer, measured the same way right after, is
   the same voters reading the ballot (GET /api/ballots/{id}): the cost of a request that
   does no writing, on the same server and machine;
4. checks that the roll and the ballot papers hold exactly one entry per accepted vote, and
   that ``kuzbass ledger verify`` passes.

It prints the table and the machine's load average before and after (the machine is shared),
and the CPU each request cost the server (gunicorn's processes), PostgreSQL (all its processes)
and the load process, from /proc (Linux). "ceiling /s" is 2 cores divided by the three together:
the rate they could reach with both cores to themselves and nothing waiting. Other work on the
machine lowers the measured rate much more than it raises that CPU.
"""

import argparse
import asyncio
import multiprocessing
import os
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
DATABASE = "kuzbass_ballot_load"
console = Console(width=170)


@dataclass
class Phase:
    name: str
    sent: int
    accepted: int
    seconds: float
    latencies: list[float]
    client_cpu: float
    server_cpu: float
    database_cpu: float

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    def per_request_ms(self, cpu: float) -> float:
        return 1000 * cpu / self.sent if self.sent else 0.0

    @property
    def cpu_ms(self) -> float:
        """CPU per request of the server, PostgreSQL and the load process together."""
        return self.per_request_ms(self.server_cpu + self.database_cpu + self.client_cpu)


def _processes() -> dict[int, tuple[int, int, float]]:
    """Every process: parent, owner and CPU seconds so far, from /proc: user and system time,
    its own and that of its children that ended (PostgreSQL ends a connection's process when
    Django closes the connection; the time then moves to the postmaster)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            owner = entry.stat().st_uid
        except OSError:  # the process ended meanwhile
            continue
        cpu = sum(int(value) for value in fields[11:15]) / ticks
        found[int(entry.name)] = (int(fields[1]), owner, cpu)
    return found


def cpu_seconds(server: int) -> tuple[float, float]:
    """CPU used so far by the server's process tree, and by all PostgreSQL processes (the local
    server's: other work on the same PostgreSQL counts too, so the machine must be quiet)."""
    import pwd

    processes = _processes()
    tree, grown = {server}, True
    while grown:  # gunicorn's workers are children of its master
        children = {pid for pid, (parent, _, _) in processes.items() if parent in tree}
        grown = not children <= tree
        tree |= children
    postgres = pwd.getpwnam("postgres").pw_uid
    return (
        sum(processes[pid][2] for pid in tree if pid in processes),
        sum(cpu for _, owner, cpu in processes.values() if owner == postgres),
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def recreate_database(server: str, database: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {database}")


def drop_database(server: str, database: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def prepare(voters: int) -> tuple[int, list[str]]:
    """Migrate, found the council, bulk-add voters with sessions, open the ballot."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.models import Session
    from django.core.management import call_command
    from django.utils import timezone

    from kuzbass.platform.core import clock
    from kuzbass.platform.councils import services
    from kuzbass.platform.councils.models import Membership

    call_command("migrate", interactive=False, verbosity=0)
    council = services.found_council(name="Raspadskaya mine", slug="raspadskaya", kind="workplace")
    user_model = get_user_model()
    officer = user_model.objects.create_user("officer", password=secrets.token_urlsafe(16))
    services.appoint_officer(officer, council)
    motion = services.table_motion(
        officer, council, title="Strike until the demands are met", text="All pits out."
    )
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
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    expires = timezone.now() + timedelta(days=1)
    keys = [secrets.token_hex(16) for _ in users]
    Session.objects.bulk_create(
        [
            Session(
                session_key=key,
                session_data=store.encode(
                    {
                        "_auth_user_id": str(user.pk),
                        # the backend that logs in (the first, axes', only guards logins)
                        "_auth_user_backend": settings.AUTHENTICATION_BACKENDS[-1],
                        "_auth_user_hash": user.get_session_auth_hash(),
                    }
                ),
                expire_date=expires,
            )
            for key, user in zip(keys, users, strict=True)
        ],
        batch_size=2000,
    )
    ballot = services.open_ballot(
        officer, motion, closes_at=clock.now() + timedelta(hours=1), secret=True
    )
    return ballot.pk, keys


async def _drive(
    port: int, requests: list[bytes], connections: int, max_seconds: float
) -> tuple[int, int, float, list[float]]:
    """Send the prepared requests over keep-alive connections; count 2xx answers."""
    queue = iter(requests)
    accepted = 0
    sent = 0
    latencies: list[float] = []
    deadline = time.perf_counter() + max_seconds

    async def connection() -> None:
        nonlocal accepted, sent
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for request in queue:
                if time.perf_counter() > deadline:
                    return
                started = time.perf_counter()
                writer.write(request)
                sent += 1
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if 200 <= status < 300:
                    accepted += 1
                if b"connection: close" in head.lower():
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return sent, accepted, time.perf_counter() - started, latencies


def _load_process(
    port: int, requests: list[bytes], connections: int, max_seconds: float, results: Any
) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF)
    sent, accepted, seconds, latencies = asyncio.run(
        _drive(port, requests, connections, max_seconds)
    )
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    results.put((sent, accepted, seconds, latencies, cpu))


def run_load(
    name: str, server: int, port: int, requests: list[bytes], connections: int, max_seconds: float
) -> Phase:
    """Run one phase in a separate process, so the load generator is not the server."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(
        target=_load_process, args=(port, requests, connections, max_seconds, results)
    )
    server_before, database_before = cpu_seconds(server)
    process.start()
    sent, accepted, seconds, latencies, cpu = results.get(timeout=max_seconds + 120)
    server_after, database_after = cpu_seconds(server)
    process.join(timeout=30)
    return Phase(
        name,
        sent,
        accepted,
        seconds,
        latencies,
        cpu,
        server_after - server_before,
        database_after - database_before,
    )


def vote_request(port: int, ballot: int, session: str, csrf: str) -> bytes:
    body = b'{"content":"yes"}'
    return (
        f"POST /api/ballots/{ballot}/votes HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Cookie: sessionid={session}; csrftoken={csrf}\r\nX-CSRFToken: {csrf}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def read_request(port: int, ballot: int, session: str) -> bytes:
    return (
        f"GET /api/ballots/{ballot} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Cookie: sessionid={session}\r\n\r\n"
    ).encode()


def start_server(port: int, workers: int, threads: int, environment: dict[str, str]) -> Any:
    log = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the server's lifetime)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kuzbass",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            raise SystemExit(f"kuzbass serve exited:\n{log.read().decode()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("kuzbass serve did not start within 90 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--votes", type=int, default=20_000, help="voters, each voting once")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="time limit per phase")
    parser.add_argument(
        "--server",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL, without the database name",
    )
    parser.add_argument("--database", default=DATABASE, help="the scratch database's name")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    options = parser.parse_args()
    if not 1 <= options.votes <= 200_000 or not 1 <= options.connections <= 256:
        parser.error("--votes must be 1..200000 and --connections 1..256 (a bounded load)")

    load_before = os.getloadavg()
    data_dir = tempfile.mkdtemp(prefix="kuzbass-ballot-load-")
    environment = dict(os.environ)
    environment.update(
        DATABASE_URL=f"{options.server}/{options.database}",
        KUZBASS_DATA_DIR=data_dir,
        PYTHONPATH=str(REPO / "src"),
        DJANGO_SETTINGS_MODULE="kuzbass.platform.settings",
        # the task worker that serve starts would close the ballot once the whole roll has
        # voted, in the middle of the read phase: it looks once at the start, then not again
        KUZBASS_DUE_SECONDS="86400",
    )
    os.environ.update(environment)
    sys.path.insert(0, str(REPO / "src"))
    if not options.database.isidentifier():
        parser.error("--database must be a plain name")
    recreate_database(options.server, options.database)
    server = None
    try:
        from kuzbass.platform import setup

        setup()
        from django.db import connections

        with Progress(transient=True) as progress:
            task = progress.add_task(f"setting up {options.votes} voters", total=None)
            ballot, sessions = prepare(options.votes)
            progress.update(task, completed=1, total=1)
        connections.close_all()
        port = free_port()
        server = start_server(port, options.workers, options.threads, environment)
        csrf = secrets.token_hex(16)
        warm = [read_request(port, ballot, key) for key in sessions[: 4 * options.connections]]
        run_load("warm-up", server.pid, port, warm, options.connections, 30)
        console.print(f"sending {len(sessions)} votes over {options.connections} connections")
        votes = run_load(
            "ballot submissions (POST vote)",
            server.pid,
            port,
            [vote_request(port, ballot, key, csrf) for key in sessions],
            options.connections,
            options.max_seconds,
        )
        reads = run_load(
            "peer: reading the ballot (GET)",
            server.pid,
            port,
            [read_request(port, ballot, key) for key in sessions],
            options.connections,
            options.max_seconds,
        )
        load_after = os.getloadavg()
        from kuzbass.platform.councils.models import BallotPaper, PendingPaper, VoterRoll
        from kuzbass.platform.ledger.services import verify_database

        roll = VoterRoll.objects.filter(ballot_id=ballot).count()
        # a secret ballot's papers wait in the pool until the close counts them
        papers = sum(
            model.objects.filter(ballot_id=ballot).count() for model in (BallotPaper, PendingPaper)
        )
        report = verify_database()
        connections.close_all()
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=120)
        if not options.keep:
            drop_database(options.server, options.database)

    table = Table(
        title=f"kuzbass serve --workers {options.workers} --threads {options.threads}, "
        f"PostgreSQL, {options.connections} connections, loopback"
    )
    for column in [
        "phase",
        "requests",
        "accepted",
        "seconds",
        "per second",
        "median ms",
        "p95 ms",
        "server CPU ms",
        "PostgreSQL CPU ms",
        "load CPU ms",
        "ceiling /s",
    ]:
        table.add_column(column, justify="left" if column == "phase" else "right")
    for phase in (votes, reads):
        ordered = sorted(phase.latencies) or [0.0]
        table.add_row(
            phase.name,
            str(phase.sent),
            str(phase.accepted),
            f"{phase.seconds:.1f}",
            f"{phase.rate:.0f}",
            f"{statistics.median(ordered) * 1000:.1f}",
            f"{ordered[int(0.95 * (len(ordered) - 1))] * 1000:.1f}",
            f"{phase.per_request_ms(phase.server_cpu):.2f}",
            f"{phase.per_request_ms(phase.database_cpu):.2f}",
            f"{phase.per_request_ms(phase.client_cpu):.2f}",
            f"{2000 / phase.cpu_ms:.0f}" if phase.cpu_ms else "-",
        )
    console.print(table)
    ratio = votes.rate / reads.rate if reads.rate else float("nan")
    console.print(f"votes per second / reads per second (same run): {ratio:.2f}")
    console.print(f"target: ≥ 500 ballot submissions per second — measured {votes.rate:.0f}")
    console.print(
        f"check: {votes.accepted} votes accepted, {roll} on the roll, {papers} ballot papers; "
        f"ledger verify: {'ok' if report.ok else report.reason}"
    )
    console.print(
        f"machine: {os.cpu_count()} CPUs; load average before {load_before[0]:.2f}, "
        f"after {load_after[0]:.2f} (1 min)"
    )
    if not (roll == papers == votes.accepted and report.ok):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
