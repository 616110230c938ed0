import io
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kuzbass.ledger import (
    LedgerEvent,
    LedgerFormatError,
    next_event,
    read_jsonl,
    verify_chain,
    verify_jsonl,
    write_jsonl,
)

T0 = datetime(1989, 7, 11, 8, 30, tzinfo=UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
payloads = st.lists(
    st.dictionaries(st.text(max_size=6), json_values, max_size=3), min_size=1, max_size=5
)


def make_chain(items: list[dict]) -> list[LedgerEvent]:
    events: list[LedgerEvent] = []
    for i, payload in enumerate(items):
        events.append(
            next_event(
                events[-1] if events else None,
                "tally.published",
                payload,
                T0 + timedelta(minutes=i),
            )
        )
    return events


def export(events: list[LedgerEvent]) -> bytes:
    stream = io.BytesIO()
    assert write_jsonl(events, stream) == len(events)
    return stream.getvalue()


CHAIN = make_chain(
    [{"motion": 1, "winners": ["yes"]}, {"demand": "шахтёрам мыло", "status": "open"}]
)


def test_one_canonical_line_per_event() -> None:
    lines = export(CHAIN).splitlines()
    assert len(lines) == 2
    assert lines[1].startswith(
        b'{"hash":"' + CHAIN[1].hash.encode() + b'","kind":"tally.published"'
    )
    assert "шахтёрам мыло".encode() in lines[1]


def test_text_and_binary_streams_agree() -> None:
    text = io.StringIO()
    write_jsonl(CHAIN, text)
    assert text.getvalue().encode() == export(CHAIN)
    assert list(read_jsonl(io.StringIO(text.getvalue()))) == CHAIN


@given(payloads)
def test_round_trip_keeps_every_event_and_verifies(items: list[dict]) -> None:
    events = make_chain(items)
    back = list(read_jsonl(io.BytesIO(export(events))))
    assert back == events
    assert verify_chain(back).ok


@settings(max_examples=150)
@given(payloads, st.data())
def test_any_single_byte_change_is_detected(items: list[dict], data: st.DataObject) -> None:
    blob = bytearray(export(make_chain(items)))
    position = data.draw(st.integers(0, len(blob) - 1))
    replacement = data.draw(st.integers(0, 255).filter(lambda b: b != blob[position]))
    blob[position] = replacement
    try:
        report = verify_chain(read_jsonl(io.BytesIO(bytes(blob))))
    except LedgerFormatError:
        return
    assert not report.ok


def lines_with(line: bytes) -> io.BytesIO:
    good = export(CHAIN[:1])
    return io.BytesIO(good + line + b"\n")


@pytest.mark.parametrize(
    ("line", "message", "field"),
    [
        (b"\xff{}", r"line 2: not UTF-8 at byte 0", None),
        (b'{"sequence":', r"line 2: not JSON: Expecting value at column 13", None),
        (b"[]", r"line 2: expected a JSON object, got list", None),
        (b"", r"line 2: not JSON", None),
        (b'{"sequence":2}', r"line 2: field 'kind' is missing", "kind"),
        (
            b'{"hash":"'
            + b"a" * 64
            + b'","kind":"k","payload":{},"previous_hash":"'
            + b"b" * 64
            + b'","recorded_at":"t","sequence":2,"signed":true}',
            r"line 2: unknown field 'signed'",
            "signed",
        ),
        (
            b'{"hash":"'
            + b"a" * 64
            + b'","kind":"k","payload":{},"previous_hash":"'
            + b"b" * 64
            + b'","recorded_at":"t","sequence":"2"}',
            r"line 2: field 'sequence' must be a positive integer, got '2'",
            "sequence",
        ),
        (
            b'{"hash":"'
            + b"A" * 64
            + b'","kind":"k","payload":{},"previous_hash":"'
            + b"b" * 64
            + b'","recorded_at":"t","sequence":2}',
            r"line 2: field 'hash' must be 64 lowercase hex characters",
            "hash",
        ),
        (
            b'{"hash":"'
            + b"a" * 64
            + b'","kind":7,"payload":{},"previous_hash":"'
            + b"b" * 64
            + b'","recorded_at":"t","sequence":2}',
            r"line 2: field 'kind' must be a string, got 7",
            "kind",
        ),
        (
            b'{"hash":"'
            + b"a" * 64
            + b'","kind":"k","payload":[],"previous_hash":"'
            + b"b" * 64
            + b'","recorded_at":"t","sequence":2}',
            r"line 2: field 'payload' must be an object, got list",
            "payload",
        ),
        (
            b'{"hash":"'
            + b"a" * 64
            + b'","kind":"k","payload":{"x":0.5},"previous_hash":"'
            + b"b" * 64
            + b'","recorded_at":"t","sequence":2}',
            r"line 2: \$\.payload\.x: float",
            "payload",
        ),
        (
            b'{"sequence":2, "hash":"'
            + b"a" * 64
            + b'","kind":"k","payload":{},"previous_hash":"'
            + b"b" * 64
            + b'","recorded_at":"t"}',
            r"line 2: not in canonical form",
            None,
        ),
    ],
)
def test_malformed_lines_name_line_and_field(line: bytes, message: str, field: str | None) -> None:
    with pytest.raises(LedgerFormatError, match=message) as caught:
        list(read_jsonl(lines_with(line)))
    assert caught.value.line == 2
    assert caught.value.field == field


def test_reading_is_lazy_so_earlier_events_arrive_before_the_error() -> None:
    reader = read_jsonl(lines_with(b"oops"))
    assert next(reader) == CHAIN[0]
    with pytest.raises(LedgerFormatError, match="line 2"):
        next(reader)


def test_verify_jsonl_reports_intact_files_and_unreadable_lines() -> None:
    report = verify_jsonl(io.BytesIO(export(CHAIN)), head_hash=CHAIN[-1].hash)
    assert report.ok and report.events_checked == 2
    broken = verify_jsonl(lines_with(b"{oops"))
    assert (broken.ok, broken.events_checked, broken.first_broken) == (False, 1, 2)
    assert broken.reason is not None and broken.reason.startswith("line 2: not JSON")
    assert broken.head_hash == CHAIN[0].hash
    unreadable_first = verify_jsonl(io.BytesIO(b"\n"))
    assert (unreadable_first.first_broken, unreadable_first.events_checked) == (1, 0)


def test_verify_jsonl_names_a_tampered_event() -> None:
    blob = export(CHAIN).replace("мыло".encode(), "соль".encode())
    report = verify_jsonl(io.BytesIO(blob))
    assert not report.ok and report.first_broken == 2 and report.events_checked == 1
    assert report.reason is not None and "content does not match its hash" in report.reason
