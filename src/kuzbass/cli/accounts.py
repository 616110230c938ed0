"""``kuzbass accounts ...``: credit confirmed hours in bulk, import a time sheet, show balances."""

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from kuzbass.cli.app import app

console = Console(stderr=True)
accounts_app = typer.Typer(help="Labour-time accounts: time sheets, crediting, balances.")
app.add_typer(accounts_app, name="accounts")


def _django() -> None:
    from django.core.management import call_command

    from kuzbass.platform import setup

    setup()
    call_command("migrate", interactive=False, verbosity=0)


@accounts_app.command("credit")
def credit(
    chunk: int = typer.Option(250_000, min=1, help="Registrations per transaction."),
) -> None:
    """Credit every confirmed registration not yet credited, after the congress's deductions.

    Safe to interrupt at any point and run again: each chunk commits with its ledger event or
    not at all, and no registration is ever credited twice.
    """
    _django()
    from kuzbass.platform.accounts import services
    from kuzbass.platform.core.errors import ServiceError

    with Progress(
        TextColumn("crediting hours"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("credit", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            result = services.credit_confirmed_hours(chunk=chunk, progress=advance)
        except ServiceError as error:
            console.print(f"[red]{error.message}")
            raise typer.Exit(1) from error
    console.print(
        f"credited {result.registrations:,} registrations with {result.transfers:,} transfers "
        f"in {result.batches} batches"
    )


@accounts_app.command("register-sheet")
def register_sheet(
    sheet: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="CSV with columns worker,hours,key."),
    ],
    council: str = typer.Option(..., help="The workplace council's short name."),
    officer: str = typer.Option(..., help="Username of the officer registering the sheet."),
    period: str = typer.Option(..., help="The period worked, e.g. 1989-07."),
) -> None:
    """Register a workplace's time sheet: every line is checked, then all or none are written."""
    _django()
    from django.contrib.auth import get_user_model

    from kuzbass.platform.accounts import services
    from kuzbass.platform.core.errors import ServiceError
    from kuzbass.platform.councils.models import Council

    with sheet.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        if reader.fieldnames != ["worker", "hours", "key"]:
            console.print(
                f"[red]{sheet}: the header must be worker,hours,key, "
                f"not {','.join(reader.fieldnames or [])}"
            )
            raise typer.Exit(2)
        lines = [services.SheetLine(row["worker"], row["hours"], row["key"]) for row in reader]
    workplace = Council.objects.filter(slug=council).first()
    actor = get_user_model().objects.filter(username=officer).first()
    if workplace is None or actor is None:
        console.print(
            f"[red]no council {council!r}" if workplace is None else f"[red]no user {officer!r}"
        )
        raise typer.Exit(1)
    try:
        count = services.register_sheet(actor, workplace, period=period, lines=lines)
    except ServiceError as error:
        console.print(f"[red]{sheet}: {error.message}")
        raise typer.Exit(1) from error
    console.print(f"registered {count:,} lines for {workplace.name}; the workers confirm them")


@accounts_app.command("balances")
def balances(limit: int = typer.Option(20, help="Accounts to list (largest first).")) -> None:
    """Every account's balance, derived from the transfers; checks that they sum to zero."""
    _django()
    from kuzbass.platform.accounts import services
    from kuzbass.platform.accounts.models import Account, hours

    derived = services.all_balances()
    accounts = Account.objects.select_related("user", "council").in_bulk(list(derived))
    table = Table(title=f"{len(derived):,} accounts")
    table.add_column("account")
    table.add_column("kind")
    table.add_column("hours", justify="right")
    for pk, seconds in sorted(derived.items(), key=lambda item: -abs(item[1]))[:limit]:
        table.add_row(str(accounts[pk]), accounts[pk].kind, f"{hours(seconds):,}")
    console.print(table)
    total = sum(derived.values())
    console.print(f"sum of all balances: {hours(total)} h" + ("" if total == 0 else " [red]≠ 0"))
    if total != 0:
        raise typer.Exit(1)
