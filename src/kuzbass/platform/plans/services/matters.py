"""Plan matters the councils vote on: a workplace's norms, the congress's priority classes and
planning rules, and the adoption of a plan version. Each is a motion; carried, it takes effect in
the transaction that closes its ballot (:func:`apply_matter`, through ``plans.signals``).
"""

from typing import Any

from django.db import transaction

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
from kuzbass.platform.councils.models import Council, CouncilKind, Motion
from kuzbass.platform.councils.services import table_motion
from kuzbass.platform.ledger.services import append_event, lock_ledger, touched
from kuzbass.platform.plans.models import MatterKind, PlanMatter, PlanVersion, VersionStatus

DEFAULT_USES = ["basic needs", "public services", "investment", "other"]
"""The uses a need may serve until the congress votes its own priority classes."""

DEFAULT_RULES = {"round_limit": 25, "need_threshold": 0.9}
"""Rounds stop after ``round_limit``; needs met below ``need_threshold`` are flagged."""


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
    actor: Visitor, congress: Council, *, round_limit: int, need_threshold: float
) -> Motion:
    """Table the congress's planning rules: the participatory round limit and the need threshold."""
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
    return _table_matter(
        actor,
        congress,
        MatterKind.RULES,
        "Planning rules",
        f"Participatory rounds stop after {round_limit} rounds; needs met below "
        f"{100 * threshold:g}% are flagged before adoption.",
        {"round_limit": round_limit, "need_threshold": float_text(threshold)},
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
        f"The congress adopts draft plan version {version.number} (content SHA-256 "
        f"{version.content_hash}).{flagged}",
        {"version": version.number, "content_hash": version.content_hash},
        version=version,
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
    }


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
