"""Writing files so that a failure or a kill never leaves a half-written one behind."""

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target`` to write to: on success it replaces ``target`` in one
    rename (with the permissions a new file would get); on any failure it is removed."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text(target: Path, write: Callable[[IO[str]], object]) -> None:
    """Write a UTF-8 text file through ``replacing``: it appears whole or not at all."""
    with (
        replacing(target) as temporary,
        temporary.open("w", encoding="utf-8", newline="") as stream,
    ):
        write(stream)


@contextmanager
def replacing_folder(target: Path) -> Iterator[Path]:
    """A new folder beside ``target`` to write into: on success it replaces ``target`` (and what
    was there is deleted); on any failure it is removed and ``target`` is left as it was."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield staging
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            os.replace(target, old / target.name)
            os.replace(staging, target)
            shutil.rmtree(old)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
