"""Optimal plans: known answers, duality, choice of technique, priorities, harmony, bad plans."""

from __future__ import annotations

import numpy as np
import pytest

from kuzbass.economy.generate import generate
from kuzbass.planning import harmony, optimal_plan

# Kantorovich, "Mathematical Methods of Organizing and Planning Production" (1939; English
# translation Management Science 6(4):366-422, 1960, doi:10.1287/mnsc.6.4.366), first example:
# parts A and B per machine per working day — milling machines (3 of them) 10 A or 20 B,
# turret lathes (3) 20 A or 30 B, the automatic turret lathe (1) 30 A or 80 B.
# Kantorovich's optimum: 86 2/3 complete sets (A + B) per day.
MACHINES = {"milling": (3, 10, 20), "turret": (3, 20, 30), "automatic": (1, 30, 80)}


def kantorovich(make_economy):
    techniques, uses = [], {}
    for machine, (_, per_day_a, per_day_b) in MACHINES.items():
        for part, per_day in (("A", per_day_a), ("B", per_day_b)):
            techniques.append((f"{machine}-{part}", part, 1.0))
            uses[machine, f"{machine}-{part}"] = 1 / per_day
    return make_economy(
        ["A", "B"],
        techniques,
        resources={machine: count for machine, (count, _, _) in MACHINES.items()},
        uses=uses,
        targets=[("A", 1.0), ("B", 1.0)],
    )


def test_kantorovich_first_example_makes_86_and_two_thirds_complete_sets(make_economy):
    result = optimal_plan(kantorovich(make_economy))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(86 + 2 / 3, rel=1e-9)
    assert result.targets["delivered"].to_numpy() == pytest.approx([86 + 2 / 3] * 2)
    assert result.resources["use"].to_numpy() == pytest.approx([3, 3, 1])
    assert result.gap <= 1e-9


def test_techniques_in_use_break_even_at_the_valuations(make_economy):
    result = optimal_plan(kantorovich(make_economy))
    table = result.intensities
    used = table["intensity"] > 1e-9
    profit = table["net_value"] - table["resource_cost"]
    assert np.abs(profit[used]).max() < 1e-9
    assert (profit[~used] <= 1e-9).all()
    # One more complete set needs one A and one B: its value is the objective's gain, 1.
    valuation = result.products.set_index("product")["valuation"]
    assert valuation["A"] + valuation["B"] == pytest.approx(1.0)
    # Resource valuations times stocks give back the objective (strong duality).
    resources = result.resources
    assert (resources["valuation"] * resources["available"]).sum() == pytest.approx(
        result.objective
    )


def test_an_unused_resource_is_worth_nothing(make_economy):
    economy = make_economy(
        ["bread"],
        [("bakery", "bread", 1.0)],
        resources={"labour": 10.0, "ovens": 1000.0},
        uses={("labour", "bakery"): 1.0, ("ovens", "bakery"): 0.1},
        targets=[("bread", 2.0)],
    )
    result = optimal_plan(economy)
    resources = result.resources.set_index("resource")
    assert result.objective == pytest.approx(5.0)
    assert resources.loc["ovens", "use"] == pytest.approx(1.0)
    assert resources.loc["ovens", "valuation"] == 0
    assert resources.loc["labour", "valuation"] == pytest.approx(0.5)


def test_choice_of_technique_follows_the_scarce_resource(make_economy):
    economy = make_economy(
        ["coal", "soap"],
        [
            ("coal-open-pit", "coal", 1.0),
            ("coal-deep", "coal", 1.0),
            ("soap-kemerovo", "soap", 1.0),
        ],
        inputs={("coal", "soap-kemerovo"): 0.5},
        resources={"labour": 100.0, "land": 10.0},
        uses={
            ("labour", "coal-open-pit"): 1.0,
            ("land", "coal-open-pit"): 1.0,
            ("labour", "coal-deep"): 3.0,
            ("labour", "soap-kemerovo"): 1.0,
        },
        targets=[("soap", 10.0), ("coal", 1.0)],
    )
    result = optimal_plan(economy)
    intensity = result.intensities.set_index("technique")["intensity"]
    # Land allows 10 open-pit coal, the rest comes from deep mines; labour binds z:
    # z·(1 + 0.5·10)·... solved by hand: open-pit 10, deep d, soap 10z, coal 10 + d = z + 5z,
    # labour 10 + 3d + 10z = 100  =>  d = 6z − 10, 10 + 18z − 30 + 10z = 100  =>  z = 120/28.
    assert result.objective == pytest.approx(120 / 28)
    assert intensity["coal-open-pit"] == pytest.approx(10)
    assert intensity["coal-deep"] == pytest.approx(6 * 120 / 28 - 10)
    assert result.explanations == []  # z > 1: every target is met more than in full


def test_a_shortfall_is_explained_by_its_binding_constraints_in_words(make_economy):
    economy = make_economy(
        ["soap", "coal"],
        [("soap-kemerovo", "soap", 1.0), ("coal-mine", "coal", 1.0)],
        inputs={("coal", "soap-kemerovo"): 0.5},
        resources={"labour": 100.0},
        uses={("labour", "soap-kemerovo"): 1.0, ("labour", "coal-mine"): 1.0},
        targets=[("soap", 40.0), ("coal", 10.0)],
        capacity={"soap-kemerovo": 20.0},
    )
    result = optimal_plan(economy)
    assert result.objective == pytest.approx(0.5)
    soap = next(item for item in result.explanations if item["product"] == "soap")
    assert soap["fulfilment"] == pytest.approx(0.5)
    top = soap["binding"][0]
    assert top["constraint"] == "capacity of technique soap-kemerovo"
    assert top["kind"] == "capacity"
    # One more unit of soap capacity gives 1/40 more complete sets.
    assert top["gain_per_unit"] == pytest.approx(1 / 40)
    assert "labour" not in [reason["constraint"] for reason in soap["binding"]]


def test_priorities_meet_class_one_first(make_economy):
    economy = make_economy(
        ["bread", "cars"],
        [("bakery", "bread", 1.0), ("factory", "cars", 1.0)],
        resources={"labour": 100.0},
        uses={("labour", "bakery"): 1.0, ("labour", "factory"): 10.0},
        targets=[("bread", 80.0, 1, 1, 1.0), ("cars", 5.0, 1, 2, 1.0)],
    )
    complete = optimal_plan(economy)
    assert complete.objective == pytest.approx(100 / 130)
    result = optimal_plan(economy, mode="priorities")
    fulfilment = result.targets.set_index("product")["fulfilment"]
    assert fulfilment["bread"] == pytest.approx(1.0)
    assert fulfilment["cars"] == pytest.approx(20 / 50)
    cars = next(item for item in result.explanations if item["product"] == "cars")
    words = [reason["constraint"] for reason in cars["binding"]]
    assert words[:2] == ["labour", "fulfilment held for a higher priority class"]


def test_harmony_function_matches_cockshott():
    s = np.array([-1.0, -0.5, 0.0, 0.5, 3.0])
    assert harmony(s) == pytest.approx([-1.5, -0.625, 0.0, np.log(1.5), np.log(4.0)])


def test_harmony_splits_surplus_in_proportion_to_weights(make_economy):
    economy = make_economy(
        ["A", "B"],
        [("make-A", "A", 1.0), ("make-B", "B", 1.0)],
        resources={"labour": 90.0},
        uses={("labour", "make-A"): 1.0, ("labour", "make-B"): 1.0},
        targets=[("A", 10.0, 1, 1, 2.0), ("B", 10.0, 1, 1, 1.0)],
    )
    result = optimal_plan(economy, mode="harmony")
    delivered = result.targets.set_index("product")["delivered"]
    # Above target, H = ln(1+s): the optimum has w_A/x_A = w_B/x_B, so x_A = 60 and x_B = 30.
    # (A gap of 1e-9 in a flat objective leaves the plan itself within about 1e-4.)
    assert delivered["A"] == pytest.approx(60, rel=1e-4)
    assert delivered["B"] == pytest.approx(30, rel=1e-4)
    assert result.gap <= 1e-6
    assert result.objective == pytest.approx(2 * np.log(6) + np.log(3), rel=1e-6)


def test_harmony_below_target_uses_the_quadratic_branch(make_economy):
    economy = make_economy(
        ["A", "B"],
        [("make-A", "A", 1.0), ("make-B", "B", 1.0)],
        resources={"labour": 10.0},
        uses={("labour", "make-A"): 1.0, ("labour", "make-B"): 1.0},
        targets=[("A", 10.0, 1, 1, 1.0), ("B", 10.0, 1, 1, 1.5)],
    )
    result = optimal_plan(economy, mode="harmony")
    # Below target H = s − s²/2: optimum at 1·(1 − s_A) = 1.5·(1 − s_B) with x_A + x_B = 10,
    # i.e. s_A = −0.8, s_B = −0.2: 2 units of A and 8 of B.
    delivered = result.targets.set_index("product")["delivered"]
    assert delivered["A"] == pytest.approx(2, rel=1e-3)
    assert delivered["B"] == pytest.approx(8, rel=1e-3)
    assert result.gap <= 1e-6
    assert result.objective == pytest.approx(harmony(-0.8) + 1.5 * harmony(-0.2), rel=1e-7)
    assert result.solver["harmony_upper_bound"] >= result.objective


@pytest.mark.parametrize("solver", ["simplex", "ipm", "pdlp"])
def test_every_highs_algorithm_reaches_kantorovich_optimum(make_economy, solver):
    result = optimal_plan(kantorovich(make_economy), solver=solver)
    assert result.solver["algorithm"] == solver
    assert result.objective == pytest.approx(86 + 2 / 3, rel=1e-6)
    assert result.gap <= 1e-6


def test_large_plans_go_through_a_leontief_basis_with_the_simplex_optimum():
    economy = generate(
        600,
        seed=3,
        capacity_headroom=0.5,
        labour_available=0.9,
        land_available=0.95,
        alternatives=0.2,
    )
    exact = optimal_plan(economy, solver="simplex")
    result = optimal_plan(economy, solver="leontief-basis")
    assert result.objective == pytest.approx(exact.objective, rel=1e-9)
    assert result.gap <= 1e-9
    assert result.solver["leontief_product_rows"] < economy.n_products / 10
    # the plan's resource use and every valuation of a binding resource agree with the simplex
    assert result.resources["use"].to_numpy() == pytest.approx(
        exact.resources["use"].to_numpy(), rel=1e-7
    )
    assert result.resources["valuation"].to_numpy() == pytest.approx(
        exact.resources["valuation"].to_numpy(), rel=1e-6, abs=1e-12
    )
    assert result.explanations and result.explanations[0]["binding"]


def test_auto_plans_complete_sets_of_large_economies_through_a_leontief_basis():
    economy = generate(
        2000,
        seed=0,
        capacity_headroom=0.5,
        labour_available=0.9,
        land_available=0.95,
        alternatives=0.1,
    )
    result = optimal_plan(economy)
    assert result.solver["algorithm"] == "leontief-basis"
    assert result.status == "optimal"
    assert result.gap <= 1e-9
    # HiGHS' dual simplex on the whole LP gave 0.916869096058643 (3.7 s against 0.2 s)
    assert result.objective == pytest.approx(0.916869096058, rel=1e-10)
    binding = result.explanations[0]["binding"]
    assert [reason["constraint"] for reason in binding[:2]] == [
        "capacity of technique p0150",
        "labour",
    ]
