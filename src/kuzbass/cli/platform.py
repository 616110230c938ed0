"""Commands for the councils platform: ``kuzbass serve``, ``kuzbass ledger verify|export`` and
``kuzbass platform ...`` for the administrator (found a council, appoint its first officer)."""

import getpass
import os
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from kuzbass import files
from kuzbass.cli.app import app
from kuzbass.cli.errors import CommandError

console = Console(stderr=True)
ledger_app = typer.Typer(help="The public ledger: verify the hash chain, export it.")
platform_app = typer.Typer(help="Administer the councils platform.")
app.add_typer(ledger_app, name="ledger")
app.add_typer(platform_app, name="platform")


def _django() -> None:
    from kuzbass.platform import setup

    setup()


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def existing_database(migrated: bool = True) -> None:
    """Set Django up on a database that exists (and is ``migrated``), or refuse without creating
    one: connecting to a missing SQLite file would create it."""
    _django()
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    where = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and not Path(where).exists():
        raise CommandError(
            f"no database at {where}: create one with `kuzbass platform migrate`, or point "
            f"KUZBASS_DATA_DIR or DATABASE_URL at yours"
        )
    if migrated:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise CommandError(
                f"the database {where} is not migrated ({len(pending)} migrations to apply): "
                f"run `kuzbass platform migrate`"
            )


def require_free_port(host: str, port: int) -> None:
    """Refuse a port something already listens on, before gunicorn retries it for seconds."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise CommandError(
                f"cannot listen on {host}:{port}: {error.strerror} (is another server running "
                f"there? choose another with --port)"
            ) from None


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(2, min=1, help="gunicorn worker processes."),
    threads: int = typer.Option(4, min=1, help="Threads per worker."),
    log_file: Annotated[
        Path | None,
        typer.Option(
            help="Write the access log and server errors here (0600); default: KUZBASS_LOG_FILE, "
            "else stderr."
        ),
    ] = None,
) -> None:
    """Migrate the database, then serve the councils platform with gunicorn, and start the task
    worker that closes ballots at their closing time (``kuzbass platform worker``).

    SQLite in the data folder (./var or KUZBASS_DATA_DIR) unless DATABASE_URL is set. Static files
    (htmx, plotly.js, the stylesheet) are collected into the data folder and served by whitenoise.
    Every request goes to the access log and every server error, with its traceback, to the same
    log; visitors see a plain error page.
    """
    from gunicorn.app.base import BaseApplication

    from kuzbass.cli.quiet import no_solver_banner

    require_free_port(host, port)
    if log_file is not None:
        os.environ["KUZBASS_LOG_FILE"] = str(log_file.resolve())
    _django()
    from django.conf import settings
    from django.core.management import call_command

    console.print(f"[bold]kuzbass[/] database: {settings.DATABASES['default']['NAME']}")
    _migrate()
    call_command("collectstatic", interactive=False, verbosity=0)
    from kuzbass.platform.wsgi import application

    log = settings.LOG_FILE or "-"

    class Server(BaseApplication):
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "accesslog": log,
                "errorlog": log,
                "timeout": 60,
                "keepalive": 5,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    no_solver_banner()  # the workers plan; they inherit the silence
    console.print(f"serving on http://{host}:{port}/ with {workers} workers × {threads} threads")
    task_worker = start_worker()
    console.print(f"task worker (closes ballots on time): process {task_worker.pid}")
    try:
        Server().run()
    finally:
        stop_worker(task_worker)


@ledger_app.command("verify")
def ledger_verify(
    file: Annotated[
        Path | None,
        typer.Option("--file", help="An exported JSON-lines file; by default the database."),
    ] = None,
    head: Annotated[
        str | None,
        typer.Option("--head", help="The published hash of the last event, to detect a cut tail."),
    ] = None,
) -> None:
    """Recompute the hash chain and name the first broken link (exit code 1 if there is one).

    From the database this also checks every row of the platform's tables against the event
    that sealed it, and names each row edited, inserted or deleted outside the platform.
    """
    from kuzbass import ledger

    if file is not None:
        try:
            with file.open("rb") as stream:
                ledger.check_lines(stream)
            with file.open("rb") as stream:
                report = ledger.verify_jsonl(stream, head_hash=head)
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from None
        except ledger.LedgerFormatError as error:
            raise CommandError(f"{file}: {error}") from None
        if report.ok:
            console.print(f"[green]ok[/]: {report.events_checked} events, chain intact")
            return
        console.print(f"[red]broken at event #{report.first_broken}[/]: {report.reason}")
        raise typer.Exit(1)
    existing_database()
    from rich.markup import escape

    from kuzbass.platform.ledger.services import verify_database

    result = verify_database(head)
    if result.ok:
        console.print(
            f"[green]ok[/]: {result.events_checked} events, chain intact up to head "
            f"{result.head_hash}; {result.rows_checked} rows in {result.tables_checked} tables "
            "match their seals",
            soft_wrap=True,
        )
        return
    where = f"event #{result.first_broken}" if result.first_broken else "a row"
    console.print(f"[red]broken at {where}[/]: {escape(result.reason)}", soft_wrap=True)
    for problem in result.problems[1:]:
        console.print(f"  also: {escape(problem)}", soft_wrap=True)
    raise typer.Exit(1)


@ledger_app.command("kinds")
def ledger_kinds() -> None:
    """Print the catalogue of ledger event kinds and their payload fields (Markdown)."""
    from kuzbass.platform.core.events import catalogue_markdown

    typer.echo(catalogue_markdown(), nl=False)


@ledger_app.command("export")
def ledger_export(
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write; by default stdout.")
    ] = None,
) -> None:
    """Write every event as JSON lines (the format ``kuzbass ledger verify --file`` reads)."""
    from kuzbass import ledger

    existing_database()
    from kuzbass.platform.ledger.services import iter_events

    if out is None:
        ledger.write_jsonl(iter_events(), sys.stdout)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    files.write_text(out, partial(ledger.write_jsonl, iter_events()))
    console.print(f"wrote {out}")


@platform_app.command("migrate")
def migrate() -> None:
    """Create or update the database tables."""
    _django()
    _migrate()


@platform_app.command("found-council")
def found_council(
    name: str = typer.Option(..., help="The council's name."),
    slug: str = typer.Option(..., help="Short name used in addresses."),
    kind: str = typer.Option(..., help="workplace, consumer, federation or congress."),
    quorum: str = typer.Option("1/2", help="Share of the electorate that must vote."),
    ordinary_threshold: str = typer.Option("1/2", help="Share of votes an ordinary motion needs."),
    recall_threshold: str = typer.Option("1/2", help="Share of votes a recall needs."),
    constitution_threshold: str = typer.Option("2/3", help="Share to change the constitution."),
    open_signup: bool = typer.Option(False, help="Let anyone join without an invitation."),
    delegate_seats: Annotated[
        int | None,
        typer.Option(help="Federation or congress: seats shared by members (default one each)."),
    ] = None,
) -> None:
    """Found a council (its first officer is appointed with ``create-officer``)."""
    _django()
    _migrate()
    from kuzbass.platform.core import errors
    from kuzbass.platform.councils import services

    try:
        council = services.found_council(
            name=name,
            slug=slug,
            kind=kind,
            open_signup=open_signup,
            delegate_seats=delegate_seats,
            constitution={
                "quorum": quorum,
                "ordinary_threshold": ordinary_threshold,
                "recall_threshold": recall_threshold,
                "constitution_threshold": constitution_threshold,
            },
        )
    except errors.ServiceError as error:
        console.print(f"[red]{error.message}")
        raise typer.Exit(1) from error
    console.print(f"founded {council.name} ({council.kind}) at /councils/{council.slug}/")


@platform_app.command("create-officer")
def create_officer(
    council: str = typer.Option(..., help="The council's short name."),
    username: str = typer.Option(..., help="The officer's username (created if new)."),
    email: str = typer.Option("", help="Email address for a new account."),
    password_stdin: bool = typer.Option(
        False, help="Read the new account's password from stdin instead of prompting."
    ),
    staff: bool = typer.Option(False, help="Also give access to Django's admin."),
) -> None:
    """Appoint a council's officer, creating the account if needed."""
    _django()
    _migrate()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from kuzbass.platform.core.errors import ServiceError
    from kuzbass.platform.core.usernames import check_username
    from kuzbass.platform.councils import services
    from kuzbass.platform.councils.models import Council

    found = Council.objects.filter(slug=council).first()
    if found is None:
        console.print(f"[red]no council with the short name {council!r}")
        raise typer.Exit(1)
    user_model = get_user_model()
    with transaction.atomic():
        user = user_model.objects.filter(username=username).first()
        if user is None:
            try:
                username = check_username(username)
            except ServiceError as error:
                console.print(f"[red]{error.message}")
                raise typer.Exit(1) from error
            password = (
                sys.stdin.readline().rstrip("\n")
                if password_stdin
                else getpass.getpass(f"password for {username}: ")
            )
            user = user_model(username=username, email=email)
            try:
                validate_password(password, user)
            except ValidationError as error:
                console.print(f"[red]password: {' '.join(error.messages)}")
                raise typer.Exit(1) from error
            user.set_password(password)
        if staff:
            user.is_staff = True
            user.is_superuser = True
        user.save()
        services.appoint_officer(user, found)
    console.print(f"{username} is an officer of {found.name}")


@platform_app.command("close-due")
def close_due() -> None:
    """Close and tally every ballot and participatory round whose closing time has passed."""
    existing_database()
    from kuzbass.platform.councils import services
    from kuzbass.platform.plans.services import close_due_rounds

    console.print(f"closed {services.close_due_ballots()} ballots")
    console.print(f"closed {close_due_rounds()} participatory rounds")


@platform_app.command("worker")
def worker(
    interval: float = typer.Option(1.0, min=0.1, help="Seconds between looks at the queue."),
) -> None:
    """Run the task worker: closes ballots at their closing time and does whatever else falls
    due (``kuzbass serve`` and ``kuzbass demo`` start one themselves)."""
    existing_database()
    from django.core.management import call_command

    from kuzbass.platform.core import tasks

    tasks.ensure_periodic()
    call_command("db_worker", reload=False, interval=interval, verbosity=0)


def start_worker() -> "subprocess.Popen[bytes]":
    """The task worker as a child process of the server, with the server's environment."""
    return subprocess.Popen([sys.executable, "-m", "kuzbass", "platform", "worker"])


def stop_worker(process: "subprocess.Popen[bytes]") -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
