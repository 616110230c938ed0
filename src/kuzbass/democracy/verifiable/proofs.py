"""Zero-knowledge proofs, made non-interactive by the Fiat–Shamir hash of ``group.challenge``.

Three kinds, all with Belenios' sign convention (response = nonce − secret × challenge):

- knowledge of a discrete log (Schnorr): "I know x with X = g^x";
- equal discrete logs (Chaum–Pedersen): "X = g^x and F = α^x for the same x";
- encryption of an allowed value (the disjunctive Chaum–Pedersen proof of Cramer, Damgård and
  Schoenmakers): "(α, β) = (g^r, g^m y^r) for some r and some m in the allowed list".

Every hash input starts with a domain tag and the caller's context (ballot fingerprint, voter
credential, trustee number), then the whole statement, then the commitments: the "strong"
Fiat–Shamir transform, so that a proof made for one statement or one ballot is worthless for any
other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kuzbass.democracy.verifiable.group import (
    ORDER,
    Element,
    MalformedValueError,
    Scalar,
    add,
    base_power,
    challenge,
    decode_scalar,
    power,
    random_scalar,
    scalar_bytes,
    sub,
)

__all__ = [
    "Proof",
    "proofs_from_json",
    "prove_equal_logs",
    "prove_knowledge",
    "prove_value_in",
    "verify_equal_logs",
    "verify_knowledge",
    "verify_value_in",
]

Context = Sequence[bytes | str | int]


@dataclass(frozen=True)
class Proof:
    """One Σ-protocol transcript compressed to (challenge, response)."""

    challenge: Scalar
    response: Scalar

    def to_json(self) -> dict[str, str]:
        return {
            "challenge": scalar_bytes(self.challenge).hex(),
            "response": scalar_bytes(self.response).hex(),
        }

    @classmethod
    def from_json(cls, value: Any, what: str) -> Proof:
        if not isinstance(value, dict) or set(value) != {"challenge", "response"}:
            raise MalformedValueError(f"{what}: a proof is an object with challenge and response")
        return cls(
            decode_scalar(value["challenge"], f"{what}.challenge"),
            decode_scalar(value["response"], f"{what}.response"),
        )


def proofs_from_json(value: Any, what: str) -> list[Proof]:
    if not isinstance(value, list):
        raise MalformedValueError(f"{what}: expected a list of proofs, got {type(value).__name__}")
    return [Proof.from_json(item, f"{what}[{index}]") for index, item in enumerate(value)]


def prove_knowledge(tag: str, context: Context, secret: Scalar, public: Element) -> Proof:
    """Schnorr proof that the prover knows ``secret`` with ``public = g^secret``."""
    nonce = random_scalar()
    commitment = base_power(nonce)
    c = challenge(tag, [*context, public, commitment])
    return Proof(c, (nonce - secret * c) % ORDER)


def verify_knowledge(tag: str, context: Context, public: Element, proof: Proof) -> bool:
    commitment = add(base_power(proof.response), power(public, proof.challenge))
    return challenge(tag, [*context, public, commitment]) == proof.challenge


def prove_equal_logs(
    tag: str, context: Context, secret: Scalar, public: Element, base: Element, result: Element
) -> Proof:
    """Chaum–Pedersen proof that ``public = g^secret`` and ``result = base^secret``."""
    nonce = random_scalar()
    first, second = base_power(nonce), power(base, nonce)
    c = challenge(tag, [*context, public, base, result, first, second])
    return Proof(c, (nonce - secret * c) % ORDER)


def verify_equal_logs(
    tag: str, context: Context, public: Element, base: Element, result: Element, proof: Proof
) -> bool:
    first = add(base_power(proof.response), power(public, proof.challenge))
    second = add(power(base, proof.response), power(result, proof.challenge))
    return challenge(tag, [*context, public, base, result, first, second]) == proof.challenge


def _shifted_betas(beta: Element, values: Sequence[int]) -> list[Element]:
    """β / g^m for every allowed m: the ElGamal "message removed" that each branch proves."""
    return [sub(beta, base_power(value)) if value else beta for value in values]


def prove_value_in(
    tag: str,
    context: Context,
    key: Element,
    ciphertext: tuple[Element, Element],
    randomness: Scalar,
    value: int,
    allowed: Sequence[int],
) -> list[Proof]:
    """Disjunctive proof that ``ciphertext`` encrypts one of ``allowed`` under ``key``.

    The real branch (the one for ``value``) is proved honestly; every other branch is simulated
    from a random challenge and response; the real challenge is what is left of the hash.
    """
    alpha, beta = ciphertext
    real = allowed.index(value)
    shifted = _shifted_betas(beta, allowed)
    proofs: list[Proof | None] = []
    commitments: list[Element] = []
    nonce = random_scalar()
    for index, target in enumerate(shifted):
        if index == real:
            proofs.append(None)
            commitments += [base_power(nonce), power(key, nonce)]
            continue
        fake = Proof(random_scalar(), random_scalar())
        proofs.append(fake)
        commitments += [
            add(base_power(fake.response), power(alpha, fake.challenge)),
            add(power(key, fake.response), power(target, fake.challenge)),
        ]
    total = challenge(tag, [*context, key, alpha, beta, *commitments])
    rest = (total - sum(p.challenge for p in proofs if p is not None)) % ORDER
    proofs[real] = Proof(rest, (nonce - randomness * rest) % ORDER)
    return [p for p in proofs if p is not None]


def verify_value_in(
    tag: str,
    context: Context,
    key: Element,
    ciphertext: tuple[Element, Element],
    allowed: Sequence[int],
    proofs: Sequence[Proof],
) -> bool:
    if len(proofs) != len(allowed):
        return False
    alpha, beta = ciphertext
    commitments: list[Element] = []
    for proof, target in zip(proofs, _shifted_betas(beta, allowed), strict=True):
        commitments += [
            add(base_power(proof.response), power(alpha, proof.challenge)),
            add(power(key, proof.response), power(target, proof.challenge)),
        ]
    total = challenge(tag, [*context, key, alpha, beta, *commitments])
    return total == sum(p.challenge for p in proofs) % ORDER
