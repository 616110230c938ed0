"""The JSON API covers the same actions as the pages; its schema is at /api/openapi.json."""

import json
from typing import Any

from django.test import Client

from kuzbass.platform.councils import services
from kuzbass.platform.councils.models import BallotPaper, Mandate


class Session:
    """An API client that logs in through /api/auth/login and sends the CSRF token."""

    def __init__(self, username: str | None = None, password: str = "") -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.client.get("/api/csrf")
        if username:
            response = self.post("/api/auth/login", {"username": username, "password": password})
            assert response.status_code == 200, response.content

    def post(self, url: str, body: Any) -> Any:
        return self.client.post(
            url,
            json.dumps(body),
            content_type="application/json",
            headers={"X-CSRFToken": self.client.cookies["csrftoken"].value},
        )

    def get(self, url: str) -> Any:
        return self.client.get(url)


def test_openapi_schema_lists_the_actions(db: None) -> None:
    schema = Client().get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in [
        "/api/councils/{slug}/motions",
        "/api/motions/{motion_id}/ballots",
        "/api/ballots/{ballot_id}/votes",
        "/api/councils/{slug}/demands",
        "/api/councils/{slug}/invitations",
        "/api/ledger/events",
        "/api/councils/{slug}/mandates",
        "/api/demands/{demand_id}/in-plan",
    ]:
        assert path in paths, path


def test_a_council_decides_through_the_api(
    brigade: dict[str, Any], make_user: Any, password: str
) -> None:
    chair = Session("chair", password)
    invited = chair.post("/api/councils/ninth-brigade/invitations", {"role": "member"})
    assert invited.status_code == 201
    make_user("dmitri")
    dmitri = Session("dmitri", password)
    joined = dmitri.post("/api/invitations/accept", {"token": invited.json()["token"]})
    assert joined.status_code == 201 and joined.json()["council"] == "ninth-brigade"

    motion = dmitri.post(
        "/api/councils/ninth-brigade/motions",
        {
            "kind": "election",
            "title": "Our delegate",
            "text": "Elect a delegate.",
            "mandate_instructions": "Carry the July demands to Moscow.",
        },
    )
    assert motion.status_code == 201, motion.content
    motion_id = motion.json()["id"]
    ballot = chair.post(
        f"/api/motions/{motion_id}/ballots",
        {"method": "schulze", "options": ["anna", "dmitri"], "closes_at": "2099-01-01T00:00:00Z"},
    )
    assert ballot.status_code == 201, ballot.content
    ballot_id = ballot.json()["id"]
    voters = ["chair", "anna", "boris", "vera", "gleb", "dmitri"]
    receipts = {}
    for name in voters:
        ranking = ["dmitri", "anna"] if name in ("dmitri", "boris", "vera", "gleb") else ["anna"]
        response = Session(name, password).post(
            f"/api/ballots/{ballot_id}/votes", {"content": ranking}
        )
        assert response.status_code == 201, (name, response.content)
        receipts[name] = response.json()["receipt"]
    assert Session().get(f"/api/ballots/{ballot_id}").json()["state"] == "closing"
    assert services.close_due_ballots() == 1  # what the task worker does: the whole roll voted
    result = Session().get(f"/api/ballots/{ballot_id}").json()
    assert result["closed_at"] is not None and result["tally"]["winners"] == ["dmitri"]
    assert result["tally"]["pairwise"]["preferences"]["dmitri"]["anna"] == 4
    published = Session().get(f"/api/ballots/{ballot_id}/papers").json()
    assert published["roll"] == sorted(voters) and len(published["papers"]) == 6
    assert all(paper["receipt_hash"] is None for paper in published["papers"])
    assert BallotPaper.hash_receipt(receipts["vera"]) in published["receipts"]
    mine = Session().get(f"/api/receipts/{receipts['vera']}").json()
    assert mine == {"ballot": ballot_id, "motion": motion_id, "counted": True}  # not the choice

    mandates = Session().get("/api/councils/ninth-brigade/mandates").json()
    assert [m["delegate"] for m in mandates] == ["dmitri"]
    recall = Session("anna", password).post(
        "/api/councils/ninth-brigade/motions",
        {
            "kind": "recall",
            "title": "Recall dmitri",
            "text": "Lost confidence.",
            "mandate": mandates[0]["id"],
        },
    )
    assert recall.status_code == 201
    assert Mandate.objects.get().ended_at is None

    events = Session().get("/api/ledger/events?limit=1000").json()
    kinds = [event["kind"] for event in events]
    assert {"motion.tabled", "ballot.opened", "ballot.closed", "delegate.elected"} <= set(kinds)
    assert [event["sequence"] for event in events] == list(range(1, len(events) + 1))


def test_demand_through_the_api(brigade: dict[str, Any], password: str) -> None:
    anna = Session("anna", password)
    raised = anna.post(
        "/api/councils/ninth-brigade/demands",
        {"title": "Soap in the showers", "category": "supplies"},
    )
    assert raised.status_code == 201 and raised.json()["status"] == "raised"
    bad = anna.post("/api/councils/ninth-brigade/demands", {"title": "X", "category": "caviar"})
    assert bad.status_code == 400 and bad.json()["field"] == "category"
    listed = Session().get("/api/councils/ninth-brigade/demands").json()
    assert [d["title"] for d in listed] == ["Soap in the showers"]
    assert listed[0]["history"][0]["status"] == "raised"


def test_unknown_council_is_404(db: None) -> None:
    assert Client().get("/api/councils/nowhere").status_code == 404
