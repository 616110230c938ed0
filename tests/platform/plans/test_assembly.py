"""Properties of the assembly from declarations to an Economy (pure: no database)."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kuzbass.linalg.errors import LeontiefError
from kuzbass.planning import optimal_plan
from kuzbass.planning.prices import marginal_prices, net_matrix
from kuzbass.platform.plans.assembly import (
    DEFAULT_OPERATING_HOURS,
    Declarations,
    assemble,
    plan_content,
)


@st.composite
def declarations(draw: st.DrawFn) -> Declarations:
    products = [f"p{i}" for i in range(draw(st.integers(1, 6)))]
    m = draw(st.integers(1, 8))
    makes = draw(st.lists(st.sampled_from(products), min_size=m, max_size=m))
    workplaces = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=m, max_size=m))
    rows = draw(
        st.lists(
            st.tuples(st.integers(0, m - 1), st.sampled_from([*products, "ore"]), st.floats(0, 5)),
            max_size=12,
            unique_by=lambda r: r[:2],
        )
    )
    needs = draw(st.lists(st.sampled_from(products), min_size=1, max_size=4, unique=True))
    norms = {"a": {"hours_per_shift": 6.0, "days_per_period": 20.0, "workers": 3.0}}
    return Declarations(
        products={p: "u" for p in products},
        resources={"ore": ("t", 10.0)},
        technique_name=np.array([f"t{j}" for j in range(m)], dtype=object),
        technique_workplace=np.array(workplaces, dtype=object),
        technique_product=np.array(makes, dtype=object),
        technique_output=np.array(draw(st.lists(st.floats(0.5, 50), min_size=m, max_size=m))),
        technique_labour=np.array(draw(st.lists(st.floats(0, 20), min_size=m, max_size=m))),
        technique_capacity=np.array(
            draw(st.lists(st.one_of(st.just(np.nan), st.floats(0, 100)), min_size=m, max_size=m))
        ),
        technique_norm_hours=np.full(m, DEFAULT_OPERATING_HOURS),
        input_technique=np.array([r[0] for r in rows], dtype=np.int64),
        input_item=np.array([r[1] for r in rows], dtype=object),
        input_quantity=np.array([r[2] for r in rows], dtype=float),
        need_council=np.array(["town"] * len(needs), dtype=object),
        need_product=np.array(needs, dtype=object),
        need_use=np.array(["basic needs"] * len(needs), dtype=object),
        need_quantity=np.ones(len(needs)),
        need_demand=np.array([None] * len(needs), dtype=object),
        norms=norms,
    )


@settings(max_examples=60, deadline=None)
@given(declarations())
def test_every_kept_technique_can_run_and_every_need_is_placed(declared: Declarations) -> None:
    built = assemble(declared)
    economy = built.economy
    made = set(economy.products[economy.technique_product])
    # a kept technique's product inputs are all made by a kept technique
    inputs = economy.input_coefficients.tocoo()
    assert {str(economy.products[i]) for i in inputs.row} <= made
    # each declared technique is either kept or excluded with a reason, never both
    kept = {str(name) for name in economy.techniques}
    excluded = {e["technique"] for e in built.excluded}
    assert kept | excluded == set(declared.technique_name) and not kept & excluded
    # every need is a target, or named as made by nobody
    placed = set(built.targets["product"]) | set(built.unmade)
    assert placed == set(declared.need_product)
    assert set(built.unmade).isdisjoint(made)
    # input coefficients are the declared quantities over the declared output
    for row, column, value in zip(inputs.row, inputs.col, inputs.data, strict=True):
        j = int(np.flatnonzero(declared.technique_name == economy.techniques[column])[0])
        declared_rows = (declared.input_technique == j) & (
            declared.input_item == economy.products[row]
        )
        assert np.isclose(
            value * declared.technique_output[j], declared.input_quantity[declared_rows].sum()
        )
    # workplace "a" voted 6-hour shifts: its capacities scale by 120/160, and it has 360 h
    for column, name in enumerate(economy.techniques):
        j = int(np.flatnonzero(declared.technique_name == name)[0])
        declared_capacity = declared.technique_capacity[j]
        scale = 0.75 if declared.technique_workplace[j] == "a" else 1.0
        if np.isnan(declared_capacity):
            assert np.isinf(economy.technique_capacity[column])
        else:
            assert np.isclose(economy.technique_capacity[column], declared_capacity * scale)
    if "a" in set(declared.technique_workplace[built.kept]):
        row = economy.resources.get_loc("labour at a")
        assert economy.resource_available[row] == 360.0


def two_pits() -> Declarations:
    """A cheap pit (1 h a tonne, at most 400 t) and a dear one (3 h a tonne); the town needs
    150 t of coal and there are 1,000 h of labour."""
    return Declarations(
        products={"coal": "t"},
        resources={"labour": ("hours", 1000.0)},
        technique_name=np.array(["coal-cheap", "coal-dear"], dtype=object),
        technique_workplace=np.array(["raspadskaya", "komsomolskaya"], dtype=object),
        technique_product=np.array(["coal", "coal"], dtype=object),
        technique_output=np.array([100.0, 100.0]),
        technique_labour=np.array([100.0, 300.0]),
        technique_capacity=np.array([400.0, np.nan]),
        technique_norm_hours=np.full(2, DEFAULT_OPERATING_HOURS),
        input_technique=np.array([], dtype=np.int64),
        input_item=np.array([], dtype=object),
        input_quantity=np.array([], dtype=float),
        need_council=np.array(["town"], dtype=object),
        need_product=np.array(["coal"], dtype=object),
        need_use=np.array(["basic needs"], dtype=object),
        need_quantity=np.array([150.0]),
        need_demand=np.array([None], dtype=object),
    )


def test_a_workplace_is_flagged_only_where_it_loses_at_the_margin() -> None:
    declared = two_pits()
    built = assemble(declared)
    result = optimal_plan(built.economy, built.targets)
    # a plan that makes the same 200 t with the dear pit alone, the cheap one idle
    wasteful = result.intensities.copy()
    wasteful["intensity"] = wasteful["technique"].map({"coal-cheap": 0.0, "coal-dear": 200.0})
    content = plan_content(
        declared, built, replace(result, intensities=wasteful), need_threshold=0.5
    )
    # 200 t could be made with 200 h at the cheap pit: one more tonne costs 1 h
    assert {p["product"]: p["price"] for p in content["products"]}["coal"] == pytest.approx(1.0)
    (flag,) = [f for f in content["flags"] if f["kind"] == "self-accounting"]
    assert flag["message"] == (
        "komsomolskaya: at the plan's prices its output is worth 200\u00a0h but costs 600\u00a0h "
        "— a loss of 400\u00a0h at the margin: the same outputs could be made with fewer hours"
    )
    # the plan the engine chose runs the cheap pit first: nothing is flagged
    chosen = plan_content(declared, built, result, need_threshold=0.5)
    assert [f for f in chosen["flags"] if f["kind"] == "self-accounting"] == []
    assert chosen["workplaces"]["raspadskaya"]["balance"] == pytest.approx(800.0)


@settings(max_examples=15, deadline=None)
@given(declarations())
def test_a_least_hours_plan_flags_no_workplace_and_every_technique_covers_its_cost(
    declared: Declarations,
) -> None:
    declared = replace(declared, resources={"ore": ("t", 10.0), "labour": ("hours", 500.0)})
    built = assemble(declared)
    assume(built.economy.n_techniques > 0 and (built.targets["quantity"] > 0).any())
    result = optimal_plan(built.economy, built.targets)
    assume(result.optimal)
    # the same plan, its outputs made with the fewest hours
    q = result.intensities["intensity"].to_numpy()
    net = pd.Series(np.maximum(net_matrix(built.economy) @ q, 0.0), index=built.economy.products)
    least = marginal_prices(built.economy, net).intensities
    frugal = result.intensities.copy()
    frugal["intensity"] = least.reindex(frugal["technique"]).to_numpy()
    try:
        content = plan_content(
            declared, built, replace(result, intensities=frugal), need_threshold=0
        )
    except LeontiefError:
        assume(False)  # techniques that use up more than they make have no labour values
        raise
    assert [f for f in content["flags"] if f["kind"] == "self-accounting"] == []
    for technique in content["techniques"]:
        if technique["intensity"] > 1e-9:
            assert technique["unit_rent"] >= -1e-6 * max(1.0, technique["unit_price"])
    for part in content["workplaces"].values():
        assert part["revenue"] == pytest.approx(part["cost"] + part["balance"])
