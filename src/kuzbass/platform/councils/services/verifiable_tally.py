"""The close and the count of an end-to-end verifiable ballot (docs/ballots.md, steps 5 and 6).

At the close the encrypted papers are multiplied option by option and the encrypted tally is
published (``ballot.tallying``); trustees then hand in partial decryptions, each checked against
its proof (a wrong one is refused naming the trustee); with ``threshold`` of them the result is
published (``ballot.decrypted``) and the motion is decided by the council's rules frozen in the
ballot, exactly as an ordinary ballot's counts would decide it.
"""

import hashlib
from typing import Any

import numpy as np
import numpy.typing as npt

from kuzbass import ledger
from kuzbass.democracy import (
    MotionKind,
    Tally,
    VotingMethod,
    tally_approval,
    tally_majority,
    tally_scores,
)
from kuzbass.democracy import verifiable as crypto
from kuzbass.democracy.verifiable.group import decode_element
from kuzbass.democracy.verifiable.tally import tally_json
from kuzbass.platform.core import clock
from kuzbass.platform.core.errors import InvalidInputError
from kuzbass.platform.councils.models import (
    Ballot,
    Motion,
    MotionStatus,
    Stage,
    TrusteeStep,
    VerifiableBallot,
)
from kuzbass.platform.councils.services import ballots as ordinary
from kuzbass.platform.councils.services import verifiable
from kuzbass.platform.councils.services.decisions import decide_amendment, decide_motion
from kuzbass.platform.ledger.services import append_event


def stored_papers(record: VerifiableBallot) -> list[crypto.Paper]:
    """The cast papers as the tally needs them (their proofs were checked at intake)."""
    papers = []
    for row in record.papers.order_by("id"):
        payload = row.payload
        ciphertexts = tuple(
            (decode_element(c["alpha"], "alpha"), decode_element(c["beta"], "beta"))
            for c in payload["choices"]
        )
        credential = decode_element(payload["credential"], "credential")
        papers.append(crypto.Paper(payload, row.tracker, credential, ciphertexts))
    return papers


def close(ballot: Ballot, motion: Motion, *, reason: str) -> None:
    """Inside the ordinary close (ledger locked, ballot row locked): publish the encrypted
    tally; a ballot whose key was never completed closes unvoted and its motion stays tabled."""
    record = VerifiableBallot.objects.select_for_update().get(ballot_id=ballot.pk)
    ballot.closed_at = clock.now()
    ballot.electorate = ordinary.electorate_size(ballot)
    sealed: list[Any] = [ballot, record]
    if record.stage == Stage.KEYS:
        record.stage = Stage.FAILED
        ballot.carried = False
        reason = f"{reason}; the trustees had not completed the key, so nobody could vote"
        papers: list[crypto.Paper] = []
        encrypted: list[dict[str, str]] = []
        if ballot.amendment_id is None:
            motion.status = MotionStatus.TABLED
            motion.save(update_fields=["status"])
            sealed.append(motion)
    else:
        papers = stored_papers(record)
        encrypted = tally_json(crypto.encrypted_tally(verifiable.checked_ballot(record), papers))
        record.stage, record.tally = Stage.TALLYING, encrypted
    record.save(update_fields=["stage", "tally"])
    ballot.save(update_fields=["closed_at", "electorate", "carried"])
    append_event(
        "ballot.tallying",
        {
            "council": motion.council.slug,
            "motion": motion.pk,
            "ballot": ballot.pk,
            "verifiable": record.name,
            "reason": reason,
            "papers": len(papers),
            "encrypted_tally": encrypted,
            "roll": ballot.roll_names(),
        },
        seals=sealed,
    )


def _tally_ciphertexts(record: VerifiableBallot) -> list[tuple[bytes, bytes]]:
    return [
        (
            decode_element(c["alpha"], "alpha", allow_identity=True),
            decode_element(c["beta"], "beta", allow_identity=True),
        )
        for c in record.tally or []
    ]


def check_partial(record: VerifiableBallot, partial: Any) -> None:
    """Refuse a partial decryption whose proofs fail, naming the trustee and the option."""
    try:
        crypto.check_partial_decryption(
            verifiable.checked_ballot(record), _tally_ciphertexts(record), partial
        )
    except (crypto.TallyError, crypto.TrusteeError, crypto.MalformedValueError) as error:
        raise InvalidInputError(f"partial decryption refused: {error}", field="payload") from error


def _papers_with_totals(totals: list[int], papers: int, most: int) -> npt.NDArray[np.int64]:
    """Papers (rows) whose columns add up to the decrypted totals: the approval and score
    winners depend on the totals only, so any such matrix decides as the real papers would."""
    rows = np.arange(papers, dtype=np.int64)[:, None]
    return np.clip(np.array(totals, dtype=np.int64)[None, :] - rows * most, 0, most)


def decide(ballot: Ballot, motion: Motion, result: dict[str, int], papers: int) -> Tally:
    """The council's rules applied to the decrypted totals."""
    kind = MotionKind.ORDINARY if ballot.amendment_id else MotionKind(motion.kind)
    common: dict[str, Any] = {
        "electorate": ballot.electorate,
        "constitution": ballot.rules(),
        "kind": kind,
    }
    method = VotingMethod(ballot.method)
    if method is VotingMethod.MAJORITY:
        return tally_majority(result["yes"], result["no"], result["abstain"], **common)
    most = 1 if method is VotingMethod.APPROVAL else ballot.max_score
    matrix = _papers_with_totals([result[o] for o in ballot.options], papers, most)
    if method is VotingMethod.APPROVAL:
        return tally_approval(ballot.options, matrix.astype(bool), **common)
    return tally_scores(ballot.options, matrix, max_score=ballot.max_score, **common)


def publish_result(record: VerifiableBallot) -> None:
    """Inside a trustee's upload: combine the partial decryptions, publish the result, decide."""
    papers = stored_papers(record)
    partials = verifiable.uploads(record, TrusteeStep.DECRYPT)
    try:
        payload = crypto.decrypted_payload(verifiable.checked_ballot(record), papers, partials)
    except (crypto.TallyError, crypto.TrusteeError) as error:
        raise InvalidInputError(f"the decryption does not check out: {error}") from error
    append_event(crypto.DECRYPTED, payload)
    record.stage, record.result = Stage.DECRYPTED, payload["result"]
    record.save(update_fields=["stage", "result"])
    ballot = Ballot.objects.select_for_update().get(pk=record.ballot_id)
    motion = Motion.objects.select_for_update().select_related("council").get(pk=ballot.motion_id)
    outcome = decide(ballot, motion, payload["result"], len(papers))
    ballot.result = {**outcome.to_dict(), "verifiable": record.name}
    ballot.carried = (
        bool(outcome.carried)
        if outcome.carried is not None
        else outcome.quorum_met and len(outcome.winners) == 1
    )
    ballot.save(update_fields=["result", "carried"])
    trackers = sorted(paper.tracker for paper in papers)
    append_event(
        "ballot.closed",
        {
            "council": motion.council.slug,
            "motion": motion.pk,
            "ballot": ballot.pk,
            "reason": "decrypted by the trustees",
            "tally": ballot.result,
            "papers": hashlib.sha256(ledger.canonical_json(trackers)).hexdigest(),
            "roll": ballot.roll_names(),
        },
        seals=[ballot, record],
    )
    if ballot.amendment_id is not None:
        decide_amendment(ballot, motion)
    else:
        decide_motion(ballot, motion, list(outcome.winners))
