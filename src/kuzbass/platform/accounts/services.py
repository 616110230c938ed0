"""Every action on labour-time accounts, one function each, for the pages, the API and the CLI.

As in ``councils.services``: each function runs in one ``transaction.atomic`` block that also
appends the ledger event recording the change, and refuses bad input with a
:class:`~kuzbass.platform.councils.services.ServiceError` before writing anything.

Crediting is idempotent: a registration's transfers carry its id and kind under a unique
constraint, and a registration counts as credited exactly when its ``hours`` transfer exists. A
process killed in the middle of crediting loses only its open transaction; running the crediting
again picks up exactly the registrations that were not credited.
"""

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min, Sum

from kuzbass.platform.accounts.models import (
    SECONDS_PER_HOUR,
    Account,
    AccountKind,
    Consumption,
    CreditingBatch,
    Deductions,
    DeviationThreshold,
    FulfilmentReport,
    HourRegistration,
    Transfer,
    TransferKind,
    hours,
)
from kuzbass.platform.councils.models import Council, CouncilKind, Motion, MotionStatus
from kuzbass.platform.councils.services import (
    InvalidInputError,
    NotAllowedError,
    RefusedError,
    _require_officer,
    _require_user,
    active_membership,
    now,
)
from kuzbass.platform.ledger.services import append_event, lock_ledger

MOST_HOURS_PER_REGISTRATION = Decimal(24 * 31)
DEFAULT_DEVIATION_THRESHOLD = Fraction(1, 10)
CREDIT_CHUNK = 250_000


# --- accounts and balances ---------------------------------------------------------------------


def account_for(kind: str, *, user: Any = None, council: Council | None = None) -> Account:
    """The account of a member, a workplace, or one of the common accounts, opened on first use."""
    if kind == AccountKind.MEMBER:
        account, _ = Account.objects.get_or_create(kind=kind, user=user)
    elif kind == AccountKind.WORKPLACE:
        account, _ = Account.objects.get_or_create(kind=kind, council=council)
    else:
        account, _ = Account.objects.get_or_create(kind=kind, user=None, council=None)
    return account


def balance_seconds(account: Account) -> int:
    return account.balance_seconds()


def member_balance_seconds(user: Any) -> int:
    account = Account.objects.filter(kind=AccountKind.MEMBER, user=user).first()
    return account.balance_seconds() if account else 0


def all_balances() -> dict[int, int]:
    """Every account's balance in seconds, derived from the transfers by two aggregations."""
    balances = dict.fromkeys(Account.objects.values_list("pk", flat=True), 0)
    for row in Transfer.objects.values("credit_id").annotate(total=Sum("seconds")).order_by():
        balances[row["credit_id"]] += int(row["total"])
    for out in Transfer.objects.values("debit_id").annotate(total=Sum("seconds")).order_by():
        balances[out["debit_id"]] -= int(out["total"])
    return balances


# --- deductions ----------------------------------------------------------------------------------


def _share(value: Any, field: str) -> Fraction:
    try:
        share = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError) as error:
        raise InvalidInputError(
            f"{field} {value!r} is not a fraction such as 3/20", field=field
        ) from error
    if not 0 <= share < 1:
        raise InvalidInputError(f"{field} {value!r} must be at least 0 and below 1", field=field)
    return share


def _fraction_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


@transaction.atomic
def set_deductions(
    actor: Any,
    congress: Council,
    *,
    public_fund: str,
    investment_fund: str,
    overdraft_hours: Any = 0,
    motion: Motion | None = None,
) -> Deductions:
    """Record the deductions the congress voted (an officer of the congress enters them)."""
    lock_ledger()
    _require_officer(actor, congress)
    if congress.kind != CouncilKind.CONGRESS:
        raise InvalidInputError(
            f"{congress.name} is not the congress: only the congress votes the deductions",
            field="congress",
        )
    public = _share(public_fund, "public_fund")
    investment = _share(investment_fund, "investment_fund")
    if public + investment >= 1:
        raise InvalidInputError(
            "public_fund and investment_fund together must leave part of every hour to the worker",
            field="investment_fund",
        )
    overdraft = _hours(overdraft_hours, "overdraft_hours", allow_zero=True)
    if motion is not None and (
        motion.council_id != congress.pk or motion.status != MotionStatus.CARRIED
    ):
        raise InvalidInputError(
            f"motion {motion.number} is not a carried motion of {congress.name}", field="motion"
        )
    deductions = Deductions.objects.create(
        public_fund=_fraction_text(public),
        investment_fund=_fraction_text(investment),
        overdraft_seconds=_seconds(overdraft),
        congress=congress,
        motion=motion,
        decided_at=now(),
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


# --- hours worked ------------------------------------------------------------------------------


def _hours(value: Any, field: str, *, allow_zero: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as error:
        raise InvalidInputError(f"{field} {value!r} is not a number", field=field) from error
    if not amount.is_finite() or amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidInputError(
            f"{field} must be a {'non-negative' if allow_zero else 'positive'} number of hours, "
            f"not {value}",
            field=field,
        )
    return amount


def _seconds(amount: Decimal) -> int:
    return int((amount * SECONDS_PER_HOUR).to_integral_value(rounding=ROUND_HALF_UP))


def _require_workplace(council: Council) -> None:
    if council.kind != CouncilKind.WORKPLACE:
        raise InvalidInputError(
            f"{council.name} is not a workplace council: only workplaces register hours worked",
            field="workplace",
        )


@transaction.atomic
def register_hours(
    actor: Any, workplace: Council, *, worker: Any, hours_worked: Any, period: str, key: str
) -> HourRegistration:
    """An officer of the workplace council records a member's hours; the worker confirms them."""
    lock_ledger()
    _require_officer(actor, workplace)
    _require_workplace(workplace)
    if worker is None or active_membership(worker, workplace) is None:
        name = worker.get_username() if worker is not None else "nobody"
        raise InvalidInputError(
            f"{name} is not a member of {workplace.name}: only its members' "
            "hours can be registered there",
            field="worker",
        )
    amount = _hours(hours_worked, "hours")
    if amount > MOST_HOURS_PER_REGISTRATION:
        raise InvalidInputError(
            f"hours {amount} is more than a month has ({MOST_HOURS_PER_REGISTRATION})",
            field="hours",
        )
    seconds = _seconds(amount)
    if seconds == 0:
        raise InvalidInputError(f"hours {amount} rounds to no time at all", field="hours")
    period = (period or "").strip()
    key = (key or "").strip()
    if not period or len(period) > 20:
        raise InvalidInputError(
            "period must be given (up to 20 characters, e.g. 1989-07)", field="period"
        )
    if not key or len(key) > 80:
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
        registered_at=now(),
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
def confirm_hours(actor: Any, registration: HourRegistration) -> list[Transfer]:
    """The worker confirms their hours; they are credited at once, after the deductions."""
    lock_ledger()
    _require_user(actor)
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
    registration.confirmed_at = now()
    registration.save(update_fields=["confirmed_at"])
    return _credit_one(registration, deductions)


def _credit_one(registration: HourRegistration, deductions: Deductions) -> list[Transfer]:
    workplace = account_for(AccountKind.WORKPLACE, council=registration.workplace)
    receivers = {
        TransferKind.HOURS: account_for(AccountKind.MEMBER, user=registration.worker),
        TransferKind.PUBLIC_FUND: account_for(AccountKind.PUBLIC_FUND),
        TransferKind.INVESTMENT_FUND: account_for(AccountKind.INVESTMENT_FUND),
    }
    moment = now()
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
    actor: Any, workplace: Council, *, period: str, lines: Iterable[SheetLine]
) -> int:
    """Register a whole time sheet at once: every line is checked first, then all are written
    in one statement and sealed by one ledger event (the sheet's digest), or none is."""
    lock_ledger()
    import hashlib

    from django.contrib.auth import get_user_model

    from kuzbass import ledger

    _require_officer(actor, workplace)
    _require_workplace(workplace)
    period = (period or "").strip()
    if not period or len(period) > 20:
        raise InvalidInputError(
            "period must be given (up to 20 characters, e.g. 1989-07)", field="period"
        )
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
    moment = now()
    for number, line in enumerate(lines, start=1):
        if line.worker not in members:
            raise InvalidInputError(
                f"line {number}: {line.worker} is not a member of {workplace.name}", field="worker"
            )
        amount = _hours(line.hours, f"line {number}: hours")
        if amount > MOST_HOURS_PER_REGISTRATION:
            raise InvalidInputError(
                f"line {number}: hours {amount} is more than a month has", field="hours"
            )
        key = (line.key or "").strip()
        if not key or len(key) > 80 or key in keys:
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
                seconds=_seconds(amount),
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
def confirm_all_hours(actor: Any) -> int:
    """A worker confirms every registration of theirs still waiting (they are then credited by
    :func:`credit_confirmed_hours`, in bulk)."""
    lock_ledger()
    _require_user(actor)
    waiting = HourRegistration.objects.filter(worker=actor, confirmed_at__isnull=True)
    count = waiting.update(confirmed_at=now())
    if count:
        append_event("hours.confirmed", {"worker": actor.get_username(), "registrations": count})
    return count


@dataclass(frozen=True)
class CreditingResult:
    registrations: int
    transfers: int
    batches: int


def credit_confirmed_hours(
    *, chunk: int = CREDIT_CHUNK, progress: Callable[[int, int], None] | None = None
) -> CreditingResult:
    """Credit every confirmed registration that has not been credited, in chunks.

    Each chunk is one transaction: the transfers are written by ``INSERT … SELECT`` in the
    database (the deductions split in integer arithmetic, as :func:`split_hours` does) and sealed
    by one ``hours.credited_batch`` event. Killing the process loses at most the open chunk, which
    the next run credits; the unique constraint makes a double credit impossible.
    """
    waiting = HourRegistration.objects.filter(confirmed_at__isnull=False).exclude(
        transfers__kind=TransferKind.HOURS
    )
    ends = waiting.aggregate(first=Min("pk"), last=Max("pk"))
    if ends["first"] is None:
        return CreditingResult(0, 0, 0)
    deductions = current_deductions()
    _open_accounts(ends["first"], ends["last"])
    registrations = transfers = batches = 0
    total = ends["last"] - ends["first"] + 1
    for low in range(ends["first"], ends["last"] + 1, chunk):
        high = min(low + chunk - 1, ends["last"])
        credited, written = _credit_chunk(low, high, deductions)
        registrations += credited
        transfers += written
        batches += 1 if credited else 0
        if progress is not None:
            progress(high - ends["first"] + 1, total)
    return CreditingResult(registrations, transfers, batches)


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _open_accounts(low: int, high: int) -> None:
    """Open, in one statement each, the accounts of every worker and workplace that confirmed
    registrations with ids from ``low`` to ``high`` will credit (an unused account is empty)."""
    registration, account = _table(HourRegistration), _table(Account)
    with transaction.atomic(), connection.cursor() as cursor:
        for kind, column, owner in (
            (AccountKind.MEMBER, "worker_id", "user_id"),
            (AccountKind.WORKPLACE, "workplace_id", "council_id"),
        ):
            cursor.execute(
                f"INSERT INTO {account} (kind, {owner}, opened_at) "  # noqa: S608 (names only)
                f"SELECT DISTINCT %s, r.{column}, %s FROM {registration} r "
                f"WHERE r.id BETWEEN %s AND %s AND r.confirmed_at IS NOT NULL "
                f"ON CONFLICT (kind, {owner}) WHERE {owner} IS NOT NULL DO NOTHING",
                [kind.value, now(), low, high],
            )
        if connection.vendor == "postgresql":
            # Fresh statistics for the accounts just opened: PostgreSQL plans its reference
            # checks once per session, and a plan made while the table was small would scan it
            # row by row for every transfer.
            cursor.execute(f"ANALYZE {account}")


def _credit_chunk(low: int, high: int, deductions: Deductions) -> tuple[int, int]:
    """Credit the confirmed, uncredited registrations with ids from ``low`` to ``high``.

    Each registration gets its ``hours`` transfer (workplace to worker, the hours after the
    deductions); each fund gets one transfer per workplace holding the sum of that workplace's
    deductions in the chunk, exactly the sum of what :func:`split_hours` gives registration by
    registration. The SQL text holds only table names from Django's model metadata and the
    integer numerators and denominators of the deductions; every value is a query parameter.
    """
    public = Fraction(deductions.public_fund)
    investment = Fraction(deductions.investment_fund)
    registration, account, transfer = (
        _table(HourRegistration),
        _table(Account),
        _table(Transfer),
    )
    in_range = "r.id BETWEEN %s AND %s AND r.confirmed_at IS NOT NULL"
    net = (
        f"r.seconds - (r.seconds * {public.numerator}) / {public.denominator} "
        f"- (r.seconds * {investment.numerator}) / {investment.denominator}"
    )
    with transaction.atomic():
        lock_ledger()
        moment = now()
        batch = CreditingBatch.objects.create(deductions=deductions, credited_at=moment)
        funds = {  # in the order of the sums selected below
            TransferKind.PUBLIC_FUND: account_for(AccountKind.PUBLIC_FUND).pk,
            TransferKind.INVESTMENT_FUND: account_for(AccountKind.INVESTMENT_FUND).pk,
        }
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {transfer} (kind, debit_id, credit_id, seconds, registration_id, "  # noqa: S608
                f"batch_id, recorded_at) "
                f"SELECT %s, w.id, m.id, {net}, r.id, %s, %s FROM {registration} r "
                f"JOIN {account} w ON w.kind = %s AND w.council_id = r.workplace_id "
                f"JOIN {account} m ON m.kind = %s AND m.user_id = r.worker_id "
                f"WHERE {in_range} "
                f"ON CONFLICT (registration_id, kind) WHERE registration_id IS NOT NULL "
                f"DO NOTHING",
                [
                    TransferKind.HOURS.value,
                    batch.pk,
                    moment,
                    AccountKind.WORKPLACE.value,
                    AccountKind.MEMBER.value,
                    low,
                    high,
                ],
            )
            credited = written = cursor.rowcount
            if credited:
                cursor.execute(
                    f"SELECT t.debit_id, "  # noqa: S608 (names and integers only)
                    f"SUM((r.seconds * {public.numerator}) / {public.denominator}), "
                    f"SUM((r.seconds * {investment.numerator}) / {investment.denominator}) "
                    f"FROM {transfer} t JOIN {registration} r ON r.id = t.registration_id "
                    f"WHERE t.batch_id = %s AND t.kind = %s GROUP BY t.debit_id",
                    [batch.pk, TransferKind.HOURS.value],
                )
                deducted = [
                    Transfer(
                        kind=fund,
                        debit_id=workplace,
                        credit_id=funds[fund],
                        seconds=int(seconds),
                        batch=batch,
                        recorded_at=moment,
                    )
                    for workplace, *amounts in cursor.fetchall()
                    for fund, seconds in zip(funds, amounts, strict=True)
                    if seconds
                ]
                Transfer.objects.bulk_create(deducted)
                written += len(deducted)
        if credited == 0:
            transaction.set_rollback(True)
            return 0, 0
        append_event(
            "hours.credited_batch",
            {
                "batch": batch.pk,
                "registrations": credited,
                "transfers": written,
                "deductions": deductions.pk,
                "range": [low, high],
            },
            seals=[batch],
        )
        return credited, written


def credited_seconds(registrations: Any) -> int:
    """Hours credited (before deductions) for a queryset of registrations."""
    return int(
        registrations.filter(transfers__kind=TransferKind.HOURS).aggregate(total=Sum("seconds"))[
            "total"
        ]
        or 0
    )


# --- consumption -------------------------------------------------------------------------------


def adopted_labour_values() -> dict[str, Decimal]:
    """Hours per unit of each good under the adopted plan (from the plan cycle)."""
    from kuzbass.platform.plans.services import NoAdoptedPlan
    from kuzbass.platform.plans.services import adopted_labour_values as plan_values

    try:
        return plan_values()
    except NoAdoptedPlan as error:
        raise RefusedError(
            "no plan has been adopted yet: goods are priced at the labour values of "
            "the adopted plan"
        ) from error


@transaction.atomic
def consume(actor: Any, lines: Mapping[str, Any]) -> list[Consumption]:
    """A member takes goods from the social product, paying their labour values in hours.

    Refused as a whole if a good is unknown to the adopted plan, a quantity is not positive, or
    the total would take the balance below what the congress allows (its overdraft).
    """
    lock_ledger()
    _require_user(actor)
    if not lines:
        raise InvalidInputError("name at least one good and its quantity", field="lines")
    values = adopted_labour_values()
    priced: list[tuple[str, Decimal, Decimal, int]] = []
    for product, quantity in lines.items():
        if product not in values:
            raise InvalidInputError(
                f"good {product!r} is not in the adopted plan (its goods: "
                f"{', '.join(sorted(values))})",
                field="product",
            )
        amount = _hours(quantity, f"quantity of {product}")
        value = Decimal(values[product])
        priced.append((product, amount, value, _seconds(amount * value)))
    member = account_for(AccountKind.MEMBER, user=actor)
    Account.objects.select_for_update().get(pk=member.pk)  # one consumption at a time per member
    deductions = current_deductions()
    balance = member.balance_seconds()
    total = sum(seconds for *_, seconds in priced)
    if balance - total < -deductions.overdraft_seconds:
        raise RefusedError(
            f"these goods cost {hours(total)} h but your balance is {hours(balance)} h"
            + (
                f" and the congress allows an overdraft of {hours(deductions.overdraft_seconds)} h"
                if deductions.overdraft_seconds
                else " and the congress allows no overdraft"
            ),
            field="quantity",
        )
    social_product = account_for(AccountKind.SOCIAL_PRODUCT)
    moment = now()
    consumptions: list[Consumption] = []
    sealed: list[Any] = []
    for product, amount, value, seconds in priced:
        consumption = Consumption.objects.create(
            member=actor,
            product=product,
            quantity=amount,
            labour_value=value,
            seconds=seconds,
            consumed_at=moment,
        )
        consumptions.append(consumption)
        if seconds > 0:
            sealed.append(
                Transfer.objects.create(
                    kind=TransferKind.CONSUMPTION,
                    debit=member,
                    credit=social_product,
                    seconds=seconds,
                    consumption=consumption,
                    recorded_at=moment,
                )
            )
    append_event(
        "goods.consumed",
        {
            "member": actor.get_username(),
            "goods": {
                p: {"quantity": str(a), "hours_per_unit": str(v), "hours": str(hours(s))}
                for p, a, v, s in priced
            },
            "hours": str(hours(total)),
        },
        seals=sealed,
    )
    return consumptions


# --- fulfilment --------------------------------------------------------------------------------


@transaction.atomic
def set_deviation_threshold(actor: Any, workplace: Council, threshold: str) -> DeviationThreshold:
    """The workplace council sets how far actual figures may stray from the plan unflagged."""
    lock_ledger()
    _require_officer(actor, workplace)
    _require_workplace(workplace)
    share = _share(threshold, "threshold")
    if share == 0:
        raise InvalidInputError("threshold must be above 0", field="threshold")
    row, _ = DeviationThreshold.objects.update_or_create(
        workplace=workplace, defaults={"threshold": _fraction_text(share), "set_at": now()}
    )
    append_event(
        "fulfilment.threshold_set",
        {"workplace": workplace.slug, "threshold": row.threshold, "set_by": actor.get_username()},
        seals=[row],
    )
    return row


def _quantities(values: Mapping[str, Any] | None, field: str) -> dict[str, str]:
    return {
        str(k): str(_hours(v, f"{field} {k}", allow_zero=True)) for k, v in (values or {}).items()
    }


@transaction.atomic
def report_fulfilment(
    actor: Any,
    workplace: Council,
    *,
    period: str,
    product: str,
    planned_output: Any,
    actual_output: Any,
    planned_hours: Any,
    inputs_planned: Mapping[str, Any] | None = None,
    inputs_received: Mapping[str, Any] | None = None,
    plan_version: str = "",
) -> FulfilmentReport:
    """An officer reports the period's actual output and inputs received against the plan."""
    lock_ledger()
    _require_officer(actor, workplace)
    _require_workplace(workplace)
    period = (period or "").strip()
    if not period:
        raise InvalidInputError("period must be given", field="period")
    planned_in = _quantities(inputs_planned, "planned input")
    received = _quantities(inputs_received, "input received")
    unknown = sorted(set(received) - set(planned_in))
    if unknown:
        raise InvalidInputError(
            f"inputs received that the plan does not give {workplace.name}: {', '.join(unknown)}",
            field="inputs_received",
        )
    if FulfilmentReport.objects.filter(
        workplace=workplace, period=period, product=product
    ).exists():
        raise RefusedError(
            f"{workplace.name} has already reported {product} for {period}", field="period"
        )
    report = FulfilmentReport.objects.create(
        workplace=workplace,
        period=period,
        product=product,
        planned_output=_hours(planned_output, "planned_output", allow_zero=True),
        actual_output=_hours(actual_output, "actual_output", allow_zero=True),
        planned_hours=None
        if planned_hours is None
        else _hours(planned_hours, "planned_hours", allow_zero=True),
        inputs_planned=planned_in,
        inputs_received=received,
        plan_version=plan_version,
        reported_by=actor,
        reported_at=now(),
    )
    append_event(
        "fulfilment.reported",
        {
            "workplace": workplace.slug,
            "period": period,
            "product": product,
            "planned_output": str(report.planned_output),
            "actual_output": str(report.actual_output),
        },
        seals=[report],
    )
    return report


@dataclass(frozen=True)
class Fulfilment:
    """A report with its deviations (actual / planned − 1) and whether any passes the threshold."""

    report: FulfilmentReport
    actual_hours: Decimal
    output_deviation: float | None
    hours_deviation: float | None
    input_deviations: dict[str, float | None]
    threshold: Fraction

    @property
    def output_change(self) -> str:
        return _percent(self.output_deviation)

    @property
    def hours_change(self) -> str:
        return _percent(self.hours_deviation)

    @property
    def inputs(self) -> list[tuple[str, str, str, str]]:
        """(input, planned, received, change) for the pages."""
        return [
            (
                name,
                planned,
                self.report.inputs_received.get(name, "0"),
                _percent(self.input_deviations[name]),
            )
            for name, planned in self.report.inputs_planned.items()
        ]

    @property
    def flagged(self) -> list[str]:
        limit = float(self.threshold)
        found = []
        if self.output_deviation is not None and abs(self.output_deviation) > limit:
            found.append("output")
        if self.hours_deviation is not None and abs(self.hours_deviation) > limit:
            found.append("hours")
        found += [
            f"input {name}"
            for name, dev in self.input_deviations.items()
            if dev is not None and abs(dev) > limit
        ]
        return found


def _percent(deviation: float | None) -> str:
    if deviation is None:
        return "—"
    return "none planned" if math.isinf(deviation) else f"{deviation:+.1%}"


def _deviation(actual: Decimal, planned: Decimal) -> float | None:
    """actual / planned − 1; infinite when the plan asks for none and some came (or went)."""
    if planned == 0:
        return None if actual == 0 else math.inf
    return float(actual / planned - 1)


def fulfilment(period: str | None = None, workplace: Council | None = None) -> list[Fulfilment]:
    """Every report with its deviations; actual hours are the credited registrations of the
    workplace and period (nothing stored twice)."""
    reports = FulfilmentReport.objects.select_related("workplace")
    if period is not None:
        reports = reports.filter(period=period)
    if workplace is not None:
        reports = reports.filter(workplace=workplace)
    thresholds = {
        row.workplace_id: Fraction(row.threshold) for row in DeviationThreshold.objects.all()
    }
    worked = {
        (row["workplace_id"], row["period"]): int(row["total"])
        for row in HourRegistration.objects.filter(transfers__kind=TransferKind.HOURS)
        .values("workplace_id", "period")
        .annotate(total=Sum("seconds"))
        .order_by()
    }
    rows = []
    for report in reports:
        actual_hours = hours(worked.get((report.workplace_id, report.period), 0))
        rows.append(
            Fulfilment(
                report=report,
                actual_hours=actual_hours,
                output_deviation=_deviation(report.actual_output, report.planned_output),
                hours_deviation=None
                if report.planned_hours is None
                else _deviation(actual_hours, report.planned_hours),
                input_deviations={
                    name: _deviation(
                        Decimal(report.inputs_received.get(name, "0")), Decimal(planned)
                    )
                    for name, planned in report.inputs_planned.items()
                },
                threshold=thresholds.get(report.workplace_id, DEFAULT_DEVIATION_THRESHOLD),
            )
        )
    return rows
