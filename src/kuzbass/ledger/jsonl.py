"""JSON-lines export and import of ledger events: one canonical JSON object per line."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from kuzbass.ledger.chain import _HASH, GENESIS_HASH, ChainReport, LedgerEvent, verify_chain
from kuzbass.ledger.encoding import canonical_json

__all__ = [
    "LedgerFormatError",
    "check_lines",
    "event_from_dict",
    "read_jsonl",
    "verify_jsonl",
    "write_jsonl",
]

_FIELDS = ("sequence", "kind", "recorded_at", "payload", "previous_hash", "hash")


class LedgerFormatError(ValueError):
    """A ledger record that cannot be read; names the line (1-based) and the field."""

    def __init__(self, message: str, *, line: int | None = None, field: str | None = None):
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"{where}{message}")
        self.line = line
        self.field = field


def event_from_dict(record: Any, *, line: int | None = None) -> LedgerEvent:
    """Build an event from its JSON object, checking every field's presence and type.

    It does not check the hashes: that is ``verify_chain``'s job, so a tampered but well-formed
    record is read and then reported as a broken link rather than as unreadable.
    """
    if not isinstance(record, dict):
        raise LedgerFormatError(f"expected a JSON object, got {type(record).__name__}", line=line)
    for name in _FIELDS:
        if name not in record:
            raise LedgerFormatError(f"field {name!r} is missing", line=line, field=name)
    unknown = sorted(set(record) - set(_FIELDS))
    if unknown:
        raise LedgerFormatError(f"unknown field {unknown[0]!r}", line=line, field=unknown[0])
    sequence = record["sequence"]
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        raise LedgerFormatError(
            f"field 'sequence' must be a positive integer, got {sequence!r}",
            line=line,
            field="sequence",
        )
    for name in ("kind", "recorded_at"):
        if not isinstance(record[name], str):
            raise LedgerFormatError(
                f"field {name!r} must be a string, got {record[name]!r}", line=line, field=name
            )
    if not isinstance(record["payload"], dict):
        raise LedgerFormatError(
            f"field 'payload' must be an object, got {type(record['payload']).__name__}",
            line=line,
            field="payload",
        )
    for name in ("previous_hash", "hash"):
        value = record[name]
        if not isinstance(value, str) or not _HASH.fullmatch(value):
            raise LedgerFormatError(
                f"field {name!r} must be 64 lowercase hex characters, got {value!r}",
                line=line,
                field=name,
            )
    return LedgerEvent(
        sequence=sequence,
        kind=record["kind"],
        recorded_at=record["recorded_at"],
        payload=record["payload"],
        previous_hash=record["previous_hash"],
        hash=record["hash"],
    )


def check_lines(stream: IO[bytes] | Iterable[bytes]) -> int:
    """Check that a file can be an export at all, before reading its events: not empty, every
    line UTF-8, no blank line (a trailing one included). Return the number of lines.

    These are mistakes of the file (the wrong file, a copy damaged in transfer, an editor's
    trailing newline), named with the line, rather than broken links of a chain.
    """
    count = 0
    for count, raw in enumerate(stream, start=1):
        data = bytes(raw).removesuffix(b"\n")
        if not data.strip():
            raise LedgerFormatError(
                "blank line; an export has one event per line and no blank lines "
                "(remove it, with any trailing blank line)",
                line=count,
            )
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise LedgerFormatError(
                f"not UTF-8 (byte {error.start}): not a ledger export, or damaged in transfer",
                line=count,
            ) from None
    if count == 0:
        raise LedgerFormatError(
            "the file is empty: it holds no event (an export of an empty ledger, or the wrong file)"
        )
    return count


def write_jsonl(events: Iterable[LedgerEvent], stream: IO[Any]) -> int:
    """Write each event as one canonical JSON line to a binary or text stream; return the count."""
    text = isinstance(stream, io.TextIOBase)
    written = 0
    for event in events:
        line = canonical_json(event.to_dict()) + b"\n"
        stream.write(line.decode() if text else line)
        written += 1
    return written


def read_jsonl(stream: IO[Any] | Iterable[bytes | str]) -> Iterator[LedgerEvent]:
    """Read events lazily from JSON lines (binary or text); a bad line raises LedgerFormatError.

    Each line must be exactly the canonical encoding ``write_jsonl`` produces, so that a copy is
    byte-for-byte the export; blank lines are refused too, because a verifier must not guess.
    """
    for number, raw in enumerate(stream, start=1):
        data = raw.encode() if isinstance(raw, str) else bytes(raw)
        data = data.removesuffix(b"\n")
        try:
            record = json.loads(data.decode("utf-8"))
        except UnicodeDecodeError as error:
            raise LedgerFormatError(f"not UTF-8 at byte {error.start}", line=number) from None
        except json.JSONDecodeError as error:
            raise LedgerFormatError(
                f"not JSON: {error.msg} at column {error.colno}", line=number
            ) from None
        event = event_from_dict(record, line=number)
        try:
            canonical = canonical_json(record)
        except TypeError as error:
            raise LedgerFormatError(str(error), line=number, field="payload") from None
        if canonical != data:
            raise LedgerFormatError(
                "not in canonical form (keys sorted, no spaces, UTF-8 characters unescaped)",
                line=number,
            )
        yield event


def verify_jsonl(
    stream: IO[Any] | Iterable[bytes | str], *, head_hash: str | None = None
) -> ChainReport:
    """Verify an exported JSON-lines file in one pass; an unreadable line is a broken link too.

    ``verify_chain`` stops at the first broken link, so when a line cannot be read every event
    before it was intact: line n would have held event n, and is reported as ``first_broken``.
    """
    intact: list[LedgerEvent] = []

    def remember(events: Iterator[LedgerEvent]) -> Iterator[LedgerEvent]:
        for event in events:
            yield event
            intact.append(event)

    try:
        return verify_chain(remember(read_jsonl(stream)), head_hash=head_hash)
    except LedgerFormatError as error:
        head = intact[-1].hash if intact else GENESIS_HASH
        return ChainReport(False, len(intact), len(intact) + 1, str(error), head)
