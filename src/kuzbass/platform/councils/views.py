"""The pages. Each action view validates a form, calls one service, and shows its refusal
(with the service's HTTP status) beside the form it concerns."""

import json
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kuzbass.platform.core import clock
from kuzbass.platform.core.errors import ServiceError
from kuzbass.platform.core.permissions import active_membership, is_officer
from kuzbass.platform.councils import forms, services
from kuzbass.platform.councils.models import (
    Ballot,
    Council,
    Demand,
    DemandStatus,
    Membership,
    Motion,
    Petition,
    VerifiableBallot,
    VoterRoll,
)
from kuzbass.platform.ledger.models import LedgerEvent
from kuzbass.platform.ledger.services import current_head

# The kinds of event that name a motion or a ballot in their payload: filtering on the indexed
# kind first keeps these pages fast however many events other apps write.
MOTION_EVENTS = (
    "motion.tabled",
    "petition.signed",
    "amendment.proposed",
    "ballot.opened",
    "ballot.closed",
    "amendment.decided",
    "motion.decided",
    "delegate.elected",
    "delegate.recalled",
    "demand.status_changed",
    "council.constitution_changed",
)
BALLOT_EVENTS = ("ballot.opened", "ballot.closed", "motion.decided")
MODEL_BACKEND = "kuzbass.platform.sessions.ModelBackend"
"""The backend that logs in a person who has just registered (django-axes' comes first)."""


def _refusal(form: django_forms.Form, error: ServiceError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def home(request: HttpRequest) -> HttpResponse:
    councils = Council.objects.annotate(
        members=Count("memberships", filter=Q(memberships__ended_at__isnull=True))
    )
    events = LedgerEvent.objects.order_by("-sequence")[:10]
    return render(request, "councils/home.html", {"councils": councils, "events": events})


def _council_context(request: HttpRequest, council: Council, **extra: Any) -> dict[str, Any]:
    membership = active_membership(request.user, council)
    context: dict[str, Any] = {
        "council": council,
        "membership": membership,
        "is_officer": membership is not None and membership.role == "officer",
        "members": council.memberships.filter(ended_at__isnull=True).select_related(
            "user", "represents"
        ),
        "affiliates": council.affiliates.filter(ended_at__isnull=True).select_related(
            "member_council"
        ),
        "affiliations": council.affiliations.filter(ended_at__isnull=True).select_related("body"),
        "motions": council.motions.select_related("tabled_by")[:50],
        "demands": council.demands.select_related("responsible_body")[:50],
        "mandates": council.mandates.select_related("delegate", "body", "ended_by"),
        "seats": _seats(council),
        "motion_form": forms.MotionForm(council),
        "demand_form": forms.DemandForm(initial={"responsible_body": council}),
        "invitation_form": forms.InvitationForm(),
        "affiliation_form": forms.AffiliationForm(),
    }
    context.update(extra)
    return context


def _seats(council: Council) -> list[tuple[Council, int, int]] | str:
    """For a federation or congress: each member council, its seats and its seated delegates,
    or the reason the seats cannot be shared."""
    if not council.is_council_of_councils:
        return []
    try:
        allocation = services.seat_allocation(council)
    except ServiceError as error:
        return error.message
    return [
        (
            affiliation.member_council,
            allocation.get(affiliation.member_council.slug, 0),
            affiliation.member_council.mandates.filter(body=council, ended_at__isnull=True).count(),
        )
        for affiliation in council.affiliates.filter(ended_at__isnull=True).select_related(
            "member_council"
        )
    ]


def council_detail(request: HttpRequest, slug: str) -> HttpResponse:
    council = get_object_or_404(Council, slug=slug)
    return render(request, "councils/council.html", _council_context(request, council))


@login_required
@require_POST
def invite(request: HttpRequest, slug: str) -> HttpResponse:
    council = get_object_or_404(Council, slug=slug)
    form = forms.InvitationForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            issued = services.invite(request.user, council, **form.cleaned_data)
        except ServiceError as error:
            _refusal(form, error)
            status = error.status
        else:
            link = request.build_absolute_uri(reverse("invitation", args=[issued.token]))
            return render(
                request,
                "councils/council.html",
                _council_context(request, council, invitation_link=link),
            )
    return render(
        request,
        "councils/council.html",
        _council_context(request, council, invitation_form=form),
        status=status,
    )


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation: a logged-in person joins; a newcomer registers and joins at once."""
    try:
        found = services.find_invitation(token)
    except ServiceError as error:
        return render(
            request, "councils/invitation.html", {"problem": error.message}, status=error.status
        )
    form = forms.RegisterForm(request.POST or None)
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                services.accept_invitation(token, request.user)
            elif form.is_valid():
                membership = services.register_and_accept(
                    token,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password"],
                    email=form.cleaned_data["email"],
                )
                login(request, membership.user, backend=MODEL_BACKEND)
            else:
                return render(
                    request,
                    "councils/invitation.html",
                    {"invitation": found, "form": form},
                    status=400,
                )
        except ServiceError as error:
            _refusal(form, error)
            return render(
                request,
                "councils/invitation.html",
                {"invitation": found, "form": form},
                status=error.status,
            )
        messages.success(request, _("Welcome to %(council)s.") % {"council": found.council.name})
        return redirect("council", slug=found.council.slug)
    return render(request, "councils/invitation.html", {"invitation": found, "form": form})


@login_required
@require_POST
def join(request: HttpRequest, slug: str) -> HttpResponse:
    council = get_object_or_404(Council, slug=slug)
    try:
        services.join_open_council(request.user, council)
    except ServiceError as error:
        messages.error(request, error.message)
        return render(
            request,
            "councils/council.html",
            _council_context(request, council),
            status=error.status,
        )
    return redirect("council", slug=slug)


@login_required
@require_POST
def affiliate(request: HttpRequest, slug: str) -> HttpResponse:
    council = get_object_or_404(Council, slug=slug)
    form = forms.AffiliationForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.affiliate(request.user, council, form.cleaned_data["member_council"])
            return redirect("council", slug=slug)
        except ServiceError as error:
            _refusal(form, error)
            status = error.status
    return render(
        request,
        "councils/council.html",
        _council_context(request, council, affiliation_form=form),
        status=status,
    )


@login_required
@require_POST
def table_motion(request: HttpRequest, slug: str) -> HttpResponse:
    council = get_object_or_404(Council, slug=slug)
    form = forms.MotionForm(council, request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            motion = services.table_motion(
                request.user,
                council,
                title=data["title"],
                text=data["text"],
                kind=data["kind"],
                mandate=data["mandate"],
                delegate_to=data["delegate_to"],
                mandate_instructions=data["mandate_instructions"],
                proposed_constitution=form.proposed_constitution(),
            )
            return redirect("motion", motion_id=motion.pk)
        except ServiceError as error:
            _refusal(form, error)
            status = error.status
    return render(
        request,
        "councils/council.html",
        _council_context(request, council, motion_form=form),
        status=status,
    )


@login_required
@require_POST
def raise_demand(request: HttpRequest, slug: str) -> HttpResponse:
    council = get_object_or_404(Council, slug=slug)
    form = forms.DemandForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            demand = services.raise_demand(request.user, council, **form.cleaned_data)
            return redirect("demand", demand_id=demand.pk)
        except ServiceError as error:
            _refusal(form, error)
            status = error.status
    return render(
        request,
        "councils/council.html",
        _council_context(request, council, demand_form=form),
        status=status,
    )


def _ballot_view(request: HttpRequest, ballot: Ballot, **extra: Any) -> dict[str, Any]:
    """What the ballot fragment shows: the voting form, the receipt, or the result."""
    user = request.user
    voted = user.is_authenticated and VoterRoll.objects.filter(ballot=ballot, voter=user).exists()
    eligible = (
        user.is_authenticated and services.eligible_memberships(ballot).filter(user=user).exists()
    )
    now = clock.now()
    view: dict[str, Any] = {
        "ballot": ballot,
        "voted": voted,
        "can_vote": eligible and not voted and ballot.is_open_at(now),
        "not_yet_open": ballot.opens_at > now,
        # Due but not yet closed by the worker: shown as closing, never closed by a page view.
        "closing": ballot.closed_at is None and services.closing_reason(ballot) is not None,
        "turnout": ballot.roll.count(),
        "vote_form": forms.VoteForm(ballot, prefix=f"b{ballot.pk}"),
        "chart": _chart(ballot),
        "verifiable": VerifiableBallot.objects.filter(ballot_id=ballot.pk).first(),
    }
    view.update(extra)
    return view


def _chart(ballot: Ballot) -> dict[str, Any] | None:
    """Bar data for plotly: the counts of the final tally, option by option."""
    if not ballot.result:
        return None
    counts = ballot.result.get("counts") or {}
    if not isinstance(counts, dict) or not counts:
        return None
    labels = [str(label) for label in counts]
    values = [float(value) if not isinstance(value, dict) else 0.0 for value in counts.values()]
    return {
        "id": f"chart-{ballot.pk}",
        "labels": labels,
        "values": values,
        "title": _("Tally (%(method)s)") % {"method": ballot.method},
    }


def motion_detail(
    request: HttpRequest, motion_id: int, status: int = 200, **extra: Any
) -> HttpResponse:
    motion = get_object_or_404(Motion.objects.select_related("council", "tabled_by"), pk=motion_id)
    replaced = extra.pop("replaced_ballots", {})
    ballots = [
        replaced.get(ballot.pk) or _ballot_view(request, ballot)
        for ballot in motion.ballots.select_related("amendment").order_by("opens_at")
    ]
    membership = active_membership(request.user, motion.council)
    context = {
        "motion": motion,
        "council": motion.council,
        "membership": membership,
        "is_officer": membership is not None and membership.role == "officer",
        "ballots": ballots,
        "amendments": motion.amendments.select_related("proposed_by"),
        "comments": motion.comments.select_related("author"),
        "amendment_form": forms.AmendmentForm(),
        "comment_form": forms.CommentForm(),
        "ballot_form": forms.BallotForm(motion),
        "petition": Petition.objects.filter(motion=motion).first(),
        "petition_needed": services.signatures_needed(motion),
        "events": LedgerEvent.objects.filter(
            kind__in=MOTION_EVENTS, payload__motion=motion.pk
        ).order_by("sequence"),
    }
    context.update(extra)
    return render(request, "councils/motion.html", context, status=status)


def _motion_action(
    request: HttpRequest,
    motion_id: int,
    form_class: type[django_forms.Form],
    form_name: str,
    action: Any,
) -> HttpResponse:
    motion = get_object_or_404(Motion, pk=motion_id)
    form = (
        form_class(motion, request.POST)
        if form_class is forms.BallotForm
        else form_class(request.POST)
    )
    status = 400
    if form.is_valid():
        try:
            action(motion, form)
            return redirect("motion", motion_id=motion.pk)
        except ServiceError as error:
            _refusal(form, error)
            status = error.status
    return motion_detail(request, motion.pk, status=status, **{form_name: form})


@login_required
@require_POST
def amend(request: HttpRequest, motion_id: int) -> HttpResponse:
    return _motion_action(
        request,
        motion_id,
        forms.AmendmentForm,
        "amendment_form",
        lambda motion, form: services.propose_amendment(
            request.user, motion, text=form.cleaned_data["text"]
        ),
    )


@login_required
@require_POST
def add_comment(request: HttpRequest, motion_id: int) -> HttpResponse:
    return _motion_action(
        request,
        motion_id,
        forms.CommentForm,
        "comment_form",
        lambda motion, form: services.comment(request.user, motion, text=form.cleaned_data["text"]),
    )


@login_required
@require_POST
def open_ballot(request: HttpRequest, motion_id: int) -> HttpResponse:
    def action(motion: Motion, form: forms.BallotForm) -> None:
        data = form.cleaned_data
        amendment = (
            motion.amendments.filter(number=data["amendment"]).first()
            if data["amendment"]
            else None
        )
        services.open_ballot(
            request.user,
            motion,
            method=data["method"],
            options=form.option_list(),
            opens_at=data["opens_at"],
            closes_at=data["closes_at"],
            secret=data["secret"],
            max_score=data["max_score"],
            amendment=amendment,
        )

    return _motion_action(request, motion_id, forms.BallotForm, "ballot_form", action)


@login_required
@require_POST
def sign_petition(request: HttpRequest, motion_id: int) -> HttpResponse:
    """Sign the petition for a ballot on the motion (no form fields: the button is the act)."""
    motion = get_object_or_404(Motion, pk=motion_id)
    try:
        services.sign_petition(request.user, motion)
    except ServiceError as error:
        return motion_detail(
            request, motion.pk, status=error.status, petition_problem=error.message
        )
    return redirect("motion", motion_id=motion.pk)


@require_POST
def vote(request: HttpRequest, ballot_id: int) -> HttpResponse:
    """Cast a vote from the motion page; with htmx only the ballot's fragment is replaced."""
    ballot = get_object_or_404(Ballot.objects.select_related("motion"), pk=ballot_id)
    form = forms.VoteForm(ballot, request.POST, prefix=f"b{ballot.pk}")
    status = 400
    receipt = None
    problem = ""
    if form.is_valid():
        try:
            receipt = services.cast_vote(request.user, ballot, form.content())
            status = 200
            ballot = services.settle(ballot)
        except django_forms.ValidationError as error:
            form.add_error(None, error)
        except ServiceError as error:
            _refusal(form, error)
            problem = error.message
            status = error.status
    ballot.refresh_from_db()
    view = _ballot_view(request, ballot, receipt=receipt, problem=problem)
    if receipt is None and view["can_vote"]:
        view["vote_form"] = form  # the filled-in paper, with its errors
    if getattr(request, "htmx", False):
        motion = Motion.objects.get(pk=ballot.motion_id)  # its status may have just changed
        return render(
            request, "councils/_vote_response.html", {"b": view, "motion": motion}, status=status
        )
    return motion_detail(
        request, ballot.motion_id, status=status, replaced_ballots={ballot.pk: view}
    )


def ballot_detail(request: HttpRequest, ballot_id: int) -> HttpResponse:
    """Results: the tally with quorum and threshold, the chart, the roll and every paper."""
    ballot = get_object_or_404(Ballot.objects.select_related("motion__council"), pk=ballot_id)
    published = services.publication(ballot) if ballot.closed_at else None
    return render(
        request,
        "councils/ballot.html",
        {
            "b": _ballot_view(request, ballot),
            "motion": ballot.motion,
            "published": published,
            "roll": ballot.roll_names(),
            "events": LedgerEvent.objects.filter(
                kind__in=BALLOT_EVENTS, payload__ballot=ballot.pk
            ).order_by("sequence"),
        },
    )


def receipt_check(request: HttpRequest) -> HttpResponse:
    form = forms.ReceiptForm(request.GET or None)
    ballot = None
    if form.is_valid():
        ballot = services.find_receipt(form.cleaned_data["code"])
        if ballot is None:
            form.add_error("code", _("No ballot paper carries this receipt code."))
    return render(
        request,
        "councils/receipt.html",
        {"form": form, "ballot": ballot},
        status=404 if form.is_bound and ballot is None else 200,
    )


def demand_tracker(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    demands = Demand.objects.select_related("council", "responsible_body").order_by("-raised_at")
    if status in DemandStatus.values:
        demands = demands.filter(status=status)
    counts = dict(Demand.objects.values_list("status").annotate(n=Count("id")).order_by())
    return render(
        request,
        "councils/demands.html",
        {
            "demands": demands[:500],
            "status": status,
            "statuses": [
                (value, label, counts.get(value, 0)) for value, label in DemandStatus.choices
            ],
        },
    )


def demand_detail(request: HttpRequest, demand_id: int) -> HttpResponse:
    demand = get_object_or_404(
        Demand.objects.select_related("council", "responsible_body"), pk=demand_id
    )
    form = forms.InPlanForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?next={request.path}")
        status = 400
        if form.is_valid():
            try:
                services.put_demand_in_plan(request.user, demand, note=form.cleaned_data["note"])
                return redirect("demand", demand_id=demand.pk)
            except ServiceError as error:
                _refusal(form, error)
                status = error.status
    can_plan = (
        demand.responsible_body is not None
        and demand.status == DemandStatus.OPEN
        and is_officer(request.user, demand.responsible_body)
    )
    return render(
        request,
        "councils/demand.html",
        {
            "demand": demand,
            "history": demand.history.select_related("motion", "changed_by"),
            "motions": demand.motions.all(),
            "form": form,
            "can_plan": can_plan,
        },
        status=status,
    )


def ledger_list(request: HttpRequest) -> HttpResponse:
    events = LedgerEvent.objects.order_by("-sequence")
    kind = request.GET.get("kind", "")
    if kind:
        events = events.filter(kind=kind)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    kinds = LedgerEvent.objects.values_list("kind", flat=True).distinct().order_by("kind")
    return render(
        request,
        "ledger/list.html",
        {"page": page, "kind": kind, "kinds": kinds, "head": current_head()},
    )


def ledger_event(request: HttpRequest, sequence: int) -> HttpResponse:
    event = get_object_or_404(LedgerEvent, sequence=sequence)
    return render(
        request,
        "ledger/event.html",
        {
            "event": event,
            "payload": json.dumps(event.payload, indent=2, sort_keys=True, ensure_ascii=False),
        },
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The member's own page: their councils, the ballots awaiting their vote, their demands."""
    user: Any = request.user
    memberships = Membership.objects.filter(user=user, ended_at__isnull=True).select_related(
        "council", "represents"
    )
    now = clock.now()
    awaiting = [
        ballot
        for ballot in Ballot.objects.filter(
            motion__council__in=[m.council for m in memberships],
            closed_at__isnull=True,
            opens_at__lte=now,
            closes_at__gt=now,
        )
        .exclude(roll__voter=user)
        .select_related("motion__council")
        if services.eligible_memberships(ballot).filter(user=user).exists()
    ]
    return render(
        request,
        "councils/dashboard.html",
        {
            "memberships": memberships,
            "awaiting": awaiting,
            "demands": Demand.objects.filter(raised_by=user).select_related("council"),
            "mandates": user.mandates.select_related("council", "body"),
            "motions": Motion.objects.filter(tabled_by=user).select_related("council")[:20],
        },
    )
