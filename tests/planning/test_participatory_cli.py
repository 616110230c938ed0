"""`kuzbass simulate generate` and `kuzbass simulate participatory` end to end."""

import csv
import json
import re
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from kuzbass.cli import app

runner = CliRunner()


def _generate(tmp_path: Path, *extra: str) -> Path:
    path = tmp_path / "economy.json"
    result = runner.invoke(
        app,
        [
            "simulate", "generate", "--worker-councils", "30", "--consumer-councils", "30",
            "--goods", "2", "--seed", "4", "--out", str(path), *extra,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return path


def test_generate_then_run_writes_every_round(tmp_path: Path) -> None:
    economy = _generate(tmp_path)
    out = tmp_path / "rounds.csv"
    result = runner.invoke(app, ["simulate", "participatory", str(economy), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Balanced in" in result.stdout
    with out.open() as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == ["round", "good", "price", "supply", "demand"]
    goods = [good["name"] for good in json.loads(economy.read_text())["goods"]]
    rounds = int(rows[-1]["round"])
    assert len(rows) == rounds * len(goods)
    assert [row["good"] for row in rows[: len(goods)]] == goods
    assert all(float(row["price"]) == 700.0 for row in rows[: len(goods)])
    last = rows[-len(goods) :]
    supply = np.array([float(row["supply"]) for row in last])
    demand = np.array([float(row["demand"]) for row in last])
    assert np.all(100 * np.abs(2 * (supply - demand)) / (supply + demand) <= 3.0)
    assert f"Balanced in {rounds} rounds" in result.stdout


def test_generate_to_standard_output_is_a_valid_document() -> None:
    result = runner.invoke(
        app, ["simulate", "generate", "--worker-councils", "3", "--consumer-councils", "1",
              "--goods", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert len(document["worker_councils"]) == 3
    assert len(document["goods"]) == 5


def test_fixed_supply_option(tmp_path: Path) -> None:
    document = json.loads(_generate(tmp_path, "--fixed-supply", "250").read_text())
    assert {good.get("supply") for good in document["goods"]} == {None, 250.0}


def test_an_unbalanced_run_exits_with_1_and_still_writes(tmp_path: Path) -> None:
    economy = _generate(tmp_path)
    out = tmp_path / "rounds.csv"
    result = runner.invoke(
        app, ["simulate", "participatory", str(economy), "--rounds", "3", "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "Not balanced after 3 rounds" in result.stderr
    assert len(out.read_text().splitlines()) == 1 + 3 * 10


def test_a_broken_file_names_the_council_and_writes_nothing(tmp_path: Path) -> None:
    economy = _generate(tmp_path)
    document = json.loads(economy.read_text())
    document["worker_councils"][4]["effort_exponent"] = -0.1
    economy.write_text(json.dumps(document))
    out = tmp_path / "rounds.csv"
    result = runner.invoke(app, ["simulate", "participatory", str(economy), "--out", str(out)])
    assert result.exit_code == 2
    assert "worker_councils[4] ('worker-5'), field effort_exponent" in result.stderr
    assert not out.exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["economy.json"]


def test_bad_generator_arguments_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "economy.json"
    result = runner.invoke(
        app, ["simulate", "generate", "--worker-councils", "5", "--goods", "2", "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "at least 3 × goods (6)" in result.output
    assert not out.exists()


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "participatory", str(tmp_path / "missing.json")])
    assert result.exit_code == 2
    unboxed = "".join(result.output.replace("│", "").split())
    assert "missing.jsonisnotafile" in unboxed


def test_the_documented_example_runs_and_balances(tmp_path: Path) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "participatory-schema.md"
    example = re.search(r"```json\n(.*?)```", docs.read_text(), re.DOTALL)
    assert example is not None
    economy = tmp_path / "example.json"
    economy.write_text(example.group(1))
    result = runner.invoke(app, ["simulate", "participatory", str(economy)])
    assert result.exit_code == 0, result.output
    assert "Balanced in" in result.stdout
