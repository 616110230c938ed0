"""`kuzbass simulate`: participatory rounds with simulated councils, for researchers."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Annotated

import typer

from kuzbass import files
from kuzbass.cli.app import app

simulate_app = typer.Typer(
    help="Simulate participatory planning rounds (Albert & Hahnel's pequod procedure).",
    no_args_is_help=True,
)
app.add_typer(simulate_app, name="simulate")


@simulate_app.command()
def generate(
    worker_councils: Annotated[int, typer.Option(help="Number of worker councils.")] = 3000,
    consumer_councils: Annotated[int, typer.Option(help="Number of consumer councils.")] = 3000,
    goods: Annotated[
        int, typer.Option(help="Goods of each kind (private, public, intermediate, ...).")
    ] = 10,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same file.")] = 0,
    fixed_supply: Annotated[
        float, typer.Option(help="Supply of every natural resource and labour type.")
    ] = 1000.0,
    out: Annotated[
        Path | None, typer.Option(help="Write ECONOMY.json here instead of standard output.")
    ] = None,
) -> None:
    """Write an ECONOMY.json with the parameter ranges of the published pequod experiments."""
    from kuzbass.planning.participatory_generator import generate_economy

    try:
        document = generate_economy(
            worker_councils, consumer_councils, goods, seed, fixed_supply=fixed_supply
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    if out is None:
        typer.echo(json.dumps(document))
        return
    files.write_text(out, lambda stream: json.dump(document, stream))
    typer.echo(
        f"Wrote {out}: {worker_councils} worker and {consumer_councils} consumer councils, "
        f"{goods} goods of each kind."
    )


@simulate_app.command()
def participatory(
    economy: Annotated[
        Path, typer.Argument(help="ECONOMY.json (see docs/participatory-schema.md).")
    ],
    rounds: Annotated[int, typer.Option(min=1, help="Stop after this many rounds.")] = 200,
    out: Annotated[
        Path | None, typer.Option(help="Write every round (round, good, price, supply, demand).")
    ] = None,
) -> None:
    """Run participatory rounds until every good is within 3% or the round limit.

    Exits with 2 when the file breaks the schema (nothing is written) and with 1 when the rounds
    end unbalanced (the CSV is still written).
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table
    from rich.text import Text

    from kuzbass.planning.participatory import BALANCE_TOLERANCE_PERCENT, simulate_rounds
    from kuzbass.planning.participatory_schema import EconomyFileError, read_economy

    console = Console(stderr=True)
    if not economy.is_file():
        raise typer.BadParameter(f"{economy} is not a file", param_hint="ECONOMY")
    try:
        model = read_economy(economy)
    except EconomyFileError as error:
        console.print(Text(f"{economy}: {error}", style="red"), soft_wrap=True)
        raise typer.Exit(2) from error
    names = model.goods.names
    rows: list[tuple[int, str, float, float, float]] = []
    with Progress(
        TextColumn("round {task.completed}/{task.total}"),
        BarColumn(),
        TextColumn("worst imbalance {task.fields[worst]:.2f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("rounds", total=rounds, worst=float("nan"))
        for record in simulate_rounds(model, rounds):
            update = record.update
            rows.extend(
                (record.round, name, float(price), float(supply), float(demand))
                for name, price, supply, demand in zip(
                    names, record.prices, update.supply, update.demand, strict=True
                )
            )
            progress.update(
                task, completed=record.round, worst=float(update.imbalance_percent.max())
            )
    if out is not None:

        def write(stream: IO[str]) -> None:
            writer = csv.writer(stream)
            writer.writerow(["round", "good", "price", "supply", "demand"])
            writer.writerows(rows)

        files.write_text(out, write)
    table = Table(title=f"Last round ({record.round})")
    for column in ("good", "price", "supply", "demand", "imbalance %"):
        table.add_column(column, justify="left" if column == "good" else "right")
    for name, price, supply, demand, imbalance in zip(
        names, record.prices, update.supply, update.demand, update.imbalance_percent, strict=True
    ):
        table.add_row(name, f"{price:.2f}", f"{supply:.1f}", f"{demand:.1f}", f"{imbalance:.2f}")
    Console().print(table)
    worst = int(update.imbalance_percent.argmax())
    if update.balanced:
        typer.echo(
            f"Balanced in {record.round} rounds: every good within "
            f"{BALANCE_TOLERANCE_PERCENT:g}% (worst {names[worst]}, "
            f"{update.imbalance_percent[worst]:.2f}%)."
        )
        return
    typer.echo(
        f"Not balanced after {record.round} rounds: {names[worst]} is "
        f"{update.imbalance_percent[worst]:.2f}% out.",
        err=True,
    )
    raise typer.Exit(1)


@simulate_app.command("platform")
def platform_rounds(
    economy: Annotated[
        Path, typer.Argument(help="ECONOMY.json (see docs/participatory-schema.md).")
    ],
    data_dir: Annotated[
        Path,
        typer.Option(help="Folder for the rehearsal's own SQLite database (created; must be new)."),
    ],
    rounds: Annotated[int, typer.Option(min=1, max=200, help="The congress's round limit.")] = 200,
    out: Annotated[
        Path | None, typer.Option(help="Write every round (round, good, price, supply, demand).")
    ] = None,
    plan_out: Annotated[
        Path | None, typer.Option(help="Write the plan (council, good, proposed, planned).")
    ] = None,
) -> None:
    """Rehearse the rounds on the platform with robot councils answering through the JSON API.

    The councils' answers are the simulation's, so the price path is ``simulate participatory``'s.
    Exits with 2 on a bad file or a used --data-dir, with 1 when the rounds end unbalanced.
    """
    import os

    from rich.console import Console
    from rich.text import Text

    from kuzbass.planning.participatory_schema import EconomyFileError, read_economy

    console = Console(stderr=True)
    if not economy.is_file():
        raise typer.BadParameter(f"{economy} is not a file", param_hint="ECONOMY")
    try:
        model = read_economy(economy)
    except EconomyFileError as error:
        console.print(Text(f"{economy}: {error}", style="red"), soft_wrap=True)
        raise typer.Exit(2) from error
    folder = data_dir.resolve()
    if (folder / "kuzbass.sqlite3").exists():
        console.print(f"[red]{folder} already holds a database: choose a new --data-dir")
        raise typer.Exit(2)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["KUZBASS_DATA_DIR"] = str(folder)
    os.environ.pop("DATABASE_URL", None)

    from django.core.management import call_command

    from kuzbass.cli.quiet import no_solver_banner
    from kuzbass.platform import setup

    no_solver_banner()
    setup()
    call_command("migrate", interactive=False, verbosity=0)
    from kuzbass.platform.rehearsal import plan_rows, rehearse

    with console.status("robot councils answering") as status:
        result = rehearse(
            model,
            rounds,
            lambda number, worst: status.update(f"round {number}: worst good {worst:.2f}% out"),
        )
    names = model.goods.names
    if out is not None:

        def write_rounds(stream: IO[str]) -> None:
            writer = csv.writer(stream)
            writer.writerow(["round", "good", "price", "supply", "demand"])
            for row in result.rounds:
                writer.writerows(
                    (row.round, n, row.prices[n], row.supply[n], row.demand[n]) for n in names
                )

        files.write_text(out, write_rounds)
    if plan_out is not None:

        def write_plan(stream: IO[str]) -> None:
            writer = csv.writer(stream)
            writer.writerow(["council", "good", "proposed", "planned"])
            writer.writerows(plan_rows(result.version))

        files.write_text(plan_out, write_plan)
    last = result.rounds[-1]
    if last.balanced:
        typer.echo(
            f"Balanced in {last.round} rounds; plan version {result.version.number} "
            f"{'adopted by the congress' if result.adopted else 'not adopted'}."
        )
        return
    typer.echo(f"Not balanced after {last.round} rounds.", err=True)
    raise typer.Exit(1)
