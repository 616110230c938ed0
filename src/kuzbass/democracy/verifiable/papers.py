"""Encrypted ballot papers: the question, the opened ballot's public record, encryption with
proofs, the tracker, the Benaloh challenge and the checks a server runs before counting a paper.

A paper holds one exponential-ElGamal ciphertext (g^r, g^m y^r) per option, where m is the
voter's mark for that option (0/1 for yes/no and approval, 0..max_score for score), a proof that
each m is allowed, a proof that their sum is within the question's limits, and a signature by the
voter's credential. Its tracker is the SHA-256 of its canonical JSON.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kuzbass.democracy.verifiable.group import (
    Element,
    MalformedValueError,
    Scalar,
    add,
    base_power,
    challenge,
    decode_element,
    decode_scalar,
    power,
    random_scalar,
    scalar_bytes,
)
from kuzbass.democracy.verifiable.proofs import (
    Proof,
    proofs_from_json,
    prove_knowledge,
    prove_value_in,
    verify_knowledge,
    verify_value_in,
)
from kuzbass.democracy.verifiable.trustees import KeyRecord, TrusteeError, check_key_record
from kuzbass.ledger import canonical_json

__all__ = [
    "CHOICE_TAG",
    "CREDENTIAL_TAG",
    "SCHEME",
    "SIGNATURE_TAG",
    "TOTAL_TAG",
    "Ballot",
    "Paper",
    "PaperRejectedError",
    "Question",
    "audit_challenge",
    "check_fresh",
    "check_paper",
    "credential_key",
    "encrypt_paper",
    "open_ballot",
    "read_ballot",
    "reveal_json",
    "tracker",
]

SCHEME = "kuzbass-verifiable-1"
CHOICE_TAG = "kuzbass/verifiable/v1/choice"
TOTAL_TAG = "kuzbass/verifiable/v1/total"
SIGNATURE_TAG = "kuzbass/verifiable/v1/paper-signature"
CREDENTIAL_TAG = "kuzbass/verifiable/v1/credential"


MAX_OPTIONS = 64
MAX_SCORE = 100
"""Bounds that keep every proof and the final discrete log small: a paper grows with both."""


class PaperRejectedError(ValueError):
    """A paper that must not be counted; the message names the paper and what is wrong."""


@dataclass(frozen=True)
class Question:
    """What a paper may say: a mark 0..max_score per option, marks adding up to
    min_total..max_total. Yes/no/abstain is three options, max_score 1, total exactly 1."""

    options: tuple[str, ...]
    max_score: int = 1
    min_total: int = 0
    max_total: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= len(self.options) <= MAX_OPTIONS or len(set(self.options)) != len(self.options):
            raise ValueError(
                f"a question needs 1 to {MAX_OPTIONS} distinct options, got {list(self.options)}"
            )
        if any(not isinstance(o, str) or not o.strip() for o in self.options):
            raise ValueError(f"options must be non-empty strings, got {list(self.options)}")
        for name in ("max_score", "min_total", "max_total"):
            value = getattr(self, name)
            if not (value is None and name == "max_total") and (
                isinstance(value, bool) or not isinstance(value, int)
            ):
                raise ValueError(f"{name} must be an integer, got {value!r}")
        if not 1 <= self.max_score <= MAX_SCORE:
            raise ValueError(f"max_score must be between 1 and {MAX_SCORE}, got {self.max_score}")
        top = len(self.options) * self.max_score
        if self.max_total is None:
            object.__setattr__(self, "max_total", top)
        if not 0 <= self.min_total <= self.total_limit <= top:
            raise ValueError(f"limits {self.min_total}..{self.max_total} must lie within 0..{top}")

    @property
    def total_limit(self) -> int:
        assert self.max_total is not None
        return self.max_total

    @property
    def marks(self) -> list[int]:
        return list(range(self.max_score + 1))

    @property
    def totals(self) -> list[int]:
        return list(range(self.min_total, self.total_limit + 1))

    def to_json(self) -> dict[str, Any]:
        return {
            "options": list(self.options),
            "max_score": self.max_score,
            "min_total": self.min_total,
            "max_total": self.total_limit,
        }

    @classmethod
    def from_json(cls, value: Any) -> Question:
        fields = {"options", "max_score", "min_total", "max_total"}
        if not isinstance(value, dict) or set(value) != fields:
            raise MalformedValueError(f"question: expected an object with fields {sorted(fields)}")
        if not isinstance(value["options"], list):
            raise MalformedValueError("question: options must be a list")
        try:
            return cls(
                tuple(value["options"]), value["max_score"], value["min_total"], value["max_total"]
            )
        except (TypeError, ValueError) as error:
            raise MalformedValueError(f"question: {error}") from None

    def check_marks(self, marks: Sequence[int]) -> None:
        if len(marks) != len(self.options):
            raise ValueError(f"expected {len(self.options)} marks, got {len(marks)}")
        for option, mark in zip(self.options, marks, strict=True):
            if (
                isinstance(mark, bool)
                or not isinstance(mark, int)
                or not 0 <= mark <= self.max_score
            ):
                raise ValueError(f"mark {mark!r} for {option!r} is not in 0..{self.max_score}")
        if not self.min_total <= sum(marks) <= self.total_limit:
            raise ValueError(
                f"marks add up to {sum(marks)}, outside {self.min_total}..{self.total_limit}"
            )


@dataclass(frozen=True)
class Ballot:
    """The public record of an opened verifiable ballot, as the ballot-opened event carries it."""

    id: str
    question: Question
    keys: KeyRecord
    voters: frozenset[Element]
    fingerprint: str
    record: dict[str, Any]

    @property
    def public_key(self) -> Element:
        return self.keys.public_key


def _sha256(value: Any) -> bytes:
    """SHA-256 of canonical JSON; a value with no canonical spelling (a float, say) is malformed."""
    try:
        return hashlib.sha256(canonical_json(value)).digest()
    except TypeError as error:
        raise MalformedValueError(f"cannot be hashed: {error}") from None


def _fingerprint(record: dict[str, Any]) -> str:
    return _sha256({k: v for k, v in record.items() if k != "fingerprint"}).hex()


def open_ballot(
    ballot_id: str, question: Question, trustees: dict[str, Any], voters: Sequence[str]
) -> dict[str, Any]:
    """The verifiable part of the ballot-opened event: question, trustees' record with the joint
    key, the eligible voters' credentials (sorted, so their order tells nothing) and the
    fingerprint that every proof of every paper is bound to."""
    record = {
        "scheme": SCHEME,
        "ballot": ballot_id,
        "question": question.to_json(),
        "trustees": trustees,
        "voters": sorted(voters),
    }
    record["fingerprint"] = _fingerprint(record)
    read_ballot(record)
    return record


def read_ballot(record: Any) -> Ballot:
    """Check an opened ballot's record from public data alone (trustees' proofs, joint key,
    credentials, fingerprint) and return it ready for encrypting and checking papers."""
    if not isinstance(record, dict) or record.get("scheme") != SCHEME:
        raise MalformedValueError(f"not a {SCHEME} ballot record")
    ballot_id = record.get("ballot")
    if not isinstance(ballot_id, str) or not ballot_id:
        raise MalformedValueError(f"ballot id must be a non-empty string, got {ballot_id!r}")
    question = Question.from_json(record.get("question"))
    keys = check_key_record(ballot_id, record.get("trustees"))
    voters = record.get("voters")
    if (
        not isinstance(voters, list)
        or not all(isinstance(voter, str) for voter in voters)
        or voters != sorted(set(voters))
    ):
        raise MalformedValueError("voters must be a sorted list of distinct credentials")
    credentials = frozenset(
        decode_element(v, f"voter credential {i}") for i, v in enumerate(voters)
    )
    fingerprint = _fingerprint(record)
    if record.get("fingerprint") != fingerprint:
        raise MalformedValueError(
            f"ballot {ballot_id}: fingerprint {record.get('fingerprint')!r} is not the hash "
            f"of its record {fingerprint}"
        )
    return Ballot(ballot_id, question, keys, credentials, fingerprint, record)


def credential_key(ballot_id: str, secret: str) -> tuple[Scalar, Element]:
    """A voter's credential for one ballot, derived from the secret only the voter holds."""
    x = challenge(CREDENTIAL_TAG, [ballot_id, secret])
    return x, base_power(x)


@dataclass(frozen=True)
class Paper:
    """An encrypted paper with its proofs; ``tracker`` identifies it on the ledger."""

    payload: dict[str, Any]
    tracker: str
    credential: Element
    ciphertexts: tuple[tuple[Element, Element], ...]


def _ciphertext_json(ciphertext: tuple[Element, Element]) -> dict[str, str]:
    return {"alpha": ciphertext[0].hex(), "beta": ciphertext[1].hex()}


def _sum(ciphertexts: Sequence[tuple[Element, Element]]) -> tuple[Element, Element]:
    alpha, beta = ciphertexts[0]
    for a, b in ciphertexts[1:]:
        alpha, beta = add(alpha, a), add(beta, b)
    return alpha, beta


def _flat(ciphertexts: Sequence[tuple[Element, Element]]) -> list[bytes | str | int]:
    return [element for pair in ciphertexts for element in pair]


def tracker(paper: dict[str, Any]) -> str:
    """SHA-256 hex of the paper's canonical JSON, without its own tracker field."""
    return _sha256({k: v for k, v in paper.items() if k != "tracker"}).hex()


def _signed_digest(paper: dict[str, Any]) -> bytes:
    return _sha256({k: v for k, v in paper.items() if k not in ("tracker", "signature")})


def encrypt_paper(
    ballot: Ballot, marks: Sequence[int], credential_secret: Scalar
) -> tuple[dict[str, Any], list[Scalar]]:
    """Encrypt and prove one paper. Returns the paper (with its tracker) and the randomness,
    which the voter's device keeps only to answer a Benaloh challenge, then forgets."""
    question = ballot.question
    question.check_marks(marks)
    key = ballot.public_key
    credential = base_power(credential_secret)
    randomness = [random_scalar() for _ in marks]
    ciphertexts = [
        (base_power(r), add(base_power(m), power(key, r)) if m else power(key, r))
        for m, r in zip(marks, randomness, strict=True)
    ]
    context: list[bytes | str | int] = [ballot.fingerprint, credential]
    choice_proofs = [
        prove_value_in(CHOICE_TAG, [*context, i], key, c, r, m, question.marks)
        for i, (c, r, m) in enumerate(zip(ciphertexts, randomness, marks, strict=True))
    ]
    total_proof = prove_value_in(
        TOTAL_TAG,
        [*context, *_flat(ciphertexts)],
        key,
        _sum(ciphertexts),
        sum(randomness),
        sum(marks),
        question.totals,
    )
    paper: dict[str, Any] = {
        "ballot": ballot.id,
        "fingerprint": ballot.fingerprint,
        "credential": credential.hex(),
        "choices": [_ciphertext_json(c) for c in ciphertexts],
        "choice_proofs": [[p.to_json() for p in proofs] for proofs in choice_proofs],
        "total_proof": [p.to_json() for p in total_proof],
    }
    signature = prove_knowledge(
        SIGNATURE_TAG, [ballot.fingerprint, _signed_digest(paper)], credential_secret, credential
    )
    paper["signature"] = signature.to_json()
    paper["tracker"] = tracker(paper)
    return paper, randomness


_FIELDS = {
    "ballot",
    "fingerprint",
    "credential",
    "choices",
    "choice_proofs",
    "total_proof",
    "signature",
    "tracker",
}


def _read_ciphertexts(value: Any, count: int, name: str) -> list[tuple[Element, Element]]:
    if not isinstance(value, list) or len(value) != count:
        raise MalformedValueError(f"{name}: expected {count} ciphertexts, one per option")
    result = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != {"alpha", "beta"}:
            raise MalformedValueError(f"{name}[{i}]: a ciphertext is an object with alpha and beta")
        result.append(
            (
                decode_element(item["alpha"], f"{name}[{i}].alpha"),
                decode_element(item["beta"], f"{name}[{i}].beta"),
            )
        )
    return result


def check_paper(
    ballot: Ballot,
    paper: Any,
    *,
    seen_trackers: set[str] | frozenset[str] = frozenset(),
    used_credentials: set[Element] | frozenset[Element] = frozenset(),
) -> Paper:
    """Everything a paper must pass before it is counted, in the order a reader would check.

    Raises PaperRejectedError naming the paper's tracker and the first failure: wrong ballot or
    key, a malformed value, an ineligible credential, a failing signature or proof, then a
    replayed tracker or a credential that has voted already (``check_fresh``).
    """
    if not isinstance(paper, dict):
        raise PaperRejectedError(f"a paper is a JSON object, got {type(paper).__name__}")
    name = f"paper {str(paper.get('tracker'))[:16]}"
    if set(paper) != _FIELDS:
        raise PaperRejectedError(
            f"{name}: fields must be exactly {sorted(_FIELDS)}, got {sorted(paper)}"
        )
    if paper["ballot"] != ballot.id or paper["fingerprint"] != ballot.fingerprint:
        raise PaperRejectedError(
            f"{name}: made for ballot {paper['ballot']!r} with fingerprint "
            f"{str(paper['fingerprint'])[:16]}…, not for ballot {ballot.id!r} "
            f"({ballot.fingerprint[:16]}…): a paper for another ballot or another key"
        )
    try:
        expected = tracker(paper)
    except MalformedValueError as error:
        raise PaperRejectedError(f"{name}: {error}") from None
    if paper["tracker"] != expected:
        raise PaperRejectedError(f"{name}: tracker is not the hash of the paper {expected}")
    try:
        credential = decode_element(paper["credential"], f"{name}: credential")
        ciphertexts = _read_ciphertexts(
            paper["choices"], len(ballot.question.options), f"{name}: choices"
        )
        proofs = paper["choice_proofs"]
        if not isinstance(proofs, list) or len(proofs) != len(ciphertexts):
            raise MalformedValueError(f"{name}: choice_proofs: expected one list per option")
        choice_proofs = [
            proofs_from_json(p, f"{name}: choice_proofs[{i}]") for i, p in enumerate(proofs)
        ]
        total_proof = proofs_from_json(paper["total_proof"], f"{name}: total_proof")
        signature = Proof.from_json(paper["signature"], f"{name}: signature")
    except (MalformedValueError, TrusteeError) as error:
        raise PaperRejectedError(str(error)) from None
    if credential not in ballot.voters:
        raise PaperRejectedError(f"{name}: credential {credential.hex()[:16]}… is not on the roll")
    if not verify_knowledge(
        SIGNATURE_TAG, [ballot.fingerprint, _signed_digest(paper)], credential, signature
    ):
        raise PaperRejectedError(f"{name}: the credential's signature fails")
    question, key = ballot.question, ballot.public_key
    context: list[bytes | str | int] = [ballot.fingerprint, credential]
    for i, (option, ciphertext, proof) in enumerate(
        zip(question.options, ciphertexts, choice_proofs, strict=True)
    ):
        if not verify_value_in(CHOICE_TAG, [*context, i], key, ciphertext, question.marks, proof):
            raise PaperRejectedError(
                f"{name}: the proof that the mark for {option!r} is in "
                f"0..{question.max_score} fails"
            )
    if not verify_value_in(
        TOTAL_TAG,
        [*context, *_flat(ciphertexts)],
        key,
        _sum(ciphertexts),
        question.totals,
        total_proof,
    ):
        raise PaperRejectedError(
            f"{name}: the proof that the marks add up to "
            f"{question.min_total}..{question.total_limit} fails"
        )
    checked = Paper(paper, paper["tracker"], credential, tuple(ciphertexts))
    check_fresh(checked, seen_trackers, used_credentials)
    return checked


def check_fresh(
    paper: Paper,
    seen_trackers: set[str] | frozenset[str],
    used_credentials: set[Element] | frozenset[Element],
) -> None:
    """One paper per credential, each tracker once: the checks that depend on the papers before."""
    name = f"paper {paper.tracker[:16]}"
    if paper.tracker in seen_trackers:
        raise PaperRejectedError(f"{name}: this tracker was already cast (a replayed paper)")
    if paper.credential in used_credentials:
        raise PaperRejectedError(
            f"{name}: credential {paper.credential.hex()[:16]}… has already voted"
        )


def audit_challenge(ballot: Ballot, paper: dict[str, Any], reveal: Any) -> list[int]:
    """Check a Benaloh challenge: the revealed randomness and marks must rebuild every ciphertext
    of the challenged paper. Returns the marks; such a paper is never cast."""
    name = f"challenged paper {str(paper.get('tracker'))[:16]}"
    try:
        if paper.get("tracker") != tracker(paper):
            raise PaperRejectedError(f"{name}: tracker is not the hash of the paper")
    except MalformedValueError as error:
        raise PaperRejectedError(f"{name}: {error}") from None
    if not isinstance(reveal, dict) or reveal.get("tracker") != paper["tracker"]:
        raise PaperRejectedError(f"{name}: the reveal is for another paper")
    marks, randomness = reveal.get("marks"), reveal.get("randomness")
    count = len(ballot.question.options)
    if not isinstance(marks, list) or not isinstance(randomness, list):
        raise PaperRejectedError(f"{name}: the reveal needs lists of marks and randomness")
    if len(marks) != count or len(randomness) != count:
        raise PaperRejectedError(
            f"{name}: the reveal needs {count} marks and {count} random values"
        )
    try:
        ciphertexts = _read_ciphertexts(paper.get("choices"), count, f"{name}: choices")
        values = [decode_scalar(r, f"{name}: randomness[{i}]") for i, r in enumerate(randomness)]
    except MalformedValueError as error:
        raise PaperRejectedError(str(error)) from None
    key = ballot.public_key
    for option, mark, r, (alpha, beta) in zip(
        ballot.question.options, marks, values, ciphertexts, strict=True
    ):
        if (
            isinstance(mark, bool)
            or not isinstance(mark, int)
            or not 0 <= mark <= ballot.question.max_score
        ):
            raise PaperRejectedError(
                f"{name}: revealed mark {mark!r} for {option!r} is not allowed"
            )
        rebuilt = add(base_power(mark), power(key, r)) if mark else power(key, r)
        if alpha != base_power(r) or beta != rebuilt:
            raise PaperRejectedError(
                f"{name}: the ciphertext for {option!r} does not encrypt the revealed mark {mark}"
            )
    return list(marks)


def reveal_json(
    paper: dict[str, Any], marks: Sequence[int], randomness: Sequence[Scalar]
) -> dict[str, Any]:
    """What the voter's device publishes when the voter challenges a paper."""
    return {
        "tracker": paper["tracker"],
        "marks": list(marks),
        "randomness": [scalar_bytes(r).hex() for r in randomness],
    }
