"""The Typer app that every area's command module adds its commands to."""

import os
from pathlib import Path
from typing import Annotated

import typer

from kuzbass.cli.errors import HandledGroup

app = typer.Typer(
    name="kuzbass",
    help="Plan the economy from below: engine, councils platform and public ledger.",
    no_args_is_help=True,
    cls=HandledGroup,
    pretty_exceptions_enable=False,
)


@app.callback()
def options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an unexpected error.")
    ] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="The platform's data folder (SQLite database, keys, logs) for every command "
            "that opens the database (default: KUZBASS_DATA_DIR or ./var).",
        ),
    ] = None,
) -> None:
    """Options for every command (``HandledGroup`` reads ``--debug``)."""
    if data_dir is not None:
        os.environ["KUZBASS_DATA_DIR"] = str(data_dir.resolve())
