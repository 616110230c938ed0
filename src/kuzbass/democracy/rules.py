"""Methods, motion kinds and constitutions: the rules a council adopts for deciding."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from enum import StrEnum
from fractions import Fraction
from typing import Any

__all__ = [
    "Constitution",
    "MotionKind",
    "VotingMethod",
    "passes_threshold",
    "quorum_required",
]


class VotingMethod(StrEnum):
    """How a ballot is filled in and counted."""

    MAJORITY = "majority"
    """Yes, no or abstain on one motion."""
    APPROVAL = "approval"
    """Approve any number of options; most approvals wins."""
    SCORE = "score"
    """Give every option 0..max_score; highest total wins."""
    SCHULZE = "schulze"
    """Rank options; the Schulze (beat path) method with winning votes as link strength."""
    INSTANT_RUNOFF = "instant-runoff"
    """Rank options; eliminate the fewest first preferences until one has a majority."""

    @property
    def ranked(self) -> bool:
        return self in (VotingMethod.SCHULZE, VotingMethod.INSTANT_RUNOFF)


class MotionKind(StrEnum):
    """What is being decided; it selects the constitution's threshold."""

    ORDINARY = "ordinary"
    RECALL = "recall"
    CONSTITUTION = "constitution"
    ELECTION = "election"


def _fraction(name: str, value: Any) -> Fraction:
    """Read a share exactly: a Fraction, an int, or a string like "2/3"; floats are refused."""
    if isinstance(value, Fraction):
        share = value
    elif isinstance(value, int) and not isinstance(value, bool):
        share = Fraction(value)
    elif isinstance(value, str):
        try:
            share = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{name}: {value!r} is not a fraction like '1/2'") from None
    else:
        raise ValueError(
            f"{name}: give a Fraction or a string like '1/2', not {type(value).__name__} {value!r}"
        )
    if not 0 < share <= 1:
        raise ValueError(f"{name}: {share} must be more than 0 and at most 1")
    return share


@dataclass(frozen=True)
class Constitution:
    """A council's decision rules.

    ``quorum`` is the share of the electorate that must cast a ballot (abstentions and blank
    ballots count) for a vote to bind. The thresholds are shares of yes among yes + no
    (abstentions do not count); see ``passes_threshold`` for the exact rule. Shares are exact
    fractions: give them as ``Fraction`` or strings like ``"2/3"``.
    """

    quorum: Fraction = field(default=Fraction(1, 2))
    ordinary_threshold: Fraction = field(default=Fraction(1, 2))
    recall_threshold: Fraction = field(default=Fraction(1, 2))
    constitution_threshold: Fraction = field(default=Fraction(2, 3))

    def __post_init__(self) -> None:
        for item in fields(self):
            object.__setattr__(self, item.name, _fraction(item.name, getattr(self, item.name)))

    def threshold_for(self, kind: MotionKind | str) -> Fraction | None:
        """The threshold a motion of this kind must pass; ``None`` for elections (most wins)."""
        kind = MotionKind(kind)
        if kind is MotionKind.ELECTION:
            return None
        return {
            MotionKind.ORDINARY: self.ordinary_threshold,
            MotionKind.RECALL: self.recall_threshold,
            MotionKind.CONSTITUTION: self.constitution_threshold,
        }[kind]

    def to_dict(self) -> dict[str, str]:
        """Fractions as strings ("1/2"), so the result passes ``canonical_json``."""
        return {item.name: str(getattr(self, item.name)) for item in fields(self)}

    @classmethod
    def from_dict(cls, data: Any) -> Constitution:
        """The inverse of ``to_dict``; every field is required and unknown fields are refused."""
        if not isinstance(data, dict):
            raise ValueError(f"a constitution must be an object, got {type(data).__name__}")
        names = [item.name for item in fields(cls)]
        for name in names:
            if name not in data:
                raise ValueError(f"{name}: missing")
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown field of a constitution")
        return cls(**{name: _fraction(name, data[name]) for name in names})


def quorum_required(quorum: Fraction, electorate: int) -> int:
    """The least number of ballots that makes a quorum: ceil(quorum × electorate)."""
    return math.ceil(quorum * electorate)


def passes_threshold(yes: int, no: int, threshold: Fraction) -> bool:
    """The one rule for every threshold: yes/(yes+no) ≥ threshold AND yes > no.

    So a threshold of 1/2 means "more than half" (a tie fails), 2/3 means "at least two
    thirds", 1 means "no one against", and a motion that more members oppose than support never
    carries, whatever the threshold. Abstentions count neither way; with no yes and no no votes
    nothing carries.
    """
    return yes > no and yes >= threshold * (yes + no)
