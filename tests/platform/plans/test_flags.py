"""Flags before adoption: the 1989 self-accounting trap and resources over-used."""

from typing import Any

import pytest

from kuzbass.platform.councils import services as councils
from kuzbass.platform.plans import services


def test_a_pit_whose_coal_is_priced_below_its_cost_is_flagged(
    economy: dict[str, Any],
    make_council: Any,
    make_user: Any,
) -> None:
    # a cheap pit (1 h a tonne, at most 400 t) and a dear one (3 h a tonne); labour is 1,000 h
    dear = make_council("komsomolskaya", name="Komsomolskaya pit")
    officer = make_user("kom")
    councils.appoint_officer(officer, dear)
    services.declare_technique(
        economy["pit"],
        economy["mine"],
        name="coal-cheap",
        product="coal",
        output=100,
        labour=100,
        capacity=400,
    )
    services.declare_technique(
        officer, dear, name="coal-dear", product="coal", output=100, labour=300
    )
    services.submit_need(economy["mayor"], economy["town"], product="coal", quantity=150)
    version = services.run_planning_round(economy["kon"], economy["congress"])
    techniques = {t["technique"]: t for t in version.content["techniques"]}
    # the cheap pit runs to capacity (400 h); the other 600 h make 200 t at the dear pit
    assert techniques["coal-cheap"]["intensity"] == pytest.approx(400)
    assert techniques["coal-dear"]["intensity"] == pytest.approx(200)
    # coal is priced at the labour value of the technique the plan runs most: 1 h a tonne
    coal = {p["product"]: p for p in version.content["products"]}["coal"]
    assert coal["labour_value"] == pytest.approx(1.0)
    assert techniques["coal-dear"]["unit_cost"] == pytest.approx(3.0)
    (flag,) = [f for f in version.content["flags"] if f["kind"] == "self-accounting"]
    assert flag["subject"] == "komsomolskaya"
    assert flag["message"] == (
        "komsomolskaya: at the plan's prices its output is worth 200 h but costs 600 h "
        "— the price assigned is below its cost"
    )
    part = services.workplace_part(version, dear)
    assert part["balance"] == pytest.approx(-400) and part["flags"] == [flag]


def test_a_resource_proposals_overuse_is_flagged(economy: dict[str, Any]) -> None:
    services.register_resources(
        economy["kon"], economy["congress"], [{"name": "ore", "unit": "t", "available": 10}]
    )
    services.declare_technique(
        economy["pit"],
        economy["mine"],
        name="coal-ore",
        product="coal",
        output=100,
        labour=10,
        inputs={"ore": 25},
    )
    services.declare_technique(
        economy["lather"], economy["soapworks"], name="soap", product="soap", output=1, labour=1
    )
    services.submit_need(economy["mayor"], economy["town"], product="coal", quantity=10)
    version = services.run_planning_round(economy["kon"], economy["congress"])
    (flag,) = [f for f in version.content["flags"] if f["kind"] == "resource"]
    assert flag["subject"] == "ore"
    assert "the proposals use 25 of 10 available — over-used by 15" in flag["message"]
    # the plan itself respects the stock: 10 t of ore make 40 t of coal
    resources = {r["resource"]: r for r in version.content["resources"]}
    assert resources["ore"]["use"] == pytest.approx(10)
    (need,) = version.content["needs"]
    assert need["fulfilment"] == pytest.approx(4.0)
