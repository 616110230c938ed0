"""Forms for the account pages; the services do the checking that needs the database."""

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from kuzbass.platform.councils.models import Council


class RegistrationForm(forms.Form):
    prefix = "registration"  # the workplace page has several forms: keep their ids apart
    worker = forms.ModelChoiceField(label=_("Worker"), queryset=get_user_model().objects.none())
    hours = forms.DecimalField(label=_("Hours worked"), max_digits=8, decimal_places=2)
    period = forms.CharField(label=_("Period (e.g. 1989-07)"), max_length=20)
    key = forms.CharField(
        label=_("Reference (time-sheet line)"),
        max_length=80,
        help_text=_("Each reference is registered once, so a re-sent sheet never doubles hours."),
    )

    def __init__(self, council: Council, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["worker"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            get_user_model()
            .objects.filter(memberships__council=council, memberships__ended_at__isnull=True)
            .order_by("username")
        )


class ThresholdForm(forms.Form):
    prefix = "threshold"
    threshold = forms.CharField(
        label=_("Deviation threshold"),
        max_length=20,
        help_text=_(
            "A share such as 1/10: actual figures further than this from the plan are flagged."
        ),
    )


class FulfilmentForm(forms.Form):
    prefix = "report"
    period = forms.CharField(label=_("Period"), max_length=20)
    product = forms.CharField(label=_("Product"), max_length=100)
    planned_output = forms.DecimalField(label=_("Planned output"), max_digits=18, decimal_places=4)
    actual_output = forms.DecimalField(label=_("Actual output"), max_digits=18, decimal_places=4)
    planned_hours = forms.DecimalField(
        label=_("Planned hours"),
        max_digits=18,
        decimal_places=4,
        required=False,
        help_text=_("Leave empty not to compare hours."),
    )


class ConsumptionForm(forms.Form):
    """One quantity field per good of the adopted plan, labelled with its price in hours."""

    def __init__(self, values: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for product, value in sorted(values.items()):
            self.fields[product] = forms.DecimalField(
                label=_("%(product)s (%(hours)s h per unit)")
                % {"product": product, "hours": f"{value:.4f}"},
                required=False,
                min_value=0,
                max_digits=18,
                decimal_places=4,
            )

    def lines(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if value}


class PriceListForm(forms.Form):
    price_list = forms.FileField(
        label=_("Price list (CSV: product,price_rubles)"),
        help_text=_("Compare under your own price list instead of the 1989 state prices."),
    )
