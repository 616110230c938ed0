"""A small economy of councils: a congress, a mine, a soap works and a town council.

Known answers: the mine makes coal from 2 h of labour per tonne; the soap works makes soap from
0.5 t of coal and 1 h per tonne. So a tonne of soap embodies 0.5·2 + 1 = 2 h of labour.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from kuzbass.platform.councils import services as councils
from kuzbass.platform.councils.models import Ballot, Council, Motion
from kuzbass.platform.plans import services


@pytest.fixture
def economy(make_council: Any, make_user: Any, join: Any) -> dict[str, Any]:
    congress = make_council("congress", kind="congress", name="Miners' congress")
    mine = make_council("severnaya", name="Severnaya pit")
    soapworks = make_council("soapworks", name="Soap works")
    town = make_council("vorkuta", kind="consumer", name="Vorkuta town council")
    people = {name: make_user(name) for name in ("kon", "pit", "lather", "mayor", "miner")}
    councils.appoint_officer(people["kon"], congress)
    councils.appoint_officer(people["pit"], mine)
    councils.appoint_officer(people["lather"], soapworks)
    councils.appoint_officer(people["mayor"], town)
    join(mine, people["miner"], people["pit"])
    services.register_products(
        people["kon"], congress, [{"name": "coal", "unit": "t"}, {"name": "soap", "unit": "t"}]
    )
    services.register_resources(
        people["kon"], congress, [{"name": "labour", "unit": "h", "available": 1000}]
    )
    return {"congress": congress, "mine": mine, "soapworks": soapworks, "town": town, **people}


@pytest.fixture
def declared(economy: dict[str, Any]) -> dict[str, Any]:
    """Both techniques declared and the town's need for 100 t of soap submitted."""
    services.declare_technique(
        economy["pit"],
        economy["mine"],
        name="coal-severnaya",
        product="coal",
        output=100,
        labour=200,
        capacity=1000,
    )
    services.declare_technique(
        economy["lather"],
        economy["soapworks"],
        name="soap-vorkuta",
        product="soap",
        output=10,
        labour=10,
        capacity=1000,
        inputs={"coal": 5},
    )
    services.submit_need(economy["mayor"], economy["town"], product="soap", quantity=100)
    return economy


@pytest.fixture
def carry() -> Callable[[Motion, list[Any]], Ballot]:
    """Put a motion to a yes/no ballot, have the given members vote yes, and settle it (it
    closes when the whole roll has voted)."""

    def vote(motion: Motion, voters: list[Any]) -> Ballot:
        officer = next(
            m.user for m in motion.council.memberships.filter(role="officer", ended_at=None)
        )
        ballot = councils.open_ballot(
            officer, motion, closes_at=timezone.now() + timedelta(hours=1)
        )
        for voter in voters:
            councils.cast_vote(voter, ballot, "yes")
        return councils.settle(ballot)

    return vote


def council(slug: str) -> Council:
    return Council.objects.get(slug=slug)
