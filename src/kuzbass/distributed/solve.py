"""PETSc's Krylov solvers on the ranks' rows of I − Aᵀ, and SLEPc for the spectral radius.

One matrix serves both systems: labour values solve (I − Aᵀ) v = l, gross output solves the
transpose (I − A) x = d with PETSc's transpose solve, so no rank ever holds A's columns.

The solver is BiCGSTAB preconditioned by Jacobi (the diagonal), chosen by measurement
(benchmarks/README.md, "The engine on MPI ranks"): at 10⁶ products on 2 ranks it needed 13
iterations and the least time of the Krylov solvers and preconditioners tried, with GMRES and
Jacobi as fast (25 iterations, but GMRES keeps a basis of 30 vectors where BiCGSTAB keeps 6).
Block Jacobi (an incomplete LU per rank) saved iterations (9) but not time: its factor is read
twice per iteration, costs a copy of each rank's diagonal block, and weakens as the ranks, so
the blocks, grow in number, while Jacobi's iterations do not depend on the ranks at all. The
preconditioner works on the right, so that the residual the solver stops on is the true
‖b − (I − Aᵀ) v‖, as in the one-process engine. ``PETSC_OPTIONS`` (such as
``-ksp_type gmres -pc_type bjacobi``) overrides the choice.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import slepc4py

slepc4py.init(sys.argv[:1])  # PETSc and SLEPc read their options from PETSC_OPTIONS

from petsc4py import PETSc  # noqa: E402
from slepc4py import SLEPc  # noqa: E402

from kuzbass.distributed.ranks import Ranks  # noqa: E402
from kuzbass.distributed.rows import Rows  # noqa: E402

KRYLOV = "bcgs"
PRECONDITIONER = "jacobi"
MAX_ITERATIONS = 5000


@dataclass(frozen=True)
class DistributedSolve:
    """How a system was solved on the ranks: measured relative residual, iterations, time."""

    method: str
    residual: float
    iterations: int
    converged: bool
    seconds: float

    def __str__(self) -> str:
        return (
            f"{self.method}: {self.iterations} iterations, relative residual "
            f"{self.residual:.2e}, {self.seconds:.2f} s"
        )


def system_matrix(rows: Rows, ranks: Ranks, shift: float = 1.0) -> PETSc.Mat:
    """shift·I − Aᵀ as a PETSc matrix distributed by the ranks' rows: the system for shift 1;
    for shift 0, −Aᵀ, whose eigenvalues are A's negated (for the spectral radius). The rows
    move into the matrix: ``rows.inputs`` is emptied."""
    owned = rows.owned(ranks.rank)
    count = owned.stop - owned.start
    diagonal = sp.csr_array(
        (np.full(count, shift), (np.arange(count), np.arange(owned.start, owned.stop))),
        shape=(count, rows.n),
    )
    local = sp.csr_array(diagonal - rows.inputs)
    rows.inputs = sp.csr_array((0, rows.n))  # freed before PETSc copies ``local``
    local.sort_indices()
    size = ((count, rows.n), (count, rows.n))
    csr = (
        local.indptr.astype(PETSc.IntType),
        local.indices.astype(PETSc.IntType),
        local.data,
    )
    built = PETSc.Mat().createAIJ(size=size, csr=csr, comm=PETSc.COMM_WORLD)
    built.assemble()
    return built


def solve(
    system: PETSc.Mat,
    rhs: np.ndarray,
    ranks: Ranks,
    transpose: bool = False,
    tolerance: float = 1e-10,
    progress: Callable[[int, float], None] | None = None,
) -> tuple[np.ndarray, DistributedSolve]:
    """This rank's part of the solution of system·x = rhs (or systemᵀ·x = rhs)."""
    started = time.perf_counter()
    b = system.createVecLeft()
    b.setArray(rhs)
    x = b.duplicate()
    scale = b.norm()
    ksp = PETSc.KSP().create(PETSc.COMM_WORLD)
    ksp.setOperators(system)
    ksp.setType(KRYLOV)
    ksp.getPC().setType(PRECONDITIONER)
    ksp.setPCSide(PETSc.PC.Side.RIGHT)
    ksp.setTolerances(rtol=tolerance, atol=0.0, max_it=MAX_ITERATIONS)
    if progress is not None and scale > 0:
        ksp.setMonitor(lambda _ksp, its, norm: progress(its, norm / scale))
    ksp.setFromOptions()
    if transpose:
        ksp.solveTranspose(b, x)
    else:
        ksp.solve(b, x)
    residual = b.duplicate()
    (system.multTranspose if transpose else system.mult)(x, residual)
    residual.aypx(-1.0, b)
    measured = residual.norm() / scale if scale > 0 else 0.0
    method = (
        f"PETSc {ksp.getType()} with {ksp.getPC().getType()} "
        f"{'(transposed) ' if transpose else ''}on {ranks}"
    )
    report = DistributedSolve(
        method,
        measured if math.isfinite(measured) else math.inf,
        ksp.getIterationNumber(),
        ksp.getConvergedReason() > 0 and measured <= 10 * tolerance,
        time.perf_counter() - started,
    )
    answer = x.getArray().copy()
    for vector in (b, x, residual):
        vector.destroy()
    ksp.destroy()
    return answer, report


def spectral_radius(
    inputs: PETSc.Mat, tolerance: float = 1e-10, vectors: bool = False
) -> tuple[float, np.ndarray | None, np.ndarray | None]:
    """ρ(A) from Aᵀ, by SLEPc's Krylov–Schur; with ``vectors`` also this rank's part of |y| and
    |x|, the left (yᵀA = ρyᵀ) and right (Ax = ρx) eigenvectors for ρ."""
    eps = SLEPc.EPS().create(PETSc.COMM_WORLD)
    eps.setOperators(inputs)
    eps.setProblemType(SLEPc.EPS.ProblemType.NHEP)
    eps.setWhichEigenpairs(SLEPc.EPS.Which.LARGEST_MAGNITUDE)
    eps.setDimensions(1)
    eps.setTolerances(tolerance, MAX_ITERATIONS)
    eps.setTwoSided(vectors)
    eps.setFromOptions()
    eps.solve()
    if eps.getConverged() < 1:
        eps.destroy()
        return math.nan, None, None
    rho = abs(eps.getEigenvalue(0))
    left = right = None
    if vectors:
        real, imaginary = inputs.createVecs()
        eps.getEigenvector(0, real, imaginary)
        left = np.hypot(real.getArray(), imaginary.getArray())
        eps.getLeftEigenvector(0, real, imaginary)
        right = np.hypot(real.getArray(), imaginary.getArray())
        real.destroy()
        imaginary.destroy()
    eps.destroy()
    return rho, left, right
