"""Hours worked: a workplace registers them (one line or a whole sheet), the worker confirms them.

A registration's ``key`` is the workplace's own reference (a time-sheet line): the same key twice
is refused, so a re-sent sheet never doubles anyone's hours.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from kuzbass.platform.accounts.models import (
    AccountKind,
    Deductions,
    HourRegistration,
    Transfer,
    TransferKind,
    hours,
    seconds_of,
)
from kuzbass.platform.accounts.services.balances import account_for
from kuzbass.platform.accounts.services.deductions import current_deductions, split_hours
from kuzbass.platform.core import clock
from kuzbass.platform.core.actors import Actor, Visitor, require_user
from kuzbass.platform.core.checks import check_council_kind, check_hours, check_text
from kuzbass.platform.core.errors import InvalidInputError, NotAllowedError, RefusedError
from kuzbass.platform.core.permissions import active_membership, require_officer
from kuzbass.platform.councils.models import Council, CouncilKind
from kuzbass.platform.ledger.services import append_event, lock_ledger, touched

MOST_HOURS_PER_REGISTRATION = Decimal(24 * 31)


def _period(period: Any) -> str:
    period = check_text(period, "period", max_length=20, required=False)
    if not period:
        raise InvalidInputError(
            "period must be given (up to 20 characters, e.g. 1989-07)", field="period"
        )
    return period


@transaction.atomic
def register_hours(
    actor: Visitor,
    workplace: Council,
    *,
    worker: Actor | None,
    hours_worked: Any,
    period: str,
    key: str,
) -> HourRegistration:
    """An officer of the workplace council records a member's hours; the worker confirms them."""
    actor = require_user(actor)
    lock_ledger()
    require_officer(actor, workplace)
    check_council_kind(workplace, CouncilKind.WORKPLACE, "registers hours worked")
    if worker is None or active_membership(worker, workplace) is None:
        name = worker.get_username() if worker is not None else "nobody"
        raise InvalidInputError(
            f"{name} is not a member of {workplace.name}: only its members' "
            "hours can be registered there",
            field="worker",
        )
    amount = check_hours(hours_worked, "hours")
    if amount > MOST_HOURS_PER_REGISTRATION:
        raise InvalidInputError(
            f"hours {amount} is more than a month has ({MOST_HOURS_PER_REGISTRATION})",
            field="hours",
        )
    seconds = seconds_of(amount)
    if seconds == 0:
        raise InvalidInputError(f"hours {amount} rounds to no time at all", field="hours")
    period = _period(period)
    key = check_text(key, "key", max_length=80, required=False)
    if not key:
        raise InvalidInputError("reference must be given (up to 80 characters)", field="key")
    if HourRegistration.objects.filter(workplace=workplace, key=key).exists():
        raise RefusedError(
            f"{workplace.name} has already registered hours under the reference {key!r}",
            field="key",
        )
    registration = HourRegistration.objects.create(
        workplace=workplace,
        worker=worker,
        period=period,
        key=key,
        seconds=seconds,
        registered_by=actor,
        registered_at=clock.now(),
    )
    append_event(
        "hours.registered",
        {
            "workplace": workplace.slug,
            "worker": worker.get_username(),
            "period": period,
            "key": key,
            "hours": str(registration.hours),
            "registration": registration.pk,
        },
        seals=[registration],
    )
    return registration


@transaction.atomic
def confirm_hours(actor: Visitor, registration: HourRegistration) -> list[Transfer]:
    """The worker confirms their hours; they are credited at once, after the deductions."""
    lock_ledger()
    actor = require_user(actor)
    registration = (
        HourRegistration.objects.select_for_update()
        .select_related("workplace", "worker")
        .get(pk=registration.pk)
    )
    if registration.worker_id != actor.pk:
        raise NotAllowedError("only the worker whose hours these are can confirm them")
    if registration.confirmed_at is not None:
        raise RefusedError(
            f"these hours were confirmed on {registration.confirmed_at:%Y-%m-%d %H:%M} UTC"
        )
    deductions = current_deductions()
    registration.confirmed_at = clock.now()
    registration.save(update_fields=["confirmed_at"])
    return _credit_one(registration, deductions)


def _credit_one(registration: HourRegistration, deductions: Deductions) -> list[Transfer]:
    workplace = account_for(AccountKind.WORKPLACE, council=registration.workplace)
    receivers = {
        TransferKind.HOURS: account_for(AccountKind.MEMBER, user=registration.worker),
        TransferKind.PUBLIC_FUND: account_for(AccountKind.PUBLIC_FUND),
        TransferKind.INVESTMENT_FUND: account_for(AccountKind.INVESTMENT_FUND),
    }
    moment = clock.now()
    transfers = [
        Transfer.objects.create(
            kind=kind,
            debit=workplace,
            credit=receivers[TransferKind(kind)],
            seconds=seconds,
            registration=registration,
            recorded_at=moment,
        )
        for kind, seconds in split_hours(registration.seconds, deductions).items()
        if seconds > 0
    ]
    append_event(
        "hours.credited",
        {
            "workplace": registration.workplace.slug,
            "worker": registration.worker.get_username(),
            "registration": registration.pk,
            "period": registration.period,
            "deductions": deductions.pk,
            "transfers": {t.kind: str(t.hours) for t in transfers},
        },
        seals=[registration, *transfers],
    )
    return transfers


@dataclass(frozen=True)
class SheetLine:
    """One line of a workplace's time sheet for bulk registration."""

    worker: str
    hours: Any
    key: str


@transaction.atomic
def register_sheet(
    actor: Visitor, workplace: Council, *, period: str, lines: Iterable[SheetLine]
) -> int:
    """Register a whole time sheet at once: every line is checked first, then all are written
    in one statement and sealed by one ledger event (the sheet's digest), or none is."""
    actor = require_user(actor)
    lock_ledger()
    import hashlib

    from kuzbass import ledger

    require_officer(actor, workplace)
    check_council_kind(workplace, CouncilKind.WORKPLACE, "registers hours worked")
    period = _period(period)
    lines = list(lines)
    names = {line.worker for line in lines}
    members = dict(
        get_user_model()
        .objects.filter(
            username__in=names,
            memberships__council=workplace,
            memberships__ended_at__isnull=True,
        )
        .values_list("username", "pk")
    )
    keys: set[str] = set()
    rows: list[HourRegistration] = []
    moment = clock.now()
    for number, line in enumerate(lines, start=1):
        if line.worker not in members:
            raise InvalidInputError(
                f"line {number}: {line.worker} is not a member of {workplace.name}", field="worker"
            )
        amount = check_hours(line.hours, f"line {number}: hours")
        if amount > MOST_HOURS_PER_REGISTRATION:
            raise InvalidInputError(
                f"line {number}: hours {amount} is more than a month has", field="hours"
            )
        key = check_text(line.key, f"line {number}: key", max_length=80, required=False)
        if not key or key in keys:
            raise InvalidInputError(
                f"line {number}: reference {key!r} is empty, too long or repeated", field="key"
            )
        keys.add(key)
        rows.append(
            HourRegistration(
                workplace=workplace,
                worker_id=members[line.worker],
                period=period,
                key=key,
                seconds=seconds_of(amount),
                registered_by=actor,
                registered_at=moment,
            )
        )
    if not rows:
        raise InvalidInputError("the time sheet has no lines", field="lines")
    taken = set(
        HourRegistration.objects.filter(workplace=workplace, key__in=keys).values_list(
            "key", flat=True
        )
    )
    if taken:
        raise RefusedError(
            f"{workplace.name} has already registered the references "
            f"{', '.join(sorted(taken)[:5])}",
            field="key",
        )
    HourRegistration.objects.bulk_create(rows, batch_size=5000)
    touched(HourRegistration, [row.pk for row in rows])
    digest = hashlib.sha256(
        ledger.canonical_json(
            sorted(
                [row.key, line.worker, row.seconds] for row, line in zip(rows, lines, strict=True)
            )
        )
    ).hexdigest()
    append_event(
        "hours.sheet_registered",
        {
            "workplace": workplace.slug,
            "period": period,
            "registrations": len(rows),
            "hours": str(hours(sum(row.seconds for row in rows))),
            "sheet": digest,
            "registered_by": actor.get_username(),
        },
    )
    return len(rows)


@transaction.atomic
def confirm_all_hours(actor: Visitor) -> int:
    """A worker confirms every registration of theirs still waiting (they are then credited by
    :func:`credit_confirmed_hours`, in bulk)."""
    lock_ledger()
    actor = require_user(actor)
    waiting = HourRegistration.objects.filter(worker=actor, confirmed_at__isnull=True)
    pks = list(waiting.values_list("pk", flat=True))
    count = waiting.update(confirmed_at=clock.now())
    touched(HourRegistration, pks)
    if count:
        append_event("hours.confirmed", {"worker": actor.get_username(), "registrations": count})
    return count
