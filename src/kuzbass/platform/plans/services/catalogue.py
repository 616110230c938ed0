"""The congress's catalogue: the products and natural resources that plans are made of."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from kuzbass.economy.model import LABOUR
from kuzbass.ledger import float_text
from kuzbass.platform.core.actors import Visitor, require_user
from kuzbass.platform.core.checks import check_council_kind, check_number, check_text
from kuzbass.platform.core.errors import InvalidInputError, RefusedError, ServiceError
from kuzbass.platform.core.permissions import require_officer
from kuzbass.platform.councils.models import Council, CouncilKind
from kuzbass.platform.ledger.services import append_event, lock_ledger
from kuzbass.platform.plans.models import Product, ProductKind, Resource, ResourceKind

CATALOGUE_PREFIX = "__catalogue__"
"""Reserved: names the upload reader gives its placeholders for the catalogue."""


class NoCongressError(ServiceError):
    """No congress has been founded, so nobody plans yet."""

    status = 404


def congress() -> Council:
    """The congress that plans: the first one founded."""
    found = Council.objects.filter(kind=CouncilKind.CONGRESS).order_by("pk").first()
    if found is None:
        raise NoCongressError("there is no congress yet, so there is no plan")
    return found


@transaction.atomic
def register_products(actor: Visitor, congress: Council, rows: Iterable[Mapping[str, Any]]) -> int:
    """The congress's officers add products to the catalogue (name, unit); returns how many."""
    actor = require_user(actor)
    lock_ledger()
    require_officer(actor, congress)
    check_council_kind(congress, CouncilKind.CONGRESS, "registers products")
    created = []
    for number, row in enumerate(rows, start=1):
        name = check_text(row.get("name"), f"product {number}: name", max_length=120)
        unit = check_text(row.get("unit"), f"product {number}: unit", max_length=40)
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
        kind = row.get("kind") or ProductKind.PRIVATE
        if kind not in ProductKind.values:
            raise InvalidInputError(
                f"product {number}: kind {kind!r} is not one of {', '.join(ProductKind.values)}",
                field="kind",
            )
        created.append(Product.objects.create(name=name, unit=unit, kind=kind))
    append_event(
        "plan.products_registered",
        {
            "congress": congress.slug,
            "by": actor.get_username(),
            "products": [[p.name, p.unit, p.kind] for p in created],
        },
        seals=created,
    )
    return len(created)


@transaction.atomic
def register_resources(actor: Visitor, congress: Council, rows: Iterable[Mapping[str, Any]]) -> int:
    """The congress's officers register resources (name, unit, available per period or None).

    ``labour`` is the economy's total working time; leaving it out leaves it unlimited except
    for each workplace's own working time under its norms.
    """
    actor = require_user(actor)
    lock_ledger()
    require_officer(actor, congress)
    check_council_kind(congress, CouncilKind.CONGRESS, "registers resources")
    changed = []
    for number, row in enumerate(rows, start=1):
        name = check_text(row.get("name"), f"resource {number}: name", max_length=120)
        unit = check_text(row.get("unit"), f"resource {number}: unit", max_length=40)
        if name.startswith(CATALOGUE_PREFIX) or name.startswith("labour at "):
            raise InvalidInputError(
                f"resource {number}: the name {name!r} is reserved", field="name"
            )
        stock = row.get("available")
        available = (
            None
            if stock in (None, "")
            else check_number(stock, "available", allow_zero=True, where=f"resource {number}")
        )
        if Product.objects.filter(name=name).exists():
            raise RefusedError(f"resource {number}: {name!r} is a product", field="name")
        kind = row.get("kind") or (
            ResourceKind.LABOUR if name == LABOUR else ResourceKind.NATURAL_RESOURCE
        )
        if kind not in ResourceKind.values:
            raise InvalidInputError(
                f"resource {number}: kind {kind!r} is not one of {', '.join(ResourceKind.values)}",
                field="kind",
            )
        resource, _ = Resource.objects.update_or_create(
            name=name, defaults={"unit": unit, "available": available, "kind": kind}
        )
        changed.append(resource)
    append_event(
        "plan.resources_registered",
        {
            "congress": congress.slug,
            "by": actor.get_username(),
            "resources": [[r.name, r.unit, float_text(r.available), r.kind] for r in changed],
        },
        seals=changed,
    )
    return len(changed)
