"""Seals of database rows: one digest per row, and a Merkle root over the rows one event seals.

A row's *leaf* is the SHA-256 of the canonical JSON of ``[table, key, values]``, where ``values``
lists every sealed column in the table's column order; a deleted row's leaf is that of
``[table, key, null]``. An event carries, per table, the number of leaves and their Merkle root
(RFC 6962's tree hash over the leaves sorted by key), so one event can cover a million transfers
in 32 bytes while each row can still be checked, and named, on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from kuzbass.ledger.encoding import canonical_json

__all__ = ["EMPTY_ROOT", "merkle_root", "row_leaf"]

EMPTY_ROOT = hashlib.sha256(b"").hexdigest()
"""The root of no leaves (RFC 6962: the hash of the empty string)."""


def row_leaf(table: str, key: str, values: Sequence[Any] | None) -> bytes:
    """The 32-byte digest of one row (``values`` None for a deleted row)."""
    body = [table, key, None if values is None else list(values)]
    return hashlib.sha256(canonical_json(body)).digest()


def merkle_root(leaves: Sequence[bytes]) -> str:
    """RFC 6962's Merkle tree hash of ``leaves`` in the given order, as lowercase hex.

    A leaf node is ``SHA-256(0x00 || leaf)`` and an inner node ``SHA-256(0x01 || left || right)``;
    an odd node at the end of a level moves up unchanged (the largest-power-of-two split of RFC
    6962 gives the same tree).
    """
    if not leaves:
        return EMPTY_ROOT
    level = [hashlib.sha256(b"\x00" + leaf).digest() for leaf in leaves]
    while len(level) > 1:
        paired = [
            hashlib.sha256(b"\x01" + level[index] + level[index + 1]).digest()
            for index in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0].hex()
