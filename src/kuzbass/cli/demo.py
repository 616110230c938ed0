"""``kuzbass demo``: load the Kuzbass 1989 story, run a plan cycle, print the summary, serve it."""

import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kuzbass.cli.app import app

console = Console()


def _reset(folder: Path) -> None:
    """Delete the demo's own SQLite database (after the marker check said it is the demo's)."""
    from django.db import connections

    connections.close_all()
    for suffix in ("", "-wal", "-shm"):
        (folder / f"kuzbass.sqlite3{suffix}").unlink(missing_ok=True)


@app.command()
def demo(
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the pages afterwards."),
    host: str = typer.Option("127.0.0.1", help="Address to serve on."),
    port: int = typer.Option(8000, help="Port to serve on."),
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder for the demo's database (default: --data-dir, KUZBASS_DATA_DIR or ./var, "
            "where every other command looks too)."
        ),
    ] = None,
) -> None:
    """The Kuzbass 1989 story: councils, demands, the old plan's shortages and unpaid wages next
    to the plan the councils adopt, hours credited — then the web pages on 127.0.0.1:8000.

    Uses a SQLite database in the data folder and starts afresh on every run; it refuses a
    database that holds anything the demo did not create. Illustrative numbers, fictional members.
    """
    if serve:
        from kuzbass.cli.platform import require_free_port

        require_free_port(host, port)  # before the story is loaded, not after
    base = Path(os.environ.get("KUZBASS_DATA_DIR", Path.cwd() / "var"))
    folder = (data_dir or base).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if os.environ.pop("DATABASE_URL", None):
        console.print("[yellow]DATABASE_URL is ignored: the demo keeps its own SQLite database.")
    os.environ["KUZBASS_DATA_DIR"] = str(folder)
    started = time.perf_counter()

    from django.core.management import call_command

    from kuzbass.cli.quiet import no_solver_banner
    from kuzbass.platform import demo as loader
    from kuzbass.platform import setup

    no_solver_banner()
    setup()
    database = folder / "kuzbass.sqlite3"
    if database.exists():
        from django.db import DatabaseError

        try:
            previous = loader.check_empty_or_demo()
        except (loader.NotADemoDatabase, DatabaseError) as error:
            console.print(
                f"[red]{database} is not a demo database: {error}. Nothing was changed; "
                "choose another --data-dir."
            )
            raise typer.Exit(1) from error
        if previous:
            console.print(f"starting the demo database afresh in {folder}")
            _reset(folder)
    call_command("migrate", interactive=False, verbosity=0)
    with console.status("loading the Kuzbass 1989 story") as status:
        report = loader.load(lambda step: status.update(step))
    _print(report, time.perf_counter() - started)
    if serve:
        from kuzbass.cli.platform import serve as serve_pages

        console.print(
            f"\n[bold]Open http://{host}:{port}/ and log in as one of the members above."
            " Ctrl-C stops the server."
        )
        serve_pages(host=host, port=port, workers=1, threads=4)


def _print(report: Any, seconds: float) -> None:
    from kuzbass.platform.demo import PERIOD

    console.rule("[bold]Kuzbass 1989 — illustrative numbers, fictional members")

    needs = Table(
        title="What the towns need, the 1989 plan, and the plan the councils adopted "
        f"(version {report.plan_version})"
    )
    for column in ("good", "towns need", "1989 plan's net output", "adopted plan delivers", "met"):
        needs.add_column(column, justify="left" if column == "good" else "right")
    by_product: dict[str, list[float]] = {}
    for need in report.needs:
        row = by_product.setdefault(need["product"], [0.0, need["plan_1989"], 0.0])
        row[0] += need["quantity"]
        row[2] += need["delivered"]
    for product, (wanted, old, delivered) in sorted(by_product.items()):
        met = delivered / wanted if wanted else 1.0
        style = "green" if met >= 0.999 else "red"
        needs.add_row(
            product,
            f"{wanted:,.0f}",
            f"{old:,.0f}" + (" [red](short)" if old < wanted else ""),
            f"{delivered:,.0f}",
            f"[{style}]{met:.0%}",
        )
    console.print(needs)

    unpaid = Table(
        title="1989 self-accounting at state prices: workplaces that could not pay "
        f"their wages ({report.unpaid_wages_1989:,.0f} rubles unpaid a month)"
    )
    for column in ("workplace", "share of wages payable", "hours worked", "hours credited here"):
        unpaid.add_column(column, justify="left" if column == "workplace" else "right")
    for row in report.unpaid_1989:
        unpaid.add_row(
            row["technique"],
            f"[red]{row['share']:.0%}",
            f"{row['hours']:,.0f}",
            f"[green]{row['hours']:,.0f} (all)",
        )
    console.print(unpaid)
    console.print(
        f"Flags on the adopted plan: {len(report.flags)}"
        + "".join(f"\n  • {message}" for message in report.flags[:8])
    )

    console.print(
        f"Workplaces whose 1989 output is more than their council's threshold away from the "
        f"adopted plan: {len(report.flagged)}" + "".join(f"\n  • {line}" for line in report.flagged)
    )

    demands = Table(title="Demands and their status (public until the council votes them met)")
    for column in ("raised in", "demand", "status", "responsible"):
        demands.add_column(column)
    for council, title, status, responsible in report.demands:
        demands.add_row(council, title, status, responsible)
    console.print(demands)

    console.print(
        f"Hours credited for {PERIOD}: "
        f"{report.credited_hours} h; accounts by kind (h): "
        + ", ".join(f"{kind} {amount}" for kind, amount in report.funds.items())
    )
    console.print(
        f"Ledger: {report.ledger_events} events, "
        + ("[green]chain intact" if report.ledger_ok else "[red]BROKEN")
        + f"; plan content hash {report.plan_hash[:16]}…"
    )

    logins = Table(title="Demo logins (generated now, shown once, never stored in the repository)")
    for column in ("username", "password", "name", "councils"):
        logins.add_column(column)
    for username, password, name, roles in report.logins:
        logins.add_row(username, password, name, roles)
    console.print(logins)
    console.print(
        f"Each of the other {report.officers} councils has an officer account "
        f"officer-<council> (e.g. officer-kemerovo-soap-works), password "
        f"{report.officer_password}"
    )
    console.print(f"loaded and planned in {seconds:.1f} s")
