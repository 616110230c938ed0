from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kuzbass.democracy import (
    ApportionmentTieError,
    Constitution,
    MotionKind,
    apportion_seats,
    passes_threshold,
    quorum_required,
)


def test_default_constitution() -> None:
    c = Constitution()
    assert c.to_dict() == {
        "quorum": "1/2",
        "ordinary_threshold": "1/2",
        "recall_threshold": "1/2",
        "constitution_threshold": "2/3",
    }
    assert c.threshold_for(MotionKind.CONSTITUTION) == Fraction(2, 3)
    assert c.threshold_for("recall") == Fraction(1, 2)
    assert c.threshold_for(MotionKind.ELECTION) is None


def test_strings_are_read_as_exact_fractions_and_round_trip() -> None:
    c = Constitution(quorum="1/3", recall_threshold="3/5", constitution_threshold=1)  # type: ignore[arg-type]
    assert c.quorum == Fraction(1, 3) and c.recall_threshold == Fraction(3, 5)
    assert Constitution.from_dict(c.to_dict()) == c
    assert c.to_dict()["constitution_threshold"] == "1"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quorum": Fraction(0)}, "quorum: 0 must be more than 0 and at most 1"),
        (
            {"ordinary_threshold": "3/2"},
            "ordinary_threshold: 3/2 must be more than 0 and at most 1",
        ),
        ({"recall_threshold": "half"}, "recall_threshold: 'half' is not a fraction like '1/2'"),
        ({"recall_threshold": "1/0"}, r"recall_threshold: '1/0' is not a fraction"),
        (
            {"constitution_threshold": 0.66},
            "constitution_threshold: give a Fraction or a string like '1/2', not float 0.66",
        ),
        ({"quorum": True}, "quorum: give a Fraction"),
    ],
)
def test_invalid_constitution_names_the_field(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Constitution(**kwargs)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "a constitution must be an object, got list"),
        ({"quorum": "1/2"}, "ordinary_threshold: missing"),
        ({**Constitution().to_dict(), "veto": "1"}, "veto: unknown field of a constitution"),
        ({**Constitution().to_dict(), "quorum": "2"}, "quorum: 2 must be more than 0"),
    ],
)
def test_from_dict_errors(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Constitution.from_dict(data)


def test_quorum_is_rounded_up() -> None:
    assert quorum_required(Fraction(1, 2), 101) == 51
    assert quorum_required(Fraction(1, 2), 100) == 50
    assert quorum_required(Fraction(1, 100), 10) == 1


@pytest.mark.parametrize(
    ("yes", "no", "threshold", "carried"),
    [
        (50, 50, Fraction(1, 2), False),  # a tie is not more than half
        (51, 50, Fraction(1, 2), True),
        (2, 1, Fraction(2, 3), True),  # exactly two thirds is enough
        (199, 101, Fraction(2, 3), False),
        (5, 0, Fraction(1), True),
        (5, 1, Fraction(1), False),
        (0, 0, Fraction(1, 2), False),
        (1, 2, Fraction(1, 3), False),  # more against than for never carries
        (2, 2, Fraction(1, 3), False),
    ],
)
def test_threshold_rule(yes: int, no: int, threshold: Fraction, carried: bool) -> None:
    assert passes_threshold(yes, no, threshold) is carried


@given(st.integers(0, 500), st.integers(0, 500), st.fractions(Fraction(1, 100), 1))
def test_threshold_is_monotone_in_yes(yes: int, no: int, threshold: Fraction) -> None:
    if passes_threshold(yes, no, threshold):
        assert passes_threshold(yes + 1, no, threshold)
        assert yes > no


def test_apportionment_sainte_lague_known_answers() -> None:
    # Quotients 530, 330, 176.7, 140, 110, 106, 75.7, 66, 58.9, 48.2 take the ten seats.
    assert apportion_seats({"mine": 530, "coke": 330, "rail": 140}, 10, minimum=0) == {
        "mine": 6,
        "coke": 3,
        "rail": 1,
    }
    assert apportion_seats({"a": 7, "b": 5, "c": 1}, 4, minimum=0) == {"a": 2, "b": 2, "c": 0}
    assert apportion_seats({"a": 7, "b": 5, "c": 1}, 4) == {"a": 2, "b": 1, "c": 1}


def test_apportionment_reports_ties() -> None:
    with pytest.raises(
        ApportionmentTieError, match="1 seat left for 2 councils with equal claims: a, b"
    ) as caught:
        apportion_seats({"b": 10, "a": 10}, 3)
    assert caught.value.tied == ["a", "b"]
    assert apportion_seats({"b": 10, "a": 10}, 4) == {"a": 2, "b": 2}


@pytest.mark.parametrize(
    ("members", "seats", "minimum", "message"),
    [
        ({"a": 1}, -1, 1, "seats must be a non-negative integer, got -1"),
        ({"a": 1}, 1, -1, "minimum must be a non-negative integer, got -1"),
        ({"a": -3}, 1, 1, "council 'a': members must be a non-negative integer"),
        ({"a": 1, "b": 1}, 1, 1, "1 seats cannot give 2 councils 1 seat"),
        ({"a": 0}, 2, 1, "no council has members"),
    ],
)
def test_apportionment_errors(members: dict, seats: int, minimum: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        apportion_seats(members, seats, minimum=minimum)


@given(
    st.dictionaries(st.text(min_size=1, max_size=4), st.integers(1, 1000), min_size=1, max_size=6),
    st.integers(0, 30),
)
def test_apportionment_gives_every_seat_or_reports_a_tie(members: dict, extra: int) -> None:
    seats = len(members) + extra
    try:
        allocation = apportion_seats(members, seats)
    except ApportionmentTieError as tie:
        assert len(tie.tied) > tie.seats_left
        return
    assert sum(allocation.values()) == seats
    assert all(n >= 1 for n in allocation.values())
    larger = [(members[a], allocation[a]) for a in members]
    assert all(sa >= sb for ma, sa in larger for mb, sb in larger if ma > mb)


shares = st.fractions(min_value=0, max_value=1).filter(lambda f: f > 0)


@given(shares, shares, shares, shares)
def test_constitution_round_trips_through_its_dict(
    q: Fraction, o: Fraction, r: Fraction, c: Fraction
) -> None:
    constitution = Constitution(q, o, r, c)
    data = constitution.to_dict()
    assert all(isinstance(value, str) for value in data.values())
    assert Constitution.from_dict(data) == constitution
