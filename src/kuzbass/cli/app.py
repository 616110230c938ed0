"""The Typer app that every area's command module adds its commands to."""

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
) -> None:
    """Options for every command (``HandledGroup`` reads ``--debug``)."""
