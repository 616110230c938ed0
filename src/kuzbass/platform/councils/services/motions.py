"""Motions: tabling them (what each kind changes when carried), amendments and discussion."""

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet

from kuzbass.democracy import MotionKind
from kuzbass.platform.core import clock
from kuzbass.platform.core.actors import Visitor, require_user
from kuzbass.platform.core.checks import DESCRIPTION_LENGTH, check_text
from kuzbass.platform.core.errors import InvalidInputError, RefusedError
from kuzbass.platform.core.permissions import require_member
from kuzbass.platform.councils.models import (
    Affiliation,
    Amendment,
    Comment,
    Council,
    Demand,
    DemandAction,
    DemandStatus,
    Mandate,
    Motion,
    MotionStatus,
)
from kuzbass.platform.councils.services.councils import check_constitution
from kuzbass.platform.councils.services.delegates import check_free_seat
from kuzbass.platform.ledger.services import append_event, lock_ledger


def next_number(query: QuerySet[Any]) -> int:
    """The next number in a council's series (motions, demands, amendments)."""
    return (query.aggregate(top=Max("number"))["top"] or 0) + 1


@dataclass(frozen=True)
class MotionSubject:
    """What a motion changes if carried, beyond its text; each kind uses its own fields."""

    demand: Demand | None = None
    demand_action: str = ""
    responsible_body: Council | None = None
    mandate: Mandate | None = None
    proposed_constitution: dict[str, Any] | None = None
    delegate_to: Council | None = None
    mandate_instructions: str = ""


def check_recall(council: Council, mandate: Mandate | None) -> None:
    if mandate is None or mandate.council_id != council.pk:
        raise InvalidInputError(
            f"a recall motion names a mandate given by {council.name}", field="mandate"
        )
    if mandate.ended_at is not None:
        raise RefusedError(
            f"the mandate of {mandate.delegate.get_username()} has already ended",
            field="mandate",
        )


def check_election(council: Council, delegate_to: Council | None, instructions: str) -> str:
    """The mandate's clean instructions, or why the election cannot be held."""
    instructions = check_text(instructions, "mandate_instructions", max_length=DESCRIPTION_LENGTH)
    if delegate_to is not None:
        if not Affiliation.objects.filter(
            body=delegate_to, member_council=council, ended_at__isnull=True
        ).exists():
            raise InvalidInputError(
                f"{council.name} is not a member of {delegate_to.name}", field="delegate_to"
            )
        check_free_seat(council, delegate_to)
    return instructions


def check_demand_motion(
    council: Council, demand: Demand, action: str, responsible_body: Council | None
) -> None:
    """Refuse a motion on a demand that its status or the action does not allow."""
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


def check_motion(council: Council, kind: str, subject: MotionSubject) -> MotionSubject:
    """The subject with clean values, or the reason the motion cannot be tabled as it is."""
    if kind not in MotionKind._value2member_map_:
        raise InvalidInputError(
            f"kind {kind!r} is not one of {', '.join(k.value for k in MotionKind)}", field="kind"
        )
    if kind == MotionKind.RECALL:
        check_recall(council, subject.mandate)
    elif subject.mandate is not None:
        raise InvalidInputError("only a recall motion names a mandate", field="mandate")
    constitution = subject.proposed_constitution
    if kind == MotionKind.CONSTITUTION:
        if constitution is None:
            raise InvalidInputError(
                "a constitution motion proposes the new constitution", field="proposed_constitution"
            )
        constitution = check_constitution(constitution, "proposed_constitution").to_dict()
    elif constitution is not None:
        raise InvalidInputError(
            "only a constitution motion proposes a constitution", field="proposed_constitution"
        )
    instructions = subject.mandate_instructions
    if kind == MotionKind.ELECTION:
        instructions = check_election(council, subject.delegate_to, instructions)
    elif subject.delegate_to is not None or instructions:
        raise InvalidInputError("only an election motion carries a mandate", field="delegate_to")
    if subject.demand is not None:
        check_demand_motion(
            council, subject.demand, subject.demand_action, subject.responsible_body
        )
        if kind != MotionKind.ORDINARY:
            raise InvalidInputError("a motion on a demand is an ordinary motion", field="kind")
    elif subject.demand_action or subject.responsible_body is not None:
        raise InvalidInputError("a demand action needs a demand", field="demand")
    return MotionSubject(
        demand=subject.demand,
        demand_action=subject.demand_action,
        responsible_body=subject.responsible_body,
        mandate=subject.mandate,
        proposed_constitution=constitution,
        delegate_to=subject.delegate_to,
        mandate_instructions=instructions,
    )


@transaction.atomic
def table_motion(
    actor: Visitor,
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
    actor = require_user(actor)
    lock_ledger()
    require_member(actor, council)
    subject = check_motion(
        council,
        kind,
        MotionSubject(
            demand=demand,
            demand_action=demand_action,
            responsible_body=responsible_body,
            mandate=mandate,
            proposed_constitution=proposed_constitution,
            delegate_to=delegate_to,
            mandate_instructions=mandate_instructions,
        ),
    )
    title = check_text(title, "title", max_length=200)
    text = check_text(text, "text")
    motion = Motion.objects.create(
        council=council,
        number=next_number(Motion.objects.filter(council=council)),
        kind=kind,
        title=title,
        text=text,
        tabled_by=actor,
        tabled_at=clock.now(),
        demand=subject.demand,
        demand_action=subject.demand_action,
        responsible_body=subject.responsible_body,
        mandate=subject.mandate,
        proposed_constitution=subject.proposed_constitution,
        delegate_to=subject.delegate_to,
        mandate_instructions=subject.mandate_instructions,
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


@transaction.atomic
def propose_amendment(actor: Visitor, motion: Motion, *, text: str) -> Amendment:
    """A member proposes a new text for a motion, before its ballot opens."""
    actor = require_user(actor)
    lock_ledger()
    require_member(actor, motion.council)
    if motion.status != MotionStatus.TABLED:
        raise RefusedError(
            f"motion {motion.number} is {motion.get_status_display()}: "
            "amendments are taken only before its ballot opens"
        )
    amendment = Amendment.objects.create(
        motion=motion,
        number=next_number(Amendment.objects.filter(motion=motion)),
        text=check_text(text, "text"),
        proposed_by=actor,
        proposed_at=clock.now(),
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
def comment(actor: Visitor, motion: Motion, *, text: str) -> Comment:
    """A member adds to the discussion of a motion."""
    lock_ledger()
    actor = require_user(actor)
    require_member(actor, motion.council)
    remark = Comment.objects.create(
        motion=motion, author=actor, text=check_text(text, "comment", max_length=DESCRIPTION_LENGTH)
    )
    append_event(
        "motion.commented",
        {
            "council": motion.council.slug,
            "motion": motion.pk,
            "author": actor.get_username(),
            "text_sha256": hashlib.sha256(remark.text.encode()).hexdigest(),
        },
    )
    return remark
