"""Every command on bad input: a few lines naming what is wrong, the exit code, nothing written.

Exit 2 is bad input, 1 a failed check (or an unexpected error, whose traceback goes to a file),
130 an interrupted run. Engine commands run in this process; platform commands run as the
`kuzbass` a person types, in an empty folder, so that a database created by mistake would show.
"""

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kuzbass.cli import app
from kuzbass.economy.errors import EconomyError

runner = CliRunner()

FARM = {
    "products.csv": "product,unit\ncorn,t\niron,t\n",
    "techniques.csv": "technique,product,output\nfarm,corn,10\nmill,iron,4\n",
    "inputs.csv": "technique,input,quantity\nfarm,corn,2\nmill,iron,1\nfarm,labour,5\n",
    "resources.csv": "resource,unit,available\nlabour,hours,1000\n",
}


def _farm(folder: Path, **changes: bytes | str) -> Path:
    folder.mkdir()
    for name, text in {**FARM, **changes}.items():
        data = text.encode() if isinstance(text, str) else text
        (folder / name).write_bytes(data)
    return folder


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())  # rich wraps long lines


@pytest.mark.parametrize(
    ("args", "files", "message"),
    [
        (["check", "{tmp}/nowhere"], {}, "{tmp}/nowhere: not a folder"),
        (
            ["values", "{tmp}/e"],
            {"inputs.csv": "technique,input,quantity\nfarm,corn,-2\n"},
            "inputs.csv line 2: technique 'farm', input 'corn': quantity is '-2': must not be "
            "negative (only final demand may be negative)",
        ),
        (
            ["values", "{tmp}/e"],
            {"inputs.csv": "technique,input,quantity\nfarm,corn,11\nfarm,labour,1\n"},
            "the technology is not productive: estimated spectral radius 1.1 ≥ 1; the "
            "self-consuming cycle is 'corn'",
        ),
        (
            ["check", "{tmp}/e"],
            {"products.csv": b"product,unit\ncorn,t\niron,t\n\xffsoap,t\n"},
            "products.csv: line 4 is not UTF-8 text: save the file as UTF-8",
        ),
        (
            ["output", "{tmp}/e", "--demand", "{tmp}/e/wanted.csv"],
            {"wanted.csv": b"product,quantity\n\xff,1\n"},
            "wanted.csv: not UTF-8 text (invalid start byte)",
        ),
        (
            ["output", "{tmp}/e", "--demand", "{tmp}/none.csv"],
            {},
            "none.csv: missing or empty (expected the header product,quantity)",
        ),
        (
            ["convert", "{tmp}/e", "{tmp}"],
            {},
            "{tmp}: exists and is not an economy folder; nothing was written",
        ),
        (
            ["import", "ibge", "{tmp}/br", "--year", "2009"],
            {},
            "year 2009: IBGE's tables at level 68 cover 2010–2021 (levels 12 and 51 go back "
            "to 2000)",
        ),
        (
            ["plan", "{tmp}/e", "--targets", "{tmp}/targets.csv"],
            {},
            "{tmp}/targets.csv: no such targets file",
        ),
        (
            ["plan-targets", "{tmp}/nowhere"],
            {},
            "{tmp}/nowhere: not a folder",
        ),
        (
            ["simulate", "participatory", "{tmp}/e/inputs.csv"],
            {"inputs.csv": b"\xff"},
            "inputs.csv: not UTF-8 text (invalid start byte): save it as UTF-8",
        ),
    ],
)
def test_engine_commands_name_the_bad_input_and_exit_2(
    tmp_path: Path, args: list[str], files: dict, message: str
) -> None:
    _farm(tmp_path / "e", **files)
    before = sorted(p.name for p in tmp_path.iterdir())
    code, output = _run(*(a.format(tmp=tmp_path) for a in args))
    assert code == 2, output
    assert message.format(tmp=tmp_path) in output
    assert "Traceback" not in output
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_a_bad_option_value_is_a_usage_error(tmp_path: Path) -> None:
    code, output = _run(
        "generate", str(tmp_path / "g"), "--products", "9", "--spectral-radius", "2"
    )
    assert code == 2
    assert "spectral_radius must be in (0, 1) for a productive economy" in output
    assert not (tmp_path / "g").exists()


def test_an_unexpected_error_is_one_line_and_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kuzbass.economy import canonical

    def broken(folder: Path, fmt: str) -> None:
        raise RuntimeError("the disk melted")

    monkeypatch.setattr(canonical, "read_canonical", broken)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    code, output = _run("check", str(_farm(tmp_path / "e")))
    assert code == 1
    assert output.startswith(
        "error: unexpected RuntimeError: the disk melted — the traceback is in"
    )
    [saved] = tmp_path.glob("kuzbass-error-*.txt")
    assert str(saved) in output
    assert 'raise RuntimeError("the disk melted")' in saved.read_text()
    debug = runner.invoke(app, ["--debug", "check", str(tmp_path / "e")])
    assert isinstance(debug.exception, RuntimeError)  # --debug lets the traceback through


def test_ctrl_c_says_interrupted_and_leaves_no_half_written_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.csv

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pyarrow.csv, "write_csv", interrupted)
    out = tmp_path / "values.csv"
    code, output = _run("values", str(_farm(tmp_path / "e")), "--out", str(out))
    assert code == 130
    assert "error: interrupted" in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e"]  # no values.csv, no temporary


def _kuzbass(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["KUZBASS_DATA_DIR"] = str(folder / "var")
    return subprocess.run(
        [sys.executable, "-m", "kuzbass", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["ledger", "verify"],
        ["ledger", "export"],
        ["platform", "close-due"],
        ["accounts", "balances"],
    ],
)
def test_platform_commands_refuse_a_missing_database_without_creating_one(
    tmp_path: Path, args: list[str]
) -> None:
    done = _kuzbass(tmp_path, *args)
    assert done.returncode == 2, done.stderr
    database = tmp_path / "var" / "kuzbass.sqlite3"
    assert " ".join(done.stderr.split()) == (
        f"error: no database at {database}: create one with `kuzbass platform migrate`, or "
        f"point KUZBASS_DATA_DIR or DATABASE_URL at yours"
    )
    assert not database.exists()


def test_an_unmigrated_database_is_named(tmp_path: Path) -> None:
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "kuzbass.sqlite3").touch()
    done = _kuzbass(tmp_path, "ledger", "verify")
    assert done.returncode == 2
    assert "is not migrated" in done.stderr and "run `kuzbass platform migrate`" in done.stderr
    with sqlite3.connect(tmp_path / "var" / "kuzbass.sqlite3") as database:
        assert database.execute("select name from sqlite_master").fetchall() == []  # no tables


def test_ledger_verify_of_a_file(tmp_path: Path) -> None:
    (tmp_path / "export.jsonl").write_bytes(b"\xff\xfe\n")
    broken = _run("ledger", "verify", "--file", str(tmp_path / "export.jsonl"))
    assert broken == (  # not an export at all: bad input, not a failed check
        2,
        f"error: {tmp_path / 'export.jsonl'}: line 1: not UTF-8 (byte 0): not a ledger export, "
        "or damaged in transfer",
    )
    code, output = _run("ledger", "verify", "--file", str(tmp_path / "none.jsonl"))
    assert (code, output) == (
        2,
        f"error: cannot read {tmp_path}/none.jsonl: No such file or directory",
    )


def test_serve_refuses_a_taken_port_at_once(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _kuzbass(tmp_path, "serve", "--port", str(port))
    assert done.returncode == 2
    assert " ".join(done.stderr.split()) == (
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use (is another server "
        f"running there? choose another with --port)"
    )
    assert not (tmp_path / "var" / "kuzbass.sqlite3").exists()


def test_the_handler_knows_the_economy_errors() -> None:
    # the handler finds error classes by module and name: a rename would make them unexpected
    from kuzbass.cli.errors import EXPECTED

    assert any(
        isinstance(EconomyError(["x"]), getattr(sys.modules[m], n))
        for m, n in EXPECTED
        if m in sys.modules
    )
    for module, name in EXPECTED:
        if module.startswith("kuzbass."):
            assert isinstance(getattr(__import__(module, fromlist=[name]), name), type)
