"""``kuzbass import ...``: real national tables as canonical economy folders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kuzbass.cli.app import app
from kuzbass.cli.economy import Format

import_app = typer.Typer(
    help="Bring real national input-output tables in as economy folders.", no_args_is_help=True
)
app.add_typer(import_app, name="import")


@import_app.command("ibge")
def ibge(
    outdir: Annotated[Path, typer.Argument(help="Folder to write the economy into.")],
    year: Annotated[int, typer.Option(help="Year of the table (2000–2021; 2010– at 20 and 68).")],
    level: Annotated[int, typer.Option(help="Sectors: 12, 20, 51 or 68.")] = 68,
    format: Annotated[Format, typer.Option("--format")] = Format.csv,
) -> None:
    """Brazil: IBGE's supply and use tables (shipped offline by the iotbr package) as an economy.

    One product and technique per sector (industry technology), recorded gross output in R$
    million, domestic flows at basic prices, persons employed as labour, final demand as
    demand.csv. See kuzbass.economy.ibge for the method.
    """
    from rich.console import Console

    from kuzbass.economy.ibge import check_year, read_ibge, write_ibge

    console = Console(stderr=True)
    check_year(year, level)
    with console.status(f"reading IBGE's {year} table at level {level}"):
        table = read_ibge(year, level)
    with console.status(f"writing {outdir}"):
        write_ibge(table, outdir, format.value)
    for note in table.adjustments:
        console.print(f"note: {note}", highlight=False)
    console.print(
        f"{len(table.sectors)} sectors, gross output R$ {table.output.sum():,.0f} million, "
        f"{table.employment.sum():,.0f} persons employed → {outdir}",
        highlight=False,
    )
