"""`kuzbass plan`: the optimal plan of an economy folder, its valuations, why targets fall short."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kuzbass import files
from kuzbass.cli.app import app

if TYPE_CHECKING:
    from rich.console import Console

    from kuzbass.planning.result import PlanResult


@app.command("plan")
def plan_command(
    economy: Annotated[
        Path, typer.Argument(help="Economy folder (canonical CSV/Parquet or 5yearplan).")
    ],
    targets: Annotated[
        Path | None,
        typer.Option(help="targets.csv: product,quantity[,year][,priority][,weight]."),
    ] = None,
    mode: Annotated[
        str, typer.Option(help="complete-sets (Kantorovich), priorities or harmony.")
    ] = "complete-sets",
    years: Annotated[
        int | None, typer.Option(help="Years to plan (default: the economy's).")
    ] = None,
    solver: Annotated[
        str,
        typer.Option(
            help="auto, or HiGHS' simplex, ipm or pdlp, or leontief-basis (one-year complete "
            "sets or harmony), or capital-blocks (complete sets over several years)."
        ),
    ] = "auto",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole result as JSON.")
    ] = False,
    out_dir: Annotated[
        Path | None, typer.Option(help="Also write the result tables as CSV files here.")
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            help="Give up after this many seconds (per HiGHS run; for the whole leontief-basis "
            "or capital-blocks method)."
        ),
    ] = None,
) -> None:
    """Compute the best feasible plan: fulfilment, intensities, valuations, investment, reasons."""
    from rich.console import Console

    from kuzbass.cli.quiet import no_solver_banner
    from kuzbass.economy import Economy
    from kuzbass.planning.optimal import optimal_plan
    from kuzbass.planning.targets import stock_run_downs

    console = Console(stderr=as_json)
    loaded = Economy.read(economy)
    if targets is None:
        _say_stock_run_downs(console, stock_run_downs(loaded))
    no_solver_banner()
    with _solver_chatter_to_stderr(), console.status("planning…") as status:
        result = optimal_plan(
            loaded,
            targets=targets,
            mode=mode,
            years=years,
            solver=solver,
            progress=lambda message: status.update(message),
            time_limit=time_limit,
        )
    if out_dir is not None:
        for path in result.write_csv(out_dir):
            console.print(f"wrote {path}", highlight=False)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    else:
        _summary(console, result)
    if not result.optimal:
        raise typer.Exit(1)


def _say_stock_run_downs(console: Console, products: list[str]) -> None:
    if not products:
        return
    named = ", ".join(repr(p) for p in products[:3]) + (", …" if len(products) > 3 else "")
    console.print(
        f"{len(products)} product{'' if len(products) == 1 else 's'} with a negative final "
        f"demand (a stock run down): "
        f"planned with no target for them ({named})",
        highlight=False,
    )


@contextlib.contextmanager
def _solver_chatter_to_stderr() -> Iterator[None]:
    """Anything a solver prints on the C-level stdout goes to stderr: stdout stays ``--json``."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _summary(console: Console, result: PlanResult) -> None:
    from rich.table import Table

    if result.fallback:
        console.print(f"[yellow]{result.fallback}[/yellow]", highlight=False)
    if not result.optimal:
        console.print(f"[bold red]plan {result.status}[/bold red]")
        for line in result.problems:
            console.print(f"  {line}", highlight=False)
        return
    console.print(
        f"[bold]{result.mode}[/bold] plan over {result.years} year(s): objective "
        f"[bold]{result.objective:.6g}[/bold], relative gap {result.gap:.1e}, "
        f"lowest fulfilment {result.minimum_fulfilment:.1%}",
        highlight=False,
    )
    targets = Table(title="Targets")
    for column in ("product", "year", "priority", "quantity", "fulfilment"):
        targets.add_column(column, justify="left" if column == "product" else "right")
    for row in result.targets.head(30).itertuples():
        targets.add_row(
            str(row.product),
            str(row.year),
            str(row.priority),
            f"{row.quantity:.6g}",
            f"{row.fulfilment:.1%}",
        )
    console.print(targets)
    resources = Table(title="Resources")
    for column in ("resource", "year", "available", "use", "valuation"):
        resources.add_column(column, justify="left" if column == "resource" else "right")
    for row in result.resources.head(30).itertuples():
        resources.add_row(
            str(row.resource),
            str(row.year),
            f"{row.available:.6g}",
            f"{row.use:.6g}",
            f"{row.valuation:.6g}",
        )
    console.print(resources)
    if not result.investment.empty:
        investment = Table(title="Investment per year")
        for column in ("product", "year", "quantity"):
            investment.add_column(column, justify="left" if column == "product" else "right")
        for row in result.investment_per_year.head(30).itertuples():
            investment.add_row(str(row.product), str(row.year), f"{row.quantity:.6g}")
        console.print(investment)
    if result.explanations:
        shown = result.explanations[:10]
        console.print(f"[bold]Why {len(result.explanations)} target(s) fall short[/bold]")
        for explanation in shown:
            console.print(
                f"  {explanation['product']} in year {explanation['year']}: "
                f"{explanation['fulfilment']:.1%} of {explanation['quantity']:.6g}",
                highlight=False,
            )
            for reason in explanation["binding"][:4]:
                console.print(
                    f"    · {reason['constraint']}: "
                    f"+{reason['gain_per_unit']:.4g} objective per unit",
                    highlight=False,
                )


@app.command("plan-targets")
def plan_targets_command(
    economy: Annotated[
        Path, typer.Argument(help="Economy folder (canonical CSV/Parquet or 5yearplan).")
    ],
    out: Annotated[
        Path | None, typer.Option(help="Write the targets.csv here instead of printing it.")
    ] = None,
) -> None:
    """A targets.csv to edit for `kuzbass plan --targets`: the economy's own targets, or every
    product with quantity 0."""

    import pandas as pd
    from rich.console import Console

    from kuzbass.economy import Economy
    from kuzbass.planning.targets import TARGET_COLUMNS

    loaded = Economy.read(economy)
    if loaded.targets is not None and len(loaded.targets):
        table = loaded.targets[TARGET_COLUMNS]
    else:
        table = pd.DataFrame(
            {"product": loaded.products, "quantity": 0.0, "year": 1, "priority": 1, "weight": 1.0}
        )
    if out is None:
        typer.echo(table.to_csv(index=False), nl=False)
        return
    files.write_text(out, partial(table.to_csv, index=False))
    Console().print(f"wrote {out} ({len(table)} targets)", highlight=False)
