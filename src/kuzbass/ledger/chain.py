"""Ledger events chained by SHA-256, and the verification anyone can run on them."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kuzbass.ledger.encoding import canonical_json

__all__ = [
    "GENESIS_HASH",
    "ChainReport",
    "LedgerEvent",
    "chain_hash",
    "format_recorded_at",
    "next_event",
    "verify_chain",
]

GENESIS_HASH = "0" * 64
"""The previous hash of the first event (sequence 1)."""

_HASH = re.compile(r"[0-9a-f]{64}")
_KIND = re.compile(r"[a-z][a-z0-9_.-]*")
_RECORDED_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z")


def format_recorded_at(moment: datetime | str) -> str:
    """Return the one spelling of a moment that the ledger stores: ``2026-11-27T04:00:00.000000Z``.

    A naive datetime is refused, because "when" in a public record must not depend on the
    reader's time zone; strings are parsed (any ISO 8601 with an offset) and respelled in UTC.
    """
    if isinstance(moment, str):
        if _RECORDED_AT.fullmatch(moment) and len(moment) == 27:
            return moment
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            raise ValueError(f"recorded_at {moment!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"recorded_at {moment.isoformat()} has no time zone; give it in UTC")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain_hash(
    previous_hash: str, sequence: int, kind: str, recorded_at: str, payload: dict[str, Any]
) -> str:
    """Hash one event onto the chain.

    Exactly: the lowercase hex SHA-256 of the bytes
    ``previous_hash.encode("ascii") + canonical_json({"sequence": sequence, "kind": kind,
    "recorded_at": recorded_at, "payload": payload})``, where ``previous_hash`` is the 64
    lowercase hex characters of the previous event's hash (``"0" * 64`` before the first event)
    and canonical_json sorts keys, uses no whitespace and UTF-8 (see ``canonical_json``). For
    example, in Python::

        sha256(prev.encode() + json.dumps(body, sort_keys=True, separators=(",", ":"),
               ensure_ascii=False).encode()).hexdigest()
    """
    body = {"sequence": sequence, "kind": kind, "recorded_at": recorded_at, "payload": payload}
    return hashlib.sha256(previous_hash.encode("ascii") + canonical_json(body)).hexdigest()


@dataclass(frozen=True)
class LedgerEvent:
    """One public record: what happened (kind, payload), when, and its place in the chain."""

    sequence: int
    kind: str
    recorded_at: str
    payload: dict[str, Any]
    previous_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        """The event as the JSON object of one JSON-lines record (and of a database row)."""
        return {
            "sequence": self.sequence,
            "kind": self.kind,
            "recorded_at": self.recorded_at,
            "payload": self.payload,
            "previous_hash": self.previous_hash,
            "hash": self.hash,
        }


def next_event(
    previous: LedgerEvent | None,
    kind: str,
    payload: dict[str, Any],
    recorded_at: datetime | str,
) -> LedgerEvent:
    """Append an event after ``previous`` (``None`` starts a new chain at sequence 1).

    ``kind`` is a lowercase word such as ``"motion.tabled"``; ``payload`` must pass
    ``canonical_json`` and is copied, so changing the caller's dict later cannot change the event.
    """
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise ValueError(
            f"kind {kind!r} must be a lowercase word of letters, digits, '.', '_' or '-'"
        )
    if not isinstance(payload, dict):
        raise TypeError(f"payload must be a dict, got {type(payload).__name__}")
    frozen_payload = json.loads(canonical_json(payload))
    stamp = format_recorded_at(recorded_at)
    sequence = 1 if previous is None else previous.sequence + 1
    previous_hash = GENESIS_HASH if previous is None else previous.hash
    digest = chain_hash(previous_hash, sequence, kind, stamp, frozen_payload)
    return LedgerEvent(sequence, kind, stamp, frozen_payload, previous_hash, digest)


@dataclass(frozen=True)
class ChainReport:
    """The outcome of a verification.

    ``events_checked`` counts the events found intact before the first broken link;
    ``first_broken`` is the sequence number the chain should have had at the broken link
    (for a missing event, the number of the missing one).
    """

    ok: bool
    events_checked: int
    first_broken: int | None
    reason: str | None
    head_hash: str


def verify_chain(events: Iterable[LedgerEvent], *, head_hash: str | None = None) -> ChainReport:
    """Recompute the chain and name its first broken link.

    Detects a changed event (its hash no longer matches its content), a changed hash (the next
    event no longer points to it), a removed, duplicated or reordered event (a gap or step back in
    the sequence), and a wrong previous hash. Removing events from the end leaves a valid shorter
    chain; pass the published ``head_hash`` of the last event to detect that too.
    """
    expected_sequence = 1
    previous_hash = GENESIS_HASH
    checked = 0

    def broken(reason: str) -> ChainReport:
        return ChainReport(False, checked, expected_sequence, reason, previous_hash)

    for event in events:
        if event.sequence != expected_sequence:
            if event.sequence > expected_sequence:
                missing = event.sequence - expected_sequence
                return broken(
                    f"gap in sequence: expected event {expected_sequence}, found event "
                    f"{event.sequence} ({missing} event{'s' if missing > 1 else ''} missing)"
                )
            return broken(
                f"events out of order: expected event {expected_sequence}, found event "
                f"{event.sequence} again or reordered"
            )
        if event.previous_hash != previous_hash:
            what = "the genesis hash" if expected_sequence == 1 else f"event {checked}'s hash"
            return broken(
                f"event {event.sequence}: previous_hash {event.previous_hash!r} is not {what} "
                f"{previous_hash!r} (the event before it was changed or removed)"
            )
        try:
            recomputed = chain_hash(
                event.previous_hash, event.sequence, event.kind, event.recorded_at, event.payload
            )
        except TypeError as error:
            return broken(f"event {event.sequence}: payload cannot be encoded: {error}")
        if recomputed != event.hash:
            return broken(
                f"event {event.sequence}: content does not match its hash (its kind, time or "
                f"payload was changed): stored {event.hash!r}, recomputed {recomputed!r}"
            )
        previous_hash = event.hash
        checked += 1
        expected_sequence += 1

    if head_hash is not None and head_hash != previous_hash:
        return ChainReport(
            False,
            checked,
            expected_sequence,
            f"the last event's hash {previous_hash!r} is not the published head {head_hash!r} "
            "(events were removed from the end or the chain was rewritten)",
            previous_hash,
        )
    return ChainReport(True, checked, None, None, previous_hash)
