"""Plan matters the councils vote on: a workplace's norms, the congress's priority classes and
planning rules, and the adoption of a plan version. Each is a motion; carried, it takes effect in
the transaction that closes its ballot (:func:`apply_matter`, through ``plans.signals``).
"""

from typing import Any

from django.db import transaction
from django.db.models import Q

from kuzbass.ledger import float_text
from kuzbass.platform.core import clock
from kuzbass.platform.core.actors import Actor, Visitor, require_user
from kuzbass.platform.core.checks import (
    DAYS_PER_PERIOD,
    check_council_kind,
    check_count,
    check_number,
    check_text,
    check_whole_number,
)
from kuzbass.platform.core.errors import InvalidInputError, RefusedError
from kuzbass.platform.councils.models import Council, CouncilKind, Demand, DemandStatus, Motion
from kuzbass.platform.councils.services import table_motion
from kuzbass.platform.councils.services.demands import set_demand_status
from kuzbass.platform.ledger.services import append_event, lock_ledger, touched
from kuzbass.platform.plans.models import (
    MatterKind,
    ParticipatoryRound,
    PlanMatter,
    PlanVersion,
    VersionStatus,
)

DEFAULT_USES = ["basic needs", "public services", "investment", "other"]
"""The uses a need may serve until the congress votes its own priority classes."""

DEFAULT_RULES = {"round_limit": 25, "need_threshold": 0.9, "tolerance_percent": 3.0}
"""Rounds stop after ``round_limit`` or once every good is within ``tolerance_percent`` of
balance; needs met below ``need_threshold`` are flagged."""


def _table_matter(
    actor: Actor,
    council: Council,
    kind: str,
    title: str,
    text: str,
    content: dict[str, Any],
    version: PlanVersion | None = None,
) -> Motion:
    lock_ledger()
    motion = table_motion(actor, council, title=title, text=text)
    matter = PlanMatter.objects.create(
        motion=motion, council=council, kind=kind, content=content, version=version
    )
    append_event(
        "plan.matter_tabled",
        {
            "council": council.slug,
            "motion": motion.pk,
            "kind": kind,
            "content": content,
            "version": version.number if version else None,
        },
        seals=[matter],
    )
    return motion


@transaction.atomic
def propose_norms(
    actor: Visitor,
    workplace: Council,
    *,
    hours_per_shift: float,
    days_per_period: float,
    workers: int | None = None,
) -> Motion:
    """Table the motion on a workplace's norms; carried, they set its operating hours
    (hours per shift × days per period), which scale its techniques' capacities, and its working
    time (× workers), which bounds the labour its techniques may use."""
    actor = require_user(actor)
    check_council_kind(workplace, CouncilKind.WORKPLACE, "votes norms")
    hours = check_number(hours_per_shift, "hours_per_shift", most=24)
    days = check_number(days_per_period, "days_per_period", most=DAYS_PER_PERIOD)
    content: dict[str, Any] = {
        "hours_per_shift": float_text(hours),
        "days_per_period": float_text(days),
    }
    if workers is not None:
        content["workers"] = check_whole_number(workers, "workers", low=1, high=10**8)
    crew = f", {workers} workers" if workers is not None else ""
    return _table_matter(
        actor,
        workplace,
        MatterKind.NORMS,
        f"Norms: {hours:g}-hour shifts, {days:g} days",
        f"The council's norms for the plan period: shifts of {hours:g} hours, {days:g} working "
        f"days per period{crew}.",
        content,
    )


@transaction.atomic
def propose_priorities(actor: Visitor, congress: Council, classes: list[str]) -> Motion:
    """Table the congress's motion ordering the uses of the product (class 1 first)."""
    actor = require_user(actor)
    check_council_kind(congress, CouncilKind.CONGRESS, "votes priority classes")
    check_count(classes, "classes", most=50)
    names = [check_text(name, "priority class", max_length=80) for name in classes]
    if not names:
        raise InvalidInputError("name at least one priority class", field="classes")
    if len(set(names)) != len(names):
        raise InvalidInputError("priority classes must be distinct", field="classes")
    order = "; ".join(f"{i}. {name}" for i, name in enumerate(names, start=1))
    return _table_matter(
        actor,
        congress,
        MatterKind.PRIORITIES,
        "Priority classes of uses",
        f"Needs are met in this order of priority: {order}.",
        {"classes": names},
    )


@transaction.atomic
def propose_planning_rules(
    actor: Visitor,
    congress: Council,
    *,
    round_limit: int,
    need_threshold: float,
    tolerance_percent: float = 3.0,
) -> Motion:
    """Table the congress's planning rules: the participatory round limit, the tolerance within
    which a good counts as balanced, and the need threshold."""
    actor = require_user(actor)
    check_council_kind(congress, CouncilKind.CONGRESS, "votes planning rules")
    if (
        not isinstance(round_limit, int)
        or isinstance(round_limit, bool)
        or not 1 <= round_limit <= 200
    ):
        raise InvalidInputError(
            f"round_limit {round_limit!r} must be a whole number from 1 to 200", field="round_limit"
        )
    threshold = check_number(need_threshold, "need_threshold", allow_zero=True)
    if threshold > 1:
        raise InvalidInputError(
            f"need_threshold {threshold:g} must be at most 1", field="need_threshold"
        )
    tolerance = check_number(tolerance_percent, "tolerance_percent", most=100)
    return _table_matter(
        actor,
        congress,
        MatterKind.RULES,
        "Planning rules",
        f"Participatory rounds stop once every good is within {tolerance:g}% of balance or after "
        f"{round_limit} rounds; needs met below {100 * threshold:g}% are flagged before adoption.",
        {
            "round_limit": round_limit,
            "need_threshold": float_text(threshold),
            "tolerance_percent": float_text(tolerance),
        },
    )


@transaction.atomic
def propose_adoption(actor: Visitor, congress: Council, version: PlanVersion) -> Motion:
    """Table the congress's motion to adopt a draft plan version (naming its content hash)."""
    actor = require_user(actor)
    check_council_kind(congress, CouncilKind.CONGRESS, "adopts the plan")
    if version.congress_id != congress.pk:
        raise InvalidInputError(
            f"plan version {version.number} belongs to another congress", field="version"
        )
    if version.status != VersionStatus.DRAFT:
        raise RefusedError(f"plan version {version.number} is already adopted")
    flags = version.plan_content["flags"]
    flagged = f" It carries {len(flags)} flag(s), listed on its page." if flags else ""
    return _table_matter(
        actor,
        congress,
        MatterKind.ADOPTION,
        f"Adopt plan version {version.number}",
        f"{rounds_line(version)}\nThe congress adopts draft plan version {version.number} "
        f"(content SHA-256 {version.content_hash}).{flagged}",
        {"version": version.number, "content_hash": version.content_hash},
        version=version,
    )


def rounds_line(version: PlanVersion) -> str:
    """The first line of an adoption motion: whether the participatory rounds balanced."""
    part = version.plan_content.get("proposals")
    if part is None:
        return (
            "This version was computed by the engine from the declarations, not by "
            "participatory rounds."
        )
    if part["balanced"]:
        return (
            f"The participatory rounds balanced: every good is within "
            f"{part['tolerance_percent']:g}%, and this plan is the councils' proposals unchanged."
        )
    return (
        f"The participatory rounds did NOT balance: {part['worst_good']} is "
        f"{part['max_imbalance_percent']:.2f}% out; this is the nearest feasible plan within "
        "every council's proposal."
    )


def current_norms(workplace: Council) -> dict[str, float] | None:
    matter = (
        PlanMatter.objects.filter(
            council=workplace, kind=MatterKind.NORMS, applied_at__isnull=False
        )
        .order_by("-applied_at", "-pk")
        .first()
    )
    return dict(matter.content) if matter else None


def _latest_content(council: Council, kind: str) -> dict[str, Any] | None:
    matter = (
        PlanMatter.objects.filter(council=council, kind=kind, applied_at__isnull=False)
        .order_by("-applied_at", "-pk")
        .first()
    )
    return dict(matter.content) if matter else None


def priority_classes(congress: Council) -> list[str] | None:
    """The classes the congress voted, or None while it has voted none."""
    content = _latest_content(congress, MatterKind.PRIORITIES)
    return list(content["classes"]) if content else None


def planning_rules(congress: Council) -> dict[str, Any]:
    content = _latest_content(congress, MatterKind.RULES)
    if content is None:
        return dict(DEFAULT_RULES)
    return {
        "round_limit": int(content["round_limit"]),
        "need_threshold": float(content["need_threshold"]),
        "tolerance_percent": float(
            content.get("tolerance_percent", DEFAULT_RULES["tolerance_percent"])
        ),
    }


def _end_series(version: PlanVersion, moment: Any) -> None:
    """Adopting a version made by a series of rounds ends that series: its open round closes."""
    if version.participatory_round_id is None:
        return
    series = ParticipatoryRound.objects.get(pk=version.participatory_round_id).series
    for participatory in ParticipatoryRound.objects.select_for_update().filter(
        congress_id=version.congress_id, series=series, closed_at__isnull=True
    ):
        participatory.closed_at = moment
        participatory.final = True
        participatory.outcome = {"ended_by_adoption": version.number}
        participatory.save(update_fields=["closed_at", "final", "outcome"])
        append_event(
            "plan.series_ended",
            {
                "congress": version.congress.slug,
                "series": series,
                "round": participatory.number,
                "version": version.number,
            },
            seals=[participatory],
        )


def _follow_adoption(version: PlanVersion) -> None:
    """Demands follow the adopted version: "in plan" when it includes a need naming the demand
    (citing the version, again at each later adoption), back to "open" when it no longer does."""
    delivered: dict[int, list[str]] = {}
    for need in version.plan_content["needs"]:
        if need["demand"] is not None and need["delivered"] > 0:
            delivered.setdefault(int(need["demand"]), []).append(
                f"{need['delivered']:g} {need['product']} to {need['council']}"
            )
    following = Demand.objects.select_for_update(of=("self",)).filter(
        Q(pk__in=list(delivered)) | Q(status=DemandStatus.IN_PLAN)
    )
    for demand in following.select_related("council", "responsible_body"):
        if demand.pk in delivered and demand.status in (DemandStatus.OPEN, DemandStatus.IN_PLAN):
            set_demand_status(
                demand,
                DemandStatus.IN_PLAN,
                reason=f"plan version {version.number}, adopted by the congress, delivers "
                + "; ".join(delivered[demand.pk]),
            )
        elif demand.pk not in delivered and demand.status == DemandStatus.IN_PLAN:
            set_demand_status(
                demand,
                DemandStatus.OPEN,
                reason=f"plan version {version.number}, adopted by the congress, has no need "
                "that names this demand",
            )


def apply_matter(matter: PlanMatter) -> None:
    """Put a carried matter into force (called in the ballot's closing transaction)."""
    moment = clock.now()
    if matter.kind == MatterKind.ADOPTION:
        assert matter.version_id is not None
        version = PlanVersion.objects.select_for_update().get(pk=matter.version_id)
        if version.status != VersionStatus.DRAFT:
            return
        version.status = VersionStatus.ADOPTED
        version.adopted_at = moment
        version.adopted_by = matter.motion
        PlanVersion.objects.filter(pk=version.pk).update(
            status=version.status, adopted_at=moment, adopted_by=matter.motion
        )
        touched(PlanVersion, [version.pk])
        matter.applied_at = moment
        matter.save(update_fields=["applied_at"])
        _end_series(version, moment)
        _follow_adoption(version)
        append_event(
            "plan.adopted",
            {
                "congress": version.congress.slug,
                "version": version.number,
                "content_hash": version.content_hash,
                "motion": matter.motion_id,
            },
            seals=[version, matter],
        )
        return
    matter.applied_at = moment
    matter.save(update_fields=["applied_at"])
    append_event(
        f"plan.{matter.kind}_in_force",
        {"council": matter.council.slug, "motion": matter.motion_id, "content": matter.content},
        seals=[matter],
    )
