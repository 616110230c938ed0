"""The public ledger: canonical event encoding, SHA-256 chaining and verification.

Pure Python with no database: the platform stores these events in the same transaction as the
change they record, and anyone can verify an exported JSON-lines file with ``verify_chain``.
"""

from kuzbass.ledger.chain import (
    GENESIS_HASH,
    ChainReport,
    LedgerEvent,
    chain_hash,
    format_recorded_at,
    next_event,
    verify_chain,
)
from kuzbass.ledger.encoding import canonical_json, float_text, floats_as_text
from kuzbass.ledger.jsonl import (
    LedgerFormatError,
    check_lines,
    event_from_dict,
    read_jsonl,
    verify_jsonl,
    write_jsonl,
)
from kuzbass.ledger.seals import EMPTY_ROOT, merkle_root, row_leaf

__all__ = [
    "EMPTY_ROOT",
    "GENESIS_HASH",
    "ChainReport",
    "LedgerEvent",
    "LedgerFormatError",
    "canonical_json",
    "chain_hash",
    "check_lines",
    "event_from_dict",
    "float_text",
    "floats_as_text",
    "format_recorded_at",
    "merkle_root",
    "next_event",
    "read_jsonl",
    "row_leaf",
    "verify_chain",
    "verify_jsonl",
    "write_jsonl",
]
