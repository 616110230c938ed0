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


RFC_9496_INVALID = [
    # RFC 9496 appendix A.2, encodings every decoder must refuse: non-canonical field elements
    "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0100000000000000000000000000000000000000000000000000000000000080",
    # negative field elements
    "0100000000000000000000000000000000000000000000000000000000000000",
    "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20",
    "c34c4e1826e5d403b78e246e88aa051c36ccf0aafebffe137d148a2bf9104562",
    "c940e5a4404157cfb1628b108db051a8d439e1a421394ec4ebccb9ec92a8ac78",
    "47cfc5497c53dc8e61c91d17fd626ffb1c49e2bca94eed052281b510b1117a24",
    "f1c6165d33367351b0da8f6e4511010c68174a03b6581212c71c0e1d026c3c72",
    "87260f7a2f12495118360f02c26a470f450dadf34a413d21042b43b9d93e1309",
    # non-square x^2
    "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
    "4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f",
    "de6a7b00deadc788eb6b6c8d20c0ae96c2f2019078fa604fee5b87d6e989ad7b",
    "bcab477be20861e01e4a0e295284146a510150d9817763caf1a6f4b422d67042",
    "2a292df7e32cababbd9de088d1d1abec9fc0440f637ed2fba145094dc14bea08",
    "f4a9e534fc0d216c44b218fa0c42d99635a0127ee2e53c712f70609649fdff22",
    "8268436f8c4126196cf64b3c7ddbda90746a378625f9813dd9b8457077256731",
    "2810e5cbc2cc4d4eece54f61c6f69758e289aa7ab440b3cbeaa21995c2f4232b",
    # negative xy
    "3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e",
    "a45fdc55c76448c049a1ab33f17023edfb2be3581e9c7aade8a6125215e04220",
    "d483fe813c6ba647ebbfd3ec41adca1c6130c2beeee9d9bf065c8d151c5f396e",
    "8a2e1d30050198c65a54483123960ccc38aef6848e1ec8f5f780e8523769ba32",
    "32888462f8b486c68ad7dd9610be5192bbeaf3b443951ac1a8118419d9fa097b",
    "227142501b9d4355ccba290404bde41575b037693cef1f438c47f8fbf35d1165",
    "5c37cc491da847cfeb9281d407efc41e15144c876e0170b499a96a22ed31e01e",
    "445425117cb8c90edcbc7c1cc0e74f747f2c1efa5630a967c64f287792a48a4b",
    # s = -1, which makes y = 0
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
]
