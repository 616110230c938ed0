"""Robot councils: a participatory economy file rehearsed on the platform, for tests and drills.

``kuzbass simulate platform`` creates the goods and councils of a
``kuzbass-participatory-economy/1`` file (one member-officer per council), gives each consumer
council's member its income in hours through a time sheet and the congress's deductions (none),
then runs the rounds through the same services and JSON API real councils use: every round each
robot reads the open round's prices from the API and answers with its closed-form optimum
(:func:`kuzbass.planning.participatory.worker_proposals`, :func:`consumer_demands`), and the
round closes by :func:`close_due_rounds`, as the task runner closes it. A balanced version is
adopted by a congress vote. The price path must equal ``kuzbass simulate participatory``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.test import Client

from kuzbass.planning.participatory import (
    GoodKind,
    ParticipatoryEconomy,
    consumer_demands,
    worker_proposals,
)
from kuzbass.platform.accounts.services.crediting import credit_confirmed_hours
from kuzbass.platform.accounts.services.deductions import set_deductions
from kuzbass.platform.accounts.services.hours import SheetLine, confirm_all_hours, register_sheet
from kuzbass.platform.core import clock
from kuzbass.platform.councils import services as councils
from kuzbass.platform.councils.models import Council
from kuzbass.platform.plans import services
from kuzbass.platform.plans.models import ParticipatoryRound, PlanVersion
from kuzbass.platform.plans.services.proposal_versions import proposal_lines

ROUND_LENGTH = timedelta(hours=1)
SHEET_HOURS = Decimal(700)
"""Income is registered in time-sheet lines of at most this many hours (a month has 744)."""

KIND_OF_PRODUCT = {
    GoodKind.PRIVATE: "private",
    GoodKind.PUBLIC: "public",
    GoodKind.INTERMEDIATE: "intermediate",
}


class RehearsalError(RuntimeError):
    """The platform refused a robot's step; the message is the platform's reason."""


@dataclass
class RoundRow:
    """One closed round, per good: the prices answered and the supply and demand tallied."""

    round: int
    prices: dict[str, float]
    supply: dict[str, float]
    demand: dict[str, float]
    balanced: bool


@dataclass
class Rehearsal:
    rounds: list[RoundRow]
    version: PlanVersion
    adopted: bool


class _Clock:
    """The services' clock, moved past each deadline (rounds close at once, not in an hour)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.real = clock.now

    def now(self) -> Any:
        return self.real() + self.offset


def _client(user: Any) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def _json(response: Any, what: str) -> Any:
    if response.status_code >= 300:
        raise RehearsalError(f"{what}: {response.status_code} {response.content.decode()[:300]}")
    return response.json()


def setup_economy(economy: ParticipatoryEconomy) -> dict[str, Any]:
    """Councils, officers, catalogue and incomes; returns the officers and their councils."""
    users = get_user_model()

    def officer(council: Council) -> Any:
        user = users.objects.create_user(username=f"robot-{council.slug}"[:150], password=None)
        councils.appoint_officer(user, council)
        return user

    congress = councils.found_council(name="Congress", slug="congress", kind="congress")
    chair = officer(congress)
    goods = economy.goods
    services.register_products(
        chair,
        congress,
        [
            {"name": name, "unit": "unit", "kind": KIND_OF_PRODUCT[GoodKind(int(kind))]}
            for name, kind in zip(goods.names, goods.kinds, strict=True)
            if GoodKind(int(kind)) in KIND_OF_PRODUCT
        ],
    )
    services.register_resources(
        chair,
        congress,
        [
            {
                "name": name,
                "unit": "h" if kind == GoodKind.LABOUR else "unit",
                "available": float(supply),
                "kind": "labour" if kind == GoodKind.LABOUR else "natural_resource",
            }
            for name, kind, supply in zip(goods.names, goods.kinds, goods.fixed_supply, strict=True)
            if GoodKind(int(kind)) not in KIND_OF_PRODUCT
        ],
    )
    workers = [
        officer(councils.found_council(name=name, slug=_slug(name), kind="workplace"))
        for name in economy.workers.names
    ]
    consumers = [
        officer(councils.found_council(name=name, slug=_slug(name), kind="consumer"))
        for name in economy.consumers.names
    ]
    set_deductions(chair, congress, public_fund="0", investment_fund="0")
    _pay_incomes(chair, consumers, economy.consumers.income)
    return {"congress": congress, "chair": chair, "workers": workers, "consumers": consumers}


def _slug(name: str) -> str:
    from django.utils.text import slugify

    return slugify(name)[:80] or "council"


def _pay_incomes(chair: Any, members: list[Any], incomes: np.ndarray) -> None:
    """Each consumer council's member works its income's hours at a payroll workplace."""
    payroll = councils.found_council(name="Robot payroll", slug="robot-payroll", kind="workplace")
    clerk = get_user_model().objects.create_user(username="robot-payroll-clerk", password=None)
    councils.appoint_officer(clerk, payroll)
    for member in members:
        issued = councils.invite(clerk, payroll, role="member")
        councils.accept_invitation(issued.token, member)
    lines = []
    for member, income in zip(members, incomes, strict=True):
        left = Decimal(repr(float(income)))
        part = 0
        while left > 0:
            chunk = min(left, SHEET_HOURS)
            part += 1
            lines.append(
                SheetLine(worker=member.get_username(), hours=chunk, key=f"{member.pk}-{part}")
            )
            left -= chunk
    register_sheet(clerk, payroll, period="rehearsal", lines=lines)
    for member in members:
        confirm_all_hours(member)
    credit_confirmed_hours()


def _answers(
    economy: ParticipatoryEconomy, prices: np.ndarray
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(council position, API body): workers first, then consumers, as the simulation orders."""
    names = economy.goods.names
    workers = economy.workers
    made = worker_proposals(workers, prices)
    for row in range(workers.count):
        inputs = {
            names[int(good)]: float(made.inputs[row, column])
            for column, good in enumerate(workers.input_goods[row])
            if good >= 0
        }
        yield (
            row,
            {
                "outputs": {names[int(workers.product[row])]: float(made.output[row])},
                "inputs": inputs,
            },
        )
    demands = consumer_demands(economy.consumers, economy.goods, prices)
    for row in range(economy.consumers.count):
        needs = {
            names[int(good)]: float(demands[row, column])
            for column, good in enumerate(economy.consumers.goods)
            if economy.consumers.exponents[row, column] > 0
        }
        yield workers.count + row, {"needs": needs}


def rehearse(
    economy: ParticipatoryEconomy,
    max_rounds: int,
    progress: Callable[[int, float], None] = lambda number, worst: None,
) -> Rehearsal:
    """Run the rounds with robot councils; adopt the last version by a congress vote when the
    rounds balanced."""
    people = setup_economy(economy)
    chair, congress = people["chair"], people["congress"]
    motion = services.propose_planning_rules(
        chair, congress, round_limit=max_rounds, need_threshold=0.0
    )
    _carry(chair, motion)
    robots = Robots(economy, people)
    moved = _Clock()
    clock.now = moved.now
    try:
        services.open_participatory_round(
            chair,
            congress,
            deadline=clock.now() + ROUND_LENGTH,
            prices=dict(
                zip(economy.goods.names, map(float, economy.goods.start_prices), strict=True)
            ),
        )
        rows: list[RoundRow] = []
        while True:
            number = robots.answer()
            moved.offset += ROUND_LENGTH
            services.close_due_rounds()
            closed = ParticipatoryRound.objects.get(series=1, number=number)
            outcome: dict[str, Any] = closed.outcome or {}
            goods = outcome["goods"]
            rows.append(
                RoundRow(
                    round=closed.number,
                    prices={g["good"]: g["price"] for g in goods},
                    supply={g["good"]: g["supply"] for g in goods},
                    demand={g["good"]: g["demand"] for g in goods},
                    balanced=bool(closed.balanced),
                )
            )
            progress(closed.number, outcome["max_imbalance_percent"])
            if closed.final:
                break
        version = closed.versions.get()
        if closed.balanced:
            _carry(chair, services.propose_adoption(chair, congress, version))
            version.refresh_from_db()
        return Rehearsal(rounds=rows, version=version, adopted=version.status == "adopted")
    finally:
        clock.now = moved.real


class Robots:
    """The councils' robot officers, each with its own logged-in API session."""

    def __init__(self, economy: ParticipatoryEconomy, people: dict[str, Any]) -> None:
        self.economy = economy
        officers = [*people["workers"], *people["consumers"]]
        self.slugs = [_slug(n) for n in [*economy.workers.names, *economy.consumers.names]]
        self.clients = [_client(user) for user in officers]
        self.reader = _client(people["chair"])

    def answer(self) -> int:
        """Every robot reads the open round's prices and proposes; returns the round's number."""
        state = _json(self.reader.get("/api/plans/participatory-rounds/open"), "read the prices")
        names = self.economy.goods.names
        prices = np.array([state["prices"][n] for n in names], dtype=np.float64)
        for position, body in _answers(self.economy, prices):
            _json(
                self.clients[position].put(
                    f"/api/plans/councils/{self.slugs[position]}/proposal",
                    body,
                    content_type="application/json",
                ),
                f"{self.slugs[position]} proposes",
            )
        return int(state["round"])


def _carry(chair: Any, motion: Any) -> None:
    """The congress (its one robot delegate) votes the motion through."""
    ballot = councils.open_ballot(chair, motion, closes_at=clock.now() + timedelta(hours=1))
    councils.cast_vote(chair, ballot, "yes")
    councils.settle(ballot)


def plan_rows(version: PlanVersion) -> list[tuple[str, str, float, float]]:
    """(council, good, proposed, planned) for every line of every proposal in the version."""
    return [
        (line["council"], line["good"], line["proposed"], line["planned"])
        for line in proposal_lines(version.plan_content)
    ]
