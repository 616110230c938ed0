"""The trustees' commands and `kuzbass ballot verify` on a ledger export, end to end."""

import json
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from kuzbass import ledger
from kuzbass.cli import app
from kuzbass.democracy import verifiable as v

runner = CliRunner()
NAMES = "anna,boris,vera"
BALLOT = "ninth-brigade-no-confidence"
WHEN = datetime(1989, 7, 11, 6, tzinfo=UTC)


def run(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def write_export(path: Path, payloads: list[tuple[str, dict[str, Any]]]) -> None:
    events, previous = [], None
    for kind, payload in payloads:
        previous = ledger.next_event(previous, kind, payload, WHEN)
        events.append(previous)
    with path.open("w", encoding="utf-8") as stream:
        ledger.write_jsonl(events, stream)


def test_trustees_set_up_decrypt_and_anyone_verifies(tmp_path: Path) -> None:
    secrets = [tmp_path / f"t{i}.secret.json" for i in (1, 2, 3)]
    for i, secret in enumerate(secrets, start=1):
        result = run(
            "ballot",
            "trustee",
            "announce",
            BALLOT,
            "--trustees",
            NAMES,
            "--threshold",
            2,
            "--me",
            i,
            "--secret",
            secret,
            "--out",
            tmp_path / f"a{i}.json",
        )
        assert result.exit_code == 0, result.output
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    announcements = [json.loads((tmp_path / f"a{i}.json").read_text()) for i in (1, 2, 3)]
    (tmp_path / "announcements.json").write_text(json.dumps(announcements))
    for i, secret in enumerate(secrets, start=1):
        assert (
            run(
                "ballot",
                "trustee",
                "deal",
                "--secret",
                secret,
                "--announcements",
                tmp_path / "announcements.json",
                "--out",
                tmp_path / f"d{i}.json",
            ).exit_code
            == 0
        )
    dealings = [json.loads((tmp_path / f"d{i}.json").read_text()) for i in (1, 2, 3)]
    (tmp_path / "dealings.json").write_text(json.dumps(dealings))
    for i, secret in enumerate(secrets, start=1):
        result = run(
            "ballot",
            "trustee",
            "finish",
            "--secret",
            secret,
            "--announcements",
            tmp_path / "announcements.json",
            "--dealings",
            tmp_path / "dealings.json",
            "--out",
            tmp_path / f"k{i}.json",
        )
        assert result.exit_code == 0, result.output
    keys = [json.loads((tmp_path / f"k{i}.json").read_text()) for i in (1, 2, 3)]

    # the server: open the ballot with the trustees' record, take three papers
    record = v.key_record(BALLOT, NAMES.split(","), 2, announcements, keys)
    voters = [v.credential_key(BALLOT, f"member {i}") for i in range(4)]
    opened = v.open_ballot(
        BALLOT, v.Question(("yes", "no", "abstain"), 1, 1, 1), record, [c.hex() for _, c in voters]
    )
    ballot = v.read_ballot(opened)
    payloads = [(v.OPENED, {"verifiable": opened, "motion": "no confidence in the management"})]
    papers = []
    for (secret, _), marks in zip(voters, [[1, 0, 0], [1, 0, 0], [0, 1, 0]], strict=False):
        paper, _ = v.encrypt_paper(ballot, marks, secret)
        papers.append(v.check_paper(ballot, paper))
        payloads.append((v.CAST, paper))
    export = tmp_path / "export.jsonl"
    write_export(export, payloads)

    result = run("ballot", "verify", BALLOT, "--file", export)
    assert result.exit_code == 0, result.output
    assert f"ballot {BALLOT}: 3 papers verified, not decrypted yet" in result.stdout

    partials = []
    for i in (3, 1):  # any two trustees
        out = tmp_path / f"p{i}.json"
        result = run(
            "ballot",
            "trustee",
            "decrypt",
            BALLOT,
            "--secret",
            secrets[i - 1],
            "--file",
            export,
            "--out",
            out,
        )
        assert result.exit_code == 0, result.output
        partials.append(json.loads(out.read_text()))
    payloads.append((v.DECRYPTED, v.decrypted_payload(ballot, papers, partials)))
    write_export(export, payloads)

    result = run("ballot", "verify", "--all", "--file", export)
    assert result.exit_code == 0, result.output
    assert 'result {"yes":2,"no":1,"abstain":0}' in result.stdout
    assert result.stdout.strip().endswith("1 ballots verified")

    # a tampered export: the server swaps the result and re-chains the ledger
    payloads[-1][1]["result"] = {"yes": 1, "no": 2, "abstain": 0}
    write_export(export, payloads)
    result = run("ballot", "verify", "--all", "--file", export)
    assert result.exit_code == 1
    assert "verification failed: event 5 (ballot.decrypted): the published result" in result.output

    # an edited line without re-chaining is caught by the chain first
    lines = export.read_text().splitlines()
    lines[1] = lines[1].replace('"ballot":"', '"ballot":"x', 1)
    export.write_text("\n".join(lines) + "\n")
    result = run("ballot", "verify", "--all", "--file", export)
    assert result.exit_code == 1
    assert "the ledger's chain is broken at event #2" in result.output


def test_a_trustee_secret_is_never_overwritten(tmp_path: Path) -> None:
    secret = tmp_path / "s.json"
    secret.write_text("{}")
    result = run(
        "ballot",
        "trustee",
        "announce",
        BALLOT,
        "--trustees",
        NAMES,
        "--threshold",
        2,
        "--me",
        1,
        "--secret",
        secret,
        "--out",
        tmp_path / "a.json",
    )
    assert result.exit_code == 2
    assert "exists already" in result.output
    assert secret.read_text() == "{}" and not (tmp_path / "a.json").exists()


def test_verify_needs_a_ballot_or_all(tmp_path: Path) -> None:
    export = tmp_path / "e.jsonl"
    write_export(export, [])
    assert run("ballot", "verify", "--file", export).exit_code == 2
    result = run("ballot", "verify", "nothing", "--file", export)
    assert result.exit_code == 1
    assert "no verifiable ballot 'nothing' in the events" in result.output
