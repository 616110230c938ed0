"""How every ``kuzbass`` command fails: a few lines that say what is wrong and what to do.

``HandledGroup`` is the class of the app's command group, so every command, and every test that
invokes the app, runs inside ``handled``:

- input the user can fix (an economy, a plan's targets, a scenario, a file that cannot be read,
  a missing database, a taken port) prints its problems and exits with 2;
- a check that failed (a broken ledger, a plan with unmet targets) is the command's own
  ``typer.Exit(1)`` or ``CommandError(..., code=1)``;
- Ctrl-C prints that the run was interrupted and exits with 130 (files are written whole or
  not at all, database changes commit whole);
- anything else prints one line and the path of a file holding the traceback (exit 1), or the
  traceback itself with ``kuzbass --debug``.

The error classes are looked up by module, so that a command that never imported (say) Django
does not import it to fail.
"""

from __future__ import annotations

import sys
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
import typer.core

BAD_INPUT = 2
FAILED_CHECK = 1
INTERRUPTED = 130

EXPECTED = (
    ("kuzbass.economy.errors", "EconomyError"),
    ("kuzbass.linalg.errors", "LeontiefError"),
    ("kuzbass.planning.targets", "PlanInputError"),
    ("kuzbass.planning.participatory_schema", "EconomyFileError"),
    ("kuzbass.scenarios.loader", "ScenarioError"),
    ("django.db.utils", "OperationalError"),
)
"""Errors of bad input, each with a message (or ``problems``) that names what is wrong."""


class CommandError(Exception):
    """A failure a command recognised: ``message`` says what is wrong and what to do."""

    def __init__(self, message: str, code: int = BAD_INPUT) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class HandledGroup(typer.core.TyperGroup):
    """The app's group: runs the chosen command inside ``handled``."""

    def invoke(self, ctx: Any) -> Any:
        with handled(bool(ctx.params.get("debug"))):
            return super().invoke(ctx)


@contextmanager
def handled(debug: bool = False) -> Iterator[None]:
    """Turn what the block raises into a few lines on stderr and an exit code (module doc)."""
    try:
        yield
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise  # the command's own exit, or a usage error typer already words
    except KeyboardInterrupt:
        _say("interrupted: stopped before the end (nothing was left half-written)")
        raise typer.Exit(INTERRUPTED) from None
    except CommandError as error:
        _say(error.message)
        raise typer.Exit(error.code) from None
    except Exception as error:
        lines = _expected(error)
        if lines is not None:
            _say(*lines)
            raise typer.Exit(BAD_INPUT) from None
        if debug:
            raise
        _say(_unexpected(error))
        raise typer.Exit(FAILED_CHECK) from None


def _expected(error: Exception) -> list[str] | None:
    """The lines to print for an expected error, or None for an unexpected one."""
    for module, name in EXPECTED:
        kind = getattr(sys.modules.get(module), name, None)
        if kind is not None and isinstance(error, kind):
            return [str(error)] if not hasattr(error, "problems") else _problems(error)
    if isinstance(error, UnicodeDecodeError):
        return [
            f"a file is not UTF-8 text ({error.reason} at byte {error.start}): save it as UTF-8"
        ]
    if isinstance(error, OSError) and error.filename is not None:
        return [f"{error.filename}: {error.strerror or error}"]
    return None


def _problems(error: Exception) -> list[str]:
    problems = list(getattr(error, "problems", []))
    if len(problems) == 1:
        return problems
    return [f"{len(problems)} problems:", *(f"  - {p}" for p in problems)]


def _unexpected(error: Exception) -> str:
    """One line for an unexpected error, naming the file its traceback was written to."""
    handle, name = tempfile.mkstemp(prefix="kuzbass-error-", suffix=".txt")
    with open(handle, "w", encoding="utf-8") as stream:
        stream.write("kuzbass " + " ".join(sys.argv[1:]) + "\n\n")
        traceback.print_exception(error, file=stream)
    kind = type(error).__name__
    return (
        f"unexpected {kind}: {error} — the traceback is in {Path(name)} "
        f"(or run `kuzbass --debug ...` to see it here)"
    )


def _say(first: str, *more: str) -> None:
    """``error: first`` and the further lines under it, on stderr."""
    from rich.console import Console
    from rich.text import Text

    console = Console(stderr=True)
    console.print(Text("error: ", style="red").append(first), soft_wrap=True)
    for line in more:
        console.print(Text(line), soft_wrap=True)
