"""Why a Leontief system x = M x + b has no answer: the technology, or the solver's budget."""

from __future__ import annotations

from collections.abc import Sequence


class LeontiefError(ValueError):
    """No answer to x = M x + b. ``problems`` lists what is wrong, one line each, like the
    errors of economy input, so that every command prints both the same way."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class NotProductiveError(LeontiefError):
    """The technology uses up more than it makes: spectral radius ≥ 1, so no plan can sustain it.

    ``cycle`` names the products of the self-consuming cycle (at most ten), ``total`` counts them.
    """

    def __init__(self, spectral_radius: float, cycle: Sequence[str], total: int) -> None:
        self.spectral_radius = spectral_radius
        self.cycle = list(cycle)
        shown = ", ".join(repr(name) for name in self.cycle)
        more = f" and {total - len(self.cycle)} more" if total > len(self.cycle) else ""
        super().__init__(
            [
                f"the technology is not productive: estimated spectral radius "
                f"{spectral_radius:.6g} ≥ 1; the self-consuming cycle is {shown}{more} "
                f"(together these products use up more of each other than they make)"
            ]
        )


class NotConvergedError(LeontiefError):
    """No answer to the asked residual within the budget of products with M.

    With ρ < 1 and the default budget this takes a technology at the very edge of productivity,
    so it is reported as a problem of the economy, like ρ ≥ 1.
    """
