"""Canonical JSON: one byte string per value, so that anyone can recompute a hash."""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["canonical_json", "float_text", "floats_as_text"]


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


def _allowed(value: Any) -> bool:
    """Whether ``value`` passes :func:`_check`, without building a path for every element (the
    paths are built only to name a value that does not pass)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is dict:
        return all(type(key) is str and _allowed(item) for key, item in value.items())
    if kind is list:
        return all(_allowed(item) for item in value)
    if isinstance(value, str | bool | int):
        return True
    if isinstance(value, dict):
        return all(isinstance(key, str) and _allowed(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_allowed(item) for item in value)
    return False


def canonical_json(value: Any) -> bytes:
    """Encode ``value`` as canonical JSON bytes.

    The rule, so that the encoding can be re-implemented anywhere: UTF-8 JSON with object keys
    sorted by code point, no whitespace (separators ``","`` and ``":"``), non-ASCII characters
    written as themselves (only ``"``, ``\\`` and control characters are escaped, as Python's
    ``json.dumps(ensure_ascii=False)`` does). Only objects with string keys, arrays, strings,
    integers, booleans and null are allowed; a float or any other type raises ``TypeError``
    naming its path (``$.tally.counts[3]``), because floats have no single exact spelling.
    """
    if not _allowed(value):
        _check(value, "$")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def float_text(value: float | None) -> str | None:
    """A number as its shortest round-trip decimal text (``0.1`` stays ``"0.1"``), the way the
    ledger writes numbers that are not whole; None stays None."""
    return None if value is None else repr(float(value))


def floats_as_text(value: Any) -> Any:
    """``value`` with every float inside it written as :func:`float_text` (NaN and infinities
    as null), so that it passes :func:`canonical_json`; keys become strings."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if isinstance(value, float):
        return repr(float(value)) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): floats_as_text(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [floats_as_text(item) for item in value]
    return value
