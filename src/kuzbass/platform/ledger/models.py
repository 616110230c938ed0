"""Ledger events as database rows, and the one-row chain head that serialises appends."""

from collections.abc import Callable
from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from kuzbass import ledger


class Sealed(models.Model):
    """A model whose rows are sealed together with content kept in other tables.

    Every row of the platform's tables is sealed column by column (:mod:`.rows`); a model that
    also answers for rows the ledger does not seal one by one (a ballot for its papers) returns
    them from ``ledger_covers``, and that value is part of the row's seal.
    """

    ledger_covers: ClassVar[Callable[[Any], Any] | None] = None
    """None, or a method returning what the row answers for besides its columns."""

    class Meta:
        abstract = True


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


class RowSeal(models.Model):
    """The leaves one event sealed in one table: each row's key and 32-byte digest.

    The event's payload carries the count and Merkle root of these leaves, so they cannot be
    changed without breaking the chain; ``kuzbass ledger verify`` compares each row with its
    latest leaf and names the row that differs.
    """

    sequence = models.PositiveBigIntegerField(db_index=True)
    table = models.CharField(max_length=100)
    keys = models.TextField()
    digests = models.BinaryField()

    class Meta:
        ordering = ("sequence", "table")
        constraints = (
            models.UniqueConstraint(fields=["sequence", "table"], name="one_seal_per_table"),
        )

    def __str__(self) -> str:
        return f"#{self.sequence} seals {self.table}"
