"""End-to-end verifiable secret ballots: exponential ElGamal on ristretto255 with threshold
trustees, as Helios and Belenios do it (docs/ballots.md has the protocol and the encodings).

Pure: no database. The platform stores the JSON records these functions make and check, and puts
them on the ledger; ``verify_events`` rechecks a whole ballot from those events alone.
"""
