"""Bad input gets a clear error naming the row; impossible plans name their constraints."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from kuzbass.planning import PlanInputError, optimal_plan, read_targets


@pytest.fixture
def bakery(make_economy):
    return make_economy(
        ["bread", "soap"],
        [("bakery", "bread", 1.0), ("soap-kemerovo", "soap", 1.0)],
        resources={"labour": 10.0},
        uses={("labour", "bakery"): 1.0, ("labour", "soap-kemerovo"): 2.0},
        targets=[("bread", 2.0), ("soap", 1.0)],
    )


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            "product,quantity\nbread,1\ncake,2\n",
            "targets.csv line 3: product 'cake' is not a product",
        ),
        (
            "product,quantity\nbread,-1\n",
            "line 2: 'bread': quantity -1 must be a finite number ≥ 0",
        ),
        ("product,quantity\nbread,lots\n", "targets.csv line 2: quantity 'lots' is not a number"),
        ("product,quantity\nbread,\n", "targets.csv line 2: quantity is empty"),
        (
            "product,quantity,year\nbread,1,3\n",
            "line 2: year 3 is outside the plan's years 1..1",
        ),
        ("product,quantity,year\nbread,1,0\n", "targets.csv line 2: year 0 is outside"),
        (
            "product,quantity,year\nbread,1,1.5\n",
            "line 2: year '1.5' is not a whole number",
        ),
        (
            "product,quantity,priority\nbread,1,0\n",
            "line 2: priority 0 must be a class",
        ),
        ("product,quantity,priority\nbread,1,first\n", "line 2: priority 'first' is not a number"),
        (
            "product,quantity,weight\nbread,1,0\n",
            "line 2: weight 0 must be a finite number > 0",
        ),
        ("product,amount\nbread,1\n", "missing column(s) quantity"),
        ("product,quantity,colour\nbread,1,red\n", "unknown column(s) colour"),
    ],
)
def test_bad_target_rows_are_named(tmp_path, bakery, rows, message):
    path = tmp_path / "targets.csv"
    path.write_text(rows)
    with pytest.raises(PlanInputError) as error:
        optimal_plan(bakery, targets=path)
    assert message in str(error.value)


def test_missing_targets_file_is_named(tmp_path, bakery):
    with pytest.raises(PlanInputError, match="no such targets file"):
        read_targets(tmp_path / "nowhere.csv", bakery, 1)


def test_targets_file_replaces_the_economy_targets(tmp_path, bakery):
    path = tmp_path / "targets.csv"
    path.write_text("product,quantity,priority,weight\nsoap,1,1,2\n")
    result = optimal_plan(bakery, targets=path)
    assert list(result.targets["product"]) == ["soap"]
    assert result.objective == pytest.approx(5.0)


def test_targets_asking_for_nothing_are_refused(bakery):
    nothing = pd.DataFrame({"product": ["bread"], "quantity": [0.0]})
    with pytest.raises(PlanInputError, match="nothing to plan for"):
        optimal_plan(bakery, targets=nothing)


def test_unknown_mode_solver_and_years_are_refused(bakery):
    with pytest.raises(PlanInputError, match="mode 'fastest' is not one of complete-sets"):
        optimal_plan(bakery, mode="fastest")
    with pytest.raises(PlanInputError, match="solver 'magic'"):
        optimal_plan(bakery, solver="magic")
    with pytest.raises(PlanInputError, match="years 0 must be at least 1"):
        optimal_plan(bakery, years=0)
    with pytest.raises(
        PlanInputError, match="leontief-basis solver plans complete sets or harmony"
    ):
        optimal_plan(bakery, mode="priorities", solver="leontief-basis")


def test_negative_capacity_is_named(make_economy):
    economy = make_economy(
        ["bread"],
        [("bakery", "bread", 1.0)],
        resources={"labour": 1.0},
        uses={("labour", "bakery"): 1.0},
        targets=[("bread", 1.0)],
        capacity={"bakery": -3.0},
    )
    with pytest.raises(PlanInputError, match="technique bakery: capacity -3 must be ≥ 0"):
        optimal_plan(economy)


@pytest.mark.parametrize(
    ("solver", "years", "words"),
    [
        ("auto", 1, "labour (at most -5)"),
        ("leontief-basis", 1, "labour (at most -5)"),
        # the interior point diverges and HiGHS' simplex, which names the constraints, takes over
        ("capital-blocks", 2, "labour in year 1 (at most -5)"),
    ],
)
def test_infeasible_plan_names_the_conflicting_constraints(make_economy, solver, years, words):
    economy = make_economy(
        ["bread"],
        [("bakery", "bread", 1.0)],
        resources={"labour": -5.0},
        uses={("labour", "bakery"): 1.0},
        targets=[("bread", 2.0)],
    )
    messages: list[str] = []
    result = optimal_plan(economy, solver=solver, years=years, progress=messages.append)
    assert result.status == "infeasible"
    assert words in result.problems
    if solver == "capital-blocks":
        assert any("interior-point method stopped (diverged at step" in m for m in messages)
        assert result.fallback is not None and "HiGHS' primal simplex took over" in result.fallback
    elif solver == "leontief-basis":
        assert result.fallback is not None and "Leontief basis method did not" in result.fallback
    else:
        assert result.fallback is None
    assert result.objective is None
    assert json.loads(json.dumps(result.to_dict()))["status"] == "infeasible"


@pytest.mark.parametrize(
    ("mode", "solver"),
    [("complete-sets", "auto"), ("harmony", "auto"), ("complete-sets", "leontief-basis")],
)
def test_unbounded_plan_names_the_unlimited_technique(make_economy, mode, solver):
    economy = make_economy(
        ["bread", "soap"],
        [("bakery", "bread", 1.0), ("soap-kemerovo", "soap", 1.0)],
        resources={"labour": 5.0},
        uses={("labour", "bakery"): 1.0},
        targets=[("soap", 1.0)],
    )
    result = optimal_plan(economy, mode=mode, solver=solver)
    assert result.status == "unbounded"
    assert "intensity of technique soap-kemerovo" in result.problems
    assert "intensity of technique bakery" not in result.problems


def test_result_round_trips_through_json_and_csv(tmp_path, bakery):
    result = optimal_plan(bakery)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["objective"] == pytest.approx(2.5)
    assert data["targets"][0]["fulfilment"] == pytest.approx(2.5)
    assert {row["resource"] for row in data["resources"]} == {"labour"}
    written = result.write_csv(tmp_path / "out")
    assert sorted(path.name for path in written) == sorted(
        f"{name}.csv"
        for name in (
            *("targets", "intensities", "resources", "products", "investment", "binding"),
            "investment_per_year",
        )
    )
    assert not list((tmp_path / "out").glob(".*"))
    targets = pd.read_csv(tmp_path / "out" / "targets.csv")
    assert np.allclose(targets["fulfilment"], result.targets["fulfilment"])


@pytest.mark.parametrize("mode", ["complete-sets", "harmony"])
def test_a_leontief_basis_past_its_time_limit_says_so(bakery, mode):
    result = optimal_plan(bakery, mode=mode, solver="leontief-basis", time_limit=0.0)
    assert result.status == "time limit reached"
    assert result.problems == ["the Leontief basis method reached the time limit"]
    assert result.objective is None
    assert optimal_plan(bakery, solver="leontief-basis", time_limit=60).status == "optimal"
