"""A verifiable ballot made from scratch for the tests: trustees' keys, roll, papers, tally."""

import copy
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from unittest import mock

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


def refingerprinted(opened: dict[str, Any]) -> dict[str, Any]:
    """An opened record after a change, with the fingerprint recomputed as whoever opened the
    ballot could: a change the fingerprint alone does not catch."""
    body = {k: value for k, value in opened.items() if k != "fingerprint"}
    # canonical JSON as the browser spells it (a lone surrogate escaped), so that only the
    # check of the value itself can refuse it
    spelled = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return {**body, "fingerprint": hashlib.sha256(spelled).hexdigest()}


def one_paper_ballot(names: Sequence[str] = TRUSTEES, threshold: int = 1) -> list[dict[str, Any]]:
    """A whole yes/no ballot with one 'yes' paper, made without the parameter checks (so that
    the tests can make records an honest opener would not)."""
    with mock.patch("kuzbass.democracy.verifiable.trustees._check_parameters", lambda *_: None):
        started = [v.announce("b", names, threshold, i) for i in range(1, len(names) + 1)]
        announcements = [a for _, a in started]
        dealings = [v.deal(secret, announcements) for secret, _ in started]
        finished = [v.finish(secret, announcements, dealings) for secret, _ in started]
        record = v.key_record("b", names, threshold, announcements, [key for _, key in finished])
        secret, credential = v.credential_key("b", "voter 0 secret")
        opened = v.open_ballot(
            "b", v.Question(("yes", "no", "abstain"), 1, 1, 1), record, [credential.hex()]
        )
        setup = Setup(v.read_ballot(opened), [s for s, _ in finished], [secret], opened)
        return events_for(setup, [[1, 0, 0]], trustees=range(1, threshold + 1))


def cases_both_verifiers_must_agree_on() -> list[tuple[str, list[dict[str, Any]], str | None]]:
    """(what, events, the failure both verifiers must name, None if none) for values a careless
    reader might let through: JSON booleans where integers are counted, trustees' names that
    Python refuses, strings that are not valid Unicode, events that are not objects."""
    honest = one_paper_ballot()
    cases = []

    def case(what: str, change: Any, failure: str | None, events: Any = None) -> None:
        changed = copy.deepcopy(events or honest)
        change(changed)
        cases.append((what, changed, failure))

    def opened_record(change: Any) -> Any:
        def apply(events: list[dict[str, Any]]) -> None:
            record = events[0]["payload"]["verifiable"]
            change(record)
            events[0]["payload"]["verifiable"] = refingerprinted(record)

        return apply

    decrypted = len(honest)
    case(
        "a result of true for 1",
        lambda e: e[-1]["payload"]["result"].update(yes=True),
        f"event {decrypted} (ballot.decrypted): the published result "
        '{"abstain":0,"no":0,"yes":true} is not the decrypted {"abstain":0,"no":0,"yes":1}',
    )
    case(
        "a paper count of true for 1",
        lambda e: e[-1]["payload"].update(papers=True),
        f"event {decrypted} (ballot.decrypted): the decryption counts true papers, "
        "the ledger has 1",
    )
    case(
        "a threshold of true for 1",
        opened_record(lambda r: r["trustees"].update(threshold=True)),
        "event 1 (ballot.opened): the trustees' record needs an integer threshold and "
        "named trustees",
    )
    case(
        "a trustee number of true for 1",
        opened_record(lambda r: r["trustees"]["trustees"][0].update(trustee=True)),
        "event 1 (ballot.opened): trustee 1 (anna): announcement missing or out of order",
    )
    for names in (("anna", "anna", "vera"), ("anna", " ", "vera")):
        case(
            f"trustees named {names}",
            lambda e: None,
            "event 1 (ballot.opened): trustees must have distinct non-empty names, got "
            f"{list(names)}",
            one_paper_ballot(names),
        )
    case(
        "an option that is not valid Unicode",
        opened_record(lambda r: r["question"]["options"].__setitem__(2, "\ud800")),
        "event 1 (ballot.opened): cannot be hashed: a string is not valid Unicode "
        "(a lone surrogate)",
    )
    case(
        "a paper value that is not valid Unicode",
        lambda e: e[1]["payload"]["choices"][0].update(alpha="\udfff"),
        f"event 2 (ballot.encrypted_paper): paper {honest[1]['payload']['tracker'][:16]}: "
        "cannot be hashed: a string is not valid Unicode (a lone surrogate)",
    )
    case(
        "a cast event that is not an object",
        lambda e: e.insert(2, {"kind": v.CAST, "payload": []}),
        None,
    )
    case(
        "an opened event whose verifiable record is null",
        lambda e: e.append({"kind": v.OPENED, "payload": {"verifiable": None}}),
        f"event {decrypted + 1} (ballot.opened): not a kuzbass-verifiable-1 ballot record",
    )
    case(
        "a cast event that names no ballot",
        lambda e: e.insert(2, {"kind": v.CAST, "payload": {"ballot": 5}}),
        "event 3 (ballot.encrypted_paper): the event names no ballot (its ballot is not a string)",
    )
    return cases
