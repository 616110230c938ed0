"""Appending to the public ledger and verifying it against the database.

Every service that changes a decision calls :func:`append_event` inside its own
``transaction.atomic`` block, so the change and the event that records it commit together or not
at all. The event seals every row the transaction wrote (:mod:`.rows`): per table, the count and
Merkle root of the rows' digests, whose leaves are kept in :class:`RowSeal`. :func:`verify_database`
checks the chain, each seal against its event, and every row of every sealed table against its
latest seal, so a column edited, a row inserted or a row deleted in the database is named.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import models, transaction

from kuzbass import ledger
from kuzbass.platform.core.events import check_payload
from kuzbass.platform.ledger import rows
from kuzbass.platform.ledger.models import LedgerEvent, LedgerHead, RowSeal
from kuzbass.platform.ledger.rows import touched, touched_query

__all__ = [
    "DatabaseReport",
    "append_event",
    "current_head",
    "iter_events",
    "lock_ledger",
    "touched",
    "touched_query",
    "verify_database",
]


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


def _seal_pending(sequence: int) -> dict[str, dict[str, Any]]:
    """Write the leaves of every row the transaction wrote; return per table its count and root."""
    pending = rows.take_pending()
    by_model: dict[type[models.Model], dict[str, bytes]] = {}
    for query in pending.queries:
        found = by_model.setdefault(query.model, {})
        found.update(rows.leaves(query.model, rows.read_rows(query.model, query)))
    for model, pks in pending.keys.items():
        found = by_model.setdefault(model, {})
        wanted = {pk for pk in pks if rows.key_text(pk) not in found}
        listed = sorted(wanted, key=rows.key_text)
        for start in range(0, len(listed), 1000):
            chunk = listed[start : start + 1000]
            found.update(rows.leaves(model, rows.read_keyed(model, chunk)))
            for pk in chunk:
                key = rows.key_text(pk)
                if key not in found:
                    found[key] = ledger.row_leaf(model._meta.label_lower, key, None)
    sealed: dict[str, dict[str, Any]] = {}
    written = []
    for model, leaves in sorted(by_model.items(), key=lambda item: item[0]._meta.label_lower):
        if not leaves:
            continue
        table = model._meta.label_lower
        keys = list(leaves)
        digests = [leaves[key] for key in keys]
        sealed[table] = {"rows": len(keys), "root": ledger.merkle_root(digests)}
        written.append(
            RowSeal(
                sequence=sequence,
                table=table,
                keys=json.dumps(keys, separators=(",", ":")),
                digests=b"".join(digests),
            )
        )
    RowSeal.objects.bulk_create(written)
    return sealed


def append_event(
    kind: str, payload: dict[str, Any], *, seals: Iterable[models.Model] = ()
) -> LedgerEvent:
    """Append one event; must run inside the caller's ``transaction.atomic``.

    The head row is locked first, so concurrent appends queue and the chain never forks. The kind
    and the payload's fields must be those of the catalogue (:mod:`kuzbass.platform.core.events`).
    The event seals every row the transaction wrote so far, and ``seals`` besides.
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
    for extra in seals:
        rows.touched(type(extra), [extra.pk])
    sequence = 1 if head.sequence is None else head.sequence + 1
    body = dict(payload)
    sealed = _seal_pending(sequence)
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
class Head:
    """The last event's sequence (None before the first) and hash: what anyone can write down
    and later pass to ``kuzbass ledger verify --head``."""

    sequence: int | None
    hash: str


def current_head() -> Head:
    head = LedgerHead.objects.filter(id=1).first()
    return Head(head.sequence, head.hash) if head else Head(None, ledger.GENESIS_HASH)


@dataclass(frozen=True)
class DatabaseReport:
    """What ``kuzbass ledger verify`` prints: the chain check and the row check.

    ``first_broken`` is the first broken event of the chain, or the event whose seal a changed
    or deleted row breaks; ``problems`` names each row that differs (the first 20).
    """

    ok: bool
    events_checked: int
    rows_checked: int
    first_broken: int | None
    reason: str
    problems: list[str] = field(default_factory=list)
    tables_checked: int = 0
    head_hash: str = ledger.GENESIS_HASH


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


class _Seals:
    """The latest leaf of every sealed row, read from the RowSeal table in event order, each
    batch checked against the count and root its event declared."""

    def __init__(self) -> None:
        self.declared: dict[int, dict[str, Any]] = {}
        self.latest: dict[str, dict[str, tuple[int, bytes]]] = {}
        self.problems: list[tuple[int, str]] = []

    def note_event(self, event: ledger.LedgerEvent) -> None:
        seals = event.payload.get("seals") if isinstance(event.payload, dict) else None
        if isinstance(seals, dict) and seals:
            self.declared[event.sequence] = seals

    def load(self) -> None:
        found: set[tuple[int, str]] = set()
        for seal in RowSeal.objects.order_by("sequence", "table").iterator(chunk_size=50):
            found.add((seal.sequence, seal.table))
            claim = self.declared.get(seal.sequence, {}).get(seal.table)
            digests = bytes(seal.digests)
            try:
                keys = json.loads(seal.keys)
            except ValueError:
                keys = None
            leaves = [digests[at : at + 32] for at in range(0, len(digests), 32)]
            if (
                not isinstance(claim, dict)
                or not isinstance(keys, list)
                or len(keys) != len(leaves)
                or claim.get("rows") != len(leaves)
                or claim.get("root") != ledger.merkle_root(leaves)
            ):
                self.problems.append(
                    (
                        seal.sequence,
                        f"the seals of {seal.table} kept for event #{seal.sequence} do not match "
                        "the count and root the event declares (changed in the database)",
                    )
                )
                continue
            latest = self.latest.setdefault(seal.table, {})
            for key, leaf in zip(keys, leaves, strict=True):
                latest[str(key)] = (seal.sequence, leaf)
        for sequence, tables in self.declared.items():
            for table in tables:
                if (sequence, table) not in found:
                    self.problems.append(
                        (
                            sequence,
                            f"the seals of {table} declared by event #{sequence} are missing "
                            "from the database",
                        )
                    )


def _describe(model: type[models.Model], key: str) -> str:
    return f"table {model._meta.db_table} row {key} ({model._meta.label_lower}:{key})"


def _check_rows(seals: _Seals) -> tuple[int, int, list[tuple[int, str]]]:
    """Compare every row of every sealed table with its latest leaf; (rows, tables, problems)."""
    problems: list[tuple[int, str]] = []
    checked = 0
    sealed_models = rows.sealed_models()
    for model in sealed_models:
        table = model._meta.label_lower
        latest = seals.latest.pop(table, {})
        deleted_leaf: dict[str, bytes] = {}
        for key, leaf in rows.leaves(model, rows.read_rows(model)):
            checked += 1
            sealed = latest.pop(key, None)
            if sealed is None:
                problems.append(
                    (
                        0,
                        f"{_describe(model, key)} was inserted outside the platform: "
                        "no event sealed it",
                    )
                )
            elif sealed[1] != leaf:
                deleted_leaf.setdefault(key, ledger.row_leaf(table, key, None))
                if sealed[1] == deleted_leaf[key]:
                    what = (
                        f"was deleted by event #{sealed[0]} and inserted again outside the platform"
                    )
                else:
                    what = (
                        f"no longer matches what event #{sealed[0]} sealed: it was changed "
                        "outside the platform"
                    )
                problems.append((sealed[0], f"{_describe(model, key)} {what}"))
        for key, (sequence, leaf) in latest.items():
            if leaf != ledger.row_leaf(table, key, None):
                problems.append(
                    (
                        sequence,
                        f"{_describe(model, key)} sealed by event #{sequence} has been deleted",
                    )
                )
    for table, latest in seals.latest.items():
        for key, (sequence, _leaf) in latest.items():
            problems.append(
                (sequence, f"{table}:{key} is sealed by event #{sequence} but its table is not")
            )
    return checked, len(sealed_models), problems


def verify_database(head_hash: str | None = None) -> DatabaseReport:
    """Verify the chain up to the head (``head_hash`` if given, else the stored one), the seals
    against their events, then every row of every sealed table against its latest seal."""
    head = LedgerHead.objects.filter(id=1).first()
    stored = head.hash if head else ledger.GENESIS_HASH
    seals = _Seals()

    def noting() -> Iterator[ledger.LedgerEvent]:
        for event in iter_events():
            seals.note_event(event)
            yield event

    chain = ledger.verify_chain(noting(), head_hash=head_hash or stored)
    if chain.ok and head_hash is not None and stored != head_hash:
        chain = ledger.ChainReport(
            False,
            chain.events_checked,
            None,
            f"the stored head {stored!r} is not {head_hash!r}",
            chain.head_hash,
        )
    if not chain.ok:
        return DatabaseReport(
            False,
            chain.events_checked,
            0,
            chain.first_broken,
            chain.reason or "broken chain",
            head_hash=chain.head_hash,
        )
    seals.load()
    checked, tables, problems = _check_rows(seals)
    problems = sorted(seals.problems + problems, key=lambda item: (item[0] == 0, item[0]))
    if problems:
        sequence, reason = problems[0]
        return DatabaseReport(
            False,
            chain.events_checked,
            checked,
            sequence or None,
            reason,
            [text for _, text in problems[:20]]
            + ([f"… and {len(problems) - 20} more"] if len(problems) > 20 else []),
            tables,
            chain.head_hash,
        )
    return DatabaseReport(
        True, chain.events_checked, checked, None, "", [], tables, chain.head_hash
    )
