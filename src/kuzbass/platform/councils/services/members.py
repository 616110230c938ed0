"""Seats in councils: invitations, open sign-up, officers, and the administrator's bootstrap."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from kuzbass.platform.core import clock
from kuzbass.platform.core.actors import Actor, Visitor, require_user
from kuzbass.platform.core.checks import check_text
from kuzbass.platform.core.errors import InvalidInputError, NotAllowedError, RefusedError
from kuzbass.platform.core.permissions import active_membership, require_officer
from kuzbass.platform.core.usernames import check_username
from kuzbass.platform.councils.models import Council, Invitation, Membership, Role
from kuzbass.platform.ledger.services import append_event, lock_ledger

INVITATION_LIFETIME = timedelta(days=14)


def seat(
    user: Actor, council: Council, role: str, *, represents: Council | None = None, how: str
) -> Membership:
    """Give ``user`` a seat and record it; the caller holds the ledger lock and has checked
    that the seat is theirs to take."""
    if active_membership(user, council) is not None:
        raise RefusedError(f"{user.get_username()} is already a member of {council.name}")
    membership = Membership.objects.create(
        user=user, council=council, role=role, represents=represents, joined_at=clock.now()
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
    user: Actor, council: Council, role: str, *, represents: Council | None = None, how: str
) -> Membership:
    """Seat someone without an invitation: the administrator's bootstrap (a scenario, a seed).

    The seat is public like every other: the ledger records it with ``how``."""
    lock_ledger()
    return seat(user, council, role, represents=represents, how=how)


@transaction.atomic
def appoint_officer(user: Actor, council: Council) -> Membership:
    """Make someone an officer (the administrator's bootstrap for a new council)."""
    lock_ledger()
    membership = active_membership(user, council)
    if membership is None:
        return seat(user, council, Role.OFFICER, how="appointed by the administrator")
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
    actor: Visitor, council: Council, *, role: str = Role.MEMBER, note: str = ""
) -> IssuedInvitation:
    """An officer invites someone; the token goes into the invitation link."""
    lock_ledger()
    actor = require_user(actor)
    require_officer(actor, council)
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
        note=check_text(note, "note", max_length=200, required=False),
        token_hash=Invitation.hash_token(token),
        invited_by=actor,
        expires_at=clock.now() + INVITATION_LIFETIME,
    )
    append_event(
        "member.invited",
        {"council": council.slug, "role": role, "invited_by": actor.get_username()},
    )
    return IssuedInvitation(invitation, token)


def find_invitation(token: str) -> Invitation:
    """The invitation a link's token opens, or why it opens nothing."""
    invitation = (
        Invitation.objects.select_related("council")
        .filter(token_hash=Invitation.hash_token(token or ""))
        .first()
    )
    if invitation is None:
        raise InvalidInputError("this invitation link is not valid", field="token")
    if invitation.accepted_at is not None:
        raise RefusedError("this invitation has already been used")
    if invitation.expires_at <= clock.now():
        raise RefusedError("this invitation has expired; ask an officer for a new one")
    return invitation


@transaction.atomic
def accept_invitation(token: str, user: Visitor) -> Membership:
    """The invited person (logged in, possibly just registered) joins the council."""
    lock_ledger()
    actor = require_user(user)
    invitation = find_invitation(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise RefusedError("this invitation has already been used")
    invitation.accepted_at = clock.now()
    invitation.accepted_by = actor
    invitation.save(update_fields=["accepted_at", "accepted_by"])  # before the event sealing it
    return seat(actor, invitation.council, invitation.role, how="invitation")


@transaction.atomic
def register_and_accept(token: str, *, username: str, password: str, email: str = "") -> Membership:
    """Create an account from an invitation link and join the council, all or nothing."""
    find_invitation(token)
    user = get_user_model()(username=check_username(username), email=email)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise InvalidInputError(" ".join(error.messages), field="password") from error
    user.set_password(password)
    user.save()
    return accept_invitation(token, user)


@transaction.atomic
def join_open_council(visitor: Visitor, council: Council) -> Membership:
    """Anyone logged in joins a council that admits members without an invitation."""
    lock_ledger()
    actor = require_user(visitor)
    if not council.open_signup or council.is_council_of_councils:
        raise NotAllowedError(f"{council.name} admits members by invitation only")
    return seat(actor, council, Role.MEMBER, how="open sign-up")
