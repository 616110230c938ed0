"""The opened ballot's public record: the question, the trustees' joint key, the roll of voters'
credentials and the fingerprint that binds every proof of every paper to this ballot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kuzbass.democracy.verifiable.group import (
    Element,
    MalformedValueError,
    Scalar,
    base_power,
    challenge,
    decode_element,
    json_digest,
)
from kuzbass.democracy.verifiable.trustees import KeyRecord, check_key_record

__all__ = [
    "CREDENTIAL_TAG",
    "MAX_OPTIONS",
    "MAX_SCORE",
    "SCHEME",
    "Ballot",
    "Question",
    "credential_key",
    "open_ballot",
    "read_ballot",
]

SCHEME = "kuzbass-verifiable-1"
CREDENTIAL_TAG = "kuzbass/verifiable/v1/credential"
MAX_OPTIONS = 64
MAX_SCORE = 100
"""Bounds that keep every proof and the final discrete log small: a paper grows with both."""


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


def _fingerprint(record: dict[str, Any]) -> str:
    return json_digest({k: v for k, v in record.items() if k != "fingerprint"}).hex()


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
