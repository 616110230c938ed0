"""The councils' part of the JSON API: the same actions as the pages, through the same services.

Mounted on the platform's API root (:mod:`kuzbass.platform.core.api`), which says how sessions
and CSRF work.
"""

from datetime import datetime
from typing import Any

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.security import django_auth
from ninja.utils import check_csrf

from kuzbass.platform.core.api import ERRORS, Problem
from kuzbass.platform.core.errors import NotFoundError, RefusedError
from kuzbass.platform.councils import services
from kuzbass.platform.councils.models import (
    Ballot,
    Council,
    Demand,
    Mandate,
    Membership,
    Motion,
    Petition,
)
from kuzbass.platform.ledger.models import LedgerEvent
from kuzbass.platform.ledger.services import current_head

router = Router()


# --- schemas ---------------------------------------------------------------------------------


class CouncilOut(Schema):
    slug: str
    name: str
    kind: str
    description: str
    open_signup: bool
    constitution: dict[str, str]
    delegate_seats: int | None
    members: int

    @staticmethod
    def of(council: Council) -> "CouncilOut":
        return CouncilOut(
            slug=council.slug,
            name=council.name,
            kind=council.kind,
            description=council.description,
            open_signup=council.open_signup,
            constitution=council.constitution_dict(),
            delegate_seats=council.delegate_seats,
            members=council.memberships.filter(ended_at__isnull=True).count(),
        )


class MotionIn(Schema):
    title: str
    text: str
    kind: str = "ordinary"
    mandate: int | None = None
    proposed_constitution: dict[str, str] | None = None
    delegate_to: str | None = None
    mandate_instructions: str = ""
    demand: int | None = None
    demand_action: str = ""


class MotionOut(Schema):
    id: int
    council: str
    number: int
    kind: str
    title: str
    text: str
    status: str
    tabled_by: str
    tabled_at: datetime

    @staticmethod
    def of(motion: Motion) -> "MotionOut":
        return MotionOut(
            id=motion.pk,
            council=motion.council.slug,
            number=motion.number,
            kind=motion.kind,
            title=motion.title,
            text=motion.text,
            status=motion.status,
            tabled_by=motion.tabled_by.get_username(),
            tabled_at=motion.tabled_at,
        )


class AmendmentIn(Schema):
    text: str


class AmendmentOut(Schema):
    motion: int
    number: int
    text: str
    status: str


class CommentIn(Schema):
    text: str


class BallotIn(Schema):
    method: str = "majority"
    options: list[str] | None = None
    opens_at: datetime | None = None
    closes_at: datetime
    secret: bool = True
    max_score: int = 5
    amendment: int | None = None


class BallotOut(Schema):
    id: int
    motion: int
    amendment: int | None
    method: str
    options: list[str]
    max_score: int
    secret: bool
    opens_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    state: str = Field(description="scheduled, open, closing (due; the worker closes it) or closed")
    voted: int
    electorate: int | None
    carried: bool | None
    tally: dict[str, Any] | None

    @staticmethod
    def of(ballot: Ballot) -> "BallotOut":
        return BallotOut(
            id=ballot.pk,
            motion=ballot.motion_id,
            amendment=ballot.amendment.number if ballot.amendment else None,
            method=ballot.method,
            options=ballot.options,
            max_score=ballot.max_score,
            secret=ballot.secret,
            opens_at=ballot.opens_at,
            closes_at=ballot.closes_at,
            closed_at=ballot.closed_at,
            state=services.ballot_state(ballot),
            voted=ballot.roll.count(),
            electorate=ballot.electorate,
            carried=ballot.carried,
            tally=ballot.result,
        )


class VoteIn(Schema):
    content: Any


class ReceiptOut(Schema):
    ballot: int
    receipt: str


class PaperOut(Schema):
    receipt_hash: str | None = Field(
        description="In a named ballot; a secret one publishes the "
        "receipt hashes apart, in `receipts`"
    )
    content: Any
    voter: str | None


class PublishedBallot(Schema):
    ballot: int
    roll: list[str]
    papers: list[PaperOut]
    receipts: list[str] = Field(description="A secret ballot's receipt hashes, sorted")


class ReceiptCheck(Schema):
    ballot: int
    motion: int
    counted: bool = Field(description="The ballot is closed and this paper is in its tally")


class InvitationIn(Schema):
    role: str = "member"
    note: str = ""


class InvitationOut(Schema):
    token: str
    council: str
    role: str
    expires_at: datetime


class AcceptIn(Schema):
    token: str


class MembershipOut(Schema):
    council: str
    member: str
    role: str
    represents: str | None
    joined_at: datetime

    @staticmethod
    def of(membership: Membership) -> "MembershipOut":
        return MembershipOut(
            council=membership.council.slug,
            member=membership.user.get_username(),
            role=membership.role,
            represents=membership.represents.slug if membership.represents else None,
            joined_at=membership.joined_at,
        )


class AffiliationIn(Schema):
    member_council: str


class MandateOut(Schema):
    id: int
    council: str
    delegate: str
    body: str | None
    instructions: str
    started_at: datetime
    ended_at: datetime | None
    end_reason: str

    @staticmethod
    def of(mandate: Mandate) -> "MandateOut":
        return MandateOut(
            id=mandate.pk,
            council=mandate.council.slug,
            delegate=mandate.delegate.get_username(),
            body=mandate.body.slug if mandate.body else None,
            instructions=mandate.instructions,
            started_at=mandate.started_at,
            ended_at=mandate.ended_at,
            end_reason=mandate.end_reason,
        )


class DemandIn(Schema):
    title: str
    description: str = ""
    category: str = "other"
    responsible_body: str | None = None


class StatusChangeOut(Schema):
    status: str
    reason: str
    motion: int | None
    changed_at: datetime


class DemandOut(Schema):
    id: int
    council: str
    number: int
    title: str
    description: str
    category: str
    status: str
    responsible_body: str | None
    raised_by: str
    history: list[StatusChangeOut]

    @staticmethod
    def of(demand: Demand) -> "DemandOut":
        return DemandOut(
            id=demand.pk,
            council=demand.council.slug,
            number=demand.number,
            title=demand.title,
            description=demand.description,
            category=demand.category,
            status=demand.status,
            responsible_body=demand.responsible_body.slug if demand.responsible_body else None,
            raised_by=demand.raised_by.get_username(),
            history=[
                StatusChangeOut(
                    status=change.status,
                    reason=change.reason,
                    motion=change.motion_id,
                    changed_at=change.changed_at,
                )
                for change in demand.history.all()
            ],
        )


class InPlanIn(Schema):
    note: str


class EventOut(Schema):
    sequence: int
    kind: str
    recorded_at: str
    payload: dict[str, Any]
    previous_hash: str
    hash: str


class LoginIn(Schema):
    username: str
    password: str


class Who(Schema):
    username: str | None


# --- session --------------------------------------------------------------------------------


@router.get("/csrf", response=Who, tags=["session"])
def csrf(request: HttpRequest) -> Who:
    """Sets the ``csrftoken`` cookie that every change must echo in ``X-CSRFToken``."""
    get_token(request)
    return Who(username=request.user.get_username() if request.user.is_authenticated else None)


@router.post("/auth/login", response={200: Who, 400: Problem, 403: Problem}, tags=["session"])
def api_login(request: HttpRequest, body: LoginIn) -> Any:
    refused = check_csrf(request)
    if refused is not None:
        return Status(403, Problem(detail="CSRF token missing or wrong; GET /api/csrf first"))
    user = authenticate(request, username=body.username, password=body.password)
    if user is None:
        return Status(400, Problem(detail="wrong username or password", field="password"))
    login(request, user)
    return Status(200, Who(username=user.get_username()))


@router.post("/auth/logout", response=Who, auth=django_auth, tags=["session"])
def api_logout(request: HttpRequest) -> Who:
    logout(request)
    return Who(username=None)


# --- councils and members -------------------------------------------------------------------


@router.get("/councils", response=list[CouncilOut], tags=["councils"])
def list_councils(request: HttpRequest) -> list[CouncilOut]:
    return [CouncilOut.of(council) for council in Council.objects.all()]


@router.get("/councils/{slug}", response={200: CouncilOut, 404: Problem}, tags=["councils"])
def get_council(request: HttpRequest, slug: str) -> CouncilOut:
    return CouncilOut.of(get_object_or_404(Council, slug=slug))


@router.get("/councils/{slug}/members", response=list[MembershipOut], tags=["councils"])
def list_members(request: HttpRequest, slug: str) -> list[MembershipOut]:
    council = get_object_or_404(Council, slug=slug)
    return [
        MembershipOut.of(membership)
        for membership in council.memberships.filter(ended_at__isnull=True).select_related(
            "user", "council", "represents"
        )
    ]


@router.post(
    "/councils/{slug}/invitations",
    response={201: InvitationOut, **ERRORS},
    auth=django_auth,
    tags=["councils"],
)
def create_invitation(request: HttpRequest, slug: str, body: InvitationIn) -> Any:
    """An officer invites someone; the token is shown only in this answer."""
    council = get_object_or_404(Council, slug=slug)
    issued = services.invite(request.user, council, role=body.role, note=body.note)
    return Status(
        201,
        InvitationOut(
            token=issued.token,
            council=council.slug,
            role=body.role,
            expires_at=issued.invitation.expires_at,
        ),
    )


@router.post(
    "/invitations/accept",
    response={201: MembershipOut, **ERRORS},
    auth=django_auth,
    tags=["councils"],
)
def accept(request: HttpRequest, body: AcceptIn) -> Any:
    return Status(201, MembershipOut.of(services.accept_invitation(body.token, request.user)))


@router.post(
    "/councils/{slug}/join",
    response={201: MembershipOut, **ERRORS},
    auth=django_auth,
    tags=["councils"],
)
def join(request: HttpRequest, slug: str) -> Any:
    council = get_object_or_404(Council, slug=slug)
    return Status(201, MembershipOut.of(services.join_open_council(request.user, council)))


@router.post(
    "/councils/{slug}/affiliates",
    response={201: CouncilOut, **ERRORS},
    auth=django_auth,
    tags=["councils"],
)
def add_affiliate(request: HttpRequest, slug: str, body: AffiliationIn) -> Any:
    body_council = get_object_or_404(Council, slug=slug)
    member = get_object_or_404(Council, slug=body.member_council)
    services.affiliate(request.user, body_council, member)
    return Status(201, CouncilOut.of(member))


@router.get("/councils/{slug}/seats", response={200: dict[str, int], **ERRORS}, tags=["delegates"])
def list_seats(request: HttpRequest, slug: str) -> Any:
    """A federation's or congress's delegate seats per member council."""
    return Status(200, services.seat_allocation(get_object_or_404(Council, slug=slug)))


@router.get("/councils/{slug}/mandates", response=list[MandateOut], tags=["delegates"])
def list_mandates(request: HttpRequest, slug: str) -> list[MandateOut]:
    """The full public history of who held which mandate."""
    council = get_object_or_404(Council, slug=slug)
    return [
        MandateOut.of(mandate)
        for mandate in council.mandates.select_related("council", "delegate", "body")
    ]


# --- motions and ballots --------------------------------------------------------------------


@router.get("/councils/{slug}/motions", response=list[MotionOut], tags=["motions"])
def list_motions(request: HttpRequest, slug: str) -> list[MotionOut]:
    council = get_object_or_404(Council, slug=slug)
    return [MotionOut.of(m) for m in council.motions.select_related("council", "tabled_by")]


@router.post(
    "/councils/{slug}/motions",
    response={201: MotionOut, **ERRORS},
    auth=django_auth,
    tags=["motions"],
)
def create_motion(request: HttpRequest, slug: str, body: MotionIn) -> Any:
    council = get_object_or_404(Council, slug=slug)
    motion = services.table_motion(
        request.user,
        council,
        title=body.title,
        text=body.text,
        kind=body.kind,
        mandate=get_object_or_404(Mandate, pk=body.mandate) if body.mandate else None,
        proposed_constitution=body.proposed_constitution,
        delegate_to=get_object_or_404(Council, slug=body.delegate_to) if body.delegate_to else None,
        mandate_instructions=body.mandate_instructions,
        demand=get_object_or_404(Demand, pk=body.demand) if body.demand else None,
        demand_action=body.demand_action,
    )
    return Status(201, MotionOut.of(motion))


@router.get("/motions/{motion_id}", response={200: MotionOut, 404: Problem}, tags=["motions"])
def get_motion(request: HttpRequest, motion_id: int) -> MotionOut:
    return MotionOut.of(get_object_or_404(Motion, pk=motion_id))


@router.post(
    "/motions/{motion_id}/amendments",
    response={201: AmendmentOut, **ERRORS},
    auth=django_auth,
    tags=["motions"],
)
def create_amendment(request: HttpRequest, motion_id: int, body: AmendmentIn) -> Any:
    motion = get_object_or_404(Motion, pk=motion_id)
    amendment = services.propose_amendment(request.user, motion, text=body.text)
    return Status(
        201,
        AmendmentOut(
            motion=motion.pk, number=amendment.number, text=amendment.text, status=amendment.status
        ),
    )


@router.post(
    "/motions/{motion_id}/comments",
    response={201: CommentIn, **ERRORS},
    auth=django_auth,
    tags=["motions"],
)
def create_comment(request: HttpRequest, motion_id: int, body: CommentIn) -> Any:
    motion = get_object_or_404(Motion, pk=motion_id)
    return Status(201, CommentIn(text=services.comment(request.user, motion, text=body.text).text))


class PetitionOut(Schema):
    motion: int
    needed: int = Field(description="signatures that open the ballot (the council's share)")
    signatures: int
    signers: list[str]
    ballot: int | None = Field(description="the ballot the petition opened, once it has")

    @staticmethod
    def of(motion: Motion) -> "PetitionOut":
        petition = Petition.objects.filter(motion=motion).first()
        if petition is None:
            return PetitionOut(
                motion=motion.pk,
                needed=services.signatures_needed(motion),
                signatures=0,
                signers=[],
                ballot=None,
            )
        signers = petition.signer_names()
        return PetitionOut(
            motion=motion.pk,
            needed=petition.needed,
            signatures=len(signers),
            signers=signers,
            ballot=petition.ballot_id,
        )


@router.get(
    "/motions/{motion_id}/petition", response={200: PetitionOut, 404: Problem}, tags=["motions"]
)
def get_petition(request: HttpRequest, motion_id: int) -> PetitionOut:
    """The petition for a ballot on the motion: who signed, and how many signatures open it."""
    return PetitionOut.of(get_object_or_404(Motion.objects.select_related("council"), pk=motion_id))


@router.post(
    "/motions/{motion_id}/petition",
    response={201: PetitionOut, **ERRORS},
    auth=django_auth,
    tags=["motions"],
)
def sign_petition(request: HttpRequest, motion_id: int) -> Any:
    """Sign the petition; the signature that reaches the council's share opens the ballot."""
    motion = get_object_or_404(Motion, pk=motion_id)
    services.sign_petition(request.user, motion)
    return Status(201, PetitionOut.of(motion))


@router.post(
    "/motions/{motion_id}/ballots",
    response={201: BallotOut, **ERRORS},
    auth=django_auth,
    tags=["ballots"],
)
def create_ballot(request: HttpRequest, motion_id: int, body: BallotIn) -> Any:
    motion = get_object_or_404(Motion, pk=motion_id)
    amendment = (
        get_object_or_404(motion.amendments, number=body.amendment) if body.amendment else None
    )
    ballot = services.open_ballot(
        request.user,
        motion,
        method=body.method,
        options=body.options,
        opens_at=body.opens_at,
        closes_at=body.closes_at,
        secret=body.secret,
        max_score=body.max_score,
        amendment=amendment,
    )
    return Status(201, BallotOut.of(ballot))


def _ballot(ballot_id: int) -> Ballot:
    return get_object_or_404(Ballot, pk=ballot_id)


@router.get("/ballots/{ballot_id}", response={200: BallotOut, 404: Problem}, tags=["ballots"])
def get_ballot(request: HttpRequest, ballot_id: int) -> BallotOut:
    """The ballot and, once closed, its tally with quorum and threshold."""
    return BallotOut.of(_ballot(ballot_id))


@router.post(
    "/ballots/{ballot_id}/votes",
    response={201: ReceiptOut, **ERRORS},
    auth=django_auth,
    tags=["ballots"],
)
def vote(request: HttpRequest, ballot_id: int, body: VoteIn) -> Any:
    """Cast a vote; the receipt code in the answer is not stored and not shown again."""
    receipt = services.cast_vote(request.user, ballot_id, body.content)
    return Status(201, ReceiptOut(ballot=ballot_id, receipt=receipt.code))


@router.post(
    "/ballots/{ballot_id}/close",
    response={200: BallotOut, **ERRORS},
    auth=django_auth,
    tags=["ballots"],
)
def close(request: HttpRequest, ballot_id: int) -> Any:
    return Status(200, BallotOut.of(services.close_ballot(get_object_or_404(Ballot, pk=ballot_id))))


@router.get(
    "/ballots/{ballot_id}/papers", response={200: PublishedBallot, **ERRORS}, tags=["ballots"]
)
def papers(request: HttpRequest, ballot_id: int) -> Any:
    """After the close: the roll, every paper's content and (secret ballot) the receipt hashes
    apart from them, so that voters can check that theirs counted."""
    ballot = _ballot(ballot_id)
    if ballot.closed_at is None:
        raise RefusedError("the papers are published when the ballot closes")
    published = services.publication(ballot)
    return Status(
        200,
        PublishedBallot(
            ballot=ballot.pk,
            roll=ballot.roll_names(),
            papers=[
                PaperOut(
                    receipt_hash=None if ballot.secret else p.receipt_hash,
                    content=p.content,
                    voter=p.voter.get_username() if p.voter else None,
                )
                for p in published.papers
            ],
            receipts=published.receipts,
        ),
    )


@router.get("/receipts/{code}", response={200: ReceiptCheck, 404: Problem}, tags=["ballots"])
def check_receipt(request: HttpRequest, code: str) -> Any:
    """Whether the paper carrying this receipt code is counted; never what it says."""
    ballot = services.find_receipt(code)
    if ballot is None:
        raise NotFoundError("no ballot paper carries this receipt code")
    return Status(
        200,
        ReceiptCheck(
            ballot=ballot.pk, motion=ballot.motion_id, counted=ballot.closed_at is not None
        ),
    )


# --- demands --------------------------------------------------------------------------------


@router.get("/councils/{slug}/demands", response=list[DemandOut], tags=["demands"])
def list_demands(request: HttpRequest, slug: str) -> list[DemandOut]:
    council = get_object_or_404(Council, slug=slug)
    return [
        DemandOut.of(demand)
        for demand in council.demands.select_related(
            "council", "responsible_body", "raised_by"
        ).prefetch_related("history")
    ]


@router.post(
    "/councils/{slug}/demands",
    response={201: DemandOut, **ERRORS},
    auth=django_auth,
    tags=["demands"],
)
def create_demand(request: HttpRequest, slug: str, body: DemandIn) -> Any:
    """Raise a demand; this also tables the motion to adopt it."""
    council = get_object_or_404(Council, slug=slug)
    responsible = (
        get_object_or_404(Council, slug=body.responsible_body) if body.responsible_body else None
    )
    demand = services.raise_demand(
        request.user,
        council,
        title=body.title,
        description=body.description,
        category=body.category,
        responsible_body=responsible,
    )
    return Status(201, DemandOut.of(demand))


@router.post(
    "/demands/{demand_id}/in-plan",
    response={200: DemandOut, **ERRORS},
    auth=django_auth,
    tags=["demands"],
)
def demand_in_plan(request: HttpRequest, demand_id: int, body: InPlanIn) -> Any:
    demand = get_object_or_404(Demand, pk=demand_id)
    services.put_demand_in_plan(request.user, demand, note=body.note)
    demand.refresh_from_db()
    return Status(200, DemandOut.of(demand))


# --- ledger ---------------------------------------------------------------------------------


class HeadOut(Schema):
    sequence: int | None
    hash: str


@router.get("/ledger/head", response=HeadOut, tags=["ledger"])
def ledger_head(request: HttpRequest) -> HeadOut:
    """The last event's sequence and hash, to pin: ``kuzbass ledger verify --head HASH``."""
    head = current_head()
    return HeadOut(sequence=head.sequence, hash=head.hash)


@router.get("/ledger/events", response=list[EventOut], tags=["ledger"])
def ledger_events(request: HttpRequest, after: int = -1, limit: int = 100) -> list[EventOut]:
    """Events in order, ``limit`` (at most 1000) after sequence ``after``."""
    rows = LedgerEvent.objects.filter(sequence__gt=after).order_by("sequence")[
        : max(1, min(limit, 1000))
    ]
    return [
        EventOut(
            sequence=row.sequence,
            kind=row.kind,
            recorded_at=row.recorded_at,
            payload=row.payload,
            previous_hash=row.previous_hash,
            hash=row.hash,
        )
        for row in rows
    ]
