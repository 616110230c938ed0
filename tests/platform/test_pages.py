"""The pages: each renders, forms are labelled and protected, htmx voting swaps in a receipt,
and nothing is loaded from another host."""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.http import HttpRequest
from django.test import Client

from kuzbass.platform.core import clock as service_clock
from kuzbass.platform.core import errors
from kuzbass.platform.councils import services
from kuzbass.platform.councils.models import BallotPaper, Demand, Motion, PendingPaper
from kuzbass.platform.ledger.models import LedgerEvent

EXTERNAL = re.compile(r"""(?:src|href|action)=["'](?:https?:)?//""")


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_self_contained(html: str) -> None:
    assert not EXTERNAL.search(html), EXTERNAL.search(html)


def assert_every_input_labelled(html: str) -> None:
    ids = set(
        re.findall(
            r'<input[^>]*type="(?:text|number|password|email|datetime-local)"'
            r'[^>]*id="([^"]+)"',
            html,
        )
    )
    ids |= set(re.findall(r'<(?:select|textarea)[^>]*id="([^"]+)"', html))
    labelled = set(re.findall(r'<label[^>]*for="([^"]+)"', html))
    assert ids <= labelled, ids - labelled


def test_public_pages_render(brigade: dict[str, Any], open_motion: Any) -> None:
    motion, ballot = open_motion(brigade["council"], brigade["members"][0], brigade["officer"])
    demand = services.raise_demand(brigade["members"][1], brigade["council"], title="Soap")
    event = LedgerEvent.objects.last()
    client = Client()
    for url in [
        "/",
        "/councils/ninth-brigade/",
        f"/motions/{motion.pk}/",
        f"/ballots/{ballot.pk}/",
        "/demands/",
        f"/demands/{demand.pk}/",
        "/ledger/",
        f"/ledger/{event.sequence}/",
        "/receipts/",
        "/accounts/login/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert_self_contained(html)
        assert_every_input_labelled(html)
        assert '<html lang="en">' in html
    assert client.get("/dashboard/").status_code == 302  # members only


def test_static_htmx_and_plotly_are_served_locally(
    brigade: dict[str, Any], open_motion: Any, client: Client
) -> None:
    motion, _ = open_motion(brigade["council"], brigade["members"][0], brigade["officer"])
    html = client.get(f"/motions/{motion.pk}/").content.decode()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    scripts += re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    scripts += re.findall(r'data-plotly="([^"]+)"', html)  # fetched only where a chart is
    assert any(src.endswith("site.css") for src in scripts)
    assert any("htmx" in src for src in scripts) and any("plotly" in src for src in scripts)
    from django.contrib.staticfiles import finders

    for src in scripts:
        assert src.startswith("/static/")
        assert finders.find(src.removeprefix("/static/")), src


def test_member_pages_show_their_forms(brigade: dict[str, Any], open_motion: Any) -> None:
    motion, ballot = open_motion(brigade["council"], brigade["members"][0], brigade["officer"])
    officer = logged_in(brigade["officer"])
    council_html = officer.get("/councils/ninth-brigade/").content.decode()
    for heading in ["Table a motion", "Raise a demand", "Invite someone"]:
        assert heading in council_html
    assert_every_input_labelled(council_html)
    member_html = logged_in(brigade["members"][1]).get(f"/motions/{motion.pk}/").content.decode()
    assert "Cast my vote" in member_html and f'hx-post="/ballots/{ballot.pk}/vote/"' in member_html
    assert (
        "Invite someone"
        not in logged_in(brigade["members"][1]).get("/councils/ninth-brigade/").content.decode()
    )
    dashboard = logged_in(brigade["members"][1]).get("/dashboard/").content.decode()
    assert "Lower the norm" in dashboard  # the ballot awaiting their vote


def test_htmx_vote_returns_the_fragment_with_a_receipt(
    brigade: dict[str, Any], open_motion: Any
) -> None:
    _, ballot = open_motion(brigade["council"], brigade["members"][0], brigade["officer"])
    client = logged_in(brigade["members"][1])
    response = client.post(
        f"/ballots/{ballot.pk}/vote/",
        {f"b{ballot.pk}-choice": "no"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<section class="panel ballot" id="ballot-{ballot.pk}"')
    code = re.search(r'<code class="receipt-code">([^<]+)</code>', html).group(1)
    assert PendingPaper.objects.get(receipt_hash=BallotPaper.hash_receipt(code)).content == "no"
    again = client.post(
        f"/ballots/{ballot.pk}/vote/",
        {f"b{ballot.pk}-choice": "yes"},
        headers={"HX-Request": "true"},
    )
    assert again.status_code == 409 and "already voted" in again.content.decode()
    check = Client().get("/receipts/", {"code": code})
    assert check.status_code == 200 and "still open" in check.content.decode()
    assert Client().get("/receipts/", {"code": "made-up"}).status_code == 404


def test_bad_form_input_is_shown_and_changes_nothing(brigade: dict[str, Any]) -> None:
    client = logged_in(brigade["members"][0])
    before = (Motion.objects.count(), LedgerEvent.objects.count())
    response = client.post(
        "/councils/ninth-brigade/motions/",
        {
            "kind": "constitution",
            "title": "Change",
            "text": "x",
            "quorum": "5/4",
            "ordinary_threshold": "1/2",
            "recall_threshold": "1/2",
            "constitution_threshold": "2/3",
        },
    )
    assert response.status_code == 400
    assert "quorum" in response.content.decode() and "at most 1" in response.content.decode()
    response = client.post("/councils/ninth-brigade/motions/", {"kind": "ordinary", "title": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    assert (Motion.objects.count(), LedgerEvent.objects.count()) == before


def test_invitation_link_registers_and_joins(brigade: dict[str, Any]) -> None:
    officer = logged_in(brigade["officer"])
    html = officer.post("/councils/ninth-brigade/invite/", {"role": "member", "note": "Dmitri"})
    link = re.search(r'<code id="invitation-link">([^<]+)</code>', html.content.decode()).group(1)
    path = link.split("testserver", 1)[1]
    newcomer = Client()
    form = newcomer.get(path)
    assert "You are invited to 9th brigade" in form.content.decode()
    mismatch = newcomer.post(
        path, {"username": "dmitri", "password": "miner's lamp 1989", "password_again": "different"}
    )
    assert mismatch.status_code == 400 and "differ" in mismatch.content.decode()
    joined = newcomer.post(
        path,
        {
            "username": "dmitri",
            "password": "miner's lamp 1989",
            "password_again": "miner's lamp 1989",
        },
    )
    assert joined.status_code == 302
    assert newcomer.get("/dashboard/").content.decode().count("9th brigade") >= 1
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.get(username="dmitri").password.startswith("md5")
    assert Client().get(path).status_code == 409  # used once


def test_production_password_hashing_is_argon2(settings: Any) -> None:
    from kuzbass.platform import settings as platform_settings

    assert platform_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_officer_opens_a_ballot_from_the_page_and_closing_shows_the_chart(
    brigade: dict[str, Any], clock: Any
) -> None:
    motion = services.table_motion(
        brigade["members"][0], brigade["council"], title="Showers", text="Hot water in every shift."
    )
    officer = logged_in(brigade["officer"])
    closes = (service_clock.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = officer.post(
        f"/motions/{motion.pk}/ballot/",
        {
            "method": "majority",
            "options": "",
            "closes_at": closes,
            "secret": "on",
            "max_score": "5",
            "amendment": "",
        },
    )
    assert response.status_code == 302
    ballot = motion.ballots.get()
    services.cast_vote(brigade["members"][0], ballot, "yes")
    services.cast_vote(brigade["members"][1], ballot, "yes")
    services.cast_vote(brigade["members"][2], ballot, "no")
    clock(timedelta(hours=2))
    html = Client().get(f"/motions/{motion.pk}/").content.decode()
    assert "Closing" in html and 'id="result-' not in html  # a page view closes nothing
    assert services.close_due_ballots() == 1  # the task worker's job
    html = Client().get(f"/motions/{motion.pk}/").content.decode()
    assert 'id="result-' in html and "Carried" in html
    assert f'id="chart-{ballot.pk}"' in html
    assert "ballot.closed" in html


def test_demand_in_plan_from_the_page(brigade: dict[str, Any]) -> None:
    demand = services.raise_demand(brigade["members"][0], brigade["council"], title="Soap")
    ballot = services.open_ballot(
        brigade["officer"], demand.motions.get(), closes_at=service_clock.now() + timedelta(hours=1)
    )
    for voter in [*brigade["members"], brigade["officer"]]:
        services.cast_vote(voter, ballot, "yes")
    services.settle(ballot)
    member = logged_in(brigade["members"][0])
    assert member.post(f"/demands/{demand.pk}/", {"note": "in plan"}).status_code == 403
    officer = logged_in(brigade["officer"])
    assert officer.post(f"/demands/{demand.pk}/", {"note": "20 t in July"}).status_code == 302
    assert Demand.objects.get(pk=demand.pk).status == "in_plan"
    tracker = Client().get("/demands/?status=in_plan").content.decode()
    assert "Soap" in tracker


@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/councils/motion/", "/admin/ledger/ledgerevent/"]
)
def test_admin_is_registered(url: str, admin_client: Client, brigade: dict[str, Any]) -> None:
    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("method", "fields", "expected"),
    [
        ("approval", {"approved": ["soap", "bread"]}, ["soap", "bread"]),
        (
            "score",
            {"score_0": "1", "score_1": "5", "score_2": "3"},
            {"coal": 1, "soap": 5, "bread": 3},
        ),
        ("schulze", {"rank_0": "", "rank_1": "1", "rank_2": "2"}, ["soap", "bread"]),
        ("instant-runoff", {"rank_0": "2", "rank_1": "1", "rank_2": ""}, ["soap", "coal"]),
    ],
)
def test_each_method_has_a_labelled_ballot_paper(
    brigade: dict[str, Any], open_motion: Any, method: str, fields: dict[str, Any], expected: Any
) -> None:
    motion, ballot = open_motion(
        brigade["council"],
        brigade["members"][0],
        brigade["officer"],
        method=method,
        options=["coal", "soap", "bread"],
    )
    client = logged_in(brigade["members"][1])
    html = client.get(f"/motions/{motion.pk}/").content.decode()
    assert_every_input_labelled(html)
    data = {f"b{ballot.pk}-{name}": value for name, value in fields.items()}
    response = client.post(f"/ballots/{ballot.pk}/vote/", data, headers={"HX-Request": "true"})
    assert response.status_code == 200, response.content.decode()
    assert PendingPaper.objects.get(ballot=ballot).content == expected


def test_a_rank_given_twice_is_refused(brigade: dict[str, Any], open_motion: Any) -> None:
    _, ballot = open_motion(
        brigade["council"],
        brigade["members"][0],
        brigade["officer"],
        method="schulze",
        options=["coal", "soap"],
    )
    response = logged_in(brigade["members"][1]).post(
        f"/ballots/{ballot.pk}/vote/",
        {f"b{ballot.pk}-rank_0": "1", f"b{ballot.pk}-rank_1": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert "Give each rank to one option only" in response.content.decode()
    assert not BallotPaper.objects.exists()


def test_a_ballot_scheduled_for_later_waits(brigade: dict[str, Any]) -> None:
    motion = services.table_motion(
        brigade["members"][0], brigade["council"], title="Later", text="Vote next week."
    )
    opens = service_clock.now() + timedelta(days=2)
    response = logged_in(brigade["officer"]).post(
        f"/motions/{motion.pk}/ballot/",
        {
            "method": "majority",
            "opens_at": opens.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (opens + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "secret": "on",
            "max_score": "5",
            "amendment": "",
        },
    )
    assert response.status_code == 302
    html = logged_in(brigade["members"][1]).get(f"/motions/{motion.pk}/").content.decode()
    assert "Voting has not opened yet." in html and "Cast my vote" not in html
    with pytest.raises(errors.RefusedError, match="this ballot opens at"):
        services.cast_vote(brigade["members"][1], motion.ballots.get(), "yes")


def test_federation_page_and_api_show_the_seats(
    brigade: dict[str, Any], make_council: Any, make_user: Any
) -> None:
    federation = make_council("coal-federation", kind="federation", delegate_seats=4)
    chair = make_user("fed-chair")
    services.appoint_officer(chair, federation)
    response = logged_in(chair).post(
        "/councils/coal-federation/affiliate/", {"member_council": brigade["council"].pk}
    )
    assert response.status_code == 302
    html = Client().get("/councils/coal-federation/").content.decode()
    row = re.search(r'<table id="seats">.*?</table>', html, re.S).group(0)
    assert "9th brigade, Severnaya" in row and "<td>4</td>" in row
    assert Client().get("/api/councils/coal-federation/seats").json() == {"ninth-brigade": 4}
    refused = logged_in(chair).post("/councils/coal-federation/invite/", {"role": "member"})
    assert refused.status_code == 409 and "elect" in refused.content.decode()


def test_password_change_and_logout(
    brigade: dict[str, Any],
    password: str,
    new_password: str,
    change_password: Callable[[Client], Any],
) -> None:
    client = Client()
    assert client.login(request=HttpRequest(), username="anna", password=password)
    assert "Change password" in client.get("/accounts/password_change/").content.decode()
    assert change_password(client).status_code == 302
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/dashboard/").status_code == 302
    assert Client().login(request=HttpRequest(), username="anna", password=new_password)
