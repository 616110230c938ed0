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
    if array.size and (array.min() < 0 or array.max() > k):
        row, col = (int(x) for x in np.argwhere((array < 0) | (array > k))[0])
        raise BallotError(
            f"ballot {row}: rank {int(array[row, col])} for {options[col]!r} must be from 1 to "
            f"{k}, or 0 for not ranked"
        )
    ranks = array.astype(np.int16)
    ranked = (ranks > 0).sum(axis=1)
    if k <= 61:
        # The ranks of a row are exactly 1..m iff the sum of 2**rank over them is 2**(m+1) - 2:
        # m powers of two whose sum has m one-bits cannot have repeated (carried) terms.
        power_of = np.int64(1) << np.arange(k + 1, dtype=np.int64)
        power_of[0] = 0
        powers = power_of[ranks].sum(axis=1)
        bad_rows = np.flatnonzero(powers != (np.int64(1) << (ranked.astype(np.int64) + 1)) - 2)
    else:
        expected = np.arange(1, k + 1, dtype=np.int16)[None, :] - (k - ranked)[:, None]
        sorted_ranks = np.sort(ranks, axis=1)
        bad_rows = np.flatnonzero((sorted_ranks != np.maximum(expected, 0)).any(axis=1))
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
    k = ranks.shape[1]
    columns = np.ascontiguousarray(_positions(ranks).T)  # one contiguous row per option
    support = np.zeros((k, k), dtype=np.int64)
    for a in range(k):
        for b in range(k):
            if a != b:
                above = columns[a] < columns[b]
                support[a, b] = (
                    np.count_nonzero(above) if weights is None else int(weights[above].sum())
                )
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


def _rank_order(
    ranks: npt.NDArray[np.int16],
) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int64]]:
    """order[i, r] = the option ballot i ranks (r + 1)-th, and how many options it ranks
    (entries of order past that count are the unranked options, in no particular order)."""
    n, k = ranks.shape
    ranked = ranks > 0
    count = ranked.sum(axis=1, dtype=np.int16)
    if ranked.all():
        slots = ranks - 1
    else:
        unranked_before = np.cumsum(~ranked, axis=1, dtype=np.int16)
        slots = np.where(ranked, ranks - 1, count[:, None] + unranked_before - 1)
    order = np.empty((n, k), dtype=np.int16)
    options = np.broadcast_to(np.arange(k, dtype=np.int16), (n, k))
    np.put_along_axis(order, slots.astype(np.intp), options, axis=1)
    return order, count.astype(np.int64)


def _counted(
    top: npt.NDArray[np.int16], k: int, weights: npt.NDArray[np.int64] | None
) -> tuple[npt.NDArray[np.int64], int]:
    """Ballots per current top choice, and the ballots with none (top == k)."""
    if weights is None:
        totals = np.bincount(top, minlength=k + 1).astype(np.int64)
    else:
        totals = np.bincount(top, weights=weights, minlength=k + 1).round().astype(np.int64)
    return totals[:k], int(totals[k])


def _first_choices(
    order: npt.NDArray[np.int16], count: npt.NDArray[np.int64]
) -> npt.NDArray[np.int16]:
    k = order.shape[1]
    return np.where(count > 0, order[:, 0], np.int16(k)).astype(np.int16)


@dataclass(frozen=True)
class _RunoffRound:
    counts: npt.NDArray[np.int64]
    exhausted: int
    eliminated: list[int]


def instant_runoff_rounds(
    order: npt.NDArray[np.int16],
    count: npt.NDArray[np.int64],
    weights: npt.NDArray[np.int64] | None,
) -> tuple[list[int], list[_RunoffRound], npt.NDArray[np.bool_]]:
    """Instant runoff by pref_voting's rule for truncated ballots.

    A majority of the non-exhausted ballots wins; otherwise every option with the fewest first
    preferences is eliminated at once, and if all remaining options tie they all win. Only the
    ballots whose top choice was eliminated move, so later rounds cost little.

    Returns the winners, the rounds, and for every ballot the options that were its top choice
    in some round: those ballots, reduced to those options, give the same first preferences in
    every round, and there are at most 2^k of them however many ballots were cast.
    """
    n, k = order.shape
    top = _first_choices(order, count)
    pointer = np.zeros(n, dtype=np.int64)
    ever_top = np.zeros((n, k + 1), dtype=bool)
    ever_top[np.arange(n), top] = True
    active = np.ones(k + 1, dtype=bool)
    active[k] = False
    rounds: list[_RunoffRound] = []
    while True:
        counts, exhausted = _counted(top, k, weights)
        live = int(counts.sum())
        remaining = np.flatnonzero(active)
        if live == 0:
            rounds.append(_RunoffRound(counts, exhausted, []))
            return [], rounds, ever_top[:, :k]
        best = counts[remaining].max()
        if 2 * best > live or len(remaining) == 1:
            rounds.append(_RunoffRound(counts, exhausted, []))
            return [int(c) for c in remaining if counts[c] == best], rounds, ever_top[:, :k]
        fewest = counts[remaining].min()
        out = [int(c) for c in remaining if counts[c] == fewest]
        rounds.append(_RunoffRound(counts, exhausted, [] if len(out) == len(remaining) else out))
        if len(out) == len(remaining):
            return out, rounds, ever_top[:, :k]
        active[out] = False
        moved = np.flatnonzero(np.isin(top, out))
        moving = moved
        while len(moving):
            pointer[moving] += 1
            spent = pointer[moving] >= count[moving]
            top[moving[spent]] = k
            moving = moving[~spent]
            top[moving] = order[moving, pointer[moving]]
            moving = moving[~active[top[moving]]]
        ever_top[moved, top[moved]] = True


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


def reduced_ballots(
    ever_top: npt.NDArray[np.bool_],
    steps: list[_RunoffRound],
    weights: npt.NDArray[np.int64] | None,
) -> tuple[list[list[int]], list[int], int]:
    """The distinct ballots reduced to their top choices, in the order those were eliminated,
    with their counts, and the number of options: the exact aggregate pref_voting decides."""
    k = ever_top.shape[1]
    eliminated_in = np.full(k, len(steps) + 1, dtype=np.int64)
    for number, step in enumerate(steps, start=1):
        eliminated_in[step.eliminated] = number
    rows, counts = _distinct_rows(ever_top, weights)
    ballots = [
        [int(c) for c in np.flatnonzero(row)[np.argsort(eliminated_in[row], kind="stable")]]
        for row in rows
    ]
    return ballots, [int(c) for c in counts], k


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
    order, ranked_count = _rank_order(checked)
    first, blank = _counted(_first_choices(order, ranked_count), k, w)
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
        ours, steps, ever_top = instant_runoff_rounds(order, ranked_count, w)
        chosen = _library_runoff(*reduced_ballots(ever_top, steps, w))
        if ours != chosen:
            raise RuntimeError(
                f"instant-runoff winners disagree: pref_voting {chosen}, ours {ours}"
            )
        active = np.ones(k, dtype=bool)
        rounds = []
        for step in steps:
            rounds.append(
                {
                    "counts": {options[c]: int(step.counts[c]) for c in np.flatnonzero(active)},
                    "exhausted": step.exhausted,
                    "eliminated": [options[c] for c in step.eliminated],
                }
            )
            active[step.eliminated] = False
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
