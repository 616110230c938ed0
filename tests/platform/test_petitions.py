"""Members force a ballot: a petition signed by the council's petition share of its members opens
a ballot without an officer — so an officer cannot stall the recall of their own mandate."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from kuzbass.platform.core import clock, errors
from kuzbass.platform.councils import services
from kuzbass.platform.councils.models import Ballot, Mandate, Motion
from kuzbass.platform.ledger.models import LedgerEvent
from kuzbass.platform.ledger.services import verify_database


@pytest.fixture
def recall_of_the_chair(
    make_council: Any, make_user: Any, join: Any, open_motion: Any
) -> dict[str, Any]:
    """The brigade's only officer is its delegate; a member tables the recall of that mandate."""
    council = make_council("ninth-brigade", petition_share="2/5")
    chair = make_user("chair")
    services.appoint_officer(chair, council)
    members = [make_user(name) for name in ("anna", "boris", "vera", "gleb")]
    for member in members:
        join(council, member, chair)
    federation = make_council("coal-federation", kind="federation")
    fed_chair = make_user("fed-chair")
    services.appoint_officer(fed_chair, federation)
    services.affiliate(fed_chair, federation, council)
    _, election = open_motion(
        council,
        chair,
        chair,
        kind="election",
        method="approval",
        options=["chair"],
        title="Delegate",
        text="Elect our delegate.",
        delegate_to=federation,
        mandate_instructions="Demand soap.",
    )
    for voter in [chair, *members]:
        services.cast_vote(voter, election, ["chair"])
    services.settle(election)
    mandate = Mandate.objects.get(delegate=chair)
    recall = services.table_motion(
        members[0],
        council,
        title="Recall the chair",
        text="Ignored the mandate.",
        kind="recall",
        mandate=mandate,
    )
    return {"council": council, "chair": chair, "members": members, "recall": recall}


def test_a_petition_opens_the_recall_the_officer_did_not(
    recall_of_the_chair: dict[str, Any],
) -> None:
    anna, boris, vera, gleb = recall_of_the_chair["members"]
    recall: Motion = recall_of_the_chair["recall"]
    assert services.signatures_needed(recall) == 2  # 2/5 of 5 members
    first = services.sign_petition(anna, recall)
    assert first.ballot is None and not recall.ballots.exists()
    with pytest.raises(errors.RefusedError, match="already signed"):
        services.sign_petition(anna, recall)
    petition = services.sign_petition(boris, recall)
    ballot = Ballot.objects.get(motion=recall)
    assert petition.ballot == ballot and ballot.opened_by == boris and ballot.secret
    assert ballot.closes_at - clock.now() > timedelta(days=6)
    with pytest.raises(errors.RefusedError, match="being voted"):
        services.sign_petition(vera, recall)
    signed = LedgerEvent.objects.filter(kind="petition.signed").order_by("sequence")
    assert [(e.payload["signer"], e.payload["ballot"]) for e in signed] == [
        ("anna", None),
        ("boris", ballot.pk),
    ]
    for voter, choice in [(anna, "yes"), (boris, "yes"), (vera, "yes"), (gleb, "no")]:
        services.cast_vote(voter, ballot, choice)
    services.cast_vote(recall_of_the_chair["chair"], ballot, "no")
    services.settle(ballot)
    mandate = Mandate.objects.get(delegate=recall_of_the_chair["chair"])
    assert mandate.end_reason == "recalled"
    assert verify_database().ok


def test_only_members_sign(recall_of_the_chair: dict[str, Any], make_user: Any) -> None:
    with pytest.raises(errors.NotAllowedError):
        services.sign_petition(make_user("outsider"), recall_of_the_chair["recall"])
    with pytest.raises(errors.NotAllowedError):
        services.sign_petition(None, recall_of_the_chair["recall"])


def test_a_bad_petition_share_is_refused(make_council: Any) -> None:
    for share in ("0", "3/2", "half"):
        with pytest.raises(errors.InvalidInputError, match="petition_share"):
            make_council(f"c-{len(share)}", petition_share=share)


def test_petition_through_the_page_and_the_api(recall_of_the_chair: dict[str, Any]) -> None:
    anna, boris = recall_of_the_chair["members"][:2]
    recall = recall_of_the_chair["recall"]
    page = Client()
    page.force_login(anna)
    html = page.get(f"/motions/{recall.pk}/").content.decode()
    assert "0 of 2 signatures" in html and "Sign the petition" in html
    assert page.post(f"/motions/{recall.pk}/petition/").status_code == 302
    assert "1 of 2 signatures" in page.get(f"/motions/{recall.pk}/").content.decode()
    again = page.post(f"/motions/{recall.pk}/petition/")
    assert again.status_code == 409 and "already signed" in again.content.decode()
    api = Client(enforce_csrf_checks=False)
    api.force_login(boris)
    answer = api.post(f"/api/motions/{recall.pk}/petition")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["signatures"] == 2 and body["signers"] == ["anna", "boris"]
    assert body["ballot"] == Ballot.objects.get(motion=recall).pk
    public = Client().get(f"/api/motions/{recall.pk}/petition").json()
    assert public == body
    assert Client().post(f"/api/motions/{recall.pk}/petition").status_code == 401
