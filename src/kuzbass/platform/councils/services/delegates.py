"""Delegates: the seats each council holds in a federation or the congress, election and recall.

A delegate carries the mandate their council voted; the council can recall them at any time by
a recall motion, which ends the mandate and the seat it gave in the same transaction.
"""

from kuzbass.democracy import apportion_seats
from kuzbass.platform.core import clock
from kuzbass.platform.core.errors import RefusedError
from kuzbass.platform.core.permissions import active_membership
from kuzbass.platform.councils.models import (
    Ballot,
    Council,
    Mandate,
    MandateEnd,
    Membership,
    Motion,
    Role,
)
from kuzbass.platform.councils.services.members import seat
from kuzbass.platform.ledger.models import Sealed
from kuzbass.platform.ledger.services import append_event


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


def check_free_seat(council: Council, body: Council) -> None:
    """Refuse an election when ``council`` already fills its seats in ``body``."""
    seats = seat_allocation(body).get(council.slug, 0)
    held = Mandate.objects.filter(council=council, body=body, ended_at__isnull=True).count()
    if held >= seats:
        raise RefusedError(
            f"{council.name} already fills its {seats} seat(s) in {body.name}; "
            "recalling a delegate frees one",
            field="delegate_to",
        )


def elect(motion: Motion, ballot: Ballot, winner: str) -> None:
    """Give the winner of a carried election the mandate and, in a body, the seat."""
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
        started_at=clock.now(),
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
        seat(
            membership.user,
            motion.delegate_to,
            Role.DELEGATE,
            represents=motion.council,
            how=f"elected by {motion.council.slug}",
        )


def recall(motion: Motion) -> None:
    """End the mandate a carried recall motion names, and the seat it gave."""
    mandate = Mandate.objects.select_for_update().get(recall_motions=motion)
    if mandate.ended_at is not None:
        return
    moment = clock.now()
    mandate.ended_at = moment
    mandate.end_reason = MandateEnd.RECALLED
    mandate.ended_by = motion
    mandate.save(update_fields=["ended_at", "end_reason", "ended_by"])
    sealed: list[Sealed] = [mandate]
    if mandate.body is not None:
        body_seat = Membership.objects.filter(
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
        if body_seat is not None and not still_mandated:
            body_seat.ended_at = moment
            body_seat.save(update_fields=["ended_at"])
            sealed.append(body_seat)
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
