"""The JSON API of end-to-end verifiable ballots (docs/ballots.md): what trustees upload from
``kuzbass ballot trustee …``, what the voter's browser fetches and casts, and the public state.

The bodies of uploads and papers are the JSON files and objects the trustees' commands and
``verifiable.js`` make, sent as they are (``curl -H 'X-CSRFToken: …' --data @announce.json``)."""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Body, Router, Schema, Status
from ninja.security import django_auth

from kuzbass.platform.core.api import ERRORS, Problem
from kuzbass.platform.councils.models import Council, TrusteeStep
from kuzbass.platform.councils.services import verifiable

router = Router(tags=["verifiable ballots"])


class RuleIn(Schema):
    trustees: list[str]
    threshold: int


class RuleOut(Schema):
    council: str
    trustees: list[str]
    threshold: int


class VerifiableOut(Schema):
    ballot: int
    name: str
    stage: str
    trustees: list[str]
    threshold: int
    handed_in: dict[str, list[int]]
    record: dict[str, Any] | None
    encrypted_tally: list[dict[str, str]] | None
    result: dict[str, int] | None


class CredentialOut(Schema):
    ballot: str
    secret: str


class CastOut(Schema):
    tracker: str


def _state(ballot_id: int) -> VerifiableOut:
    record = verifiable.get(ballot_id)
    handed_in: dict[str, list[int]] = {step: [] for step in TrusteeStep.values}
    for step, trustee in record.uploads.order_by("trustee").values_list("step", "trustee"):
        handed_in[step].append(trustee)
    return VerifiableOut(
        ballot=record.ballot_id,
        name=record.name,
        stage=record.stage,
        trustees=record.trustees,
        threshold=record.threshold,
        handed_in=handed_in,
        record=record.record,
        encrypted_tally=record.tally,
        result=record.result,
    )


@router.put("/councils/{slug}/verifiable", response={200: RuleOut, **ERRORS}, auth=django_auth)
def set_rule(request: HttpRequest, slug: str, body: RuleIn) -> Any:
    """An officer chooses verifiable ballots for the council and names the trustees (an empty
    list goes back to ordinary secret ballots)."""
    council = get_object_or_404(Council, slug=slug)
    verifiable.set_rule(request.user, council, body.trustees, body.threshold)
    return Status(200, RuleOut(council=slug, trustees=body.trustees, threshold=body.threshold))


@router.get("/ballots/{ballot_id}/verifiable", response={200: VerifiableOut, 404: Problem})
def state(request: HttpRequest, ballot_id: int) -> Any:
    """Where the ballot stands: which trustee handed in which step, the opened record (joint
    key, roll of credentials, fingerprint), the encrypted tally and the result."""
    return Status(200, _state(ballot_id))


@router.get(
    "/ballots/{ballot_id}/verifiable/trustees/{step}",
    response={200: list[dict[str, Any]], 404: Problem},
)
def handed_in(request: HttpRequest, ballot_id: int, step: str) -> Any:
    """Every trustee's upload at a step, in trustee order: the announcements and the dealings
    (boxed shares) are what ``kuzbass ballot trustee deal`` and ``finish`` read."""
    return Status(200, verifiable.uploads(verifiable.get(ballot_id), step))


@router.post(
    "/ballots/{ballot_id}/verifiable/trustees/{step}",
    response={200: VerifiableOut, **ERRORS},
    auth=django_auth,
)
def upload(request: HttpRequest, ballot_id: int, step: str, payload: Body[dict[str, Any]]) -> Any:
    """A trustee hands in the file one ``kuzbass ballot trustee`` step wrote (announce, deal,
    finish, or decrypt after the close)."""
    verifiable.upload(request.user, ballot_id, step, payload)
    return Status(200, _state(ballot_id))


@router.get(
    "/ballots/{ballot_id}/verifiable/credential",
    response={200: CredentialOut, **ERRORS},
    auth=django_auth,
)
def credential(request: HttpRequest, ballot_id: int) -> Any:
    """The voter's credential secret, from which their browser derives the key it signs with."""
    record, secret = verifiable.my_credential(request.user, ballot_id)
    return Status(200, CredentialOut(ballot=record.name, secret=secret))


@router.post(
    "/ballots/{ballot_id}/verifiable/papers",
    response={201: CastOut, **ERRORS},
    auth=django_auth,
)
def cast(request: HttpRequest, ballot_id: int, paper: Body[dict[str, Any]]) -> Any:
    """Cast an encrypted paper as ``verifiable.js`` made it; answers with its tracker, which the
    voter finds on the ledger as the ``ballot.encrypted_paper`` event of that tracker."""
    return Status(201, CastOut(tracker=verifiable.cast(request.user, ballot_id, paper)))
