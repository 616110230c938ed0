"""Tallies: counting ballots under a constitution, from Python lists or from large arrays.

Counting is numpy; the winners of ranked methods are decided by pref_voting (a maintained
library) on an exact aggregate of the ballots — the pairwise support matrix for Schulze, and for
instant runoff the ballots reduced to the options that are ever their top choice — so a
million ballots take seconds, and tests check the aggregates against pref_voting on raw ballots.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from kuzbass.democracy.ballots import (
    MAJORITY_CHOICES,
    BallotError,
    approval_matrix,
    rank_matrix,
    score_matrix,
    validate_ballot,
    validate_options,
)
from kuzbass.democracy.rules import (
    Constitution,
    MotionKind,
    VotingMethod,
    passes_threshold,
    quorum_required,
)

__all__ = [
    "Tally",
    "tally",
    "tally_approval",
    "tally_majority",
    "tally_ranked",
    "tally_scores",
]


@dataclass(frozen=True)
class Tally:
    """The published result of a vote.

    ``winners`` are whom the method puts first among the ballots cast (all of them when tied,
    never broken silently; empty when no ballot expresses a preference). For a majority vote it
    is ``["yes"]`` when yes passes the threshold, else ``["no"]``. A result binds only when
    ``quorum_met``; ``carried`` (majority votes only) is quorum met and threshold passed.

    ``counts``: majority — yes/no/abstain; approval — approvals; score — total score;
    ranked — first preferences. ``rounds`` (instant runoff): per round the first preferences of
    the remaining options, the exhausted ballots and the options eliminated (all options tied
    for fewest go together). ``pairwise`` (Schulze): ``preferences[a][b]`` = ballots ranking a
    above b, ``strongest_paths[a][b]`` = strength of the strongest path, in winning votes.
    With ``weights`` (federations voting by delegates) every count is in weight units.
    """

    method: VotingMethod
    options: list[str]
    ballots_cast: int
    electorate: int
    quorum_required: int
    quorum_met: bool
    threshold: Fraction | None
    counts: dict[str, int]
    winners: list[str]
    carried: bool | None
    rounds: list[dict[str, Any]] | None
    pairwise: dict[str, dict[str, dict[str, int]]] | None
    kind: MotionKind = MotionKind.ORDINARY
    blank_ballots: int = 0

    @property
    def tied(self) -> bool:
        """More than one winner: the council must decide how to proceed (e.g. another ballot)."""
        return len(self.winners) > 1

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (threshold as "2/3"), ready for ``canonical_json`` and the ledger."""
        return {
            "method": str(self.method),
            "kind": str(self.kind),
            "options": list(self.options),
            "ballots_cast": self.ballots_cast,
            "blank_ballots": self.blank_ballots,
            "electorate": self.electorate,
            "quorum_required": self.quorum_required,
            "quorum_met": self.quorum_met,
            "threshold": None if self.threshold is None else str(self.threshold),
            "counts": dict(self.counts),
            "winners": list(self.winners),
            "carried": self.carried,
            "rounds": self.rounds,
            "pairwise": self.pairwise,
        }


@dataclass(frozen=True)
class _Frame:
    ballots_cast: int
    electorate: int
    quorum_required: int
    quorum_met: bool


def _frame(ballots_cast: int, electorate: int, constitution: Constitution) -> _Frame:
    if isinstance(electorate, bool) or not isinstance(electorate, int) or electorate < 1:
        raise ValueError(f"electorate must be a positive integer, got {electorate!r}")
    if not isinstance(constitution, Constitution):
        raise TypeError(f"constitution must be a Constitution, got {type(constitution).__name__}")
    if ballots_cast > electorate:
        raise ValueError(f"{ballots_cast} ballots cast but the electorate is only {electorate}")
    required = quorum_required(constitution.quorum, electorate)
    return _Frame(ballots_cast, electorate, required, ballots_cast >= required)


def _weights(weights: npt.ArrayLike | None, n: int) -> npt.NDArray[np.int64] | None:
    if weights is None:
        return None
    array = np.asarray(weights)
    if array.shape != (n,):
        raise ValueError(f"weights must have one entry per ballot ({n}), got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"weights must be integers, got an array of {array.dtype}")
    negative = np.flatnonzero(array < 0)
    if len(negative):
        bad = int(negative[0])
        raise ValueError(f"weights must not be negative; ballot {bad} has weight {array[bad]}")
    return array.astype(np.int64)


def _cast(n: int, weights: npt.NDArray[np.int64] | None) -> int:
    return n if weights is None else int(weights.sum())


def _column_totals(
    matrix: npt.NDArray[Any], weights: npt.NDArray[np.int64] | None
) -> npt.NDArray[np.int64]:
    if weights is None:
        return matrix.sum(axis=0, dtype=np.int64)
    return (weights @ matrix.astype(np.int64)).astype(np.int64)


def _leaders(options: Sequence[str], totals: npt.NDArray[np.int64], expressed: bool) -> list[str]:
    if not expressed or not len(options):
        return []
    best = totals.max()
    return [option for option, total in zip(options, totals, strict=True) if total == best]


def _matrix(name: str, matrix: npt.ArrayLike, k: int) -> npt.NDArray[Any]:
    array = np.asarray(matrix)
    if array.ndim != 2 or array.shape[1] != k:
        raise BallotError(
            f"{name} matrix must be n×{k} (one column per option), got shape {array.shape}"
        )
    return array


def tally_majority(
    yes: int,
    no: int,
    abstain: int,
    *,
    electorate: int,
    constitution: Constitution,
    kind: MotionKind | str = MotionKind.ORDINARY,
) -> Tally:
    """Decide a yes/no/abstain motion from its three counts (e.g. counted by the database)."""
    kind = MotionKind(kind)
    threshold = constitution.threshold_for(kind)
    if threshold is None:
        raise ValueError("an election is decided by approval, score or a ranked method, not yes/no")
    for name, count in (("yes", yes), ("no", no), ("abstain", abstain)):
        if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {count!r}")
    yes, no, abstain = int(yes), int(no), int(abstain)
    frame = _frame(yes + no + abstain, electorate, constitution)
    passed = passes_threshold(yes, no, threshold)
    winners = ["yes"] if passed else (["no"] if yes + no else [])
    return Tally(
        method=VotingMethod.MAJORITY,
        options=list(MAJORITY_CHOICES),
        ballots_cast=frame.ballots_cast,
        electorate=frame.electorate,
        quorum_required=frame.quorum_required,
        quorum_met=frame.quorum_met,
        threshold=threshold,
        counts={"yes": yes, "no": no, "abstain": abstain},
        winners=winners,
        carried=frame.quorum_met and passed,
        rounds=None,
        pairwise=None,
        kind=kind,
        blank_ballots=abstain,
    )


def tally_approval(
    options: Sequence[str],
    matrix: npt.ArrayLike,
    *,
    electorate: int,
    constitution: Constitution,
    kind: MotionKind | str = MotionKind.ORDINARY,
    weights: npt.ArrayLike | None = None,
) -> Tally:
    """Approval tally of an n×k boolean matrix (row = ballot, column = option approved)."""
    options = validate_options(VotingMethod.APPROVAL, options)
    array = _matrix("approval", matrix, len(options))
    if array.dtype != np.bool_:
        bad = np.argwhere((array != 0) & (array != 1))
        if len(bad):
            row, col = (int(x) for x in bad[0])
            raise BallotError(
                f"ballot {row}: approval of {options[col]!r} must be true or false, "
                f"got {array[row, col].item()!r}"
            )
        array = array.astype(bool)
    w = _weights(weights, len(array))
    frame = _frame(_cast(len(array), w), electorate, constitution)
    totals = _column_totals(array, w)
    blank_rows = ~array.any(axis=1)
    blank = int(blank_rows.sum() if w is None else w[blank_rows].sum())
    return Tally(
        method=VotingMethod.APPROVAL,
        options=options,
        ballots_cast=frame.ballots_cast,
        electorate=frame.electorate,
        quorum_required=frame.quorum_required,
        quorum_met=frame.quorum_met,
        threshold=None,
        counts={option: int(total) for option, total in zip(options, totals, strict=True)},
        winners=_leaders(options, totals, bool(totals.any())),
        carried=None,
        rounds=None,
        pairwise=None,
        kind=MotionKind(kind),
        blank_ballots=blank,
    )


def tally_scores(
    options: Sequence[str],
    matrix: npt.ArrayLike,
    *,
    electorate: int,
    constitution: Constitution,
    kind: MotionKind | str = MotionKind.ORDINARY,
    max_score: int = 5,
    weights: npt.ArrayLike | None = None,
) -> Tally:
    """Score tally of an n×k integer matrix of scores 0..max_score; highest total wins."""
    options = validate_options(VotingMethod.SCORE, options)
    array = _matrix("score", matrix, len(options))
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise BallotError(f"scores must be integers, got an array of {array.dtype}")
    bad = np.argwhere((array < 0) | (array > max_score))
    if len(bad):
        row, col = (int(x) for x in bad[0])
        raise BallotError(
            f"ballot {row}: score {int(array[row, col])} for {options[col]!r} must be an integer "
            f"from 0 to {max_score}"
        )
    w = _weights(weights, len(array))
    frame = _frame(_cast(len(array), w), electorate, constitution)
    totals = _column_totals(array, w)
    expressed = _cast(len(array), w) > 0
    return Tally(
        method=VotingMethod.SCORE,
        options=options,
        ballots_cast=frame.ballots_cast,
        electorate=frame.electorate,
        quorum_required=frame.quorum_required,
        quorum_met=frame.quorum_met,
        threshold=None,
        counts={option: int(total) for option, total in zip(options, totals, strict=True)},
        winners=_leaders(options, totals, expressed),
        carried=None,
        rounds=None,
        pairwise=None,
        kind=MotionKind(kind),
        blank_ballots=0,
    )


def _check_ranks(options: Sequence[str], array: npt.NDArray[Any]) -> npt.NDArray[np.int16]:
    """Each row must rank its ranked options 1..m exactly once (0 = not ranked)."""
    k = len(options)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise BallotError(f"ranks must be integers, got an array of {array.dtype}")
    out_of_range = np.argwhere((array < 0) | (array > k))
    if len(out_of_range):
        row, col = (int(x) for x in out_of_range[0])
        raise BallotError(
            f"ballot {row}: rank {int(array[row, col])} for {options[col]!r} must be from 1 to "
            f"{k}, or 0 for not ranked"
        )
    ranks = array.astype(np.int16)
    ranked = (ranks > 0).sum(axis=1)
    expected = np.arange(1, k + 1, dtype=np.int16)[None, :] - (k - ranked)[:, None]
    bad_rows = np.flatnonzero((np.sort(ranks, axis=1) != np.maximum(expected, 0)).any(axis=1))
    if len(bad_rows):
        row = int(bad_rows[0])
        given = {options[j]: int(ranks[row, j]) for j in range(k) if ranks[row, j]}
        raise BallotError(f"ballot {row}: ranks {given} must be 1, 2, … with no repeats or gaps")
    return ranks


def _positions(ranks: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    """Ranks with unranked options placed after every ranked one (rank k + 1)."""
    k = ranks.shape[1]
    return np.where(ranks > 0, ranks, np.int16(k + 1)).astype(np.int16)


def pairwise_support(
    ranks: npt.NDArray[np.int16], weights: npt.NDArray[np.int64] | None = None
) -> npt.NDArray[np.int64]:
    """support[a, b] = ballots ranking a above b (a ranked option is above an unranked one)."""
    positions = _positions(ranks)
    k = ranks.shape[1]
    support = np.zeros((k, k), dtype=np.int64)
    for a in range(k):
        above = positions[:, a : a + 1] < positions
        support[a] = _column_totals(above, weights)
    return support


def strongest_paths(support: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Schulze's strongest paths (widest paths, Floyd–Warshall); a link a→b has strength
    support[a, b] when a beats b, 0 otherwise (winning votes)."""
    paths = np.where(support > support.T, support, 0).astype(np.int64)
    for via in range(len(support)):
        through = np.minimum(paths[:, via : via + 1], paths[via : via + 1, :])
        paths = np.maximum(paths, through)
        np.fill_diagonal(paths, 0)
    return paths


def _first_preferences(
    positions: npt.NDArray[np.int16],
    active: npt.NDArray[np.bool_],
    weights: npt.NDArray[np.int64] | None,
) -> tuple[npt.NDArray[np.int64], int]:
    """First preferences among the active options, and the ballots ranking none of them."""
    k = positions.shape[1]
    masked = np.where(active[None, :], positions, np.int16(k + 1))
    top = masked.argmin(axis=1)
    live = masked[np.arange(len(masked)), top] <= k
    w = np.ones(len(masked), dtype=np.int64) if weights is None else weights
    counts = np.bincount(top[live], weights=w[live], minlength=k).astype(np.int64)
    return counts, int(w[~live].sum())


def _runoff(
    positions: npt.NDArray[np.int16], weights: npt.NDArray[np.int64] | None
) -> tuple[list[int], list[tuple[npt.NDArray[np.int64], int, list[int]]]]:
    """Instant runoff by pref_voting's rule for truncated ballots: a majority of the
    non-exhausted ballots wins; else every option with fewest first preferences is eliminated
    at once; if all remaining options tie, they all win."""
    k = positions.shape[1]
    active = np.ones(k, dtype=bool)
    rounds: list[tuple[npt.NDArray[np.int64], int, list[int]]] = []
    while True:
        counts, exhausted = _first_preferences(positions, active, weights)
        live = int(counts.sum())
        if live == 0:
            rounds.append((counts, exhausted, []))
            return [], rounds
        remaining = np.flatnonzero(active)
        best = counts[remaining].max()
        if 2 * best > live or len(remaining) == 1:
            rounds.append((counts, exhausted, []))
            return [int(c) for c in remaining if counts[c] == best], rounds
        fewest = counts[remaining].min()
        out = [int(c) for c in remaining if counts[c] == fewest]
        if len(out) == len(remaining):
            rounds.append((counts, exhausted, []))
            return out, rounds
        rounds.append((counts, exhausted, out))
        active[out] = False


def _distinct_rows(
    membership: npt.NDArray[np.bool_], weights: npt.NDArray[np.int64] | None
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """The distinct rows of a boolean matrix with their (weighted) multiplicities."""
    n, k = membership.shape
    w = np.ones(n, dtype=np.int64) if weights is None else weights
    if k <= 62:
        bits = np.int64(1) << np.arange(k, dtype=np.int64)
        codes = membership.astype(np.int64) @ bits
        distinct, inverse = np.unique(codes, return_inverse=True)
        rows = (distinct[:, None] & bits[None, :]) != 0
    else:
        rows, inverse = np.unique(membership, axis=0, return_inverse=True)
    counts = np.bincount(inverse.ravel(), weights=w, minlength=len(rows)).astype(np.int64)
    return rows, counts


def ever_top_profile(
    positions: npt.NDArray[np.int16],
    eliminated_in: npt.NDArray[np.int64],
    weights: npt.NDArray[np.int64] | None,
) -> tuple[list[list[int]], list[int]]:
    """Reduce ranked ballots to the options that are ever their top choice, with counts.

    Given the round in which each option is eliminated (a large number for survivors), an option
    is a ballot's top choice in some round exactly when it outlasts every option ranked above it.
    Keeping only those options leaves every round's first preferences unchanged, and there are
    at most 2^k such reduced ballots however many ballots were cast.
    """
    n, k = positions.shape
    order = np.argsort(positions, axis=1, kind="stable")  # options in rank order, unranked last
    ranked = np.take_along_axis(positions, order, axis=1) <= k
    lifetime = np.where(ranked, eliminated_in[order], -1)
    outlasted = np.maximum.accumulate(
        np.concatenate([np.full((n, 1), -1), lifetime[:, :-1]], axis=1), axis=1
    )
    keep = ranked & (lifetime > outlasted)
    membership = np.zeros((n, k), dtype=bool)
    np.put_along_axis(membership, order, keep, axis=1)
    rows, counts = _distinct_rows(membership, weights)
    ballots = []
    for row in rows:
        chosen = np.flatnonzero(row)
        ballots.append([int(c) for c in chosen[np.argsort(eliminated_in[chosen], kind="stable")]])
    return ballots, [int(c) for c in counts]


def _library_schulze(support: npt.NDArray[np.int64]) -> list[int]:
    from pref_voting.margin_based_methods import beat_path
    from pref_voting.weighted_majority_graphs import SupportGraph

    k = len(support)
    graph = SupportGraph(
        list(range(k)),
        [
            (a, b, (int(support[a, b]), int(support[b, a])))
            for a in range(k)
            for b in range(a + 1, k)
        ],
    )
    return [int(c) for c in beat_path(graph, strength_function=graph.support)]


def _library_runoff(ballots: list[list[int]], counts: list[int], k: int) -> list[int]:
    from pref_voting.iterative_methods import instant_runoff
    from pref_voting.profiles_with_ties import ProfileWithTies

    kept = [(b, c) for b, c in zip(ballots, counts, strict=True) if b and c]
    if not kept:
        return []
    profile = ProfileWithTies(
        [{option: rank for rank, option in enumerate(b, start=1)} for b, _ in kept],
        rcounts=[c for _, c in kept],
        candidates=list(range(k)),
    )
    # pref_voting's main instant runoff works on the distinct ballots with their counts; its
    # truncated-ballot variant gives the same winners (tested) but walks every single voter.
    return [int(c) for c in instant_runoff(profile)]


def tally_ranked(
    method: VotingMethod | str,
    options: Sequence[str],
    ranks: npt.ArrayLike,
    *,
    electorate: int,
    constitution: Constitution,
    kind: MotionKind | str = MotionKind.ORDINARY,
    weights: npt.ArrayLike | None = None,
) -> Tally:
    """Schulze or instant-runoff tally of an n×k rank matrix (1 = first, 0 = not ranked)."""
    method = VotingMethod(method)
    if not method.ranked:
        raise ValueError(f"{method} is not a ranked method; use schulze or instant-runoff")
    options = validate_options(method, options)
    k = len(options)
    checked = _check_ranks(options, _matrix("rank", ranks, k))
    w = _weights(weights, len(checked))
    frame = _frame(_cast(len(checked), w), electorate, constitution)
    positions = _positions(checked)
    first, blank = _first_preferences(positions, np.ones(k, dtype=bool), w)
    counts = {option: int(n) for option, n in zip(options, first, strict=True)}
    rounds: list[dict[str, Any]] | None = None
    pairwise: dict[str, dict[str, dict[str, int]]] | None = None
    if method is VotingMethod.SCHULZE:
        support = pairwise_support(checked, w)
        paths = strongest_paths(support)
        chosen = _library_schulze(support) if first.any() else []
        beats = paths > paths.T
        ours = [c for c in range(k) if not beats[:, c].any()] if first.any() else []
        if ours != chosen:
            raise RuntimeError(f"Schulze winners disagree: pref_voting {chosen}, ours {ours}")

        def table(matrix: npt.NDArray[np.int64]) -> dict[str, dict[str, int]]:
            return {
                options[a]: {options[b]: int(matrix[a, b]) for b in range(k) if b != a}
                for a in range(k)
            }

        pairwise = {"preferences": table(support), "strongest_paths": table(paths)}
    else:
        ours, steps = _runoff(positions, w)
        eliminated_in = np.full(k, len(steps) + 1, dtype=np.int64)
        for number, (_, _, out) in enumerate(steps, start=1):
            eliminated_in[out] = number
        reduced, reduced_counts = ever_top_profile(positions, eliminated_in, w)
        chosen = _library_runoff(reduced, reduced_counts, k)
        if ours != chosen:
            raise RuntimeError(
                f"instant-runoff winners disagree: pref_voting {chosen}, ours {ours}"
            )
        active = np.ones(k, dtype=bool)
        rounds = []
        for round_counts, exhausted, out in steps:
            rounds.append(
                {
                    "counts": {options[c]: int(round_counts[c]) for c in np.flatnonzero(active)},
                    "exhausted": exhausted,
                    "eliminated": [options[c] for c in out],
                }
            )
            active[out] = False
    return Tally(
        method=method,
        options=options,
        ballots_cast=frame.ballots_cast,
        electorate=frame.electorate,
        quorum_required=frame.quorum_required,
        quorum_met=frame.quorum_met,
        threshold=None,
        counts=counts,
        winners=[options[c] for c in chosen],
        carried=None,
        rounds=rounds,
        pairwise=pairwise,
        kind=MotionKind(kind),
        blank_ballots=blank,
    )


def tally(
    method: VotingMethod | str,
    options: Sequence[str],
    ballots: Iterable[Any],
    *,
    electorate: int,
    constitution: Constitution,
    kind: MotionKind | str = MotionKind.ORDINARY,
    max_score: int = 5,
    weights: Sequence[int] | None = None,
) -> Tally:
    """Tally ballots given as contents ``validate_ballot`` accepts; a bad one raises
    ``BallotError`` naming its position. Each ballot is checked in one fast pass, so a million
    Python ballots take seconds; the array entry points skip the Python objects altogether."""
    method = VotingMethod(method)
    options = validate_options(method, options)
    common: dict[str, Any] = {"electorate": electorate, "constitution": constitution, "kind": kind}
    if method is VotingMethod.MAJORITY:
        contents = list(ballots)
        w = _weights(weights, len(contents))
        totals = dict.fromkeys(MAJORITY_CHOICES, 0)
        for position, content in enumerate(contents):
            if not isinstance(content, str) or content not in totals:
                raise BallotError(f"ballot {position}: {_majority_error(content)}")
            totals[content] += 1 if w is None else int(w[position])
        return tally_majority(totals["yes"], totals["no"], totals["abstain"], **common)
    if method is VotingMethod.APPROVAL:
        return tally_approval(options, approval_matrix(options, ballots), weights=weights, **common)
    if method is VotingMethod.SCORE:
        return tally_scores(
            options,
            score_matrix(options, ballots, max_score=max_score),
            max_score=max_score,
            weights=weights,
            **common,
        )
    return tally_ranked(method, options, rank_matrix(options, ballots), weights=weights, **common)


def _majority_error(content: Any) -> str:
    try:
        validate_ballot(VotingMethod.MAJORITY, [], content)
    except BallotError as error:
        return str(error)
    raise AssertionError(f"{content!r} was refused but validates")
