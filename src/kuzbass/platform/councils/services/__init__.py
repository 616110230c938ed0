"""Every action on the councils, one module per noun: the pages, the JSON API and the CLI all
call these, so permissions, validation and the ledger are the same whichever way a member comes in.

Each action runs in one ``transaction.atomic`` block that also appends the ledger event recording
the change, so a failure leaves neither a half-written row nor an event without its change. Checks
(``check_…``) come apart from the writes; errors a person can cause are the
:mod:`kuzbass.platform.core.errors`. This package's namespace gathers the public actions, so
callers write ``services.cast_vote(...)``; each lives in its noun's module.
"""

from kuzbass.platform.councils.services.ballots import (
    Receipt,
    ballot_state,
    cast_vote,
    close_ballot,
    close_due_ballots,
    closing_reason,
    electorate_size,
    eligible_memberships,
    open_ballot,
    settle,
)
from kuzbass.platform.councils.services.councils import affiliate, found_council
from kuzbass.platform.councils.services.delegates import seat_allocation
from kuzbass.platform.councils.services.demands import put_demand_in_plan, raise_demand
from kuzbass.platform.councils.services.members import (
    IssuedInvitation,
    accept_invitation,
    appoint_officer,
    enrol,
    find_invitation,
    invite,
    join_open_council,
    register_and_accept,
)
from kuzbass.platform.councils.services.motions import comment, propose_amendment, table_motion
from kuzbass.platform.councils.services.papers import Publication, find_receipt, publication
from kuzbass.platform.councils.services.petitions import sign_petition, signatures_needed

__all__ = [
    "IssuedInvitation",
    "Publication",
    "Receipt",
    "accept_invitation",
    "affiliate",
    "appoint_officer",
    "ballot_state",
    "cast_vote",
    "close_ballot",
    "close_due_ballots",
    "closing_reason",
    "comment",
    "electorate_size",
    "eligible_memberships",
    "enrol",
    "find_invitation",
    "find_receipt",
    "found_council",
    "invite",
    "join_open_council",
    "open_ballot",
    "propose_amendment",
    "publication",
    "put_demand_in_plan",
    "raise_demand",
    "register_and_accept",
    "seat_allocation",
    "settle",
    "sign_petition",
    "signatures_needed",
    "table_motion",
]
