"""Participatory rounds: the congress publishes prices, every council answers with its proposal,
and the facilitation rule moves each price toward balance (Albert and Hahnel's procedure)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Max

from kuzbass.economy.model import LABOUR
from kuzbass.ledger import float_text, floats_as_text
from kuzbass.platform.core import clock, tasks
from kuzbass.platform.core.actors import Actor, Visitor, require_user
from kuzbass.platform.core.checks import check_council_kind, check_number
from kuzbass.platform.core.errors import InvalidInputError, RefusedError
from kuzbass.platform.core.permissions import require_officer
from kuzbass.platform.councils.models import Council, CouncilKind
from kuzbass.platform.ledger.services import append_event, lock_ledger
from kuzbass.platform.plans.models import ParticipatoryRound, Proposal
from kuzbass.platform.plans.services.matters import planning_rules
from kuzbass.platform.plans.services.proposal_versions import proposals_plan
from kuzbass.platform.plans.services.proposals import (
    round_goods,
    seed_from_declarations,
    standing_proposals,
)
from kuzbass.platform.plans.services.versions import latest_draft, store_version


def check_proposal_window() -> None:
    """Revisions are welcome at any time except between an open round's deadline and its close."""
    late = ParticipatoryRound.objects.filter(
        closed_at__isnull=True, deadline__lte=clock.now()
    ).first()
    if late is not None:
        raise RefusedError(
            f"participatory round {late.number} closed for proposals at "
            f"{late.deadline:%Y-%m-%d %H:%M} UTC; proposals reopen with the next round"
        )


def open_round() -> ParticipatoryRound | None:
    return ParticipatoryRound.objects.filter(closed_at__isnull=True).first()


@transaction.atomic
def open_participatory_round(
    actor: Visitor,
    congress: Council,
    *,
    deadline: datetime,
    prices: Mapping[str, float] | None = None,
) -> ParticipatoryRound:
    """Open a new series of rounds at ``prices`` (hours per unit, by good), or else at the
    latest draft's labour values (1 hour for a good without one); councils propose until
    ``deadline``. A council without a proposal yet proposes what it has declared."""
    actor = require_user(actor)
    from kuzbass.planning.participatory import START_PD

    lock_ledger()
    require_officer(actor, congress)
    check_council_kind(congress, CouncilKind.CONGRESS, "holds participatory rounds")
    if open_round() is not None:
        raise RefusedError("a participatory round is already open")
    if deadline <= clock.now():
        raise InvalidInputError("the deadline must be in the future", field="deadline")
    names = round_goods().names
    if not names:
        raise RefusedError("register products first: the rounds price the catalogue's goods")
    draft = latest_draft(congress)
    values = (
        {p["product"]: p["labour_value"] for p in draft.plan_content["products"]} if draft else {}
    )
    given = dict(prices or {})
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise InvalidInputError(
            f"prices: {', '.join(map(repr, unknown[:5]))} not a good with a price", field="prices"
        )
    start: dict[str, float] = {}
    for name in names:
        if name in given:
            start[name] = check_number(given[name], f"price of {name}")
        else:
            value = values.get(name)
            start[name] = float(value) if value and value > 0 and name != LABOUR else 1.0
    series = (
        ParticipatoryRound.objects.filter(congress=congress).aggregate(top=Max("series"))["top"]
        or 0
    ) + 1
    opened = _open(congress, series, 1, deadline, start, dict.fromkeys(start, START_PD), actor)
    seed_from_declarations(opened, actor)
    return opened


def _open(
    congress: Council,
    series: int,
    number: int,
    deadline: datetime,
    prices: dict[str, float],
    previous_pd: dict[str, float],
    actor: Actor,
) -> ParticipatoryRound:
    participatory = ParticipatoryRound.objects.create(
        congress=congress,
        series=series,
        number=number,
        opened_by=actor,
        opened_at=clock.now(),
        deadline=deadline,
        prices=prices,
        previous_pd=previous_pd,
    )
    append_event(
        "plan.round_opened",
        {
            "congress": congress.slug,
            "series": series,
            "round": number,
            "deadline": deadline.isoformat(),
            "prices": floats_as_text(prices),
            "by": actor.get_username(),
        },
        seals=[participatory],
    )
    tasks.wake_at(deadline)  # the task worker closes it then (close_due_rounds)
    return participatory


def close_participatory_round(
    actor: Visitor, participatory: ParticipatoryRound
) -> ParticipatoryRound:
    """An officer of the congress closes a round after its deadline (:func:`close_round`)."""
    actor = require_user(actor)
    require_officer(actor, participatory.congress)
    return close_round(participatory, actor)


def close_due_rounds() -> int:
    """Close every open round whose deadline has passed (for the task runner and
    ``kuzbass platform close-due``); returns how many were closed."""
    closed = 0
    for participatory in ParticipatoryRound.objects.filter(
        closed_at__isnull=True, deadline__lte=clock.now()
    ).select_related("congress", "opened_by"):
        try:
            close_round(participatory, participatory.opened_by)
        except RefusedError:
            continue  # closed meanwhile by an officer
        closed += 1
    return closed


def close_round(participatory: ParticipatoryRound, actor: Actor | None) -> ParticipatoryRound:
    """Tally every council's standing proposal (one that did not answer keeps its last), move
    the prices by the facilitation rule of ``kuzbass simulate participatory``, store the plan
    version the proposals make, and open the next round unless every good is within the
    congress's tolerance or the round limit is reached. ``actor`` is who closes (for the task
    runner, the officer who opened the series)."""
    from kuzbass.planning.participatory import GoodKind, facilitation_round

    if actor is None:
        raise RefusedError(f"round {participatory.number} has no officer to close it")
    congress = participatory.congress
    if participatory.closed_at is not None:
        raise RefusedError(f"round {participatory.number} is already closed")
    if clock.now() < participatory.deadline:
        raise RefusedError(
            f"round {participatory.number} takes proposals until "
            f"{participatory.deadline:%Y-%m-%d %H:%M} UTC"
        )
    rules = planning_rules(congress)
    goods = round_goods()
    names, kinds = goods.names, goods.kinds
    prices = np.array([participatory.prices.get(n, 1.0) for n in names], dtype=float)
    pd_before = np.array([participatory.previous_pd.get(n, 0.25) for n in names], dtype=float)
    standing = standing_proposals(goods)
    update = facilitation_round(
        goods.goods(prices), prices, standing.proposals(), pd_before, rules["tolerance_percent"]
    )
    new_prices = {n: float(p) for n, p in zip(names, update.prices, strict=True)}
    outcome: dict[str, Any] = {
        "goods": [
            {
                "good": n,
                "unit": u,
                "kind": GoodKind(int(k)).name.lower(),
                "price": float(p),
                "supply": float(s),
                "demand": float(d),
                "surplus": float(x),
                "imbalance_percent": float(r),
                "new_price": float(q),
            }
            for n, u, k, p, s, d, x, r, q in zip(
                names,
                goods.units,
                kinds,
                prices,
                update.supply,
                update.demand,
                update.surplus,
                update.imbalance_percent,
                update.prices,
                strict=True,
            )
        ],
        "max_imbalance_percent": float(update.imbalance_percent.max()) if len(names) else 0.0,
        "answered": sorted(
            Proposal.objects.filter(participatory_round=participatory).values_list(
                "council__slug", flat=True
            )
        ),
        "councils": len(standing.councils),
    }
    summary, content = proposals_plan(
        goods,
        standing,
        prices,
        update,
        need_threshold=rules["need_threshold"],
        tolerance_percent=rules["tolerance_percent"],
    )
    with transaction.atomic():
        lock_ledger()
        locked = ParticipatoryRound.objects.select_for_update().get(pk=participatory.pk)
        if locked.closed_at is not None:
            raise RefusedError(f"round {locked.number} is already closed")
        version = store_version(actor, congress, summary, content, locked)
        locked.closed_at = clock.now()
        locked.outcome = outcome
        locked.balanced = update.balanced
        locked.final = update.balanced or locked.number >= rules["round_limit"]
        locked.save(update_fields=["closed_at", "outcome", "balanced", "final"])
        append_event(
            "plan.round_closed",
            {
                "congress": congress.slug,
                "series": locked.series,
                "round": locked.number,
                "balanced": update.balanced,
                "final": locked.final,
                "max_imbalance_percent": float_text(outcome["max_imbalance_percent"]),
                "version": version.number,
                "new_prices": floats_as_text(new_prices),
            },
            seals=[locked],
        )
        if not locked.final:
            _open(
                congress,
                locked.series,
                locked.number + 1,
                clock.now() + (locked.deadline - locked.opened_at),
                new_prices,
                {n: float(p) for n, p in zip(names, update.next_pd, strict=True)},
                actor,
            )
        return locked
