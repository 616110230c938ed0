"""What trustees and voters do on their own machines, done here with the pure package (the same
calls ``kuzbass ballot trustee …`` makes), for the tests of verifiable ballots on the platform."""

import io
from typing import Any

from kuzbass import ledger
from kuzbass.democracy import verifiable as crypto
from kuzbass.platform.councils.models import Ballot
from kuzbass.platform.councils.services import verifiable
from kuzbass.platform.councils.services.verifiable_tally import stored_papers
from kuzbass.platform.ledger.services import iter_events


def set_up_key(ballot: Ballot, trustees: list[Any]) -> dict[int, crypto.TrusteeSecret]:
    """Every trustee announces, deals and finishes through the server; returns their secrets."""
    record = verifiable.get(ballot.pk)
    names = record.trustees
    secrets: dict[int, crypto.TrusteeSecret] = {}
    users = {user.get_username(): user for user in trustees}
    for number, name in enumerate(names, start=1):
        secrets[number], announcement = crypto.announce(
            record.name, names, record.threshold, number
        )
        verifiable.upload(users[name], ballot.pk, "announce", announcement)
    announcements = verifiable.uploads(record, "announce")
    for number, name in enumerate(names, start=1):
        verifiable.upload(
            users[name], ballot.pk, "deal", crypto.deal(secrets[number], announcements)
        )
    dealings = verifiable.uploads(record, "deal")
    for number, name in enumerate(names, start=1):
        secrets[number], key = crypto.finish(secrets[number], announcements, dealings)
        verifiable.upload(users[name], ballot.pk, "finish", key)
    return secrets


def paper_of(voter: Any, ballot: Ballot, marks: list[int]) -> dict[str, Any]:
    """What the voter's browser makes: the paper, encrypted and signed with their credential."""
    record, secret = verifiable.my_credential(voter, ballot.pk)
    x, _ = crypto.credential_key(record.name, secret)
    paper, _ = crypto.encrypt_paper(verifiable.checked_ballot(record), marks, x)
    return paper


def partial(ballot: Ballot, secret: crypto.TrusteeSecret) -> dict[str, Any]:
    """A trustee's partial decryption of the published encrypted tally."""
    record = verifiable.get(ballot.pk)
    opened = verifiable.checked_ballot(record)
    papers = stored_papers(record)
    return crypto.partial_decryption(opened, secret, crypto.encrypted_tally(opened, papers))


def export() -> str:
    """The ledger as ``kuzbass ledger export`` writes it."""
    stream = io.StringIO()
    ledger.write_jsonl(iter_events(), stream)
    return stream.getvalue()
