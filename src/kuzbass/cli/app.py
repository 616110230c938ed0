"""The Typer app that every area's command module adds its commands to."""

import typer

app = typer.Typer(
    name="kuzbass",
    help="Plan the economy from below: engine, councils platform and public ledger.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
