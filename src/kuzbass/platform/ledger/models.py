"""Ledger events as database rows, and the one-row chain head that serialises appends."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from kuzbass import ledger


class Sealed(models.Model):
    """A row that ledger events seal: its ``ledger_snapshot`` is what verification recomputes.

    The snapshot must change only through the services, each change being sealed again by the
    event that records it.
    """

    class Meta:
        abstract = True

    def ledger_snapshot(self) -> dict[str, Any]:
        raise NotImplementedError


class LedgerEvent(models.Model):
    """One link of the hash chain; the fields are exactly those that ``kuzbass.ledger`` hashes."""

    sequence = models.PositiveBigIntegerField(primary_key=True)
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    recorded_at = models.CharField(_("recorded at"), max_length=40)
    payload = models.JSONField(_("payload"))
    previous_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        ordering = ("sequence",)
        verbose_name = _("ledger event")
        verbose_name_plural = _("ledger events")

    def __str__(self) -> str:
        return f"#{self.sequence} {self.kind}"

    def to_pure(self) -> ledger.LedgerEvent:
        return ledger.LedgerEvent(
            sequence=self.sequence,
            kind=self.kind,
            recorded_at=self.recorded_at,
            payload=self.payload,
            previous_hash=self.previous_hash,
            hash=self.hash,
        )

    @classmethod
    def from_pure(cls, event: ledger.LedgerEvent) -> "LedgerEvent":
        return cls(
            sequence=event.sequence,
            kind=event.kind,
            recorded_at=event.recorded_at,
            payload=event.payload,
            previous_hash=event.previous_hash,
            hash=event.hash,
        )

    @property
    def seals(self) -> dict[str, Any]:
        value = self.payload.get("seals", {}) if isinstance(self.payload, dict) else {}
        return value if isinstance(value, dict) else {}


class LedgerHead(models.Model):
    """The last event's sequence and hash, in a single row.

    Appending locks this row (``select_for_update``), so two transactions can never both extend
    the chain from the same event; it also lets verification notice a deleted tail.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.PositiveBigIntegerField(null=True)
    hash = models.CharField(max_length=64, default=ledger.GENESIS_HASH)

    class Meta:
        constraints = (models.CheckConstraint(condition=models.Q(id=1), name="ledger_head_single"),)

    def __str__(self) -> str:
        return f"ledger head at #{self.sequence}"
