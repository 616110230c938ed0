"""The plan cycle's data. Rows change only through ``kuzbass.platform.plans.services``.

Declarations (techniques, needs) are the councils' current proposals: a revision replaces the
row's numbers, and the ledger event recording it carries the old and new numbers. Plan versions
keep everything a round computed, so that no later revision changes a published draft; an adopted
version can no longer be changed at all.
"""

from typing import Any, cast

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kuzbass.platform.councils.models import Council, Demand, Motion
from kuzbass.platform.ledger.models import Sealed
from kuzbass.platform.plans.content import PlanContent


class ProductKind(models.TextChoices):
    """Who supplies and who demands a product in the participatory rounds."""

    PRIVATE = "private", _("consumed by each consumer council on its own")
    PUBLIC = "public", _("consumed by all consumer councils together")
    INTERMEDIATE = "intermediate", _("used by workplaces only")


class ResourceKind(models.TextChoices):
    NATURAL_RESOURCE = "natural_resource", _("natural resource")
    LABOUR = "labour", _("labour (offered by workplaces' members)")


class Product(Sealed):
    """A product of the economy's catalogue, registered by the congress."""

    name = models.CharField(_("product"), max_length=120, unique=True)
    unit = models.CharField(_("unit"), max_length=40)
    kind = models.CharField(
        _("kind"), max_length=20, choices=ProductKind.choices, default=ProductKind.PRIVATE
    )
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Resource(Sealed):
    """A natural resource (or labour of the whole economy) with the stock available per period."""

    name = models.CharField(_("resource"), max_length=120, unique=True)
    unit = models.CharField(_("unit"), max_length=40)
    available = models.FloatField(
        _("available per period"), null=True, blank=True, help_text=_("Empty means unlimited.")
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=ResourceKind.choices,
        default=ResourceKind.NATURAL_RESOURCE,
    )
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Technique(Sealed):
    """A workplace's declared way of making a product: its proposal for the period.

    ``output`` is the output the workplace proposes to make in the period; ``labour`` the hours
    and the inputs the quantities that output needs. ``capacity`` is the most it can make in a
    period under the norms in force when it was declared (``norm_hours`` operating hours), so a
    later vote on norms scales it.
    """

    name = models.CharField(_("technique"), max_length=120, unique=True)
    workplace = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="techniques")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="techniques")
    output = models.FloatField(_("output per period"))
    labour = models.FloatField(_("labour hours for that output"))
    capacity = models.FloatField(_("capacity per period"), null=True, blank=True)
    norm_hours = models.FloatField(_("operating hours per period when declared"))
    active = models.BooleanField(default=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    declared_at = models.DateTimeField()

    class Meta:
        ordering = (
            "workplace",
            "name",
        )
        indexes = (models.Index(fields=["active", "workplace"]),)

    def __str__(self) -> str:
        return self.name


class TechniqueInput(models.Model):
    """One input of a technique: a product or a resource, for the technique's declared output."""

    technique = models.ForeignKey(Technique, on_delete=models.CASCADE, related_name="inputs")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, related_name="+")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, null=True, related_name="+")
    item = models.CharField(max_length=120)
    quantity = models.FloatField()

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["technique", "item"], name="one_row_per_input"),
            models.CheckConstraint(
                condition=models.Q(product__isnull=True) ^ models.Q(resource__isnull=True),
                name="input_is_product_or_resource",
            ),
        )

    def __str__(self) -> str:
        return f"{self.quantity:g} {self.item} for {self.technique_id}"


class Need(Sealed):
    """A consumer council's need for the period: a product, a quantity, and the use it serves."""

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="needs")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="needs")
    use = models.CharField(_("use"), max_length=80)
    quantity = models.FloatField(_("quantity"))
    demand = models.ForeignKey(
        Demand, on_delete=models.PROTECT, null=True, blank=True, related_name="needs"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = (
            "council",
            "product__name",
        )
        constraints = (
            models.UniqueConstraint(
                fields=["council", "product", "use"], name="one_need_per_product_and_use"
            ),
        )

    def __str__(self) -> str:
        return f"{self.council.slug} needs {self.quantity:g} {self.product.name}"


class MatterKind(models.TextChoices):
    NORMS = "norms", _("norms of a workplace")
    PRIORITIES = "priorities", _("priority classes of uses")
    RULES = "rules", _("planning rules")
    ADOPTION = "adoption", _("adoption of a plan version")


class PlanMatter(Sealed):
    """A plan question put to a council's vote; its content takes effect when the motion carries.

    Norms are voted by a workplace council; priority classes, planning rules and adoption by the
    congress. ``applied_at`` is set in the transaction that closes the carrying ballot.
    """

    motion = models.OneToOneField(Motion, on_delete=models.PROTECT, related_name="plan_matter")
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="plan_matters")
    kind = models.CharField(max_length=20, choices=MatterKind.choices)
    content = models.JSONField()
    version = models.ForeignKey(
        "PlanVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="matters"
    )
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-pk",)
        indexes = (models.Index(fields=["council", "kind", "applied_at"]),)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} before {self.council.slug} (motion {self.motion_id})"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    ADOPTED = "adopted", _("adopted")


class ImmutableVersionError(Exception):
    """An adopted plan version was about to be changed."""


class PlanVersion(Sealed):
    """What one planning run computed from the declarations of its moment, kept whole.

    ``content`` holds the plan (fulfilment, intensities, valuations, explanations), each council's
    part and the flags; ``content_hash`` is the SHA-256 of its canonical JSON. Once adopted the
    row refuses every change.
    """

    congress = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="plan_versions")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    mode = models.CharField(max_length=20)
    participatory_round = models.ForeignKey(
        "ParticipatoryRound",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="versions",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    summary = models.JSONField()
    content = models.JSONField()
    content_hash = models.CharField(max_length=64)
    adopted_at = models.DateTimeField(null=True, blank=True)
    adopted_by = models.ForeignKey(
        Motion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = (
            "congress",
            "-number",
        )
        constraints = (
            models.UniqueConstraint(fields=["congress", "number"], name="plan_version_number"),
        )

    def __str__(self) -> str:
        return f"plan version {self.number} ({self.get_status_display()})"

    @property
    def plan_content(self) -> PlanContent:
        """The content, typed: what the planning run computed."""
        return cast(PlanContent, self.content)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if (
            self.pk is not None
            and PlanVersion.objects.filter(pk=self.pk, status=VersionStatus.ADOPTED).exists()
        ):
            raise ImmutableVersionError(f"plan version {self.number} is adopted and cannot change")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.status == VersionStatus.ADOPTED:
            raise ImmutableVersionError(
                f"plan version {self.number} is adopted and cannot be deleted"
            )
        return super().delete(*args, **kwargs)


class ParticipatoryRound(Sealed):
    """One round of participatory iteration: the prices published, the deadline, the outcome.

    ``prices`` (hours per unit, by good) are what councils answer; at the close ``outcome`` holds
    every good's supply, demand, surplus, imbalance and new price, and ``next_pd`` the step
    factors the facilitation rule carries into the next round.
    """

    congress = models.ForeignKey(
        Council, on_delete=models.PROTECT, related_name="participatory_rounds"
    )
    series = models.PositiveIntegerField()
    number = models.PositiveIntegerField()
    opened_at = models.DateTimeField()
    deadline = models.DateTimeField()
    prices = models.JSONField()
    previous_pd = models.JSONField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.JSONField(null=True, blank=True)
    balanced = models.BooleanField(null=True, blank=True)
    final = models.BooleanField(default=False)

    class Meta:
        ordering = (
            "congress",
            "-series",
            "-number",
        )
        constraints = (
            models.UniqueConstraint(
                fields=["congress", "series", "number"], name="participatory_round_number"
            ),
        )

    def __str__(self) -> str:
        return f"round {self.number} of series {self.series}"


class Proposal(Sealed):
    """A council's standing proposal in the participatory rounds, replaced by each revision.

    A workplace proposes ``outputs`` (product → quantity), the ``inputs`` that output needs
    (product, resource or labour → quantity) and the ``hours`` its members offer (labour type →
    hours); a consumer council proposes ``needs`` (product → quantity) within ``budget`` hours.
    Every number of every revision is on the ledger (``plan.proposal_submitted``).
    """

    council = models.OneToOneField(Council, on_delete=models.PROTECT, related_name="proposal")
    outputs = models.JSONField(default=dict)
    inputs = models.JSONField(default=dict)
    hours = models.JSONField(default=dict)
    needs = models.JSONField(default=dict)
    budget = models.FloatField(null=True, blank=True)
    participatory_round = models.ForeignKey(
        ParticipatoryRound, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ("council__slug",)

    def __str__(self) -> str:
        return f"proposal of {self.council.slug}"
