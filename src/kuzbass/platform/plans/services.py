"""Every step of the plan cycle, one function each; the pages, the API and ``kuzbass demo`` call
these, so permissions, validation and the ledger are the same whichever way a council comes in.

The cycle, programmatically (``actor`` is a logged-in user; officers act for their council)::

    register_products(officer, congress, [{"name": "soap", "unit": "t"}, ...])
    register_resources(officer, congress, [{"name": "labour", "unit": "h", "available": 1e6}])
    declare_technique(officer, workplace, name=..., product=..., output=..., labour=...,
                      capacity=..., inputs={"coal": 2.0})        # or upload_techniques(...)
    propose_norms(officer, workplace, hours_per_shift=6, days_per_period=20, workers=40)
    submit_need(officer, consumer, product="soap", quantity=10, use="basic needs", demand=None)
    propose_priorities(delegate, congress, ["basic needs", "public services", ...])
    run_planning_round(officer, congress)                       # → draft PlanVersion
    open_participatory_round(officer, congress, deadline=...)    # optional rounds
    close_participatory_round(officer, round)
    propose_adoption(delegate, congress, version)                # → Motion; carried = adopted

Norms, priorities, planning rules and adoption are motions of the platform: they take effect in
the transaction that closes the carrying ballot (:mod:`kuzbass.platform.plans.signals`).
Each function runs in one ``transaction.atomic`` block with the ledger event that records it;
errors a user can cause raise the platform's ``ServiceError`` subclasses with a clear message.
"""

from __future__ import annotations

import hashlib
import math
import tempfile
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Max

from kuzbass import ledger
from kuzbass.economy.errors import EconomyError
from kuzbass.economy.model import LABOUR
from kuzbass.linalg import LeontiefError
from kuzbass.platform.councils import services as councils
from kuzbass.platform.councils.models import Council, CouncilKind, Demand, DemandStatus, Motion
from kuzbass.platform.councils.services import InvalidInputError, RefusedError, ServiceError
from kuzbass.platform.ledger.services import append_event, lock_ledger
from kuzbass.platform.plans import assembly
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

__all__ = [
    "DEFAULT_RULES",
    "DEFAULT_USES",
    "NoAdoptedPlan",
    "NoCongressError",
    "adopted_labour_values",
    "adopted_version",
    "close_participatory_round",
    "congress",
    "consumer_part",
    "content_hash",
    "current_norms",
    "declare_technique",
    "diff_versions",
    "latest_draft",
    "open_participatory_round",
    "open_round",
    "planning_rules",
    "priority_classes",
    "propose_adoption",
    "propose_norms",
    "propose_planning_rules",
    "propose_priorities",
    "register_products",
    "register_resources",
    "run_planning_round",
    "submit_need",
    "upload_techniques",
    "withdraw_need",
    "withdraw_technique",
    "workplace_part",
]

DEFAULT_USES = ["basic needs", "public services", "investment", "other"]
"""The uses a need may serve until the congress votes its own priority classes."""

DEFAULT_RULES = {"round_limit": 25, "need_threshold": 0.9}
"""Rounds stop after ``round_limit``; needs met below ``need_threshold`` are flagged."""

CATALOGUE_PREFIX = "__catalogue__"
SOLVER = "ipm"
"""HiGHS's interior point (with crossover): on declared economies of 10,000 techniques it is
tens of times faster than the dual simplex that ``auto`` picks (benchmarks/planning_round.py)."""
UPLOAD_FILES = ("techniques.csv", "inputs.csv")


class NoAdoptedPlan(ServiceError):  # noqa: N818 (the name other apps import)
    """No plan version has been adopted yet, so there are no plan labour values."""

    status = 404


class NoCongressError(ServiceError):
    """No congress has been founded, so nobody plans yet."""

    status = 404


def _number(value: float | None) -> str | None:
    return None if value is None else repr(float(value))


def _positive(value: Any, field: str, *, allow_zero: bool = False, where: str = "") -> float:
    prefix = f"{where}: " if where else ""
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(
            f"{prefix}{field} {value!r} is not a number", field=field
        ) from error
    if not math.isfinite(number):
        raise InvalidInputError(f"{prefix}{field} must be a finite number", field=field)
    if number < 0 or (number == 0 and not allow_zero):
        bound = "≥ 0" if allow_zero else "> 0"
        raise InvalidInputError(f"{prefix}{field} {number:g} must be {bound}", field=field)
    return number


def _require_kind(council: Council, kind: str, what: str) -> None:
    if council.kind != kind:
        raise RefusedError(
            f"{council.name} is a {council.get_kind_display()}: only a "
            f"{CouncilKind(kind).label} {what}"
        )


# --- the catalogue ------------------------------------------------------------------------------


@transaction.atomic
def register_products(actor: Any, congress: Council, rows: Iterable[Mapping[str, Any]]) -> int:
    """The congress's officers add products to the catalogue (name, unit); returns how many."""
    lock_ledger()
    councils._require_officer(actor, congress)
    _require_kind(congress, CouncilKind.CONGRESS, "registers products")
    created = []
    for number, row in enumerate(rows, start=1):
        name = councils._text(row.get("name"), f"product {number}: name", max_length=120)
        unit = councils._text(row.get("unit"), f"product {number}: unit", max_length=40)
        if name.startswith(CATALOGUE_PREFIX) or name == LABOUR or name.startswith("labour at "):
            raise InvalidInputError(
                f"product {number}: the name {name!r} is reserved", field="name"
            )
        if (
            Product.objects.filter(name=name).exists()
            or Resource.objects.filter(name=name).exists()
        ):
            raise RefusedError(
                f"product {number}: {name!r} is already in the catalogue", field="name"
            )
        created.append(Product.objects.create(name=name, unit=unit))
    append_event(
        "plan.products_registered",
        {
            "congress": congress.slug,
            "by": actor.get_username(),
            "products": [[p.name, p.unit] for p in created],
        },
        seals=created,
    )
    return len(created)


@transaction.atomic
def register_resources(actor: Any, congress: Council, rows: Iterable[Mapping[str, Any]]) -> int:
    """The congress's officers register resources (name, unit, available per period or None).

    ``labour`` is the economy's total working time; leaving it out leaves it unlimited except
    for each workplace's own working time under its norms.
    """
    lock_ledger()
    councils._require_officer(actor, congress)
    _require_kind(congress, CouncilKind.CONGRESS, "registers resources")
    changed = []
    for number, row in enumerate(rows, start=1):
        name = councils._text(row.get("name"), f"resource {number}: name", max_length=120)
        unit = councils._text(row.get("unit"), f"resource {number}: unit", max_length=40)
        if name.startswith(CATALOGUE_PREFIX) or name.startswith("labour at "):
            raise InvalidInputError(
                f"resource {number}: the name {name!r} is reserved", field="name"
            )
        stock = row.get("available")
        available = (
            None
            if stock in (None, "")
            else _positive(stock, "available", allow_zero=True, where=f"resource {number}")
        )
        if Product.objects.filter(name=name).exists():
            raise RefusedError(f"resource {number}: {name!r} is a product", field="name")
        resource, _ = Resource.objects.update_or_create(
            name=name, defaults={"unit": unit, "available": available}
        )
        changed.append(resource)
    append_event(
        "plan.resources_registered",
        {
            "congress": congress.slug,
            "by": actor.get_username(),
            "resources": [[r.name, r.unit, _number(r.available)] for r in changed],
        },
        seals=changed,
    )
    return len(changed)


# --- proposals are refused after a round's deadline ---------------------------------------------


def _check_proposal_window() -> None:
    """Revisions are welcome at any time except between an open round's deadline and its close."""
    late = ParticipatoryRound.objects.filter(
        closed_at__isnull=True, deadline__lte=councils.now()
    ).first()
    if late is not None:
        raise RefusedError(
            f"participatory round {late.number} closed for proposals at "
            f"{late.deadline:%Y-%m-%d %H:%M} UTC; proposals reopen with the next round"
        )


def open_round() -> ParticipatoryRound | None:
    return ParticipatoryRound.objects.filter(closed_at__isnull=True).first()


# --- techniques ---------------------------------------------------------------------------------


def current_norms(workplace: Council) -> dict[str, float] | None:
    matter = (
        PlanMatter.objects.filter(
            council=workplace, kind=MatterKind.NORMS, applied_at__isnull=False
        )
        .order_by("-applied_at", "-pk")
        .first()
    )
    return dict(matter.content) if matter else None


def _operating_hours(workplace: Council) -> float:
    return assembly.operating_hours(current_norms(workplace))


def _check_techniques(
    workplace: Council, rows: list[dict[str, Any]], where: list[str]
) -> tuple[dict[str, Product], dict[str, Resource], dict[str, Technique]]:
    """Every row's names and numbers, with every problem named by row; nothing is written."""
    names = {row["name"] for row in rows}
    wanted = {row["product"] for row in rows} | {item for row in rows for item in row["inputs"]}
    products = {p.name: p for p in Product.objects.filter(name__in=wanted)}
    resources = {r.name: r for r in Resource.objects.filter(name__in=wanted)}
    existing = {
        t.name: t for t in Technique.objects.filter(name__in=names).select_related("workplace")
    }
    problems: list[str] = []
    for row, label in zip(rows, where, strict=True):
        owner = existing.get(row["name"])
        if owner is not None and owner.workplace_id != workplace.pk:
            problems.append(
                f"{label}: technique {row['name']!r} belongs to "
                f"{owner.workplace.name}, not to {workplace.name}"
            )
        if row["product"] not in products:
            problems.append(
                f"{label}: unknown product {row['product']!r} (not in the congress's catalogue)"
            )
        for item in row["inputs"]:
            if item not in products and item not in resources and item != LABOUR:
                problems.append(
                    f"{label}: unknown input {item!r} (neither a product nor a "
                    "resource of the catalogue)"
                )
    if problems:
        raise InvalidInputError(
            "; ".join(problems[:20])
            + (f"; and {len(problems) - 20} more" if len(problems) > 20 else "")
        )
    return products, resources, existing


def _store_techniques(
    actor: Any,
    workplace: Council,
    rows: list[dict[str, Any]],
    products: dict[str, Product],
    resources: dict[str, Resource],
    existing: dict[str, Technique],
) -> list[Technique]:
    moment = councils.now()
    hours = _operating_hours(workplace)
    stored = []
    for row in rows:
        technique = existing.get(row["name"]) or Technique(name=row["name"], workplace=workplace)
        technique.product = products[row["product"]]
        technique.output = row["output"]
        technique.labour = row["labour"]
        technique.capacity = row["capacity"]
        technique.norm_hours = hours
        technique.active = True
        technique.declared_by = actor
        technique.declared_at = moment
        stored.append(technique)
    new = [t for t in stored if t.pk is None]
    Technique.objects.bulk_create(new, batch_size=2000)
    old = [t for t in stored if t.pk is not None and t not in new]
    Technique.objects.bulk_update(
        old,
        [
            "product",
            "output",
            "labour",
            "capacity",
            "norm_hours",
            "active",
            "declared_by",
            "declared_at",
        ],
        batch_size=2000,
    )
    if len(new) and new[0].pk is None:  # backends that do not return keys from bulk inserts
        ids = dict(
            Technique.objects.filter(name__in=[t.name for t in new]).values_list("name", "pk")
        )
        for technique in new:
            technique.pk = ids[technique.name]
    TechniqueInput.objects.filter(technique__in=[t.pk for t in stored]).delete()
    inputs = [
        TechniqueInput(
            technique=technique,
            product=products.get(item),
            resource=None if item in products else resources.get(item),
            item=item,
            quantity=quantity,
        )
        for technique, row in zip(stored, rows, strict=True)
        for item, quantity in row["inputs"].items()
        if item != LABOUR
    ]
    TechniqueInput.objects.bulk_create(inputs, batch_size=5000)
    return list(
        Technique.objects.filter(pk__in=[t.pk for t in stored])
        .select_related("workplace", "product")
        .prefetch_related("inputs")
        .order_by("pk")
    )


def _technique_row(
    name: Any,
    product: Any,
    output: Any,
    labour: Any,
    capacity: Any,
    inputs: Mapping[str, Any] | None,
    where: str,
) -> dict[str, Any]:
    name = councils._text(name, f"{where}: name", max_length=120)
    if name.startswith(CATALOGUE_PREFIX):
        raise InvalidInputError(
            f"{where}: technique names may not start with {CATALOGUE_PREFIX}", field="name"
        )
    parsed_inputs: dict[str, float] = {}
    for item, quantity in (inputs or {}).items():
        item = councils._text(item, f"{where}: input name", max_length=120)
        if item in parsed_inputs:
            raise InvalidInputError(f"{where}: input {item!r} is given twice", field="inputs")
        parsed_inputs[item] = _positive(
            quantity, f"quantity of {item}", allow_zero=True, where=where
        )
    return {
        "name": name,
        "product": councils._text(product, f"{where}: product", max_length=120),
        "output": _positive(output, "output", where=where),
        "labour": _positive(labour, "labour", allow_zero=True, where=where),
        "capacity": None
        if capacity in (None, "")
        else _positive(capacity, "capacity", allow_zero=True, where=where),
        "inputs": parsed_inputs,
    }


def _declaration_event(
    actor: Any, workplace: Council, rows: list[dict[str, Any]], how: str, seals: list[Technique]
) -> None:
    digest = hashlib.sha256(
        ledger.canonical_json(
            [
                [
                    row["name"],
                    row["product"],
                    _number(row["output"]),
                    _number(row["labour"]),
                    _number(row["capacity"]),
                    sorted([k, _number(v)] for k, v in row["inputs"].items()),
                ]
                for row in rows
            ]
        )
    ).hexdigest()
    current = open_round()
    append_event(
        "plan.techniques_declared",
        {
            "workplace": workplace.slug,
            "by": actor.get_username(),
            "how": how,
            "techniques": [row["name"] for row in rows][:50],
            "count": len(rows),
            "declarations_sha256": digest,
            "round": current.number if current else None,
        },
        seals=seals,
    )


@transaction.atomic
def declare_technique(
    actor: Any,
    workplace: Council,
    *,
    name: str,
    product: str,
    output: float,
    labour: float,
    capacity: float | None = None,
    inputs: Mapping[str, float] | None = None,
) -> Technique:
    """A workplace's officer declares (or revises) one technique.

    ``output`` is the proposal for the period; ``labour`` (hours) and ``inputs`` (product or
    resource name → quantity) are what that output needs; ``capacity`` is the most output per
    period under the norms now in force (None: no limit).
    """
    lock_ledger()
    councils._require_officer(actor, workplace)
    _require_kind(workplace, CouncilKind.WORKPLACE, "declares techniques")
    _check_proposal_window()
    row = _technique_row(name, product, output, labour, capacity, inputs, "technique")
    found = _check_techniques(workplace, [row], ["technique"])
    technique = _store_techniques(actor, workplace, [row], *found)[0]
    _declaration_event(actor, workplace, [row], "form", [technique])
    return technique


@transaction.atomic
def upload_techniques(
    actor: Any, workplace: Council, files: Mapping[str, bytes]
) -> list[Technique]:
    """Declare techniques from the canonical ``techniques.csv`` and ``inputs.csv`` tables.

    The tables are read by the economy package's own reader, against the congress's catalogue,
    so its checks and messages (file, line, value) apply; labour is the input named ``labour``.
    Any problem refuses the whole upload.
    """
    lock_ledger()
    councils._require_officer(actor, workplace)
    _require_kind(workplace, CouncilKind.WORKPLACE, "declares techniques")
    _check_proposal_window()
    unexpected = sorted(set(files) - set(UPLOAD_FILES))
    if unexpected:
        raise InvalidInputError(
            f"unexpected file(s) {', '.join(unexpected)}: upload techniques.csv "
            "and inputs.csv (products and resources are the congress's catalogue)",
            field="files",
        )
    missing = [name for name in UPLOAD_FILES if name not in files]
    if missing:
        raise InvalidInputError(f"missing {', '.join(missing)}", field="files")
    economy = _read_upload(files)
    m = economy.n_techniques
    uploaded = [i for i in range(m) if not str(economy.techniques[i]).startswith(CATALOGUE_PREFIX)]
    if not uploaded:
        raise InvalidInputError("techniques.csv: no rows", field="files")
    product_inputs = economy.input_coefficients.tocsc()
    resource_inputs = economy.resource_coefficients.tocsc()
    rows = []
    for i in uploaded:
        output = float(economy.technique_output[i])
        inputs: dict[str, float] = {}
        for matrix, names in (
            (product_inputs, economy.products),
            (resource_inputs, economy.resources),
        ):
            start, end = matrix.indptr[i], matrix.indptr[i + 1]
            for row, value in zip(matrix.indices[start:end], matrix.data[start:end], strict=True):
                if not str(names[row]).startswith(CATALOGUE_PREFIX):
                    inputs[str(names[row])] = float(value) * output
        labour = inputs.pop(LABOUR, None)
        if labour is None:
            raise InvalidInputError(
                f"inputs.csv: technique {economy.techniques[i]!r} has no row for "
                "labour (input labour, quantity = hours for its output)",
                field="files",
            )
        capacity = float(economy.technique_capacity[i])
        rows.append(
            {
                "name": str(economy.techniques[i]),
                "product": str(economy.products[economy.technique_product[i]]),
                "output": output,
                "labour": labour,
                "capacity": None if math.isinf(capacity) else capacity,
                "inputs": inputs,
            }
        )
    found = _check_techniques(
        workplace, rows, [f"techniques.csv technique {r['name']!r}" for r in rows]
    )
    stored = _store_techniques(actor, workplace, rows, *found)
    _declaration_event(actor, workplace, rows, "upload", stored)
    return stored


def _read_upload(files: Mapping[str, bytes]) -> Any:
    """Read the upload with the catalogue written as products.csv and resources.csv.

    The reader wants every product made by some technique, so a placeholder technique per
    catalogue product follows the uploaded rows (line numbers stay the uploader's). Each
    technique also gets a zero row for a placeholder product and resource, after the uploaded
    inputs, so that no column of the reader's sparse matrices is empty.
    """
    import csv
    import io

    from kuzbass.economy.model import Economy

    filler = f"{CATALOGUE_PREFIX}nothing"
    with tempfile.TemporaryDirectory(prefix="kuzbass-upload-") as folder:
        base = Path(folder)
        techniques = files["techniques.csv"].decode("utf-8-sig", errors="replace").rstrip("\r\n")
        inputs = files["inputs.csv"].decode("utf-8-sig", errors="replace").rstrip("\r\n")
        catalogue = [*Product.objects.values_list("name", "unit"), (filler, "-")]
        registered = list(Resource.objects.values_list("name", "unit", "available"))
        resources = [
            [name, unit, "" if stock is None else repr(stock)] for name, unit, stock in registered
        ]
        if LABOUR not in {name for name, _, _ in registered}:
            resources.append([LABOUR, "hours", ""])
        resources.append([filler + "-resource", "-", ""])
        uploaded = [
            (row.get("technique") or "").strip() for row in csv.DictReader(io.StringIO(techniques))
        ]
        header = next(csv.reader(io.StringIO(techniques)), [])
        tables: dict[str, list[list[str]]] = {
            "products.csv": [["product", "unit"], *map(list, catalogue)],
            "resources.csv": [["resource", "unit", "available"], *resources],
        }
        for name, rows in tables.items():
            with open(base / name, "w", newline="") as stream:
                csv.writer(stream).writerows(rows)
        placeholders = [f"{CATALOGUE_PREFIX}{name}" for name, _ in catalogue]
        with open(base / "techniques.csv", "w", newline="") as stream:
            stream.write(techniques + "\n")
            csv.writer(stream).writerows(
                [technique, product, "1"] + [""] * max(len(header) - 3, 0)
                for technique, (product, _) in zip(placeholders, catalogue, strict=True)
            )
        with open(base / "inputs.csv", "w", newline="") as stream:
            stream.write(inputs + "\n")
            csv.writer(stream).writerows(
                [technique, item, "0"]
                for technique in [*dict.fromkeys(t for t in uploaded if t), *placeholders]
                for item in (filler, filler + "-resource")
            )
        try:
            return Economy.read(base, format="csv")
        except EconomyError as error:
            problems = [p for p in error.problems if CATALOGUE_PREFIX not in p]
            raise InvalidInputError(
                "; ".join(problems or error.problems).replace(f"{base}/", ""), field="files"
            ) from error


@transaction.atomic
def withdraw_technique(actor: Any, technique: Technique) -> Technique:
    """A workplace's officer withdraws a technique from the coming plans."""
    lock_ledger()
    technique = (
        Technique.objects.select_for_update().select_related("workplace").get(pk=technique.pk)
    )
    councils._require_officer(actor, technique.workplace)
    _check_proposal_window()
    if not technique.active:
        raise RefusedError(f"technique {technique.name} is already withdrawn")
    technique.active = False
    technique.save(update_fields=["active"])
    append_event(
        "plan.technique_withdrawn",
        {
            "workplace": technique.workplace.slug,
            "technique": technique.name,
            "by": actor.get_username(),
        },
        seals=[technique],
    )
    return technique


# --- matters the councils vote on ---------------------------------------------------------------


def _table_matter(
    actor: Any,
    council: Council,
    kind: str,
    title: str,
    text: str,
    content: dict[str, Any],
    version: PlanVersion | None = None,
) -> Motion:
    lock_ledger()
    motion = councils.table_motion(actor, council, title=title, text=text)
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
    actor: Any,
    workplace: Council,
    *,
    hours_per_shift: float,
    days_per_period: float,
    workers: int | None = None,
) -> Motion:
    """Table the motion on a workplace's norms; carried, they set its operating hours
    (hours per shift × days per period), which scale its techniques' capacities, and its working
    time (× workers), which bounds the labour its techniques may use."""
    _require_kind(workplace, CouncilKind.WORKPLACE, "votes norms")
    hours = _positive(hours_per_shift, "hours_per_shift")
    days = _positive(days_per_period, "days_per_period")
    if hours > 24:
        raise InvalidInputError(
            f"hours_per_shift {hours:g} is more than a day", field="hours_per_shift"
        )
    content: dict[str, Any] = {"hours_per_shift": _number(hours), "days_per_period": _number(days)}
    if workers is not None:
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise InvalidInputError(
                f"workers {workers!r} must be a whole number ≥ 1", field="workers"
            )
        content["workers"] = workers
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
def propose_priorities(actor: Any, congress: Council, classes: list[str]) -> Motion:
    """Table the congress's motion ordering the uses of the product (class 1 first)."""
    _require_kind(congress, CouncilKind.CONGRESS, "votes priority classes")
    names = [councils._text(name, "priority class", max_length=80) for name in classes]
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
    actor: Any, congress: Council, *, round_limit: int, need_threshold: float
) -> Motion:
    """Table the congress's planning rules: the participatory round limit and the need threshold."""
    _require_kind(congress, CouncilKind.CONGRESS, "votes planning rules")
    if (
        not isinstance(round_limit, int)
        or isinstance(round_limit, bool)
        or not 1 <= round_limit <= 200
    ):
        raise InvalidInputError(
            f"round_limit {round_limit!r} must be a whole number from 1 to 200", field="round_limit"
        )
    threshold = _positive(need_threshold, "need_threshold", allow_zero=True)
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
        {"round_limit": round_limit, "need_threshold": _number(threshold)},
    )


@transaction.atomic
def propose_adoption(actor: Any, congress: Council, version: PlanVersion) -> Motion:
    """Table the congress's motion to adopt a draft plan version (naming its content hash)."""
    _require_kind(congress, CouncilKind.CONGRESS, "adopts the plan")
    if version.congress_id != congress.pk:
        raise InvalidInputError(
            f"plan version {version.number} belongs to another congress", field="version"
        )
    if version.status != VersionStatus.DRAFT:
        raise RefusedError(f"plan version {version.number} is already adopted")
    flags = version.content.get("flags", [])
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
    moment = councils.now()
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


# --- needs --------------------------------------------------------------------------------------


@transaction.atomic
def submit_need(
    actor: Any,
    council: Council,
    *,
    product: str,
    quantity: float,
    use: str = "basic needs",
    demand: Demand | None = None,
) -> Need:
    """A consumer council's officer submits (or revises) a need for the period.

    A need that comes from an adopted demand names it; the demand then enters the plan (its
    status becomes "in plan" through the platform's demand service).
    """
    lock_ledger()
    councils._require_officer(actor, council)
    _require_kind(council, CouncilKind.CONSUMER, "submits needs")
    _check_proposal_window()
    amount = _positive(quantity, "quantity", allow_zero=True)
    use = councils._text(use, "use", max_length=80)
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
        if demand.status == DemandStatus.OPEN:
            councils.put_demand_in_plan(
                actor,
                demand,
                note=f"need of {council.name}: {amount:g} {found.unit} of {found.name} ({use})",
            )
        elif demand.status != DemandStatus.IN_PLAN:
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
            "submitted_at": councils.now(),
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
            "quantity": _number(amount),
            "demand": demand.pk if demand else None,
            "revision": not created,
            "by": actor.get_username(),
            "round": current.number if current else None,
        },
        seals=[need],
    )
    return need


@transaction.atomic
def withdraw_need(actor: Any, need: Need) -> Need:
    """A consumer council's officer withdraws a need; the row stays, marked, as the ledger's seal
    of it must still verify (submitting the need again brings it back)."""
    lock_ledger()
    need = Need.objects.select_related("council", "product").get(pk=need.pk)
    councils._require_officer(actor, need.council)
    _check_proposal_window()
    if need.withdrawn_at is not None:
        raise RefusedError(f"the need for {need.product.name} ({need.use}) is already withdrawn")
    if need.demand_id is not None:
        raise RefusedError("this need carries an adopted demand; set its quantity instead")
    need.withdrawn_at = councils.now()
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


def congress() -> Council:
    """The congress that plans: the first one founded."""
    found = Council.objects.filter(kind=CouncilKind.CONGRESS).order_by("pk").first()
    if found is None:
        raise NoCongressError("there is no congress yet, so there is no plan")
    return found


# --- the planning round -------------------------------------------------------------------------


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
    return hashlib.sha256(ledger.canonical_json(_exact(content))).hexdigest()


def _exact(value: Any) -> Any:
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): _exact(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_exact(item) for item in value]
    return value


def compute_plan(
    congress: Council, *, prices: dict[str, float] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Assemble the economy from the declarations and plan it: (summary, content).

    Raises ``RefusedError`` with the reason when there is nothing to plan or no plan exists.
    """
    from kuzbass.planning import PlanInputError, optimal_plan

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
    except (EconomyError, LeontiefError) as error:
        raise RefusedError(f"labour values could not be computed: {error}") from error
    summary = {
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


def _store_version(
    actor: Any,
    congress: Council,
    summary: dict[str, Any],
    content: dict[str, Any],
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
        created_at=councils.now(),
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
            "summary": _exact(summary),
            "by": actor.get_username(),
            "round": participatory.number if participatory else None,
        },
        seals=[version],
    )
    return version


def run_planning_round(actor: Any, congress: Council) -> PlanVersion:
    """A congress officer runs the engine on every current declaration; stores a draft version.

    A run that fails (nothing to plan, an infeasible or unbounded plan) raises ``RefusedError`` with
    the engine's reasons and stores nothing: the previous draft stays as it was.
    """
    councils._require_officer(actor, congress)
    _require_kind(congress, CouncilKind.CONGRESS, "runs planning rounds")
    summary, content = compute_plan(congress)
    with transaction.atomic():
        return _store_version(actor, congress, summary, content, None)


# --- participatory rounds -----------------------------------------------------------------------


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


def latest_draft(congress: Council) -> PlanVersion | None:
    return PlanVersion.objects.filter(congress=congress).order_by("-number").first()


@transaction.atomic
def open_participatory_round(
    actor: Any, congress: Council, *, deadline: datetime
) -> ParticipatoryRound:
    """Publish the latest draft's indicative valuations (its labour values, in hours) as the
    prices of a new series of rounds; councils revise their proposals until ``deadline``."""
    from kuzbass.planning.participatory import START_PD

    lock_ledger()
    councils._require_officer(actor, congress)
    _require_kind(congress, CouncilKind.CONGRESS, "holds participatory rounds")
    if open_round() is not None:
        raise RefusedError("a participatory round is already open")
    if deadline <= councils.now():
        raise InvalidInputError("the deadline must be in the future", field="deadline")
    draft = latest_draft(congress)
    if draft is None:
        raise RefusedError("run a planning round first: the rounds start from a draft's valuations")
    values = {p["product"]: p["labour_value"] for p in draft.content["products"]}
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
    actor: Any,
) -> ParticipatoryRound:
    participatory = ParticipatoryRound.objects.create(
        congress=congress,
        series=series,
        number=number,
        opened_at=councils.now(),
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
            "prices": _exact(prices),
            "by": actor.get_username(),
        },
        seals=[participatory],
    )
    return participatory


def close_participatory_round(actor: Any, participatory: ParticipatoryRound) -> ParticipatoryRound:
    """After the deadline: tally every council's standing proposal (one that did not answer keeps
    its last), move the prices by the facilitation rule, plan at the new prices, and open the
    next round unless the goods balance or the congress's round limit is reached."""
    from kuzbass.planning.participatory import GoodKind, Goods, facilitation_round

    congress = participatory.congress
    councils._require_officer(actor, congress)
    if participatory.closed_at is not None:
        raise RefusedError(f"round {participatory.number} is already closed")
    if councils.now() < participatory.deadline:
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
            _store_version(actor, congress, summary, content, locked)
            if summary is not None and content is not None
            else None
        )
        locked.closed_at = councils.now()
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
                "max_imbalance_percent": _number(outcome["max_imbalance_percent"]),
                "version": version.number if version else None,
                "new_prices": _exact(new_prices),
            },
            seals=[locked],
        )
        if not locked.final:
            _open(
                congress,
                locked.series,
                locked.number + 1,
                councils.now() + (locked.deadline - locked.opened_at),
                new_prices,
                {n: float(p) for n, p in zip(names, update.next_pd, strict=True)},
                actor,
            )
        return locked


# --- reading the plan ---------------------------------------------------------------------------


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
        for row in version.content["products"]
        if row["labour_value"] is not None
    }


def workplace_part(version: PlanVersion, workplace: Council) -> dict[str, Any]:
    """What the plan asks of one workplace: outputs, inputs it will receive, hours, techniques."""
    part = dict(
        version.content["workplaces"].get(workplace.slug)
        or {
            "hours": 0.0,
            "available_hours": None,
            "revenue": 0.0,
            "balance": 0.0,
            "outputs": [],
            "inputs": [],
        }
    )
    part["techniques"] = [
        t for t in version.content["techniques"] if t["workplace"] == workplace.slug
    ]
    part["flags"] = [f for f in version.content["flags"] if f["subject"] == workplace.slug]
    return part


def consumer_part(version: PlanVersion, council: Council) -> list[dict[str, Any]]:
    """What each of a consumer council's needs gets in the plan."""
    return [n for n in version.content["needs"] if n["council"] == council.slug]


def diff_versions(old: PlanVersion, new: PlanVersion, limit: int = 50) -> dict[str, Any]:
    """What changed from one version to another: needs met, intensities, valuations, flags."""

    def changes(
        rows_old: list[dict[str, Any]],
        rows_new: list[dict[str, Any]],
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
            old.content["needs"], new.content["needs"], ("council", "product", "use"), "fulfilment"
        ),
        "intensities": changes(
            old.content["techniques"], new.content["techniques"], ("technique",), "intensity"
        ),
        "labour_values": changes(
            old.content["products"], new.content["products"], ("product",), "labour_value"
        ),
        "flags_added": [
            f["message"] for f in new.content["flags"] if f not in old.content["flags"]
        ],
        "flags_removed": [
            f["message"] for f in old.content["flags"] if f not in new.content["flags"]
        ],
    }
