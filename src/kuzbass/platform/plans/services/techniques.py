"""Techniques: each workplace declares (or revises, or withdraws) how it makes its product.

A technique's numbers are the workplace's proposal for the period: the output it proposes, the
hours and inputs that output needs, and its capacity under the norms in force when declared.
"""

import csv
import hashlib
import io
import math
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.db import transaction

from kuzbass import ledger
from kuzbass.economy.errors import EconomyError
from kuzbass.economy.model import LABOUR, Economy
from kuzbass.ledger import float_text
from kuzbass.platform.core import clock
from kuzbass.platform.core.actors import Actor, Visitor, require_user
from kuzbass.platform.core.checks import (
    NAME_LENGTH,
    check_council_kind,
    check_count,
    check_number,
    check_text,
    is_storable,
    unstorable_message,
)
from kuzbass.platform.core.errors import InvalidInputError, RefusedError
from kuzbass.platform.core.permissions import require_officer
from kuzbass.platform.councils.models import Council, CouncilKind
from kuzbass.platform.ledger.services import append_event, lock_ledger, touched
from kuzbass.platform.plans import assembly
from kuzbass.platform.plans.models import Product, Resource, Technique, TechniqueInput
from kuzbass.platform.plans.services.catalogue import CATALOGUE_PREFIX
from kuzbass.platform.plans.services.matters import current_norms
from kuzbass.platform.plans.services.rounds import check_proposal_window, open_round

UPLOAD_FILES = ("techniques.csv", "inputs.csv")


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
    actor: Actor,
    workplace: Council,
    rows: list[dict[str, Any]],
    products: dict[str, Product],
    resources: dict[str, Resource],
    existing: dict[str, Technique],
) -> list[Technique]:
    moment = clock.now()
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
    touched(Technique, [t.pk for t in stored])
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
    touched(TechniqueInput, [i.pk for i in inputs])
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
    name = check_text(name, f"{where}: name", max_length=120)
    if name.startswith(CATALOGUE_PREFIX):
        raise InvalidInputError(
            f"{where}: technique names may not start with {CATALOGUE_PREFIX}", field="name"
        )
    parsed_inputs: dict[str, float] = {}
    check_count(inputs or {}, f"{where}: inputs", most=10_000)
    for item, quantity in (inputs or {}).items():
        item = check_text(item, f"{where}: input name", max_length=NAME_LENGTH)
        if item in parsed_inputs:
            raise InvalidInputError(f"{where}: input {item!r} is given twice", field="inputs")
        parsed_inputs[item] = check_number(
            quantity, f"quantity of {item}", allow_zero=True, where=where
        )
    return {
        "name": name,
        "product": check_text(product, f"{where}: product", max_length=120),
        "output": check_number(output, "output", where=where),
        "labour": check_number(labour, "labour", allow_zero=True, where=where),
        "capacity": None
        if capacity in (None, "")
        else check_number(capacity, "capacity", allow_zero=True, where=where),
        "inputs": parsed_inputs,
    }


def _declaration_event(
    actor: Actor, workplace: Council, rows: list[dict[str, Any]], how: str, seals: list[Technique]
) -> None:
    digest = hashlib.sha256(
        ledger.canonical_json(
            [
                [
                    row["name"],
                    row["product"],
                    float_text(row["output"]),
                    float_text(row["labour"]),
                    float_text(row["capacity"]),
                    sorted([k, float_text(v)] for k, v in row["inputs"].items()),
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
    actor: Visitor,
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
    actor = require_user(actor)
    lock_ledger()
    require_officer(actor, workplace)
    check_council_kind(workplace, CouncilKind.WORKPLACE, "declares techniques")
    check_proposal_window()
    row = _technique_row(name, product, output, labour, capacity, inputs, "technique")
    found = _check_techniques(workplace, [row], ["technique"])
    technique = _store_techniques(actor, workplace, [row], *found)[0]
    _declaration_event(actor, workplace, [row], "form", [technique])
    return technique


@transaction.atomic
def upload_techniques(
    actor: Visitor, workplace: Council, files: Mapping[str, bytes]
) -> list[Technique]:
    """Declare techniques from the canonical ``techniques.csv`` and ``inputs.csv`` tables.

    The tables are read by the economy package's own reader, against the congress's catalogue,
    so its checks and messages (file, line, value) apply; labour is the input named ``labour``.
    Any problem refuses the whole upload.
    """
    actor = require_user(actor)
    lock_ledger()
    require_officer(actor, workplace)
    check_council_kind(workplace, CouncilKind.WORKPLACE, "declares techniques")
    check_proposal_window()
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
                "name": check_text(
                    str(economy.techniques[i]), "techniques.csv: technique", max_length=NAME_LENGTH
                ),
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


def _csv_text(data: bytes, name: str) -> str:
    """An uploaded table as text with ``\\n`` line ends, whatever ends its lines came with
    (CR-only from old spreadsheets, CRLF, LF), and without the trailing blank lines."""
    text = io.StringIO(data.decode("utf-8-sig", errors="replace"), newline=None).read()
    if not is_storable(text):
        raise InvalidInputError(unstorable_message(name), field="files")
    return text.rstrip("\n")


def _read_upload(files: Mapping[str, bytes]) -> Any:
    """Read the upload with the catalogue written as products.csv and resources.csv.

    The reader wants every product made by some technique, so a placeholder technique per
    catalogue product follows the uploaded rows (line numbers stay the uploader's). Each
    technique also gets a zero row for a placeholder product and resource, after the uploaded
    inputs, so that no column of the reader's sparse matrices is empty.
    """

    filler = f"{CATALOGUE_PREFIX}nothing"
    with tempfile.TemporaryDirectory(prefix="kuzbass-upload-") as folder:
        base = Path(folder)
        techniques, inputs = (_csv_text(files[name], name) for name in UPLOAD_FILES)
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
def withdraw_technique(actor: Visitor, technique: Technique) -> Technique:
    """A workplace's officer withdraws a technique from the coming plans."""
    actor = require_user(actor)
    lock_ledger()
    technique = (
        Technique.objects.select_for_update().select_related("workplace").get(pk=technique.pk)
    )
    require_officer(actor, technique.workplace)
    check_proposal_window()
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
