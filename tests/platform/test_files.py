"""The data folder is 0700 and the database and key 0600, also for the tests' own database."""

import stat
from pathlib import Path

from django.conf import settings
from django.db import connection

from kuzbass.platform.core import files


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_folder_and_the_test_database_are_private(db: None) -> None:
    assert mode(settings.DATA_DIR) == 0o700
    assert mode(settings.DATA_DIR / "secret_key") == 0o600
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        assert mode(Path(connection.settings_dict["NAME"])) == 0o600


def test_private_files_are_never_readable_by_others(tmp_path: Path) -> None:
    key = tmp_path / "secret"
    files.write_private_text(key, "s3cret")
    assert mode(key) == 0o600 and key.read_text() == "s3cret"
    log = tmp_path / "log"
    log.write_text("")
    log.chmod(0o644)
    files.create_private_file(log)
    assert mode(log) == 0o600
    folder = files.private_folder(tmp_path / "a" / "b")
    assert mode(folder) == 0o700
