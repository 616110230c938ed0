"""The rows of end-to-end verifiable secret ballots (docs/ballots.md): a council's choice of them
with its trustees, each such ballot's key set-up and record, the trustees' uploads and the
encrypted papers. Imported by ``models`` so that Django registers them with the councils app."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kuzbass.platform.councils.models import Ballot, Council
from kuzbass.platform.ledger.models import Sealed


class VerifiableRule(Sealed):
    """A council's constitution choosing verifiable secret ballots for its yes/no, approval and
    score ballots (elections, recalls, plan adoption…), decrypted by ``threshold`` of its
    ``trustees`` (usernames, in order: trustee 1 is the first)."""

    council = models.OneToOneField(Council, on_delete=models.PROTECT, related_name="verifiable")
    trustees = models.JSONField(_("trustees"))
    threshold = models.PositiveSmallIntegerField(_("threshold"))

    def __str__(self) -> str:
        return f"verifiable ballots of {self.council}"


class Stage(models.TextChoices):
    KEYS = "keys", _("trustees setting up the key")
    OPEN = "open", _("open for encrypted papers")
    TALLYING = "tallying", _("closed, waiting for the trustees' partial decryptions")
    DECRYPTED = "decrypted", _("decrypted")
    FAILED = "failed", _("closed before the trustees completed the key")


class VerifiableBallot(Sealed):
    """One ballot run verifiably: ``name`` is its id in every cryptographic record; ``record``
    is the opened record (question, joint key, roll of credentials, fingerprint) once the key
    is complete; ``tally`` the encrypted tally published at the close."""

    ballot = models.OneToOneField(Ballot, on_delete=models.PROTECT, related_name="verifiable")
    name = models.CharField(max_length=120, unique=True)
    trustees = models.JSONField()
    threshold = models.PositiveSmallIntegerField()
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.KEYS)
    record = models.JSONField(null=True, blank=True)
    tally = models.JSONField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return f"verifiable ballot {self.name}"


class TrusteeStep(models.TextChoices):
    ANNOUNCE = "announce", _("announcement")
    DEAL = "deal", _("dealing")
    FINISH = "finish", _("verification key")
    DECRYPT = "decrypt", _("partial decryption")


class TrusteeUpload(models.Model):
    """What trustee number ``trustee`` handed the server at one step (each step once)."""

    verifiable = models.ForeignKey(
        VerifiableBallot, on_delete=models.PROTECT, related_name="uploads"
    )
    trustee = models.PositiveSmallIntegerField()
    step = models.CharField(max_length=10, choices=TrusteeStep.choices)
    payload = models.JSONField()

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["verifiable", "trustee", "step"], name="one_upload_per_trustee_step"
            ),
        )

    def __str__(self) -> str:
        return f"trustee {self.trustee}'s {self.step} for {self.verifiable_id}"


class EncryptedPaper(models.Model):
    """A cast encrypted paper, as on the ledger. Its unique constraints are what make it one
    credential (so one member) one paper and each tracker once, even when casts race."""

    verifiable = models.ForeignKey(
        VerifiableBallot, on_delete=models.PROTECT, related_name="papers"
    )
    tracker = models.CharField(max_length=64, unique=True)
    credential = models.CharField(max_length=64)
    payload = models.JSONField()

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["verifiable", "credential"], name="one_credential_one_paper"
            ),
        )

    def __str__(self) -> str:
        return f"encrypted paper {self.tracker[:16]}"
