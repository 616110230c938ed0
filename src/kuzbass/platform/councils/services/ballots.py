"""Ballots: opening one on a motion, casting votes (one member, one vote), closing and tallying.

The roll closes when a ballot opens: those who were members then may vote. In a secret ballot
the paper carries no voter and waits in a pool apart from the roll until the close counts the
pool in a random order (``services.papers``); the voter gets a receipt code whose hash is on the
paper and is published apart from the contents, so it proves the paper counted, not its choice.
"""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet

from kuzbass.democracy import (
    MAJORITY_CHOICES,
    BallotError,
    MotionKind,
    VotingMethod,
    tally,
    validate_ballot,
)
from kuzbass.platform import statements
from kuzbass.platform.core import clock, tasks
from kuzbass.platform.core.actors import Actor, Visitor, require_user
from kuzbass.platform.core.checks import BALLOT_OPTIONS, check_count, check_text
from kuzbass.platform.core.errors import (
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
    RefusedError,
)
from kuzbass.platform.core.permissions import active_membership, require_officer
from kuzbass.platform.councils.models import (
    Amendment,
    AmendmentStatus,
    Ballot,
    BallotPaper,
    Council,
    Membership,
    Motion,
    MotionStatus,
    PendingPaper,
    VoterRoll,
)
from kuzbass.platform.councils.services import verifiable, verifiable_tally
from kuzbass.platform.councils.services.decisions import decide_amendment, decide_motion
from kuzbass.platform.councils.services.delegates import check_free_seat
from kuzbass.platform.councils.services.papers import count_pending
from kuzbass.platform.ledger.services import append_event, lock_ledger

MAJORITY_OPTIONS = list(MAJORITY_CHOICES)


def eligible_memberships(ballot: Ballot) -> QuerySet[Membership]:
    """The roll is closed when the ballot opens: members then, still members or not.

    The vote's own check (:func:`voting_query`) states the same rule in SQL."""
    return Membership.objects.filter(
        council_id=ballot.motion.council_id, joined_at__lte=ballot.opens_at
    ).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=ballot.opens_at))


def electorate_size(ballot: Ballot) -> int:
    return eligible_memberships(ballot).values("user").distinct().count()


def check_options(motion: Motion, method: str, options: Sequence[str] | None) -> list[str]:
    """The options of a ballot: yes/no/abstain for decisions, candidates for elections."""
    check_count(options or [], "options", most=BALLOT_OPTIONS)
    names = [
        check_text(option, "options", max_length=200, required=False) for option in options or []
    ]
    if motion.kind == MotionKind.ELECTION:
        if method == VotingMethod.MAJORITY:
            raise InvalidInputError(
                "an election is decided by approval, score or a ranked method", field="method"
            )
        if not names:
            raise InvalidInputError("an election needs at least one candidate", field="options")
    elif method == VotingMethod.MAJORITY:
        return list(MAJORITY_OPTIONS)
    elif motion.kind != MotionKind.ORDINARY or motion.demand_id is not None:
        raise InvalidInputError(
            "recall, constitution and demand motions are decided by a yes/no majority ballot",
            field="method",
        )
    elif len(names) < 2:
        raise InvalidInputError(f"a {method} ballot needs at least two options", field="options")
    if any(not name for name in names) or len(set(names)) != len(names):
        raise InvalidInputError("options must be distinct and not empty", field="options")
    return names


def check_candidates(motion: Motion, names: list[str]) -> None:
    """Refuse an election whose seat is taken or whose candidates are not members."""
    if motion.delegate_to is not None:
        check_free_seat(motion.council, motion.delegate_to)
    for name in names:
        if not Membership.objects.filter(
            council=motion.council, user__username=name, ended_at__isnull=True
        ).exists():
            raise InvalidInputError(
                f"candidate {name!r} is not a member of {motion.council.name}", field="options"
            )


def check_ballot(
    motion: Motion,
    *,
    method: str,
    options: Sequence[str] | None,
    opens_at: datetime,
    closes_at: datetime,
    max_score: int,
    amendment: Amendment | None,
) -> list[str]:
    """The ballot's options, or the reason this ballot cannot be opened now."""
    if method not in VotingMethod._value2member_map_:
        raise InvalidInputError(
            f"method {method!r} is not one of {', '.join(m.value for m in VotingMethod)}",
            field="method",
        )
    if motion.status != MotionStatus.TABLED:
        raise RefusedError(
            f"motion {motion.number} is {motion.get_status_display()}: "
            "it cannot be put to a new ballot"
        )
    if Ballot.objects.filter(motion=motion, closed_at__isnull=True).exists():
        raise RefusedError(f"motion {motion.number} already has a ballot open")
    if closes_at <= opens_at or closes_at <= clock.now():
        raise InvalidInputError(
            "the ballot must close after it opens and in the future", field="closes_at"
        )
    if not 1 <= max_score <= 100:
        raise InvalidInputError("the highest score is between 1 and 100", field="max_score")
    if amendment is None:
        names = check_options(motion, method, options)
        if motion.kind == MotionKind.ELECTION:
            check_candidates(motion, names)
        return names
    if amendment.motion_id != motion.pk or amendment.status != AmendmentStatus.PROPOSED:
        raise InvalidInputError("that amendment is not pending on this motion", field="amendment")
    if method != VotingMethod.MAJORITY:
        raise InvalidInputError(
            "an amendment is decided by a yes/no majority ballot", field="method"
        )
    return list(MAJORITY_OPTIONS)


@transaction.atomic
def open_ballot(
    actor: Visitor,
    motion: Motion,
    *,
    method: str = VotingMethod.MAJORITY.value,
    options: Sequence[str] | None = None,
    closes_at: datetime,
    opens_at: datetime | None = None,
    secret: bool = True,
    max_score: int = 5,
    amendment: Amendment | None = None,
) -> Ballot:
    """An officer puts a motion (or an amendment to it) to the vote (members can also force
    one with a petition: ``services.petitions``)."""
    actor = require_user(actor)
    lock_ledger()
    require_officer(actor, motion.council)
    return start_ballot(
        actor,
        motion,
        method=method,
        options=options,
        closes_at=closes_at,
        opens_at=opens_at,
        secret=secret,
        max_score=max_score,
        amendment=amendment,
    )


def start_ballot(
    actor: Actor,
    motion: Motion,
    *,
    method: str = VotingMethod.MAJORITY.value,
    options: Sequence[str] | None = None,
    closes_at: datetime,
    opens_at: datetime | None = None,
    secret: bool = True,
    max_score: int = 5,
    amendment: Amendment | None = None,
) -> Ballot:
    """Open the ballot, once the caller has checked who may open it and holds the ledger lock.

    The council's constitution as it stands now is frozen into the ballot and its event: a
    constitution changed while the ballot runs applies to later ballots only."""
    motion = Motion.objects.select_for_update().get(pk=motion.pk)
    moment = clock.now()
    opens_at = opens_at or moment
    names = check_ballot(
        motion,
        method=method,
        options=options,
        opens_at=opens_at,
        closes_at=closes_at,
        max_score=max_score,
        amendment=amendment,
    )
    if amendment is None:
        motion.status = MotionStatus.BALLOTING
        motion.save(update_fields=["status"])
    ballot = Ballot.objects.create(
        motion=motion,
        amendment=amendment,
        method=method,
        options=names,
        max_score=max_score,
        secret=secret,
        opens_at=opens_at,
        closes_at=closes_at,
        opened_by=actor,
        constitution=motion.council.constitution_dict(),
    )
    if ballot.opens_at <= moment:
        # The roll closes when the ballot opens, so its size is final from now on; stored, it
        # spares every vote a count of the council's members.
        ballot.electorate = electorate_size(ballot)
        ballot.save(update_fields=["electorate"])
    rule = verifiable.rule_for(motion.council, ballot)
    if rule is not None:  # ballot.opened waits until the trustees complete the key
        verifiable.start_key_setup(actor, ballot, rule)
    else:
        append_event("ballot.opened", opened_payload(ballot), seals=[ballot, motion])
    tasks.wake_at(ballot.closes_at)
    return ballot


def opened_payload(ballot: Ballot) -> dict[str, Any]:
    """The payload of ``ballot.opened`` (a verifiable ballot adds its record when its key is
    complete)."""
    motion = ballot.motion
    return {
        "council": motion.council.slug,
        "motion": motion.pk,
        "ballot": ballot.pk,
        "amendment": ballot.amendment.number if ballot.amendment else None,
        "method": ballot.method,
        "options": ballot.options,
        "secret": ballot.secret,
        "opens_at": ballot.opens_at.isoformat(),
        "closes_at": ballot.closes_at.isoformat(),
        "opened_by": ballot.opened_by.get_username(),
        "constitution": ballot.constitution,
        "electorate": ballot.electorate,
    }


@dataclass(frozen=True)
class Receipt:
    """Returned to the voter once: the code proves that their paper is counted, and, as it is
    published apart from the papers' contents, not what it says."""

    ballot: Ballot
    code: str


def cast_vote(visitor: Visitor, ballot: Ballot | int, content: Any) -> Receipt:
    """Record one member's vote. The roll's unique constraint makes a second vote impossible,
    even when many requests from one member race each other.

    The ballot is not closed here when the last member votes (counting the roll on every vote
    would make each vote slower than the one before): the task worker's
    :func:`close_due_ballots` closes it then, or :func:`settle` when a caller asks.
    """
    actor = require_user(visitor)
    ballot_id = ballot.pk if isinstance(ballot, Ballot) else ballot
    try:
        with transaction.atomic():
            return _record_vote(actor, ballot_id, content)
    except IntegrityError as error:
        if VoterRoll.objects.filter(ballot_id=ballot_id, voter=actor).exists():
            raise RefusedError("you have already voted on this ballot") from error
        raise


@cache
def voting_query() -> str:
    """The vote's one read: the ballot, its council and whether the voter is on its roll (the
    rule of :func:`eligible_memberships`). Written as SQL because compiling the same query
    through the ORM on every vote cost more than running it."""
    ballot = connection.ops.quote_name(Ballot._meta.db_table)
    motion = connection.ops.quote_name(Motion._meta.db_table)
    membership = connection.ops.quote_name(Membership._meta.db_table)
    lock = f" FOR SHARE OF {ballot}" if connection.vendor == "postgresql" else ""
    return (
        f"SELECT {statements.columns(Ballot)}, {motion}.council_id, EXISTS ("  # noqa: S608
        f"SELECT 1 FROM {membership} AS seat WHERE seat.council_id = {motion}.council_id "
        f"AND seat.user_id = %s AND seat.joined_at <= {ballot}.opens_at "
        f"AND (seat.ended_at IS NULL OR seat.ended_at > {ballot}.opens_at)) "
        f"FROM {ballot} JOIN {motion} ON {motion}.id = {ballot}.motion_id "
        f"WHERE {ballot}.id = %s{lock}"
    )


def _ballot_for_voting(ballot_id: int, actor: Actor) -> tuple[Ballot, int, bool]:
    """The ballot, the council that holds it and whether ``actor`` is on its roll, in one query.

    The ballot row is read with a shared lock (PostgreSQL), so that a vote and the close cannot
    interleave: the close's exclusive lock waits for votes in flight, and a vote that arrives
    during the close waits for it and then sees the ballot closed. SQLite runs one writing
    transaction at a time, which gives the same order."""
    with connection.cursor() as cursor:
        cursor.execute(voting_query(), [actor.pk, ballot_id])
        row = cursor.fetchone()
    if row is None:
        raise NotFoundError(f"there is no ballot {ballot_id}")
    return statements.instance(Ballot, row, connection.alias), row[-2], bool(row[-1])


def _record_vote(actor: Actor, ballot_id: int, content: Any) -> Receipt:
    ballot, council_id, on_roll = _ballot_for_voting(ballot_id, actor)
    if not on_roll:
        council = Council.objects.get(pk=council_id)
        if active_membership(actor, council) is not None:
            raise NotAllowedError(
                f"you joined {council.name} after this ballot opened, so you are not on its roll"
            )
        raise NotAllowedError(f"you are not a member of {council.name}, which holds this ballot")
    moment = clock.now()
    if ballot.closed_at is not None or moment >= ballot.closes_at:
        raise RefusedError(f"this ballot closed at {ballot.closes_at:%Y-%m-%d %H:%M} UTC")
    if moment < ballot.opens_at:
        raise RefusedError(f"this ballot opens at {ballot.opens_at:%Y-%m-%d %H:%M} UTC")
    if ballot.secret and verifiable.is_verifiable(ballot):
        raise RefusedError(
            "this ballot is end-to-end verifiable: vote on its page, where your browser "
            "encrypts your choice"
        )
    try:
        normalized = validate_ballot(
            VotingMethod(ballot.method), ballot.options, content, max_score=ballot.max_score
        )
    except BallotError as error:
        raise InvalidInputError(f"ballot paper: {error}", field="content") from error
    statements.insert(VoterRoll(ballot=ballot, voter=actor))
    code = secrets.token_urlsafe(16)
    receipt_hash = BallotPaper.hash_receipt(code)
    if ballot.secret:  # into the pool the close counts in a random order (services.papers)
        statements.insert(
            PendingPaper(ballot=ballot, content=normalized, receipt_hash=receipt_hash)
        )
    else:
        statements.insert(
            BallotPaper(ballot=ballot, content=normalized, receipt_hash=receipt_hash, voter=actor)
        )
    return Receipt(ballot, code)


def closing_reason(ballot: Ballot) -> str | None:
    """Why the ballot is due to close (time up, or the whole roll voted), or None."""
    moment = clock.now()
    if moment >= ballot.closes_at:
        return "closing time"
    electorate = ballot.electorate if ballot.electorate is not None else electorate_size(ballot)
    if moment >= ballot.opens_at and ballot.roll.count() >= electorate:
        return "every member on the roll has voted"
    return None


def ballot_state(ballot: Ballot) -> str:
    """scheduled, open, closing (due, waiting for the worker to close it) or closed.

    Reading it never closes anything: only the worker, ``close-due`` or a POST close does."""
    if ballot.closed_at is not None:
        return "closed"
    if closing_reason(ballot) is not None:
        return "closing"
    return "scheduled" if clock.now() < ballot.opens_at else "open"


def close_ballot(ballot: Ballot) -> Ballot:
    """Close and tally a ballot whose time is up or whose whole roll has voted."""
    with transaction.atomic():
        lock_ledger()
        ballot = Ballot.objects.select_for_update().get(pk=ballot.pk)
        if ballot.closed_at is not None:
            return ballot
        reason = closing_reason(ballot)
        if reason is None:
            raise RefusedError(
                f"this ballot closes at {ballot.closes_at:%Y-%m-%d %H:%M} UTC and members on "
                "its roll have still to vote"
            )
        _tally(ballot, reason=reason)
        return ballot


def settle(ballot: Ballot) -> Ballot:
    """Close the ballot if it is due (time up, or everyone voted); otherwise leave it open.

    Only for acts that write anyway (a vote cast from the page, the demo, tests): reading a
    page or GET endpoint never calls it. The check runs without locks.
    """
    if ballot.closed_at is None and closing_reason(ballot) is not None:
        return close_ballot(ballot)
    return ballot


def close_due_ballots() -> int:
    """Close every ballot that is due (time up, or its whole roll voted); returns how many.

    The task worker runs this (a ``core.due`` job), as does ``kuzbass platform close-due``."""
    closed = 0
    started = Ballot.objects.filter(closed_at__isnull=True, opens_at__lte=clock.now())
    for ballot in started.order_by("closes_at"):
        if closing_reason(ballot) is not None:
            close_ballot(ballot)
            closed += 1
    return closed


def _tally(ballot: Ballot, *, reason: str) -> None:
    motion = Motion.objects.select_for_update().select_related("council").get(pk=ballot.motion_id)
    council = motion.council
    if ballot.secret and verifiable.is_verifiable(ballot):
        verifiable_tally.close(ballot, motion, reason=reason)
        return
    kind = MotionKind.ORDINARY if ballot.amendment_id else MotionKind(motion.kind)
    count_pending(ballot)
    contents = list(ballot.papers.values_list("content", flat=True))
    electorate = electorate_size(ballot)
    result = tally(
        VotingMethod(ballot.method),
        ballot.options,
        contents,
        electorate=electorate,
        constitution=ballot.rules(),
        kind=kind,
        max_score=ballot.max_score,
    )
    ballot.closed_at = clock.now()
    ballot.electorate = electorate
    ballot.result = result.to_dict()
    # Majority votes carry by threshold; the other methods decide when the quorum is met and
    # exactly one option comes first.
    ballot.carried = (
        bool(result.carried)
        if result.carried is not None
        else result.quorum_met and len(result.winners) == 1
    )
    ballot.save(update_fields=["closed_at", "electorate", "result", "carried"])
    append_event(
        "ballot.closed",
        {
            "council": council.slug,
            "motion": motion.pk,
            "ballot": ballot.pk,
            "reason": reason,
            "tally": ballot.result,
            "papers": ballot.papers_digest(),
            "roll": ballot.roll_names(),
        },
        seals=[ballot],
    )
    if ballot.amendment_id is not None:
        decide_amendment(ballot, motion)
    else:
        decide_motion(ballot, motion, list(result.winners))
