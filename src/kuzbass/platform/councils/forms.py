"""Forms for the pages: labelled fields whose cleaned data the services take."""

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kuzbass.democracy import MotionKind, VotingMethod
from kuzbass.platform.councils.models import (
    Ballot,
    Council,
    DemandCategory,
    Mandate,
    Motion,
    Role,
)

RANKED_METHODS = (VotingMethod.SCHULZE.value, VotingMethod.INSTANT_RUNOFF.value)


class InvitationForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"), choices=[(Role.MEMBER, _("member")), (Role.OFFICER, _("officer"))]
    )
    note = forms.CharField(label=_("Note (who is this for?)"), max_length=200, required=False)


class RegisterForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email (optional)"), required=False)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    password_again = forms.CharField(label=_("Password again"), widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class MotionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of motion"), choices=[(kind.value, kind.value) for kind in MotionKind]
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(label=_("Text of the motion"), widget=forms.Textarea(attrs={"rows": 5}))
    mandate = forms.ModelChoiceField(
        label=_("Mandate to recall (recall motions)"),
        queryset=Mandate.objects.none(),
        required=False,
    )
    delegate_to = forms.ModelChoiceField(
        label=_("Delegate to (election motions; empty: the council's own delegate)"),
        queryset=Council.objects.none(),
        required=False,
    )
    mandate_instructions = forms.CharField(
        label=_("Mandate: the instructions the delegate carries (election motions)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    quorum = forms.CharField(label=_("New quorum (constitution motions)"), required=False)
    ordinary_threshold = forms.CharField(label=_("New ordinary threshold"), required=False)
    recall_threshold = forms.CharField(label=_("New recall threshold"), required=False)
    constitution_threshold = forms.CharField(label=_("New constitution threshold"), required=False)

    def __init__(self, council: Council, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mandate"].queryset = council.mandates.filter(  # type: ignore[attr-defined]
            ended_at__isnull=True
        ).select_related("delegate")
        self.fields["delegate_to"].queryset = Council.objects.filter(  # type: ignore[attr-defined]
            affiliates__member_council=council, affiliates__ended_at__isnull=True
        )
        for key, value in council.constitution_dict().items():
            self.fields[key].initial = value

    def proposed_constitution(self) -> dict[str, str] | None:
        if self.cleaned_data["kind"] != MotionKind.CONSTITUTION:
            return None
        return {
            key: self.cleaned_data[key]
            for key in (
                "quorum",
                "ordinary_threshold",
                "recall_threshold",
                "constitution_threshold",
            )
        }


class AmendmentForm(forms.Form):
    text = forms.CharField(
        label=_("New text of the motion"), widget=forms.Textarea(attrs={"rows": 4})
    )


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))


def _in_three_days() -> Any:
    return (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")


class BallotForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Voting method"),
        choices=[
            (VotingMethod.MAJORITY.value, _("yes / no / abstain (majority)")),
            (VotingMethod.APPROVAL.value, _("approval")),
            (VotingMethod.SCORE.value, _("score")),
            (VotingMethod.SCHULZE.value, _("ranked: Schulze")),
            (VotingMethod.INSTANT_RUNOFF.value, _("ranked: instant runoff")),
        ],
    )
    options = forms.CharField(
        label=_("Options or candidates, one per line (not for yes/no motions)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    opens_at = forms.DateTimeField(
        label=_("Opens at (UTC; empty: now)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        required=False,
    )
    closes_at = forms.DateTimeField(
        label=_("Closes at (UTC)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        initial=_in_three_days,
    )
    secret = forms.BooleanField(label=_("Secret ballot"), required=False, initial=True)
    max_score = forms.IntegerField(
        label=_("Highest score (score ballots)"), min_value=1, max_value=100, initial=5
    )
    amendment = forms.TypedChoiceField(
        label=_("Vote on an amendment instead of the motion"),
        coerce=int,
        required=False,
        empty_value=None,
    )

    def __init__(self, motion: Motion, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amendment"].choices = [("", _("— the motion itself —"))] + [  # type: ignore[attr-defined]
            (amendment.number, _("amendment %(number)s") % {"number": amendment.number})
            for amendment in motion.amendments.filter(status="proposed")
        ]

    def option_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["options"].splitlines() if line.strip()]


class VoteForm(forms.Form):
    """The ballot paper, with fields that depend on the voting method."""

    def __init__(self, ballot: Ballot, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ballot = ballot
        options = list(ballot.options)
        if ballot.method == VotingMethod.MAJORITY:
            self.fields["choice"] = forms.ChoiceField(
                label=_("Your vote"),
                choices=[
                    ("yes", pgettext_lazy("vote", "yes")),
                    ("no", pgettext_lazy("vote", "no")),
                    ("abstain", pgettext_lazy("vote", "abstain")),
                ],
                widget=forms.RadioSelect,
            )
        elif ballot.method == VotingMethod.APPROVAL:
            self.fields["approved"] = forms.MultipleChoiceField(
                label=_("The options you approve"),
                choices=[(option, option) for option in options],
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )
        elif ballot.method == VotingMethod.SCORE:
            for index, option in enumerate(options):
                self.fields[f"score_{index}"] = forms.IntegerField(
                    label=_("Score for %(option)s (0–%(top)s)")
                    % {"option": option, "top": ballot.max_score},
                    min_value=0,
                    max_value=ballot.max_score,
                    initial=0,
                )
        else:
            ranks = [("", _("not ranked"))] + [(str(n), str(n)) for n in range(1, len(options) + 1)]
            for index, option in enumerate(options):
                self.fields[f"rank_{index}"] = forms.ChoiceField(
                    label=_("Rank of %(option)s (1 = first choice)") % {"option": option},
                    choices=ranks,
                    required=False,
                )

    def content(self) -> Any:
        """The ballot content in the form ``kuzbass.democracy.validate_ballot`` takes."""
        data = self.cleaned_data
        options = list(self.ballot.options)
        if self.ballot.method == VotingMethod.MAJORITY:
            return data["choice"]
        if self.ballot.method == VotingMethod.APPROVAL:
            return list(data["approved"])
        if self.ballot.method == VotingMethod.SCORE:
            return {option: data[f"score_{i}"] for i, option in enumerate(options)}
        ranked = [
            (int(data[f"rank_{i}"]), option)
            for i, option in enumerate(options)
            if data.get(f"rank_{i}")
        ]
        if len({rank for rank, _option in ranked}) != len(ranked):
            raise forms.ValidationError(_("Give each rank to one option only."))
        return [option for _rank, option in sorted(ranked)]


class DemandForm(forms.Form):
    """Shown on the council page beside the motion form, so its element ids get their own
    prefix: two fields with the id ``id_title`` would point both labels at one field."""

    title = forms.CharField(label=_("Demand"), max_length=200)
    description = forms.CharField(
        label=_("Details"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    category = forms.ChoiceField(label=_("Category"), choices=DemandCategory.choices)
    responsible_body = forms.ModelChoiceField(
        label=_("Body responsible for meeting it"), queryset=Council.objects.all(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "demand_%s")
        super().__init__(*args, **kwargs)


class InPlanForm(forms.Form):
    note = forms.CharField(label=_("How the plan provides for it"), max_length=1000)


class AffiliationForm(forms.Form):
    member_council = forms.ModelChoiceField(
        label=_("Council to admit"), queryset=Council.objects.exclude(kind="congress")
    )


class ReceiptForm(forms.Form):
    code = forms.CharField(label=_("Your receipt code"), max_length=100)
