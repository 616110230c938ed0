"""Petitions: members force a ballot on a motion without an officer.

Officers open ballots, so an officer could stall a motion against themselves (their recall, say)
by never opening its ballot. A petition signed by the council's ``petition_share`` of its
members (a constitutional setting, 1/5 by default) opens a secret yes/no ballot on the motion
at once, running ``PETITION_BALLOT_DAYS`` days; the member whose signature completes the
petition is recorded as having opened it.
"""

import math
from datetime import timedelta
from fractions import Fraction

from django.db import IntegrityError, transaction

from kuzbass.democracy import MotionKind
from kuzbass.platform.core import clock
from kuzbass.platform.core.actors import Visitor, require_user
from kuzbass.platform.core.errors import RefusedError
from kuzbass.platform.core.permissions import require_member
from kuzbass.platform.councils.models import (
    Ballot,
    Membership,
    Motion,
    MotionStatus,
    Petition,
    PetitionSignature,
)
from kuzbass.platform.councils.services.ballots import start_ballot
from kuzbass.platform.ledger.services import append_event, lock_ledger

PETITION_BALLOT_DAYS = 7


def signatures_needed(motion: Motion) -> int:
    """The council's petition share of its members now, rounded up (at least one)."""
    members = (
        Membership.objects.filter(council_id=motion.council_id, ended_at__isnull=True)
        .values("user")
        .distinct()
        .count()
    )
    return max(1, math.ceil(Fraction(motion.council.petition_share) * members))


def check_petition(motion: Motion) -> None:
    if motion.kind == MotionKind.ELECTION:
        raise RefusedError("an election's candidates are set by an officer: it has no petition")
    if motion.status != MotionStatus.TABLED:
        raise RefusedError(
            f"motion {motion.number} is {motion.get_status_display()}: there is nothing to "
            "petition for"
        )
    if Ballot.objects.filter(motion=motion, closed_at__isnull=True).exists():
        raise RefusedError(f"motion {motion.number} already has a ballot open")


@transaction.atomic
def sign_petition(visitor: Visitor, motion: Motion) -> Petition:
    """A member signs the petition for a ballot on ``motion``; the signature that reaches the
    needed number opens the ballot. The number is fixed when the first member signs."""
    actor = require_user(visitor)
    lock_ledger()
    motion = Motion.objects.select_for_update().select_related("council").get(pk=motion.pk)
    require_member(actor, motion.council)
    check_petition(motion)
    petition, _ = Petition.objects.get_or_create(
        motion=motion, defaults={"needed": signatures_needed(motion)}
    )
    if petition.ballot_id is not None:
        raise RefusedError("this petition has already opened its ballot")
    try:
        with transaction.atomic():
            PetitionSignature.objects.create(petition=petition, signer=actor)
    except IntegrityError as error:
        raise RefusedError("you have already signed this petition") from error
    signed = petition.signatures.count()
    if signed >= petition.needed:
        petition.ballot = start_ballot(
            actor, motion, closes_at=clock.now() + timedelta(days=PETITION_BALLOT_DAYS)
        )
        petition.save(update_fields=["ballot"])
    append_event(
        "petition.signed",
        {
            "council": motion.council.slug,
            "motion": motion.pk,
            "signer": actor.get_username(),
            "signatures": signed,
            "needed": petition.needed,
            "ballot": petition.ballot_id,
        },
        seals=[petition],
    )
    return petition
