"""A verifiable ballot made from scratch for the tests: trustees' keys, roll, papers, tally."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kuzbass.democracy import verifiable as v

TRUSTEES = ("anna", "boris", "vera")


@dataclass
class Setup:
    ballot: v.Ballot
    trustees: list[v.TrusteeSecret]
    credentials: list[int]
    opened: dict[str, Any]


def key_set_up(ballot_id: str, names: Sequence[str] = TRUSTEES, threshold: int = 2):
    """The three steps each trustee runs on their own machine, with the server relaying."""
    started = [v.announce(ballot_id, names, threshold, i) for i in range(1, len(names) + 1)]
    announcements = [a for _, a in started]
    dealings = [v.deal(secret, announcements) for secret, _ in started]
    finished = [v.finish(secret, announcements, dealings) for secret, _ in started]
    record = v.key_record(ballot_id, names, threshold, announcements, [key for _, key in finished])
    return [secret for secret, _ in finished], record


def set_up(ballot_id: str, question: v.Question, voters: int, threshold: int = 2) -> Setup:
    trustees, record = key_set_up(ballot_id, threshold=threshold)
    credentials = [v.credential_key(ballot_id, f"voter {i} secret") for i in range(voters)]
    opened = v.open_ballot(ballot_id, question, record, [c.hex() for _, c in credentials])
    return Setup(v.read_ballot(opened), trustees, [x for x, _ in credentials], opened)


def events_for(setup: Setup, marks: Sequence[Sequence[int]], trustees: Sequence[int] = (1, 2)):
    """The ledger events of a whole ballot: opened, one paper per voter, decrypted."""
    events: list[dict[str, Any]] = [{"kind": v.OPENED, "payload": {"verifiable": setup.opened}}]
    papers = []
    for secret, row in zip(setup.credentials, marks, strict=False):
        paper, _ = v.encrypt_paper(setup.ballot, row, secret)
        papers.append(v.check_paper(setup.ballot, paper))
        events.append({"kind": v.CAST, "payload": paper})
    tally = v.encrypted_tally(setup.ballot, papers)
    partials = [v.partial_decryption(setup.ballot, setup.trustees[i - 1], tally) for i in trustees]
    events.append(
        {"kind": v.DECRYPTED, "payload": v.decrypted_payload(setup.ballot, papers, partials)}
    )
    return events


def hex_leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths of every hex string (element, scalar, hash) inside a payload."""
    if isinstance(value, dict):
        return [p for key in sorted(value) for p in hex_leaves(value[key], (*path, key))]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in hex_leaves(item, (*path, i))]
    if isinstance(value, str) and len(value) == 64 and set(value) <= set("0123456789abcdef"):
        return [path]
    return []


def flip(payload: dict[str, Any], path: tuple[Any, ...], at: int) -> None:
    *parents, last = path
    holder: Any = payload
    for key in parents:
        holder = holder[key]
    text = holder[last]
    holder[last] = text[:at] + ("0" if text[at] != "0" else "1") + text[at + 1 :]
