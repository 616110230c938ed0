"""End-to-end verifiable secret ballots: exponential ElGamal on ristretto255 with threshold
trustees, as Helios and Belenios do it (docs/ballots.md has the protocol and the encodings).

Pure: no database. The platform stores the JSON records these functions make and check, and puts
them on the ledger; ``verify_events`` rechecks a whole ballot from those events alone.
"""

from kuzbass.democracy.verifiable.events import (
    CAST,
    DECRYPTED,
    OPENED,
    BallotCount,
    VerificationReport,
    decrypted_payload,
    verify_events,
)
from kuzbass.democracy.verifiable.group import MalformedValueError
from kuzbass.democracy.verifiable.opening import (
    Ballot,
    Question,
    credential_key,
    open_ballot,
    read_ballot,
)
from kuzbass.democracy.verifiable.papers import (
    Paper,
    PaperRejectedError,
    audit_challenge,
    check_fresh,
    check_paper,
    encrypt_paper,
    reveal_json,
    tracker,
)
from kuzbass.democracy.verifiable.tally import (
    TallyError,
    check_partial_decryption,
    combine,
    encrypted_tally,
    partial_decryption,
)
from kuzbass.democracy.verifiable.trustees import (
    TrusteeError,
    TrusteeSecret,
    announce,
    check_key_record,
    deal,
    finish,
    key_record,
)

__all__ = [
    "CAST",
    "DECRYPTED",
    "OPENED",
    "Ballot",
    "BallotCount",
    "MalformedValueError",
    "Paper",
    "PaperRejectedError",
    "Question",
    "TallyError",
    "TrusteeError",
    "TrusteeSecret",
    "VerificationReport",
    "announce",
    "audit_challenge",
    "check_fresh",
    "check_key_record",
    "check_paper",
    "check_partial_decryption",
    "combine",
    "credential_key",
    "deal",
    "decrypted_payload",
    "encrypt_paper",
    "encrypted_tally",
    "finish",
    "key_record",
    "open_ballot",
    "partial_decryption",
    "read_ballot",
    "reveal_json",
    "tracker",
    "verify_events",
]
