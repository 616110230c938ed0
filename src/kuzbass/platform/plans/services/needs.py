"""Needs: what each consumer council asks of the plan, for which use, and the demand it carries."""

from django.db import transaction

from kuzbass.ledger import float_text
from kuzbass.platform.core import clock
from kuzbass.platform.core.actors import Visitor, require_user
from kuzbass.platform.core.checks import check_council_kind, check_number, check_text
from kuzbass.platform.core.errors import InvalidInputError, RefusedError
from kuzbass.platform.core.permissions import require_officer
from kuzbass.platform.councils.models import Council, CouncilKind, Demand, DemandStatus
from kuzbass.platform.ledger.services import append_event, lock_ledger
from kuzbass.platform.plans.models import Need, Product
from kuzbass.platform.plans.services.catalogue import congress
from kuzbass.platform.plans.services.matters import DEFAULT_USES, priority_classes
from kuzbass.platform.plans.services.rounds import check_proposal_window, open_round


@transaction.atomic
def submit_need(
    actor: Visitor,
    council: Council,
    *,
    product: str,
    quantity: float,
    use: str = "basic needs",
    demand: Demand | None = None,
) -> Need:
    """A consumer council's officer submits (or revises) a need for the period.

    A need that comes from an adopted demand names it; the demand enters the plan only when the
    congress adopts a version that includes the need (:func:`follow_adoption`).
    """
    actor = require_user(actor)
    lock_ledger()
    require_officer(actor, council)
    check_council_kind(council, CouncilKind.CONSUMER, "submits needs")
    check_proposal_window()
    amount = check_number(quantity, "quantity", allow_zero=True)
    use = check_text(use, "use", max_length=80)
    classes = priority_classes(congress()) or DEFAULT_USES
    if use not in classes:
        raise InvalidInputError(
            f"use {use!r} is not one of the priority classes ({', '.join(classes)})", field="use"
        )
    found = Product.objects.filter(name=(product or "").strip()).first()
    if found is None:
        raise InvalidInputError(
            f"unknown product {product!r} (not in the congress's catalogue)", field="product"
        )
    if demand is not None:
        demand = Demand.objects.select_related("council", "responsible_body").get(pk=demand.pk)
        if council.pk not in (demand.council_id, demand.responsible_body_id):
            raise InvalidInputError(
                f"demand {demand.number} of {demand.council.name} is not "
                f"{council.name}'s to put in the plan",
                field="demand",
            )
        if demand.status not in (DemandStatus.OPEN, DemandStatus.IN_PLAN):
            raise RefusedError(
                f"demand {demand.number} is {demand.get_status_display()}: only an "
                "adopted (open) demand can become a need",
                field="demand",
            )
    need, created = Need.objects.update_or_create(
        council=council,
        product=found,
        use=use,
        defaults={
            "quantity": amount,
            "submitted_by": actor,
            "submitted_at": clock.now(),
            "withdrawn_at": None,
            **({"demand": demand} if demand is not None else {}),
        },
    )
    current = open_round()
    append_event(
        "plan.need_submitted",
        {
            "council": council.slug,
            "product": found.name,
            "use": use,
            "quantity": float_text(amount),
            "demand": demand.pk if demand else None,
            "revision": not created,
            "by": actor.get_username(),
            "round": current.number if current else None,
        },
        seals=[need],
    )
    return need


@transaction.atomic
def withdraw_need(actor: Visitor, need: Need) -> Need:
    """A consumer council's officer withdraws a need; the row stays, marked, as the ledger's seal
    of it must still verify (submitting the need again brings it back)."""
    actor = require_user(actor)
    lock_ledger()
    need = Need.objects.select_related("council", "product").get(pk=need.pk)
    require_officer(actor, need.council)
    check_proposal_window()
    if need.withdrawn_at is not None:
        raise RefusedError(f"the need for {need.product.name} ({need.use}) is already withdrawn")
    if need.demand_id is not None:
        raise RefusedError("this need carries an adopted demand; set its quantity instead")
    need.withdrawn_at = clock.now()
    need.save(update_fields=["withdrawn_at"])
    append_event(
        "plan.need_withdrawn",
        {
            "council": need.council.slug,
            "product": need.product.name,
            "use": need.use,
            "by": actor.get_username(),
        },
        seals=[need],
    )
    return need
