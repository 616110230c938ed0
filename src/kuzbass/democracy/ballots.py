"""Ballot validation: what a member may put on a ballot for each voting method."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from kuzbass.democracy.rules import VotingMethod

__all__ = [
    "MAJORITY_CHOICES",
    "BallotError",
    "approval_matrix",
    "rank_matrix",
    "score_matrix",
    "validate_ballot",
    "validate_options",
]

MAJORITY_CHOICES = ("yes", "no", "abstain")


class BallotError(ValueError):
    """A ballot, or a list of options, that the method does not accept."""


def validate_options(method: VotingMethod | str, options: Sequence[str]) -> list[str]:
    """Check the options of a vote: distinct non-empty strings, at least one.

    A yes/no/abstain majority vote has its choices fixed; its options are the three choices
    whatever is passed.
    """
    if VotingMethod(method) is VotingMethod.MAJORITY:
        return list(MAJORITY_CHOICES)
    if isinstance(options, str) or not isinstance(options, Sequence):
        raise BallotError(f"options must be a list of strings, got {type(options).__name__}")
    if not options:
        raise BallotError("a vote needs at least one option")
    seen: set[str] = set()
    for option in options:
        if not isinstance(option, str) or not option.strip():
            raise BallotError(f"option {option!r} must be a non-empty string")
        if option in seen:
            raise BallotError(f"option {option!r} is listed twice")
        seen.add(option)
    return list(options)


def _unknown(option: Any, options: Sequence[str]) -> BallotError:
    return BallotError(f"{option!r} is not one of the options {list(options)}")


def _distinct_options(method: str, content: Any, options: Sequence[str]) -> list[str]:
    if isinstance(content, str) or not isinstance(content, list | tuple):
        article = "an" if method[0] in "aeiou" else "a"
        raise BallotError(
            f"{article} {method} ballot is a list of options, got {type(content).__name__}"
        )
    known = set(options)
    seen: set[str] = set()
    for option in content:
        if not isinstance(option, str) or option not in known:
            raise _unknown(option, options)
        if option in seen:
            raise BallotError(f"{option!r} appears twice on the {method} ballot")
        seen.add(option)
    return list(content)


def validate_ballot(
    method: VotingMethod | str, options: Sequence[str], content: Any, *, max_score: int = 5
) -> Any:
    """Check one ballot and return its normalized content, or raise ``BallotError``.

    - majority: ``"yes"``, ``"no"`` or ``"abstain"``;
    - approval: a list of distinct options (empty approves none), returned in options order;
    - score: a dict giving every option an integer 0..max_score;
    - schulze / instant-runoff: distinct options, most preferred first; options left out are
      ranked below all ranked ones (an empty list expresses no preference).
    """
    method = VotingMethod(method)
    if method is VotingMethod.MAJORITY:
        if content not in MAJORITY_CHOICES:
            raise BallotError(f"{content!r} is not a choice; choose 'yes', 'no' or 'abstain'")
        return content
    options = validate_options(method, options)
    if method is VotingMethod.APPROVAL:
        approved = set(_distinct_options("approval", content, options))
        return [option for option in options if option in approved]
    if method is VotingMethod.SCORE:
        if isinstance(max_score, bool) or not isinstance(max_score, int) or max_score < 1:
            raise BallotError(f"max_score must be a positive integer, got {max_score!r}")
        if not isinstance(content, dict):
            raise BallotError(
                f"a score ballot maps options to scores, got {type(content).__name__}"
            )
        for option in content:
            if option not in options:
                raise _unknown(option, options)
        normalized = {}
        for option in options:
            if option not in content:
                raise BallotError(f"option {option!r} has no score; score every option")
            score = content[option]
            if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= max_score:
                raise BallotError(
                    f"score {score!r} for {option!r} must be an integer from 0 to {max_score}"
                )
            normalized[option] = score
        return normalized
    return _distinct_options("ranked", content, options)


def _reject(
    method: VotingMethod, options: Sequence[str], position: int, content: Any, max_score: int
) -> BallotError:
    """The precise error for a ballot the fast path refused, prefixed with its position."""
    try:
        validate_ballot(method, options, content, max_score=max_score)
    except BallotError as error:
        return BallotError(f"ballot {position}: {error}")
    raise AssertionError(f"ballot {position} was refused but validates: {content!r}")


def _options_matrix(
    method: VotingMethod, options: Sequence[str], ballots: Iterable[Any], dtype: type
) -> npt.NDArray[Any]:
    """Validate list ballots and write them as an n×k matrix: entry [i, j] is the place
    (1 = first) of option j on ballot i, 0 if absent. One Python pass; repeats are found after,
    from the matrix, because a repeated option overwrites its own cell."""
    options = validate_options(method, options)
    contents = ballots if isinstance(ballots, Sequence) else list(ballots)
    lookup = {option: j for j, option in enumerate(options)}.__getitem__
    columns: list[int] = []
    lengths: list[int] = []
    for position, content in enumerate(contents):
        if not isinstance(content, list | tuple):
            raise _reject(method, options, position, content, 5)
        try:
            picked = list(map(lookup, content))
        except (KeyError, TypeError):
            raise _reject(method, options, position, content, 5) from None
        columns += picked
        lengths.append(len(picked))
    n = len(lengths)
    sizes = np.array(lengths, dtype=np.int64)
    rows = np.repeat(np.arange(n), sizes)
    places = np.arange(len(columns)) - np.repeat(np.cumsum(sizes) - sizes, sizes) + 1
    matrix: npt.NDArray[Any] = np.zeros((n, len(options)), dtype=dtype)
    matrix[rows, np.array(columns, dtype=np.intp)] = places
    repeated = np.flatnonzero((matrix != 0).sum(axis=1) != sizes)
    if len(repeated):
        position = int(repeated[0])
        raise _reject(method, options, position, contents[position], 5)
    return matrix


def approval_matrix(options: Sequence[str], ballots: Iterable[Any]) -> npt.NDArray[np.bool_]:
    """Approval ballots (lists of options) as a validated n×k boolean matrix."""
    return _options_matrix(VotingMethod.APPROVAL, options, ballots, np.int16) > 0


def rank_matrix(options: Sequence[str], ballots: Iterable[Any]) -> npt.NDArray[np.int16]:
    """Ranked ballots (options, most preferred first) as a validated n×k matrix: entry [i, j] is
    the rank (1 = first) ballot i gives option j, 0 where option j is not ranked."""
    return _options_matrix(VotingMethod.SCHULZE, options, ballots, np.int16)


def score_matrix(
    options: Sequence[str], ballots: Iterable[Any], *, max_score: int = 5
) -> npt.NDArray[np.int64]:
    """Score ballots (dicts option -> 0..max_score, every option) as a validated n×k matrix."""
    options = validate_options(VotingMethod.SCORE, options)
    if isinstance(max_score, bool) or not isinstance(max_score, int) or max_score < 1:
        raise BallotError(f"max_score must be a positive integer, got {max_score!r}")
    allowed = set(range(max_score + 1))
    k = len(options)
    rows = []
    for position, content in enumerate(ballots):
        try:
            row = [content[option] for option in options]
            valid = len(content) == k and all(
                isinstance(score, int) and not isinstance(score, bool) and score in allowed
                for score in row
            )
        except (KeyError, TypeError):
            valid = False
        if not valid or not isinstance(content, dict):
            raise _reject(VotingMethod.SCORE, options, position, content, max_score)
        rows.append(row)
    return np.array(rows, dtype=np.int64).reshape(len(rows), k)
