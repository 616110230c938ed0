"""Labour-time accounts: registration, confirmation, crediting after deductions, consumption,
bulk crediting, and the invariants (balances sum to zero, nothing written on a refusal)."""

from decimal import Decimal
from typing import Any

import pytest

from kuzbass.platform.accounts import services
from kuzbass.platform.accounts.models import (
    Account,
    AccountKind,
    Consumption,
    HourRegistration,
    Transfer,
    TransferKind,
)
from kuzbass.platform.core.errors import InvalidInputError as InvalidInput
from kuzbass.platform.core.errors import NotAllowedError as NotAllowed
from kuzbass.platform.core.errors import RefusedError as Refused
from kuzbass.platform.ledger.models import LedgerEvent
from kuzbass.platform.ledger.services import verify_database

SOAP_HOURS = Decimal("0.5")


def _credited(economy: dict[str, Any], worker: Any, amount: str, key: str) -> Any:
    registration = services.register_hours(
        economy["officer"],
        economy["council"],
        worker=worker,
        hours_worked=amount,
        period="1989-07",
        key=key,
    )
    services.confirm_hours(worker, registration)
    return registration


def _total_balance() -> int:
    return sum(services.all_balances().values())


def test_confirmed_hours_are_credited_after_the_deductions(economy: dict[str, Any]) -> None:
    anna = economy["members"][0]
    registration = _credited(economy, anna, "7.5", "shift-1")
    # 7.5 h = 27000 s: public fund 3/20 = 4050 s, investment 1/10 = 2700 s, anna 20250 s.
    parts = dict(registration.transfers.values_list("kind", "seconds"))
    assert parts == {"hours": 20250, "public_fund": 4050, "investment_fund": 2700}
    assert services.member_balance_seconds(anna) == 20250
    workplace = Account.objects.get(kind=AccountKind.WORKPLACE, council=economy["council"])
    assert workplace.balance_seconds() == -27000
    assert _total_balance() == 0
    assert verify_database().ok


def test_hours_wait_for_the_workers_confirmation(economy: dict[str, Any]) -> None:
    anna, boris = economy["members"][:2]
    registration = services.register_hours(
        economy["officer"],
        economy["council"],
        worker=anna,
        hours_worked=6,
        period="1989-07",
        key="shift-1",
    )
    assert services.member_balance_seconds(anna) == 0
    with pytest.raises(NotAllowed, match="only the worker"):
        services.confirm_hours(boris, registration)
    services.confirm_hours(anna, registration)
    with pytest.raises(Refused, match="were confirmed on"):
        services.confirm_hours(anna, registration)
    assert Transfer.objects.count() == 3


@pytest.mark.parametrize(
    ("worker", "amount", "key", "message"),
    [
        ("outsider", "6", "k1", "outsider is not a member of"),
        ("anna", "-6", "k2", "hours must be a positive number"),
        ("anna", "0", "k3", "hours must be a positive number"),
        ("anna", "six", "k4", "is not a number"),
        ("anna", "800", "k5", "more than a month"),
        ("anna", "6", "", "reference must be given"),
    ],
)
def test_bad_registrations_are_refused_and_write_nothing(
    economy: dict[str, Any], make_user: Any, worker: str, amount: str, key: str, message: str
) -> None:
    person = make_user(worker) if worker == "outsider" else economy["members"][0]
    events = LedgerEvent.objects.count()
    with pytest.raises(InvalidInput, match=message):
        services.register_hours(
            economy["officer"],
            economy["council"],
            worker=person,
            hours_worked=amount,
            period="1989-07",
            key=key,
        )
    assert HourRegistration.objects.count() == 0
    assert LedgerEvent.objects.count() == events


def test_only_officers_register_and_a_reference_is_used_once(economy: dict[str, Any]) -> None:
    anna, boris = economy["members"][:2]
    with pytest.raises(NotAllowed, match="only officers"):
        services.register_hours(
            anna, economy["council"], worker=boris, hours_worked=6, period="1989-07", key="shift-1"
        )
    services.register_hours(
        economy["officer"],
        economy["council"],
        worker=boris,
        hours_worked=6,
        period="1989-07",
        key="shift-1",
    )
    with pytest.raises(Refused, match="already registered hours under the reference 'shift-1'"):
        services.register_hours(
            economy["officer"],
            economy["council"],
            worker=anna,
            hours_worked=6,
            period="1989-07",
            key="shift-1",
        )


def test_consumption_is_priced_at_the_adopted_labour_values(economy: dict[str, Any]) -> None:
    anna = economy["members"][0]
    _credited(economy, anna, "8", "shift-1")  # 8 h → 6 h to anna after 25% deductions
    consumed = services.consume(anna, {"soap": "2", "bread": "1"})
    assert {c.product: c.seconds for c in consumed} == {"soap": 3600, "bread": 4500}
    assert services.member_balance_seconds(anna) == 6 * 3600 - 3600 - 4500
    social = Account.objects.get(kind=AccountKind.SOCIAL_PRODUCT)
    assert social.balance_seconds() == 8100
    assert _total_balance() == 0
    assert verify_database().ok


@pytest.mark.parametrize(
    ("lines", "error", "message"),
    [
        ({"vodka": "1"}, InvalidInput, "good 'vodka' is not in the adopted plan"),
        ({"soap": "-1"}, InvalidInput, "quantity of soap must be a positive number"),
        ({"soap": "100"}, Refused, r"cost 50\.00 h but your balance is 6\.00 h"),
        ({}, InvalidInput, "at least one good"),
    ],
)
def test_bad_consumption_is_refused_and_writes_nothing(
    economy: dict[str, Any], lines: dict[str, str], error: type[Exception], message: str
) -> None:
    anna = economy["members"][0]
    _credited(economy, anna, "8", "shift-1")
    transfers, events = Transfer.objects.count(), LedgerEvent.objects.count()
    with pytest.raises(error, match=message):
        services.consume(anna, lines)
    assert Transfer.objects.count() == transfers
    assert Consumption.objects.count() == 0
    assert LedgerEvent.objects.count() == events


def test_the_congress_overdraft_is_the_limit(economy: dict[str, Any]) -> None:
    anna = economy["members"][0]
    services.set_deductions(
        economy["chair"],
        economy["congress"],
        public_fund="3/20",
        investment_fund="1/10",
        overdraft_hours="2",
    )
    services.consume(anna, {"soap": "4"})  # 2 h on credit
    assert services.member_balance_seconds(anna) == -7200
    with pytest.raises(Refused, match=r"allows an overdraft of 2\.00 h"):
        services.consume(anna, {"soap": "0.1"})


@pytest.mark.parametrize(
    ("public", "investment", "message"),
    [
        ("1/2", "1/2", "together must leave part"),
        ("x", "1/10", "not a fraction"),
        ("-1/10", "1/10", "at least 0 and below 1"),
    ],
)
def test_bad_deductions_are_refused(
    economy: dict[str, Any], public: str, investment: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        services.set_deductions(
            economy["chair"], economy["congress"], public_fund=public, investment_fund=investment
        )


def test_only_the_congress_sets_deductions(economy: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="not the congress"):
        services.set_deductions(
            economy["officer"], economy["council"], public_fund="1/10", investment_fund="1/10"
        )


def test_bulk_crediting_matches_one_by_one_crediting(economy: dict[str, Any]) -> None:
    members = economy["members"]
    lines = [
        services.SheetLine(worker=m.get_username(), hours=h, key=f"{m.pk}-{h}")
        for m in members
        for h in ("6", "7.25", "0.01", "11")
    ]
    assert (
        services.register_sheet(
            economy["officer"], economy["council"], period="1989-07", lines=lines
        )
        == 16
    )
    for member in members:
        assert services.confirm_all_hours(member) == 4
    result = services.credit_confirmed_hours(chunk=5)
    assert result.registrations == 16
    # each worker gets exactly what the one-by-one path gives; each fund the sum of the parts
    deductions = services.current_deductions()
    expected_funds = {"public_fund": 0, "investment_fund": 0}
    for registration in HourRegistration.objects.all():
        split = services.split_hours(registration.seconds, deductions)
        assert dict(registration.transfers.values_list("kind", "seconds")) == {
            "hours": split[TransferKind.HOURS]
        }
        for fund in expected_funds:
            expected_funds[fund] += split[TransferKind(fund)]
    for fund, seconds in expected_funds.items():
        assert Account.objects.get(kind=fund).balance_seconds() == seconds
    workplace = Account.objects.get(kind=AccountKind.WORKPLACE, council=economy["council"])
    assert workplace.balance_seconds() == -sum(
        HourRegistration.objects.values_list("seconds", flat=True)
    )
    assert result.transfers == Transfer.objects.count()
    assert _total_balance() == 0
    assert services.credit_confirmed_hours().registrations == 0  # idempotent
    assert verify_database().ok


def test_editing_a_bulk_credited_transfer_is_detected(economy: dict[str, Any]) -> None:
    anna = economy["members"][0]
    services.register_sheet(
        economy["officer"],
        economy["council"],
        period="1989-07",
        lines=[services.SheetLine("anna", "8", "s1")],
    )
    services.confirm_all_hours(anna)
    services.credit_confirmed_hours()
    Transfer.objects.filter(kind=TransferKind.HOURS).update(seconds=99999)
    report = verify_database()
    assert not report.ok
    assert "table accounts_transfer row" in report.reason


def test_a_time_sheet_with_one_bad_line_writes_nothing(
    economy: dict[str, Any], make_user: Any
) -> None:
    make_user("stranger")
    lines = [services.SheetLine("anna", "6", "a"), services.SheetLine("stranger", "6", "b")]
    with pytest.raises(InvalidInput, match="line 2: stranger is not a member"):
        services.register_sheet(
            economy["officer"], economy["council"], period="1989-07", lines=lines
        )
    assert HourRegistration.objects.count() == 0


def test_fulfilment_flags_deviations_beyond_the_councils_threshold(economy: dict[str, Any]) -> None:
    anna = economy["members"][0]
    _credited(economy, anna, "100", "month")
    council, officer = economy["council"], economy["officer"]
    services.report_fulfilment(
        officer,
        council,
        period="1989-07",
        product="coal",
        planned_output="90",
        actual_output="95",
        planned_hours="100",
        inputs_planned={"electricity": "10"},
        inputs_received={"electricity": "7"},
    )
    (row,) = services.fulfilment("1989-07")
    assert row.actual_hours == Decimal("100.00")
    assert row.hours_deviation == 0
    assert row.output_deviation == pytest.approx(5 / 90)
    assert row.flagged == ["input electricity"]  # 30% short, beyond the default 1/10
    services.set_deviation_threshold(officer, council, "1/2")
    (row,) = services.fulfilment("1989-07")
    assert row.flagged == []
    assert verify_database().ok  # the sealed report reads back as it was sealed
    services.report_fulfilment(
        officer,
        council,
        period="1989-07",
        product="arms",
        planned_output="0",
        actual_output="150",
        planned_hours=None,
    )
    arms = next(r for r in services.fulfilment("1989-07") if r.report.product == "arms")
    assert arms.flagged == ["output"]
    assert arms.output_change == "none planned"
    assert arms.hours_deviation is None
    with pytest.raises(InvalidInput, match="does not give"):
        services.report_fulfilment(
            officer,
            council,
            period="1989-08",
            product="coal",
            planned_output="90",
            actual_output="95",
            planned_hours="100",
            inputs_received={"arms": "1"},
        )
