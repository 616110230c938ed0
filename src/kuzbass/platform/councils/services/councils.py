"""Founding councils and joining them into federations and the congress."""

from fractions import Fraction
from typing import Any

from django.db import transaction

from kuzbass.democracy import Constitution
from kuzbass.platform.core import clock
from kuzbass.platform.core.actors import Visitor, require_user
from kuzbass.platform.core.checks import (
    DESCRIPTION_LENGTH,
    SHARE_LENGTH,
    check_share_text,
    check_text,
)
from kuzbass.platform.core.errors import InvalidInputError, RefusedError
from kuzbass.platform.core.permissions import require_officer
from kuzbass.platform.councils.models import (
    COUNCILS_OF_COUNCILS,
    PETITION_SHARE,
    Affiliation,
    Council,
    CouncilKind,
)
from kuzbass.platform.ledger.services import append_event, lock_ledger


def check_petition_share(share: str) -> str:
    """The share of members whose signatures force a ballot: a fraction above 0, at most 1."""
    check_share_text(share, "petition_share")
    try:
        value = Fraction(share)
    except (ValueError, ZeroDivisionError) as error:
        raise InvalidInputError(
            f"petition_share: {share!r} is not a fraction", field="petition_share"
        ) from error
    if not 0 < value <= 1:
        raise InvalidInputError(
            f"petition_share: {share} is not above 0 and at most 1", field="petition_share"
        )
    return str(value)


def check_constitution(values: dict[str, Any], field: str = "constitution") -> Constitution:
    """A constitution from its fractions, or ``InvalidInputError`` saying which is wrong."""
    if isinstance(values, dict):
        for name, share in values.items():
            check_share_text(share, f"{field}: {name}")
    try:
        constitution = Constitution.from_dict(values)
    except (ValueError, TypeError, KeyError, ZeroDivisionError) as error:
        raise InvalidInputError(f"{field}: {error}", field=field) from error
    for name, share in constitution.to_dict().items():
        if len(share) > SHARE_LENGTH:
            raise InvalidInputError(
                f"{field}: {name} {share} is longer than {SHARE_LENGTH} characters", field=field
            )
    return constitution


def check_council(
    *, name: str, slug: str, kind: str, delegate_seats: int | None
) -> tuple[str, str]:
    """The council's clean name and short name, or the reason it cannot be founded."""
    if kind not in CouncilKind.values:
        raise InvalidInputError(
            f"kind {kind!r} is not one of {', '.join(CouncilKind.values)}", field="kind"
        )
    name = check_text(name, "name", max_length=200)
    slug = check_text(slug, "slug", max_length=80)
    if Council.objects.filter(slug=slug).exists():
        raise RefusedError(f"a council with the short name {slug!r} already exists", field="slug")
    if delegate_seats is not None and kind not in COUNCILS_OF_COUNCILS:
        raise InvalidInputError(
            "only a federation or congress has delegate seats", field="delegate_seats"
        )
    if delegate_seats is not None and delegate_seats < 1:
        raise InvalidInputError("delegate seats must be at least 1", field="delegate_seats")
    return name, slug


@transaction.atomic
def found_council(
    *,
    name: str,
    slug: str,
    kind: str,
    description: str = "",
    constitution: dict[str, Any] | None = None,
    open_signup: bool = False,
    delegate_seats: int | None = None,
    petition_share: str = PETITION_SHARE,
) -> Council:
    """Create a council (an administrator's act: councils are founded before they have members)."""
    lock_ledger()
    petition_share = check_petition_share(petition_share)
    name, slug = check_council(name=name, slug=slug, kind=kind, delegate_seats=delegate_seats)
    council = Council(
        name=name,
        slug=slug,
        kind=kind,
        description=check_text(
            description, "description", max_length=DESCRIPTION_LENGTH, required=False
        ),
        open_signup=open_signup,
        delegate_seats=delegate_seats,
        petition_share=petition_share,
    )
    parsed = check_constitution(
        constitution if constitution is not None else council.constitution_dict()
    )
    for key, value in parsed.to_dict().items():
        setattr(council, key, value)
    council.full_clean()
    council.save()
    append_event(
        "council.founded",
        {
            "council": council.slug,
            "name": council.name,
            "kind": council.kind,
            "constitution": parsed.to_dict(),
        },
        seals=[council],
    )
    return council


def check_affiliation(body: Council, member_council: Council) -> None:
    """Refuse a council that cannot join ``body`` (not a federation, itself, already in)."""
    if body.kind not in COUNCILS_OF_COUNCILS:
        raise RefusedError(f"{body.name} is not a federation or congress; councils cannot join it")
    if member_council.pk == body.pk or member_council.kind == CouncilKind.CONGRESS:
        raise InvalidInputError(
            f"{member_council.name} cannot be a member of {body.name}", field="member_council"
        )
    if Affiliation.objects.filter(
        body=body, member_council=member_council, ended_at__isnull=True
    ).exists():
        raise RefusedError(f"{member_council.name} is already a member of {body.name}")


@transaction.atomic
def affiliate(actor: Visitor, body: Council, member_council: Council) -> Affiliation:
    """An officer of a federation or the congress admits a council as a member."""
    actor = require_user(actor)
    lock_ledger()
    require_officer(actor, body)
    check_affiliation(body, member_council)
    affiliation = Affiliation.objects.create(
        body=body, member_council=member_council, admitted_at=clock.now()
    )
    append_event(
        "council.affiliated",
        {
            "body": body.slug,
            "member_council": member_council.slug,
            "admitted_by": actor.get_username(),
        },
        seals=[affiliation],
    )
    return affiliation
