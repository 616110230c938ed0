"""The tamper suite: on the demo's database, any single change made with SQL behind the platform's
back — a column edited, a row inserted, a row deleted — makes `kuzbass ledger verify` exit 1 and
name the table and the row. Runs on SQLite and, with DATABASE_URL set, on PostgreSQL."""

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from typer.testing import CliRunner

from kuzbass.cli import app
from kuzbass.ledger import GENESIS_HASH, chain_hash
from kuzbass.platform import demo
from kuzbass.platform.accounts import services as accounts
from kuzbass.platform.accounts.models import Account, AccountKind, HourRegistration, Transfer
from kuzbass.platform.councils.models import (
    Ballot,
    Council,
    CouncilKind,
    DemandStatusChange,
    Membership,
    Role,
)
from kuzbass.platform.ledger.models import LedgerEvent, LedgerHead, RowSeal
from kuzbass.platform.ledger.services import verify_database
from kuzbass.platform.plans.models import PlanVersion, Product, TechniqueInput

runner = CliRunner()
SHEET_KEY = "tamper-sheet-1"


@pytest.fixture(scope="module")
def demo_database(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo's story, plus a time sheet registered in bulk, confirmed and credited in a batch,
    loaded once for the module; each test tampers in its own transaction, rolled back after it."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast):
        demo.load()
        workplace = Council.objects.filter(kind=CouncilKind.WORKPLACE).order_by("pk").first()
        assert workplace is not None
        officer = Membership.objects.filter(council=workplace, role=Role.OFFICER).first()
        worker = Membership.objects.filter(council=workplace, role=Role.MEMBER).first()
        assert officer is not None and worker is not None
        accounts.register_sheet(
            officer.user,
            workplace,
            period="1989-08",
            lines=[accounts.SheetLine(worker.user.username, Decimal("7.5"), SHEET_KEY)],
        )
        accounts.confirm_all_hours(worker.user)
        assert accounts.credit_confirmed_hours().registrations == 1
        try:
            yield
        finally:
            call_command("flush", interactive=False, verbosity=0)


def sql(statement: str, params: list[Any] | tuple[Any, ...] = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def clone(table: str, pk: int, **changes: Any) -> int:
    """Insert a copy of a row under a new id, with some columns changed; return the new id."""
    with connection.cursor() as cursor:
        names = [
            column.name
            for column in connection.introspection.get_table_description(cursor, table)
            if column.name != "id"
        ]
        cursor.execute(f"SELECT MAX(id) FROM {table}")
        new = int(cursor.fetchone()[0]) + 1
        values = ["%s" if name in changes else name for name in names]
        cursor.execute(
            f"INSERT INTO {table} (id, {', '.join(names)}) "
            f"SELECT %s, {', '.join(values)} FROM {table} WHERE id = %s",
            [new, *(changes[name] for name in names if name in changes), pk],
        )
    return new


def first(model: Any, **filters: Any) -> Any:
    row = model.objects.filter(**filters).order_by("pk").first()
    assert row is not None, f"the demo has no {model.__name__} with {filters}"
    return row


def edit_plan_content() -> tuple[str, int]:
    version = first(PlanVersion, status="adopted")
    with connection.cursor() as cursor:
        cursor.execute("SELECT content FROM plans_planversion WHERE id = %s", [version.pk])
        raw = cursor.fetchone()[0]
    content = json.loads(raw) if isinstance(raw, str) else raw
    soap = next(p for p in content["products"] if p["product"] == "soap")
    soap["labour_value"] = 0.001
    sql(
        "UPDATE plans_planversion SET content = %s WHERE id = %s", [json.dumps(content), version.pk]
    )
    return "plans_planversion", version.pk


def move_credited_transfers() -> tuple[str, int]:
    moved = first(Transfer, kind="hours", batch__isnull=False)
    other = Account.objects.filter(kind=AccountKind.MEMBER).exclude(pk=moved.credit_id).first()
    sql(
        "UPDATE accounts_transfer SET credit_id = %s WHERE credit_id = %s AND batch_id IS NOT NULL",
        [other.pk, moved.credit_id],
    )
    return "accounts_transfer", moved.pk


def edit_sheet_registration() -> tuple[str, int]:
    registration = first(HourRegistration, key=SHEET_KEY)
    sql(
        "UPDATE accounts_hourregistration SET seconds = %s WHERE id = %s",
        [360_000, registration.pk],
    )
    return "accounts_hourregistration", registration.pk


def insert_congress_officer() -> tuple[str, int]:
    congress = first(Council, kind=CouncilKind.CONGRESS)
    seat = first(Membership, council=congress)
    outsider = get_user_model().objects.exclude(memberships__council=congress).order_by("pk")[0]
    return "councils_membership", clone(
        "councils_membership", seat.pk, user_id=outsider.pk, role=Role.OFFICER.value
    )


def insert_transfer() -> tuple[str, int]:
    transfer = first(Transfer, kind="hours")
    return "accounts_transfer", clone(
        "accounts_transfer",
        transfer.pk,
        seconds=3_600_000,
        registration_id=None,
        batch_id=None,
        consumption_id=None,
    )


def insert_ballot() -> tuple[str, int]:
    return "councils_ballot", clone("councils_ballot", first(Ballot).pk)


def insert_status_change() -> tuple[str, int]:
    change = first(DemandStatusChange)
    return "councils_demandstatuschange", clone(
        "councils_demandstatuschange", change.pk, status="fulfilled"
    )


def change_account_owner() -> tuple[str, int]:
    account = first(Account, kind=AccountKind.MEMBER)
    other = get_user_model().objects.exclude(labour_accounts__isnull=False).order_by("pk")[0]
    sql("UPDATE accounts_account SET user_id = %s WHERE id = %s", [other.pk, account.pk])
    return "accounts_account", account.pk


def change_account_kind() -> tuple[str, int]:
    account = first(Account, kind=AccountKind.PUBLIC_FUND)
    sql("UPDATE accounts_account SET kind = %s WHERE id = %s", ["social_product", account.pk])
    return "accounts_account", account.pk


def user_flag(flag: str) -> Callable[[], tuple[str, int]]:
    def tamper() -> tuple[str, int]:
        user = get_user_model().objects.order_by("pk").last()
        sql(
            f"UPDATE auth_user SET {flag} = %s WHERE id = %s",
            [not getattr(user, flag), user.pk],
        )
        return "auth_user", user.pk

    return tamper


def change_council_description() -> tuple[str, int]:
    council = first(Council)
    sql("UPDATE councils_council SET description = %s WHERE id = %s", ["Ours now", council.pk])
    return "councils_council", council.pk


def change_input_product() -> tuple[str, int]:
    row = first(TechniqueInput, product__isnull=False)
    other = Product.objects.exclude(pk=row.product_id).order_by("pk")[0]
    sql("UPDATE plans_techniqueinput SET product_id = %s WHERE id = %s", [other.pk, row.pk])
    return "plans_techniqueinput", row.pk


def delete_transfer() -> tuple[str, int]:
    transfer = first(Transfer, kind="public_fund")
    sql("DELETE FROM accounts_transfer WHERE id = %s", [transfer.pk])
    return "accounts_transfer", transfer.pk


def delete_status_change() -> tuple[str, int]:
    change = DemandStatusChange.objects.order_by("-pk")[0]
    sql("DELETE FROM councils_demandstatuschange WHERE id = %s", [change.pk])
    return "councils_demandstatuschange", change.pk


TAMPERS: dict[str, Callable[[], tuple[str, int]]] = {
    "adopted plan's content (soap's labour value)": edit_plan_content,
    "batch-credited transfers moved to another member": move_credited_transfers,
    "registration from a time sheet": edit_sheet_registration,
    "officer membership inserted in the congress": insert_congress_officer,
    "1,000 h transfer inserted": insert_transfer,
    "ballot inserted": insert_ballot,
    "demand status change inserted": insert_status_change,
    "account's owner": change_account_owner,
    "account's kind": change_account_kind,
    "user's is_superuser": user_flag("is_superuser"),
    "user's is_staff": user_flag("is_staff"),
    "user's is_active": user_flag("is_active"),
    "council's description": change_council_description,
    "technique input's product": change_input_product,
    "transfer deleted": delete_transfer,
    "demand status change deleted": delete_status_change,
}


def verify(*args: str) -> Any:
    return runner.invoke(app, ["ledger", "verify", *args])


@pytest.mark.django_db
def test_the_untouched_demo_verifies(demo_database: None) -> None:
    result = verify()
    assert result.exit_code == 0, result.output
    assert "rows in" in result.output and "match their seals" in result.output


@pytest.mark.django_db
@pytest.mark.parametrize("tamper", TAMPERS.values(), ids=TAMPERS.keys())
def test_any_single_change_is_named(
    demo_database: None, tamper: Callable[[], tuple[str, int]]
) -> None:
    table, pk = tamper()
    result = verify()
    assert result.exit_code == 1, result.output
    assert f"table {table} row {pk} (" in result.output, result.output


@pytest.mark.django_db
def test_a_column_outside_the_ledger_is_not_a_change(demo_database: None) -> None:
    sql("UPDATE auth_user SET last_login = %s", ["2026-01-01 00:00:00"])
    assert verify().exit_code == 0


@pytest.mark.django_db
def test_edited_seal_leaves_are_named(demo_database: None) -> None:
    seal = RowSeal.objects.filter(table="accounts.transfer").order_by("-sequence")[0]
    digests = bytes(seal.digests)
    sql(
        "UPDATE ledger_rowseal SET digests = %s WHERE id = %s", [b"\0" * 32 + digests[32:], seal.pk]
    )
    result = verify()
    assert result.exit_code == 1
    assert f"the seals of accounts.transfer kept for event #{seal.sequence}" in result.output


@pytest.mark.django_db
def test_confirming_all_hours_leaves_the_ledger_intact(demo_database: None) -> None:
    """`confirm_all_hours` updates many rows at once; their new state is sealed, so verify stays
    quiet (it used to raise a false alarm)."""
    sheet = first(HourRegistration, key=SHEET_KEY)
    accounts.register_sheet(
        first(Membership, council=sheet.workplace, role=Role.OFFICER).user,
        sheet.workplace,
        period="1989-09",
        lines=[accounts.SheetLine(sheet.worker.username, Decimal("8"), "tamper-sheet-2")],
    )
    assert accounts.confirm_all_hours(sheet.worker) == 1
    assert verify_database().ok
    assert accounts.credit_confirmed_hours().registrations == 1
    report = verify_database()
    assert report.ok, report.problems


@pytest.mark.django_db
def test_the_published_head_is_honoured(demo_database: None) -> None:
    head = LedgerHead.objects.get().hash
    assert verify("--head", head).exit_code == 0
    wrong = verify("--head", "f" * 64)
    assert wrong.exit_code == 1 and "is not the published head" in wrong.output


@pytest.mark.django_db
def test_a_cleanly_cut_tail_is_caught_by_the_head(demo_database: None) -> None:
    head = LedgerHead.objects.get().hash
    last = LedgerEvent.objects.order_by("-sequence")[0]
    sql("DELETE FROM ledger_rowseal WHERE sequence = %s", [last.sequence])
    sql("DELETE FROM ledger_ledgerevent WHERE sequence = %s", [last.sequence])
    sql(
        "UPDATE ledger_ledgerhead SET sequence = %s, hash = %s",
        [last.sequence - 1, last.previous_hash],
    )
    result = verify("--head", head)
    assert result.exit_code == 1, result.output
    assert "removed from the end or the chain was rewritten" in result.output


@pytest.mark.django_db
def test_a_rewritten_chain_is_caught_by_the_head(demo_database: None) -> None:
    """Rewrite the last event's payload and rehash it, with the stored head: only the published
    head catches that."""
    head = LedgerHead.objects.get().hash
    last = LedgerEvent.objects.order_by("-sequence")[0]
    payload = dict(last.payload, forged=True)
    forged = chain_hash(
        last.previous_hash or GENESIS_HASH, last.sequence, last.kind, last.recorded_at, payload
    )
    sql(
        "UPDATE ledger_ledgerevent SET payload = %s, hash = %s WHERE sequence = %s",
        [json.dumps(payload), forged, last.sequence],
    )
    sql("UPDATE ledger_ledgerhead SET hash = %s", [forged])
    result = verify("--head", head)
    assert result.exit_code == 1, result.output
    assert head in result.output


def test_every_table_outside_the_ledger_is_listed_with_its_reason() -> None:
    """The architecture page names every table and column the ledger leaves out."""
    from pathlib import Path

    from django.apps import apps

    from kuzbass.platform.ledger.rows import UNSEALED_COLUMNS, sealed_models

    page = (Path(__file__).parents[2] / "docs" / "architecture.md").read_text()
    section = page[
        page.index("## What the ledger seals") : page.index("## The ledger's event kinds")
    ]
    sealed = set(sealed_models())
    for model in apps.get_models(include_auto_created=True):
        if model not in sealed:
            assert f"`{model._meta.db_table}`" in section, model._meta.db_table
    for label, columns in UNSEALED_COLUMNS.items():
        table = apps.get_model(label)._meta.db_table
        for column in columns:
            assert f"`{table}.{column}`" in section
