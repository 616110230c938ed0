"""Page latency while logins flood the server: does password hashing slow everyone down?

    nice python benchmarks/login_flood.py [--flooders 8] [--seconds 10] [--workers 2]

All on 127.0.0.1, SQLite in a temporary data folder. For each setting of
``KUZBASS_PASSWORD_CHECKS`` (password hashes at once on the machine: 1000, i.e. unbounded,
as before this change, then 1, the default), it starts ``kuzbass serve`` (gunicorn, gthread) with
one member whose password is hashed with Argon2 (Django's parameters), and measures:

1. the home page, fetched one request after another for ``--seconds``, with nothing else going on;
2. the same while ``--flooders`` threads log in as that member as fast as they can, with the
   right password (a successful login is never throttled by django-axes, so this is the hashing
   alone; a flood from many addresses with wrong passwords costs the same hashes).

It prints the page's median and 95th percentile, the logins answered 200 and 429, and the load
average before and after (the machine is shared).
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
USERNAME, PASSWORD = "andrei", "soap in the pithead showers 1989"
console = Console()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(data: Path) -> None:
    """A migrated database with one member whose password is hashed with Argon2."""
    script = (
        "from kuzbass.platform import setup; setup();"
        "from django.core.management import call_command; call_command('migrate', verbosity=0);"
        "from django.contrib.auth import get_user_model;"
        f"get_user_model().objects.create_user({USERNAME!r}, password={PASSWORD!r})"
    )
    subprocess.run([sys.executable, "-c", script], env=environment(data, 1000), check=True)


def environment(data: Path, checks: int) -> dict[str, str]:
    variables = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    variables.update(
        KUZBASS_DATA_DIR=str(data),
        KUZBASS_PASSWORD_CHECKS=str(checks),
        KUZBASS_LOG_FILE=str(data / "server.log"),
        PYTHONPATH=str(REPO / "src"),
    )
    return variables


def p95(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else latencies[0]


def page_latencies(base: str, seconds: float) -> list[float]:
    session, latencies = requests.Session(), []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        assert session.get(f"{base}/", timeout=60).status_code == 200
        latencies.append(time.perf_counter() - started)
    return latencies


def flood(base: str, stop: threading.Event, outcomes: list[int]) -> None:
    session = requests.Session()
    session.get(f"{base}/api/csrf", timeout=60)
    while not stop.is_set():
        session.headers["X-CSRFToken"] = session.cookies.get("csrftoken", "")
        answer = session.post(
            f"{base}/api/auth/login",
            json={"username": USERNAME, "password": PASSWORD},
            timeout=60,
        )
        outcomes.append(answer.status_code)


def measure(data: Path, checks: int, args: argparse.Namespace) -> list[list[str]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "kuzbass", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", str(args.workers)],
        env=environment(data, checks),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                requests.get(f"{base}/", timeout=5)
                break
            except requests.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log = data / "server.log"
                    raise SystemExit(f"the server did not start; see {log}") from None
                time.sleep(0.5)
        quiet = page_latencies(base, args.seconds)
        stop, outcomes = threading.Event(), []
        flooders = [
            threading.Thread(target=flood, args=(base, stop, outcomes))
            for _ in range(args.flooders)
        ]
        for thread in flooders:
            thread.start()
        time.sleep(1)
        busy = page_latencies(base, args.seconds)
        stop.set()
        for thread in flooders:
            thread.join()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    label = "unbounded (before)" if checks >= 1000 else f"{checks} at once (after)"
    rows = []
    for name, latencies, answered in (
        ("no flood", quiet, ""),
        (f"{args.flooders} threads logging in", busy, outcomes),
    ):
        rows.append(
            [
                label,
                name,
                f"{1000 * statistics.median(latencies):.1f}",
                f"{1000 * p95(latencies):.1f}",
                str(len(latencies)),
                str(answered.count(200)) if answered else "",
                str(answered.count(429)) if answered else "",
            ]
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flooders", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    load_before = os.getloadavg()
    table = Table(title="Home page latency while logins flood the server")
    for column in (
        "password checks",
        "meanwhile",
        "median ms",
        "p95 ms",
        "pages",
        "logins 200",
        "logins 429",
    ):
        table.add_column(column)
    with tempfile.TemporaryDirectory(prefix="kuzbass-flood-") as folder:
        data = Path(folder)
        prepare(data)
        for checks in (1000, 1):
            with console.status(f"measuring with KUZBASS_PASSWORD_CHECKS={checks}"):
                for row in measure(data, checks, args):
                    table.add_row(*row)
    console.print(table)
    load_after = os.getloadavg()
    console.print(
        f"load average before {load_before[0]:.2f} {load_before[1]:.2f}, "
        f"after {load_after[0]:.2f} {load_after[1]:.2f}; {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
