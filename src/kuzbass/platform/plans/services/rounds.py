"""Participatory rounds: the congress publishes prices, every council answers with its proposal,
and the facilitation rule moves each price toward balance (Albert and Hahnel's procedure)."""

from datetime import datetime
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Max

from kuzbass.economy.model import LABOUR
from kuzbass.ledger import float_text, floats_as_text
from kuzbass.platform.core import clock
from kuzbass.platform.core.actors import Actor, Visitor, require_user
from kuzbass.platform.core.checks import check_council_kind
from kuzbass.platform.core.errors import InvalidInputError, RefusedError
from kuzbass.platform.core.permissions import require_officer
from kuzbass.platform.councils.models import Council, CouncilKind
from kuzbass.platform.ledger.services import append_event, lock_ledger
from kuzbass.platform.plans import assembly
from kuzbass.platform.plans.models import ParticipatoryRound
from kuzbass.platform.plans.services.matters import planning_rules
from kuzbass.platform.plans.services.versions import (
    compute_plan,
    latest_draft,
    read_declarations,
    store_version,
)


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


def _goods(declared: assembly.Declarations) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The goods whose prices the rounds move: products, registered finite resources, labour."""
    from kuzbass.planning.participatory import GoodKind

    names = sorted(declared.products)
    kinds = [GoodKind.PRIVATE] * len(names)
    supply = [0.0] * len(names)
    for name, (_, stock) in sorted(declared.resources.items()):
        if stock is not None:
            names.append(name)
            kinds.append(GoodKind.LABOUR if name == LABOUR else GoodKind.NATURAL_RESOURCE)
            supply.append(float(stock))
    if LABOUR not in names:
        working = [
            assembly.operating_hours(n) * n["workers"]
            for n in declared.norms.values()
            if n.get("workers")
        ]
        workplaces = set(declared.technique_workplace)
        if workplaces and workplaces <= {s for s, n in declared.norms.items() if n.get("workers")}:
            names.append(LABOUR)
            kinds.append(GoodKind.LABOUR)
            supply.append(float(sum(working)))
    return names, np.array(kinds, dtype=np.int64), np.array(supply, dtype=float)


def _proposals(declared: assembly.Declarations, index: dict[str, int]) -> Any:
    from kuzbass.planning.participatory import Proposals

    def positions(names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        found = np.array([index.get(str(name), -1) for name in names], dtype=np.int64)
        return found, found >= 0

    supplied, ok = positions(declared.technique_product)
    demanded_items, item_ok = positions(declared.input_item)
    need_goods, need_ok = positions(declared.need_product)
    labour = index.get(LABOUR, -1)
    demanded = [demanded_items[item_ok], need_goods[need_ok]]
    quantities = [declared.input_quantity[item_ok], declared.need_quantity[need_ok]]
    if labour >= 0:
        demanded.append(np.full(len(declared.technique_labour), labour, dtype=np.int64))
        quantities.append(declared.technique_labour)
    return Proposals(
        supplied_goods=supplied[ok],
        supplied_quantities=declared.technique_output[ok],
        demanded_goods=np.concatenate(demanded),
        demanded_quantities=np.concatenate(quantities),
        consumer_council_count=len(set(declared.need_council)),
    )


@transaction.atomic
def open_participatory_round(
    actor: Visitor, congress: Council, *, deadline: datetime
) -> ParticipatoryRound:
    """Publish the latest draft's indicative valuations (its labour values, in hours) as the
    prices of a new series of rounds; councils revise their proposals until ``deadline``."""
    actor = require_user(actor)
    from kuzbass.planning.participatory import START_PD

    lock_ledger()
    require_officer(actor, congress)
    check_council_kind(congress, CouncilKind.CONGRESS, "holds participatory rounds")
    if open_round() is not None:
        raise RefusedError("a participatory round is already open")
    if deadline <= clock.now():
        raise InvalidInputError("the deadline must be in the future", field="deadline")
    draft = latest_draft(congress)
    if draft is None:
        raise RefusedError("run a planning round first: the rounds start from a draft's valuations")
    values = {p["product"]: p["labour_value"] for p in draft.plan_content["products"]}
    names, _, _ = _goods(read_declarations(congress))
    prices = {name: (values.get(name) or 1.0) if name != LABOUR else 1.0 for name in names}
    prices = {name: price if price and price > 0 else 1.0 for name, price in prices.items()}
    series = (
        ParticipatoryRound.objects.filter(congress=congress).aggregate(top=Max("series"))["top"]
        or 0
    ) + 1
    return _open(congress, series, 1, deadline, prices, {name: START_PD for name in prices}, actor)


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
    return participatory


def close_participatory_round(
    actor: Visitor, participatory: ParticipatoryRound
) -> ParticipatoryRound:
    """After the deadline: tally every council's standing proposal (one that did not answer keeps
    its last), move the prices by the facilitation rule, plan at the new prices, and open the
    next round unless the goods balance or the congress's round limit is reached."""
    actor = require_user(actor)
    from kuzbass.planning.participatory import GoodKind, Goods, facilitation_round

    congress = participatory.congress
    require_officer(actor, congress)
    if participatory.closed_at is not None:
        raise RefusedError(f"round {participatory.number} is already closed")
    if clock.now() < participatory.deadline:
        raise RefusedError(
            f"round {participatory.number} takes proposals until "
            f"{participatory.deadline:%Y-%m-%d %H:%M} UTC"
        )
    declared = read_declarations(congress)
    names, kinds, supply = _goods(declared)
    prices = np.array([participatory.prices.get(n, 1.0) for n in names], dtype=float)
    pd_before = np.array([participatory.previous_pd.get(n, 0.25) for n in names], dtype=float)
    goods = Goods(names=names, kinds=kinds, start_prices=prices, fixed_supply=supply)
    update = facilitation_round(
        goods, prices, _proposals(declared, {n: i for i, n in enumerate(names)}), pd_before
    )
    new_prices = {n: float(p) for n, p in zip(names, update.prices, strict=True)}
    outcome: dict[str, Any] = {
        "goods": [
            {
                "good": n,
                "kind": GoodKind(int(k)).name.lower(),
                "price": float(p),
                "supply": float(s),
                "demand": float(d),
                "surplus": float(x),
                "imbalance_percent": float(r),
                "new_price": float(q),
            }
            for n, k, p, s, d, x, r, q in zip(
                names,
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
    }
    try:
        summary, content = compute_plan(congress, prices=new_prices)
    except RefusedError as error:
        summary, content = None, None
        outcome["plan_problem"] = error.message
    limit = planning_rules(congress)["round_limit"]
    with transaction.atomic():
        lock_ledger()
        locked = ParticipatoryRound.objects.select_for_update().get(pk=participatory.pk)
        if locked.closed_at is not None:
            raise RefusedError(f"round {locked.number} is already closed")
        version = (
            store_version(actor, congress, summary, content, locked)
            if summary is not None and content is not None
            else None
        )
        locked.closed_at = clock.now()
        locked.outcome = outcome
        locked.balanced = update.balanced
        locked.final = update.balanced or locked.number >= limit
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
                "version": version.number if version else None,
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
