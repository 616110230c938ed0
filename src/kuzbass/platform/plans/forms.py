"""Forms of the plan pages. They shape the input; the services decide what is allowed."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class TechniqueForm(forms.Form):
    name = forms.CharField(label=_("Technique name"), max_length=120)
    product = forms.CharField(
        label=_("Product it makes"),
        max_length=120,
        widget=forms.TextInput(attrs={"list": "catalogue-products"}),
    )
    output = forms.FloatField(label=_("Output proposed for the period"))
    labour = forms.FloatField(label=_("Labour hours for that output"))
    capacity = forms.FloatField(
        label=_("Capacity per period"),
        required=False,
        help_text=_("Most output per period under the norms now in force; empty: no limit."),
    )
    inputs = forms.CharField(
        label=_("Inputs for that output"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: product or resource, a comma, the quantity (coal, 5)."),
    )

    def clean_inputs(self) -> dict[str, str]:
        parsed: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["inputs"].splitlines(), start=1):
            if not line.strip():
                continue
            name, comma, quantity = line.rpartition(",")
            if not comma or not name.strip():
                raise forms.ValidationError(
                    _("line %(n)d: write the input, a comma, and the quantity"),
                    params={"n": number},
                )
            if name.strip() in parsed:
                raise forms.ValidationError(
                    _("line %(n)d: %(name)s is given twice"), params={"n": number, "name": name}
                )
            parsed[name.strip()] = quantity.strip()
        return parsed


class UploadForm(forms.Form):
    techniques = forms.FileField(label=_("techniques.csv (technique,product,output[,capacity])"))
    inputs = forms.FileField(
        label=_("inputs.csv (technique,input,quantity; labour is the input named labour)")
    )


class NormsForm(forms.Form):
    hours_per_shift = forms.FloatField(label=_("Hours per shift"))
    days_per_period = forms.FloatField(label=_("Working days per period"))
    workers = forms.IntegerField(label=_("Workers"), required=False, min_value=1)


class NeedForm(forms.Form):
    product = forms.CharField(
        label=_("Product"),
        max_length=120,
        widget=forms.TextInput(attrs={"list": "catalogue-products"}),
    )
    quantity = forms.FloatField(label=_("Quantity for the period"))
    use = forms.ChoiceField(label=_("Use"))
    demand = forms.TypedChoiceField(
        label=_("From the adopted demand"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, uses: list[str], demands: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_field, demand_field = self.fields["use"], self.fields["demand"]
        assert isinstance(use_field, forms.ChoiceField)
        assert isinstance(demand_field, forms.ChoiceField)
        use_field.choices = [(name, name) for name in uses]
        demand_field.choices = [("", "—")] + [
            (demand.pk, f"{demand.number}: {demand.title}") for demand in demands
        ]


class PrioritiesForm(forms.Form):
    classes = forms.CharField(
        label=_("Priority classes, first first"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One use per line, for example: basic needs, public services, investment."),
    )

    def clean_classes(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["classes"].splitlines() if line.strip()]


class RulesForm(forms.Form):
    round_limit = forms.IntegerField(label=_("Most participatory rounds"), min_value=1)
    need_threshold = forms.FloatField(
        label=_("Flag needs met below (share, 0–1)"), min_value=0, max_value=1
    )
    tolerance_percent = forms.FloatField(
        label=_("A good is balanced within (%)"), min_value=0, max_value=100, initial=3.0
    )


class RoundForm(forms.Form):
    deadline = forms.DateTimeField(
        label=_("Proposals close at (UTC)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class CatalogueForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Register"), choices=[("product", _("a product")), ("resource", _("a resource"))]
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    unit = forms.CharField(label=_("Unit"), max_length=40)
    available = forms.FloatField(
        label=_("Available per period (resources; empty: unlimited)"), required=False
    )


class DiffForm(forms.Form):
    old = forms.TypedChoiceField(label=_("Compare version"), coerce=int)
    new = forms.TypedChoiceField(label=_("with version"), coerce=int)

    def __init__(self, *args: Any, numbers: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(number, str(number)) for number in numbers]
        for name in ("old", "new"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices
