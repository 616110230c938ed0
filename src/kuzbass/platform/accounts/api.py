"""The accounts part of the JSON API, mounted on the platform's API under ``/api/accounts/``.

Same rules as the rest of the API: reading statistics is public, a member's own account needs
their session, every change needs the session and the CSRF token.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.security import django_auth

from kuzbass.platform.accounts import services
from kuzbass.platform.accounts.models import Account, AccountKind, HourRegistration, hours
from kuzbass.platform.core.api import ERRORS
from kuzbass.platform.councils.models import Council

router = Router(tags=["accounts"])


class RegistrationIn(Schema):
    worker: str
    hours: Decimal
    period: str
    key: str


class RegistrationOut(Schema):
    id: int
    workplace: str
    worker: str
    period: str
    key: str
    hours: Decimal
    confirmed_at: datetime | None
    credited: bool

    @staticmethod
    def of(registration: HourRegistration) -> "RegistrationOut":
        return RegistrationOut(
            id=registration.pk,
            workplace=registration.workplace.slug,
            worker=registration.worker.get_username(),
            period=registration.period,
            key=registration.key,
            hours=registration.hours,
            confirmed_at=registration.confirmed_at,
            credited=registration.transfers.filter(kind="hours").exists(),
        )


class TransferOut(Schema):
    kind: str
    hours: Decimal


class AccountOut(Schema):
    username: str
    balance_hours: Decimal
    waiting: list[RegistrationOut]


class ConsumptionIn(Schema):
    goods: dict[str, Decimal]


class ConsumptionOut(Schema):
    product: str
    quantity: Decimal
    hours_per_unit: Decimal
    hours: Decimal


class FundsOut(Schema):
    balances: dict[str, Decimal]
    accounts: int
    total: Decimal


class FulfilmentOut(Schema):
    workplace: str
    period: str
    product: str
    planned_output: Decimal
    actual_output: Decimal
    planned_hours: Decimal | None
    credited_hours: Decimal
    threshold: str
    flagged: list[str]


@router.get("/me", response={200: AccountOut, **ERRORS}, auth=django_auth)
def my_account(request: HttpRequest) -> AccountOut:
    user: Any = request.user
    waiting = HourRegistration.objects.filter(worker=user, confirmed_at__isnull=True)
    return AccountOut(
        username=user.get_username(),
        balance_hours=hours(services.member_balance_seconds(user)),
        waiting=[RegistrationOut.of(r) for r in waiting.select_related("workplace", "worker")],
    )


@router.post(
    "/workplaces/{slug}/registrations", response={201: RegistrationOut, **ERRORS}, auth=django_auth
)
def register_hours(request: HttpRequest, slug: str, body: RegistrationIn) -> Any:
    """An officer of the workplace council registers a member's hours."""
    council = get_object_or_404(Council, slug=slug)
    worker = get_user_model().objects.filter(username=body.worker).first()
    if worker is None:
        return Status(400, {"detail": f"no member called {body.worker!r}", "field": "worker"})
    registration = services.register_hours(
        request.user,
        council,
        worker=worker,
        hours_worked=body.hours,
        period=body.period,
        key=body.key,
    )
    return Status(201, RegistrationOut.of(registration))


@router.post(
    "/registrations/{registration_id}/confirm",
    response={200: list[TransferOut], **ERRORS},
    auth=django_auth,
)
def confirm_hours(request: HttpRequest, registration_id: int) -> list[TransferOut]:
    """The worker confirms; the answer lists the transfers that credited the hours."""
    registration = get_object_or_404(HourRegistration, pk=registration_id)
    return [
        TransferOut(kind=t.kind, hours=t.hours)
        for t in services.confirm_hours(request.user, registration)
    ]


@router.post("/consume", response={201: list[ConsumptionOut], **ERRORS}, auth=django_auth)
def consume(request: HttpRequest, body: ConsumptionIn) -> Any:
    taken = services.consume(request.user, body.goods)
    return Status(
        201,
        [
            ConsumptionOut(
                product=c.product, quantity=c.quantity, hours_per_unit=c.labour_value, hours=c.hours
            )
            for c in taken
        ],
    )


@router.get("/funds", response=FundsOut)
def funds(request: HttpRequest) -> FundsOut:
    """Balances by kind of account, derived from the transfers (they sum to zero)."""
    balances = services.all_balances()
    kinds = dict(Account.objects.values_list("pk", "kind"))
    by_kind = dict.fromkeys(AccountKind.values, 0)
    for pk, seconds in balances.items():
        by_kind[kinds[pk]] += seconds
    return FundsOut(
        balances={k: hours(v) for k, v in by_kind.items()},
        accounts=len(balances),
        total=hours(sum(balances.values())),
    )


@router.get("/fulfilment", response=list[FulfilmentOut])
def fulfilment(request: HttpRequest, period: str | None = None) -> list[FulfilmentOut]:
    return [
        FulfilmentOut(
            workplace=f.report.workplace.slug,
            period=f.report.period,
            product=f.report.product,
            planned_output=f.report.planned_output,
            actual_output=f.report.actual_output,
            planned_hours=f.report.planned_hours,
            credited_hours=f.actual_hours,
            threshold=str(f.threshold),
            flagged=f.flagged,
        )
        for f in services.fulfilment(period)
    ]
