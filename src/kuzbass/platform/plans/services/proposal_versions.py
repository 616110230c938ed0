"""The plan version a round's close stores: the councils' proposals themselves.

When every good balances the version is the standing proposals unchanged (each workplace's
planned output and inputs equal its proposal, each council's needs equal its ask). Otherwise it is
the nearest feasible plan within every proposal (:mod:`kuzbass.planning.proposal_plan`), saying for
each council what it gets against what it proposed and which shortage binds.
"""

from typing import Any

import numpy as np

from kuzbass.planning.participatory import GoodKind, PriceUpdate
from kuzbass.planning.proposal_plan import nearest_feasible_plan
from kuzbass.platform.plans.content import (
    Flag,
    NeedRow,
    PlanContent,
    PlanSummary,
    ProductRow,
    Shortage,
    TechniqueRow,
    WorkplacePart,
)
from kuzbass.platform.plans.models import Need
from kuzbass.platform.plans.services.proposals import RoundGoods, StandingProposals

PROPOSALS_MODE = "proposals"
PART_NAMES = ("supply", "input", "need")


def proposal_lines(content: PlanContent) -> list[dict[str, Any]]:
    """Every line of every proposal in a version: council, part, good, proposed, planned, and
    why a line was cut (the binding shortages, or the workplace's whole proposal scaled)."""
    part = content.get("proposals")
    if part is None:
        return []
    columns = part["lines"]
    shortage = ", ".join(part["binding_shortages"])
    reason = f"binding shortage: {shortage}" if shortage else "scaled with the whole proposal"
    rows = [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]
    for row in rows:
        row["why"] = reason if row["planned"] < row["proposed"] * (1 - 1e-9) else ""
    return rows


def _demands() -> dict[tuple[str, str], int]:
    """(council, product) → the demand a standing need of that council carries."""
    return {
        (council, product): demand
        for council, product, demand in Need.objects.filter(
            withdrawn_at__isnull=True, demand__isnull=False
        ).values_list("council__slug", "product__name", "demand_id")
    }


def proposals_plan(
    goods: RoundGoods,
    standing: StandingProposals,
    prices: np.ndarray,
    update: PriceUpdate,
    *,
    need_threshold: float,
    tolerance_percent: float,
) -> tuple[PlanSummary, PlanContent]:
    """(summary, content) of the version of a closed round, at the prices the councils answered."""
    if update.balanced or len(standing.good) == 0:
        planned = standing.quantity.copy()
        binding = np.zeros(len(goods.names), dtype=bool)
    else:
        plan = nearest_feasible_plan(standing.plan_lines(goods, prices), goods.fixed_supply)
        planned, binding = plan.planned, plan.binding
    names, units = goods.names, goods.units
    demands = _demands()
    short_goods = [names[g] for g in np.flatnonzero(binding)]
    needs: list[NeedRow] = []
    techniques: list[TechniqueRow] = []
    workplaces: dict[str, WorkplacePart] = {}
    columns: dict[str, list[Any]] = {
        "council": [],
        "part": [],
        "good": [],
        "proposed": [],
        "planned": [],
    }
    proposed_output: dict[tuple[str, str], float] = {}
    labour = goods.kinds == GoodKind.LABOUR
    for row in range(len(standing.good)):
        slug = standing.councils[int(standing.owner[row])]
        good = int(standing.good[row])
        proposed, got = float(standing.quantity[row]), float(planned[row])
        part = int(standing.part[row])
        for column, value in (
            ("council", slug),
            ("part", PART_NAMES[part]),
            ("good", names[good]),
            ("proposed", proposed),
            ("planned", got),
        ):
            columns[column].append(value)
        if part == StandingProposals.NEED:
            needs.append(
                {
                    "council": slug,
                    "product": names[good],
                    "use": "proposal",
                    "priority": 1,
                    "quantity": proposed,
                    "fulfilment": got / proposed if proposed else 1.0,
                    "delivered": got,
                    "demand": demands.get((slug, names[good])),
                }
            )
            continue
        place = workplaces.setdefault(
            slug,
            {
                "hours": 0.0,
                "available_hours": None,
                "revenue": 0.0,
                "cost": 0.0,
                "balance": 0.0,
                "outputs": [],
                "inputs": [],
            },
        )
        price = float(prices[good])
        if part == StandingProposals.SUPPLY and labour[good]:
            place["available_hours"] = (place["available_hours"] or 0.0) + got
        elif part == StandingProposals.SUPPLY:
            proposed_output[(slug, names[good])] = proposed
            place["outputs"].append({"item": names[good], "quantity": got})
            place["revenue"] += price * got
            place["balance"] += price * got
        else:
            place["inputs"].append({"item": names[good], "quantity": got})
            place["balance"] -= price * got
            if labour[good]:
                place["hours"] += got
    for slug, place in workplaces.items():
        cost = place["revenue"] - place["balance"]
        place["cost"] = cost
        made = sum(o["quantity"] for o in place["outputs"])
        for output in place["outputs"]:
            techniques.append(
                {
                    "technique": f"{slug}: {output['item']}",
                    "workplace": slug,
                    "product": output["item"],
                    "proposed": proposed_output[(slug, output["item"])],
                    "capacity": None,
                    "intensity": output["quantity"],
                    "hours": place["hours"],
                    "unit_price": float(prices[goods.index[output["item"]]]),
                    "unit_cost": cost / made if made else 0.0,
                    "unit_rent": (place["balance"] / made) if made else 0.0,
                }
            )
    products: list[ProductRow] = [
        {
            "product": name,
            "unit": unit,
            "net_output": float(update.supply[g] - update.demand[g]),
            "valuation": float(prices[g]),
            "labour_value": float(prices[g]),
            "price": float(prices[g]),
        }
        for g, (name, unit) in enumerate(zip(names, units, strict=True))
        if goods.kinds[g] in (GoodKind.PRIVATE, GoodKind.PUBLIC, GoodKind.INTERMEDIATE)
    ]
    fulfilment = [n["fulfilment"] for n in needs]
    shortages: list[Shortage] = [
        {
            "product": names[g],
            "quantity": float(update.demand[g]),
            "fulfilment": float(update.supply[g] / update.demand[g]) if update.demand[g] else 1.0,
            "reasons": [],
            "why": (
                f"{names[g]} is short: the proposals use {update.demand[g]:,.3f} {units[g]} and "
                f"offer {update.supply[g]:,.3f}; councils asking for goods that need it are cut"
            ),
        }
        for g in np.flatnonzero(binding)
    ]
    flags: list[Flag] = []
    worst = int(np.argmax(update.imbalance_percent)) if len(names) else 0
    if not update.balanced and len(names):
        flags.append(
            {
                "kind": "unbalanced",
                "subject": names[worst],
                "message": (
                    f"The rounds did not balance: {names[worst]} is "
                    f"{update.imbalance_percent[worst]:.2f}% out (tolerance "
                    f"{tolerance_percent:g}%); this is the nearest feasible plan within every "
                    "proposal."
                ),
            }
        )
    flags.extend(
        {
            "kind": "need",
            "subject": n["council"],
            "message": f"{n['council']} gets {100 * n['fulfilment']:.1f}% of its {n['product']}",
        }
        for n in needs
        if n["fulfilment"] < need_threshold
    )
    content: PlanContent = {
        "status": "balanced" if update.balanced else "nearest feasible",
        "mode": PROPOSALS_MODE,
        "pricing": "round",  # the last round's prices, at which the councils proposed
        "least_hours": None,
        "objective": None,
        "gap": None,
        "minimum_fulfilment": min(fulfilment) if fulfilment else None,
        "need_threshold": need_threshold,
        "economy": {
            "products": len(products),
            "techniques": len(techniques),
            "resources": len(names) - len(products),
            "needs": len(needs),
        },
        "excluded": [],
        "targets": [],
        "needs": needs,
        "techniques": techniques,
        "workplaces": workplaces,
        "resources": [
            {
                "resource": names[g],
                "unit": units[g],
                "available": float(update.supply[g]),
                "use": float(update.demand[g]),
                "proposed_use": float(update.demand[g]),
                "valuation": float(prices[g]),
            }
            for g in range(len(names))
            if goods.kinds[g] in (GoodKind.LABOUR, GoodKind.NATURAL_RESOURCE)
        ],
        "products": products,
        "shortages": shortages,
        "flows": [],
        "solver": None,
        "flags": flags,
        "proposals": {
            "balanced": bool(update.balanced),
            "tolerance_percent": tolerance_percent,
            "max_imbalance_percent": float(update.imbalance_percent.max()) if len(names) else 0.0,
            "worst_good": names[worst] if len(names) else None,
            "binding_shortages": short_goods,
            "lines": columns,
        },
    }
    summary: PlanSummary = {
        "mode": PROPOSALS_MODE,
        "objective": None,
        "minimum_fulfilment": content["minimum_fulfilment"],
        "techniques": len(techniques),
        "products": len(products),
        "needs": len(needs),
        "shortages": len(shortages),
        "flags": len(flags),
        "total_hours": float(sum(w["hours"] for w in workplaces.values())),
    }
    return summary, content
