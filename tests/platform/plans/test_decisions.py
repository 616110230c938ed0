"""Declarations, norms, priorities, needs from demands, and the errors that change nothing."""

from typing import Any

import pytest

from kuzbass.platform.core import errors
from kuzbass.platform.councils import services as councils
from kuzbass.platform.councils.models import DemandStatus
from kuzbass.platform.ledger.models import LedgerEvent
from kuzbass.platform.ledger.services import verify_database
from kuzbass.platform.plans import services
from kuzbass.platform.plans.models import Need, Technique, TechniqueInput

TECHNIQUES = b"technique,product,output,capacity\ncoal-north,coal,50,80\ncoal-south,coal,40,\n"
INPUTS = b"technique,input,quantity\ncoal-north,labour,150\ncoal-south,labour,60\n"


def test_a_workplace_declares_techniques_by_uploading_the_canonical_tables(
    economy: dict[str, Any],
) -> None:
    stored = services.upload_techniques(
        economy["pit"], economy["mine"], {"techniques.csv": TECHNIQUES, "inputs.csv": INPUTS}
    )
    assert sorted(t.name for t in stored) == ["coal-north", "coal-south"]
    north = Technique.objects.get(name="coal-north")
    assert (north.output, north.labour, north.capacity) == (50, 150, 80)
    assert Technique.objects.get(name="coal-south").capacity is None
    assert LedgerEvent.objects.filter(kind="plan.techniques_declared").count() == 1
    services.upload_techniques(
        economy["pit"],
        economy["mine"],
        {"techniques.csv": TECHNIQUES.replace(b"50,80", b"60,90"), "inputs.csv": INPUTS},
    )
    north.refresh_from_db()
    assert (north.output, north.capacity) == (60, 90)
    assert Technique.objects.count() == 2
    assert verify_database().ok  # the revision sealed the rows again


@pytest.mark.parametrize(
    ("techniques", "inputs", "message"),
    [
        (
            b"technique,product,output\ncoal-x,slag,5\n",
            INPUTS.split(b"\n")[0] + b"\n",
            "unknown product 'slag' in column product",
        ),
        (
            b"technique,product,output\ncoal-x,coal,-5\n",
            b"technique,input,quantity\n",
            "techniques.csv line 2: output is '-5': must be positive",
        ),
        (
            b"technique,product,output\ncoal-x,coal,\n",
            b"technique,input,quantity\n",
            "techniques.csv line 2: output is empty",
        ),
        (
            b"technique,product,output\ncoal-x,coal,5\n",
            b"technique,input,quantity\ncoal-x,labour,-1\n",
            "inputs.csv line 2: technique 'coal-x', input 'labour': quantity is '-1': must not be "
            "negative",
        ),
        (
            b"technique,product,output\ncoal-x,coal,5\n",
            b"technique,input,quantity\ncoal-x,unobtainium,1\n",
            "unknown input (neither product nor resource) 'unobtainium'",
        ),
        (
            b"technique,product,output\ncoal-x,coal,5\n",
            b"technique,input,quantity\n",
            "technique 'coal-x' has no row for labour",
        ),
    ],
)
def test_bad_uploads_are_refused_naming_the_row_and_store_nothing(
    economy: dict[str, Any], techniques: bytes, inputs: bytes, message: str
) -> None:
    events = LedgerEvent.objects.count()
    with pytest.raises(errors.InvalidInputError) as raised:
        services.upload_techniques(
            economy["pit"], economy["mine"], {"techniques.csv": techniques, "inputs.csv": inputs}
        )
    assert message in raised.value.message
    assert services.CATALOGUE_PREFIX not in raised.value.message
    assert Technique.objects.count() == 0 and TechniqueInput.objects.count() == 0
    assert LedgerEvent.objects.count() == events


def test_a_workplace_cannot_declare_another_workplaces_technique(declared: dict[str, Any]) -> None:
    with pytest.raises(
        errors.InvalidInputError, match="belongs to Severnaya pit, not to Soap works"
    ):
        services.declare_technique(
            declared["lather"],
            declared["soapworks"],
            name="coal-severnaya",
            product="coal",
            output=1,
            labour=1,
        )
    with pytest.raises(errors.InvalidInputError, match="belongs to Severnaya pit"):
        services.upload_techniques(
            declared["lather"],
            declared["soapworks"],
            {
                "techniques.csv": b"technique,product,output\ncoal-severnaya,coal,1\n",
                "inputs.csv": b"technique,input,quantity\ncoal-severnaya,labour,1\n",
            },
        )
    assert Technique.objects.get(name="coal-severnaya").output == 100


def test_only_officers_of_a_workplace_declare_and_numbers_are_checked(
    economy: dict[str, Any],
) -> None:
    with pytest.raises(errors.ServiceError, match="only officers of Severnaya pit"):
        services.declare_technique(
            economy["miner"], economy["mine"], name="c", product="coal", output=1, labour=1
        )
    with pytest.raises(errors.InvalidInputError, match="labour -3 must be ≥ 0"):
        services.declare_technique(
            economy["pit"], economy["mine"], name="c", product="coal", output=1, labour=-3
        )
    with pytest.raises(errors.InvalidInputError, match="output 'lots' is not a number"):
        services.declare_technique(
            economy["pit"], economy["mine"], name="c", product="coal", output="lots", labour=1
        )
    with pytest.raises(errors.InvalidInputError, match="unknown input 'ore'"):
        services.declare_technique(
            economy["pit"],
            economy["mine"],
            name="c",
            product="coal",
            output=1,
            labour=1,
            inputs={"ore": 1},
        )
    assert Technique.objects.count() == 0


def test_voted_norms_change_capacity_and_working_time_the_engine_sees(
    declared: dict[str, Any],
    carry: Any,
) -> None:
    before = services.run_planning_round(declared["kon"], declared["congress"])
    assert before.content["objective"] == pytest.approx(5.0)
    # 3-hour shifts, 20 days, 20 workers: the pit has 1,200 h, and its capacity of 1,000 t per
    # 160 operating hours falls to 375 t per 60 hours
    motion = services.propose_norms(
        declared["pit"], declared["mine"], hours_per_shift=3, days_per_period=20, workers=20
    )
    carry(motion, [declared["pit"], declared["miner"]])
    assert services.current_norms(declared["mine"]) == {
        "hours_per_shift": "3.0",
        "days_per_period": "20.0",
        "workers": 20,
    }
    services.register_resources(
        declared["kon"], declared["congress"], [{"name": "labour", "unit": "h", "available": None}]
    )
    after = services.run_planning_round(declared["kon"], declared["congress"])
    capacity = {t["technique"]: t["capacity"] for t in after.content["techniques"]}
    assert capacity["coal-severnaya"] == pytest.approx(375)
    resources = {r["resource"]: r for r in after.content["resources"]}
    assert resources["labour at severnaya"]["available"] == pytest.approx(1200)
    # with labour unlimited, coal binds: 375 t make 750 t of soap = 7.5 sets of 100 t
    assert after.content["objective"] == pytest.approx(7.5)
    assert after.content["workplaces"]["severnaya"]["hours"] == pytest.approx(750)
    assert LedgerEvent.objects.filter(kind="plan.norms_in_force").count() == 1


def test_congress_priorities_drive_the_priorities_mode(
    declared: dict[str, Any],
    carry: Any,
    make_council: Any,
    make_user: Any,
) -> None:
    services.submit_need(
        declared["mayor"], declared["town"], product="coal", quantity=400, use="other"
    )
    motion = services.propose_priorities(
        declared["kon"], declared["congress"], ["basic needs", "other"]
    )
    carry(motion, [declared["kon"]])
    assert services.priority_classes(declared["congress"]) == ["basic needs", "other"]
    version = services.run_planning_round(declared["kon"], declared["congress"])
    assert version.content["mode"] == "priorities"
    needs = {n["product"]: n for n in version.content["needs"]}
    # labour 1000 h: 100 t of soap (class 1) take 200 h; the rest, 800 h, makes 400 t of coal
    assert needs["soap"]["fulfilment"] == pytest.approx(1.0)
    assert needs["coal"]["fulfilment"] == pytest.approx(1.0)
    services.submit_need(
        declared["mayor"], declared["town"], product="coal", quantity=800, use="other"
    )
    version = services.run_planning_round(declared["kon"], declared["congress"])
    needs = {n["product"]: n for n in version.content["needs"]}
    assert needs["soap"]["fulfilment"] == pytest.approx(1.0)
    assert needs["coal"]["fulfilment"] == pytest.approx(0.5)
    flags = [f for f in version.content["flags"] if f["kind"] == "need"]
    assert [f["subject"] for f in flags] == ["vorkuta"]
    assert "coal (other) met at 50.0%" in flags[0]["message"]
    (shortage,) = version.content["shortages"]
    assert shortage["product"] == "coal" and "labour" in shortage["why"]
    with pytest.raises(errors.InvalidInputError, match="use 'arms' is not one of"):
        services.submit_need(
            declared["mayor"], declared["town"], product="coal", quantity=1, use="arms"
        )


def test_a_demand_is_in_plan_only_while_an_adopted_version_includes_its_need(
    declared: dict[str, Any],
    carry: Any,
    join: Any,
    make_user: Any,
) -> None:
    resident = make_user("resident")
    join(declared["town"], resident, declared["mayor"])
    demand = councils.raise_demand(
        resident, declared["town"], title="Soap in the showers", category="supplies"
    )
    carry(demand.motions.get(), [declared["mayor"], resident])
    demand.refresh_from_db()
    assert demand.status == DemandStatus.OPEN
    need = services.submit_need(
        declared["mayor"],
        declared["town"],
        product="soap",
        quantity=120,
        use="basic needs",
        demand=demand,
    )
    demand.refresh_from_db()
    assert demand.status == DemandStatus.OPEN  # a need alone is not the plan
    assert need.demand == demand and need.quantity == 120
    assert Need.objects.count() == 1  # the town's soap need was revised, not doubled
    version = services.run_planning_round(declared["kon"], declared["congress"])
    (row,) = services.consumer_part(version, declared["town"])
    assert row["demand"] == demand.pk
    demand.refresh_from_db()
    assert demand.status == DemandStatus.OPEN  # a draft is not the plan either
    carry(
        services.propose_adoption(declared["kon"], declared["congress"], version), [declared["kon"]]
    )
    demand.refresh_from_db()
    assert demand.status == DemandStatus.IN_PLAN
    assert f"plan version {version.number}, adopted" in demand.history.last().reason
    services.submit_need(declared["mayor"], declared["town"], product="coal", quantity=10)
    services.submit_need(
        declared["mayor"], declared["town"], product="soap", quantity=0, demand=demand
    )
    later = services.run_planning_round(declared["kon"], declared["congress"])
    carry(
        services.propose_adoption(declared["kon"], declared["congress"], later), [declared["kon"]]
    )
    demand.refresh_from_db()
    assert demand.status == DemandStatus.OPEN
    assert f"plan version {later.number}, adopted by the congress, has no need" in (
        demand.history.last().reason
    )
    assert verify_database().ok
