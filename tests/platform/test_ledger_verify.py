"""`kuzbass ledger verify` and `export`: a past event or ballot changed or deleted directly in the
database is detected and named; an exported file round-trips."""

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kuzbass.cli import app
from kuzbass.ledger import canonical_json
from kuzbass.platform.councils import services
from kuzbass.platform.councils.models import (
    Ballot,
    BallotPaper,
    Demand,
    DemandStatusChange,
    VoterRoll,
)
from kuzbass.platform.ledger.models import LedgerEvent, LedgerHead
from kuzbass.platform.ledger.services import verify_database

runner = CliRunner()


@pytest.fixture
def decided(brigade: dict[str, Any], open_motion: Any) -> Ballot:
    """A closed secret ballot (everyone voted) and a raised demand."""
    members, officer = brigade["members"], brigade["officer"]
    _, ballot = open_motion(brigade["council"], members[0], officer)
    for voter, choice in zip(
        [*members, officer], ["yes", "yes", "no", "yes", "abstain"], strict=True
    ):
        services.cast_vote(voter, ballot, choice)
    services.settle(ballot)
    services.raise_demand(members[0], brigade["council"], title="Soap")
    ballot.refresh_from_db()
    assert ballot.closed_at is not None
    return ballot


def verify_cli(*args: str) -> Any:
    return runner.invoke(app, ["ledger", "verify", *args])


def test_intact_ledger_verifies(decided: Ballot) -> None:
    result = verify_cli()
    assert result.exit_code == 0, result.output
    assert "chain intact" in result.output and "match their seals" in result.output


def test_edited_event_is_named(decided: Ballot) -> None:
    event = LedgerEvent.objects.get(kind="ballot.closed")
    payload = event.payload
    payload["tally"]["counts"]["no"] = 0
    LedgerEvent.objects.filter(pk=event.pk).update(payload=payload)
    report = verify_database()
    assert not report.ok and report.first_broken == event.sequence
    result = verify_cli()
    assert result.exit_code == 1
    assert f"broken at event #{event.sequence}" in result.output


def test_deleted_event_in_the_middle_is_named(decided: Ballot) -> None:
    LedgerEvent.objects.filter(sequence=3).delete()
    report = verify_database()
    assert not report.ok and report.first_broken == 3 and "gap" in report.reason


def test_deleted_last_event_is_detected_by_the_head(decided: Ballot) -> None:
    last = LedgerEvent.objects.order_by("-sequence").first()
    assert last is not None
    LedgerEvent.objects.filter(pk=last.pk).delete()
    report = verify_database()
    assert not report.ok and "removed from the end" in report.reason


def test_changed_ballot_paper_is_detected(decided: Ballot) -> None:
    paper = BallotPaper.objects.filter(ballot=decided, content="no").get()
    BallotPaper.objects.filter(pk=paper.pk).update(content="yes")
    report = verify_database()
    assert not report.ok
    assert f"(councils.ballot:{decided.pk}) no longer matches" in report.reason
    closed = LedgerEvent.objects.get(kind="ballot.closed")
    assert report.first_broken == closed.sequence


@pytest.mark.parametrize(
    "tamper",
    [
        lambda ballot: BallotPaper.objects.filter(ballot=ballot).first().delete(),
        lambda ballot: VoterRoll.objects.filter(ballot=ballot).first().delete(),
        lambda ballot: Ballot.objects.filter(pk=ballot.pk).update(carried=False),
        lambda ballot: Ballot.objects.filter(pk=ballot.pk).update(options=["yes", "no"]),
    ],
    ids=["paper deleted", "roll entry deleted", "result changed", "options changed"],
)
def test_other_ballot_tampering_is_detected(decided: Ballot, tamper: Any) -> None:
    tamper(decided)
    report = verify_database()
    assert not report.ok and f"councils.ballot:{decided.pk}" in report.reason


def test_deleted_status_history_is_detected(decided: Ballot) -> None:
    change = DemandStatusChange.objects.get()
    DemandStatusChange.objects.filter(pk=change.pk).delete()
    report = verify_database()
    assert not report.ok
    assert f"(councils.demandstatuschange:{change.pk}) sealed by event" in report.reason
    assert "has been deleted" in report.reason


def test_changed_demand_status_is_detected(decided: Ballot) -> None:
    Demand.objects.update(status="fulfilled")
    report = verify_database()
    assert not report.ok and "councils.demand:" in report.reason


def test_rewritten_chain_without_head_is_detected(decided: Ballot) -> None:
    LedgerHead.objects.update(hash="f" * 64)
    assert not verify_database().ok


def test_export_round_trips_and_a_tampered_file_is_named(decided: Ballot, tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    exported = runner.invoke(app, ["ledger", "export", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    lines = out.read_text().splitlines()
    assert len(lines) == LedgerEvent.objects.count()
    assert verify_cli("--file", str(out)).exit_code == 0
    head = LedgerHead.objects.get().hash
    assert verify_cli("--file", str(out), "--head", head).exit_code == 0
    record = json.loads(lines[4])
    record["payload"]["title"] = "Something else"
    lines[4] = canonical_json(record).decode()  # well-formed, but not what was hashed
    out.write_text("\n".join(lines) + "\n")
    result = verify_cli("--file", str(out))
    assert result.exit_code == 1 and "broken at event #5" in result.output, result.output
    truncated = tmp_path / "cut.jsonl"
    truncated.write_text("\n".join(out.read_text().splitlines()[:3]) + "\n")
    assert verify_cli("--file", str(truncated), "--head", head).exit_code == 1


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"sequence": 1}\nnot json\n')
    result = verify_cli("--file", str(bad))
    assert result.exit_code == 1 and "broken at event #1" in result.output
    assert "line 1" in result.output
    missing = verify_cli("--file", str(tmp_path / "missing.jsonl"))
    assert missing.exit_code == 2 and "cannot read" in missing.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (None, "line 4: blank line"),
        (b'{"sequence":1}\n\xff\xfe\n', "line 2: not UTF-8 (byte 0)"),
    ],
    ids=["empty file", "trailing blank line", "line not UTF-8"],
)
def test_a_file_that_is_not_an_export_is_refused_clearly(
    decided: Ballot, tmp_path: Path, content: bytes | None, message: str
) -> None:
    out = tmp_path / "events.jsonl"
    assert runner.invoke(app, ["ledger", "export", "--out", str(out)]).exit_code == 0
    if content is None:
        lines = out.read_bytes().splitlines(keepends=True)[:3]
        content = b"".join(lines) + b"\n"
    out.write_bytes(content)
    result = verify_cli("--file", str(out))
    assert result.exit_code == 2, result.output
    assert message in result.output, result.output


def test_the_head_is_published_on_the_ledger_page_and_in_the_api(
    decided: Ballot, client: Any
) -> None:
    head = LedgerHead.objects.get()
    page = client.get("/ledger/")
    assert page.status_code == 200
    assert f"event #{head.sequence}" in page.content.decode() and head.hash in page.content.decode()
    answer = client.get("/api/ledger/head")
    assert answer.json() == {"sequence": head.sequence, "hash": head.hash}
    assert verify_cli("--head", head.hash).exit_code == 0
