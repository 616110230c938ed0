"""Appending to the public ledger and verifying it against the database.

Every service that changes a decision calls :func:`append_event` inside its own
``transaction.atomic`` block, so the change and the event that records it commit together or not
at all. An event may *seal* rows: it carries the SHA-256 of each row's ``ledger_snapshot()``, and
:func:`verify_database` recomputes those digests, so editing or deleting a sealed row directly in
the database (a ballot paper, a tally, a demand's status) is detected, not only edits of events.
"""

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.apps import apps
from django.db import transaction

from kuzbass import ledger
from kuzbass.platform.core.events import check_payload
from kuzbass.platform.ledger.models import LedgerEvent, LedgerHead, Sealed


def seal_key(row: Sealed) -> str:
    return f"{row._meta.label_lower}:{row.pk}"


def seal_digest(row: Sealed) -> str:
    return hashlib.sha256(ledger.canonical_json(row.ledger_snapshot())).hexdigest()


def lock_ledger() -> LedgerHead:
    """Lock the chain head for the rest of the transaction.

    Services that will append an event call this first, so that every writer takes the same
    lock first: appends (and the per-council numbering done before them) are serialised and
    cannot deadlock against each other's row locks.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_ledger must run inside the transaction that appends the event")
    try:
        return LedgerHead.objects.select_for_update().get(id=1)
    except LedgerHead.DoesNotExist:
        LedgerHead.objects.bulk_create([LedgerHead(id=1)], ignore_conflicts=True)
        return LedgerHead.objects.select_for_update().get(id=1)


def append_event(
    kind: str, payload: dict[str, Any], *, seals: Iterable[Sealed] = ()
) -> LedgerEvent:
    """Append one event; must run inside the caller's ``transaction.atomic``.

    The head row is locked first, so concurrent appends queue and the chain never forks. The kind
    and the payload's fields must be those of the catalogue (:mod:`kuzbass.platform.core.events`).
    """
    check_payload(kind, payload)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("append_event must run inside the transaction of the change it records")
    head = lock_ledger()
    previous = (
        LedgerEvent.objects.get(sequence=head.sequence).to_pure()
        if head.sequence is not None
        else None
    )
    body = dict(payload)
    sealed = {seal_key(row): seal_digest(row) for row in seals}
    if sealed:
        body["seals"] = sealed
    event = ledger.next_event(previous, kind, body, datetime.now(UTC))
    row = LedgerEvent.from_pure(event)
    row.save(force_insert=True)
    head.sequence = event.sequence
    head.hash = event.hash
    head.save(update_fields=["sequence", "hash"])
    return row


@dataclass(frozen=True)
class DatabaseReport:
    """What ``kuzbass ledger verify`` prints: the chain check and the sealed-row check."""

    ok: bool
    events_checked: int
    rows_checked: int
    first_broken: int | None
    reason: str


def iter_events(batch: int = 2000) -> Iterator[ledger.LedgerEvent]:
    """All events in order, read in batches so a long ledger does not fill memory."""
    last: int | None = None
    while True:
        query = LedgerEvent.objects.order_by("sequence")
        if last is not None:
            query = query.filter(sequence__gt=last)
        rows = list(query[:batch])
        if not rows:
            return
        for row in rows:
            yield row.to_pure()
        last = rows[-1].sequence


def _first_mismatch(latest: dict[str, tuple[int, str]]) -> tuple[int, str] | None:
    """Compare every sealed row with its last seal, fetching rows in bulk model by model;
    return the mismatch whose sealing event comes first, as (sequence, reason)."""
    by_model: dict[str, list[str]] = {}
    for key in latest:
        label, _, pk = key.rpartition(":")
        by_model.setdefault(label, []).append(pk)
    found: list[tuple[int, str]] = []
    for label, pks in by_model.items():
        app_label, _, model_name = label.partition(".")
        model = apps.get_model(app_label, model_name)
        for start in range(0, len(pks), 1000):
            chunk = pks[start : start + 1000]
            rows = model._default_manager.in_bulk([model._meta.pk.to_python(pk) for pk in chunk])
            for pk in chunk:
                key = f"{label}:{pk}"
                sequence, digest = latest[key]
                row = rows.get(model._meta.pk.to_python(pk))
                if not isinstance(row, Sealed):
                    found.append(
                        (
                            sequence,
                            f"{key} sealed by event #{sequence} has been deleted from the database",
                        )
                    )
                elif seal_digest(row) != digest:
                    found.append(
                        (
                            sequence,
                            f"{key} no longer matches the content sealed by event "
                            f"#{sequence}: it was changed outside the platform",
                        )
                    )
    return min(found) if found else None


def verify_database() -> DatabaseReport:
    """Verify the chain up to the stored head, then that every sealed row matches its last seal."""
    head = LedgerHead.objects.filter(id=1).first()
    latest: dict[str, tuple[int, str]] = {}

    def collecting_seals() -> Iterator[ledger.LedgerEvent]:
        for event in iter_events():
            seals = event.payload.get("seals", {}) if isinstance(event.payload, dict) else {}
            for key, digest in seals.items():
                latest[key] = (event.sequence, digest)
            yield event

    chain = ledger.verify_chain(
        collecting_seals(), head_hash=head.hash if head else ledger.GENESIS_HASH
    )
    if not chain.ok:
        return DatabaseReport(
            False, chain.events_checked, 0, chain.first_broken, chain.reason or "broken chain"
        )
    mismatch = _first_mismatch(latest)
    if mismatch is not None:
        sequence, reason = mismatch
        return DatabaseReport(False, chain.events_checked, len(latest), sequence, reason)
    return DatabaseReport(True, chain.events_checked, len(latest), None, "")
