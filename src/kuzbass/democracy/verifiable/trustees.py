"""Threshold trustees: Pedersen's distributed key generation, as Belenios' threshold mode runs it.

Each of n trustees, on their own machine, draws a polynomial f_i of degree t − 1 and publishes
g^(its coefficients) with proofs of knowledge (``announce``); sends every other trustee j the
share f_i(j), boxed with libsodium's ``crypto_box`` from i's channel key to j's (``deal``); and,
once all shares have come, checks each against the dealer's published coefficients, adds them
into its decryption key x_j = Σ_i f_i(j) and publishes g^(x_j) with a proof of knowledge
(``finish``). The joint key is Π_i g^(f_i(0)); any t trustees can decrypt, fewer learn nothing.
Nobody ever holds the whole decryption key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pysodium

from kuzbass.democracy.verifiable.group import (
    ORDER,
    Element,
    MalformedValueError,
    Scalar,
    add,
    base_power,
    decode_element,
    decode_scalar,
    power,
    random_scalar,
    scalar,
    scalar_bytes,
)
from kuzbass.democracy.verifiable.proofs import Proof, prove_knowledge, verify_knowledge

__all__ = [
    "COEFFICIENT_TAG",
    "VERIFICATION_KEY_TAG",
    "KeyRecord",
    "TrusteeError",
    "TrusteeSecret",
    "announce",
    "check_key_record",
    "deal",
    "finish",
    "key_record",
    "lagrange_coefficient",
    "verification_key_from_commitments",
]

COEFFICIENT_TAG = "kuzbass/verifiable/v1/coefficient"
VERIFICATION_KEY_TAG = "kuzbass/verifiable/v1/verification-key"


class TrusteeError(ValueError):
    """A trustee's message or key that does not check out; names the trustee."""


@dataclass(frozen=True)
class TrusteeSecret:
    """What one trustee keeps on their own machine, and nobody else ever sees."""

    ballot: str
    names: tuple[str, ...]
    threshold: int
    index: int
    coefficients: tuple[Scalar, ...]
    channel_public: bytes
    channel_secret: bytes
    decryption_key: Scalar | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "ballot": self.ballot,
            "names": list(self.names),
            "threshold": self.threshold,
            "index": self.index,
            "coefficients": [scalar_bytes(a).hex() for a in self.coefficients],
            "channel_public": self.channel_public.hex(),
            "channel_secret": self.channel_secret.hex(),
            "decryption_key": (
                None if self.decryption_key is None else scalar_bytes(self.decryption_key).hex()
            ),
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> TrusteeSecret:
        key = value.get("decryption_key")
        return cls(
            value["ballot"],
            tuple(value["names"]),
            value["threshold"],
            value["index"],
            tuple(decode_scalar(a, "coefficient") for a in value["coefficients"]),
            bytes.fromhex(value["channel_public"]),
            bytes.fromhex(value["channel_secret"]),
            None if key is None else decode_scalar(key, "decryption_key"),
        )


def _context(ballot: str, names: Sequence[str], threshold: int) -> list[bytes | str | int]:
    return [ballot, threshold, len(names), *names]


def _check_parameters(names: Sequence[str], threshold: int) -> None:
    if len(set(names)) != len(names) or any(not n.strip() for n in names):
        raise TrusteeError(f"trustees must have distinct non-empty names, got {list(names)}")
    if not 1 <= threshold <= len(names):
        raise TrusteeError(
            f"threshold {threshold} must be between 1 and the number of trustees {len(names)}"
        )


def announce(
    ballot: str, names: Sequence[str], threshold: int, index: int
) -> tuple[TrusteeSecret, dict[str, Any]]:
    """Step 1 for trustee ``index`` (1-based): draw the polynomial and the channel key.

    Returns the secret to keep and the announcement to publish: the channel key, the
    commitments g^(a_k) and a proof of knowledge of each a_k bound to this ballot and index.
    """
    _check_parameters(names, threshold)
    if not 1 <= index <= len(names):
        raise TrusteeError(f"trustee number {index} is not between 1 and {len(names)}")
    coefficients = tuple(random_scalar() for _ in range(threshold))
    channel_public, channel_secret = pysodium.crypto_box_keypair()
    secret = TrusteeSecret(
        ballot, tuple(names), threshold, index, coefficients, channel_public, channel_secret
    )
    context = _context(ballot, names, threshold)
    commitments = [base_power(a) for a in coefficients]
    proofs = [
        prove_knowledge(COEFFICIENT_TAG, [*context, index, k, channel_public], a, commitment)
        for k, (a, commitment) in enumerate(zip(coefficients, commitments, strict=True))
    ]
    announcement = {
        "trustee": index,
        "name": names[index - 1],
        "channel_key": channel_public.hex(),
        "commitments": [c.hex() for c in commitments],
        "commitment_proofs": [p.to_json() for p in proofs],
    }
    return secret, announcement


@dataclass(frozen=True)
class _Announcement:
    index: int
    channel_key: bytes
    commitments: tuple[Element, ...]


def _channel_key(text: Any) -> bytes:
    """The 32 bytes of a channel key spelled as 64 lowercase hex characters (one spelling only,
    as for every other value), or nothing."""
    if isinstance(text, str) and re.fullmatch(r"[0-9a-f]{64}", text):
        return bytes.fromhex(text)
    return b""


def _read_announcements(
    ballot: str, names: Sequence[str], threshold: int, announcements: Sequence[Any]
) -> list[_Announcement]:
    """Check every trustee's announcement: one per trustee, in order, proofs valid."""
    context = _context(ballot, names, threshold)
    if len(announcements) != len(names):
        raise TrusteeError(f"expected {len(names)} trustee announcements, got {len(announcements)}")
    result = []
    for index, (name, item) in enumerate(zip(names, announcements, strict=True), start=1):
        who = f"trustee {index} ({name})"
        number = item.get("trustee") if isinstance(item, dict) else None
        if isinstance(number, bool) or number != index or item.get("name") != name:
            raise TrusteeError(f"{who}: announcement missing or out of order")
        try:
            channel = _channel_key(item["channel_key"])
            commitments = tuple(
                decode_element(c, f"{who} commitment {k}")
                for k, c in enumerate(item["commitments"])
            )
            proofs = [
                Proof.from_json(p, f"{who} commitment proof {k}")
                for k, p in enumerate(item["commitment_proofs"])
            ]
        except (KeyError, TypeError, ValueError) as error:
            raise TrusteeError(f"{who}: malformed announcement: {error}") from None
        if len(channel) != 32 or len(commitments) != threshold or len(proofs) != threshold:
            raise TrusteeError(f"{who}: needs a 32-byte channel key and {threshold} commitments")
        for k, (commitment, proof) in enumerate(zip(commitments, proofs, strict=True)):
            if not verify_knowledge(
                COEFFICIENT_TAG, [*context, index, k, channel], commitment, proof
            ):
                raise TrusteeError(f"{who}: the proof of knowledge of coefficient {k} fails")
        result.append(_Announcement(index, channel, commitments))
    return result


def _evaluate(coefficients: Sequence[Scalar], at: int) -> Scalar:
    value = 0
    for a in reversed(coefficients):
        value = (value * at + a) % ORDER
    return value


def verification_key_from_commitments(commitments: Sequence[Sequence[Element]], at: int) -> Element:
    """g^(x_at) computed from public data alone: Π_i Π_k (A_ik)^(at^k)."""
    total: Element | None = None
    for row in commitments:
        for k, commitment in enumerate(row):
            term = power(commitment, pow(at, k, ORDER))
            total = term if total is None else add(total, term)
    assert total is not None
    return total


def _direction(dealer: int, recipient: int) -> bytes:
    """Who dealt a share to whom, boxed with the share: a box between two channel keys opens in
    both directions, so without this the server could hand a trustee's own box back to them."""
    return dealer.to_bytes(8, "big") + recipient.to_bytes(8, "big")


def deal(secret: TrusteeSecret, announcements: Sequence[Any]) -> dict[str, Any]:
    """Step 2: check everyone's announcement, then box share f_i(j) for every other trustee j.

    ``crypto_box`` authenticates the dealer: only i (or j) can make a box that opens with i's
    public and j's secret channel key, so the server that relays it cannot forge a bad share and
    have an honest dealer blamed for it (``crypto_box_seal`` would let anyone seal to j).
    """
    checked = _read_announcements(secret.ballot, secret.names, secret.threshold, announcements)
    shares = {}
    for other in checked:
        if other.index == secret.index:
            continue
        share = _evaluate(secret.coefficients, other.index)
        message = scalar_bytes(share) + _direction(secret.index, other.index)
        nonce = pysodium.randombytes(pysodium.crypto_box_NONCEBYTES)
        box = pysodium.crypto_box(message, nonce, other.channel_key, secret.channel_secret)
        shares[str(other.index)] = (nonce + box).hex()
    return {"trustee": secret.index, "shares": shares}


def _open_share(secret: TrusteeSecret, dealer: _Announcement, dealing: Any) -> Scalar:
    """The share ``dealer`` boxed for this trustee, or a TrusteeError that says whether it is
    missing or was not made by the dealer (forged or damaged on the way, so not the dealer's
    fault)."""
    me, who = secret.index, f"trustee {dealer.index} ({secret.names[dealer.index - 1]})"
    try:
        boxed = bytes.fromhex(dealing["shares"][str(me)])
    except (KeyError, TypeError, ValueError):
        raise TrusteeError(f"{who} dealt no share to trustee {me}") from None
    nonce, box = boxed[: pysodium.crypto_box_NONCEBYTES], boxed[pysodium.crypto_box_NONCEBYTES :]
    try:
        message = pysodium.crypto_box_open(box, nonce, dealer.channel_key, secret.channel_secret)
    except ValueError:
        message = b""
    if len(message) != 48 or message[32:] != _direction(dealer.index, me):
        raise TrusteeError(
            f"the share from {who} to trustee {me} was not sealed by trustee {dealer.index} "
            "(forged or damaged on the way); ask them to deal again"
        )
    return scalar(message[:32])


def finish(
    secret: TrusteeSecret, announcements: Sequence[Any], dealings: Sequence[Any]
) -> tuple[TrusteeSecret, dict[str, Any]]:
    """Step 3: open and check the shares dealt to this trustee; publish the verification key.

    A share that does not match its dealer's published commitments is refused naming the
    dealer: the setup must then start again without that trustee. A share the dealer did not
    box (forged or damaged by whoever relayed it) is refused without blaming the dealer.
    """
    checked = _read_announcements(secret.ballot, secret.names, secret.threshold, announcements)
    me = secret.index
    total = _evaluate(secret.coefficients, me)
    by_dealer = {d.get("trustee"): d for d in dealings if isinstance(d, dict)}
    for dealer in checked:
        if dealer.index == me:
            continue
        who = f"trustee {dealer.index} ({secret.names[dealer.index - 1]})"
        share = _open_share(secret, dealer, by_dealer.get(dealer.index))
        expected = verification_key_from_commitments([dealer.commitments], me)
        if base_power(share) != expected:
            raise TrusteeError(
                f"{who} dealt trustee {me} a share that does not match its commitments"
            )
        total = (total + share) % ORDER
    verification_key = base_power(total)
    context = _context(secret.ballot, secret.names, secret.threshold)
    proof = prove_knowledge(VERIFICATION_KEY_TAG, [*context, me], total, verification_key)
    finished = TrusteeSecret(**{**secret.__dict__, "decryption_key": total})
    return finished, {
        "trustee": me,
        "verification_key": verification_key.hex(),
        "proof": proof.to_json(),
    }


@dataclass(frozen=True)
class KeyRecord:
    """The checked public part of the key set-up: what encryption and decryption rely on."""

    ballot: str
    names: tuple[str, ...]
    threshold: int
    public_key: Element
    verification_keys: tuple[Element, ...]


def key_record(
    ballot: str,
    names: Sequence[str],
    threshold: int,
    announcements: Sequence[Any],
    verifications: Sequence[Any],
) -> dict[str, Any]:
    """The trustees' public record for the ballot-opened event (checked before it is returned)."""
    record = {
        "threshold": threshold,
        "trustees": [
            {**announcement, **{k: v for k, v in verification.items() if k != "trustee"}}
            for announcement, verification in zip(announcements, verifications, strict=True)
        ],
    }
    checked = check_key_record(ballot, record)
    return {**record, "public_key": checked.public_key.hex()}


def check_key_record(ballot: str, record: Any) -> KeyRecord:
    """Recheck the trustees' record from public data alone: every coefficient proof, every
    verification key against the commitments and its proof; returns the joint key."""
    if not isinstance(record, dict) or not isinstance(record.get("trustees"), list):
        raise TrusteeError("the trustees' record must be an object with a list of trustees")
    trustees = record["trustees"]
    threshold = record.get("threshold")
    names = [t.get("name") if isinstance(t, dict) else None for t in trustees]
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int)
        or not all(isinstance(n, str) for n in names)
    ):
        raise TrusteeError("the trustees' record needs an integer threshold and named trustees")
    _check_parameters(names, threshold)  # type: ignore[arg-type]
    checked = _read_announcements(ballot, names, threshold, trustees)  # type: ignore[arg-type]
    commitments = [a.commitments for a in checked]
    context = _context(ballot, names, threshold)  # type: ignore[arg-type]
    keys = []
    for item, announcement in zip(trustees, checked, strict=True):
        who = f"trustee {announcement.index} ({item['name']})"
        try:
            key = decode_element(item.get("verification_key"), f"{who} verification key")
            proof = Proof.from_json(item.get("proof"), f"{who} verification key proof")
        except MalformedValueError as error:
            raise TrusteeError(str(error)) from None
        if key != verification_key_from_commitments(commitments, announcement.index):
            raise TrusteeError(f"{who}: verification key does not match the published commitments")
        if not verify_knowledge(VERIFICATION_KEY_TAG, [*context, announcement.index], key, proof):
            raise TrusteeError(f"{who}: the proof of knowledge of the decryption key fails")
        keys.append(key)
    public_key = commitments[0][0]
    for row in commitments[1:]:
        public_key = add(public_key, row[0])
    if "public_key" in record and record["public_key"] != public_key.hex():
        raise TrusteeError(
            f"the published joint key {record['public_key']} is not the product of the "
            f"trustees' commitments {public_key.hex()}"
        )
    return KeyRecord(ballot, tuple(names), threshold, public_key, tuple(keys))  # type: ignore[arg-type]


def lagrange_coefficient(index: int, indices: Sequence[int]) -> Scalar:
    """λ_index for interpolating at 0 from the trustees ``indices``: Π k / (k − index)."""
    value = 1
    for k in indices:
        if k != index:
            value = value * k * pow(k - index, -1, ORDER) % ORDER
    return value
