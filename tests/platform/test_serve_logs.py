"""`kuzbass serve` keeps its data folder private and logs every request and every server error
(with its traceback) to its log file, while the visitor sees no traceback."""

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import requests
from tests.platform.test_serve import free_port


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def wait_for(base: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 180  # migrating and collecting static files, on a busy machine
    while True:
        try:
            requests.get(f"{base}/api/csrf", timeout=5)
            return
        except requests.ConnectionError:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "server did not start within 180 s"
            time.sleep(0.3)


def test_serve_keeps_files_private_and_logs_errors(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "kuzbass.log"
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(KUZBASS_DATA_DIR=str(data), PYTHONPATH="src")
    command = [sys.executable, "-m", "kuzbass", "serve", "--port", str(port), "--workers", "1"]
    server = subprocess.Popen(
        [*command, "--log-file", str(log)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base, server)
        assert mode(data) == 0o700
        for name in ("kuzbass.sqlite3", "kuzbass.sqlite3-wal", "secret_key"):
            assert mode(data / name) == 0o600, name
        assert mode(log) == 0o600
        with sqlite3.connect(data / "kuzbass.sqlite3") as database:  # a database gone wrong
            database.execute("DROP TABLE councils_council")
        broken = requests.get(f"{base}/", timeout=10)
        assert broken.status_code == 500
        assert "Traceback" not in broken.text and "councils_council" not in broken.text
        deadline = time.monotonic() + 10
        while '"GET / HTTP/1.1" 500' not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        written = log.read_text()
        assert "Internal Server Error: /" in written and "Traceback" in written
        assert "no such table: councils_council" in written
        assert '"GET / HTTP/1.1" 500' in written and '"GET /api/csrf HTTP/1.1" 200' in written
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_the_command_line_keeps_a_new_data_folder_private(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(KUZBASS_DATA_DIR=str(data), PYTHONPATH="src")
    subprocess.run(
        [sys.executable, "-m", "kuzbass", "platform", "migrate"],
        env=environment,
        check=True,
        capture_output=True,
    )
    assert mode(data) == 0o700
    assert mode(data / "kuzbass.sqlite3") == 0o600 and mode(data / "secret_key") == 0o600
