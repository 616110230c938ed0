"""Crediting confirmed hours in bulk: the transfers are written by the database in chunks.

Crediting is idempotent: a registration's transfers carry its id and kind under a unique
constraint, and a registration counts as credited exactly when its ``hours`` transfer exists. A
process killed in the middle of crediting loses only its open transaction; running the crediting
again picks up exactly the registrations that were not credited.
"""

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min, Sum

from kuzbass.platform.accounts.models import (
    Account,
    AccountKind,
    CreditingBatch,
    Deductions,
    HourRegistration,
    Transfer,
    TransferKind,
)
from kuzbass.platform.accounts.services.balances import account_for
from kuzbass.platform.accounts.services.deductions import current_deductions
from kuzbass.platform.core import clock
from kuzbass.platform.ledger.services import append_event, lock_ledger, touched_query

CREDIT_CHUNK = 250_000


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
        lock_ledger()
        before = Account.objects.aggregate(last=Max("pk"))["last"] or 0
        for kind, column, owner in (
            (AccountKind.MEMBER, "worker_id", "user_id"),
            (AccountKind.WORKPLACE, "workplace_id", "council_id"),
        ):
            cursor.execute(
                f"INSERT INTO {account} (kind, {owner}, opened_at) "  # noqa: S608 (names only)
                f"SELECT DISTINCT %s, r.{column}, %s FROM {registration} r "
                f"WHERE r.id BETWEEN %s AND %s AND r.confirmed_at IS NOT NULL "
                f"ON CONFLICT (kind, {owner}) WHERE {owner} IS NOT NULL DO NOTHING",
                [kind.value, clock.now(), low, high],
            )
        opened = Account.objects.filter(pk__gt=before)
        if opened.exists():
            touched_query(opened)
            append_event("accounts.opened", {"accounts": opened.count()})
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
        moment = clock.now()
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
        touched_query(Transfer.objects.filter(batch=batch))
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
