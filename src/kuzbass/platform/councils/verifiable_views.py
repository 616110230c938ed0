"""The pages of end-to-end verifiable ballots: the council's choice and trustees, a ballot's page
(the trustees' progress and uploads, voting in the browser with ``vote.js``, the trackers cast,
the encrypted tally and the result), and the ledger export the browser verifier reads."""

import json
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kuzbass import ledger
from kuzbass.platform.core.errors import NotFoundError, ServiceError
from kuzbass.platform.core.permissions import is_officer
from kuzbass.platform.councils.models import (
    Council,
    Stage,
    TrusteeStep,
    VerifiableRule,
    VoterRoll,
)
from kuzbass.platform.councils.services import ballots as ordinary
from kuzbass.platform.councils.services import verifiable
from kuzbass.platform.ledger.models import LedgerEvent
from kuzbass.platform.ledger.services import iter_events


class RuleForm(django_forms.Form):
    trustees = django_forms.CharField(
        label=gettext_lazy("Trustees"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy(
            "Usernames of members, comma-separated, at least three (empty: ordinary secret "
            "ballots)."
        ),
    )
    threshold = django_forms.IntegerField(
        label=gettext_lazy("Trustees needed to decrypt"), min_value=0, max_value=100, initial=2
    )


class UploadForm(django_forms.Form):
    step = django_forms.ChoiceField(label=gettext_lazy("Step"), choices=TrusteeStep.choices)
    payload = django_forms.CharField(
        label=gettext_lazy("The JSON file the command wrote"),
        widget=django_forms.Textarea(attrs={"rows": 6}),
        max_length=2_000_000,
    )

    def clean_payload(self) -> Any:
        try:
            return json.loads(self.cleaned_data["payload"])
        except ValueError as error:
            raise django_forms.ValidationError(_("This is not JSON: %s") % error) from error


def rule(request: HttpRequest, slug: str) -> HttpResponse:
    """The council's choice of verifiable ballots; officers change it here (POST)."""
    council = get_object_or_404(Council, slug=slug)
    current = VerifiableRule.objects.filter(council=council).first()
    status = 200
    form = RuleForm(
        request.POST or None,
        initial={
            "trustees": ", ".join(current.trustees) if current else "",
            "threshold": current.threshold if current else 2,
        },
    )
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                verifiable.set_rule(
                    request.user,
                    council,
                    form.cleaned_data["trustees"].split(","),
                    form.cleaned_data["threshold"],
                )
                messages.success(request, _("The council's ballot rule is recorded."))
                return redirect("verifiable_rule", slug=slug)
            except ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = error.status
    return render(
        request,
        "councils/verifiable_rule.html",
        {
            "council": council,
            "rule": current,
            "form": form,
            "officer": is_officer(request.user, council),
        },
        status=status,
    )


def ballot(request: HttpRequest, ballot_id: int, form: UploadForm | None = None) -> HttpResponse:
    """The ballot's trustees and their progress, voting in the browser, the trackers cast, the
    result, and how to check it all."""
    try:
        record = verifiable.get(ballot_id)
    except NotFoundError as error:
        raise Http404(error.message) from error
    the_ballot = record.ballot
    user = request.user
    trustee = user.is_authenticated and user.get_username() in record.trustees
    on_roll = (
        user.is_authenticated
        and ordinary.eligible_memberships(the_ballot).filter(user_id=user.pk).exists()
    )
    voted = on_roll and VoterRoll.objects.filter(ballot=the_ballot, voter_id=user.pk).exists()
    handed_in = set(record.uploads.values_list("trustee", "step"))
    steps = [
        {
            "number": number,
            "name": name,
            "done": [step.label for step in TrusteeStep if (number, step.value) in handed_in],
        }
        for number, name in enumerate(record.trustees, start=1)
    ]
    papers = LedgerEvent.objects.filter(
        kind="ballot.encrypted_paper", payload__ballot=record.name
    ).order_by("sequence")
    return render(
        request,
        "councils/verifiable.html",
        {
            "record": record,
            "ballot": the_ballot,
            "motion": the_ballot.motion,
            "steps": steps,
            "trustee": trustee,
            "form": form or UploadForm(),
            "can_vote": on_roll
            and not voted
            and record.stage == Stage.OPEN
            and ordinary.ballot_state(the_ballot) == "open",
            "voted": voted,
            "papers": papers,
            "question": verifiable.question(the_ballot).to_json(),
        },
        status=400 if form is not None else 200,
    )


@login_required
@require_POST
def upload(request: HttpRequest, ballot_id: int) -> HttpResponse:
    """A trustee pastes the JSON one ``kuzbass ballot trustee`` step wrote."""
    form = UploadForm(request.POST)
    if form.is_valid():
        try:
            verifiable.upload(
                request.user, ballot_id, form.cleaned_data["step"], form.cleaned_data["payload"]
            )
            messages.success(request, _("Handed in."))
            return redirect("verifiable_ballot", ballot_id=ballot_id)
        except ServiceError as error:
            form.add_error(None, error.message)
    return ballot(request, ballot_id, form)


def ledger_export(request: HttpRequest) -> StreamingHttpResponse:
    """The whole ledger as JSON lines, as ``kuzbass ledger export`` writes it: what the browser
    verifier and ``kuzbass ballot verify --file`` read."""
    lines = (ledger.canonical_json(event.to_dict()) + b"\n" for event in iter_events())
    response = StreamingHttpResponse(lines, content_type="application/jsonl; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="kuzbass-ledger.jsonl"'
    return response
