import hashlib
import itertools
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kuzbass.ledger import (
    GENESIS_HASH,
    LedgerEvent,
    canonical_json,
    chain_hash,
    format_recorded_at,
    next_event,
    verify_chain,
)

T0 = datetime(1989, 7, 10, 6, 0, tzinfo=UTC)


def make_chain(payloads: list[dict]) -> list[LedgerEvent]:
    events: list[LedgerEvent] = []
    for i, payload in enumerate(payloads):
        events.append(
            next_event(events[-1] if events else None, "motion.tabled", payload, T0 + timedelta(i))
        )
    return events


CHAIN = make_chain([{"motion": n, "title": f"soap in the showers {n}"} for n in range(1, 8)])


def test_canonical_json_sorts_keys_without_spaces_in_utf8() -> None:
    assert canonical_json({"b": [1, True, None], "a": "шахта"}) == (
        '{"a":"шахта","b":[1,true,null]}'.encode()
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"tally": {"share": 0.5}}, r"\$\.tally\.share: float 0\.5 .*as strings"),
        ({"counts": [1, 2, 1.5]}, r"\$\.counts\[2\]: float"),
        ({1: "x"}, r"\$: keys must be strings, got int 1"),
        ({"when": T0}, r"\$\.when: datetime"),
        ({"set": {1}}, r"\$\.set: set"),
    ],
)
def test_canonical_json_rejects_what_has_no_exact_spelling(value: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        canonical_json(value)


def test_chain_hash_is_the_documented_recipe() -> None:
    first = CHAIN[0]
    body = {
        "sequence": 1,
        "kind": "motion.tabled",
        "recorded_at": "1989-07-10T06:00:00.000000Z",
        "payload": {"motion": 1, "title": "soap in the showers 1"},
    }
    expected = hashlib.sha256(
        GENESIS_HASH.encode()
        + json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    assert first.hash == expected
    assert first.hash == chain_hash(
        GENESIS_HASH, 1, "motion.tabled", first.recorded_at, body["payload"]
    )


def test_next_event_links_and_numbers_from_one() -> None:
    assert [e.sequence for e in CHAIN] == list(range(1, 8))
    assert CHAIN[0].previous_hash == GENESIS_HASH
    assert all(b.previous_hash == a.hash for a, b in itertools.pairwise(CHAIN))


def test_next_event_copies_the_payload() -> None:
    payload = {"demand": "soap"}
    event = next_event(None, "demand.raised", payload, T0)
    payload["demand"] = "nothing"
    assert event.payload == {"demand": "soap"}
    assert verify_chain([event]).ok


@pytest.mark.parametrize(
    ("kind", "payload", "moment", "error", "message"),
    [
        ("Motion tabled", {}, T0, ValueError, "kind 'Motion tabled' must be a lowercase word"),
        ("x", [], T0, TypeError, "payload must be a dict, got list"),
        ("x", {"a": 1.0}, T0, TypeError, r"\$\.a: float"),
        ("x", {}, datetime(1989, 7, 10), ValueError, "has no time zone"),
        ("x", {}, "yesterday", ValueError, "'yesterday' is not an ISO 8601 timestamp"),
    ],
)
def test_next_event_errors(
    kind: str, payload: object, moment: object, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        next_event(None, kind, payload, moment)  # type: ignore[arg-type]


def test_recorded_at_is_respelled_in_utc() -> None:
    moscow = timezone(timedelta(hours=3))
    assert (
        format_recorded_at(datetime(1989, 7, 10, 9, 0, tzinfo=moscow))
        == "1989-07-10T06:00:00.000000Z"
    )
    assert format_recorded_at("1989-07-10T09:00:00+03:00") == "1989-07-10T06:00:00.000000Z"
    assert format_recorded_at("1989-07-10T06:00:00.000000Z") == "1989-07-10T06:00:00.000000Z"


def test_intact_chain_verifies() -> None:
    report = verify_chain(CHAIN)
    assert report.ok and report.events_checked == 7 and report.first_broken is None
    assert report.reason is None and report.head_hash == CHAIN[-1].hash
    assert verify_chain([]).ok and verify_chain([]).head_hash == GENESIS_HASH


def test_changed_payload_is_named() -> None:
    events = list(CHAIN)
    events[3] = replace(events[3], payload={"motion": 4, "title": "no soap"})
    report = verify_chain(events)
    assert (report.ok, report.first_broken, report.events_checked) == (False, 4, 3)
    assert report.reason is not None and report.reason.startswith("event 4: content does not match")


def test_rehashed_event_breaks_the_next_link() -> None:
    events = list(CHAIN)
    forged = next_event(events[1], "motion.tabled", {"motion": 3, "title": "forged"}, T0)
    events[2] = forged
    report = verify_chain(events)
    assert report.first_broken == 4
    assert (
        report.reason is not None
        and "previous_hash" in report.reason
        and "event 3's hash" in report.reason
    )


def test_removed_event_is_a_gap() -> None:
    report = verify_chain(CHAIN[:2] + CHAIN[3:])
    assert report.first_broken == 3
    assert report.reason == "gap in sequence: expected event 3, found event 4 (1 event missing)"


def test_reordered_events_are_named() -> None:
    events = list(CHAIN)
    events[2], events[4] = events[4], events[2]
    report = verify_chain(events)
    assert (
        report.first_broken == 3 and report.reason is not None and "found event 5" in report.reason
    )
    duplicated = verify_chain(CHAIN[:3] + CHAIN[2:])
    assert duplicated.first_broken == 4
    assert duplicated.reason is not None and "out of order" in duplicated.reason


def test_wrong_genesis_is_named() -> None:
    first = CHAIN[0]
    bad = replace(first, previous_hash="f" * 64)
    report = verify_chain([bad])
    assert report.first_broken == 1 and report.reason is not None and "genesis" in report.reason


def test_head_hash_detects_a_cut_tail() -> None:
    head = CHAIN[-1].hash
    assert verify_chain(CHAIN, head_hash=head).ok
    report = verify_chain(CHAIN[:5], head_hash=head)
    assert not report.ok and report.events_checked == 5 and report.first_broken == 6
    assert report.reason is not None and "published head" in report.reason


def test_unencodable_payload_is_reported_not_raised() -> None:
    bad = replace(CHAIN[0], payload={"share": 0.5})
    report = verify_chain([bad])
    assert not report.ok and report.reason is not None and "cannot be encoded" in report.reason


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(
    st.lists(st.dictionaries(st.text(max_size=5), json_values, max_size=3), min_size=1, max_size=6),
    st.data(),
)
def test_any_field_change_of_any_event_is_detected(
    payloads: list[dict], data: st.DataObject
) -> None:
    events = make_chain(payloads)
    index = data.draw(st.integers(0, len(events) - 1))
    target = events[index]
    field = data.draw(
        st.sampled_from(["kind", "recorded_at", "payload", "previous_hash", "hash", "sequence"])
    )
    if field == "kind":
        changed = replace(target, kind=target.kind + "x")
    elif field == "recorded_at":
        changed = replace(target, recorded_at=target.recorded_at.replace("Z", "1Z"))
    elif field == "payload":
        changed = replace(target, payload={**target.payload, "\x00extra": data.draw(json_values)})
    elif field == "sequence":
        changed = replace(target, sequence=target.sequence + data.draw(st.integers(1, 3)))
    else:
        digest = getattr(target, field)
        flipped = "0" if digest[0] != "0" else "1"
        changed = replace(target, **{field: flipped + digest[1:]})
    events[index] = changed
    report = verify_chain(events)
    assert not report.ok
    assert report.first_broken is not None and report.first_broken <= index + 2
