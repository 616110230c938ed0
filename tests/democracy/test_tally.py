from fractions import Fraction

import numpy as np
import pytest

from kuzbass.democracy import (
    BallotError,
    Constitution,
    MotionKind,
    VotingMethod,
    tally,
    tally_approval,
    tally_majority,
    tally_ranked,
    tally_scores,
)
from kuzbass.ledger import canonical_json

RULES = Constitution()

# Wikipedia, "Schulze method", the example with 45 voters and 5 candidates.
WIKIPEDIA_SCHULZE = [
    (5, "ACBED"),
    (5, "ADECB"),
    (8, "BEDAC"),
    (3, "CABED"),
    (7, "CAEBD"),
    (2, "CBADE"),
    (7, "DCEBA"),
    (8, "EBADC"),
]

# Wikipedia, "Instant-runoff voting": the Tennessee capital example (percentages as voters).
TENNESSEE = [(42, "MNCK"), (26, "NCKM"), (15, "CKNM"), (17, "KCNM")]


def expand(profile: list[tuple[int, str]]) -> list[list[str]]:
    return [list(order) for count, order in profile for _ in range(count)]


def test_schulze_wikipedia_example() -> None:
    result = tally(
        "schulze", list("ABCDE"), expand(WIKIPEDIA_SCHULZE), electorate=45, constitution=RULES
    )
    assert result.winners == ["E"]
    assert result.pairwise is not None
    d = result.pairwise["preferences"]
    assert [d["A"][x] for x in "BCDE"] == [20, 26, 30, 22]
    assert [d["B"][x] for x in "ACDE"] == [25, 16, 33, 18]
    assert [d["C"][x] for x in "ABDE"] == [19, 29, 17, 24]
    assert [d["D"][x] for x in "ABCE"] == [15, 12, 28, 14]
    assert [d["E"][x] for x in "ABCD"] == [23, 27, 21, 31]
    p = result.pairwise["strongest_paths"]
    assert [p["A"][x] for x in "BCDE"] == [28, 28, 30, 24]
    assert [p["B"][x] for x in "ACDE"] == [25, 28, 33, 24]
    assert [p["C"][x] for x in "ABDE"] == [25, 29, 29, 24]
    assert [p["D"][x] for x in "ABCE"] == [25, 28, 28, 24]
    assert [p["E"][x] for x in "ABCD"] == [25, 28, 28, 31]
    assert result.counts == {"A": 10, "B": 8, "C": 12, "D": 7, "E": 8}
    assert result.rounds is None and result.carried is None and result.threshold is None


def test_instant_runoff_tennessee_example() -> None:
    result = tally(
        "instant-runoff", list("MNCK"), expand(TENNESSEE), electorate=100, constitution=RULES
    )
    assert result.winners == ["K"]
    assert result.rounds == [
        {"counts": {"M": 42, "N": 26, "C": 15, "K": 17}, "exhausted": 0, "eliminated": ["C"]},
        {"counts": {"M": 42, "N": 26, "K": 32}, "exhausted": 0, "eliminated": ["N"]},
        {"counts": {"M": 42, "K": 58}, "exhausted": 0, "eliminated": []},
    ]
    assert result.pairwise is None


def test_instant_runoff_exhausted_ballots_leave_the_majority() -> None:
    ballots = [["a"]] * 4 + [["b", "c"]] * 3 + [["c"]] * 2 + [["d"]] * 2 + [[]]
    result = tally("instant-runoff", list("abcd"), ballots, electorate=20, constitution=RULES)
    assert result.blank_ballots == 1
    assert [r["eliminated"] for r in result.rounds or []] == [["c", "d"], []]
    # after c and d go, b has 3 and a has 4 of the 7 live ballots: a majority of live ballots
    assert result.rounds is not None and result.rounds[-1]["exhausted"] == 5
    assert result.winners == ["a"]


def test_instant_runoff_reports_a_final_tie() -> None:
    result = tally("instant-runoff", list("xy"), [["x"], ["y"]], electorate=2, constitution=RULES)
    assert result.winners == ["x", "y"] and result.tied


def test_schulze_reports_a_tie() -> None:
    result = tally(
        "schulze", list("xyz"), [["x", "y"], ["y", "x"]], electorate=3, constitution=RULES
    )
    assert result.winners == ["x", "y"]


def test_approval_and_score_known_answers() -> None:
    options = ["soap", "housing", "transport"]
    approval = tally(
        "approval",
        options,
        [["soap"], ["soap", "housing"], [], ["transport", "soap"]],
        electorate=6,
        constitution=RULES,
    )
    assert approval.counts == {"soap": 3, "housing": 1, "transport": 1}
    assert approval.winners == ["soap"] and approval.blank_ballots == 1 and approval.quorum_met
    score = tally(
        "score",
        options,
        [{"soap": 5, "housing": 1, "transport": 0}, {"soap": 0, "housing": 4, "transport": 2}],
        electorate=4,
        constitution=RULES,
    )
    assert score.counts == {"soap": 5, "housing": 5, "transport": 2}
    assert score.winners == ["soap", "housing"] and score.tied


def test_majority_quorum_and_thresholds() -> None:
    ballots = ["yes"] * 30 + ["no"] * 15 + ["abstain"] * 6
    ordinary = tally("majority", [], ballots, electorate=100, constitution=RULES)
    assert ordinary.counts == {"yes": 30, "no": 15, "abstain": 6}
    assert (ordinary.quorum_required, ordinary.quorum_met, ordinary.carried) == (50, True, True)
    assert ordinary.threshold == Fraction(1, 2) and ordinary.winners == ["yes"]
    change = tally("majority", [], ballots, electorate=100, constitution=RULES, kind="constitution")
    assert change.threshold == Fraction(2, 3) and change.carried is True  # 30/45 is exactly 2/3
    without_quorum = tally("majority", [], ballots, electorate=103, constitution=RULES)
    assert without_quorum.quorum_required == 52 and not without_quorum.quorum_met
    assert without_quorum.carried is False and without_quorum.winners == ["yes"]
    recall = tally_majority(20, 20, 30, electorate=70, constitution=RULES, kind=MotionKind.RECALL)
    assert recall.carried is False and recall.winners == ["no"]
    silent = tally_majority(0, 0, 40, electorate=70, constitution=RULES)
    assert silent.winners == [] and silent.carried is False and silent.quorum_met


def test_weighted_federation_vote() -> None:
    # Three councils vote through their delegates, each weighted by the members represented.
    result = tally(
        "majority",
        [],
        ["yes", "no", "no"],
        weights=[530, 330, 140],
        electorate=1000,
        constitution=RULES,
    )
    assert result.counts == {"yes": 530, "no": 470, "abstain": 0}
    assert result.ballots_cast == 1000 and result.carried
    ranked = tally_ranked(
        "instant-runoff",
        list("ab"),
        np.array([[1, 2], [2, 1]]),
        weights=[3, 2],
        electorate=5,
        constitution=RULES,
    )
    assert ranked.winners == ["a"] and ranked.counts == {"a": 3, "b": 2}


def test_arrays_and_lists_give_the_same_tally() -> None:
    ranks = np.array([[1, 2, 0], [0, 1, 2], [2, 0, 1], [1, 0, 0]])
    from_array = tally_ranked("schulze", list("xyz"), ranks, electorate=4, constitution=RULES)
    from_list = tally(
        "schulze",
        list("xyz"),
        [["x", "y"], ["y", "z"], ["z", "x"], ["x"]],
        electorate=4,
        constitution=RULES,
    )
    assert from_array == from_list
    approvals = tally_approval(
        list("xy"), np.array([[1, 0], [1, 1]]), electorate=2, constitution=RULES
    )
    assert approvals.counts == {"x": 2, "y": 1}


def test_to_dict_is_canonical_json() -> None:
    for method, ballots in [
        ("majority", ["yes", "no"]),
        ("approval", [["a"], ["a", "b"]]),
        ("score", [{"a": 1, "b": 2}]),
        ("schulze", [["a", "b"], ["b"]]),
        ("instant-runoff", [["a", "b"], ["b"]]),
    ]:
        options = [] if method == "majority" else ["a", "b"]
        data = tally(method, options, ballots, electorate=3, constitution=RULES).to_dict()
        assert canonical_json(data)
        assert data["method"] == method
    assert (
        tally("majority", [], ["yes"], electorate=1, constitution=RULES).to_dict()["threshold"]
        == "1/2"
    )


def test_no_ballots_no_winners() -> None:
    for method in ("approval", "score", "schulze", "instant-runoff"):
        result = tally(method, ["a", "b"], [], electorate=3, constitution=RULES)
        assert result.winners == [] and result.ballots_cast == 0 and not result.quorum_met


@pytest.mark.parametrize(
    ("method", "options", "content", "message"),
    [
        ("majority", [], "maybe", "'maybe' is not a choice; choose 'yes', 'no' or 'abstain'"),
        ("approval", ["a"], "a", "an approval ballot is a list of options, got str"),
        ("approval", ["a"], ["b"], r"'b' is not one of the options \['a'\]"),
        ("approval", ["a"], ["a", "a"], "'a' appears twice on the approval ballot"),
        ("score", ["a", "b"], ["a"], "a score ballot maps options to scores, got list"),
        ("score", ["a", "b"], {"a": 1}, "option 'b' has no score; score every option"),
        ("score", ["a", "b"], {"a": 1, "b": 6}, "score 6 for 'b' must be an integer from 0 to 5"),
        ("score", ["a", "b"], {"a": 1, "b": True}, "score True for 'b' must be an integer"),
        ("score", ["a", "b"], {"a": 1, "b": 2, "c": 0}, r"'c' is not one of the options"),
        ("schulze", ["a", "b"], ["a", "a"], "'a' appears twice on the ranked ballot"),
        ("instant-runoff", ["a", "b"], ["c"], r"'c' is not one of the options"),
        (
            "instant-runoff",
            ["a", "b"],
            {"a": 1},
            "a ranked ballot is a list of options, got dict",
        ),
        ("schulze", ["a", "b"], "a", "a ranked ballot is a list of options, got str"),
        ("schulze", [], [], "a vote needs at least one option"),
        ("schulze", ["a", "a"], [], "option 'a' is listed twice"),
        ("schulze", ["a", " "], [], "option ' ' must be a non-empty string"),
        ("schulze", "ab", [], "options must be a list of strings, got str"),
    ],
)
def test_ballot_errors_name_the_bad_value(
    method: str, options: list, content: object, message: str
) -> None:
    with pytest.raises(BallotError, match=message):
        tally(method, options, [content], electorate=5, constitution=RULES)


def test_tally_names_the_bad_ballot() -> None:
    with pytest.raises(BallotError, match="ballot 2: 'x' is not one of the options"):
        tally("approval", ["a"], [["a"], [], ["x"]], electorate=5, constitution=RULES)


def test_max_score_must_be_positive() -> None:
    with pytest.raises(BallotError, match="max_score must be a positive integer, got 0"):
        tally("score", ["a"], [{"a": 0}], electorate=5, constitution=RULES, max_score=0)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: tally_approval(["a", "b"], np.zeros((3, 3)), electorate=5, constitution=RULES),
            BallotError,
            r"approval matrix must be n×2 \(one column per option\), got shape \(3, 3\)",
        ),
        (
            lambda: tally_approval(
                ["a", "b"], np.array([[0, 2]]), electorate=5, constitution=RULES
            ),
            BallotError,
            "ballot 0: approval of 'b' must be true or false, got 2",
        ),
        (
            lambda: tally_scores(
                ["a", "b"], np.array([[0, 1], [9, 1]]), electorate=5, constitution=RULES
            ),
            BallotError,
            "ballot 1: score 9 for 'a' must be an integer from 0 to 5",
        ),
        (
            lambda: tally_scores(["a"], np.array([[0.5]]), electorate=5, constitution=RULES),
            BallotError,
            "scores must be integers, got an array of float64",
        ),
        (
            lambda: tally_ranked(
                "schulze", ["a", "b"], np.array([[1, 2], [3, 1]]), electorate=5, constitution=RULES
            ),
            BallotError,
            "ballot 1: rank 3 for 'a' must be from 1 to 2, or 0 for not ranked",
        ),
        (
            lambda: tally_ranked(
                "schulze", ["a", "b", "c"], np.array([[1, 1, 0]]), electorate=5, constitution=RULES
            ),
            BallotError,
            r"ballot 0: ranks \{'a': 1, 'b': 1\} must be 1, 2, … with no repeats or gaps",
        ),
        (
            lambda: tally_ranked(
                "schulze", ["a", "b", "c"], np.array([[0, 2, 0]]), electorate=5, constitution=RULES
            ),
            BallotError,
            r"ballot 0: ranks \{'b': 2\} must be 1, 2",
        ),
        (
            lambda: tally_ranked(
                "schulze", ["a"], np.array([[1.0]]), electorate=5, constitution=RULES
            ),
            BallotError,
            "ranks must be integers",
        ),
        (
            lambda: tally_ranked(
                "approval", ["a"], np.array([[1]]), electorate=5, constitution=RULES
            ),
            ValueError,
            "approval is not a ranked method",
        ),
        (
            lambda: tally_approval(["a"], np.ones((3, 1)), electorate=2, constitution=RULES),
            ValueError,
            "3 ballots cast but the electorate is only 2",
        ),
        (
            lambda: tally_approval(["a"], np.ones((3, 1)), electorate=0, constitution=RULES),
            ValueError,
            "electorate must be a positive integer, got 0",
        ),
        (
            lambda: tally_approval(["a"], np.ones((3, 1)), electorate=3, constitution={}),
            TypeError,
            "constitution must be a Constitution, got dict",
        ),
        (
            lambda: tally_approval(
                ["a"], np.ones((2, 1)), electorate=3, constitution=RULES, weights=[1]
            ),
            ValueError,
            r"weights must have one entry per ballot \(2\), got shape \(1,\)",
        ),
        (
            lambda: tally_approval(
                ["a"], np.ones((2, 1)), electorate=3, constitution=RULES, weights=[1, -1]
            ),
            ValueError,
            "weights must not be negative; ballot 1 has weight -1",
        ),
        (
            lambda: tally_approval(
                ["a"], np.ones((2, 1)), electorate=3, constitution=RULES, weights=[1.5, 1]
            ),
            ValueError,
            "weights must be integers, got an array of float64",
        ),
        (
            lambda: tally_majority(1, -1, 0, electorate=3, constitution=RULES),
            ValueError,
            "no must be a non-negative integer, got -1",
        ),
        (
            lambda: tally_majority(1, 0, 0, electorate=3, constitution=RULES, kind="election"),
            ValueError,
            "an election is decided by approval, score or a ranked method",
        ),
        (
            lambda: tally("plurality", ["a"], [], electorate=3, constitution=RULES),
            ValueError,
            "'plurality' is not a valid VotingMethod",
        ),
    ],
)
def test_array_and_frame_errors(call, error: type, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call()


def test_methods_are_string_enums() -> None:
    assert VotingMethod("instant-runoff") is VotingMethod.INSTANT_RUNOFF
    assert VotingMethod.SCHULZE.ranked and not VotingMethod.SCORE.ranked


def test_instant_runoff_with_more_options_than_bits_in_a_word() -> None:
    options = [f"site {j}" for j in range(70)]
    ballots = [options[:3]] * 4 + [[options[69], options[1]]] * 3 + [[options[68]]] * 2
    result = tally("instant-runoff", options, ballots, electorate=9, constitution=RULES)
    # round 1 eliminates the 67 options nobody put first, round 2 "site 68" (2 votes)
    assert [len(r["eliminated"]) for r in result.rounds or []] == [67, 1, 0]
    assert result.winners == ["site 0"]


def test_ballots_may_come_from_a_generator_and_repeats_are_named() -> None:
    ballots = (b for b in [["a", "b"], ["b"], ["b", "a", "b"]])
    with pytest.raises(BallotError, match="ballot 2: 'b' appears twice on the ranked ballot"):
        tally("instant-runoff", ["a", "b"], ballots, electorate=3, constitution=RULES)
    counted = tally(
        "approval", ["a", "b"], iter([("b", "a"), ()]), electorate=3, constitution=RULES
    )
    assert counted.counts == {"a": 1, "b": 1} and counted.blank_ballots == 1
