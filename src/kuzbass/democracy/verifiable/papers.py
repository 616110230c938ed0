"""Encrypted ballot papers: encryption with proofs, the tracker, the Benaloh challenge and the
checks a server runs before counting a paper.

A paper holds one exponential-ElGamal ciphertext (g^r, g^m y^r) per option, where m is the
voter's mark for that option (0/1 for yes/no and approval, 0..max_score for score), a proof that
each m is allowed, a proof that their sum is within the question's limits, and a signature by the
voter's credential. Its tracker is the SHA-256 of its canonical JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kuzbass.democracy.verifiable.group import (
    Element,
    MalformedValueError,
    Scalar,
    add,
    base_power,
    decode_element,
    decode_scalar,
    json_digest,
    power,
    random_scalar,
    scalar_bytes,
)
from kuzbass.democracy.verifiable.opening import Ballot
from kuzbass.democracy.verifiable.proofs import (
    Proof,
    proofs_from_json,
    prove_knowledge,
    prove_value_in,
    verify_knowledge,
    verify_value_in,
)
from kuzbass.democracy.verifiable.trustees import TrusteeError

__all__ = [
    "CHOICE_TAG",
    "SIGNATURE_TAG",
    "TOTAL_TAG",
    "Paper",
    "PaperRejectedError",
    "audit_challenge",
    "check_fresh",
    "check_paper",
    "encrypt_paper",
    "reveal_json",
    "signed_digest",
    "tracker",
]

CHOICE_TAG = "kuzbass/verifiable/v1/choice"
TOTAL_TAG = "kuzbass/verifiable/v1/total"
SIGNATURE_TAG = "kuzbass/verifiable/v1/paper-signature"


class PaperRejectedError(ValueError):
    """A paper that must not be counted; the message names the paper and what is wrong."""


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
    return json_digest({k: v for k, v in paper.items() if k != "tracker"}).hex()


def signed_digest(paper: dict[str, Any]) -> bytes:
    """What the voter's credential signs: the paper without its signature and tracker."""
    return json_digest({k: v for k, v in paper.items() if k not in ("tracker", "signature")})


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
        SIGNATURE_TAG, [ballot.fingerprint, signed_digest(paper)], credential_secret, credential
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
        SIGNATURE_TAG, [ballot.fingerprint, signed_digest(paper)], credential, signature
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
