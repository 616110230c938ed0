"""Browser and server agree byte for byte: Debian's chromium runs the platform's verifiable.js
from a plain local HTTP server; the Python package checks what the browser made and the
browser checks what Python made."""

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.democracy.verifiable_setup import (
    RFC_9496_INVALID,
    cases_both_verifiers_must_agree_on,
    events_for,
    flip,
    hex_leaves,
    set_up,
)
from tests.platform.browsing import CHROMIUM_ARGS

from kuzbass import ledger
from kuzbass.democracy import verifiable as v
from kuzbass.democracy.verifiable import group

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "src/kuzbass/platform/static/kuzbass/verifiable"
PAGE = Path(__file__).parent / "data" / "browser"
FIXTURE = Path(__file__).parent / "data" / "verifiable-ballot.json"
WHEN = datetime(1989, 7, 11, 6, tzinfo=UTC)


class Handler(http.server.SimpleHTTPRequestHandler):
    """/static/… from the platform's static folder, everything else from the test page's."""

    def translate_path(self, path: str) -> str:
        if path.startswith("/static/"):
            return str(STATIC / path.removeprefix("/static/").split("?")[0])
        return super().translate_path(path)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(PAGE))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def page(page_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        outside: list[str] = []
        page.on("request", lambda r: None if r.url.startswith(page_url) else outside.append(r.url))
        page.goto(page_url)
        page.wait_for_function("document.getElementById('status').textContent === 'ready'")
        yield page
        assert outside == []  # no CDN, nothing fetched from anywhere else
        browser.close()


ENCRYPT = """([record, voters, marks]) => {
    const V = window.verifiable;
    const ballot = V.readBallot(record);
    return marks.map((row, i) => {
        const { secret } = V.credentialKey(record.ballot, voters[i]);
        const { paper, randomness } = V.encryptPaper(ballot, row, secret);
        return { paper, reveal: V.revealJson(paper, row, randomness) };
    });
}"""


def test_python_counts_papers_encrypted_in_the_browser(page: Any) -> None:
    question = v.Question(("Anna", "Boris", "Vera", "Grigori", "Dasha"), 5, 0, 15)
    setup = set_up("score-ballot", question, voters=3)
    marks = [[5, 0, 3, 2, 0], [1, 1, 1, 1, 1], [0, 5, 5, 5, 0]]
    voters = [f"voter {i} secret" for i in range(3)]
    made = page.evaluate(ENCRYPT, [setup.opened, voters, marks])
    for row, item in zip(marks, made, strict=True):
        assert v.audit_challenge(setup.ballot, item["paper"], item["reveal"]) == row
    papers = [v.check_paper(setup.ballot, item["paper"]) for item in made]
    tally = v.encrypted_tally(setup.ballot, papers)
    partials = [v.partial_decryption(setup.ballot, t, tally) for t in setup.trustees[1:]]
    decrypted = v.decrypted_payload(setup.ballot, papers, partials)
    assert decrypted["result"] == {"Anna": 6, "Boris": 6, "Vera": 9, "Grigori": 8, "Dasha": 1}
    events = [
        {"kind": v.OPENED, "payload": {"verifiable": setup.opened}},
        *({"kind": v.CAST, "payload": item["paper"]} for item in made),
        {"kind": v.DECRYPTED, "payload": decrypted},
    ]
    assert v.verify_events(events).ok
    # and the browser's verifier agrees on the whole ballot, result included
    report = page.evaluate("events => window.verifiable.verifyEvents(events)", events)
    assert report["failure"] is None
    assert report["ballots"] == [
        {"ballot": "score-ballot", "papers": 3, "result": decrypted["result"]}
    ]


def test_the_browser_verifies_a_python_ballot_and_names_the_same_failures(page: Any) -> None:
    events = json.loads(FIXTURE.read_text())
    verify = "events => window.verifiable.verifyEvents(events)"
    report = page.evaluate(verify, events)
    assert report == {
        "ok": True,
        "failure": None,
        "ballots": [
            {
                "ballot": "kuzbass1989-no-confidence",
                "papers": 5,
                "result": {"yes": 3, "no": 1, "abstain": 1},
            }
        ],
    }
    wrong_factor = json.loads(FIXTURE.read_text())
    wrong_factor[-1]["payload"]["partial_decryptions"][1]["factors"][2] = group.base_power(5).hex()
    replayed = [*events[:3], events[2], *events[3:]]
    for tampered in (wrong_factor, replayed):
        python = v.verify_events(tampered).failure
        assert python is not None
        assert page.evaluate(verify, tampered)["failure"] == python


def test_booleans_bad_names_broken_unicode_and_odd_events_get_the_same_verdict(page: Any) -> None:
    """Values that only an opener or server that recomputes every hash could publish: the
    browser must neither count what Python refuses nor refuse what Python counts."""
    cases = cases_both_verifiers_must_agree_on()
    verify = "events => window.verifiable.verifyEvents(events).failure"
    found = [(what, page.evaluate(verify, events)) for what, events, _ in cases]
    assert found == [(what, failure) for what, _, failure in cases]


def test_the_browser_refuses_what_libsodium_refuses(page: Any) -> None:
    """RFC 9496's invalid encodings and the identity, as elements; ℓ and above, as scalars."""
    refused = """([elements, scalars]) => [
        ...elements.map((e) => { try { window.verifiable.decodeElement(e, "x"); return null; }
                                 catch (error) { return error.message; } }),
        ...scalars.map((s) => { try { window.verifiable.decodeScalar(s, "x"); return null; }
                                catch (error) { return error.message; } }),
    ]"""
    elements = [*RFC_9496_INVALID, "00" * 32]
    scalars = [scalar.to_bytes(32, "little").hex() for scalar in (group.ORDER, 2**256 - 1)]
    expected = [f"x: {e} is not a ristretto255 group element" for e in elements] + [
        f"x: {s} is not reduced modulo the group order" for s in scalars
    ]
    assert page.evaluate(refused, [elements, scalars]) == expected
    for text in elements:
        with pytest.raises(v.MalformedValueError, match=f"^x: {text} is not a ristretto255"):
            group.decode_element(text, "x")


def test_hash_and_canonical_json_agree_on_non_ascii_options(page: Any) -> None:
    setup = set_up("голосование", v.Question(("да", "нет", "воздержаться"), 1, 1, 1), voters=1)
    fingerprint = page.evaluate(
        "record => window.verifiable.readBallot(record).fingerprint", setup.opened
    )
    assert fingerprint == setup.ballot.fingerprint
    js = page.evaluate(
        "() => window.verifiable.challenge('tag', ['ballot', 7, new Uint8Array(32)]).toString()"
    )
    assert int(js) == group.challenge("tag", ["ballot", 7, bytes(32)])


def test_a_browser_paper_for_a_yes_no_ballot_round_trips(page: Any) -> None:
    setup = set_up("yes-no", v.Question(("yes", "no", "abstain"), 1, 1, 1), voters=2)
    made = page.evaluate(
        ENCRYPT, [setup.opened, ["voter 0 secret", "voter 1 secret"], [[0, 1, 0], [0, 0, 1]]]
    )
    events = events_for(setup, [])[:1] + [{"kind": v.CAST, "payload": m["paper"]} for m in made]
    report = v.verify_events(events)
    assert report.ok and report.papers_verified == 2


def ledger_export(path: Path, events: list[dict[str, Any]]) -> Path:
    chained, previous = [], None
    for event in events:
        previous = ledger.next_event(previous, event["kind"], event["payload"], WHEN)
        chained.append(previous)
    with path.open("w", encoding="utf-8") as stream:
        ledger.write_jsonl(chained, stream)
    return path


def test_the_check_page_verifies_a_ledger_export_and_names_a_tampered_one(
    page: Any, page_url: str, tmp_path: Path
) -> None:
    page.goto(f"{page_url}static/check.html")
    outcome = page.locator("#outcome")
    page.set_input_files(
        "#export", ledger_export(tmp_path / "ok.jsonl", json.loads(FIXTURE.read_text()))
    )
    page.wait_for_function("document.getElementById('outcome').className !== ''")
    assert outcome.inner_text() == "1 ballots verified"
    assert page.locator("#ballots li").inner_text() == (
        'ballot kuzbass1989-no-confidence: 5 papers verified, result {"yes":3,"no":1,"abstain":1}'
    )

    tampered = json.loads(FIXTURE.read_text())
    tampered[-1]["payload"]["result"] = {"yes": 1, "no": 3, "abstain": 1}
    page.set_input_files("#export", ledger_export(tmp_path / "bad.jsonl", tampered))
    page.wait_for_function("document.getElementById('outcome').className === 'failed'")
    assert outcome.inner_text() == f"Verification failed: {v.verify_events(tampered).failure}"

    lines = (tmp_path / "ok.jsonl").read_text().splitlines()
    lines[2] = lines[2].replace('"ballot":"', '"ballot":"x', 1)  # edited without re-chaining
    (tmp_path / "edited.jsonl").write_text("\n".join(lines) + "\n")
    page.set_input_files("#export", tmp_path / "edited.jsonl")
    page.wait_for_function("document.getElementById('outcome').textContent.includes('chain')")
    assert outcome.inner_text() == (
        "Verification failed: the ledger's chain is broken: "
        "event 3: content does not match its hash"
    )
    page.goto(page_url)
    page.wait_for_function("document.getElementById('status').textContent === 'ready'")


@settings(max_examples=12, deadline=None)
@given(st.data())
def test_browser_and_python_name_the_same_first_failure(page: Any, data: st.DataObject) -> None:
    events = json.loads(FIXTURE.read_text())
    index = data.draw(st.integers(1, len(events) - 1), label="event")
    payload = events[index]["payload"]
    path = data.draw(st.sampled_from(hex_leaves(payload)), label="value")
    flip(payload, path, data.draw(st.integers(0, 63), label="character"))
    python = v.verify_events(events).failure
    assert python is not None
    assert (
        page.evaluate("events => window.verifiable.verifyEvents(events).failure", events) == python
    )
