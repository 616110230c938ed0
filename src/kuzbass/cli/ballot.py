"""``kuzbass ballot ...``: a trustee's key set-up and partial decryption on their own machine, and
the check anyone can run on a verifiable ballot from a ledger export."""

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kuzbass.cli.app import app

console = Console(stderr=True, soft_wrap=True)  # messages name values: never cut a line
ballot_app = typer.Typer(help="Verifiable secret ballots: trustees' keys, decryption, checks.")
trustee_app = typer.Typer(help="What a trustee runs on their own machine; secrets never leave it.")
app.add_typer(ballot_app, name="ballot")
ballot_app.add_typer(trustee_app, name="trustee")

SecretFile = Annotated[Path, typer.Option("--secret", help="This trustee's secret file (0600).")]
Out = Annotated[Path, typer.Option("--out", help="The file to hand to the server.")]
ExportFile = Annotated[Path, typer.Option("--file", help="A `kuzbass ledger export` file.")]


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[red]{message}")
    return typer.Exit(code)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise _fail(f"cannot read {path}: {error}", 2) from error


def _write_json(path: Path, value: Any, *, secret: bool = False) -> None:
    """Write whole or not at all; a secret is readable by its owner only."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(value, stream, indent=1, sort_keys=True, ensure_ascii=False)
        os.chmod(name, 0o600 if secret else 0o644)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _secret(path: Path) -> Any:
    from kuzbass.democracy import verifiable

    try:
        return verifiable.TrusteeSecret.from_json(_read_json(path))
    except (KeyError, TypeError, ValueError) as error:
        raise _fail(f"{path} is not a trustee's secret file: {error}", 2) from error


@trustee_app.command("announce")
def announce(
    ballot: Annotated[str, typer.Argument(help="The ballot's id, as the server shows it.")],
    trustees: Annotated[str, typer.Option(help="All trustees' names, comma-separated, in order.")],
    threshold: Annotated[int, typer.Option(help="How many trustees are needed to decrypt.")],
    me: Annotated[int, typer.Option("--me", help="My number in the list (1 = first).")],
    secret: SecretFile,
    out: Out,
) -> None:
    """Step 1: draw my polynomial and channel key; publish the commitments and their proofs."""
    from kuzbass.democracy import verifiable

    if secret.exists():
        raise _fail(f"{secret} exists already; a trustee's secret is never overwritten", 2)
    names = [n.strip() for n in trustees.split(",")]
    try:
        kept, announcement = verifiable.announce(ballot, names, threshold, me)
    except verifiable.TrusteeError as error:
        raise _fail(str(error), 2) from error
    _write_json(secret, kept.to_json(), secret=True)
    _write_json(out, announcement)
    console.print(f"kept {secret}; hand {out} to the server")


@trustee_app.command("deal")
def deal(
    secret: SecretFile,
    announcements: Annotated[Path, typer.Option(help="JSON list of every trustee's announcement.")],
    out: Out,
) -> None:
    """Step 2: check everyone's announcement, then box a share for each other trustee."""
    from kuzbass.democracy import verifiable

    try:
        dealing = verifiable.deal(_secret(secret), _read_json(announcements))
    except verifiable.TrusteeError as error:
        raise _fail(str(error)) from error
    _write_json(out, dealing)
    console.print(f"hand {out} to the server")


@trustee_app.command("finish")
def finish(
    secret: SecretFile,
    announcements: Annotated[Path, typer.Option(help="JSON list of every trustee's announcement.")],
    dealings: Annotated[Path, typer.Option(help="JSON list of every trustee's dealing.")],
    out: Out,
) -> None:
    """Step 3: check the shares dealt to me, keep my decryption key, publish its public part."""
    from kuzbass.democracy import verifiable

    try:
        kept, key = verifiable.finish(
            _secret(secret), _read_json(announcements), _read_json(dealings)
        )
    except verifiable.TrusteeError as error:
        raise _fail(str(error)) from error
    _write_json(secret, kept.to_json(), secret=True)
    _write_json(out, key)
    console.print(f"hand {out} to the server; keep {secret} until the ballot is decrypted")


def _events(file: Path) -> list[Any]:
    from kuzbass import ledger

    try:
        with file.open(encoding="utf-8") as stream:
            events = list(ledger.read_jsonl(stream))
    except (OSError, ValueError) as error:
        raise _fail(f"cannot read {file}: {error}", 2) from error
    chain = ledger.verify_chain(events)
    if not chain.ok:
        raise _fail(f"the ledger's chain is broken at event #{chain.first_broken}: {chain.reason}")
    return events


def _verify(events: list[Any], ballot: str | None) -> Any:
    from kuzbass.democracy import verifiable

    with Progress(
        TextColumn("checking papers and proofs"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("verify", total=len(events))
        return verifiable.verify_events(
            events,
            ballot_id=ballot,
            progress=lambda: progress.advance(task),
            workers=os.cpu_count() or 1,
        )


@trustee_app.command("decrypt")
def decrypt(
    ballot: Annotated[str, typer.Argument()], secret: SecretFile, file: ExportFile, out: Out
) -> None:
    """Check every paper of the ballot in the export, then decrypt only their total."""
    from kuzbass.democracy import verifiable

    report = _verify(_events(file), ballot)
    if not report.ok:
        raise _fail(f"not decrypting: {report.failure}")
    count = report.ballots[0]
    if count.result is not None:
        raise _fail(f"ballot {ballot!r} is decrypted already")
    tally = verifiable.encrypted_tally(count.ballot, count.papers)
    try:
        partial = verifiable.partial_decryption(count.ballot, _secret(secret), tally)
    except verifiable.TrusteeError as error:
        raise _fail(str(error)) from error
    _write_json(out, partial)
    console.print(f"decrypted the total of {len(count.papers)} papers; hand {out} to the server")


@ballot_app.command("verify")
def verify(
    file: ExportFile,
    ballot: Annotated[
        str | None, typer.Argument(help="The ballot's id; --all for every one.")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Verify every verifiable ballot.")] = False,
) -> None:
    """Recompute everything from the ledger alone: every paper's proofs, one paper per eligible
    credential, each tracker once, the encrypted tally, every partial decryption's proof and the
    result. Names the first failure (exit code 1)."""
    if (ballot is None) == (not every):
        raise _fail("name one BALLOT or give --all", 2)
    report = _verify(_events(file), ballot)
    for count in report.ballots:
        result = (
            "not decrypted yet"
            if count.result is None
            else f"result {json.dumps(count.result, ensure_ascii=False, separators=(',', ':'))}"
        )
        print(f"ballot {count.ballot.id}: {len(count.papers)} papers verified, {result}")
    if not report.ok:
        raise _fail(f"verification failed: {report.failure}")
    print(f"{len(report.ballots)} ballots verified")
