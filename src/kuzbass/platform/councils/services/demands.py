"""Demands: raised by members, adopted by vote, kept in public until the council votes them met."""

from django.db import transaction

from kuzbass.platform.core import clock
from kuzbass.platform.core.actors import Actor, Visitor, require_user
from kuzbass.platform.core.checks import DESCRIPTION_LENGTH, check_text
from kuzbass.platform.core.errors import InvalidInputError, RefusedError
from kuzbass.platform.core.permissions import require_member, require_officer
from kuzbass.platform.councils.models import (
    Ballot,
    Council,
    Demand,
    DemandAction,
    DemandCategory,
    DemandStatus,
    DemandStatusChange,
    Motion,
)
from kuzbass.platform.councils.services.motions import next_number, table_motion
from kuzbass.platform.ledger.services import append_event, lock_ledger


def set_demand_status(
    demand: Demand,
    status: str,
    *,
    reason: str = "",
    motion: Motion | None = None,
    actor: Actor | None = None,
) -> DemandStatusChange:
    """Move a demand to ``status`` and add the step to its public history."""
    demand.status = status
    demand.save()
    change = DemandStatusChange.objects.create(
        demand=demand,
        status=status,
        reason=reason,
        motion=motion,
        changed_by=actor,
        changed_at=clock.now(),
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
    actor: Visitor,
    council: Council,
    *,
    title: str,
    description: str = "",
    category: str = DemandCategory.OTHER,
    responsible_body: Council | None = None,
) -> Demand:
    """A member raises a demand, which also tables the motion to adopt it."""
    actor = require_user(actor)
    lock_ledger()
    require_member(actor, council)
    if category not in DemandCategory.values:
        raise InvalidInputError(
            f"category {category!r} is not one of {', '.join(DemandCategory.values)}",
            field="category",
        )
    demand = Demand.objects.create(
        council=council,
        number=next_number(Demand.objects.filter(council=council)),
        title=check_text(title, "title", max_length=200),
        description=check_text(
            description, "description", max_length=DESCRIPTION_LENGTH, required=False
        ),
        category=category,
        raised_by=actor,
        raised_at=clock.now(),
    )
    set_demand_status(demand, DemandStatus.RAISED, reason="raised by a member", actor=actor)
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


def apply_demand_decision(motion: Motion, ballot: Ballot, carried: bool) -> None:
    """What a decided motion on a demand does to it (adopt, reject, declare fulfilled)."""
    demand = Demand.objects.select_for_update().get(motions=motion)
    result = ballot.result or {}
    if motion.demand_action == DemandAction.ADOPT:
        if carried:
            demand.responsible_body = motion.responsible_body
            set_demand_status(
                demand,
                DemandStatus.OPEN,
                motion=motion,
                reason=f"adopted by motion {motion.number}",
            )
        else:
            set_demand_status(
                demand,
                DemandStatus.REJECTED,
                motion=motion,
                reason=f"motion {motion.number} to adopt it was defeated "
                f"(counts {result.get('counts')}, quorum met: {result.get('quorum_met')})",
            )
    elif carried and motion.demand_action == DemandAction.REJECT:
        set_demand_status(demand, DemandStatus.REJECTED, motion=motion, reason=motion.text)
    elif carried and motion.demand_action == DemandAction.FULFIL:
        set_demand_status(
            demand,
            DemandStatus.FULFILLED,
            motion=motion,
            reason=f"declared fulfilled by motion {motion.number}",
        )


@transaction.atomic
def put_demand_in_plan(actor: Visitor, demand: Demand, *, note: str) -> DemandStatusChange:
    """An officer of the responsible body records that the plan now provides for the demand.

    Only the council's vote can declare it fulfilled.
    """
    actor = require_user(actor)
    lock_ledger()
    demand = Demand.objects.select_for_update().select_related("council").get(pk=demand.pk)
    if demand.responsible_body is None or demand.status != DemandStatus.OPEN:
        raise RefusedError(
            f"demand {demand.number} is {demand.get_status_display()}: only an open "
            "demand can enter the plan"
        )
    require_officer(actor, demand.responsible_body)
    return set_demand_status(
        demand, DemandStatus.IN_PLAN, actor=actor, reason=check_text(note, "note", max_length=1000)
    )
