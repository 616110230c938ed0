"""Account pages: a member's own account, a workplace's hours and fulfilment, the public
statistics and the self-accounting comparison. Each action calls one service and shows its
refusal beside the form it concerns, with the service's HTTP status."""

import json
from decimal import Decimal
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kuzbass.platform.accounts import comparison, forms, services
from kuzbass.platform.accounts.models import (
    Account,
    AccountKind,
    Consumption,
    HourRegistration,
    Transfer,
    TransferKind,
    hours,
)
from kuzbass.platform.core.errors import ServiceError
from kuzbass.platform.core.permissions import is_officer
from kuzbass.platform.councils.models import Council, CouncilKind


def _refusal(form: django_forms.Form, error: ServiceError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _labour_values() -> tuple[dict[str, Decimal], str]:
    """The adopted plan's labour values, or none and the reason why."""
    try:
        return services.adopted_labour_values(), ""
    except ServiceError as error:
        return {}, error.message


def _account_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user: Any = request.user
    account = Account.objects.filter(kind=AccountKind.MEMBER, user=user).first()
    values, no_plan = _labour_values()
    transfers = (
        Transfer.objects.filter(credit=account) | Transfer.objects.filter(debit=account)
        if account
        else Transfer.objects.none()
    )
    context: dict[str, Any] = {
        "balance": hours(account.balance_seconds() if account else 0),
        "waiting": HourRegistration.objects.filter(
            worker=user, confirmed_at__isnull=True
        ).select_related("workplace"),
        "registrations": HourRegistration.objects.filter(worker=user).select_related("workplace")[
            :50
        ],
        "transfers": transfers.select_related("registration", "consumption").order_by("-pk")[:50],
        "account": account,
        "consumption_form": forms.ConsumptionForm(values),
        "no_plan": no_plan,
    }
    try:
        deductions = services.current_deductions()
        context["deductions"] = deductions
        context["overdraft"] = hours(deductions.overdraft_seconds)
    except ServiceError:
        context["deductions"] = None
    context.update(extra)
    return context


@login_required
def my_account(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/account.html", _account_context(request))


@login_required
@require_POST
def confirm(request: HttpRequest, registration_id: int) -> HttpResponse:
    registration = get_object_or_404(HourRegistration, pk=registration_id)
    try:
        transfers = services.confirm_hours(request.user, registration)
    except ServiceError as error:
        messages.error(request, error.message)
        return render(
            request, "accounts/account.html", _account_context(request), status=error.status
        )
    credited = next(t for t in transfers if t.kind == TransferKind.HOURS)
    messages.success(
        request,
        _("%(hours)s h credited to your account after the deductions.") % {"hours": credited.hours},
    )
    return redirect("my_account")


@login_required
@require_POST
def consume(request: HttpRequest) -> HttpResponse:
    values, _no_plan = _labour_values()
    form = forms.ConsumptionForm(values, request.POST)
    status = 400
    if form.is_valid():
        try:
            taken = services.consume(request.user, form.lines())
        except ServiceError as error:
            _refusal(form, error)
            status = error.status
        else:
            messages.success(
                request,
                _("Taken: %(goods)s, for %(hours)s h.")
                % {
                    "goods": ", ".join(f"{c.quantity.normalize()} {c.product}" for c in taken),
                    "hours": hours(sum(c.seconds for c in taken)),
                },
            )
            return redirect("my_account")
    return render(
        request,
        "accounts/account.html",
        _account_context(request, consumption_form=form),
        status=status,
    )


def _hours_context(request: HttpRequest, council: Council, **extra: Any) -> dict[str, Any]:
    registrations = council.registrations.select_related("worker").order_by("-pk")
    credited = set(
        Transfer.objects.filter(
            kind=TransferKind.HOURS, registration__workplace=council
        ).values_list("registration_id", flat=True)
    )
    threshold = getattr(council, "deviation_threshold", None)
    context: dict[str, Any] = {
        "council": council,
        "is_officer": is_officer(request.user, council),
        "registrations": registrations[:100],
        "credited": credited,
        "totals": registrations.values("period")
        .annotate(count=Count("pk"), seconds=Sum("seconds"))
        .order_by("-period"),
        "registration_form": forms.RegistrationForm(council),
        "threshold_form": forms.ThresholdForm(
            initial={"threshold": threshold.threshold if threshold else "1/10"}
        ),
        "fulfilment_form": forms.FulfilmentForm(),
        "fulfilment": services.fulfilment(workplace=council),
    }
    context.update(extra)
    return context


def workplace_hours(request: HttpRequest, slug: str) -> HttpResponse:
    council = get_object_or_404(Council, slug=slug, kind=CouncilKind.WORKPLACE)
    return render(request, "accounts/workplace.html", _hours_context(request, council))


@login_required
@require_POST
def register(request: HttpRequest, slug: str) -> HttpResponse:
    council = get_object_or_404(Council, slug=slug)
    form = forms.RegistrationForm(council, request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.register_hours(
                request.user,
                council,
                worker=data["worker"],
                hours_worked=data["hours"],
                period=data["period"],
                key=data["key"],
            )
        except ServiceError as error:
            _refusal(form, error)
            status = error.status
        else:
            messages.success(
                request,
                _("Registered; %(worker)s will confirm the hours.")
                % {"worker": data["worker"].get_username()},
            )
            return redirect("workplace_hours", slug=slug)
    return render(
        request,
        "accounts/workplace.html",
        _hours_context(request, council, registration_form=form),
        status=status,
    )


@login_required
@require_POST
def set_threshold(request: HttpRequest, slug: str) -> HttpResponse:
    council = get_object_or_404(Council, slug=slug)
    form = forms.ThresholdForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.set_deviation_threshold(request.user, council, form.cleaned_data["threshold"])
            return redirect("workplace_hours", slug=slug)
        except ServiceError as error:
            _refusal(form, error)
            status = error.status
    return render(
        request,
        "accounts/workplace.html",
        _hours_context(request, council, threshold_form=form),
        status=status,
    )


@login_required
@require_POST
def report(request: HttpRequest, slug: str) -> HttpResponse:
    council = get_object_or_404(Council, slug=slug)
    form = forms.FulfilmentForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.report_fulfilment(request.user, council, **form.cleaned_data)
            return redirect("workplace_hours", slug=slug)
        except ServiceError as error:
            _refusal(form, error)
            status = error.status
    return render(
        request,
        "accounts/workplace.html",
        _hours_context(request, council, fulfilment_form=form),
        status=status,
    )


def _figure(traces: list[dict[str, Any]], title: str, **layout: Any) -> str:
    """A plotly figure as JSON for ``json_script``; the page draws it with the local plotly.js."""
    return json.dumps({"data": traces, "layout": {"title": {"text": title}, **layout}})


def statistics(request: HttpRequest) -> HttpResponse:
    """Public: the funds, hours credited and consumed, and every workplace's fulfilment."""
    balances = services.all_balances()
    kinds = dict(Account.objects.values_list("pk", "kind"))
    by_kind: dict[str, int] = {}
    for pk, seconds in balances.items():
        by_kind[kinds[pk]] = by_kind.get(kinds[pk], 0) + seconds
    rows = services.fulfilment()
    labels = [f"{r.report.workplace.name} ({r.report.product}, {r.report.period})" for r in rows]
    fulfilment_chart = _figure(
        [
            {
                "type": "bar",
                "name": _("planned"),
                "x": labels,
                "y": [float(r.report.planned_output) for r in rows],
            },
            {
                "type": "bar",
                "name": _("actual"),
                "x": labels,
                "y": [float(r.report.actual_output) for r in rows],
            },
        ],
        _("Output: planned and actual"),
        barmode="group",
    )
    worked = (
        HourRegistration.objects.filter(transfers__kind=TransferKind.HOURS)
        .values("workplace__name")
        .annotate(seconds=Sum("seconds"))
        .order_by("-seconds")
    )
    hours_chart = _figure(
        [
            {
                "type": "bar",
                "x": [w["workplace__name"] for w in worked],
                "y": [float(hours(w["seconds"])) for w in worked],
            }
        ],
        _("Hours credited by workplace"),
    )
    consumed = (
        Consumption.objects.values("product")
        .annotate(seconds=Sum("seconds"), n=Count("pk"))
        .order_by("product")
    )
    return render(
        request,
        "accounts/statistics.html",
        {
            "funds": {kind: hours(by_kind.get(kind, 0)) for kind in AccountKind.values},
            "kind_labels": dict(AccountKind.choices),
            "total": hours(sum(balances.values())),
            "accounts": len(balances),
            "transfers": Transfer.objects.count(),
            "fulfilment": rows,
            "flagged": [r for r in rows if r.flagged],
            "fulfilment_chart": fulfilment_chart if rows else None,
            "hours_chart": hours_chart if worked else None,
            "consumed": [
                {"product": c["product"], "hours": hours(c["seconds"]), "n": c["n"]}
                for c in consumed
            ],
        },
    )


def self_accounting(request: HttpRequest) -> HttpResponse:
    """Public: for the adopted plan, money balances under a price list next to the accounts in
    hours at the plan's prices and the hours credited."""
    from kuzbass.platform.plans.services import versions

    form = forms.PriceListForm(request.POST or None, request.FILES or None)
    try:
        version = versions.adopted_version()
    except versions.NoAdoptedPlan as error:
        return render(
            request,
            "accounts/self_accounting.html",
            {"result": None, "form": form, "no_plan": error.message},
            status=200 if request.method == "GET" else 409,
        )
    prices = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                prices = comparison.read_uploaded_prices(form.cleaned_data["price_list"].read())
            except comparison.PriceListUploadError as error:
                form.add_error("price_list", str(error))
                status = 400
        else:
            status = 400
    try:
        result = comparison.compare(version, prices if status == 200 else None)
    except comparison.PriceListUploadError as error:
        form.add_error("price_list", str(error))
        result, status = comparison.compare(version), 400
    names = [r["council"].name if r["council"] else r["slug"] for r in result.money]
    chart = _figure(
        [
            {
                "type": "bar",
                "name": _("share of wages payable under the price list"),
                "x": names,
                "y": [round(100 * r["wage_share_payable"], 1) for r in result.money],
            },
            {
                "type": "bar",
                "name": _("share of hours credited as labour time"),
                "x": names,
                "y": [100] * len(result.money),
            },
        ],
        _("Wages payable under self-accounting vs hours credited (%)"),
        barmode="group",
    )
    return render(
        request,
        "accounts/self_accounting.html",
        {
            "result": result,
            "form": form,
            "chart": chart,
            "unpaid": [r for r in result.money if not r["wages_payable"]],
        },
        status=status,
    )
