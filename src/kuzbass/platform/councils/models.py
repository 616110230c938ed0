"""The councils' data. Rows change only through ``kuzbass.platform.councils.services``.

The ledger event that records a change seals every row the change wrote, with all its columns, so
``kuzbass ledger verify`` notices a row edited, added or removed behind the platform's back.
"""

import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kuzbass import ledger
from kuzbass.democracy import Constitution, MotionKind, VotingMethod
from kuzbass.platform.ledger.models import Sealed


class CouncilKind(models.TextChoices):
    WORKPLACE = "workplace", _("workplace council")
    CONSUMER = "consumer", _("consumer (neighbourhood) council")
    FEDERATION = "federation", _("federation of councils")
    CONGRESS = "congress", _("congress of delegates")


COUNCILS_OF_COUNCILS = (CouncilKind.FEDERATION, CouncilKind.CONGRESS)
PETITION_SHARE = "1/5"


class Council(Sealed):
    """A council and its constitution (quorum and the thresholds motions must reach)."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=CouncilKind.choices)
    description = models.TextField(_("description"), blank=True)
    open_signup = models.BooleanField(
        _("open sign-up"), default=False, help_text=_("Anyone may join without an invitation.")
    )
    quorum = models.CharField(_("quorum"), max_length=20, default="1/2")
    ordinary_threshold = models.CharField(_("ordinary threshold"), max_length=20, default="1/2")
    recall_threshold = models.CharField(_("recall threshold"), max_length=20, default="1/2")
    constitution_threshold = models.CharField(
        _("constitution threshold"), max_length=20, default="2/3"
    )
    petition_share = models.CharField(
        _("petition share"),
        max_length=20,
        default=PETITION_SHARE,
        help_text=_(
            "The share of members whose signatures open a ballot on a motion without an officer."
        ),
    )
    delegate_seats = models.PositiveIntegerField(
        _("delegate seats"),
        null=True,
        blank=True,
        help_text=_(
            "For a federation or congress: seats shared among the member councils in proportion "
            "to their members (Sainte-Laguë, at least one each). Empty: one seat per council."
        ),
    )
    founded_at = models.DateTimeField(_("founded at"), auto_now_add=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("council")
        verbose_name_plural = _("councils")

    def __str__(self) -> str:
        return self.name

    @property
    def is_council_of_councils(self) -> bool:
        return self.kind in COUNCILS_OF_COUNCILS

    def constitution(self) -> Constitution:
        return Constitution.from_dict(self.constitution_dict())

    def constitution_dict(self) -> dict[str, str]:
        return {
            "quorum": self.quorum,
            "ordinary_threshold": self.ordinary_threshold,
            "recall_threshold": self.recall_threshold,
            "constitution_threshold": self.constitution_threshold,
        }


class Affiliation(Sealed):
    """A council's membership of a federation or of the congress."""

    body = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="affiliates")
    member_council = models.ForeignKey(
        Council, on_delete=models.PROTECT, related_name="affiliations"
    )
    admitted_at = models.DateTimeField(_("admitted at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["body", "member_council"],
                condition=models.Q(ended_at__isnull=True),
                name="one_active_affiliation",
            ),
        )

    def __str__(self) -> str:
        return f"{self.member_council} in {self.body}"


class Role(models.TextChoices):
    MEMBER = "member", _("member")
    DELEGATE = "delegate", _("delegate")
    OFFICER = "officer", _("officer")


class Membership(Sealed):
    """A person's place in a council; in a federation or congress, as a delegate of a council."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    represents = models.ForeignKey(
        Council,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="delegations",
        help_text=_("For a delegate: the council whose mandate they carry."),
    )
    joined_at = models.DateTimeField(_("joined at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        ordering = (
            "council",
            "user__username",
        )
        constraints = (
            models.UniqueConstraint(
                fields=["user", "council"],
                condition=models.Q(ended_at__isnull=True),
                name="one_active_membership",
            ),
        )

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.council}"


class Invitation(models.Model):
    """An officer's invitation; only the SHA-256 of its one-time token is stored."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    note = models.CharField(_("note"), max_length=200, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"invitation to {self.council} ({self.role})"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class MotionStatus(models.TextChoices):
    TABLED = "tabled", _("tabled")
    BALLOTING = "balloting", _("being voted")
    CARRIED = "carried", _("carried")
    DEFEATED = "defeated", _("defeated")


class DemandAction(models.TextChoices):
    ADOPT = "adopt", _("adopt the demand")
    REJECT = "reject", _("reject the demand")
    FULFIL = "fulfil", _("declare the demand fulfilled")


class Motion(Sealed):
    """A proposal before a council; what it changes when carried depends on its kind and subject."""

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="motions")
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=[(kind.value, kind.value) for kind in MotionKind],
        default=MotionKind.ORDINARY.value,
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    tabled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="motions_tabled"
    )
    tabled_at = models.DateTimeField(_("tabled at"))
    status = models.CharField(
        _("status"), max_length=20, choices=MotionStatus.choices, default=MotionStatus.TABLED
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    demand = models.ForeignKey(
        "Demand", on_delete=models.PROTECT, null=True, blank=True, related_name="motions"
    )
    demand_action = models.CharField(max_length=20, choices=DemandAction.choices, blank=True)
    responsible_body = models.ForeignKey(
        Council, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    mandate = models.ForeignKey(
        "Mandate", on_delete=models.PROTECT, null=True, blank=True, related_name="recall_motions"
    )
    proposed_constitution = models.JSONField(null=True, blank=True)
    delegate_to = models.ForeignKey(
        Council, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    mandate_instructions = models.TextField(_("mandate"), blank=True)

    class Meta:
        ordering = (
            "council",
            "-number",
        )
        constraints = (
            models.UniqueConstraint(fields=["council", "number"], name="motion_number_per_council"),
        )

    def __str__(self) -> str:
        return f"{self.council.slug} motion {self.number}: {self.title}"


class AmendmentStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    CARRIED = "carried", _("carried")
    DEFEATED = "defeated", _("defeated")


class Amendment(Sealed):
    """A proposed new text for a motion, decided by its own majority ballot."""

    motion = models.ForeignKey(Motion, on_delete=models.PROTECT, related_name="amendments")
    number = models.PositiveIntegerField()
    text = models.TextField(_("new text"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=AmendmentStatus.choices, default=AmendmentStatus.PROPOSED
    )

    class Meta:
        ordering = (
            "motion",
            "number",
        )
        constraints = (
            models.UniqueConstraint(fields=["motion", "number"], name="amendment_number"),
        )

    def __str__(self) -> str:
        return f"amendment {self.number} to {self.motion}"


class Comment(models.Model):
    """Discussion of a motion (not a decision, so not in the ledger)."""

    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    text = models.TextField(_("comment"))
    posted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("posted_at",)

    def __str__(self) -> str:
        return f"comment by {self.author} on {self.motion}"


class Ballot(Sealed):
    """A vote on a motion (or on an amendment to it), with its method and voting window."""

    motion = models.ForeignKey(Motion, on_delete=models.PROTECT, related_name="ballots")
    amendment = models.ForeignKey(
        Amendment, on_delete=models.PROTECT, null=True, blank=True, related_name="ballots"
    )
    method = models.CharField(
        _("voting method"),
        max_length=20,
        choices=[(method.value, method.value) for method in VotingMethod],
    )
    options = models.JSONField(_("options"))
    max_score = models.PositiveSmallIntegerField(_("highest score"), default=5)
    secret = models.BooleanField(_("secret ballot"), default=True)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    electorate = models.PositiveIntegerField(_("electorate"), null=True, blank=True)
    result = models.JSONField(_("tally"), null=True, blank=True)
    carried = models.BooleanField(null=True, blank=True)
    constitution = models.JSONField(
        _("constitution"),
        null=True,
        blank=True,
        help_text=_("The council's quorum and thresholds when the ballot opened, frozen for it."),
    )

    class Meta:
        ordering = ("-opens_at",)

    def __str__(self) -> str:
        return f"ballot {self.pk} on {self.motion}"

    def rules(self) -> Constitution:
        """The constitution this ballot is decided by: the one in force when it opened (ballots
        from before constitutions were frozen fall back to the council's)."""
        if self.constitution is None:
            return self.motion.council.constitution()
        return Constitution.from_dict(self.constitution)

    def is_open_at(self, moment: Any) -> bool:
        return self.closed_at is None and self.opens_at <= moment < self.closes_at

    def papers_digest(self) -> str:
        """SHA-256 over the sorted ballot papers, as published at the close."""
        papers = sorted(
            [paper.receipt_hash, paper.content, paper.voter.get_username() if paper.voter else None]
            for paper in self.papers.select_related("voter")
        )
        return hashlib.sha256(ledger.canonical_json(papers)).hexdigest()

    def roll_names(self) -> list[str]:
        return sorted(self.roll.values_list("voter__username", flat=True))

    def ledger_covers(self) -> Any:
        """A closed ballot answers for its roll and papers (sealed as sets, not one by one, so
        that no event links a paper to a voter)."""
        if self.closed_at is None:
            return None
        return {"roll": self.roll_names(), "papers": self.papers_digest()}


class VoterRoll(models.Model):
    """Who has voted on a ballot. The unique constraint is what makes it one member, one vote."""

    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="roll")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["ballot", "voter"], name="one_member_one_vote"),
        )

    def __str__(self) -> str:
        return f"{self.voter} voted on ballot {self.ballot_id}"


class BallotPaper(models.Model):
    """A counted vote. A secret ballot's papers are written here only at the close, all at once
    and in a random order, from the pool of :class:`PendingPaper` (see ``services.papers``): no
    voter, no time, a random key, so that neither a row id, nor the order of the rows, nor a
    transaction id links a paper to the roll. The receipt code is stored only as a hash."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="papers")
    content = models.JSONField()
    receipt_hash = models.CharField(max_length=64, unique=True)
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"paper on ballot {self.ballot_id}"

    @staticmethod
    def hash_receipt(code: str) -> str:
        return hashlib.sha256(code.strip().encode()).hexdigest()


class PendingPaper(models.Model):
    """A secret ballot's paper while the ballot is open: the pool the close empties, shuffled,
    into :class:`BallotPaper`, after which the database forgets these rows (``services.papers``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="pending_papers")
    content = models.JSONField()
    receipt_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"pending paper on ballot {self.ballot_id}"


class Petition(Sealed):
    """Members asking for a ballot on a motion: enough signatures open it without an officer."""

    motion = models.OneToOneField(Motion, on_delete=models.PROTECT, related_name="petition")
    needed = models.PositiveIntegerField(_("signatures needed"))
    ballot = models.ForeignKey(
        Ballot, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"petition for a ballot on {self.motion}"

    def signer_names(self) -> list[str]:
        return sorted(self.signatures.values_list("signer__username", flat=True))

    def ledger_snapshot(self) -> dict[str, Any]:
        return {
            "motion": self.motion_id,
            "needed": self.needed,
            "ballot": self.ballot_id,
            "signers": self.signer_names(),
        }


class PetitionSignature(models.Model):
    """One member's signature; the unique constraint makes it one member, one signature. Sealed
    through its petition's snapshot, which lists the signers."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="signatures")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["petition", "signer"], name="one_signature_each"),
        )

    def __str__(self) -> str:
        return f"{self.signer} signed {self.petition}"


class MandateEnd(models.TextChoices):
    RECALLED = "recalled", _("recalled")


class Mandate(Sealed):
    """A delegate elected by a council, carrying the instructions the council voted."""

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="mandates")
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mandates"
    )
    body = models.ForeignKey(
        Council,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incoming_mandates",
        help_text=_("The federation or congress the delegate sits in for the council."),
    )
    instructions = models.TextField(_("instructions"))
    election_ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=MandateEnd.choices, blank=True)
    ended_by = models.ForeignKey(
        Motion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("-started_at",)

    def __str__(self) -> str:
        return f"{self.delegate} for {self.council}"


class DemandStatus(models.TextChoices):
    RAISED = "raised", _("raised, awaiting the council's vote")
    OPEN = "open", _("open")
    IN_PLAN = "in_plan", _("in plan")
    FULFILLED = "fulfilled", _("fulfilled")
    REJECTED = "rejected", _("rejected")


class DemandCategory(models.TextChoices):
    WAGES = "wages", _("wage rates")
    NORMS = "norms", _("norms")
    SUPPLIES = "supplies", _("supplies")
    HOUSING = "housing", _("housing")
    TRANSPORT = "transport", _("transport")
    FOOD = "food", _("food")
    MANAGEMENT = "management", _("management")
    OTHER = "other", _("other")


class Demand(Sealed):
    """A member's demand; once adopted it stays open in public until the council votes it met."""

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="demands")
    number = models.PositiveIntegerField()
    title = models.CharField(_("demand"), max_length=200)
    description = models.TextField(_("details"), blank=True)
    category = models.CharField(_("category"), max_length=20, choices=DemandCategory.choices)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="demands_raised"
    )
    raised_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=DemandStatus.choices, default=DemandStatus.RAISED
    )
    responsible_body = models.ForeignKey(
        Council, on_delete=models.PROTECT, null=True, blank=True, related_name="demands_owed"
    )

    class Meta:
        ordering = (
            "council",
            "-number",
        )
        constraints = (
            models.UniqueConstraint(fields=["council", "number"], name="demand_number_per_council"),
        )

    def __str__(self) -> str:
        return f"{self.council.slug} demand {self.number}: {self.title}"


class DemandStatusChange(Sealed):
    """One step of a demand's public history."""

    demand = models.ForeignKey(Demand, on_delete=models.PROTECT, related_name="history")
    status = models.CharField(max_length=20, choices=DemandStatus.choices)
    reason = models.TextField(blank=True)
    motion = models.ForeignKey(
        Motion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField()

    class Meta:
        ordering = (
            "changed_at",
            "pk",
        )

    def __str__(self) -> str:
        return f"{self.demand} → {self.status}"


# Verifiable ballots' rows live in their own module; importing it here registers them.
from kuzbass.platform.councils.verifiable_models import (  # noqa: E402, F401
    EncryptedPaper,
    Stage,
    TrusteeStep,
    TrusteeUpload,
    VerifiableBallot,
    VerifiableRule,
)
