"""The group: ristretto255 (RFC 9496) through libsodium, and the one hash every proof uses.

Every operation is a libsodium call (``crypto_core_ristretto255_*`` and
``crypto_scalarmult_ristretto255`` through pysodium); nothing here does curve arithmetic of its
own. Group elements are written as the 64 lowercase hex characters of their 32-byte canonical
encoding, scalars (integers modulo the group order ``ORDER``) as the 64 hex characters of their
32-byte little-endian encoding.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

try:
    import pysodium
except (OSError, ValueError) as error:  # pysodium loads the system's libsodium when imported
    raise ImportError(
        f"verifiable ballots need libsodium 1.0.18 or newer ({error}); on Debian: "
        "apt-get install libsodium23"
    ) from error

from kuzbass.ledger import canonical_json

__all__ = [
    "GENERATOR",
    "IDENTITY",
    "ORDER",
    "Element",
    "MalformedValueError",
    "Scalar",
    "add",
    "base_power",
    "challenge",
    "decode_element",
    "decode_scalar",
    "json_digest",
    "power",
    "random_scalar",
    "scalar",
    "scalar_bytes",
    "sub",
]

ORDER = 2**252 + 27742317777372353535851937790883648493
"""The order of ristretto255, a prime (often called ℓ or L)."""

Element = bytes
"""A group element: its 32-byte canonical ristretto255 encoding."""

Scalar = int
"""An integer modulo ORDER."""

IDENTITY: Element = bytes(32)
GENERATOR: Element = bytes.fromhex(
    "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"
)
_HEX64 = re.compile(r"[0-9a-f]{64}")


class MalformedValueError(ValueError):
    """A value in public data that is not a valid group element or scalar."""


def scalar_bytes(value: Scalar) -> bytes:
    """The 32-byte little-endian encoding that libsodium and the JSON use."""
    return (value % ORDER).to_bytes(32, "little")


def scalar(data: bytes) -> Scalar:
    return int.from_bytes(data, "little") % ORDER


def random_scalar() -> Scalar:
    """A uniformly random non-zero scalar from libsodium's generator."""
    return scalar(pysodium.crypto_core_ristretto255_scalar_random())


def decode_element(text: object, what: str, *, allow_identity: bool = False) -> Element:
    """Read a group element from its hex spelling; non-canonical spellings are refused, and so is
    the identity (no honest key, credential or ciphertext is ever the identity) unless allowed:
    a decryption factor of an empty tally is the identity."""
    if not isinstance(text, str) or not _HEX64.fullmatch(text):
        raise MalformedValueError(f"{what}: expected 64 lowercase hex characters, got {text!r}")
    data = bytes.fromhex(text)
    if (
        data == IDENTITY and not allow_identity
    ) or not pysodium.crypto_core_ristretto255_is_valid_point(data):
        raise MalformedValueError(f"{what}: {text} is not a ristretto255 group element")
    return data


def decode_scalar(text: object, what: str) -> Scalar:
    """Read a scalar from its hex spelling; only the canonical one (below ORDER) is accepted, so
    that every value has exactly one spelling and a tracker cannot be changed by respelling."""
    if not isinstance(text, str) or not _HEX64.fullmatch(text):
        raise MalformedValueError(f"{what}: expected 64 lowercase hex characters, got {text!r}")
    value = int.from_bytes(bytes.fromhex(text), "little")
    if value >= ORDER:
        raise MalformedValueError(f"{what}: {text} is not reduced modulo the group order")
    return value


def add(left: Element, right: Element) -> Element:
    return bytes(pysodium.crypto_core_ristretto255_add(left, right))


def sub(left: Element, right: Element) -> Element:
    return bytes(pysodium.crypto_core_ristretto255_sub(left, right))


def base_power(exponent: Scalar) -> Element:
    """GENERATOR ** exponent (libsodium's fixed-base multiplication)."""
    exponent %= ORDER
    if exponent == 0:
        return IDENTITY
    return bytes(pysodium.crypto_scalarmult_ristretto255_base(scalar_bytes(exponent)))


def power(element: Element, exponent: Scalar) -> Element:
    """element ** exponent; the identity when either is trivial (libsodium refuses to return it)."""
    exponent %= ORDER
    if exponent == 0 or element == IDENTITY:
        return IDENTITY
    return bytes(pysodium.crypto_scalarmult_ristretto255(scalar_bytes(exponent), element))


_NOT_UNICODE = "a string is not valid Unicode (a lone surrogate)"


def _frame(part: bytes | str | int) -> bytes:
    if isinstance(part, str):
        try:
            data = part.encode()
        except UnicodeEncodeError:
            raise MalformedValueError(f"cannot be hashed: {_NOT_UNICODE}") from None
    elif isinstance(part, int):
        data = part.to_bytes(8, "big")
    else:
        data = bytes(part)
    return len(data).to_bytes(4, "big") + data


def challenge(tag: str, parts: Iterable[bytes | str | int]) -> Scalar:
    """The Fiat–Shamir challenge: SHA-512 of the framed inputs, reduced modulo ORDER.

    Each input (first the domain tag, then every part in order) is written as its 4-byte
    big-endian length followed by its bytes: strings as UTF-8, integers as 8 bytes big-endian,
    elements as their 32 bytes. The framing makes the encoding injective, so no two different
    statements hash the same input.
    """
    digest = hashlib.sha512(_frame(tag))
    for part in parts:
        digest.update(_frame(part))
    return int.from_bytes(digest.digest(), "little") % ORDER


def json_digest(value: Any) -> bytes:
    """SHA-256 of canonical JSON (fingerprints, trackers); a value with no canonical spelling (a
    float, say) is a malformed value."""
    try:
        return hashlib.sha256(canonical_json(value)).digest()
    except TypeError as error:
        raise MalformedValueError(f"cannot be hashed: {error}") from None
    except UnicodeEncodeError:
        raise MalformedValueError(f"cannot be hashed: {_NOT_UNICODE}") from None
