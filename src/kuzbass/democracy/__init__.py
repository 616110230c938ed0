"""Pure decision rules: voting methods and tallies, quorum and thresholds, delegation and recall.

No database here: the platform stores ballots and calls these functions to count them.
"""

from kuzbass.democracy.ballots import (
    MAJORITY_CHOICES,
    BallotError,
    approval_matrix,
    rank_matrix,
    score_matrix,
    validate_ballot,
    validate_options,
)
from kuzbass.democracy.delegation import ApportionmentTieError, apportion_seats
from kuzbass.democracy.rules import (
    Constitution,
    MotionKind,
    VotingMethod,
    passes_threshold,
    quorum_required,
)
from kuzbass.democracy.tallies import (
    Tally,
    tally,
    tally_approval,
    tally_majority,
    tally_ranked,
    tally_scores,
)

__all__ = [
    "MAJORITY_CHOICES",
    "ApportionmentTieError",
    "BallotError",
    "Constitution",
    "MotionKind",
    "Tally",
    "VotingMethod",
    "apportion_seats",
    "approval_matrix",
    "passes_threshold",
    "quorum_required",
    "rank_matrix",
    "score_matrix",
    "tally",
    "tally_approval",
    "tally_majority",
    "tally_ranked",
    "tally_scores",
    "validate_ballot",
    "validate_options",
]
