"""What a tallied ballot decides: an amendment's text, or a motion and its effects.

Runs inside the closing transaction. The built-in effects (elections, recalls, constitution
changes, demands) come first; then ``motion_decided`` lets other apps act (a plan adoption, say),
so everything a decision changes commits with it or not at all.
"""

from kuzbass.democracy import MotionKind
from kuzbass.platform.core import clock
from kuzbass.platform.councils.models import (
    Amendment,
    AmendmentStatus,
    Ballot,
    Council,
    Motion,
    MotionStatus,
)
from kuzbass.platform.councils.services.delegates import elect, recall
from kuzbass.platform.councils.services.demands import apply_demand_decision
from kuzbass.platform.councils.signals import motion_decided
from kuzbass.platform.ledger.models import Sealed
from kuzbass.platform.ledger.services import append_event


def decide_amendment(ballot: Ballot, motion: Motion) -> None:
    amendment = Amendment.objects.select_for_update().get(ballots=ballot)
    amendment.status = AmendmentStatus.CARRIED if ballot.carried else AmendmentStatus.DEFEATED
    amendment.save(update_fields=["status"])
    sealed: list[Sealed] = [amendment]
    if ballot.carried:
        motion.text = amendment.text
        motion.save(update_fields=["text"])
        sealed.append(motion)
    append_event(
        "amendment.decided",
        {
            "council": motion.council.slug,
            "motion": motion.pk,
            "amendment": amendment.number,
            "status": amendment.status,
        },
        seals=sealed,
    )


def change_constitution(motion: Motion) -> None:
    council = Council.objects.select_for_update().get(pk=motion.council_id)
    for key, value in (motion.proposed_constitution or {}).items():
        setattr(council, key, value)
    council.save()
    append_event(
        "council.constitution_changed",
        {
            "council": council.slug,
            "motion": motion.pk,
            "constitution": council.constitution_dict(),
        },
        seals=[council],
    )


def decide_motion(ballot: Ballot, motion: Motion, winners: list[str]) -> None:
    carried = bool(ballot.carried)
    if motion.kind == MotionKind.ELECTION and carried and len(winners) != 1:
        carried = False  # a tie elects nobody; the council votes again
    motion.status = MotionStatus.CARRIED if carried else MotionStatus.DEFEATED
    motion.decided_at = clock.now()
    motion.save(update_fields=["status", "decided_at"])
    append_event(
        "motion.decided",
        {
            "council": motion.council.slug,
            "motion": motion.pk,
            "status": motion.status,
            "ballot": ballot.pk,
        },
        seals=[motion],
    )
    if motion.demand_id is not None:
        apply_demand_decision(motion, ballot, carried)
    if carried and motion.kind == MotionKind.ELECTION:
        elect(motion, ballot, winners[0])
    elif carried and motion.kind == MotionKind.RECALL:
        recall(motion)
    elif carried and motion.kind == MotionKind.CONSTITUTION:
        change_constitution(motion)
    motion_decided.send(
        sender=Motion, motion=motion, ballot=ballot, carried=carried, winners=winners
    )
