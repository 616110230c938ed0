"""Text no database stores (NUL, lone surrogates) is refused with a 400 naming the field, from
the API, forms, query strings and paths; free text and ballots have upper bounds. Each refusal
writes nothing. These run on SQLite and on PostgreSQL (which fails on NUL when it gets one)."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.platform.test_api import Session

from kuzbass.platform.core.checks import BALLOT_OPTIONS, TEXT_LENGTH
from kuzbass.platform.core.errors import InvalidInputError
from kuzbass.platform.councils import services
from kuzbass.platform.councils.models import Motion
from kuzbass.platform.ledger.models import LedgerEvent


def raw_post(session: Session, url: str, body: str) -> Any:
    """POST a JSON body written by hand (json.dumps would never write a lone surrogate)."""
    return session.client.post(
        url,
        body,
        content_type="application/json",
        headers={"X-CSRFToken": session.client.cookies["csrftoken"].value},
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"title": "Soap \\ud800", "text": "in the showers"}', "title"),
        ('{"title": "Soap", "text": "in the \\u0000 showers"}', "text"),
        ('{"title": "Soap", "text": "x", "proposed_constitution": {"q\\udfff": "1/2"}}', None),
    ],
)
def test_api_refuses_nul_and_lone_surrogates(
    brigade: dict[str, Any], password: str, body: str, field: str | None
) -> None:
    anna = Session("anna", password)
    events = LedgerEvent.objects.count()
    response = raw_post(anna, "/api/councils/ninth-brigade/motions", body)
    assert response.status_code == 400, response.content
    answer = response.json()
    assert "NUL character or a lone surrogate" in answer["detail"]
    if field:
        assert answer["field"] == field
    assert Motion.objects.count() == 0 and LedgerEvent.objects.count() == events


def test_a_json_body_sent_as_plain_text_is_checked_too(
    brigade: dict[str, Any], password: str
) -> None:
    anna = Session("anna", password)
    response = anna.client.post(
        "/api/councils/ninth-brigade/motions",
        '{"title": "Soap", "text": "\\u0000"}',
        content_type="text/plain",
        headers={"X-CSRFToken": anna.client.cookies["csrftoken"].value},
    )
    assert response.status_code == 400 and response.json()["field"] == "text"


def test_escaped_backslashes_and_real_pairs_are_ordinary_text(
    brigade: dict[str, Any], password: str
) -> None:
    anna = Session("anna", password)
    body = json.dumps({"title": "C:\\u0000 and 😀", "text": "a \\ud800 written out"})
    response = raw_post(anna, "/api/councils/ninth-brigade/motions", body)
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "C:\\u0000 and 😀"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/ledger/?kind=%00", 400),
        ("/demands/?status=ab%00", 400),
        ("/api/accounts/fulfilment?period=%00", 400),
        ("/api/councils/%00", 400),
        ("/api/ledger/events?after=1&x%00=1", 400),
        ("/ledger/?kind=ballot.opened", 200),
    ],
)
def test_query_strings_and_paths_with_nul_are_refused(db: None, url: str, status: int) -> None:
    response = Client().get(url)
    assert response.status_code == status
    if status == 400 and url.startswith("/api/"):
        assert "NUL" in response.json()["detail"]


def test_a_form_with_nul_is_refused_and_writes_nothing(brigade: dict[str, Any]) -> None:
    client = Client()
    client.force_login(brigade["members"][0])
    events = LedgerEvent.objects.count()
    response = client.post(
        "/councils/ninth-brigade/motions/",
        {"kind": "ordinary", "title": "Soap", "text": "in the\x00showers"},
    )
    assert response.status_code == 400
    assert "text contains a NUL character" in response.content.decode()
    assert Motion.objects.count() == 0 and LedgerEvent.objects.count() == events


def test_a_forged_session_cookie_with_nul_reads_as_no_session(brigade: dict[str, Any]) -> None:
    client = Client()
    client.cookies["sessionid"] = "abc\x00def"
    assert client.get("/").status_code == 200


def test_motion_text_has_an_upper_bound_named_in_the_refusal(
    brigade: dict[str, Any], password: str
) -> None:
    anna = Session("anna", password)
    too_long = anna.post(
        "/api/councils/ninth-brigade/motions", {"title": "Soap", "text": "x" * (TEXT_LENGTH + 1)}
    )
    assert too_long.status_code == 400
    assert too_long.json() == {
        "detail": f"text is {TEXT_LENGTH + 1:,} characters long; the most is {TEXT_LENGTH:,}",
        "field": "text",
    }
    longest = anna.post(
        "/api/councils/ninth-brigade/motions", {"title": "Soap", "text": "x" * TEXT_LENGTH}
    )
    assert longest.status_code == 201


def test_a_ballot_has_at_most_fifty_options(brigade: dict[str, Any]) -> None:
    officer, mover = brigade["officer"], brigade["members"][0]
    motion = services.table_motion(mover, brigade["council"], title="Colour", text="Pick one")
    options = [f"option {n}" for n in range(BALLOT_OPTIONS + 1)]
    with pytest.raises(InvalidInputError, match="options: 51 given; the most is 50"):
        services.open_ballot(
            officer,
            motion,
            method="approval",
            options=options,
            closes_at=timezone.now() + timedelta(hours=1),
        )
    ballot = services.open_ballot(
        officer,
        motion,
        method="approval",
        options=options[:BALLOT_OPTIONS],
        closes_at=timezone.now() + timedelta(hours=1),
    )
    assert len(ballot.options) == BALLOT_OPTIONS


def test_a_constitution_share_with_a_huge_exponent_is_refused_at_once(
    brigade: dict[str, Any],
) -> None:
    """Fraction("1e999999999") would run for minutes; the check refuses it before parsing."""
    with pytest.raises(InvalidInputError, match="no exponent"):
        services.table_motion(
            brigade["members"][0],
            brigade["council"],
            title="Rules",
            text="New rules",
            kind="constitution",
            proposed_constitution={
                "quorum": "1e999999999",
                "ordinary_threshold": "1/2",
                "recall_threshold": "1/2",
                "constitution_threshold": "2/3",
            },
        )
