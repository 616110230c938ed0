"""The story of a verifiable ballot in Debian's chromium: the trustees set up the key (with the
pure package, as ``kuzbass ballot trustee`` does), members vote in the browser and one challenges
an encryption first, the ballot closes, trustees decrypt with ``kuzbass ballot trustee decrypt``
(one pastes the file in the page, and a wrong one is refused naming them), ``kuzbass ballot
verify`` passes on the export and a tampered export fails, and the browser verifier agrees."""

import json
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from playwright.sync_api import expect
from tests.platform.browsing import log_in
from tests.platform.test_verifiable_ballots import assert_tampering_fails
from tests.platform.verifiable_helpers import export, partial, set_up_key
from typer.testing import CliRunner

from kuzbass.cli import app
from kuzbass.democracy import verifiable as crypto
from kuzbass.platform.councils import services
from kuzbass.platform.councils.models import Motion, VerifiableBallot
from kuzbass.platform.councils.services import verifiable

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
T = TypeVar("T")
PAPER_FIELDS = {
    "ballot",
    "fingerprint",
    "credential",
    "choices",
    "choice_proofs",
    "total_proof",
    "signature",
    "tracker",
}


def off_thread(action: Callable[[], T]) -> T:
    """Run ORM work in its own thread and connection: once Playwright's event loop runs in the
    test's thread, the ORM there would open a connection that nobody closes."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = action()
        except BaseException as error:  # handed back to the test
            box["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


@pytest.fixture
def keyed_ballot(
    brigade: dict[str, Any], open_motion: Any
) -> tuple[int, dict[int, crypto.TrusteeSecret]]:
    anna, boris, vera, _ = brigade["members"]
    verifiable.set_rule(brigade["officer"], brigade["council"], ["anna", "boris", "vera"], 2)
    _, ballot = open_motion(brigade["council"], anna, brigade["officer"], title="No confidence")
    return ballot.pk, set_up_key(ballot, [anna, boris, vera])


def vote(page: Any, base: str, ballot_id: int, choice: str, *, challenge: bool = False) -> str:
    page.goto(f"{base}/ballots/{ballot_id}/verifiable/")
    page.get_by_label(choice, exact=True).check()
    if challenge:
        page.get_by_role("button", name="Encrypt my choice").click()
        page.get_by_role("button", name="Check this encryption (and discard it)").click()
        audit = page.locator("#audit-outcome")
        audit.wait_for()
        marks = {"yes": "1, no: 0, abstain: 0", "no": "0, no: 1, abstain: 0"}
        assert f"The encryption checks out: it holds yes: {marks[choice]}" in audit.inner_text()
        assert json.loads(page.locator("#audit-data").inner_text())["reveal"]["marks"]
    page.get_by_role("button", name="Encrypt my choice").click()
    expect(page.locator("#sealed")).to_be_visible(timeout=30_000)
    tracker = page.locator("#tracker").inner_text()
    page.get_by_role("button", name="Cast this paper").click()
    expect(page.locator("#vote-outcome")).to_contain_text("Your paper is cast", timeout=30_000)
    assert tracker in page.locator("#vote-outcome").inner_text()
    return tracker


def test_trustees_members_decryption_and_verification(
    keyed_ballot: tuple[int, dict[int, crypto.TrusteeSecret]],
    password: str,
    live_server: Any,
    browser: Any,
    clock: Any,
    tmp_path: Path,
) -> None:
    ballot_id, secrets = keyed_ballot
    base = live_server.url
    sent: list[str] = []
    pages = {}
    for name in ("anna", "boris", "vera"):
        context = browser.new_context()
        context.on(
            "request", lambda r: sent.append(r.post_data or "") if r.method == "POST" else None
        )
        pages[name] = context.new_page()
        log_in(pages[name], base, name, password)

    trackers = [
        vote(pages["anna"], base, ballot_id, "yes", challenge=True),
        vote(pages["boris"], base, ballot_id, "no"),
        vote(pages["vera"], base, ballot_id, "yes"),
    ]
    papers = [json.loads(body) for body in sent if body.startswith("{")]
    assert [p["tracker"] for p in papers] == trackers  # the challenged paper was never sent
    assert all(set(p) == PAPER_FIELDS for p in papers)  # ciphertexts and proofs, no choice
    page = pages["anna"]
    page.goto(f"{base}/ballots/{ballot_id}/verifiable/")
    for tracker in trackers:
        assert page.get_by_text(tracker).is_visible()

    clock(timedelta(hours=2))
    assert off_thread(services.close_due_ballots) == 1
    ledger_file = tmp_path / "before.jsonl"
    ledger_file.write_text(off_thread(export))
    name = off_thread(lambda: VerifiableBallot.objects.get(ballot_id=ballot_id).name)
    files = {}
    runner = CliRunner()
    for number in (1, 3):
        secret_file = tmp_path / f"secret-{number}.json"
        secret_file.write_text(json.dumps(secrets[number].to_json()))
        files[number] = tmp_path / f"decrypt-{number}.json"
        decrypted = runner.invoke(
            app,
            [
                "ballot",
                "trustee",
                "decrypt",
                name,
                "--secret",
                str(secret_file),
                "--file",
                str(ledger_file),
                "--out",
                str(files[number]),
            ],
        )
        assert decrypted.exit_code == 0, decrypted.output

    # anna pastes a partial decryption made with boris's key as hers: refused, naming her
    record = off_thread(
        lambda: VerifiableBallot.objects.select_related("ballot").get(ballot_id=ballot_id)
    )
    wrong = {**off_thread(lambda: partial(record.ballot, secrets[2])), "trustee": 1}
    page.goto(f"{base}/ballots/{ballot_id}/verifiable/")
    page.get_by_text("For trustees: the key set-up and the decryption").click()
    page.get_by_label("Step").select_option("decrypt")
    page.get_by_label("The JSON file the command wrote").fill(json.dumps(wrong))
    page.get_by_role("button", name="Hand in").click()
    assert "partial decryption refused: trustee 1 (anna)" in page.locator(".errors").inner_text()
    page.get_by_label("Step").select_option("decrypt")
    page.get_by_label("The JSON file the command wrote").fill(files[1].read_text())
    page.get_by_role("button", name="Hand in").click()
    assert page.get_by_text("Handed in.").is_visible()

    vera = off_thread(lambda: get_user_model().objects.get(username="vera"))
    off_thread(
        lambda: verifiable.upload(vera, ballot_id, "decrypt", json.loads(files[3].read_text()))
    )
    page.goto(f"{base}/ballots/{ballot_id}/verifiable/")
    result = page.locator("#verifiable-result").inner_text()
    assert "yes\t2" in result and "no\t1" in result and "abstain\t0" in result
    assert off_thread(lambda: Motion.objects.get(ballots__pk=ballot_id).status) == "carried"

    good = tmp_path / "after.jsonl"
    good.write_text(off_thread(export))
    passed = runner.invoke(app, ["ballot", "verify", "--all", "--file", str(good)])
    assert passed.exit_code == 0 and "1 ballots verified" in passed.output, passed.output
    assert_tampering_fails(good, tmp_path)

    page.get_by_role("link", name="check it in your browser").click()
    page.set_input_files("#export", good)
    expect(page.locator("#outcome")).to_have_text("1 ballots verified", timeout=60_000)
    page.set_input_files("#export", tmp_path / "result.jsonl")  # written by the tampering check
    expect(page.locator("#outcome")).to_contain_text("is not the decrypted", timeout=60_000)
