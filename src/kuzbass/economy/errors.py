"""Errors a user can cause with economy input: each names the file, row and value at fault."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


class EconomyError(ValueError):
    """Bad economy input. ``problems`` lists every problem found, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = "1 problem" if count == 1 else f"{count} problems"
        super().__init__(f"{head} in the economy:\n" + "\n".join(f"- {p}" for p in self.problems))


class Problems:
    """Collects problems while reading, at most ``limit`` examples of each kind."""

    def __init__(self, limit: int = 5) -> None:
        self.limit = limit
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)

    def rows(
        self,
        rows: Sequence[int] | np.ndarray,
        describe: Callable[[int], str],
        where: Callable[[int], str],
    ) -> None:
        """Report the first ``limit`` rows: ``where(i)`` names a row, ``describe(i)`` its fault."""
        for i in rows[: self.limit]:
            self.items.append(f"{where(int(i))}: {describe(int(i))}")
        if len(rows) > self.limit:
            self.items.append(f"… and {len(rows) - self.limit} more rows like the above")

    def raise_if_any(self) -> None:
        if self.items:
            raise EconomyError(self.items)
