"""The plan pages. Each action validates a form, calls one service, and shows a refusal (with the
service's HTTP status) beside the form it concerns; reading is public, like the councils'."""

from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kuzbass.economy.model import LABOUR
from kuzbass.platform.core.errors import InvalidInputError, ServiceError
from kuzbass.platform.core.permissions import active_membership, is_officer
from kuzbass.platform.councils.models import Council, CouncilKind, Demand, DemandStatus
from kuzbass.platform.plans import charts, forms, services
from kuzbass.platform.plans.models import (
    Need,
    ParticipatoryRound,
    PlanVersion,
    Product,
    Resource,
    Technique,
)

PAGE_ROWS = 200


def _congress() -> Council:
    try:
        return services.congress()
    except services.NoCongressError as missing:
        raise Http404(missing.message) from missing


def _refuse(form: django_forms.Form, error: ServiceError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _act(
    request: HttpRequest,
    form: django_forms.Form,
    call: Callable[[dict[str, Any]], Any],
    done: str,
    page: Callable[..., HttpResponse],
    form_name: str,
) -> HttpResponse:
    """Run ``call`` on a valid form; on success go back to the page, else show the refusal."""
    status = 400
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ServiceError as error:
            _refuse(form, error)
            status = error.status
        else:
            messages.success(request, done)
            return redirect(request.path.rsplit("/", 2)[0] + "/")
    return page(request, status=status, **{form_name: form})


# --- the congress's overview -----------------------------------------------------------------


def overview(request: HttpRequest, status: int = 200, **bound: Any) -> HttpResponse:
    try:
        congress = services.congress()
    except services.NoCongressError as missing:
        return render(request, "plans/no_congress.html", {"problem": missing.message})
    officer = is_officer(request.user, congress)
    versions = list(PlanVersion.objects.filter(congress=congress).order_by("-number")[:50])
    context = {
        "congress": congress,
        "is_officer": officer,
        "is_member": active_membership(request.user, congress) is not None,
        "versions": versions,
        "adopted": next((v for v in versions if v.status == "adopted"), None),
        "rounds": ParticipatoryRound.objects.filter(congress=congress).order_by(
            "-series", "-number"
        )[:30],
        "open_round": services.open_round(),
        "classes": services.priority_classes(congress),
        "default_uses": services.DEFAULT_USES,
        "rules": services.planning_rules(congress),
        "products": Product.objects.all()[:PAGE_ROWS],
        "resources": Resource.objects.all(),
        "workplaces": Council.objects.filter(kind=CouncilKind.WORKPLACE),
        "consumers": Council.objects.filter(kind=CouncilKind.CONSUMER),
        "matters": congress.plan_matters.select_related("motion")[:20],
        "priorities_form": bound.get("priorities_form")
        or forms.PrioritiesForm(
            initial={
                "classes": "\n".join(services.priority_classes(congress) or services.DEFAULT_USES)
            }
        ),
        "rules_form": bound.get("rules_form")
        or forms.RulesForm(initial=services.planning_rules(congress)),
        "round_form": bound.get("round_form")
        or forms.RoundForm(
            initial={"deadline": (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")}
        ),
        "catalogue_form": bound.get("catalogue_form") or forms.CatalogueForm(),
        "run_error": bound.get("run_error"),
    }
    return render(request, "plans/overview.html", context, status=status)


@login_required
@require_POST
def run_round(request: HttpRequest) -> HttpResponse:
    congress = _congress()
    try:
        version = services.run_planning_round(request.user, congress)
    except ServiceError as error:
        return overview(request, status=error.status, run_error=error.message)
    messages.success(request, _("Draft plan version %(n)d stored.") % {"n": version.number})
    return redirect("plans:version", version.pk)


@login_required
@require_POST
def propose_priorities(request: HttpRequest) -> HttpResponse:
    congress = _congress()
    return _act(
        request,
        forms.PrioritiesForm(request.POST),
        lambda data: services.propose_priorities(request.user, congress, data["classes"]),
        _("Motion on the priority classes tabled; it takes effect when carried."),
        overview,
        "priorities_form",
    )


@login_required
@require_POST
def propose_rules(request: HttpRequest) -> HttpResponse:
    congress = _congress()
    return _act(
        request,
        forms.RulesForm(request.POST),
        lambda data: services.propose_planning_rules(request.user, congress, **data),
        _("Motion on the planning rules tabled; it takes effect when carried."),
        overview,
        "rules_form",
    )


@login_required
@require_POST
def open_round(request: HttpRequest) -> HttpResponse:
    congress = _congress()

    form = forms.RoundForm(request.POST)
    status = 400
    if form.is_valid():
        deadline = form.cleaned_data["deadline"]
        if timezone.is_naive(deadline):
            deadline = timezone.make_aware(deadline, UTC)
        try:
            opened = services.open_participatory_round(request.user, congress, deadline=deadline)
        except ServiceError as error:
            _refuse(form, error)
            status = error.status
        else:
            messages.success(
                request, _("Participatory round opened: councils may propose until the deadline.")
            )
            return redirect("plans:round", opened.pk)
    return overview(request, status=status, round_form=form)


@login_required
@require_POST
def register(request: HttpRequest) -> HttpResponse:
    congress = _congress()

    def call(data: dict[str, Any]) -> Any:
        row = {"name": data["name"], "unit": data["unit"]}
        if data["kind"] == "product":
            return services.register_products(request.user, congress, [row])
        return services.register_resources(
            request.user, congress, [{**row, "available": data["available"]}]
        )

    return _act(
        request,
        forms.CatalogueForm(request.POST),
        call,
        _("Registered."),
        overview,
        "catalogue_form",
    )


# --- plan versions ---------------------------------------------------------------------------


def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(PlanVersion.objects.select_related("congress"), pk=pk)
    content = version.content
    congress = version.congress
    numbers = list(
        PlanVersion.objects.filter(congress=congress)
        .order_by("number")
        .values_list("number", flat=True)
    )
    previous = max((n for n in numbers if n < version.number), default=None)
    units = {row["product"]: row["unit"] for row in content["products"]}
    context = {
        "version": version,
        "content": content,
        "congress": congress,
        "is_member": active_membership(request.user, congress) is not None,
        "charts": [
            charts.fulfilment(content),
            charts.labour_allocation(content),
            charts.sankey(content),
        ],
        "needs": [
            {**need, "unit": units.get(need["product"], "")}
            for need in content["needs"][:PAGE_ROWS]
        ],
        "techniques": [
            {**technique, "unit": units.get(technique["product"], "")}
            for technique in sorted(content["techniques"], key=lambda t: -t["hours"])[:PAGE_ROWS]
        ],
        "products": content["products"],
        "priority_classes": len({target["priority"] for target in content["targets"]}),
        "total_hours": version.summary.get("total_hours"),
        "diff_form": forms.DiffForm(
            numbers=numbers, initial={"old": previous or version.number, "new": version.number}
        ),
        "matters": version.matters.select_related("motion"),
    }
    return render(request, "plans/version.html", context)


@login_required
@require_POST
def propose_adoption(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(PlanVersion, pk=pk)
    try:
        motion = services.propose_adoption(request.user, version.congress, version)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("plans:version", version.pk)
    messages.success(request, _("Motion to adopt tabled; the congress now votes on it."))
    return redirect("motion", motion.pk)


def diff(request: HttpRequest) -> HttpResponse:
    congress = _congress()
    numbers = list(
        PlanVersion.objects.filter(congress=congress)
        .order_by("number")
        .values_list("number", flat=True)
    )
    form = forms.DiffForm(request.GET or None, numbers=numbers)
    context: dict[str, Any] = {"form": form, "congress": congress}
    if form.is_valid():
        old = PlanVersion.objects.get(congress=congress, number=form.cleaned_data["old"])
        new = PlanVersion.objects.get(congress=congress, number=form.cleaned_data["new"])
        context.update(old=old, new=new, diff=services.diff_versions(old, new))
    return render(
        request,
        "plans/diff.html",
        context,
        status=200 if form.is_bound is False or form.is_valid() else 400,
    )


def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    participatory = get_object_or_404(ParticipatoryRound.objects.select_related("congress"), pk=pk)
    series = list(
        ParticipatoryRound.objects.filter(
            congress=participatory.congress, series=participatory.series
        ).order_by("number")
    )
    context = {
        "round": participatory,
        "series": series,
        "is_officer": is_officer(request.user, participatory.congress),
        "due": participatory.closed_at is None and timezone.now() >= participatory.deadline,
        "goods": (participatory.outcome or {}).get("goods", []),
        "prices": sorted(participatory.prices.items())[:PAGE_ROWS],
        "charts": [charts.rounds(series), charts.price_paths(series)],
        "version": participatory.versions.first(),
    }
    return render(request, "plans/round.html", context)


@login_required
@require_POST
def close_round(request: HttpRequest, pk: int) -> HttpResponse:
    participatory = get_object_or_404(ParticipatoryRound, pk=pk)
    try:
        closed = services.close_participatory_round(request.user, participatory)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Round %(n)d closed.") % {"n": closed.number})
    return redirect("plans:round", pk)


# --- a council's plan page --------------------------------------------------------------------


def council_plan(request: HttpRequest, slug: str, status: int = 200, **bound: Any) -> HttpResponse:
    council = get_object_or_404(Council, slug=slug)
    officer = is_officer(request.user, council)
    latest = (
        PlanVersion.objects.filter(congress__kind=CouncilKind.CONGRESS)
        .order_by("-created_at", "-pk")
        .first()
    )
    try:
        adopted: PlanVersion | None = services.adopted_version()
    except services.NoAdoptedPlan:
        adopted = None
    shown = [v for v in (adopted, latest) if v is not None]
    if len(shown) == 2 and shown[0].pk == shown[1].pk:
        shown = shown[:1]
    context: dict[str, Any] = {
        "council": council,
        "is_officer": officer,
        "products": Product.objects.values_list("name", flat=True),
        "latest": latest,
        "adopted": adopted,
        "open_round": services.open_round(),
    }
    if council.kind == CouncilKind.WORKPLACE:
        techniques = list(
            Technique.objects.filter(workplace=council)
            .select_related("product")
            .prefetch_related("inputs")
        )
        if context["open_round"] is not None:
            _price_at_round(techniques, context["open_round"].prices)
        context.update(
            techniques=techniques,
            norms=services.current_norms(council),
            technique_form=bound.get("technique_form") or forms.TechniqueForm(),
            upload_form=bound.get("upload_form") or forms.UploadForm(),
            norms_form=bound.get("norms_form") or forms.NormsForm(),
            parts=[(v, services.workplace_part(v, council)) for v in shown],
            matters=council.plan_matters.select_related("motion")[:10],
        )
    elif council.kind == CouncilKind.CONSUMER:
        uses = services.priority_classes(_congress()) or services.DEFAULT_USES
        demands = _open_demands(council) if officer else []
        context.update(
            needs=Need.objects.filter(council=council, withdrawn_at__isnull=True).select_related(
                "product", "demand"
            ),
            need_form=bound.get("need_form") or forms.NeedForm(uses=uses, demands=demands),
            parts=[(v, services.consumer_part(v, council)) for v in shown],
        )
    return render(request, "plans/council.html", context, status=status)


def _price_at_round(techniques: list[Technique], prices: dict[str, float]) -> None:
    """Attach each technique's price and cost per unit at an open round's indicative prices, so
    that a workplace sees which proposals pay their way before it revises them."""
    for technique in techniques:
        cost = technique.labour * prices.get(LABOUR, 1.0) + sum(
            i.quantity * prices.get(i.item, 0.0) for i in technique.inputs.all()
        )
        technique.round_price = prices.get(technique.product.name)  # type: ignore[attr-defined]
        technique.round_cost = cost / technique.output  # type: ignore[attr-defined]


def _open_demands(council: Council) -> list[Demand]:
    """Adopted demands this council may turn into needs: its own, or those it must meet."""
    return list(
        Demand.objects.filter(
            Q(council=council) | Q(responsible_body=council), status=DemandStatus.OPEN
        )
    )


def _need_form(request: HttpRequest, council: Council) -> forms.NeedForm:
    uses = services.priority_classes(_congress()) or services.DEFAULT_USES
    demands = _open_demands(council)
    return forms.NeedForm(request.POST, uses=uses, demands=demands)


@login_required
@require_POST
def declare(request: HttpRequest, slug: str) -> HttpResponse:
    council = get_object_or_404(Council, slug=slug)
    return _act(
        request,
        forms.TechniqueForm(request.POST),
        lambda data: services.declare_technique(request.user, council, **data),
        _("Technique declared."),
        lambda r, **kw: council_plan(r, slug, **kw),
        "technique_form",
    )


@login_required
@require_POST
def upload(request: HttpRequest, slug: str) -> HttpResponse:
    council = get_object_or_404(Council, slug=slug)

    def call(data: dict[str, Any]) -> Any:
        return services.upload_techniques(
            request.user,
            council,
            {"techniques.csv": data["techniques"].read(), "inputs.csv": data["inputs"].read()},
        )

    return _act(
        request,
        forms.UploadForm(request.POST, request.FILES),
        call,
        _("Techniques uploaded."),
        lambda r, **kw: council_plan(r, slug, **kw),
        "upload_form",
    )


@login_required
@require_POST
def propose_norms(request: HttpRequest, slug: str) -> HttpResponse:
    council = get_object_or_404(Council, slug=slug)
    return _act(
        request,
        forms.NormsForm(request.POST),
        lambda data: services.propose_norms(request.user, council, **data),
        _("Motion on the norms tabled; they take effect when the council carries it."),
        lambda r, **kw: council_plan(r, slug, **kw),
        "norms_form",
    )


@login_required
@require_POST
def submit_need(request: HttpRequest, slug: str) -> HttpResponse:
    council = get_object_or_404(Council, slug=slug)

    def call(data: dict[str, Any]) -> Any:
        chosen = data.pop("demand", None)
        demand = next((d for d in _open_demands(council) if d.pk == chosen), None)
        if chosen is not None and demand is None:
            raise InvalidInputError(_("that demand is not open in this council"), field="demand")
        return services.submit_need(request.user, council, demand=demand, **data)

    return _act(
        request,
        _need_form(request, council),
        call,
        _("Need submitted."),
        lambda r, **kw: council_plan(r, slug, **kw),
        "need_form",
    )
