"""Labour-time accounts as double-entry records. Rows change only through ``accounts.services``.

Every movement of hours is a :class:`Transfer` that debits one account and credits another by a
whole number of seconds, so the sum of all balances is zero at every moment and sums are exact on
every database. Balances are never stored: an account's balance is its credits minus its debits.

Hours worked enter from the workplace's account (which goes negative by the hours its members
put into the social product) and are split between the worker and the congress's funds; consumption
moves hours from the member to the social product at the adopted plan's labour values.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from kuzbass.platform.councils.models import Council
from kuzbass.platform.ledger.models import Sealed

SECONDS_PER_HOUR = 3600


def hours(seconds: int | None) -> Decimal:
    """Seconds as hours with two decimals, the form people read."""
    return (Decimal(seconds or 0) / SECONDS_PER_HOUR).quantize(Decimal("0.01"))


def seconds_of(amount: Decimal) -> int:
    """Hours as whole seconds, rounded half up: every sum of hours is then exact."""
    return int((amount * SECONDS_PER_HOUR).to_integral_value(rounding=ROUND_HALF_UP))


class AccountKind(models.TextChoices):
    MEMBER = "member", _("member's labour-time account")
    WORKPLACE = "workplace", _("hours worked at a workplace")
    PUBLIC_FUND = "public_fund", _("public fund (health, education, those who cannot work)")
    INVESTMENT_FUND = "investment_fund", _("investment fund")
    SOCIAL_PRODUCT = "social_product", _("social product (goods consumed)")


SINGLETON_KINDS = (AccountKind.PUBLIC_FUND, AccountKind.INVESTMENT_FUND, AccountKind.SOCIAL_PRODUCT)


class Account(models.Model):
    """A member's, a workplace's, or one of the three common accounts."""

    kind = models.CharField(_("kind"), max_length=20, choices=AccountKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="labour_accounts",
    )
    council = models.ForeignKey(
        Council, on_delete=models.PROTECT, null=True, blank=True, related_name="labour_accounts"
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)

    class Meta:
        ordering = (
            "kind",
            "pk",
        )
        constraints = (
            models.UniqueConstraint(
                fields=["kind", "user"],
                condition=Q(user__isnull=False),
                name="one_account_per_user",
            ),
            models.UniqueConstraint(
                fields=["kind", "council"],
                condition=Q(council__isnull=False),
                name="one_account_per_workplace",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind__in=[kind.value for kind in SINGLETON_KINDS]),
                name="one_common_account_each",
            ),
        )

    def __str__(self) -> str:
        if self.user_id:
            return f"{self.user}"
        if self.council_id:
            return f"{self.council}"
        return str(self.get_kind_display())

    def balance_seconds(self) -> int:
        credit = self.credits.aggregate(total=Sum("seconds"))["total"] or 0
        debit = self.debits.aggregate(total=Sum("seconds"))["total"] or 0
        return int(credit) - int(debit)


class Deductions(Sealed):
    """The shares of every credited hour that the congress voted for its funds, and how far a
    member may overdraw; the newest row applies."""

    public_fund = models.CharField(_("public fund share"), max_length=20)
    investment_fund = models.CharField(_("investment fund share"), max_length=20)
    overdraft_seconds = models.BigIntegerField(_("overdraft allowed (seconds)"), default=0)
    congress = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="+")
    motion = models.ForeignKey(
        "councils.Motion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        ordering = (
            "-decided_at",
            "-pk",
        )
        verbose_name_plural = _("deductions")

    def __str__(self) -> str:
        return f"public {self.public_fund}, investment {self.investment_fund}"


class HourRegistration(Sealed):
    """Hours a workplace council records for one worker; credited once the worker confirms.

    ``key`` is the council's own reference for the registration (a time-sheet line): registering
    the same key twice is refused, so a re-sent sheet never doubles anyone's hours.
    """

    workplace = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="registrations")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registrations"
    )
    period = models.CharField(_("period"), max_length=20)
    key = models.CharField(_("reference"), max_length=80)
    seconds = models.BigIntegerField(_("seconds worked"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField(_("registered at"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        ordering = (
            "-registered_at",
            "-pk",
        )
        constraints = (
            models.UniqueConstraint(fields=["workplace", "key"], name="registration_key"),
            models.CheckConstraint(condition=Q(seconds__gt=0), name="registration_positive"),
        )
        indexes = (models.Index(fields=("workplace", "period"), name="registration_period"),)

    def __str__(self) -> str:
        return f"{hours(self.seconds)} h of {self.worker} at {self.workplace} ({self.period})"

    @property
    def hours(self) -> Decimal:
        return hours(self.seconds)


class CreditingBatch(Sealed):
    """Registrations credited together (bulk crediting); one ledger event seals the batch.

    Its snapshot is computed from the batch's transfers, so changing, adding or deleting one of
    them in the database breaks the seal that ``kuzbass ledger verify`` checks.
    """

    deductions = models.ForeignKey(Deductions, on_delete=models.PROTECT, related_name="+")
    credited_at = models.DateTimeField(_("credited at"))

    class Meta:
        ordering = ("-pk",)
        verbose_name_plural = _("crediting batches")

    def __str__(self) -> str:
        return f"crediting batch {self.pk}"


class Consumption(models.Model):
    """Goods a member takes from the social product, priced at the adopted plan's labour values."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consumptions"
    )
    product = models.CharField(_("product"), max_length=100)
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=4)
    labour_value = models.DecimalField(_("hours per unit"), max_digits=18, decimal_places=6)
    seconds = models.BigIntegerField(_("seconds"))
    consumed_at = models.DateTimeField(_("consumed at"))

    class Meta:
        ordering = (
            "-consumed_at",
            "-pk",
        )

    def __str__(self) -> str:
        return f"{self.quantity} {self.product} for {self.member}"

    @property
    def hours(self) -> Decimal:
        return hours(self.seconds)


class TransferKind(models.TextChoices):
    HOURS = "hours", _("hours worked, after deductions")
    PUBLIC_FUND = "public_fund", _("deduction for the public fund")
    INVESTMENT_FUND = "investment_fund", _("deduction for the investment fund")
    CONSUMPTION = "consumption", _("consumption")


class Transfer(Sealed):
    """One movement of labour time: ``seconds`` leave ``debit`` and arrive in ``credit``."""

    kind = models.CharField(_("kind"), max_length=20, choices=TransferKind.choices)
    debit = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="debits")
    credit = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="credits")
    seconds = models.BigIntegerField(_("seconds"))
    # Not checked by the database row by row: that check locks each registration row and
    # made bulk crediting several times slower. Transfers are written only from registrations
    # read in the same statement, registrations are never deleted (PROTECT), and the ledger
    # seals both, so ``kuzbass ledger verify`` notices a registration removed behind our back.
    registration = models.ForeignKey(
        HourRegistration,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
        db_index=False,
        db_constraint=False,
    )
    consumption = models.ForeignKey(
        Consumption,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
        db_index=False,
    )
    # Written in the same transaction as its batch, which the ledger seals; like
    # ``registration``, not checked by the database row by row (see above).
    batch = models.ForeignKey(
        CreditingBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
        db_constraint=False,
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ("-pk",)
        constraints = (
            # What makes crediting idempotent: one transfer of each kind per registration.
            models.UniqueConstraint(
                fields=["registration", "kind"],
                condition=Q(registration__isnull=False),
                name="credit_registration_once",
            ),
            models.UniqueConstraint(
                fields=["consumption"],
                condition=Q(consumption__isnull=False),
                name="one_transfer_per_consumption",
            ),
            models.CheckConstraint(condition=Q(seconds__gt=0), name="transfer_positive"),
            models.CheckConstraint(
                condition=~Q(debit=models.F("credit")), name="transfer_between_two_accounts"
            ),
        )

    def __str__(self) -> str:
        return f"{self.kind}: {hours(self.seconds)} h from {self.debit} to {self.credit}"

    @property
    def hours(self) -> Decimal:
        return hours(self.seconds)


class FulfilmentReport(Sealed):
    """What a workplace made and received in a period, next to what the adopted plan asked.

    The planned figures are copied from the plan adopted when the report is made, so the report
    keeps its meaning after the next plan; the hours actually worked are not stored here but
    derived from the credited registrations of the workplace and period.
    """

    workplace = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="fulfilment")
    period = models.CharField(_("period"), max_length=20)
    product = models.CharField(_("product"), max_length=100)
    planned_output = models.DecimalField(max_digits=18, decimal_places=4)
    actual_output = models.DecimalField(max_digits=18, decimal_places=4)
    planned_hours = models.DecimalField(
        max_digits=18,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Empty: the hours are not compared with the plan."),
    )
    inputs_planned = models.JSONField(default=dict)
    inputs_received = models.JSONField(default=dict)
    plan_version = models.CharField(_("plan version"), max_length=100, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField()

    class Meta:
        ordering = (
            "period",
            "workplace__name",
        )
        constraints = (
            models.UniqueConstraint(
                fields=["workplace", "period", "product"], name="one_report_per_period"
            ),
        )

    def __str__(self) -> str:
        return f"{self.workplace} {self.period}: {self.product}"


class DeviationThreshold(Sealed):
    """The share by which a workplace's actual figures may differ from the plan before they are
    flagged; each workplace council sets its own."""

    workplace = models.OneToOneField(
        Council, on_delete=models.PROTECT, related_name="deviation_threshold"
    )
    threshold = models.CharField(_("threshold"), max_length=20)
    set_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.workplace}: {self.threshold}"
