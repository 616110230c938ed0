"""`kuzbass plan` on the 5yearplan toy and on a canonical folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kuzbass.cli import app

TOY = str(Path(__file__).parents[1] / "data" / "5yearplan-toy")
TOY_OPTIMUM = 8.797299129455235  # Σ_y f_y, see test_multiyear.py


def test_plan_json_reports_the_sum_of_yearly_fulfilments(tmp_path):
    result = CliRunner().invoke(app, ["plan", TOY, "--json", "--out-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "optimal"
    assert data["objective"] == pytest.approx(TOY_OPTIMUM, rel=1e-6)
    assert data["years"] == 5
    assert {row["year"] for row in data["investment_per_year"]} <= {1, 2, 3, 4}
    assert (tmp_path / "intensities.csv").exists()


def test_plan_summary_explains_shortfalls(tmp_path):
    targets = tmp_path / "targets.csv"
    targets.write_text("product,quantity,year\nbread,50,2\ncoal,3,1\n")
    result = CliRunner().invoke(app, ["plan", TOY, "--targets", str(targets)])
    assert result.exit_code == 0, result.output
    assert "complete-sets plan over 5 year(s)" in result.output
    # Coal in year 1 is met 167%; bread in year 2 is held back by the coal stock of the bakeries.
    assert "Why 1 target(s) fall short" in result.output
    assert "bread in year 2: 1.0% of 50" in result.output
    assert (
        "stock of coal held by technique bread in year 2: +0.2 objective per unit" in result.output
    )


def test_plan_names_a_bad_target_row(tmp_path):
    targets = tmp_path / "targets.csv"
    targets.write_text("product,quantity\nbread,1\nsoap,2\n")
    result = CliRunner().invoke(app, ["plan", TOY, "--targets", str(targets)])
    assert result.exit_code == 2
    assert "targets.csv line 3: product 'soap' is not a product of this economy" in result.output


def test_plan_harmony_mode_reports_its_gap():
    result = CliRunner().invoke(app, ["plan", TOY, "--mode", "harmony", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["mode"] == "harmony"
    assert data["gap"] <= 1e-6


def test_plan_targets_writes_an_editable_file_that_plans_the_same(tmp_path):
    path = tmp_path / "targets.csv"
    written = CliRunner().invoke(app, ["plan-targets", TOY, "--out", str(path)])
    assert written.exit_code == 0, written.output
    assert path.read_text().splitlines()[0] == "product,quantity,year,priority,weight"
    result = CliRunner().invoke(app, ["plan", TOY, "--targets", str(path), "--json"])
    assert json.loads(result.stdout)["objective"] == pytest.approx(TOY_OPTIMUM, rel=1e-6)


def test_plan_json_on_a_real_stdout_is_only_json():
    """HiGHS' banner goes to the C-level stdout; the command keeps it out of the JSON."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": "src"}
    completed = subprocess.run(
        [sys.executable, "-m", "kuzbass", "plan", TOY, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    assert json.loads(completed.stdout)["objective"] == pytest.approx(TOY_OPTIMUM, rel=1e-6)


def test_plan_json_says_when_capital_blocks_fell_back_and_why(tmp_path, make_economy):
    # soap needs nothing, so the plan has no optimum; the interior point diverges and the
    # simplex method, which names the unlimited activity, takes over
    economy = make_economy(
        ["bread", "soap"],
        [("bakery", "bread", 1.0), ("soap-kemerovo", "soap", 1.0)],
        resources={"labour": 5.0},
        uses={("labour", "bakery"): 1.0},
        targets=[("soap", 1.0)],
    )
    economy.write(tmp_path / "bakery")
    arguments = ["plan", str(tmp_path / "bakery"), "--years", "2", "--solver", "capital-blocks"]
    result = CliRunner().invoke(app, [*arguments, "--json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "unbounded"
    assert data["fallback"].startswith(
        "the capital-blocks interior-point method stopped (diverged at step "
    )
    assert data["fallback"].endswith("HiGHS' primal simplex took over")
    assert data["solver"]["algorithm"] == "primal-simplex"
    summary = CliRunner().invoke(app, arguments)
    assert "the capital-blocks interior-point method stopped (diverged" in summary.output
