"""The congress's deductions from every credited hour, for the public and investment funds."""

from fractions import Fraction
from typing import Any

from django.db import transaction

from kuzbass.platform.accounts.models import (
    Deductions,
    TransferKind,
    hours,
    seconds_of,
)
from kuzbass.platform.core import clock
from kuzbass.platform.core.actors import Visitor, require_user
from kuzbass.platform.core.checks import check_hours, check_share
from kuzbass.platform.core.errors import InvalidInputError, RefusedError
from kuzbass.platform.core.permissions import require_officer
from kuzbass.platform.councils.models import Council, CouncilKind, Motion, MotionStatus
from kuzbass.platform.ledger.services import append_event, lock_ledger


def fraction_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


@transaction.atomic
def set_deductions(
    actor: Visitor,
    congress: Council,
    *,
    public_fund: str,
    investment_fund: str,
    overdraft_hours: Any = 0,
    motion: Motion | None = None,
) -> Deductions:
    """Record the deductions the congress voted (an officer of the congress enters them)."""
    actor = require_user(actor)
    lock_ledger()
    require_officer(actor, congress)
    if congress.kind != CouncilKind.CONGRESS:
        raise InvalidInputError(
            f"{congress.name} is not the congress: only the congress votes the deductions",
            field="congress",
        )
    public = check_share(public_fund, "public_fund")
    investment = check_share(investment_fund, "investment_fund")
    if public + investment >= 1:
        raise InvalidInputError(
            "public_fund and investment_fund together must leave part of every hour to the worker",
            field="investment_fund",
        )
    overdraft = check_hours(overdraft_hours, "overdraft_hours", allow_zero=True)
    if motion is not None and (
        motion.council_id != congress.pk or motion.status != MotionStatus.CARRIED
    ):
        raise InvalidInputError(
            f"motion {motion.number} is not a carried motion of {congress.name}", field="motion"
        )
    deductions = Deductions.objects.create(
        public_fund=fraction_text(public),
        investment_fund=fraction_text(investment),
        overdraft_seconds=seconds_of(overdraft),
        congress=congress,
        motion=motion,
        decided_at=clock.now(),
    )
    append_event(
        "deductions.set",
        {
            "congress": congress.slug,
            "public_fund": deductions.public_fund,
            "investment_fund": deductions.investment_fund,
            "overdraft_hours": str(hours(deductions.overdraft_seconds)),
            "motion": motion.pk if motion else None,
            "set_by": actor.get_username(),
        },
        seals=[deductions],
    )
    return deductions


def current_deductions() -> Deductions:
    deductions = Deductions.objects.select_related("congress").first()
    if deductions is None:
        raise RefusedError(
            "the congress has not voted the deductions yet, so no hours can be credited"
        )
    return deductions


def split_hours(seconds: int, deductions: Deductions) -> dict[str, int]:
    """A registration's seconds by transfer kind: each fund takes its share rounded down, the
    worker the rest, so the parts add up to exactly what was worked."""
    public = Fraction(deductions.public_fund)
    investment = Fraction(deductions.investment_fund)
    to_public = seconds * public.numerator // public.denominator
    to_investment = seconds * investment.numerator // investment.denominator
    return {
        TransferKind.HOURS: seconds - to_public - to_investment,
        TransferKind.PUBLIC_FUND: to_public,
        TransferKind.INVESTMENT_FUND: to_investment,
    }
