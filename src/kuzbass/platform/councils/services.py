"""Every action on the councils, as one function each: the pages, the JSON API and the CLI all call
these, so permissions, validation and the ledger are the same whichever way a member comes in.

Each function runs in one ``transaction.atomic`` block that also appends the ledger event
recording the change, so a failure leaves neither a half-written row nor an event without its
change. Errors a user can cause raise a :class:`ServiceError` whose message says what was wrong.
"""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from kuzbass.democracy import (
    MAJORITY_CHOICES,
    BallotError,
    Constitution,
    MotionKind,
    VotingMethod,
    apportion_seats,
    tally,
    validate_ballot,
)
from kuzbass.platform import statements
from kuzbass.platform.councils.models import (
    COUNCILS_OF_COUNCILS,
    Affiliation,
    Amendment,
    AmendmentStatus,
    Ballot,
    BallotPaper,
    Comment,
    Council,
    CouncilKind,
    Demand,
    DemandAction,
    DemandCategory,
    DemandStatus,
    DemandStatusChange,
    Invitation,
    Mandate,
    MandateEnd,
    Membership,
    Motion,
    MotionStatus,
    Role,
    VoterRoll,
)
from kuzbass.platform.councils.signals import motion_decided
from kuzbass.platform.ledger.services import append_event, lock_ledger

INVITATION_LIFETIME = timedelta(days=14)
MAJORITY_OPTIONS = list(MAJORITY_CHOICES)


def now() -> datetime:
    """The current time; one place, so that tests can move the clock past a closing time."""
    return timezone.now()


class ServiceError(Exception):
    """An action refused; ``status`` is the HTTP status the pages and the API answer with."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInputError(ServiceError):
    """The request itself is malformed: a missing field, a bad value."""


class NotAllowedError(ServiceError):
    """The person may not do this (not a member, not an officer)."""

    status = 403


class NotFoundError(ServiceError):
    """The thing acted on does not exist."""

    status = 404


class RefusedError(ServiceError):
    """Allowed in general, but not now: voted already, ballot closed, motion already decided."""

    status = 409


# --- who may do what -------------------------------------------------------------------------


def _require_user(actor: Any) -> Any:
    if actor is None or isinstance(actor, AnonymousUser) or not actor.is_authenticated:
        raise NotAllowedError("log in first: this action is for members")
    return actor


def active_membership(user: Any, council: Council) -> Membership | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(user=user, council=council, ended_at__isnull=True).first()


def is_officer(user: Any, council: Council) -> bool:
    membership = active_membership(user, council)
    return membership is not None and membership.role == Role.OFFICER


def _require_member(actor: Any, council: Council) -> Membership:
    _require_user(actor)
    membership = active_membership(actor, council)
    if membership is None:
        raise NotAllowedError(f"you are not a member of {council.name}")
    return membership


def _require_officer(actor: Any, council: Council) -> Membership:
    membership = _require_member(actor, council)
    if membership.role != Role.OFFICER:
        raise NotAllowedError(f"only officers of {council.name} may do this")
    return membership


def _text(value: Any, field: str, *, max_length: int | None = None, required: bool = True) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise InvalidInputError(f"{field} must be text", field=field)
    if required and not text:
        raise InvalidInputError(f"{field} must not be empty", field=field)
    if max_length is not None and len(text) > max_length:
        raise InvalidInputError(f"{field} is longer than {max_length} characters", field=field)
    return text


# --- councils and members --------------------------------------------------------------------


def _parse_constitution(values: dict[str, Any], field: str = "constitution") -> Constitution:
    try:
        return Constitution.from_dict(values)
    except (ValueError, TypeError, KeyError, ZeroDivisionError) as error:
        raise InvalidInputError(f"{field}: {error}", field=field) from error


@transaction.atomic
def found_council(
    *,
    name: str,
    slug: str,
    kind: str,
    description: str = "",
    constitution: dict[str, Any] | None = None,
    open_signup: bool = False,
    delegate_seats: int | None = None,
) -> Council:
    """Create a council (an administrator's act: councils are founded before they have members)."""
    lock_ledger()
    if kind not in CouncilKind.values:
        raise InvalidInputError(
            f"kind {kind!r} is not one of {', '.join(CouncilKind.values)}", field="kind"
        )
    name = _text(name, "name", max_length=200)
    slug = _text(slug, "slug", max_length=80)
    if Council.objects.filter(slug=slug).exists():
        raise RefusedError(f"a council with the short name {slug!r} already exists", field="slug")
    if delegate_seats is not None and kind not in COUNCILS_OF_COUNCILS:
        raise InvalidInputError(
            "only a federation or congress has delegate seats", field="delegate_seats"
        )
    if delegate_seats is not None and delegate_seats < 1:
        raise InvalidInputError("delegate seats must be at least 1", field="delegate_seats")
    council = Council(
        name=name,
        slug=slug,
        kind=kind,
        description=description,
        open_signup=open_signup,
        delegate_seats=delegate_seats,
    )
    if constitution is not None:
        parsed = _parse_constitution(constitution)
        for key, value in parsed.to_dict().items():
            setattr(council, key, value)
    else:
        parsed = _parse_constitution(council.constitution_dict())
    council.full_clean()
    council.save()
    append_event(
        "council.founded",
        {
            "council": council.slug,
            "name": council.name,
            "kind": council.kind,
            "constitution": parsed.to_dict(),
        },
        seals=[council],
    )
    return council


def _join(
    user: Any, council: Council, role: str, *, represents: Council | None = None, how: str
) -> Membership:
    if active_membership(user, council) is not None:
        raise RefusedError(f"{user.get_username()} is already a member of {council.name}")
    membership = Membership.objects.create(
        user=user, council=council, role=role, represents=represents, joined_at=now()
    )
    append_event(
        "member.joined",
        {
            "council": council.slug,
            "member": user.get_username(),
            "role": role,
            "represents": represents.slug if represents else None,
            "how": how,
        },
        seals=[membership],
    )
    return membership


@transaction.atomic
def enrol(
    user: Any, council: Council, role: str, *, represents: Council | None = None, how: str
) -> Membership:
    """Seat someone without an invitation: the administrator's bootstrap (a scenario, a seed).

    The seat is public like every other: the ledger records it with ``how``."""
    lock_ledger()
    return _join(user, council, role, represents=represents, how=how)


@transaction.atomic
def appoint_officer(user: Any, council: Council) -> Membership:
    """Make someone an officer (the administrator's bootstrap for a new council)."""
    lock_ledger()
    membership = active_membership(user, council)
    if membership is None:
        return _join(user, council, Role.OFFICER, how="appointed by the administrator")
    membership.role = Role.OFFICER
    membership.save(update_fields=["role"])
    append_event(
        "member.role_changed",
        {"council": council.slug, "member": user.get_username(), "role": Role.OFFICER},
        seals=[membership],
    )
    return membership


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str  # shown to the officer once; only its hash is stored


@transaction.atomic
def invite(
    actor: Any, council: Council, *, role: str = Role.MEMBER, note: str = ""
) -> IssuedInvitation:
    """An officer invites someone; the token goes into the invitation link."""
    _require_officer(actor, council)
    if council.is_council_of_councils:
        raise RefusedError(
            f"{council.name} is a {council.get_kind_display()}: its members are the delegates "
            "that its member councils elect, not invited people"
        )
    if role not in (Role.MEMBER, Role.OFFICER):
        raise InvalidInputError("an invitation is for a member or an officer", field="role")
    token = secrets.token_urlsafe(24)
    invitation = Invitation.objects.create(
        council=council,
        role=role,
        note=_text(note, "note", max_length=200, required=False),
        token_hash=Invitation.hash_token(token),
        invited_by=actor,
        expires_at=now() + INVITATION_LIFETIME,
    )
    return IssuedInvitation(invitation, token)


def find_invitation(token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("council")
        .filter(token_hash=Invitation.hash_token(token or ""))
        .first()
    )
    if invitation is None:
        raise InvalidInputError("this invitation link is not valid", field="token")
    if invitation.accepted_at is not None:
        raise RefusedError("this invitation has already been used")
    if invitation.expires_at <= now():
        raise RefusedError("this invitation has expired; ask an officer for a new one")
    return invitation


@transaction.atomic
def accept_invitation(token: str, user: Any) -> Membership:
    """The invited person (logged in, possibly just registered) joins the council."""
    lock_ledger()
    _require_user(user)
    invitation = find_invitation(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise RefusedError("this invitation has already been used")
    membership = _join(user, invitation.council, invitation.role, how="invitation")
    invitation.accepted_at = now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def register_and_accept(token: str, *, username: str, password: str, email: str = "") -> Membership:
    """Create an account from an invitation link and join the council, all or nothing."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    find_invitation(token)
    user_model = get_user_model()
    username = _text(username, "username", max_length=150)
    if user_model.objects.filter(username=username).exists():
        raise RefusedError(f"the username {username!r} is taken", field="username")
    user = user_model(username=username, email=email)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise InvalidInputError(" ".join(error.messages), field="password") from error
    user.set_password(password)
    user.save()
    return accept_invitation(token, user)


@transaction.atomic
def join_open_council(actor: Any, council: Council) -> Membership:
    lock_ledger()
    _require_user(actor)
    if not council.open_signup or council.is_council_of_councils:
        raise NotAllowedError(f"{council.name} admits members by invitation only")
    return _join(actor, council, Role.MEMBER, how="open sign-up")


@transaction.atomic
def affiliate(actor: Any, body: Council, member_council: Council) -> Affiliation:
    """An officer of a federation or the congress admits a council as a member."""
    lock_ledger()
    _require_officer(actor, body)
    if body.kind not in COUNCILS_OF_COUNCILS:
        raise RefusedError(f"{body.name} is not a federation or congress; councils cannot join it")
    if member_council.pk == body.pk or member_council.kind == CouncilKind.CONGRESS:
        raise InvalidInputError(
            f"{member_council.name} cannot be a member of {body.name}", field="member_council"
        )
    if Affiliation.objects.filter(
        body=body, member_council=member_council, ended_at__isnull=True
    ).exists():
        raise RefusedError(f"{member_council.name} is already a member of {body.name}")
    affiliation = Affiliation.objects.create(
        body=body, member_council=member_council, admitted_at=now()
    )
    append_event(
        "council.affiliated",
        {
            "body": body.slug,
            "member_council": member_council.slug,
            "admitted_by": actor.get_username(),
        },
        seals=[affiliation],
    )
    return affiliation


def seat_allocation(body: Council) -> dict[str, int]:
    """Delegate seats per member council of a federation or congress (short name -> seats)."""
    members = {
        affiliation.member_council.slug: affiliation.member_council.memberships.filter(
            ended_at__isnull=True
        ).count()
        for affiliation in body.affiliates.filter(ended_at__isnull=True).select_related(
            "member_council"
        )
    }
    if body.delegate_seats is None:
        return dict.fromkeys(members, 1)
    try:
        return apportion_seats(members, body.delegate_seats)
    except ValueError as error:  # ApportionmentTieError is a ValueError too
        raise RefusedError(f"the seats of {body.name} cannot be shared: {error}") from error


def _require_free_seat(council: Council, body: Council) -> None:
    seats = seat_allocation(body).get(council.slug, 0)
    held = Mandate.objects.filter(council=council, body=body, ended_at__isnull=True).count()
    if held >= seats:
        raise RefusedError(
            f"{council.name} already fills its {seats} seat(s) in {body.name}; "
            "recalling a delegate frees one",
            field="delegate_to",
        )


# --- motions -------------------------------------------------------------------------------


def _next_number(query: QuerySet[Any]) -> int:
    return (query.aggregate(top=Max("number"))["top"] or 0) + 1


@transaction.atomic
def table_motion(
    actor: Any,
    council: Council,
    *,
    title: str,
    text: str,
    kind: str = MotionKind.ORDINARY.value,
    demand: Demand | None = None,
    demand_action: str = "",
    responsible_body: Council | None = None,
    mandate: Mandate | None = None,
    proposed_constitution: dict[str, Any] | None = None,
    delegate_to: Council | None = None,
    mandate_instructions: str = "",
) -> Motion:
    """Any member tables a motion; its kind and subject say what it changes if carried."""
    lock_ledger()
    _require_member(actor, council)
    if kind not in MotionKind._value2member_map_:
        raise InvalidInputError(
            f"kind {kind!r} is not one of {', '.join(k.value for k in MotionKind)}", field="kind"
        )
    title = _text(title, "title", max_length=200)
    text = _text(text, "text")
    if kind == MotionKind.RECALL:
        if mandate is None or mandate.council_id != council.pk:
            raise InvalidInputError(
                f"a recall motion names a mandate given by {council.name}", field="mandate"
            )
        if mandate.ended_at is not None:
            raise RefusedError(
                f"the mandate of {mandate.delegate.get_username()} has already ended",
                field="mandate",
            )
    elif mandate is not None:
        raise InvalidInputError("only a recall motion names a mandate", field="mandate")
    if kind == MotionKind.CONSTITUTION:
        if proposed_constitution is None:
            raise InvalidInputError(
                "a constitution motion proposes the new constitution", field="proposed_constitution"
            )
        proposed_constitution = _parse_constitution(
            proposed_constitution, "proposed_constitution"
        ).to_dict()
    elif proposed_constitution is not None:
        raise InvalidInputError(
            "only a constitution motion proposes a constitution", field="proposed_constitution"
        )
    if kind == MotionKind.ELECTION:
        mandate_instructions = _text(mandate_instructions, "mandate_instructions")
        if (
            delegate_to is not None
            and not Affiliation.objects.filter(
                body=delegate_to, member_council=council, ended_at__isnull=True
            ).exists()
        ):
            raise InvalidInputError(
                f"{council.name} is not a member of {delegate_to.name}", field="delegate_to"
            )
        if delegate_to is not None:
            _require_free_seat(council, delegate_to)
    elif delegate_to is not None or mandate_instructions:
        raise InvalidInputError("only an election motion carries a mandate", field="delegate_to")
    if demand is not None:
        _check_demand_motion(council, demand, demand_action, responsible_body)
        if kind != MotionKind.ORDINARY:
            raise InvalidInputError("a motion on a demand is an ordinary motion", field="kind")
    elif demand_action or responsible_body is not None:
        raise InvalidInputError("a demand action needs a demand", field="demand")
    motion = Motion.objects.create(
        council=council,
        number=_next_number(Motion.objects.filter(council=council)),
        kind=kind,
        title=title,
        text=text,
        tabled_by=actor,
        tabled_at=now(),
        demand=demand,
        demand_action=demand_action,
        responsible_body=responsible_body,
        mandate=mandate,
        proposed_constitution=proposed_constitution,
        delegate_to=delegate_to,
        mandate_instructions=mandate_instructions,
    )
    append_event(
        "motion.tabled",
        {
            "council": council.slug,
            "motion": motion.pk,
            "number": motion.number,
            "kind": kind,
            "title": title,
            "tabled_by": actor.get_username(),
        },
        seals=[motion],
    )
    return motion


def _check_demand_motion(
    council: Council, demand: Demand, action: str, responsible_body: Council | None
) -> None:
    if demand.council_id != council.pk:
        raise InvalidInputError(f"demand {demand.pk} was raised in another council", field="demand")
    allowed = {
        DemandAction.ADOPT: {DemandStatus.RAISED},
        DemandAction.REJECT: {DemandStatus.RAISED, DemandStatus.OPEN, DemandStatus.IN_PLAN},
        DemandAction.FULFIL: {DemandStatus.OPEN, DemandStatus.IN_PLAN},
    }
    if action not in allowed:
        raise InvalidInputError(
            f"demand_action must be one of {', '.join(DemandAction.values)}", field="demand_action"
        )
    if demand.status not in allowed[DemandAction(action)]:
        raise RefusedError(
            f"demand {demand.number} is {demand.get_status_display()}: "
            f"a motion to {action} it is not possible now",
            field="demand",
        )
    if action == DemandAction.ADOPT and responsible_body is None:
        raise InvalidInputError(
            "adopting a demand names the body responsible for meeting it", field="responsible_body"
        )
    if action != DemandAction.ADOPT and responsible_body is not None:
        raise InvalidInputError("only adoption names a responsible body", field="responsible_body")


@transaction.atomic
def propose_amendment(actor: Any, motion: Motion, *, text: str) -> Amendment:
    lock_ledger()
    _require_member(actor, motion.council)
    if motion.status != MotionStatus.TABLED:
        raise RefusedError(
            f"motion {motion.number} is {motion.get_status_display()}: "
            "amendments are taken only before its ballot opens"
        )
    amendment = Amendment.objects.create(
        motion=motion,
        number=_next_number(Amendment.objects.filter(motion=motion)),
        text=_text(text, "text"),
        proposed_by=actor,
        proposed_at=now(),
    )
    append_event(
        "amendment.proposed",
        {
            "council": motion.council.slug,
            "motion": motion.pk,
            "amendment": amendment.number,
            "proposed_by": actor.get_username(),
        },
        seals=[amendment],
    )
    return amendment


@transaction.atomic
def comment(actor: Any, motion: Motion, *, text: str) -> Comment:
    _require_member(actor, motion.council)
    return Comment.objects.create(
        motion=motion, author=actor, text=_text(text, "comment", max_length=5000)
    )


# --- ballots --------------------------------------------------------------------------------


def eligible_memberships(ballot: Ballot) -> QuerySet[Membership]:
    """The roll is closed when the ballot opens: members then, still members or not.

    The vote's own check (:func:`_voting_query`) states the same rule in SQL."""
    return Membership.objects.filter(
        council_id=ballot.motion.council_id, joined_at__lte=ballot.opens_at
    ).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=ballot.opens_at))


def electorate_size(ballot: Ballot) -> int:
    return eligible_memberships(ballot).values("user").distinct().count()


def _ballot_options(motion: Motion, method: str, options: Sequence[str] | None) -> list[str]:
    """The options of a ballot: yes/no/abstain for decisions, candidates for elections."""
    names = [str(option).strip() for option in options or []]
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


@transaction.atomic
def open_ballot(
    actor: Any,
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
    """An officer puts a motion (or an amendment to it) to the vote."""
    lock_ledger()
    _require_officer(actor, motion.council)
    motion = Motion.objects.select_for_update().get(pk=motion.pk)
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
    moment = now()
    opens_at = opens_at or moment
    if closes_at <= opens_at or closes_at <= moment:
        raise InvalidInputError(
            "the ballot must close after it opens and in the future", field="closes_at"
        )
    if not 1 <= max_score <= 100:
        raise InvalidInputError("the highest score is between 1 and 100", field="max_score")
    if amendment is not None:
        if amendment.motion_id != motion.pk or amendment.status != AmendmentStatus.PROPOSED:
            raise InvalidInputError(
                "that amendment is not pending on this motion", field="amendment"
            )
        if method != VotingMethod.MAJORITY:
            raise InvalidInputError(
                "an amendment is decided by a yes/no majority ballot", field="method"
            )
        names = list(MAJORITY_OPTIONS)
    else:
        names = _ballot_options(motion, method, options)
        if motion.kind == MotionKind.ELECTION:
            if motion.delegate_to is not None:
                _require_free_seat(motion.council, motion.delegate_to)
            for name in names:
                if not Membership.objects.filter(
                    council=motion.council, user__username=name, ended_at__isnull=True
                ).exists():
                    raise InvalidInputError(
                        f"candidate {name!r} is not a member of {motion.council.name}",
                        field="options",
                    )
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
    )
    if ballot.opens_at <= moment:
        # The roll closes when the ballot opens, so its size is final from now on; stored, it
        # spares every vote a count of the council's members.
        ballot.electorate = electorate_size(ballot)
        ballot.save(update_fields=["electorate"])
    append_event(
        "ballot.opened",
        {
            "council": motion.council.slug,
            "motion": motion.pk,
            "ballot": ballot.pk,
            "amendment": amendment.number if amendment else None,
            "method": method,
            "options": names,
            "secret": secret,
            "opens_at": ballot.opens_at.isoformat(),
            "closes_at": ballot.closes_at.isoformat(),
            "opened_by": actor.get_username(),
        },
        seals=[ballot, motion],
    )
    return ballot


@dataclass(frozen=True)
class Receipt:
    """Returned to the voter once: the code proves their paper is in the published list."""

    ballot: Ballot
    code: str
    content: Any


def cast_vote(actor: Any, ballot: Ballot | int, content: Any) -> Receipt:
    """Record one member's vote. The roll's unique constraint makes a second vote impossible,
    even when many requests from one member race each other.

    The ballot is not closed here when the last member votes (counting the roll on every vote
    would make each vote slower than the one before): :func:`settle`, which the pages and the
    API call when they show a ballot, closes it then.
    """
    _require_user(actor)
    ballot_id = ballot.pk if isinstance(ballot, Ballot) else ballot
    try:
        with transaction.atomic():
            return _cast_vote(actor, ballot_id, content)
    except IntegrityError as error:
        if VoterRoll.objects.filter(ballot_id=ballot_id, voter=actor).exists():
            raise RefusedError("you have already voted on this ballot") from error
        raise


@cache
def _voting_query() -> str:
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


def _ballot_for_voting(ballot_id: int, actor: Any) -> tuple[Ballot, int, bool]:
    """The ballot, the council that holds it and whether ``actor`` is on its roll, in one query.

    The ballot row is read with a shared lock (PostgreSQL), so that a vote and the close cannot
    interleave: the close's exclusive lock waits for votes in flight, and a vote that arrives
    during the close waits for it and then sees the ballot closed. SQLite runs one writing
    transaction at a time, which gives the same order."""
    with connection.cursor() as cursor:
        cursor.execute(_voting_query(), [actor.pk, ballot_id])
        row = cursor.fetchone()
    if row is None:
        raise NotFoundError(f"there is no ballot {ballot_id}")
    return statements.instance(Ballot, row, connection.alias), row[-2], bool(row[-1])


def _cast_vote(actor: Any, ballot_id: int, content: Any) -> Receipt:
    ballot, council_id, on_roll = _ballot_for_voting(ballot_id, actor)
    if not on_roll:
        council = Council.objects.get(pk=council_id)
        if active_membership(actor, council) is not None:
            raise NotAllowedError(
                f"you joined {council.name} after this ballot opened, so you are not on its roll"
            )
        raise NotAllowedError(f"you are not a member of {council.name}, which holds this ballot")
    moment = now()
    if ballot.closed_at is not None or moment >= ballot.closes_at:
        raise RefusedError(f"this ballot closed at {ballot.closes_at:%Y-%m-%d %H:%M} UTC")
    if moment < ballot.opens_at:
        raise RefusedError(f"this ballot opens at {ballot.opens_at:%Y-%m-%d %H:%M} UTC")
    try:
        normalized = validate_ballot(
            VotingMethod(ballot.method), ballot.options, content, max_score=ballot.max_score
        )
    except BallotError as error:
        raise InvalidInputError(f"ballot paper: {error}", field="content") from error
    statements.insert(VoterRoll(ballot=ballot, voter=actor))
    code = secrets.token_urlsafe(16)
    statements.insert(
        BallotPaper(
            ballot=ballot,
            content=normalized,
            receipt_hash=BallotPaper.hash_receipt(code),
            voter=None if ballot.secret else actor,
        )
    )
    return Receipt(ballot, code, normalized)


def _closing_reason(ballot: Ballot) -> str | None:
    moment = now()
    if moment >= ballot.closes_at:
        return "closing time"
    electorate = ballot.electorate if ballot.electorate is not None else electorate_size(ballot)
    if moment >= ballot.opens_at and ballot.roll.count() >= electorate:
        return "every member on the roll has voted"
    return None


def close_ballot(ballot: Ballot) -> Ballot:
    """Close and tally a ballot whose time is up or whose whole roll has voted."""
    with transaction.atomic():
        lock_ledger()
        ballot = Ballot.objects.select_for_update().get(pk=ballot.pk)
        if ballot.closed_at is not None:
            return ballot
        reason = _closing_reason(ballot)
        if reason is None:
            raise RefusedError(
                f"this ballot closes at {ballot.closes_at:%Y-%m-%d %H:%M} UTC and members on "
                "its roll have still to vote"
            )
        _close(ballot, reason=reason)
        return ballot


def settle(ballot: Ballot) -> Ballot:
    """Close the ballot if it is due (time up, or everyone voted); otherwise leave it open.

    The check runs without locks, so showing an open ballot never waits on the ledger.
    """
    if ballot.closed_at is None and _closing_reason(ballot) is not None:
        return close_ballot(ballot)
    return ballot


def close_due_ballots() -> int:
    """Close every ballot past its closing time; returns how many were closed."""
    closed = 0
    for ballot in Ballot.objects.filter(closed_at__isnull=True, closes_at__lte=now()):
        close_ballot(ballot)
        closed += 1
    return closed


def _close(ballot: Ballot, *, reason: str) -> None:
    motion = Motion.objects.select_for_update().select_related("council").get(pk=ballot.motion_id)
    council = motion.council
    kind = MotionKind.ORDINARY if ballot.amendment_id else MotionKind(motion.kind)
    contents = list(ballot.papers.values_list("content", flat=True))
    electorate = electorate_size(ballot)
    result = tally(
        VotingMethod(ballot.method),
        ballot.options,
        contents,
        electorate=electorate,
        constitution=council.constitution(),
        kind=kind,
        max_score=ballot.max_score,
    )
    ballot.closed_at = now()
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
        _decide_amendment(ballot, motion)
    else:
        _decide_motion(ballot, motion, list(result.winners))


def _decide_amendment(ballot: Ballot, motion: Motion) -> None:
    amendment = Amendment.objects.select_for_update().get(ballots=ballot)
    amendment.status = AmendmentStatus.CARRIED if ballot.carried else AmendmentStatus.DEFEATED
    amendment.save(update_fields=["status"])
    sealed: list[Any] = [amendment]
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


def _decide_motion(ballot: Ballot, motion: Motion, winners: list[str]) -> None:
    carried = bool(ballot.carried)
    if motion.kind == MotionKind.ELECTION and carried and len(winners) != 1:
        carried = False  # a tie elects nobody; the council votes again
    motion.status = MotionStatus.CARRIED if carried else MotionStatus.DEFEATED
    motion.decided_at = now()
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
        _apply_demand_decision(motion, ballot, carried)
    if carried and motion.kind == MotionKind.ELECTION:
        _elect(motion, ballot, winners[0])
    elif carried and motion.kind == MotionKind.RECALL:
        _recall(motion)
    elif carried and motion.kind == MotionKind.CONSTITUTION:
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
    motion_decided.send(
        sender=Motion, motion=motion, ballot=ballot, carried=carried, winners=winners
    )


def _elect(motion: Motion, ballot: Ballot, winner: str) -> None:
    membership = (
        Membership.objects.select_related("user")
        .filter(council=motion.council, user__username=winner, ended_at__isnull=True)
        .first()
    )
    if membership is None:
        return  # the candidate left the council during the ballot: nobody takes the mandate
    mandate = Mandate.objects.create(
        council=motion.council,
        delegate=membership.user,
        body=motion.delegate_to,
        instructions=motion.mandate_instructions,
        election_ballot=ballot,
        started_at=now(),
    )
    append_event(
        "delegate.elected",
        {
            "council": motion.council.slug,
            "delegate": winner,
            "mandate": mandate.pk,
            "body": motion.delegate_to.slug if motion.delegate_to else None,
            "instructions": motion.mandate_instructions,
            "motion": motion.pk,
        },
        seals=[mandate],
    )
    if (
        motion.delegate_to is not None
        and active_membership(membership.user, motion.delegate_to) is None
    ):
        _join(
            membership.user,
            motion.delegate_to,
            Role.DELEGATE,
            represents=motion.council,
            how=f"elected by {motion.council.slug}",
        )


def _recall(motion: Motion) -> None:
    mandate = Mandate.objects.select_for_update().get(recall_motions=motion)
    if mandate.ended_at is not None:
        return
    moment = now()
    mandate.ended_at = moment
    mandate.end_reason = MandateEnd.RECALLED
    mandate.ended_by = motion
    mandate.save(update_fields=["ended_at", "end_reason", "ended_by"])
    sealed: list[Any] = [mandate]
    if mandate.body is not None:
        seat = Membership.objects.filter(
            council=mandate.body,
            user=mandate.delegate,
            represents=mandate.council,
            ended_at__isnull=True,
        ).first()
        still_mandated = Mandate.objects.filter(
            council=mandate.council,
            delegate=mandate.delegate,
            body=mandate.body,
            ended_at__isnull=True,
        ).exists()
        if seat is not None and not still_mandated:
            seat.ended_at = moment
            seat.save(update_fields=["ended_at"])
            sealed.append(seat)
    append_event(
        "delegate.recalled",
        {
            "council": mandate.council.slug,
            "delegate": mandate.delegate.get_username(),
            "mandate": mandate.pk,
            "motion": motion.pk,
        },
        seals=sealed,
    )


# --- demands --------------------------------------------------------------------------------


def _set_demand_status(
    demand: Demand,
    status: str,
    *,
    reason: str = "",
    motion: Motion | None = None,
    actor: Any = None,
) -> DemandStatusChange:
    demand.status = status
    demand.save()
    change = DemandStatusChange.objects.create(
        demand=demand,
        status=status,
        reason=reason,
        motion=motion,
        changed_by=actor,
        changed_at=now(),
    )
    append_event(
        "demand.status_changed",
        {
            "council": demand.council.slug,
            "demand": demand.pk,
            "number": demand.number,
            "status": status,
            "reason": reason,
            "motion": motion.pk if motion else None,
            "responsible_body": demand.responsible_body.slug if demand.responsible_body else None,
        },
        seals=[demand, change],
    )
    return change


@transaction.atomic
def raise_demand(
    actor: Any,
    council: Council,
    *,
    title: str,
    description: str = "",
    category: str = DemandCategory.OTHER,
    responsible_body: Council | None = None,
) -> Demand:
    """A member raises a demand, which also tables the motion to adopt it."""
    lock_ledger()
    _require_member(actor, council)
    if category not in DemandCategory.values:
        raise InvalidInputError(
            f"category {category!r} is not one of {', '.join(DemandCategory.values)}",
            field="category",
        )
    demand = Demand.objects.create(
        council=council,
        number=_next_number(Demand.objects.filter(council=council)),
        title=_text(title, "title", max_length=200),
        description=_text(description, "description", required=False),
        category=category,
        raised_by=actor,
        raised_at=now(),
    )
    _set_demand_status(demand, DemandStatus.RAISED, reason="raised by a member", actor=actor)
    table_motion(
        actor,
        council,
        title=f"Adopt demand {demand.number}: {demand.title}"[:200],
        text=demand.description or demand.title,
        demand=demand,
        demand_action=DemandAction.ADOPT,
        responsible_body=responsible_body or council,
    )
    return demand


def _apply_demand_decision(motion: Motion, ballot: Ballot, carried: bool) -> None:
    demand = Demand.objects.select_for_update().get(motions=motion)
    result = ballot.result or {}
    if motion.demand_action == DemandAction.ADOPT:
        if carried:
            demand.responsible_body = motion.responsible_body
            _set_demand_status(
                demand,
                DemandStatus.OPEN,
                motion=motion,
                reason=f"adopted by motion {motion.number}",
            )
        else:
            _set_demand_status(
                demand,
                DemandStatus.REJECTED,
                motion=motion,
                reason=f"motion {motion.number} to adopt it was defeated "
                f"(counts {result.get('counts')}, quorum met: {result.get('quorum_met')})",
            )
    elif carried and motion.demand_action == DemandAction.REJECT:
        _set_demand_status(demand, DemandStatus.REJECTED, motion=motion, reason=motion.text)
    elif carried and motion.demand_action == DemandAction.FULFIL:
        _set_demand_status(
            demand,
            DemandStatus.FULFILLED,
            motion=motion,
            reason=f"declared fulfilled by motion {motion.number}",
        )


@transaction.atomic
def put_demand_in_plan(actor: Any, demand: Demand, *, note: str) -> DemandStatusChange:
    """An officer of the responsible body records that the plan now provides for the demand.

    Only the council's vote can declare it fulfilled.
    """
    lock_ledger()
    demand = Demand.objects.select_for_update().select_related("council").get(pk=demand.pk)
    if demand.responsible_body is None or demand.status != DemandStatus.OPEN:
        raise RefusedError(
            f"demand {demand.number} is {demand.get_status_display()}: only an open "
            "demand can enter the plan"
        )
    _require_officer(actor, demand.responsible_body)
    return _set_demand_status(
        demand, DemandStatus.IN_PLAN, actor=actor, reason=_text(note, "note", max_length=1000)
    )
