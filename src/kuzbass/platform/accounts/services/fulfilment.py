"""Plan fulfilment: what each workplace made and received, against what the adopted plan asked."""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.db.models import Sum

from kuzbass.platform.accounts.models import (
    DeviationThreshold,
    FulfilmentReport,
    HourRegistration,
    TransferKind,
    hours,
)
from kuzbass.platform.accounts.services.deductions import fraction_text
from kuzbass.platform.core import clock
from kuzbass.platform.core.actors import Visitor, require_user
from kuzbass.platform.core.checks import (
    check_council_kind,
    check_hours,
    check_share,
    check_text,
)
from kuzbass.platform.core.errors import InvalidInputError, RefusedError
from kuzbass.platform.core.permissions import require_officer
from kuzbass.platform.councils.models import Council, CouncilKind
from kuzbass.platform.ledger.services import append_event, lock_ledger

DEFAULT_DEVIATION_THRESHOLD = Fraction(1, 10)


@transaction.atomic
def set_deviation_threshold(
    actor: Visitor, workplace: Council, threshold: str
) -> DeviationThreshold:
    """The workplace council sets how far actual figures may stray from the plan unflagged."""
    actor = require_user(actor)
    lock_ledger()
    require_officer(actor, workplace)
    check_council_kind(workplace, CouncilKind.WORKPLACE, "registers hours worked")
    share = check_share(threshold, "threshold")
    if share == 0:
        raise InvalidInputError("threshold must be above 0", field="threshold")
    row, _ = DeviationThreshold.objects.update_or_create(
        workplace=workplace, defaults={"threshold": fraction_text(share), "set_at": clock.now()}
    )
    append_event(
        "fulfilment.threshold_set",
        {"workplace": workplace.slug, "threshold": row.threshold, "set_by": actor.get_username()},
        seals=[row],
    )
    return row


def _quantities(values: Mapping[str, Any] | None, field: str) -> dict[str, str]:
    return {
        check_text(k, field, max_length=120): str(check_hours(v, f"{field} {k}", allow_zero=True))
        for k, v in (values or {}).items()
    }


@transaction.atomic
def report_fulfilment(
    actor: Visitor,
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
    actor = require_user(actor)
    lock_ledger()
    require_officer(actor, workplace)
    check_council_kind(workplace, CouncilKind.WORKPLACE, "registers hours worked")
    period = check_text(period, "period", max_length=20)
    product = check_text(product, "product", max_length=100)
    plan_version = check_text(plan_version, "plan_version", max_length=100, required=False)
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
        planned_output=check_hours(planned_output, "planned_output", allow_zero=True),
        actual_output=check_hours(actual_output, "actual_output", allow_zero=True),
        planned_hours=None
        if planned_hours is None
        else check_hours(planned_hours, "planned_hours", allow_zero=True),
        inputs_planned=planned_in,
        inputs_received=received,
        plan_version=plan_version,
        reported_by=actor,
        reported_at=clock.now(),
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
