"""Delegation rules: how many delegates each council sends to a federation or the congress."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

__all__ = ["ApportionmentTieError", "apportion_seats"]


class ApportionmentTieError(ValueError):
    """The last seats cannot be given without choosing between councils with equal claims."""

    def __init__(self, tied: list[str], seats_left: int):
        super().__init__(
            f"{seats_left} seat{'s' if seats_left > 1 else ''} left for {len(tied)} councils "
            f"with equal claims: {', '.join(tied)}; add or remove seats, or decide by a vote"
        )
        self.tied = tied
        self.seats_left = seats_left


def apportion_seats(members: Mapping[str, int], seats: int, *, minimum: int = 1) -> dict[str, int]:
    """Share ``seats`` delegate seats among councils in proportion to their members.

    Every council first gets ``minimum`` seats (so small workplaces are heard); the rest go by
    the Sainte-Laguë (Webster) method: the next seat goes to the council with the largest
    members / (2 · seats so far + 1), computed exactly. A tie for the last seats raises
    ``ApportionmentTieError`` naming the councils instead of being broken silently.
    """
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 0:
        raise ValueError(f"seats must be a non-negative integer, got {seats!r}")
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 0:
        raise ValueError(f"minimum must be a non-negative integer, got {minimum!r}")
    for council, count in members.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"council {council!r}: members must be a non-negative integer")
    if seats < minimum * len(members):
        raise ValueError(
            f"{seats} seats cannot give {len(members)} councils {minimum} seat(s) each"
        )
    allocation = dict.fromkeys(members, minimum)
    left = seats - minimum * len(members)
    while left:
        claims = {
            council: Fraction(members[council], 2 * allocation[council] + 1)
            for council in members
            if members[council]
        }
        if not claims:
            raise ValueError("no council has members to give the remaining seats to")
        best = max(claims.values())
        leaders = [council for council, claim in claims.items() if claim == best]
        if len(leaders) > left:
            raise ApportionmentTieError(sorted(leaders), left)
        for council in leaders:
            allocation[council] += 1
        left -= len(leaders)
    return allocation
