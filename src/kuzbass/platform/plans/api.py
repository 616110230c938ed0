"""The plan cycle's JSON API (mounted at ``/api/plans/`` on the councils' NinjaAPI).

The same services as the pages: reading is public; every change needs a logged-in session and
the CSRF token, and refusals come back as ``{"detail", "field"}`` with the service's status.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, File, Router, Schema
from ninja.files import UploadedFile
from ninja.security import django_auth

from kuzbass.platform.core.api import ERRORS
from kuzbass.platform.councils.models import Council, Demand, Motion
from kuzbass.platform.plans import services
from kuzbass.platform.plans.models import (
    Need,
    ParticipatoryRound,
    PlanVersion,
    Product,
    Proposal,
    Resource,
    Technique,
)
from kuzbass.platform.plans.services.proposals import consumer_councils, round_goods

router = Router(tags=["plan"])


class ProductIn(Schema):
    name: str
    unit: str
    kind: str = "private"


class ResourceIn(Schema):
    name: str
    unit: str
    available: float | None = None
    kind: str | None = None


class CatalogueOut(Schema):
    products: list[ProductIn]
    resources: list[ResourceIn]


class TechniqueIn(Schema):
    name: str
    product: str
    output: float
    labour: float
    capacity: float | None = None
    inputs: dict[str, float] = Field(default_factory=dict)


class TechniqueOut(TechniqueIn):
    workplace: str
    active: bool
    declared_at: datetime

    @staticmethod
    def of(technique: Technique) -> "TechniqueOut":
        return TechniqueOut(
            name=technique.name,
            product=technique.product.name,
            output=technique.output,
            labour=technique.labour,
            capacity=technique.capacity,
            inputs={i.item: i.quantity for i in technique.inputs.all()},
            workplace=technique.workplace.slug,
            active=technique.active,
            declared_at=technique.declared_at,
        )


class NormsIn(Schema):
    hours_per_shift: float
    days_per_period: float
    workers: int | None = None


class NeedIn(Schema):
    product: str
    quantity: float
    use: str = "basic needs"
    demand: int | None = None


class NeedOut(Schema):
    council: str
    product: str
    use: str
    quantity: float
    demand: int | None

    @staticmethod
    def of(need: Need) -> "NeedOut":
        return NeedOut(
            council=need.council.slug,
            product=need.product.name,
            use=need.use,
            quantity=need.quantity,
            demand=need.demand_id,
        )


class PrioritiesIn(Schema):
    classes: list[str]


class RulesIn(Schema):
    round_limit: int
    need_threshold: float
    tolerance_percent: float = 3.0


class MotionRef(Schema):
    motion: int
    council: str
    title: str
    status: str

    @staticmethod
    def of(motion: Motion) -> "MotionRef":
        return MotionRef(
            motion=motion.pk, council=motion.council.slug, title=motion.title, status=motion.status
        )


class VersionOut(Schema):
    number: int
    status: str
    mode: str
    content_hash: str
    created_at: datetime
    adopted_at: datetime | None
    summary: dict[str, Any]

    @staticmethod
    def of(version: PlanVersion) -> "VersionOut":
        return VersionOut(
            number=version.number,
            status=version.status,
            mode=version.mode,
            content_hash=version.content_hash,
            created_at=version.created_at,
            adopted_at=version.adopted_at,
            summary=version.summary,
        )


class VersionDetail(VersionOut):
    content: dict[str, Any]


class RoundIn(Schema):
    deadline: datetime


class RoundOut(Schema):
    id: int
    series: int
    number: int
    deadline: datetime
    closed_at: datetime | None
    balanced: bool | None
    final: bool
    prices: dict[str, float]
    outcome: dict[str, Any] | None

    @staticmethod
    def of(participatory: ParticipatoryRound) -> "RoundOut":
        return RoundOut(
            id=participatory.pk,
            series=participatory.series,
            number=participatory.number,
            deadline=participatory.deadline,
            closed_at=participatory.closed_at,
            balanced=participatory.balanced,
            final=participatory.final,
            prices=participatory.prices,
            outcome=participatory.outcome,
        )


class ProposalIn(Schema):
    """A workplace's outputs, inputs and offered hours, or a consumer council's needs (good →
    quantity; 0 withdraws a line). Numbers may be JSON numbers or decimal text."""

    outputs: dict[str, float | str] = Field(default_factory=dict)
    inputs: dict[str, float | str] = Field(default_factory=dict)
    hours: dict[str, float | str] = Field(default_factory=dict)
    needs: dict[str, float | str] = Field(default_factory=dict)


class ProposalOut(Schema):
    council: str
    outputs: dict[str, float]
    inputs: dict[str, float]
    hours: dict[str, float]
    needs: dict[str, float]
    budget: float | None
    round: int | None
    submitted_at: datetime

    @staticmethod
    def of(proposal: Proposal) -> "ProposalOut":
        participatory = proposal.participatory_round
        return ProposalOut(
            council=proposal.council.slug,
            outputs=proposal.outputs,
            inputs=proposal.inputs,
            hours=proposal.hours,
            needs=proposal.needs,
            budget=proposal.budget,
            round=participatory.number if participatory else None,
            submitted_at=proposal.submitted_at,
        )


class PricesOut(Schema):
    """The open round's prices (hours per unit) and units, and the council's budget if any."""

    round: int
    series: int
    deadline: datetime
    prices: dict[str, float]
    units: dict[str, str]
    kinds: dict[str, str]
    consumer_councils: int


def _congress() -> Council:
    return services.congress()


def _version(number: int) -> PlanVersion:
    return get_object_or_404(PlanVersion, congress=_congress(), number=number)


@router.get("/catalogue", response=CatalogueOut)
def catalogue(request: HttpRequest) -> CatalogueOut:
    return CatalogueOut(
        products=[ProductIn(name=p.name, unit=p.unit, kind=p.kind) for p in Product.objects.all()],
        resources=[
            ResourceIn(name=r.name, unit=r.unit, available=r.available, kind=r.kind)
            for r in Resource.objects.all()
        ],
    )


@router.post("/catalogue/products", response={201: CatalogueOut, **ERRORS}, auth=django_auth)
def register_products(request: HttpRequest, body: list[ProductIn]) -> Any:
    services.register_products(request.user, _congress(), [p.dict() for p in body])
    return 201, catalogue(request)


@router.post("/catalogue/resources", response={201: CatalogueOut, **ERRORS}, auth=django_auth)
def register_resources(request: HttpRequest, body: list[ResourceIn]) -> Any:
    services.register_resources(request.user, _congress(), [r.dict() for r in body])
    return 201, catalogue(request)


@router.get("/councils/{slug}/techniques", response=list[TechniqueOut])
def list_techniques(request: HttpRequest, slug: str) -> list[TechniqueOut]:
    council = get_object_or_404(Council, slug=slug)
    query = Technique.objects.filter(workplace=council).select_related("product", "workplace")
    return [TechniqueOut.of(t) for t in query.prefetch_related("inputs")]


@router.post(
    "/councils/{slug}/techniques", response={201: TechniqueOut, **ERRORS}, auth=django_auth
)
def declare_technique(request: HttpRequest, slug: str, body: TechniqueIn) -> Any:
    council = get_object_or_404(Council, slug=slug)
    technique = services.declare_technique(request.user, council, **body.dict())
    return 201, TechniqueOut.of(technique)


@router.post(
    "/councils/{slug}/techniques/upload",
    response={201: list[TechniqueOut], **ERRORS},
    auth=django_auth,
)
def upload_techniques(
    request: HttpRequest, slug: str, techniques: File[UploadedFile], inputs: File[UploadedFile]
) -> Any:
    """Multipart upload of the canonical ``techniques.csv`` and ``inputs.csv``."""
    council = get_object_or_404(Council, slug=slug)
    stored = services.upload_techniques(
        request.user, council, {"techniques.csv": techniques.read(), "inputs.csv": inputs.read()}
    )
    return 201, [TechniqueOut.of(t) for t in stored]


@router.delete("/techniques/{name}", response={200: TechniqueOut, **ERRORS}, auth=django_auth)
def withdraw_technique(request: HttpRequest, name: str) -> Any:
    technique = services.withdraw_technique(request.user, get_object_or_404(Technique, name=name))
    return 200, TechniqueOut.of(technique)


@router.post("/councils/{slug}/norms", response={201: MotionRef, **ERRORS}, auth=django_auth)
def propose_norms(request: HttpRequest, slug: str, body: NormsIn) -> Any:
    council = get_object_or_404(Council, slug=slug)
    return 201, MotionRef.of(services.propose_norms(request.user, council, **body.dict()))


@router.get("/councils/{slug}/needs", response=list[NeedOut])
def list_needs(request: HttpRequest, slug: str) -> list[NeedOut]:
    council = get_object_or_404(Council, slug=slug)
    return [
        NeedOut.of(n)
        for n in council.needs.filter(withdrawn_at__isnull=True).select_related(
            "council", "product"
        )
    ]


@router.post("/councils/{slug}/needs", response={201: NeedOut, **ERRORS}, auth=django_auth)
def submit_need(request: HttpRequest, slug: str, body: NeedIn) -> Any:
    council = get_object_or_404(Council, slug=slug)
    demand = get_object_or_404(Demand, pk=body.demand) if body.demand else None
    need = services.submit_need(
        request.user,
        council,
        product=body.product,
        quantity=body.quantity,
        use=body.use,
        demand=demand,
    )
    return 201, NeedOut.of(need)


@router.delete("/councils/{slug}/needs/{product}", response={204: None, **ERRORS}, auth=django_auth)
def withdraw_need(request: HttpRequest, slug: str, product: str, use: str = "basic needs") -> Any:
    """Withdraw a need (one that carries an adopted demand can only be revised)."""
    need = get_object_or_404(
        Need, council__slug=slug, product__name=product, use=use, withdrawn_at__isnull=True
    )
    services.withdraw_need(request.user, need)
    return 204, None


@router.post("/priorities", response={201: MotionRef, **ERRORS}, auth=django_auth)
def propose_priorities(request: HttpRequest, body: PrioritiesIn) -> Any:
    return 201, MotionRef.of(services.propose_priorities(request.user, _congress(), body.classes))


@router.post("/rules", response={201: MotionRef, **ERRORS}, auth=django_auth)
def propose_rules(request: HttpRequest, body: RulesIn) -> Any:
    motion = services.propose_planning_rules(request.user, _congress(), **body.dict())
    return 201, MotionRef.of(motion)


@router.post("/versions", response={201: VersionOut, **ERRORS}, auth=django_auth)
def run_planning_round(request: HttpRequest) -> Any:
    """Run a planning round on every current declaration and store a draft version."""
    return 201, VersionOut.of(services.run_planning_round(request.user, _congress()))


@router.get("/versions", response=list[VersionOut])
def list_versions(request: HttpRequest) -> list[VersionOut]:
    return [VersionOut.of(v) for v in PlanVersion.objects.filter(congress=_congress())]


@router.get("/versions/{number}", response={200: VersionDetail, 404: ERRORS[404]})
def get_version(request: HttpRequest, number: int) -> Any:
    version = _version(number)
    return 200, VersionDetail(**VersionOut.of(version).dict(), content=version.content)


@router.get("/versions/{number}/councils/{slug}", response={200: dict[str, Any], 404: ERRORS[404]})
def council_part(request: HttpRequest, number: int, slug: str) -> Any:
    """A workplace's part (outputs, inputs, hours), or a consumer council's needs and shares."""
    version, council = _version(number), get_object_or_404(Council, slug=slug)
    if council.kind == "consumer":
        return 200, {"needs": services.consumer_part(version, council)}
    return 200, services.workplace_part(version, council)


@router.post("/versions/{number}/adoption", response={201: MotionRef, **ERRORS}, auth=django_auth)
def propose_adoption(request: HttpRequest, number: int) -> Any:
    motion = services.propose_adoption(request.user, _congress(), _version(number))
    return 201, MotionRef.of(motion)


@router.get("/diff", response={200: dict[str, Any], 404: ERRORS[404]})
def diff(request: HttpRequest, old: int, new: int) -> Any:
    return 200, services.diff_versions(_version(old), _version(new))


@router.get("/labour-values", response={200: dict[str, str], 404: ERRORS[404]})
def labour_values(request: HttpRequest) -> Any:
    """Hours per unit of each product in the adopted plan (decimal text)."""
    return 200, {k: str(v) for k, v in services.adopted_labour_values().items()}


@router.get("/participatory-rounds", response=list[RoundOut])
def list_rounds(request: HttpRequest) -> list[RoundOut]:
    return [RoundOut.of(r) for r in ParticipatoryRound.objects.filter(congress=_congress())]


@router.post("/participatory-rounds", response={201: RoundOut, **ERRORS}, auth=django_auth)
def open_round(request: HttpRequest, body: RoundIn) -> Any:
    participatory = services.open_participatory_round(
        request.user, _congress(), deadline=body.deadline
    )
    return 201, RoundOut.of(participatory)


@router.post(
    "/participatory-rounds/{pk}/close", response={200: RoundOut, **ERRORS}, auth=django_auth
)
def close_round(request: HttpRequest, pk: int) -> Any:
    participatory = get_object_or_404(ParticipatoryRound, pk=pk)
    return 200, RoundOut.of(services.close_participatory_round(request.user, participatory))


@router.get("/participatory-rounds/open", response={200: PricesOut, 404: ERRORS[404]})
def open_round_prices(request: HttpRequest) -> Any:
    """The prices councils answer now (404 while no round is open)."""
    participatory = services.open_round()
    if participatory is None:
        return 404, {"detail": "no participatory round is open", "field": None}
    goods = round_goods()
    return 200, PricesOut(
        round=participatory.number,
        series=participatory.series,
        deadline=participatory.deadline,
        prices=participatory.prices,
        units=dict(zip(goods.names, goods.units, strict=True)),
        kinds={n: goods.kind(n).name.lower() for n in goods.names},  # type: ignore[union-attr]
        consumer_councils=consumer_councils(),
    )


@router.get("/councils/{slug}/proposal", response={200: ProposalOut, 404: ERRORS[404]})
def get_proposal(request: HttpRequest, slug: str) -> Any:
    """A council's standing proposal (public, like every plan figure)."""
    return 200, ProposalOut.of(get_object_or_404(Proposal, council__slug=slug))


@router.put("/councils/{slug}/proposal", response={200: ProposalOut, **ERRORS}, auth=django_auth)
def submit_proposal(request: HttpRequest, slug: str, body: ProposalIn) -> Any:
    """An officer answers the open round for the council; the proposal replaces its standing
    one. Refused with the reason (and the standing proposal kept) when late, for a council the
    officer does not serve, with a negative or non-finite quantity, an unknown good, or over
    budget."""
    council = get_object_or_404(Council, slug=slug)
    proposal = services.submit_proposal(request.user, council, **body.dict())
    return 200, ProposalOut.of(proposal)
