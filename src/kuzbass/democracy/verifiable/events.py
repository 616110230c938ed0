"""The ledger events of a verifiable ballot, and the verifier that rechecks them.

Three kinds (docs/ballots.md shows each payload):

- ``ballot.opened``, whose payload carries the record of ``opening.open_ballot`` under
  ``"verifiable"`` (question, trustees' commitments, proofs and verification keys, joint key,
  eligible credentials, fingerprint); a ballot opened without it is not a verifiable one and
  is skipped;
- ``ballot.encrypted_paper``: one cast paper with its tracker, as ``encrypt_paper`` made it;
- ``ballot.decrypted``: the encrypted tally, every trustee's partial decryption with proofs, and
  the result.

``verify_events`` needs nothing but these events: it trusts neither the server nor any trustee.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kuzbass.democracy.verifiable.group import Element, MalformedValueError
from kuzbass.democracy.verifiable.opening import Ballot, read_ballot
from kuzbass.democracy.verifiable.papers import (
    Paper,
    PaperRejectedError,
    check_fresh,
    check_paper,
)
from kuzbass.democracy.verifiable.tally import (
    TallyError,
    check_partial_decryption,
    combine,
    encrypted_tally,
    tally_json,
)
from kuzbass.democracy.verifiable.trustees import TrusteeError

__all__ = [
    "CAST",
    "DECRYPTED",
    "OPENED",
    "BallotCount",
    "VerificationReport",
    "decrypted_payload",
    "verify_events",
]

OPENED = "ballot.opened"
CAST = "ballot.encrypted_paper"
DECRYPTED = "ballot.decrypted"

_FAILURES = (MalformedValueError, PaperRejectedError, TallyError, TrusteeError)


def decrypted_payload(
    ballot: Ballot, papers: Sequence[Paper], partial_decryptions: Sequence[Any]
) -> dict[str, Any]:
    """The ``ballot.decrypted`` payload: checks every partial decryption, then combines them."""
    tally = encrypted_tally(ballot, papers)
    checked = [check_partial_decryption(ballot, tally, d) for d in partial_decryptions]
    result = combine(ballot, tally, checked, len(papers))
    return {
        "ballot": ballot.id,
        "fingerprint": ballot.fingerprint,
        "papers": len(papers),
        "encrypted_tally": tally_json(tally),
        "partial_decryptions": list(partial_decryptions),
        "result": dict(zip(ballot.question.options, result, strict=True)),
    }


@dataclass
class BallotCount:
    """One verifiable ballot as the verifier found it; ``result`` stays None until decrypted."""

    ballot: Ballot
    papers: list[Paper] = field(default_factory=list)
    trackers: set[str] = field(default_factory=set)
    credentials: set[Element] = field(default_factory=set)
    result: dict[str, int] | None = None


@dataclass(frozen=True)
class VerificationReport:
    """``failure`` names the first event that does not check out (None when all do)."""

    ballots: list[BallotCount]
    failure: str | None

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def papers_verified(self) -> int:
        return sum(len(b.papers) for b in self.ballots)


def _kind_payload(event: Any) -> tuple[Any, Any, Any]:
    if isinstance(event, dict):
        return event.get("kind"), event.get("payload"), event.get("sequence")
    return event.kind, event.payload, getattr(event, "sequence", None)


def _check_decrypted(count: BallotCount, payload: Any) -> dict[str, int]:
    ballot = count.ballot
    if not isinstance(payload, dict) or payload.get("fingerprint") != ballot.fingerprint:
        raise TallyError("the decryption is not for this ballot's fingerprint")
    if _spelled(payload.get("papers")) != _spelled(len(count.papers)):
        raise TallyError(
            f"the decryption counts {_spelled(payload.get('papers'))} papers, the ledger has "
            f"{len(count.papers)}"
        )
    tally = encrypted_tally(ballot, count.papers)
    if payload.get("encrypted_tally") != tally_json(tally):
        raise TallyError("the published encrypted tally is not the product of the cast papers")
    partials = payload.get("partial_decryptions")
    if not isinstance(partials, list):
        raise TallyError("partial_decryptions must be a list")
    checked = [check_partial_decryption(ballot, tally, d) for d in partials]
    result = dict(
        zip(
            ballot.question.options, combine(ballot, tally, checked, len(count.papers)), strict=True
        )
    )
    if _spelled(payload.get("result")) != _spelled(result):
        raise TallyError(
            f"the published result {_spelled(payload.get('result'))} is not the decrypted "
            f"{_spelled(result)}"
        )
    return result


_CHUNK = 250
_worker_ballots: dict[str, Ballot] = {}


def _check_chunk(record: dict[str, Any], papers: list[Any]) -> list[Paper | str]:
    """In a worker process: each paper's own checks (all but replay and reuse, which depend on
    the papers before it); a refusal comes back as its message."""
    fingerprint = str(record.get("fingerprint"))
    if fingerprint not in _worker_ballots:
        _worker_ballots[fingerprint] = read_ballot(record)
    results: list[Paper | str] = []
    for paper in papers:
        try:
            results.append(check_paper(_worker_ballots[fingerprint], paper))
        except _FAILURES as error:
            results.append(str(error))
    return results


def _check_papers_ahead(
    events: list[Any], pool: ProcessPoolExecutor, ballot_id: str | None
) -> dict[int, tuple[Future[list[Paper | str]], int]]:
    """Send every paper whose ballot was opened before it to the pool, in chunks; returns, per
    event position, the chunk's future and the paper's place in it."""
    records: dict[Any, dict[str, Any]] = {}
    pending: dict[Any, list[tuple[int, Any]]] = {}
    ahead: dict[int, tuple[Future[list[Paper | str]], int]] = {}

    def submit(ballot: Any) -> None:
        chunk = pending.pop(ballot, [])
        if chunk:
            future = pool.submit(_check_chunk, records[ballot], [paper for _, paper in chunk])
            ahead.update({position: (future, i) for i, (position, _) in enumerate(chunk)})

    for position, event in enumerate(events):
        kind, payload, _ = _kind_payload(event)
        ballot = _ballot_named(kind, payload)
        if not _concerns(kind, payload, ballot_id) or not isinstance(ballot, str):
            continue
        if kind == OPENED:
            records.setdefault(ballot, payload["verifiable"])
        elif kind == CAST and ballot in records:
            pending.setdefault(ballot, []).append((position, payload))
            if len(pending[ballot]) >= _CHUNK:
                submit(ballot)
    for ballot in list(pending):
        submit(ballot)
    return ahead


def _spelled(value: Any) -> str:
    """JSON with sorted keys: the same words in Python's messages and the browser's."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def verify_events(
    events: Iterable[Any],
    *,
    ballot_id: str | None = None,
    progress: Callable[[], object] | None = None,
    workers: int = 1,
) -> VerificationReport:
    """Recheck every verifiable ballot in ``events`` (ledger events or ``{"kind", "payload"}``
    dicts, in ledger order), or only ``ballot_id``: each opened record, each paper (proofs,
    eligibility, one paper per credential, each tracker once), the tally, every partial
    decryption's proof and the result. Stops at the first failure and names it.
    ``progress`` is called after each event, for a progress bar on long ledgers; with
    ``workers`` > 1 the papers' proofs are checked by that many processes (same report)."""
    if workers <= 1:
        return _verify(events, ballot_id, progress, {})
    listed = list(events)
    with ProcessPoolExecutor(workers) as pool:
        ahead = _check_papers_ahead(listed, pool, ballot_id)
        try:
            return _verify(listed, ballot_id, progress, ahead)
        finally:
            for future, _ in ahead.values():
                future.cancel()


def _ballot_named(kind: Any, payload: Any) -> Any:
    if not isinstance(payload, dict):
        return None
    if kind == OPENED:
        record = payload.get("verifiable")
        return record.get("ballot") if isinstance(record, dict) else None
    return payload.get("ballot")


def _concerns(kind: Any, payload: Any, ballot_id: str | None) -> bool:
    """Whether an event is part of a verifiable ballot being checked (a ballot opened without a
    ``verifiable`` record is an ordinary one)."""
    if kind not in (OPENED, CAST, DECRYPTED) or not isinstance(payload, dict):
        return False
    if kind == OPENED and "verifiable" not in payload:
        return False
    return ballot_id is None or _ballot_named(kind, payload) == ballot_id


def _counted_paper(
    count: BallotCount, payload: Any, ahead: tuple[Future[list[Paper | str]], int] | None
) -> Paper:
    """The paper, checked here or already by a worker process; then replay and reuse."""
    if ahead is None:
        return check_paper(
            count.ballot, payload, seen_trackers=count.trackers, used_credentials=count.credentials
        )
    future, place = ahead
    checked = future.result()[place]
    if isinstance(checked, str):
        raise PaperRejectedError(checked)
    check_fresh(checked, count.trackers, count.credentials)
    return checked


def _verify(
    events: Iterable[Any],
    ballot_id: str | None,
    progress: Callable[[], object] | None,
    ahead: dict[int, tuple[Future[list[Paper | str]], int]],
) -> VerificationReport:
    counts: dict[str, BallotCount] = {}
    for position, event in enumerate(events, start=1):
        if progress is not None:
            progress()
        kind, payload, sequence = _kind_payload(event)
        where = f"event {sequence if sequence is not None else position} ({kind})"
        if not _concerns(kind, payload, ballot_id):
            continue
        try:
            if kind == OPENED:
                ballot = read_ballot(payload["verifiable"])
                if ballot.id in counts:
                    raise MalformedValueError(f"ballot {ballot.id!r} is opened twice")
                counts[ballot.id] = BallotCount(ballot)
                continue
            named = payload.get("ballot")
            if not isinstance(named, str):
                raise MalformedValueError("the event names no ballot (its ballot is not a string)")
            count = counts.get(named)
            if count is None:
                raise MalformedValueError(f"ballot {named!r} was never opened")
            if count.result is not None:
                raise PaperRejectedError(f"ballot {count.ballot.id!r} was already decrypted")
            if kind == CAST:
                paper = _counted_paper(count, payload, ahead.get(position - 1))
                count.papers.append(paper)
                count.trackers.add(paper.tracker)
                count.credentials.add(paper.credential)
            else:
                count.result = _check_decrypted(count, payload)
        except _FAILURES as error:
            return VerificationReport(list(counts.values()), f"{where}: {error}")
    if ballot_id is not None and ballot_id not in counts:
        return VerificationReport([], f"no verifiable ballot {ballot_id!r} in the events")
    return VerificationReport(list(counts.values()), None)
