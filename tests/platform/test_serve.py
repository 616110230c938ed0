"""`kuzbass serve` migrates a fresh database and serves pages, the API and static files
through gunicorn, with nothing fetched from another host."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_migrates_and_serves(tmp_path: Path) -> None:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(KUZBASS_DATA_DIR=str(tmp_path), PYTHONPATH="src")
    server = subprocess.Popen(
        [sys.executable, "-m", "kuzbass", "serve", "--port", str(port), "--workers", "1"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                home = requests.get(f"{base}/", timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "server did not start within 60 s"
                time.sleep(0.3)
        assert home.status_code == 200 and "Councils" in home.text
        assert (tmp_path / "kuzbass.sqlite3").exists() and (tmp_path / "secret_key").exists()
        plotly = requests.get(f"{base}/static/plotly/plotly.min.js", timeout=10)
        assert plotly.status_code == 200 and len(plotly.content) > 1_000_000
        # the pages name static files by a hash of their content, kept by browsers for a year
        hashed = re.search(r'data-plotly="(/static/plotly/plotly\.min\.\w{12}\.js)"', home.text)
        assert hashed is not None, home.text
        kept = requests.get(f"{base}{hashed[1]}", timeout=10)
        assert kept.content == plotly.content
        assert "immutable" in kept.headers["Cache-Control"]
        htmx = requests.get(f"{base}/static/django_htmx/htmx-2.min.js", timeout=10)
        assert htmx.status_code == 200
        schema = requests.get(f"{base}/api/openapi.json", timeout=10)
        assert schema.json()["info"]["title"] == "kuzbass councils"
        assert requests.get(f"{base}/admin/", timeout=10).status_code in (200, 302)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
