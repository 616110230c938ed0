"""``kuzbass demo``: the Kuzbass 1989 story, told by the platform from an empty database.

Everything goes through the services, as a member's clicks would: the councils and their
constitutions, the demo members (with generated passwords), the March and July demands raised
and adopted by vote, the congress's deductions and priorities, every workplace declaring its
technique, the town councils' needs (the July demands among them), a planning round and the
congress's vote to adopt the plan, and a month of hours credited. The old 1989 plan is computed
next to it from the bundled scenario: its shortages and the wages self-accounting left unpaid.

The demo keeps its own SQLite database in its own folder and marks it with its first ledger
event; it refuses to touch a database that holds anything else.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

DEMO_MARKER = "demo.created"
PERIOD = "1989-07"
OFFICER_PREFIX = "officer-"
CATEGORIES = {
    "march-wage-rates": "wages",
    "march-lower-norms": "norms",
    "march-no-confidence": "management",
    "march-cut-administration": "management",
    "july-soap": "supplies",
    "july-housing": "housing",
    "july-transport": "transport",
    "july-food": "food",
}


class NotADemoDatabase(RuntimeError):  # noqa: N818 (reads as the refusal it is)
    """The database holds data that the demo did not create."""


@dataclass
class DemoReport:
    """What ``kuzbass demo`` prints."""

    logins: list[tuple[str, str, str, str]] = field(default_factory=list)
    officer_password: str = ""
    officers: int = 0
    needs: list[dict[str, Any]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    unpaid_1989: list[dict[str, Any]] = field(default_factory=list)
    unpaid_wages_1989: float = 0.0
    demands: list[tuple[str, str, str, str]] = field(default_factory=list)
    credited_hours: str = "0"
    funds: dict[str, str] = field(default_factory=dict)
    plan_version: int = 0
    plan_hash: str = ""
    flagged: list[str] = field(default_factory=list)
    ledger_events: int = 0
    ledger_ok: bool = False


def check_empty_or_demo() -> bool:
    """True if the database holds a previous demo; False if empty; refuses anything else."""
    from django.contrib.auth import get_user_model

    from kuzbass.platform.councils.models import Council
    from kuzbass.platform.ledger.models import LedgerEvent

    first = LedgerEvent.objects.order_by("sequence").first()
    if first is None:
        if Council.objects.exists() or get_user_model().objects.exists():
            raise NotADemoDatabase("the database has councils or users but no demo marker")
        return False
    if first.kind != DEMO_MARKER:
        raise NotADemoDatabase(
            f"its first ledger event is {first.kind!r}, not the demo's {DEMO_MARKER!r}"
        )
    return True


def _password() -> str:
    return "-".join(secrets.token_urlsafe(4) for _ in range(3))


def load(progress: Callable[[str], None] = lambda step: None) -> DemoReport:
    """Load the scenario and run a plan cycle into an empty, migrated database."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from kuzbass.platform.accounts import services as accounts
    from kuzbass.platform.core.usernames import check_username
    from kuzbass.platform.councils import services as councils
    from kuzbass.platform.councils.models import Council, Role
    from kuzbass.platform.ledger.services import append_event, verify_database
    from kuzbass.scenarios import loader

    story = loader.load_story()
    report = DemoReport()
    users = get_user_model()
    with transaction.atomic():
        append_event(DEMO_MARKER, {"scenario": story.title, "notice": story.notice})

    progress("councils and their constitutions")
    rules = {c.id: c for c in story.constitutions}
    bodies: dict[str, Council] = {}
    for council in story.councils:
        rule = rules[council.constitution]
        bodies[council.id] = councils.found_council(
            name=council.name,
            slug=council.id,
            kind=council.kind,
            description=" ".join(part for part in (council.town, council.note) if part),
            constitution={
                "quorum": str(rule.quorum),
                "ordinary_threshold": str(rule.motion),
                "recall_threshold": str(rule.recall),
                "constitution_threshold": str(rule.constitution),
            },
        )

    progress("demo members (generated passwords)")
    with transaction.atomic():  # each person is sealed by the event seating them
        people: dict[str, Any] = {}
        for member in story.members:
            password = _password()
            first, _, last = member.display_name.partition(" ")
            people[member.username] = users.objects.create_user(
                check_username(member.username), password=password, first_name=first, last_name=last
            )
            first_role = member.memberships[0]
            roles = f"{first_role.role} of {first_role.council}" + (
                f" (+{len(member.memberships) - 1} more)" if len(member.memberships) > 1 else ""
            )
            report.logins.append((member.username, password, member.display_name, roles))
        for member in story.members:
            user = people[member.username]
            for membership in member.memberships:
                body = bodies[membership.council]
                if membership.role == Role.OFFICER:
                    councils.appoint_officer(user, body)
                    continue
                represents = next(
                    (
                        bodies[m.council]
                        for m in member.memberships
                        if membership.council in story.council(m.council).delegates_to
                    ),
                    None,
                )
                councils.enrol(
                    user, body, membership.role, represents=represents, how="demo scenario"
                )
        officer_password = _password()
        hashed = make_password(officer_password)
        for council in story.councils:
            if not any(
                m.role == Role.OFFICER and m.council == council.id
                for member in story.members
                for m in member.memberships
            ):
                officer = users.objects.create(
                    username=f"{OFFICER_PREFIX}{council.id}", password=hashed
                )
                councils.appoint_officer(officer, bodies[council.id])
                report.officers += 1
    report.officer_password = officer_password

    def officer_of(slug: str) -> Any:
        """Each council's first officer (every council has one after the loop above)."""
        return (
            bodies[slug]
            .memberships.filter(role=Role.OFFICER, ended_at__isnull=True)
            .select_related("user")
            .earliest("pk")
            .user
        )

    for council in story.councils:
        for target in council.delegates_to:
            if bodies[target].is_council_of_councils:
                councils.affiliate(officer_of(target), bodies[target], bodies[council.id])

    progress("the March and July demands, raised and adopted by vote")
    demands = {}
    for demand in story.demands:
        body = bodies[demand.raised_by]
        raiser = (
            body.memberships.filter(ended_at__isnull=True)
            .exclude(user__username__startswith=OFFICER_PREFIX)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        actor = raiser.user if raiser is not None else officer_of(demand.raised_by)
        raised = councils.raise_demand(
            actor,
            body,
            title=demand.title,
            description=f"{demand.text}\n\n1989: {demand.history}"
            if demand.history
            else demand.text,
            category=CATEGORIES.get(demand.id, "other"),
            responsible_body=bodies[demand.responsible],
        )
        carry(raised.motions.get(), officer_of(demand.raised_by))
        raised.refresh_from_db()
        demands[demand.id] = raised

    progress("the congress: deductions, priorities, catalogue")
    congress = next(bodies[c.id] for c in story.councils if c.kind == "congress")
    chair = officer_of(congress.slug)
    congress_rule = rules[next(c.constitution for c in story.councils if c.id == congress.slug)]
    accounts.set_deductions(
        chair,
        congress,
        public_fund=str(story.deductions.public_fund),
        investment_fund=str(story.deductions.investment_fund),
        overdraft_hours=congress_rule.overdraft_hours or 0,
    )
    report.plan_version, report.plan_hash, report.needs, report.flags = _plan_cycle(
        story, bodies, demands, chair, congress, officer_of, progress
    )

    progress("a month of hours, registered, confirmed and credited")
    norms = {n.council: n for n in story.norms}
    for member in story.members:
        for membership in member.memberships:
            council = story.council(membership.council)
            if council.kind != "workplace" or not council.techniques:
                continue
            norm = norms.get(council.id)
            worked = norm.hours_per_shift * norm.days_per_period if norm else 144
            registration = accounts.register_hours(
                officer_of(council.id),
                bodies[council.id],
                worker=people[member.username],
                hours_worked=worked,
                period=PERIOD,
                key=f"{PERIOD}-{member.username}",
            )
            accounts.confirm_hours(people[member.username], registration)
    _report_fulfilment(story, bodies, officer_of, progress)
    report.flagged = [
        f"{row.report.workplace.name}: {row.report.product} {row.output_change} "
        f"against the plan ({', '.join(row.flagged)})"
        for row in accounts.fulfilment(PERIOD)
        if row.flagged
    ]
    _summarise(report, demands, progress)
    verified = verify_database()
    report.ledger_events, report.ledger_ok = verified.events_checked, verified.ok
    return report


def _report_fulfilment(
    story: Any,
    bodies: dict[str, Any],
    officer_of: Callable[[str], Any],
    progress: Callable[[str], None],
) -> None:
    """Each workplace reports July's output: what it made in 1989 (the scenario's operating
    levels), against what the adopted plan asks of it. Hours are not compared, because the
    demo credits only its few members' hours, not a whole workforce's."""
    from kuzbass.platform.accounts import services as accounts
    from kuzbass.platform.plans import services as plans
    from kuzbass.scenarios import loader

    progress("each workplace reports its output against the adopted plan")
    version = plans.adopted_version()
    made_1989 = loader.operating_levels_1989()
    for council in story.councils:
        if not council.techniques:
            continue
        part = plans.workplace_part(version, bodies[council.id])
        planned = {o["item"]: float(o["quantity"]) for o in part["outputs"]}
        for technique in council.techniques:
            product = next(t["product"] for t in part["techniques"] if t["technique"] == technique)
            accounts.report_fulfilment(
                officer_of(council.id),
                bodies[council.id],
                period=PERIOD,
                product=product,
                planned_output=f"{planned.get(product, 0.0):.4f}",
                actual_output=f"{float(made_1989[technique]):.4f}",
                planned_hours=None,
                plan_version=f"{version.number} ({version.content_hash[:12]})",
            )


def carry(motion: Any, officer: Any) -> None:
    """Open a yes/no ballot on a motion and have every member on its roll vote yes."""
    from django.utils import timezone

    from kuzbass.platform.councils import services as councils

    ballot = councils.open_ballot(officer, motion, closes_at=timezone.now() + timedelta(days=7))
    for membership in councils.eligible_memberships(ballot).select_related("user"):
        councils.cast_vote(membership.user, ballot, "yes")
    councils.settle(ballot)


def _plan_cycle(
    story: Any,
    bodies: dict[str, Any],
    demands: dict[str, Any],
    chair: Any,
    congress: Any,
    officer_of: Callable[[str], Any],
    progress: Callable[[str], None],
) -> tuple[int, str, list[dict[str, Any]], list[str]]:
    """Catalogue, priorities, declarations and needs; a planning round; the adoption vote."""
    import pandas as pd

    from kuzbass.platform.councils import services as councils
    from kuzbass.platform.plans import services as plans
    from kuzbass.scenarios import loader

    folder = loader.economy_path()
    products = pd.read_csv(folder / "products.csv", dtype=str)
    resources = pd.read_csv(folder / "resources.csv", dtype=str)
    plans.register_products(
        chair,
        congress,
        [{"name": row["product"], "unit": row["unit"]} for row in products.to_dict("records")],
    )
    plans.register_resources(
        chair,
        congress,
        [
            {"name": row["resource"], "unit": row["unit"], "available": float(row["available"])}
            for row in resources.to_dict("records")
        ],
    )
    priorities = [p.use for p in sorted(story.priorities, key=lambda p: p.priority)]
    carry(plans.propose_priorities(chair, congress, priorities), chair)

    progress("every workplace declares its technique")
    techniques = pd.read_csv(folder / "techniques.csv", dtype=str)
    inputs = pd.read_csv(folder / "inputs.csv", dtype=str)
    for row in techniques.to_dict("records"):
        used = inputs[inputs["technique"] == row["technique"]]
        amounts = {i["input"]: float(i["quantity"]) for i in used.to_dict("records")}
        labour = amounts.pop("labour")
        owner = story.workplace_of(row["technique"]).id
        plans.declare_technique(
            officer_of(owner),
            bodies[owner],
            name=row["technique"],
            product=row["product"],
            output=float(row["output"]),
            labour=labour,
            capacity=float(row["capacity"]),
            inputs=amounts,
        )

    progress("the town councils' needs, the July demands among them")
    goods_of: dict[str, set[str]] = {}
    for row in loader.read_needs().to_dict("records"):
        council = bodies[row["council"]]
        if council.kind != "consumer":
            continue  # the congress's own uses (investment, arms) are not consumer needs
        if row["demand"]:
            goods_of.setdefault(row["demand"], set()).add(row["product"])
        plans.submit_need(
            officer_of(row["council"]),
            council,
            product=row["product"],
            quantity=float(row["quantity"]),
            use=row["use"],
        )

    progress("a planning round, and the congress votes to adopt the plan")
    version = plans.run_planning_round(chair, congress)
    carry(plans.propose_adoption(chair, congress, version), chair)
    version.refresh_from_db()
    content = version.content
    for key, goods in goods_of.items():
        demand = demands[key]
        demand.refresh_from_db()
        met = [n for n in content["needs"] if n["product"] in goods]
        if demand.status == "open" and met:
            delivered = ", ".join(
                f"{sum(n['delivered'] for n in met if n['product'] == good):g} {good}"
                for good in sorted(goods)
            )
            councils.put_demand_in_plan(
                officer_of(demand.responsible_body.slug),
                demand,
                note=f"plan version {version.number}, adopted by the congress, delivers "
                f"{delivered} to the towns",
            )
    return (
        version.number,
        version.content_hash,
        content["needs"],
        [f["message"] for f in content["flags"]],
    )


def _summarise(
    report: DemoReport, demands: dict[str, Any], progress: Callable[[str], None]
) -> None:
    from kuzbass.economy import Economy
    from kuzbass.planning.self_accounting import (
        average_labour_values,
        compare_self_accounting,
        money_per_hour,
    )
    from kuzbass.platform.accounts import services as accounts
    from kuzbass.platform.accounts.models import Account, HourRegistration, hours
    from kuzbass.scenarios import loader

    progress("the 1989 plan under self-accounting, for comparison")
    economy = Economy.read(loader.economy_path())
    levels = loader.operating_levels_1989()
    values = average_labour_values(economy, levels)
    prices = loader.state_prices_1989()
    old = compare_self_accounting(
        economy,
        levels,
        prices,
        loader.wage_rates_1989(),
        values,
        money_per_hour=money_per_hour(economy, levels, prices, values),
    )
    table = old.workplaces
    report.unpaid_1989 = [
        {
            "technique": name,
            "share": float(table.loc[name, "wage_share_payable"]),
            "hours": float(table.loc[name, "hours"]),
        }
        for name in old.unpaid
    ]
    report.unpaid_wages_1989 = old.unpaid_wages
    plan_1989 = loader.plan_1989()
    for need in report.needs:
        need["plan_1989"] = float(plan_1989.get(need["product"], 0.0))
    for demand in demands.values():
        demand.refresh_from_db()
        report.demands.append(
            (
                demand.council.slug,
                demand.title,
                demand.get_status_display(),
                demand.responsible_body.slug if demand.responsible_body else "",
            )
        )
    by_kind: dict[str, int] = {}
    kinds = dict(Account.objects.values_list("pk", "kind"))
    for pk, seconds in accounts.all_balances().items():
        by_kind[kinds[pk]] = by_kind.get(kinds[pk], 0) + seconds
    report.funds = {kind: str(hours(seconds)) for kind, seconds in sorted(by_kind.items())}
    report.credited_hours = str(hours(accounts.credited_seconds(HourRegistration.objects)))


def data_folder(base: Path) -> Path:
    """The demo's own folder inside the data folder."""
    return base / "demo"
