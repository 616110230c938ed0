"""Verifiable secret ballots: the group, one paper in chromium, and a 10,000-paper count.

    nice .venv/bin/python benchmarks/verifiable_ballots.py [--papers 1000,3000,10000]
                                                           [--repeats 5] [--no-browser]

1. The group: one exponentiation in ristretto255 through libsodium (what kuzbass uses) against
   one in the 2048-bit MODP group of RFC 3526 with a 256-bit exponent (Helios' kind of group),
   with Python's built-in pow, the peer a pure-Python verifier would use. Medians.
2. One 5-option paper encrypted and proved in Debian's chromium by verifiable.js (approval with
   at most 3 approvals; score 0..5 with at most 15 points), against the same paper in Python
   (libsodium) in the same run. Medians of the repeats after one warm-up.
3. A yes/no/abstain ballot with N papers, 3 trustees of whom 2 decrypt: the papers are made first
   (not timed), then timed: the tally and the decryption by two trustees, and the full
   verification of the ledger events from nothing (`verify_events`: trustees' record, every paper,
   tally, partial decryptions, result), in one process and with the papers' proofs spread over two
   worker processes (what `kuzbass ballot verify` does on a 2-core machine). The peer is the
   plain count of N unencrypted papers by kuzbass.democracy.tally: what secrecy and
   verifiability cost on top.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "democracy"))

from verifiable_setup import key_set_up  # noqa: E402

from kuzbass.democracy import Constitution, tally  # noqa: E402
from kuzbass.democracy import verifiable as v  # noqa: E402
from kuzbass.democracy.verifiable import group  # noqa: E402

console = Console(width=150)
STATIC = ROOT / "src/kuzbass/platform/static/kuzbass/verifiable"
PAGE = ROOT / "tests/democracy/data/browser"
MODP_2048 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E"
    "3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF"
    "5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D3"
    "9A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08"
    "CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF69558171839"
    "95497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF",
    16,
)
QUESTIONS = {
    "approval, 5 options, at most 3": v.Question(("a", "b", "c", "d", "e"), 1, 0, 3),
    "score 0..5, 5 options, at most 15": v.Question(("a", "b", "c", "d", "e"), 5, 0, 15),
}
MARKS = {
    "approval, 5 options, at most 3": [1, 0, 1, 1, 0],
    "score 0..5, 5 options, at most 15": [5, 0, 3, 2, 4],
}


def median_seconds(work: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def opened(ballot_id: str, question: v.Question, voters: int) -> tuple[dict, list, list[int]]:
    trustees, record = key_set_up(ballot_id)
    credentials = [v.credential_key(ballot_id, f"voter {i}") for i in range(voters)]
    return (
        v.open_ballot(ballot_id, question, record, [c.hex() for _, c in credentials]),
        trustees,
        [x for x, _ in credentials],
    )


def group_rows(repeats: int) -> list[tuple[str, float]]:
    x = group.random_scalar()
    element = group.base_power(x)
    exponent = int.from_bytes(os.urandom(32), "big")
    per = 300

    def many(work: Callable[[], object]) -> Callable[[], None]:
        return lambda: [work() for _ in range(per)] and None

    return [
        (
            "ristretto255 (libsodium), fixed base",
            median_seconds(many(lambda: group.base_power(x)), repeats) / per,
        ),
        (
            "ristretto255 (libsodium), any base",
            median_seconds(many(lambda: group.power(element, x)), repeats) / per,
        ),
        (
            "MODP 2048 (RFC 3526), Python pow",
            median_seconds(many(lambda: pow(4, exponent, MODP_2048)), repeats) / per,
        ),
    ]


def browser_rows(repeats: int) -> list[tuple[str, float, float]]:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "tests" / "platform"))
    from browsing import CHROMIUM_ARGS

    class Handler(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            if path.startswith("/static/"):
                return str(STATIC / path.removeprefix("/static/"))
            return super().translate_path(path)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(PAGE))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
            page.wait_for_function("document.getElementById('status').textContent === 'ready'")
            for name, question in QUESTIONS.items():
                record, _, credentials = opened("bench", question, 1)
                marks = MARKS[name]
                browser_ms = page.evaluate(
                    """([record, marks, repeats]) => {
                        const V = window.verifiable;
                        const ballot = V.readBallot(record);
                        const { secret } = V.credentialKey(record.ballot, "voter 0");
                        V.encryptPaper(ballot, marks, secret);  // warm-up: base point tables
                        const times = [];
                        for (let i = 0; i < repeats; i++) {
                            const start = performance.now();
                            V.encryptPaper(ballot, marks, secret);
                            times.push(performance.now() - start);
                        }
                        times.sort((a, b) => a - b);
                        return times[Math.floor(times.length / 2)];
                    }""",
                    [record, marks, repeats],
                )
                ballot = v.read_ballot(record)
                python = median_seconds(
                    lambda b=ballot, m=marks, x=credentials[0]: v.encrypt_paper(b, m, x), repeats
                )
                rows.append((name, browser_ms / 1000, python))
            events = small_ballot_events(20)
            browser_ms = page.evaluate(
                """([events, repeats]) => {
                    const times = [];
                    for (let i = 0; i < repeats; i++) {
                        const start = performance.now();
                        if (!window.verifiable.verifyEvents(events).ok) throw new Error("failed");
                        times.push(performance.now() - start);
                    }
                    times.sort((a, b) => a - b);
                    return times[Math.floor(times.length / 2)];
                }""",
                [events, repeats],
            )
            python = median_seconds(lambda: v.verify_events(events), repeats)
            rows.append(("verify a whole 20-paper yes/no ballot", browser_ms / 1000, python))
            browser.close()
    finally:
        server.shutdown()
    return rows


def small_ballot_events(papers: int) -> list[dict]:
    question = v.Question(("yes", "no", "abstain"), 1, 1, 1)
    record, trustees, credentials = opened("small", question, papers)
    ballot = v.read_ballot(record)
    events: list[dict] = [{"kind": v.OPENED, "payload": {"verifiable": record}}]
    checked = []
    for i, secret in enumerate(credentials):
        paper, _ = v.encrypt_paper(ballot, [[1, 0, 0], [0, 1, 0]][i % 2], secret)
        checked.append(v.check_paper(ballot, paper))
        events.append({"kind": v.CAST, "payload": paper})
    total = v.encrypted_tally(ballot, checked)
    partials = [v.partial_decryption(ballot, t, total) for t in trustees[:2]]
    events.append({"kind": v.DECRYPTED, "payload": v.decrypted_payload(ballot, checked, partials)})
    return events


def count_row(papers: int, repeats: int, progress: Progress) -> dict[str, float]:
    question = v.Question(("yes", "no", "abstain"), 1, 1, 1)
    record, trustees, credentials = opened(f"bench-{papers}", question, papers)
    ballot = v.read_ballot(record)
    choices = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    events: list[dict] = [{"kind": v.OPENED, "payload": {"verifiable": record}}]
    task = progress.add_task(f"making {papers:,} papers", total=papers)
    checked = []
    for i, secret in enumerate(credentials):
        paper, _ = v.encrypt_paper(ballot, choices[i % 3 if i % 7 else 0], secret)
        checked.append(
            v.Paper(
                paper,
                paper["tracker"],
                group.base_power(secret),
                tuple(
                    (group.decode_element(c["alpha"], "a"), group.decode_element(c["beta"], "b"))
                    for c in paper["choices"]
                ),
            )
        )
        events.append({"kind": v.CAST, "payload": paper})
        progress.advance(task)

    def tally_and_decrypt() -> dict:
        total = v.encrypted_tally(ballot, checked)
        partials = [v.partial_decryption(ballot, trustees[i], total) for i in (0, 2)]
        return v.decrypted_payload(ballot, checked, partials)

    start = time.perf_counter()
    decrypted = tally_and_decrypt()
    tally_s = time.perf_counter() - start
    events.append({"kind": v.DECRYPTED, "payload": decrypted})
    start, cpu = time.perf_counter(), time.process_time()
    report = v.verify_events(events)
    verify_s, verify_cpu = time.perf_counter() - start, time.process_time() - cpu
    assert report.ok, report.failure
    start, cpu, children = time.perf_counter(), time.process_time(), children_cpu()
    assert v.verify_events(events, workers=2).ok
    verify2_s = time.perf_counter() - start
    verify2_cpu = time.process_time() - cpu + children_cpu() - children
    plain = [
        ["yes", "no", "abstain"][choices.index(c)]
        for c in (choices[i % 3 if i % 7 else 0] for i in range(papers))
    ]
    plain_s = median_seconds(
        lambda: tally("majority", [], plain, electorate=papers, constitution=Constitution()),
        repeats,
    )
    assert report.ballots[0].result == {o: plain.count(o) for o in ("yes", "no", "abstain")}
    return {
        "tally": tally_s,
        "verify": verify_s,
        "verify_cpu": verify_cpu,
        "verify2": verify2_s,
        "verify2_cpu": verify2_cpu,
        "plain": plain_s,
    }


def children_cpu() -> float:
    """CPU seconds of finished worker processes: on a loaded machine, CPU time says more than
    wall time about the work itself."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", default="1000,3000,10000")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    console.print(f"load average before: {os.getloadavg()[0]:.2f}")

    table = Table(title="one exponentiation")
    for column in ("group", "µs", "× ristretto255 any base"):
        table.add_column(column)
    rows = group_rows(args.repeats)
    for name, seconds in rows:
        table.add_row(name, f"{seconds * 1e6:,.0f}", f"{seconds / rows[1][1]:.1f}")
    console.print(table)

    if not args.no_browser:
        table = Table(title="in the browser: one 5-option paper encrypted and proved; a check")
        for column in (
            "question",
            "chromium (verifiable.js) ms",
            "Python (libsodium) ms",
            "chromium / Python",
        ):
            table.add_column(column)
        for name, browser_s, python_s in browser_rows(args.repeats):
            table.add_row(
                name,
                f"{browser_s * 1000:.0f}",
                f"{python_s * 1000:.1f}",
                f"{browser_s / python_s:.1f}",
            )
        console.print(table)

    table = Table(title="yes/no/abstain ballot: tally, decryption and full verification")
    for column in (
        "papers",
        "tally + 2 decryptions s",
        "full verification s (CPU s)",
        "ms per paper",
        "with 2 workers s (CPU s)",
        "plain count s (peer)",
        "verification / plain",
    ):
        table.add_column(column)
    with Progress(console=console, transient=True) as progress:
        for papers in (int(n) for n in args.papers.split(",")):
            row = count_row(papers, args.repeats, progress)
            table.add_row(
                f"{papers:,}",
                f"{row['tally']:.2f}",
                f"{row['verify']:.1f} ({row['verify_cpu']:.1f})",
                f"{row['verify'] / papers * 1000:.2f}",
                f"{row['verify2']:.1f} ({row['verify2_cpu']:.1f})",
                f"{row['plain']:.3f}",
                f"{row['verify'] / row['plain']:,.0f}×",
            )
    console.print(table)
    console.print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
