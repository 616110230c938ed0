"""A council's proposal page: the standing proposal, filled in, with the open round's price beside
every line, its worth and cost (a workplace) or its basket's cost against the budget (a town)."""

import math
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kuzbass.planning.participatory import GoodKind
from kuzbass.platform.core.errors import ServiceError
from kuzbass.platform.core.permissions import is_officer
from kuzbass.platform.councils.models import Council, CouncilKind
from kuzbass.platform.plans.models import Proposal
from kuzbass.platform.plans.services import council_budget, open_round, round_goods, submit_proposal
from kuzbass.platform.plans.services.proposals import (
    CONSUMER_NEEDS,
    WORKER_INPUTS,
    WORKER_OUTPUTS,
    basket_cost,
    consumer_councils,
    share_price,
    worth_and_cost,
)

PARTS: dict[str, tuple[tuple[str, tuple[GoodKind, ...]], ...]] = {
    CouncilKind.WORKPLACE: (
        ("outputs", WORKER_OUTPUTS),
        ("inputs", WORKER_INPUTS),
        ("hours", (GoodKind.LABOUR,)),
    ),
    CouncilKind.CONSUMER: (("needs", CONSUMER_NEEDS),),
}


def _figures(posted: dict[str, dict[str, str]]) -> dict[str, dict[str, float]]:
    """The posted lines as numbers where they are numbers (for the worth and cost shown)."""
    figures: dict[str, dict[str, float]] = {}
    for part, lines in posted.items():
        for good, text in lines.items():
            try:
                value = float(text)
            except ValueError:
                continue
            if math.isfinite(value) and value > 0:
                figures.setdefault(part, {})[good] = value
    return figures


@login_required
def proposal(request: HttpRequest, slug: str) -> HttpResponse:
    """GET shows the form; POST submits it (refused: the form again, with the reason and the
    figures as typed, and the standing proposal unchanged)."""
    council = get_object_or_404(Council, slug=slug)
    if council.kind not in PARTS:
        return render(request, "plans/proposal.html", {"council": council}, status=404)
    standing = Proposal.objects.filter(council=council).first()
    values: dict[str, dict[str, str]] = {
        part: {g: repr(q) for g, q in (getattr(standing, part) if standing else {}).items()}
        for part, _kinds in PARTS[council.kind]
    }
    status, error = 200, None
    if request.method == "POST":
        posted: dict[str, dict[str, str]] = {part: {} for part, _kinds in PARTS[council.kind]}
        for key in request.POST:
            part, _sep, good = key.partition(":")
            if part in posted and good:
                posted[part][good] = str(request.POST.get(key, "")).strip() or "0"
        try:
            submit_proposal(request.user, council, **posted)
        except ServiceError as refused:
            status, error, values = refused.status, refused.message, posted
        else:
            messages.success(request, _("Proposal submitted; it stands until you revise it."))
            return redirect("plans:proposal", council.slug)
    current = open_round()
    goods = round_goods()
    prices = current.prices if current else {}
    figures = _figures(values)
    councils = consumer_councils()
    parts = []
    for part, kinds in PARTS[council.kind]:
        rows = []
        for name, unit in zip(goods.names, goods.units, strict=True):
            if goods.kind(name) not in kinds:
                continue
            price = prices.get(name)
            if price is not None and part == "needs":
                price = share_price(goods, prices, name, councils)
            rows.append(
                {
                    "good": name,
                    "unit": unit,
                    "field": f"{part}:{name}",
                    "value": values.get(part, {}).get(name, "0"),
                    "price": price,
                }
            )
        parts.append({"name": part, "rows": rows})
    context: dict[str, Any] = {
        "council": council,
        "round": current,
        "parts": parts,
        "standing": standing,
        "error": error,
        "can_submit": is_officer(request.user, council),
    }
    if council.kind == CouncilKind.CONSUMER:
        budget = council_budget(council)
        cost = basket_cost(goods, prices, figures.get("needs", {}), councils) if prices else 0.0
        context.update(budget=budget, cost=cost, left=budget - cost)
    else:
        worth, cost = worth_and_cost(prices, figures.get("outputs", {}), figures.get("inputs", {}))
        context.update(worth=worth, cost=cost)
    return render(request, "plans/proposal.html", context, status=status)
