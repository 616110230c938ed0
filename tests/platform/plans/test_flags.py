"""Flags before adoption: the 1989 self-accounting trap (now rent, not a flag) and resources
over-used."""

from typing import Any

import pytest

from kuzbass.platform.councils import services as councils
from kuzbass.platform.plans import services


def test_the_dearer_pit_sets_the_price_and_the_cheaper_one_earns_rent(
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
    # one more tonne would come from the dear pit: coal is priced at 3 h a tonne, the margin;
    # its labour value with the technique run most (1 h) stays on record
    coal = {p["product"]: p for p in version.content["products"]}["coal"]
    assert version.content["pricing"] == "margin"
    assert coal["price"] == pytest.approx(3.0)
    assert coal["labour_value"] == pytest.approx(1.0)
    assert techniques["coal-dear"]["unit_rent"] == pytest.approx(0.0)
    assert techniques["coal-cheap"]["unit_rent"] == pytest.approx(2.0)
    # both pits cover their costs: no self-accounting flag; the cheap pit's surplus is rent
    assert [f for f in version.content["flags"] if f["kind"] == "self-accounting"] == []
    part = services.workplace_part(version, dear)
    assert part["balance"] == pytest.approx(0.0) and part["cost"] == pytest.approx(600)
    cheap = services.workplace_part(version, economy["mine"])
    assert cheap["revenue"] == pytest.approx(1200) and cheap["balance"] == pytest.approx(800)


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
    assert (
        "the proposals use 25\u00a0t of 10\u00a0t available — over-used by 15\u00a0t"
        in flag["message"]
    )
    # the plan itself respects the stock: 10 t of ore make 40 t of coal
    resources = {r["resource"]: r for r in version.content["resources"]}
    assert resources["ore"]["use"] == pytest.approx(10)
    (need,) = version.content["needs"]
    assert need["fulfilment"] == pytest.approx(4.0)
