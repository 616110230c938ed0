"""The spectral radius of a nonnegative matrix and, when it is ≥ 1, the products that cause it.

ρ(A) < 1 is what makes a technology productive (x = A x + d has x ≥ 0 for every d ≥ 0). When it
is not, the strongly connected block with the largest ρ, peeled down to a minimal set, names the
few products that use up more of each other than they make.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse.csgraph import connected_components
from threadpoolctl import threadpool_limits

from kuzbass.linalg.errors import NotProductiveError
from kuzbass.linalg.row_blocks import Sparse

if TYPE_CHECKING:
    import pandas as pd

Labels: TypeAlias = "Sequence[str] | pd.Index"
"""Names of a matrix's rows, to name the self-consuming cycle with."""


def spectral_radius(matrix: Sparse, tolerance: float = 1e-10) -> float:
    """ρ(M): exact (dense eigenvalues) for small M, ARPACK's largest eigenvalue otherwise."""
    n = matrix.shape[0]
    if n == 0:
        return 0.0
    if n <= 600:
        dense = sp.csr_array(matrix).toarray()
        with threadpool_limits(1, user_api="blas"):
            return float(np.abs(np.linalg.eigvals(dense)).max())
    operator = sp.csr_array(matrix)
    if operator.nnz == 0:
        return 0.0
    try:
        values = spla.eigs(
            operator,
            k=1,
            which="LM",
            tol=tolerance,
            maxiter=5000,
            return_eigenvectors=False,
            v0=np.ones(n),
        )
        return float(np.abs(values).max())
    except spla.ArpackNoConvergence as failure:
        if len(failure.eigenvalues):
            return float(np.abs(failure.eigenvalues).max())
        raise


def self_consuming_cycle(matrix: Sparse) -> tuple[list[int], float]:
    """The products of the strongly connected block with the largest ρ (≥ 1 if not productive).

    Small blocks are peeled down to a minimal set that still has ρ ≥ 1, so the named cycle is
    the few products that use up more of each other than they make. Ordered by Perron weight.
    """
    square = sp.csr_array(matrix)
    count, labels = connected_components(square, directed=True, connection="strong")
    best: tuple[list[int], float] = ([], 0.0)
    sizes = np.bincount(labels, minlength=count)
    diagonal = square.diagonal()
    for component in range(count):
        inside = np.flatnonzero(labels == component)
        if sizes[component] == 1 and diagonal[inside[0]] <= 0:
            continue
        rho = spectral_radius(square[inside][:, inside], tolerance=1e-8)
        if rho > best[1]:
            best = (inside.tolist(), rho)
    members, rho = best
    if rho >= 1 and len(members) <= 60:
        keep = list(members)
        for product in sorted(members, key=lambda p: -square[[p]][:, keep].sum()):
            trial = [p for p in keep if p != product]
            if trial and spectral_radius(square[trial][:, trial]) >= 1:
                keep = trial
        members = keep
    if len(members) > 1 and len(members) <= 600:
        block = square[members][:, members].toarray()
        values, vectors = np.linalg.eig(block)
        weight = np.abs(vectors[:, int(np.argmax(np.abs(values)))])
        members = [members[i] for i in np.argsort(-weight, kind="stable")]
    return members, rho


def not_productive(matrix: Sparse, estimate: float, names: Labels | None) -> NotProductiveError:
    """The error for a matrix found not productive, naming its self-consuming cycle by
    ``names`` (by index without them); ``estimate`` is ρ as far as the caller measured it."""
    cycle, rho = self_consuming_cycle(matrix)
    labels = [str(names[i]) if names is not None else str(i) for i in cycle]
    return NotProductiveError(max(rho, estimate) if rho < 1 else rho, labels[:10], len(labels))
