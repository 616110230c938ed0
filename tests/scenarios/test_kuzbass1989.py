"""The bundled Kuzbass 1989 scenario tells its story: a productive economy, a plan that underpays
coal, pits that cannot pay wages, needs the technology can meet, and the councils of the strike."""

import dataclasses
import itertools
import json

import jsonschema
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from kuzbass.economy import LABOUR, Economy
from kuzbass.planning.self_accounting import (
    average_labour_values,
    money_per_hour,
)
from kuzbass.scenarios import loader

FOLDER = loader.KUZBASS_1989


@pytest.fixture(scope="module")
def economy() -> Economy:
    return Economy.read(loader.economy_path())


@pytest.fixture(scope="module")
def accounts_1989():
    return loader.self_accounting_1989()


def test_the_economy_reads_and_is_productive_whichever_workplace_makes_each_product(
    economy: Economy,
) -> None:
    assert list(economy.products) == [
        "coal", "coke", "steel", "electricity", "machinery", "chemicals",
        "grain", "bread", "soap", "housing", "transport", "arms",
    ]  # fmt: skip
    assert list(economy.resources) == [LABOUR]
    makers = [
        list(economy.techniques[economy.technique_product == i]) for i in range(economy.n_products)
    ]
    assert len(makers[0]) == 6  # coal: Severnaya, Komsomolskaya, Mezhdurechensk, Prokopievsk, …
    radii = [
        max(abs(np.linalg.eigvals(economy.square(choice).toarray())))
        for choice in itertools.product(*makers)
    ]
    assert len(radii) == 384
    assert max(radii) < 0.25
    summary = economy.check([m[0] for m in makers])
    assert summary.spectral_radius < 1


def test_coal_costs_clearly_more_than_the_1989_state_price(economy: Economy, accounts_1989) -> None:
    levels = loader.operating_levels_1989()
    values = average_labour_values(economy, levels)
    prices = loader.state_prices_1989()
    rate = money_per_hour(economy, levels, prices, values)
    assert accounts_1989.money_per_hour == rate
    assert prices["coal"] < 0.6 * values["coal"] * rate
    # Prices the plan favoured: arms and steel are paid above their cost.
    assert prices["arms"] > values["arms"] * rate
    assert prices["steel"] > values["steel"] * rate


def test_under_self_accounting_the_arctic_pits_cannot_pay_wages_yet_every_hour_is_credited(
    accounts_1989,
) -> None:
    w = accounts_1989.workplaces
    unpaid = set(accounts_1989.unpaid)
    pits = {f"coal-{pit}" for pit in ("severnaya", "komsomolskaya", "prokopievsk", "donetsk")}
    vorkuta = {"bread-vorkuta", "housing-vorkuta", "transport-vorkuta"}
    assert unpaid == pits | vorkuta
    assert w.loc["coal-severnaya", "wage_share_payable"] < 0.6
    assert w.loc["coal-komsomolskaya", "wage_share_payable"] < 0.6
    assert {f"coal-{pit}" for pit in ("severnaya", "komsomolskaya", "donetsk")} <= set(
        accounts_1989.below_cost
    )
    assert w.loc["arms-izhevsk", "balance"] > 10 * -w.loc["coal-severnaya", "balance"]
    inputs = pd.read_csv(FOLDER / "economy" / "inputs.csv")
    hours = inputs[inputs["input"] == LABOUR].set_index("technique")["quantity"]
    pd.testing.assert_series_equal(w["hours_credited"], hours.reindex(w.index), check_names=False)


def test_the_old_plan_is_what_the_1989_workplaces_delivered(economy: Economy) -> None:
    levels = loader.operating_levels_1989().reindex(economy.techniques).to_numpy()
    made = np.zeros(economy.n_products)
    np.add.at(made, economy.technique_product, levels)
    net = pd.Series(made - economy.input_coefficients @ levels, index=economy.products)
    plan = loader.plan_1989().reindex(economy.products)
    pd.testing.assert_series_equal(plan, np.floor(net), check_names=False)


def test_the_old_plan_is_heavy_on_arms_and_steel_and_light_on_soap_and_housing() -> None:
    plan = loader.plan_1989()
    needs = loader.read_needs().groupby("product")["quantity"].sum()
    assert plan["arms"] >= 3 * needs["arms"]
    assert plan["steel"] > needs["steel"]
    assert plan["soap"] <= needs["soap"] / 4
    assert plan["housing"] < needs["housing"] / 2
    assert plan["transport"] < needs["transport"]


def _least_labour(economy: Economy, demand: pd.Series):
    """Least labour to deliver ``demand`` within capacities (None when impossible)."""
    made = np.zeros((economy.n_products, economy.n_techniques))
    made[economy.technique_product, np.arange(economy.n_techniques)] = 1
    net = made - economy.input_coefficients.toarray()
    labour = economy.resource_coefficients.toarray()[0]
    result = linprog(
        labour,
        A_ub=-net,
        b_ub=-demand.reindex(economy.products).fillna(0).to_numpy(),
        bounds=list(zip(np.zeros(economy.n_techniques), economy.technique_capacity, strict=True)),
    )
    return result.fun if result.status == 0 else None


def test_the_needs_can_be_met_by_the_same_workforce_but_not_with_the_old_arms_and_steel(
    economy: Economy,
) -> None:
    needs = loader.read_needs().groupby("product")["quantity"].sum()
    available = economy.resource_available[0]
    hours_for_needs = _least_labour(economy, needs)
    assert hours_for_needs is not None
    assert hours_for_needs < available
    old_uses = needs.copy()
    old_uses[["arms", "steel"]] = loader.plan_1989()[["arms", "steel"]]
    hours = _least_labour(economy, old_uses)
    assert hours is None or hours > available


def test_the_economy_demand_is_the_councils_needs_summed(economy: Economy) -> None:
    needs = loader.read_needs().groupby("product")["quantity"].sum()
    assert economy.targets is not None
    demand = economy.targets.set_index("product")["quantity"]
    pd.testing.assert_series_equal(demand.sort_index(), needs, check_names=False)


def test_the_story_validates_against_its_schema() -> None:
    schema = json.loads((FOLDER / "story.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads((FOLDER / "story.json").read_text()), schema)


def test_the_story_loads_as_frozen_dataclasses_with_the_councils_of_the_strike(
    economy: Economy,
) -> None:
    story = loader.load_story()
    assert story.illustrative and "Illustrative" in story.notice
    with pytest.raises(dataclasses.FrozenInstanceError):
        story.title = "other"  # type: ignore[misc]
    brigade = story.council("severnaya-9th-brigade")
    assert (brigade.kind, brigade.delegates_to) == ("workplace", ("severnaya-pit",))
    assert story.workplace_of("coal-severnaya").id == "severnaya-pit"
    assert story.workplace_of("coal-komsomolskaya").id == "komsomolskaya-pit"
    assert story.workplace_of("soap-kemerovo").id == "kemerovo-soap-works"
    assert {c.town for c in story.councils_of_kind("consumer")} == {
        "Mezhdurechensk", "Prokopievsk", "Novokuznetsk", "Vorkuta",
    }  # fmt: skip
    assert {c.id for c in story.councils_of_kind("federation")} == {
        "kuzbass-federation", "vorkuta-federation", "donbass-federation", "karaganda-federation",
    }  # fmt: skip
    assert [c.id for c in story.councils_of_kind("congress")] == ["miners-congress"]
    for technique in economy.techniques:
        assert story.workplace_of(technique).kind == "workplace"


def test_every_council_reaches_the_congress_through_its_delegates() -> None:
    story = loader.load_story()
    councils = {c.id: c for c in story.councils}
    for council in story.councils:
        reached, frontier = set(), [council.id]
        while frontier:
            current = frontier.pop()
            reached.add(current)
            frontier += [t for t in councils[current].delegates_to if t not in reached]
        assert "miners-congress" in reached, council.id


def test_the_march_and_july_demands() -> None:
    story = loader.load_story()
    march = [d for d in story.demands if d.raised_on.month == 3]
    assert {d.kind for d in march} == {"wages", "norms", "management", "administration"}
    assert {d.raised_by for d in march} == {"severnaya-9th-brigade"}
    assert any("40%" in d.title for d in march)
    july = {d.id: d for d in story.demands if d.raised_on.month == 7}
    assert set(july) == {"july-soap", "july-housing", "july-transport", "july-food"}
    assert {d.kind for d in july.values()} == {"needs"}
    needs = loader.read_needs()
    assert set(needs["demand"]) - {""} == set(july)
    soap = needs[needs["demand"] == "july-soap"]
    assert list(soap["product"]) == ["soap"]
    assert july["july-soap"].responsible == "kemerovo-soap-works"


def test_members_constitutions_deductions_and_norms() -> None:
    story = loader.load_story()
    roles = {m.username: {s.council: s.role for s in m.memberships} for m in story.members}
    assert roles["andrei"]["severnaya-9th-brigade"] == "delegate"
    assert roles["galina"]["severnaya-9th-brigade"] == "officer"
    assert {"member", "delegate", "officer"} == {r for m in roles.values() for r in m.values()}
    assert all("password" not in json.dumps(dataclasses.asdict(m)) for m in story.members)
    congress = story.council("miners-congress")
    constitution = next(c for c in story.constitutions if c.id == congress.constitution)
    assert constitution.quorum == pytest.approx(0.5)
    assert constitution.plan_adoption is not None
    assert 0 < story.deductions.public_fund + story.deductions.investment_fund < 1
    assert {n.council for n in story.norms} == {
        c.id for c in story.councils_of_kind("workplace") if c.techniques
    }
    assert story.priorities[0].use == "basic-needs" and story.priorities[0].priority == 1


def test_the_manifest_labels_every_file_of_the_scenario() -> None:
    manifest = json.loads((FOLDER / "scenario.json").read_text())
    assert manifest["illustrative"] is True
    files = {
        str(p.relative_to(FOLDER)) for p in FOLDER.rglob("*") if p.is_file() and "__" not in p.name
    }
    assert files == set(manifest["files"])
    data_files = [f for f in files if f.endswith((".csv", ".json")) and f != "story.schema.json"]
    assert all("llustrative" in manifest["files"][f] for f in data_files if f != "scenario.json")
