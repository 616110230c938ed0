"""Canonical JSON: one byte string per value, so that anyone can recompute a hash."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["canonical_json"]


def _check(value: Any, path: str) -> None:
    """Reject anything that has no single exact JSON spelling (floats above all)."""
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: keys must be strings, got {type(key).__name__} {key!r}")
            _check(item, f"{path}.{key}")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    hint = (
        " (write fractions and decimals as strings, e.g. '1/2' or '0.25')"
        if isinstance(value, float)
        else ""
    )
    raise TypeError(
        f"{path}: {type(value).__name__} {value!r} is not allowed in a ledger event{hint}"
    )


def canonical_json(value: Any) -> bytes:
    """Encode ``value`` as canonical JSON bytes.

    The rule, so that the encoding can be re-implemented anywhere: UTF-8 JSON with object keys
    sorted by code point, no whitespace (separators ``","`` and ``":"``), non-ASCII characters
    written as themselves (only ``"``, ``\\`` and control characters are escaped, as Python's
    ``json.dumps(ensure_ascii=False)`` does). Only objects with string keys, arrays, strings,
    integers, booleans and null are allowed; a float or any other type raises ``TypeError``
    naming its path (``$.tally.counts[3]``), because floats have no single exact spelling.
    """
    _check(value, "$")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
