"""The count: add the papers' ciphertexts, let t trustees decrypt only the total, each with a
Chaum–Pedersen proof, combine with Lagrange coefficients and take the small discrete log."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kuzbass.democracy.verifiable.group import (
    GENERATOR,
    IDENTITY,
    Element,
    MalformedValueError,
    add,
    base_power,
    decode_element,
    power,
    sub,
)
from kuzbass.democracy.verifiable.opening import Ballot
from kuzbass.democracy.verifiable.papers import Paper
from kuzbass.democracy.verifiable.proofs import (
    Proof,
    proofs_from_json,
    prove_equal_logs,
    verify_equal_logs,
)
from kuzbass.democracy.verifiable.trustees import TrusteeError, TrusteeSecret, lagrange_coefficient

__all__ = [
    "DECRYPTION_TAG",
    "Decryption",
    "TallyError",
    "check_partial_decryption",
    "combine",
    "encrypted_tally",
    "partial_decryption",
    "small_log",
    "tally_json",
]

DECRYPTION_TAG = "kuzbass/verifiable/v1/partial-decryption"

Ciphertext = tuple[Element, Element]


class TallyError(ValueError):
    """A tally or partial decryption that does not check out; names the trustee or option."""


def encrypted_tally(ballot: Ballot, papers: Sequence[Paper]) -> list[Ciphertext]:
    """The product of every counted paper's ciphertext, option by option: an encryption of each
    option's total. With no papers, the total is the identity (an encryption of 0 with r = 0)."""
    totals: list[Ciphertext] = [(IDENTITY, IDENTITY)] * len(ballot.question.options)
    for paper in papers:
        totals = [
            (add(a, pa), add(b, pb))
            for (a, b), (pa, pb) in zip(totals, paper.ciphertexts, strict=True)
        ]
    return totals


def tally_json(tally: Sequence[Ciphertext]) -> list[dict[str, str]]:
    return [{"alpha": a.hex(), "beta": b.hex()} for a, b in tally]


def _context(ballot: Ballot, trustee: int, option: int) -> list[bytes | str | int]:
    return [ballot.fingerprint, trustee, option]


def partial_decryption(
    ballot: Ballot, secret: TrusteeSecret, tally: Sequence[Ciphertext]
) -> dict[str, Any]:
    """A trustee's share of the decryption: α^(x_j) per option, each with a proof that it used
    the same x_j as its published verification key."""
    if secret.decryption_key is None or secret.ballot != ballot.id:
        raise TrusteeError(f"trustee {secret.index} holds no finished key for ballot {ballot.id!r}")
    x, me = secret.decryption_key, secret.index
    key = ballot.keys.verification_keys[me - 1]
    mine = [base_power(a).hex() for a in secret.coefficients]
    if base_power(x) != key or ballot.record["trustees"]["trustees"][me - 1]["commitments"] != mine:
        raise TrusteeError(
            f"trustee {me}: ballot {ballot.id!r} was not opened with this trustee's commitments "
            "and key; not decrypting"
        )
    factors, proofs = [], []
    for option, (alpha, _) in enumerate(tally):
        factor = power(alpha, x)
        factors.append(factor.hex())
        proof = prove_equal_logs(
            DECRYPTION_TAG, _context(ballot, me, option), x, key, alpha, factor
        )
        proofs.append(proof.to_json())
    return {"trustee": me, "factors": factors, "proofs": proofs}


@dataclass(frozen=True)
class Decryption:
    trustee: int
    factors: tuple[Element, ...]


def check_partial_decryption(
    ballot: Ballot, tally: Sequence[Ciphertext], decryption: Any
) -> Decryption:
    """Check one trustee's partial decryption against its verification key; names the trustee
    and the option whose proof fails."""
    if not isinstance(decryption, dict) or set(decryption) != {"trustee", "factors", "proofs"}:
        raise TallyError("a partial decryption is an object with trustee, factors and proofs")
    me = decryption["trustee"]
    names = ballot.keys.names
    if isinstance(me, bool) or not isinstance(me, int) or not 1 <= me <= len(names):
        raise TallyError(f"partial decryption by unknown trustee {me!r}")
    who = f"trustee {me} ({names[me - 1]})"
    options = ballot.question.options
    try:
        raw = decryption["factors"]
        if not isinstance(raw, list) or len(raw) != len(options):
            raise MalformedValueError(f"{who}: expected {len(options)} decryption factors")
        factors = [
            decode_element(f, f"{who}: factor {i}", allow_identity=True) for i, f in enumerate(raw)
        ]
        proofs: list[Proof] = proofs_from_json(decryption["proofs"], f"{who}: proofs")
    except MalformedValueError as error:
        raise TallyError(str(error)) from None
    if len(proofs) != len(options):
        raise TallyError(f"{who}: expected {len(options)} proofs")
    key = ballot.keys.verification_keys[me - 1]
    for option, ((alpha, _), factor, proof) in enumerate(zip(tally, factors, proofs, strict=True)):
        if not verify_equal_logs(
            DECRYPTION_TAG, _context(ballot, me, option), key, alpha, factor, proof
        ):
            raise TallyError(
                f"{who}: the partial decryption of {options[option]!r} fails its proof "
                "(a wrong decryption factor)"
            )
    return Decryption(me, tuple(factors))


def small_log(element: Element, bound: int) -> int:
    """m in 0..bound with g^m = element, by baby-step giant-step (about 2√bound group steps)."""
    step = max(1, math.isqrt(bound) + 1)
    baby: dict[Element, int] = {}
    current = IDENTITY
    for j in range(step):
        baby.setdefault(current, j)
        current = add(current, GENERATOR)
    giant = base_power(step)
    current = element
    for i in range(step + 1):
        if current in baby and i * step + baby[current] <= bound:
            return i * step + baby[current]
        current = sub(current, giant)
    raise TallyError(f"the decrypted total is not between 0 and {bound}")


def combine(
    ballot: Ballot, tally: Sequence[Ciphertext], decryptions: Sequence[Decryption], papers: int
) -> list[int]:
    """The totals per option from at least ``threshold`` checked partial decryptions: β divided
    by Π F_j^λ_j over the first ``threshold`` trustees, then the discrete log (at most papers ×
    max_score)."""
    trustees = sorted({d.trustee for d in decryptions})
    if len(trustees) != len(decryptions):
        raise TallyError("a trustee gave more than one partial decryption")
    threshold = ballot.keys.threshold
    if len(trustees) < threshold:
        raise TallyError(
            f"{len(trustees)} partial decryptions, but {threshold} trustees are needed"
        )
    chosen = [d for d in sorted(decryptions, key=lambda d: d.trustee)][:threshold]
    indices = [d.trustee for d in chosen]
    bound = papers * ballot.question.max_score
    counts = []
    for option, (_, beta) in enumerate(tally):
        shared = IDENTITY
        for d in chosen:
            shared = add(shared, power(d.factors[option], lagrange_coefficient(d.trustee, indices)))
        counts.append(small_log(sub(beta, shared), bound))
    return counts
