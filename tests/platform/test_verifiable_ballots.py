"""End-to-end verifiable secret ballots on the platform: the council's rule and trustees, the key
set-up through the server, intake of encrypted papers (and refusals), the close, the trustees'
partial decryptions, the decision, and ``kuzbass ballot verify`` on the platform's export."""

import dataclasses
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.platform.test_concurrency import SUBMISSIONS, run_together
from tests.platform.verifiable_helpers import export, paper_of, partial, set_up_key
from typer.testing import CliRunner

from kuzbass import ledger
from kuzbass.cli import app
from kuzbass.democracy import verifiable as crypto
from kuzbass.platform.core.errors import InvalidInputError, NotAllowedError, RefusedError
from kuzbass.platform.councils import services
from kuzbass.platform.councils.models import EncryptedPaper, Motion, Stage, VoterRoll
from kuzbass.platform.councils.services import verifiable
from kuzbass.platform.ledger.models import LedgerEvent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def verifiable_brigade(brigade: dict[str, Any]) -> dict[str, Any]:
    verifiable.set_rule(brigade["officer"], brigade["council"], ["anna", "boris", "vera"], 2)
    return brigade


def test_the_rule_needs_three_member_trustees_and_a_threshold(brigade: dict[str, Any]) -> None:
    officer, council = brigade["officer"], brigade["council"]
    with pytest.raises(InvalidInputError, match="at least 3 distinct trustees"):
        verifiable.set_rule(officer, council, ["anna", "boris"], 2)
    with pytest.raises(InvalidInputError, match="'nobody' is not a member"):
        verifiable.set_rule(officer, council, ["anna", "boris", "nobody"], 2)
    with pytest.raises(InvalidInputError, match="between 2 and the 3 trustees, got 4"):
        verifiable.set_rule(officer, council, ["anna", "boris", "vera"], 4)
    with pytest.raises(NotAllowedError):
        verifiable.set_rule(brigade["members"][0], council, ["anna", "boris", "vera"], 2)
    verifiable.set_rule(officer, council, ["anna", "boris", "vera"], 2)
    assert LedgerEvent.objects.filter(kind="council.verifiable_ballots").count() == 1


def test_a_verifiable_ballot_from_key_to_decision(
    verifiable_brigade: dict[str, Any], open_motion: Any, clock: Any, tmp_path: Path
) -> None:
    council, officer = verifiable_brigade["council"], verifiable_brigade["officer"]
    anna, boris, vera, gleb = verifiable_brigade["members"]
    motion, ballot = open_motion(council, anna, officer)
    record = verifiable.get(ballot.pk)
    assert record.stage == Stage.KEYS and record.name == f"ninth-brigade-{ballot.pk}"
    assert not LedgerEvent.objects.filter(kind="ballot.opened").exists()
    with pytest.raises(RefusedError, match="end-to-end verifiable"):
        services.cast_vote(gleb, ballot, "yes")
    with pytest.raises(RefusedError, match="trustees setting up the key"):
        verifiable.my_credential(gleb, ballot.pk)
    with pytest.raises(NotAllowedError, match="not a trustee"):
        verifiable.upload(gleb, ballot.pk, "announce", {"trustee": 1})

    secrets = set_up_key(ballot, [anna, boris, vera])
    record.refresh_from_db()
    assert record.stage == Stage.OPEN
    opened = LedgerEvent.objects.get(kind="ballot.opened").payload
    assert opened["verifiable"]["trustees"]["public_key"] == record.record["trustees"]["public_key"]
    assert len(opened["verifiable"]["voters"]) == 5  # the officer and four members

    # yes, no, abstain
    papers = {
        anna: paper_of(anna, ballot, [1, 0, 0]),
        boris: paper_of(boris, ballot, [0, 1, 0]),
        vera: paper_of(vera, ballot, [1, 0, 0]),
    }
    trackers = {voter: verifiable.cast(voter, ballot.pk, paper) for voter, paper in papers.items()}
    assert trackers[anna] == papers[anna]["tracker"]

    refusals = [
        (gleb, {**papers[anna], "tracker": "0" * 64}, InvalidInputError, "tracker is not the hash"),
        (gleb, papers[anna], NotAllowedError, "a credential that is not yours"),
        (anna, papers[anna], RefusedError, "already cast \\(a replayed paper\\)"),
        (anna, paper_of(anna, ballot, [0, 1, 0]), RefusedError, "already voted"),
        (gleb, {**papers[anna], "choices": "garbage"}, InvalidInputError, "paper refused"),
    ]
    for voter, paper, error, message in refusals:
        with pytest.raises(error, match=message):
            verifiable.cast(voter, ballot.pk, paper)
    assert EncryptedPaper.objects.count() == 3 == VoterRoll.objects.count()
    assert LedgerEvent.objects.filter(kind="ballot.encrypted_paper").count() == 3

    clock(timedelta(hours=2))
    assert services.close_due_ballots() == 1
    record.refresh_from_db()
    assert record.stage == Stage.TALLYING and len(record.tally) == 3
    with pytest.raises(RefusedError, match="no papers are taken now"):
        verifiable.cast(gleb, ballot.pk, {})

    wrong = {**partial(ballot, secrets[2]), "trustee": 1}
    with pytest.raises(InvalidInputError, match="trustee 1"):
        verifiable.upload(anna, ballot.pk, "decrypt", wrong)
    verifiable.upload(anna, ballot.pk, "decrypt", partial(ballot, secrets[1]))
    verifiable.upload(vera, ballot.pk, "decrypt", partial(ballot, secrets[3]))
    record.refresh_from_db()
    assert record.stage == Stage.DECRYPTED
    assert record.result == {"yes": 2, "no": 1, "abstain": 0}
    motion = Motion.objects.get(pk=motion.pk)
    assert motion.status == "carried"
    ballot.refresh_from_db()
    assert ballot.carried is True and ballot.result["counts"] == {"yes": 2, "no": 1, "abstain": 0}

    report = crypto.verify_events(LedgerEvent.objects.order_by("sequence").iterator())
    assert report.ok, report.failure
    assert report.papers_verified == 3

    good = tmp_path / "ledger.jsonl"
    good.write_text(export())
    runner = CliRunner()
    passed = runner.invoke(app, ["ballot", "verify", "--all", "--file", str(good)])
    assert passed.exit_code == 0, passed.output
    assert "ballot ninth-brigade-" in passed.output and "1 ballots verified" in passed.output
    named = runner.invoke(app, ["ballot", "verify", record.name, "--file", str(good)])
    assert named.exit_code == 0 and '"yes":2' in named.output

    assert_tampering_fails(good, tmp_path)


def _rechained(events: list[ledger.LedgerEvent]) -> str:
    """The events with every hash recomputed: a forger who rewrites the whole chain."""
    out: list[ledger.LedgerEvent] = []
    for event in events:
        previous = out[-1] if out else None
        out.append(ledger.next_event(previous, event.kind, event.payload, event.recorded_at))
    stream = io.StringIO()
    ledger.write_jsonl(out, stream)
    return stream.getvalue()


def assert_tampering_fails(good: Path, tmp_path: Path) -> None:
    """A changed paper breaks the chain; a rewritten chain with a changed result, a dropped
    paper or a paper cast twice fails the ballot's own checks, each named."""
    events = list(ledger.read_jsonl(good.open(encoding="utf-8")))
    runner = CliRunner()

    def verify(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text)
        result = runner.invoke(app, ["ballot", "verify", "--all", "--file", str(path)])
        assert result.exit_code == 1, result.output
        return result.output

    lines = good.read_text().splitlines()
    cast = [i for i, e in enumerate(events) if e.kind == "ballot.encrypted_paper"]
    lines[cast[0]] = lines[cast[0]].replace('"alpha":"', '"alpha":"0', 1)
    assert "chain is broken" in verify("edited.jsonl", "\n".join(lines) + "\n")

    decrypted = next(i for i, e in enumerate(events) if e.kind == "ballot.decrypted")
    forged = [*events]
    payload = {**events[decrypted].payload, "result": {"yes": 1, "no": 2, "abstain": 0}}
    forged[decrypted] = dataclasses.replace(events[decrypted], payload=payload)
    assert "is not the decrypted" in verify("result.jsonl", _rechained(forged))

    dropped = [e for i, e in enumerate(events) if i != cast[0]]
    assert "the ledger has 2" in verify("dropped.jsonl", _rechained(dropped))

    twice = [*events[: cast[1] + 1], events[cast[1]], *events[cast[1] + 1 :]]
    assert "a replayed paper" in verify("twice.jsonl", _rechained(twice))


def test_fifty_concurrent_papers_by_one_member_count_one(
    verifiable_brigade: dict[str, Any], open_motion: Any
) -> None:
    anna, boris, vera, gleb = verifiable_brigade["members"]
    _, ballot = open_motion(verifiable_brigade["council"], anna, verifiable_brigade["officer"])
    set_up_key(ballot, [anna, boris, vera])
    papers = [paper_of(gleb, ballot, [i % 2, 1 - i % 2, 0]) for i in range(SUBMISSIONS)]

    def cast(index: int) -> str:
        try:
            verifiable.cast(gleb, ballot.pk, papers[index])
        except RefusedError as error:
            return error.message
        return "counted"

    outcomes = run_together(SUBMISSIONS, cast)
    assert outcomes == {"counted": 1, "you have already voted on this ballot": SUBMISSIONS - 1}
    assert EncryptedPaper.objects.count() == 1 == VoterRoll.objects.filter(voter=gleb).count()
    assert LedgerEvent.objects.filter(kind="ballot.encrypted_paper").count() == 1


def test_a_paper_for_another_ballots_key_is_refused(
    verifiable_brigade: dict[str, Any], open_motion: Any
) -> None:
    council, officer = verifiable_brigade["council"], verifiable_brigade["officer"]
    anna, boris, vera, gleb = verifiable_brigade["members"]
    _, first = open_motion(council, anna, officer)
    _, second = open_motion(council, anna, officer, title="Raise the pit props budget")
    set_up_key(first, [anna, boris, vera])
    set_up_key(second, [anna, boris, vera])
    with pytest.raises(InvalidInputError, match="a paper for another ballot or another key"):
        verifiable.cast(gleb, second.pk, paper_of(gleb, first, [1, 0, 0]))
    assert not EncryptedPaper.objects.exists()
    assert not LedgerEvent.objects.filter(kind="ballot.encrypted_paper").exists()


def test_ranked_and_named_ballots_stay_ordinary(
    verifiable_brigade: dict[str, Any], open_motion: Any
) -> None:
    council, officer = verifiable_brigade["council"], verifiable_brigade["officer"]
    anna = verifiable_brigade["members"][0]
    _, ranked = open_motion(council, anna, officer, method="schulze", options=["a", "b"])
    _, named = open_motion(council, anna, officer, secret=False, title="A named vote")
    assert not verifiable.is_verifiable(ranked) and not verifiable.is_verifiable(named)
    assert LedgerEvent.objects.filter(kind="ballot.opened").count() == 2


def test_trustees_and_voters_through_the_api(
    verifiable_brigade: dict[str, Any], open_motion: Any, client: Any
) -> None:
    council, officer = verifiable_brigade["council"], verifiable_brigade["officer"]
    anna, _, _, gleb = verifiable_brigade["members"]
    _, ballot = open_motion(council, anna, officer)
    base = f"/api/ballots/{ballot.pk}/verifiable"
    state = client.get(base).json()
    assert state["stage"] == "keys" and state["trustees"] == ["anna", "boris", "vera"]

    client.force_login(anna)
    _, announcement = crypto.announce(state["name"], state["trustees"], 2, 1)
    answer = client.post(f"{base}/trustees/announce", announcement, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["handed_in"]["announce"] == [1]
    again = client.post(f"{base}/trustees/announce", announcement, content_type="application/json")
    assert again.status_code == 409 and "already handed in" in again.json()["detail"]
    early = client.post(f"{base}/trustees/deal", {"trustee": 1}, content_type="application/json")
    assert early.status_code == 409 and "1 of 3 so far" in early.json()["detail"]
    assert client.get(f"{base}/trustees/announce").json() == [announcement]

    client.force_login(gleb)
    refused = client.get(f"{base}/credential")
    assert refused.status_code == 409 and "setting up the key" in refused.json()["detail"]
    bad = client.post(f"{base}/papers", {"ballot": 1}, content_type="application/json")
    assert bad.status_code == 409
