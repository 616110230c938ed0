"""The `kuzbass` command: one Typer app; each area of the system adds its commands here."""

import typer

app = typer.Typer(
    name="kuzbass",
    help="Plan the economy from below: engine, councils platform and public ledger.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
