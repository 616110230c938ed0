"""Plan versions: a planning run on the councils' current declarations, stored whole as a draft;
the version in force is the one the congress adopted last."""

import hashlib
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Max

from kuzbass import ledger
from kuzbass.economy.errors import EconomyError
from kuzbass.ledger import floats_as_text
from kuzbass.linalg import LeontiefError
from kuzbass.platform.core import clock
from kuzbass.platform.core.actors import Actor, Visitor, require_user
from kuzbass.platform.core.checks import check_council_kind
from kuzbass.platform.core.errors import RefusedError, ServiceError
from kuzbass.platform.core.permissions import require_officer
from kuzbass.platform.councils.models import Council, CouncilKind
from kuzbass.platform.ledger.services import append_event, lock_ledger
from kuzbass.platform.plans import assembly
from kuzbass.platform.plans.content import NeedRow, PlanContent, PlanSummary
from kuzbass.platform.plans.models import (
    MatterKind,
    Need,
    ParticipatoryRound,
    PlanMatter,
    PlanVersion,
    Product,
    Resource,
    Technique,
    TechniqueInput,
    VersionStatus,
)
from kuzbass.platform.plans.services.matters import planning_rules, priority_classes

SOLVER = "ipm"
"""HiGHS's interior point (with crossover): on declared economies of 10,000 techniques it is
tens of times faster than the dual simplex that ``auto`` picks (benchmarks/planning_round.py)."""


class NoAdoptedPlan(ServiceError):  # noqa: N818 (the name other apps import)
    """No plan version has been adopted yet, so there are no plan labour values."""

    status = 404


def read_declarations(congress: Council) -> assembly.Declarations:
    """Every current declaration in a handful of bulk queries (no per-row queries)."""
    rows = list(
        Technique.objects.filter(active=True)
        .order_by("pk")
        .values_list(
            "pk",
            "name",
            "workplace__slug",
            "product__name",
            "output",
            "labour",
            "capacity",
            "norm_hours",
        )
    )
    position = {row[0]: i for i, row in enumerate(rows)}
    columns = list(zip(*rows, strict=True)) if rows else [()] * 8
    inputs = list(
        TechniqueInput.objects.filter(technique__active=True).values_list(
            "technique_id", "item", "quantity"
        )
    )
    input_columns = list(zip(*inputs, strict=True)) if inputs else [()] * 3
    needs = list(
        Need.objects.filter(withdrawn_at__isnull=True)
        .order_by("council__slug", "product__name", "use")
        .values_list("council__slug", "product__name", "use", "quantity", "demand_id")
    )
    need_columns = list(zip(*needs, strict=True)) if needs else [()] * 5
    norms = {}
    for slug, content in (
        PlanMatter.objects.filter(kind=MatterKind.NORMS, applied_at__isnull=False)
        .order_by("applied_at", "pk")
        .values_list("council__slug", "content")
    ):
        norms[slug] = {key: float(value) for key, value in content.items()}
    return assembly.Declarations(
        products=dict(Product.objects.values_list("name", "unit")),
        resources={
            name: (unit, stock)
            for name, unit, stock in Resource.objects.values_list("name", "unit", "available")
        },
        technique_name=np.array(columns[1], dtype=object),
        technique_workplace=np.array(columns[2], dtype=object),
        technique_product=np.array(columns[3], dtype=object),
        technique_output=np.array(columns[4], dtype=float),
        technique_labour=np.array(columns[5], dtype=float),
        technique_capacity=np.array([np.nan if c is None else c for c in columns[6]], dtype=float),
        technique_norm_hours=np.array(columns[7], dtype=float),
        input_technique=np.array([position[t] for t in input_columns[0]], dtype=np.int64),
        input_item=np.array(input_columns[1], dtype=object),
        input_quantity=np.array(input_columns[2], dtype=float),
        need_council=np.array(need_columns[0], dtype=object),
        need_product=np.array(need_columns[1], dtype=object),
        need_use=np.array(need_columns[2], dtype=object),
        need_quantity=np.array(need_columns[3], dtype=float),
        need_demand=np.array(need_columns[4], dtype=object),
        norms=norms,
        priority_classes=priority_classes(congress) or [],
    )


def content_hash(content: Any) -> str:
    """SHA-256 of the canonical JSON of a plan's content, floats written as their shortest
    round-trip decimal text (the ledger's canonical JSON admits no floats)."""
    return hashlib.sha256(ledger.canonical_json(floats_as_text(content))).hexdigest()


def compute_plan(
    congress: Council, *, prices: dict[str, float] | None = None
) -> tuple[PlanSummary, PlanContent]:
    """Assemble the economy from the declarations and plan it: (summary, content).

    Raises ``RefusedError`` with the reason when there is nothing to plan or no plan exists.
    """
    from kuzbass.planning import PlanInputError, optimal_plan
    from kuzbass.planning.prices import PriceError

    declared = read_declarations(congress)
    if len(declared.technique_name) == 0:
        raise RefusedError("no workplace has declared a technique yet: there is nothing to plan")
    if len(declared.need_product) == 0:
        raise RefusedError(
            "no consumer council has submitted a need yet: there is nothing to plan for"
        )
    built = assembly.assemble(declared)
    mode = "priorities" if declared.priority_classes else "complete-sets"
    if built.economy.n_techniques == 0 or not (built.targets["quantity"] > 0).any():
        raise RefusedError(
            "no need can be planned: "
            + "; ".join(f"no workplace can make {p}" for p in built.unmade[:10])
            or "every need is zero"
        )
    try:
        result = optimal_plan(built.economy, built.targets, mode=mode, solver=SOLVER)
    except (PlanInputError, EconomyError, LeontiefError) as error:
        raise RefusedError(f"the plan could not be computed: {error}") from error
    if not result.optimal:
        raise RefusedError(f"the plan is {result.status}: " + "; ".join(result.problems[:5]))
    rules = planning_rules(congress)
    try:
        content = assembly.plan_content(
            declared, built, result, need_threshold=rules["need_threshold"], prices=prices
        )
    except (EconomyError, LeontiefError, PriceError) as error:
        raise RefusedError(f"labour values or prices could not be computed: {error}") from error
    summary: PlanSummary = {
        "mode": mode,
        "objective": content["objective"],
        "minimum_fulfilment": content["minimum_fulfilment"],
        "techniques": built.economy.n_techniques,
        "products": built.economy.n_products,
        "needs": len(declared.need_product),
        "shortages": len(content["shortages"]),
        "flags": len(content["flags"]),
        "total_hours": float(sum(t["hours"] for t in content["techniques"])),
    }
    return summary, content


def store_version(
    actor: Actor,
    congress: Council,
    summary: PlanSummary,
    content: PlanContent,
    participatory: ParticipatoryRound | None,
) -> PlanVersion:
    lock_ledger()
    number = (
        PlanVersion.objects.filter(congress=congress).aggregate(top=Max("number"))["top"] or 0
    ) + 1
    version = PlanVersion.objects.create(
        congress=congress,
        number=number,
        mode=summary["mode"],
        created_by=actor,
        created_at=clock.now(),
        summary=summary,
        content=content,
        content_hash=content_hash(content),
        participatory_round=participatory,
    )
    append_event(
        "plan.draft_stored",
        {
            "congress": congress.slug,
            "version": number,
            "content_hash": version.content_hash,
            "summary": floats_as_text(summary),
            "by": actor.get_username(),
            "round": participatory.number if participatory else None,
        },
        seals=[version],
    )
    return version


def latest_draft(congress: Council) -> PlanVersion | None:
    return PlanVersion.objects.filter(congress=congress).order_by("-number").first()


def run_planning_round(actor: Visitor, congress: Council) -> PlanVersion:
    """A congress officer runs the engine on every current declaration; stores a draft version.

    A run that fails (nothing to plan, an infeasible or unbounded plan) raises ``RefusedError`` with
    the engine's reasons and stores nothing: the previous draft stays as it was.
    """
    actor = require_user(actor)
    require_officer(actor, congress)
    check_council_kind(congress, CouncilKind.CONGRESS, "runs planning rounds")
    summary, content = compute_plan(congress)
    with transaction.atomic():
        return store_version(actor, congress, summary, content, None)


def adopted_version(congress: Council | None = None) -> PlanVersion:
    """The plan version in force: the most recently adopted (of ``congress``, or of any)."""
    query = PlanVersion.objects.filter(status=VersionStatus.ADOPTED)
    if congress is not None:
        query = query.filter(congress=congress)
    version = query.order_by("-adopted_at", "-pk").first()
    if version is None:
        raise NoAdoptedPlan("no plan has been adopted yet")
    return version


def adopted_labour_values(congress: Council | None = None) -> dict[str, Decimal]:
    """Product name → hours per unit, from the adopted plan version (``NoAdoptedPlan`` if none).

    Decimals are built from the stored floats' shortest decimal text, so they are exact copies
    of what the plan's content hash covers.
    """
    version = adopted_version(congress)
    return {
        row["product"]: Decimal(repr(float(row["labour_value"])))
        for row in version.plan_content["products"]
        if row["labour_value"] is not None
    }


def workplace_part(version: PlanVersion, workplace: Council) -> dict[str, Any]:
    """What the plan asks of one workplace: outputs, inputs it will receive, hours, techniques."""
    part: dict[str, Any] = dict(
        version.plan_content["workplaces"].get(workplace.slug)
        or {
            "hours": 0.0,
            "available_hours": None,
            "revenue": 0.0,
            "cost": 0.0,
            "balance": 0.0,
            "outputs": [],
            "inputs": [],
        }
    )
    content = version.plan_content
    units = {row["product"]: row["unit"] for row in content["products"]}
    units.update({row["resource"]: row.get("unit", "") for row in content["resources"]})
    for key in ("outputs", "inputs"):
        part[key] = [{**row, "unit": units.get(row["item"], "")} for row in part[key]]
    part["techniques"] = [
        t for t in version.plan_content["techniques"] if t["workplace"] == workplace.slug
    ]
    part["flags"] = [f for f in version.plan_content["flags"] if f["subject"] == workplace.slug]
    return part


def consumer_part(version: PlanVersion, council: Council) -> list[NeedRow]:
    """What each of a consumer council's needs gets in the plan."""
    return [n for n in version.plan_content["needs"] if n["council"] == council.slug]


def diff_versions(old: PlanVersion, new: PlanVersion, limit: int = 50) -> dict[str, Any]:
    """What changed from one version to another: needs met, intensities, valuations, flags."""

    def changes(
        rows_old: Sequence[Mapping[str, Any]],
        rows_new: Sequence[Mapping[str, Any]],
        key: tuple[str, ...],
        value: str,
    ) -> list[dict[str, Any]]:
        before = {tuple(r[k] for k in key): r[value] for r in rows_old}
        after = {tuple(r[k] for k in key): r[value] for r in rows_new}
        found: list[dict[str, Any]] = []
        for name in sorted(set(before) | set(after), key=str):
            a, b = before.get(name), after.get(name)
            if a is None and b is None:
                continue
            if a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
                continue
            found.append(
                {
                    "key": " · ".join(str(k) for k in name),
                    "old": a,
                    "new": b,
                    "change": None if a is None or b is None else b - a,
                }
            )
        found.sort(key=lambda c: -abs(c["change"]) if c["change"] is not None else -math.inf)
        return found[:limit]

    return {
        "old": old.number,
        "new": new.number,
        "summary": {
            key: {"old": old.summary.get(key), "new": new.summary.get(key)}
            for key in sorted(set(old.summary) | set(new.summary))
        },
        "needs": changes(
            old.plan_content["needs"],
            new.plan_content["needs"],
            ("council", "product", "use"),
            "fulfilment",
        ),
        "intensities": changes(
            old.plan_content["techniques"],
            new.plan_content["techniques"],
            ("technique",),
            "intensity",
        ),
        "labour_values": changes(
            old.plan_content["products"], new.plan_content["products"], ("product",), "labour_value"
        ),
        "flags_added": [
            f["message"] for f in new.plan_content["flags"] if f not in old.plan_content["flags"]
        ],
        "flags_removed": [
            f["message"] for f in old.plan_content["flags"] if f not in new.plan_content["flags"]
        ],
    }
