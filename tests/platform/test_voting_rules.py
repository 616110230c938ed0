"""Who may vote, when, and how often — through the services, the JSON API and the pages."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from kuzbass.platform.core import errors
from kuzbass.platform.councils import services
from kuzbass.platform.councils.models import BallotPaper, PendingPaper, VoterRoll


def api_client(user: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/api/csrf")
    return client


def post_json(client: Client, url: str, body: Any) -> Any:
    return client.post(
        url,
        json.dumps(body),
        content_type="application/json",
        headers={"X-CSRFToken": client.cookies["csrftoken"].value},
    )


@pytest.fixture
def ballot(brigade: dict[str, Any], open_motion: Any) -> Any:
    return open_motion(brigade["council"], brigade["members"][0], brigade["officer"])[1]


def test_non_member_gets_403_with_reason(ballot: Any, make_user: Any) -> None:
    outsider = make_user("outsider")
    with pytest.raises(errors.NotAllowedError, match="not a member of 9th brigade"):
        services.cast_vote(outsider, ballot, "yes")
    response = post_json(
        api_client(outsider), f"/api/ballots/{ballot.pk}/votes", {"content": "yes"}
    )
    assert response.status_code == 403
    assert "not a member" in response.json()["detail"]
    page = Client()
    page.force_login(outsider)
    response = page.post(f"/ballots/{ballot.pk}/vote/", {f"b{ballot.pk}-choice": "yes"})
    assert response.status_code == 403
    assert not VoterRoll.objects.exists() and not PendingPaper.objects.exists()


def test_anonymous_vote_is_refused(ballot: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/api/csrf")
    response = post_json(client, f"/api/ballots/{ballot.pk}/votes", {"content": "yes"})
    assert response.status_code == 401
    assert not VoterRoll.objects.exists()


def test_voting_twice_is_refused(ballot: Any, brigade: dict[str, Any]) -> None:
    member = brigade["members"][1]
    client = api_client(member)
    first = post_json(client, f"/api/ballots/{ballot.pk}/votes", {"content": "yes"})
    assert first.status_code == 201 and len(first.json()["receipt"]) >= 20
    second = post_json(client, f"/api/ballots/{ballot.pk}/votes", {"content": "no"})
    assert second.status_code == 409
    assert second.json()["detail"] == "you have already voted on this ballot"
    assert PendingPaper.objects.get(ballot=ballot).content == "yes"


def test_voting_after_closing_is_refused(ballot: Any, brigade: dict[str, Any], clock: Any) -> None:
    clock(timedelta(hours=2))
    with pytest.raises(errors.RefusedError, match="this ballot closed at"):
        services.cast_vote(brigade["members"][1], ballot, "yes")
    assert not VoterRoll.objects.exists()


def test_voting_on_another_councils_ballot_is_refused(
    ballot: Any, make_council: Any, make_user: Any, join: Any
) -> None:
    other = make_council("prokopievsk-town", kind="consumer")
    chair = make_user("other-chair")
    services.appoint_officer(chair, other)
    member_elsewhere = make_user("resident")
    join(other, member_elsewhere, chair)
    response = post_json(
        api_client(member_elsewhere), f"/api/ballots/{ballot.pk}/votes", {"content": "yes"}
    )
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "you are not a member of 9th brigade, Severnaya, which holds this ballot"
    )


def test_member_who_joined_after_opening_is_not_on_the_roll(
    ballot: Any, brigade: dict[str, Any], make_user: Any, join: Any
) -> None:
    late = make_user("latecomer")
    join(brigade["council"], late, brigade["officer"])
    with pytest.raises(errors.NotAllowedError, match="after this ballot opened"):
        services.cast_vote(late, ballot, "yes")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("perhaps", "'perhaps' is not a choice"),
        (["yes"], "is not a choice"),
        (None, "not a choice"),
    ],
)
def test_malformed_ballot_is_refused_and_nothing_written(
    ballot: Any, brigade: dict[str, Any], content: Any, message: str
) -> None:
    response = post_json(
        api_client(brigade["members"][1]), f"/api/ballots/{ballot.pk}/votes", {"content": content}
    )
    assert response.status_code == 400
    assert message in response.json()["detail"] and response.json()["field"] == "content"
    assert not VoterRoll.objects.exists() and not PendingPaper.objects.exists()


def test_api_changes_need_the_csrf_token(ballot: Any, brigade: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(brigade["members"][1])
    response = client.post(
        f"/api/ballots/{ballot.pk}/votes",
        json.dumps({"content": "yes"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not VoterRoll.objects.exists()


def test_page_forms_need_the_csrf_token(ballot: Any, brigade: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(brigade["members"][1])
    response = client.post(f"/ballots/{ballot.pk}/vote/", {f"b{ballot.pk}-choice": "yes"})
    assert response.status_code == 403
    assert not VoterRoll.objects.exists()


def test_only_officers_open_ballots(brigade: dict[str, Any]) -> None:
    motion = services.table_motion(brigade["members"][0], brigade["council"], title="T", text="T")
    response = post_json(
        api_client(brigade["members"][0]),
        f"/api/motions/{motion.pk}/ballots",
        {"closes_at": "2099-01-01T00:00:00Z"},
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "only officers of 9th brigade, Severnaya may do this"


def test_api_login_with_password_and_csrf(brigade: dict[str, Any], password: str) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/api/csrf")
    wrong = post_json(client, "/api/auth/login", {"username": "anna", "password": "nope"})
    assert wrong.status_code == 400 and wrong.json()["field"] == "password"
    right = post_json(client, "/api/auth/login", {"username": "anna", "password": password})
    assert right.status_code == 200 and right.json() == {"username": "anna"}


def test_ballot_closes_when_the_whole_roll_has_voted(ballot: Any, brigade: dict[str, Any]) -> None:
    voters = [*brigade["members"], brigade["officer"]]
    for voter in voters[:-1]:
        services.cast_vote(voter, ballot, "yes")
    assert services.settle(ballot).closed_at is None  # one still to vote, time not up
    with pytest.raises(errors.RefusedError, match="still to vote"):
        services.close_ballot(ballot)
    services.cast_vote(voters[-1], ballot, "no")
    closed = services.settle(ballot)
    assert closed.closed_at is not None and closed.result["counts"]["yes"] == 4


def test_vote_and_close_never_interleave(ballot: Any, brigade: dict[str, Any], clock: Any) -> None:
    services.cast_vote(brigade["members"][0], ballot, "yes")
    clock(timedelta(hours=2))
    services.close_ballot(ballot)
    with pytest.raises(errors.RefusedError, match="closed"):
        services.cast_vote(brigade["members"][1], ballot, "yes")
    assert BallotPaper.objects.filter(ballot=ballot).count() == 1


def test_vote_on_a_missing_ballot_is_404(brigade: dict[str, Any]) -> None:
    response = post_json(
        api_client(brigade["members"][0]), "/api/ballots/999999/votes", {"content": "yes"}
    )
    assert response.status_code == 404 and response.json()["detail"] == "there is no ballot 999999"
