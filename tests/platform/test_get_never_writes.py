"""GET and HEAD never change anything: every URL of the URL conf, filled with ids of existing
rows, is read anonymously, as a member and as a staff officer, with due ballots present (one
past its closing time, one whose whole roll has voted). The ledger head and every table's
contents are the same afterwards, and the due ballots are shown as closing."""

import itertools
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from kuzbass.platform import demo
from kuzbass.platform.core import clock as service_clock
from kuzbass.platform.councils import services
from kuzbass.platform.councils.models import Ballot, Council, Membership, Role
from kuzbass.platform.ledger.models import LedgerEvent

GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")


def templates(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    """Every URL of the conf as a template such as ``motions/{motion_id}/``."""
    for pattern in patterns:
        regex = pattern.pattern.regex.pattern
        regex = regex.removeprefix("^").removesuffix(r"\Z").removesuffix("$")
        regex = GROUP.sub(lambda group: "{" + group.group(1) + "}", regex)
        text = prefix + re.sub(r"\\(.)", r"\1", regex)
        if isinstance(pattern, URLResolver):
            yield from templates(pattern.url_patterns, text)
        elif isinstance(pattern, URLPattern):
            yield text


def candidates() -> dict[str, list[str]]:
    """Values for each URL parameter, taken from the rows the story left (a few of each)."""
    from kuzbass.platform.councils.models import Demand, Motion
    from kuzbass.platform.plans import models as plans

    def ids(queryset: Any) -> list[str]:
        return [str(pk) for pk in queryset.values_list("pk", flat=True)[:3]]

    due = [
        str(pk) for pk in Ballot.objects.filter(closed_at__isnull=True).values_list("pk", flat=True)
    ]
    return {
        "ballot_id": due + ids(Ballot.objects.filter(closed_at__isnull=False)),
        "motion_id": ids(Motion.objects.filter(ballots__closed_at__isnull=True))
        + ids(Motion.objects.filter(status="carried")),
        "demand_id": ids(Demand.objects),
        "slug": [str(s) for s in Council.objects.values_list("slug", flat=True)[:3]],
        "sequence": ["1", str(LedgerEvent.objects.count())],
        "pk": ids(plans.PlanVersion.objects) + ids(plans.ParticipatoryRound.objects),
        "app_label": ["auth", "councils", "plans"],
        "object_id": ["1"],
        "code": ["not-a-code"],
        "token": ["not-a-token"],
    }


def urls() -> list[str]:
    values = candidates()
    found: set[str] = set()
    for template in templates(get_resolver().url_patterns):
        names = re.findall(r"{(\w+)}", template)
        for combination in itertools.product(*(values.get(n, ["1"]) for n in names)):
            found.add("/" + template.format(**dict(zip(names, combination, strict=True))))
    return sorted(found)


def contents() -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted, so that any write shows as a difference."""
    tables = connection.introspection.table_names()
    snapshot = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            snapshot[table] = sorted(cursor.fetchall(), key=repr)
    return snapshot


@pytest.fixture
def story_with_due_ballots(clock: Any) -> dict[str, Any]:
    """The demo's story, then two ballots due to close: one past its time, one fully voted."""
    demo.load()
    seat = Membership.objects.filter(role=Role.MEMBER, council__kind="workplace").first()
    assert seat is not None
    council, member = seat.council, seat.user
    officer = Membership.objects.get(council=council, role=Role.OFFICER).user
    due = []
    for title in ("Past its closing time", "Fully voted"):
        motion = services.table_motion(officer, council, title=title, text=title + ".")
        due.append(
            services.open_ballot(
                officer, motion, closes_at=service_clock.now() + timedelta(hours=2)
            )
        )
    for membership in services.eligible_memberships(due[1]).select_related("user"):
        services.cast_vote(membership.user, due[1], "yes")
    clock(timedelta(hours=3))
    assert [services.ballot_state(ballot) for ballot in due] == ["closing", "closing"]
    staff = officer
    staff.is_staff = staff.is_superuser = True
    staff.save()
    return {"member": member, "staff": staff, "due": due}


@pytest.mark.django_db(transaction=True)
def test_reading_every_url_changes_nothing(story_with_due_ballots: dict[str, Any]) -> None:
    visitors = [Client()]
    for user in (story_with_due_ballots["member"], story_with_due_ballots["staff"]):
        client = Client()
        client.force_login(user)
        visitors.append(client)
    head = LedgerEvent.objects.order_by("-sequence").values_list("hash", flat=True).first()
    before = contents()
    addresses = urls()
    assert len(addresses) > 80  # pages, the API and the admin, not a handful
    statuses = []
    for client in visitors:
        for address in addresses:
            statuses.append(client.get(address).status_code)
            client.head(address)
    assert statuses.count(200) > 100
    assert LedgerEvent.objects.order_by("-sequence").values_list("hash", flat=True).first() == head
    after = contents()
    changed = [table for table in before if before[table] != after[table]]
    assert changed == []
    for ballot in story_with_due_ballots["due"]:
        ballot.refresh_from_db()
        assert ballot.closed_at is None
        page = visitors[1].get(f"/ballots/{ballot.pk}/").content.decode()
        assert "Closing" in page
        assert visitors[0].get(f"/api/ballots/{ballot.pk}").json()["state"] == "closing"
