"""Properties, and the numpy aggregation checked against pref_voting on the raw ballots."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pref_voting.grade_methods import approval, score_voting
from pref_voting.grade_profiles import GradeProfile
from pref_voting.iterative_methods import instant_runoff_for_truncated_linear_orders
from pref_voting.margin_based_methods import beat_path
from pref_voting.profiles_with_ties import ProfileWithTies

from kuzbass.democracy import (
    BallotError,
    Constitution,
    VotingMethod,
    tally,
    tally_ranked,
    validate_ballot,
)
from kuzbass.democracy.tallies import (
    _rank_order,
    instant_runoff_rounds,
    pairwise_support,
    reduced_ballots,
)

RULES = Constitution()


@st.composite
def ranked_profiles(
    draw: st.DrawFn, max_options: int = 5, max_ballots: int = 25
) -> tuple[list[str], list[list[str]]]:
    k = draw(st.integers(1, max_options))
    options = [f"o{j}" for j in range(k)]
    ballot = st.permutations(options).flatmap(
        lambda order: st.integers(0, len(order)).map(lambda m: order[:m])
    )
    return options, draw(st.lists(ballot, max_size=max_ballots))


def library_profile(k: int, ballots: list[list[str]]) -> ProfileWithTies:
    """Raw ballots for pref_voting; a ranked option is preferred to an unranked one (Schulze's
    convention, pref_voting's "extended strict preference")."""
    profile = ProfileWithTies(
        [{int(o[1:]): rank for rank, o in enumerate(b, start=1)} for b in ballots if b],
        candidates=list(range(k)),
    )
    profile.use_extended_strict_preference()
    return profile


def names(indices: list[int]) -> list[str]:
    return [f"o{c}" for c in indices]


@settings(max_examples=300, deadline=None)
@given(ranked_profiles())
def test_schulze_agrees_with_pref_voting_on_raw_ballots(
    profile: tuple[list[str], list[list[str]]],
) -> None:
    options, ballots = profile
    result = tally("schulze", options, ballots, electorate=max(1, len(ballots)), constitution=RULES)
    if not any(ballots):
        assert result.winners == []
        return
    raw = library_profile(len(options), ballots)
    assert result.winners == names(beat_path(raw, strength_function=raw.support))
    assert result.pairwise is not None
    for a in options:
        for b in options:
            if a != b:
                assert result.pairwise["preferences"][a][b] == raw.support(int(a[1:]), int(b[1:]))


@settings(max_examples=300, deadline=None)
@given(ranked_profiles())
def test_instant_runoff_agrees_with_pref_voting_on_raw_ballots(
    profile: tuple[list[str], list[list[str]]],
) -> None:
    options, ballots = profile
    result = tally(
        "instant-runoff", options, ballots, electorate=max(1, len(ballots)), constitution=RULES
    )
    if not any(ballots):
        assert result.winners == []
        return
    raw = library_profile(len(options), ballots)
    assert result.winners == names(instant_runoff_for_truncated_linear_orders(raw))


def rank_rows(options: list[str], ballots: list[list[str]]) -> np.ndarray:
    return np.array(
        [[b.index(o) + 1 if o in b else 0 for o in options] for b in ballots], dtype=np.int16
    ).reshape(len(ballots), len(options))


@settings(max_examples=300, deadline=None)
@given(ranked_profiles(max_options=6, max_ballots=40))
def test_reduced_ballots_replay_every_round(profile: tuple[list[str], list[list[str]]]) -> None:
    """The ballots reduced to their top choices, counted, give the same rounds again."""
    options, ballots = profile
    order, count = _rank_order(rank_rows(options, ballots))
    winners, steps, ever_top = instant_runoff_rounds(order, count, None)
    reduced, counts, _ = reduced_ballots(ever_top, steps, None)
    assert len(reduced) <= 2 ** len(options) and sum(counts) == len(ballots)
    again = rank_rows(options, [[options[c] for c in b] for b in reduced])
    order2, count2 = _rank_order(again)
    winners2, steps2, _ = instant_runoff_rounds(order2, count2, np.array(counts))
    assert winners2 == winners
    assert [(s.counts.tolist(), s.exhausted, s.eliminated) for s in steps2] == [
        (s.counts.tolist(), s.exhausted, s.eliminated) for s in steps
    ]


@settings(max_examples=200, deadline=None)
@given(ranked_profiles(), st.randoms())
def test_ranked_tallies_do_not_depend_on_ballot_order(
    profile: tuple[list[str], list[list[str]]], rng
) -> None:  # type: ignore[no-untyped-def]
    options, ballots = profile
    shuffled = list(ballots)
    rng.shuffle(shuffled)
    for method in ("schulze", "instant-runoff"):
        electorate = max(1, len(ballots))
        assert tally(method, options, ballots, electorate=electorate, constitution=RULES) == tally(
            method, options, shuffled, electorate=electorate, constitution=RULES
        )


@settings(max_examples=200, deadline=None)
@given(ranked_profiles())
def test_first_preferences_and_blanks_add_up_to_ballots_cast(
    profile: tuple[list[str], list[list[str]]],
) -> None:
    options, ballots = profile
    result = tally(
        "instant-runoff", options, ballots, electorate=max(1, len(ballots)), constitution=RULES
    )
    assert sum(result.counts.values()) + result.blank_ballots == result.ballots_cast == len(ballots)
    for round_ in result.rounds or []:
        assert sum(round_["counts"].values()) + round_["exhausted"] == len(ballots)


@settings(max_examples=100, deadline=None)
@given(ranked_profiles(max_ballots=12), st.lists(st.integers(0, 4), min_size=12, max_size=12))
def test_weights_equal_repeated_ballots(
    profile: tuple[list[str], list[list[str]]], weights: list[int]
) -> None:
    options, ballots = profile
    weights = weights[: len(ballots)]
    repeated = [b for b, w in zip(ballots, weights, strict=True) for _ in range(w)]
    electorate = max(1, len(repeated))
    for method in ("schulze", "instant-runoff"):
        weighted = tally(
            method, options, ballots, weights=weights, electorate=electorate, constitution=RULES
        )
        plain = tally(method, options, repeated, electorate=electorate, constitution=RULES)
        assert weighted == plain


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 5), st.data())
def test_pairwise_support_matches_library(k: int, data: st.DataObject) -> None:
    options, ballots = data.draw(ranked_profiles(max_options=k))
    support = pairwise_support(rank_rows(options, ballots))
    if any(ballots):
        raw = library_profile(len(options), ballots)
        assert support.tolist() == [
            [raw.support(a, b) if a != b else 0 for b in range(len(options))]
            for a in range(len(options))
        ]


choices = st.sampled_from(["yes", "no", "abstain"])


@given(
    st.lists(choices, max_size=60),
    st.randoms(),
    st.sampled_from(["ordinary", "recall", "constitution"]),
)
def test_majority_counts_sum_and_order_does_not_matter(ballots: list[str], rng, kind: str) -> None:  # type: ignore[no-untyped-def]
    result = tally("majority", [], ballots, electorate=60, constitution=RULES, kind=kind)
    assert sum(result.counts.values()) == result.ballots_cast == len(ballots)
    shuffled = list(ballots)
    rng.shuffle(shuffled)
    assert tally("majority", [], shuffled, electorate=60, constitution=RULES, kind=kind) == result
    assert result.carried == (result.quorum_met and result.winners == ["yes"])


@st.composite
def approval_profiles(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    options = [f"o{j}" for j in range(draw(st.integers(1, 6)))]
    return options, draw(st.lists(st.lists(st.sampled_from(options), unique=True), max_size=30))


@settings(deadline=None)
@given(approval_profiles())
def test_approval_agrees_with_pref_voting(profile: tuple[list[str], list[list[str]]]) -> None:
    options, ballots = profile
    result = tally(
        "approval", options, ballots, electorate=max(1, len(ballots)), constitution=RULES
    )
    assert all(0 <= n <= len(ballots) for n in result.counts.values())
    assert sum(result.counts.values()) == sum(len(b) for b in ballots)
    if any(ballots):
        grades = GradeProfile(
            [{o: int(o in b) for o in options} for b in ballots], [0, 1], candidates=options
        )
        assert result.winners == sorted(approval(grades), key=options.index)
    else:
        assert result.winners == []


@settings(deadline=None)
@given(st.integers(1, 5), st.integers(1, 7), st.data())
def test_score_agrees_with_pref_voting(k: int, max_score: int, data: st.DataObject) -> None:
    options = [f"o{j}" for j in range(k)]
    ballot = st.fixed_dictionaries({o: st.integers(0, max_score) for o in options})
    ballots = data.draw(st.lists(ballot, min_size=1, max_size=20))
    result = tally(
        "score", options, ballots, electorate=len(ballots), constitution=RULES, max_score=max_score
    )
    assert sum(result.counts.values()) == sum(sum(b.values()) for b in ballots)
    grades = GradeProfile(ballots, list(range(max_score + 1)), candidates=options)
    assert result.winners == sorted(score_voting(grades), key=options.index)


def test_array_entry_points_match_list_entry_on_random_profile() -> None:
    rng = np.random.default_rng(1989)
    n, k = 2000, 6
    ranks = np.argsort(np.argsort(rng.normal(size=(n, k)), axis=1), axis=1).astype(np.int16) + 1
    ranks[ranks > 4] = 0  # truncated to four preferences
    options = [f"o{j}" for j in range(k)]
    as_lists = [
        [options[j] for j in np.argsort(np.where(row > 0, row, 99)) if row[j]] for row in ranks
    ]
    for method in ("schulze", "instant-runoff"):
        assert tally_ranked(method, options, ranks, electorate=n, constitution=RULES) == tally(
            method, options, as_lists, electorate=n, constitution=RULES
        )


@settings(deadline=None)
@given(approval_profiles(), st.randoms())
def test_approval_and_score_do_not_depend_on_ballot_order(profile, rng) -> None:  # type: ignore[no-untyped-def]
    options, ballots = profile
    shuffled = list(ballots)
    rng.shuffle(shuffled)
    electorate = max(1, len(ballots))
    assert tally("approval", options, ballots, electorate=electorate, constitution=RULES) == tally(
        "approval", options, shuffled, electorate=electorate, constitution=RULES
    )
    scores = [{o: 5 * (o in b) for o in options} for b in ballots]
    rng.shuffle(shuffled)
    shuffled_scores = [{o: 5 * (o in b) for o in options} for b in shuffled]
    assert tally("score", options, scores, electorate=electorate, constitution=RULES) == tally(
        "score", options, shuffled_scores, electorate=electorate, constitution=RULES
    )


@settings(max_examples=200, deadline=None)
@given(ranked_profiles())
def test_a_condorcet_winner_wins_schulze(profile: tuple[list[str], list[list[str]]]) -> None:
    options, ballots = profile
    result = tally("schulze", options, ballots, electorate=max(1, len(ballots)), constitution=RULES)
    assert result.pairwise is not None
    d = result.pairwise["preferences"]
    for a in options:
        if any(ballots) and all(d[a][b] > d[b][a] for b in options if b != a):
            assert result.winners == [a]


@settings(max_examples=200, deadline=None)
@given(ranked_profiles())
def test_a_first_preference_majority_wins_instant_runoff_at_once(
    profile: tuple[list[str], list[list[str]]],
) -> None:
    options, ballots = profile
    result = tally(
        "instant-runoff", options, ballots, electorate=max(1, len(ballots)), constitution=RULES
    )
    live = len(ballots) - result.blank_ballots
    leaders = [o for o, n in result.counts.items() if 2 * n > live]
    if leaders:
        assert result.winners == leaders and result.rounds is not None and len(result.rounds) == 1


anything = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-2, 7)
    | st.sampled_from(["o0", "o1", "o2", "yes", "no", "x"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.sampled_from(["o0", "o1", "o2", "z"]), inner, max_size=4)
    ),
    max_leaves=6,
)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(list(VotingMethod)), anything)
def test_tally_accepts_exactly_what_validate_ballot_accepts(
    method: VotingMethod, content: object
) -> None:
    options = ["o0", "o1", "o2"]
    try:
        validate_ballot(method, options, content)
        valid = True
    except BallotError:
        valid = False
    try:
        tally(method, options, [content], electorate=2, constitution=RULES)
        counted = True
    except BallotError as error:
        assert str(error).startswith("ballot 0: ")
        counted = False
    assert counted == valid
