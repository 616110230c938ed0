"""The linear algebra of Leontief systems x = M x + b, below both ``economy`` and ``planning``.

Solving with I − M (``solve_leontief``: dense LU when small, BiCGSTAB over blocks of rows when
large), the spectral radius, the self-consuming cycle that makes a technology unproductive, and the
errors when there is no answer. It works on matrices and vectors only: it imports neither
``kuzbass.economy`` nor ``kuzbass.planning``, which both use it.
"""

from kuzbass.linalg.errors import LeontiefError, NotConvergedError, NotProductiveError
from kuzbass.linalg.leontief import DENSE_LIMIT, SolveReport, solve_leontief
from kuzbass.linalg.spectral import self_consuming_cycle, spectral_radius

__all__ = [
    "DENSE_LIMIT",
    "LeontiefError",
    "NotConvergedError",
    "NotProductiveError",
    "SolveReport",
    "self_consuming_cycle",
    "solve_leontief",
    "spectral_radius",
]
