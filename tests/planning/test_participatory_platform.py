"""`kuzbass simulate platform`: robot councils answer through the platform's JSON API with the
simulation's closed-form proposals, so the price path is `simulate participatory`'s, the rounds
stop in the same round, and the adopted plan is the councils' proposals (planned = proposed)."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

ECONOMY = Path(__file__).parents[1] / "data" / "participatory-small.json"


def _run(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    environment.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "kuzbass", *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open() as stream:
        return list(csv.DictReader(stream))


def test_the_platform_replays_the_simulation_and_adopts_the_proposals(tmp_path: Path) -> None:
    simulated = _run("simulate", "participatory", str(ECONOMY), "--out", "sim.csv", cwd=tmp_path)
    assert simulated.returncode == 0, simulated.stderr
    rehearsed = _run(
        "simulate", "platform", str(ECONOMY), "--data-dir", "data",
        "--out", "rounds.csv", "--plan-out", "plan.csv", cwd=tmp_path,
    )  # fmt: skip
    assert rehearsed.returncode == 0, rehearsed.stderr
    assert "adopted by the congress" in rehearsed.stdout
    expected, got = _rows(tmp_path / "sim.csv"), _rows(tmp_path / "rounds.csv")
    assert [(r["round"], r["good"]) for r in got] == [(r["round"], r["good"]) for r in expected]
    assert expected[-1]["round"] == "5"  # the file balances in five rounds
    for want, have in zip(expected, got, strict=True):
        for column in ("price", "supply", "demand"):
            assert float(have[column]) == pytest.approx(float(want[column]), rel=1e-9)
    plan = _rows(tmp_path / "plan.csv")
    assert len(plan) > 20
    assert all(row["planned"] == row["proposed"] for row in plan)
    again = _run("simulate", "platform", str(ECONOMY), "--data-dir", "data", cwd=tmp_path)
    assert again.returncode == 2 and "already holds a database" in " ".join(again.stderr.split())
