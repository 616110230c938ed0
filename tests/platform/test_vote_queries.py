"""A vote through the API costs a fixed, small number of SQL queries."""

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.platform.test_api import Session

from kuzbass.platform.core import errors
from kuzbass.platform.councils import services
from kuzbass.platform.councils.models import Membership


def _statements(queries: CaptureQueriesContext) -> list[str]:
    """The captured SQL without the savepoints of the test's own transaction."""
    return [
        query["sql"]
        for query in queries.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def test_a_vote_reads_the_ballot_and_roll_once_and_writes_two_rows(
    brigade: dict[str, Any], open_motion: Any, password: str
) -> None:
    anna = brigade["members"][0]
    _, ballot = open_motion(brigade["council"], anna, brigade["officer"])
    session = Session("anna", password)
    with CaptureQueriesContext(connection) as queries:
        response = session.post(f"/api/ballots/{ballot.pk}/votes", {"content": "yes"})
    assert response.status_code == 201, response.content
    statements = _statements(queries)
    # The session, the user, the ballot with its council and the roll check, that the ballot
    # is not an end-to-end verifiable one (those take encrypted papers only), the roll entry
    # and the paper.
    assert len(statements) == 6, statements
    ballot_reads = [sql for sql in statements if sql.startswith('SELECT "councils_ballot"')]
    assert len(ballot_reads) == 1
    if connection.vendor == "postgresql":
        assert ballot_reads[0].endswith('FOR SHARE OF "councils_ballot"')
    assert "councils_membership" in ballot_reads[0]
    inserts = [sql for sql in statements if sql.startswith("INSERT")]
    assert [sql.split('"')[1] for sql in inserts] == ["councils_voterroll", "councils_pendingpaper"]


def test_a_refused_vote_still_names_the_council(
    brigade: dict[str, Any], open_motion: Any, make_user: Any, password: str
) -> None:
    _, ballot = open_motion(brigade["council"], brigade["members"][0], brigade["officer"])
    make_user("stranger")
    response = Session("stranger", password).post(
        f"/api/ballots/{ballot.pk}/votes", {"content": "yes"}
    )
    assert response.status_code == 403, response.content
    assert "you are not a member of 9th brigade, Severnaya" in response.json()["detail"]


def test_the_vote_check_and_the_roll_agree_on_who_may_vote(
    brigade: dict[str, Any], open_motion: Any, make_user: Any
) -> None:
    """Joined before or after the opening, left before or after it, or never left."""
    council = brigade["council"]
    _, ballot = open_motion(council, brigade["members"][0], brigade["officer"])
    opened = ballot.opens_at
    minute = timedelta(minutes=1)
    cases = {
        "stayed": (opened - minute, None),
        "left-after": (opened - minute, opened + minute),
        "left-before": (opened - 2 * minute, opened - minute),
        "left-at-opening": (opened - minute, opened),
        "joined-at-opening": (opened, None),
        "joined-after": (opened + minute, None),
    }
    for name, (joined_at, ended_at) in cases.items():
        Membership.objects.create(
            council=council, user=make_user(name), joined_at=joined_at, ended_at=ended_at
        )
    on_roll = set(services.eligible_memberships(ballot).values_list("user__username", flat=True))
    assert on_roll >= {"stayed", "left-after", "joined-at-opening"}
    assert not on_roll & {"left-before", "left-at-opening", "joined-after"}
    for name in cases:
        user = get_user_model().objects.get(username=name)
        try:
            services.cast_vote(user, ballot, "yes")
            voted = True
        except errors.NotAllowedError:
            voted = False
        assert voted == (name in on_roll), name
