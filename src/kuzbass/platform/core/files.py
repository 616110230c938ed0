"""The data folder and its files are the operator's alone: the folder 0700, the database, its
journal files, the secret key and the log 0600, however they were created (``kuzbass serve``,
``kuzbass demo``, the other commands, the tests)."""

import os
import stat
from pathlib import Path
from typing import Any

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def make_private(path: Path, mode: int = PRIVATE_FILE) -> None:
    """Give ``path`` exactly ``mode`` when it exists and has another (nothing if it is gone)."""
    try:
        if stat.S_IMODE(path.stat().st_mode) != mode:
            path.chmod(mode)
    except FileNotFoundError:
        pass


def private_folder(path: Path) -> Path:
    """Create the folder (and its parents) if needed; the folder itself becomes 0700."""
    path.mkdir(parents=True, exist_ok=True)
    make_private(path, PRIVATE_FOLDER)
    return path


def create_private_file(path: Path) -> None:
    """Create an empty file readable by its owner only, unless it exists (then make it so)."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE))
    except FileExistsError:
        make_private(path)


def write_private_text(path: Path, text: str) -> None:
    """Write a new file that nobody else can read at any moment, then move it into place."""
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, PRIVATE_FILE)
    with os.fdopen(descriptor, "w") as stream:
        stream.write(text)
    os.replace(temporary, path)


def keep_sqlite_private(sender: Any, connection: Any, **kwargs: Any) -> None:
    """On every new SQLite connection: the database and its journal files 0600 (SQLite
    creates them with the process's umask; once 0600, it recreates its journals alike)."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        return
    for suffix in SQLITE_SUFFIXES:
        make_private(Path(name + suffix))
