"""Multi-year plans by an interior-point method that knows where the plan's matrix is dense.

A simplex method on a multi-year plan pays for the Leontief inverse at every step: each basis
holds I − A for every year, whose factors are dense, and a plan of 200 industries over 5 years
needs ~3,000 such steps (benchmarks/README.md). An interior-point method needs ~25 steps, each a
solve with the normal matrix A D Aᵀ + Σ, but general-purpose ones (HiGHS' IPX, Clarabel, CVXOPT)
order that matrix without knowing its shape and took longer than the simplex method.

The shape is simple. Rows split into the product balances and resources (few: products × years)
and the capital rows (many: one per stock and year). A capital row touches only the intensity of
the technique that holds the stock and the investments in that stock, so the capital rows of one
technique form one small diagonal block of the normal matrix. They are eliminated first, block by
block (a batch of small inversions); the balance rows are then a dense Schur complement, made by
one fixed sparse map from the blocks' entries and factored by LAPACK's Cholesky.

The method is Mehrotra's predictor–corrector with Gondzio's centrality correctors on
``max cᵀx, row_lower ≤ Ax ≤ row_upper, 0 ≤ x ≤ col_upper`` with one finite side per row, which is
the form of :mod:`kuzbass.planning.formulation`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

MAX_ITERATIONS = 100
BLOCK_REGULARISATION = 1e-14
"""Added to the unit diagonal of every scaled block before inversion: near the optimum a block
whose binding rows outnumber its free variables is singular up to rounding (in 2 of 500 random
plans the step then failed); refinement against the unreduced system removes the shift."""
ACCEPTABLE = 1e-8
"""When rounding stops the method short of its tolerance, the best point so far is returned as
optimal if its relative gap and infeasibilities are below this (the plan's 1e-6 with room)."""
STALLED = 3
"""Steps without improving on an acceptable best point after which the method stops."""
REFINEMENTS = 4
CENTRALITY_CORRECTORS = 2
STEP_TO_BOUNDARY = 0.995
"""Fraction of the longest step that keeps every variable positive."""
DIVERGED = 1e12
"""Primal or dual values this many times the largest bound or cost mean there is no optimum."""


@dataclass
class InteriorPointSolution:
    """An optimal point with HiGHS' sign conventions for a maximisation, so results read alike.

    ``row_dual``: the objective's gain per unit of a row's bound (≤ 0 on ≥ rows);
    ``col_dual``: reduced costs c − Aᵀ·row_dual (> 0 at an upper bound, < 0 at zero).
    """

    status: str
    col_value: np.ndarray
    row_dual: np.ndarray
    col_dual: np.ndarray
    objective: float
    gap: float
    iterations: int
    max_infeasibility: float


@dataclass
class _Group:
    """Components of one shape: ``columns`` (B, c) and capital ``rows`` (B, k), and their matrix."""

    columns: np.ndarray
    rows: np.ndarray
    matrix: np.ndarray  # (B, k, c): the eliminated rows restricted to each component


class _Components:
    """Columns joined by the eliminated rows, grouped by shape for batched linear algebra."""

    def __init__(self, eliminated: sp.csr_array, n_cols: int) -> None:
        pattern = sp.csr_array(eliminated.T @ eliminated + sp.eye_array(n_cols, format="csr"))
        _, label = connected_components(pattern, directed=False)
        if np.any(np.diff(eliminated.indptr) == 0):
            raise ValueError("every eliminated row needs a coefficient")
        row_label = label[eliminated.indices[eliminated.indptr[:-1]]]
        column_count = np.bincount(label)
        row_count = np.bincount(row_label, minlength=len(column_count))
        column_order = np.argsort(label, kind="stable")
        row_order = np.argsort(row_label, kind="stable")
        column_start = np.concatenate([[0], np.cumsum(column_count)])
        row_start = np.concatenate([[0], np.cumsum(row_count)])
        # every column and row has one place in one component, so one set of maps serves all
        coo = sp.coo_array(eliminated)
        block_of = np.empty(len(column_count), np.int64)
        column_place = np.arange(len(label)) - column_start[label[column_order]]
        local_col = np.empty(n_cols, np.int64)
        local_col[column_order] = column_place
        local_row = np.empty(eliminated.shape[0], np.int64)
        local_row[row_order] = np.arange(len(row_label)) - row_start[row_label[row_order]]
        self.groups: list[_Group] = []
        shapes = sorted(set(zip(column_count.tolist(), row_count.tolist(), strict=True)))
        for width, height in shapes:
            in_shape = (column_count == width) & (row_count == height)
            members = np.flatnonzero(in_shape)
            columns = column_order[column_start[members][:, None] + np.arange(width)]
            rows = row_order[row_start[members][:, None] + np.arange(height)]
            matrix = np.zeros((len(members), height, width))
            block_of[members] = np.arange(len(members))
            inside = in_shape[label[coo.col]]
            matrix[
                block_of[label[coo.col[inside]]],
                local_row[coo.row[inside]],
                local_col[coo.col[inside]],
            ] = coo.data[inside]
            self.groups.append(_Group(columns, rows, matrix))
        entry_rows = np.concatenate(
            [np.repeat(g.columns, g.columns.shape[1], 1).ravel() for g in self.groups]
        )
        entry_cols = np.concatenate(
            [np.tile(g.columns, (1, g.columns.shape[1])).ravel() for g in self.groups]
        )
        self.order = np.argsort(entry_rows.astype(np.int64) * n_cols + entry_cols, kind="stable")
        indptr = np.concatenate([[0], np.cumsum(np.bincount(entry_rows, minlength=n_cols))])
        self.pattern = sp.csr_array(
            (np.zeros(len(entry_rows)), entry_cols[self.order], indptr), shape=(n_cols, n_cols)
        )


class _Structure:
    """What stays fixed from step to step: the rows split into dense and eliminated ones."""

    def __init__(self, A: sp.csr_array, dense_rows: int) -> None:
        self.dense = sp.csr_array(A[:dense_rows])
        self.dense_t = sp.csr_array(self.dense.T)
        self.eliminated = sp.csr_array(A[dense_rows:])
        self.components = _Components(self.eliminated, A.shape[1])
        self.schur_map = _SchurMap(self.dense, self.components.pattern)


class _SchurMap:
    """The Schur complement A_C Ξ A_Cᵀ as one fixed sparse map applied to the entries of Ξ.

    Ξ changes every step but its pattern (the component blocks) does not, so every product of
    two columns of A_C that the complement needs is listed once, here; a step is then one
    sparse matrix–vector product instead of a sparse matrix–matrix product (4× faster for the
    plans of the benchmark). Ξ and the complement are symmetric, so only Ξ's upper triangle is
    used and only the complement's lower triangle, which is all LAPACK's Cholesky reads, is made.
    """

    def __init__(self, dense: sp.csr_array, pattern: sp.csr_array) -> None:
        columns = sp.csc_array(dense)
        columns.sort_indices()
        self.size = dense.shape[0]
        first = np.repeat(np.arange(pattern.shape[0]), np.diff(pattern.indptr))
        second = pattern.indices
        self.upper = np.flatnonzero(first <= second)
        first, second = first[self.upper], second[self.upper]
        self.half = np.where(first == second, 0.5, 1.0)
        length = np.diff(columns.indptr)
        first_length, second_length = length[first], length[second]
        count = first_length * second_length
        entry = np.repeat(np.arange(len(first)), count)
        place = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        in_first = columns.indptr[first][entry] + place // second_length[entry]
        in_second = columns.indptr[second][entry] + place % second_length[entry]
        row, column = columns.indices[in_first], columns.indices[in_second]
        # a product of two different columns lands on both sides of the diagonal: fold it below
        value = columns.data[in_first] * columns.data[in_second]
        value[row == column] *= 2
        self.map = sp.csc_array(
            (
                value,
                np.maximum(row, column).astype(np.int64) * self.size + np.minimum(row, column),
                np.concatenate([[0], np.cumsum(count)]),
            ),
            shape=(self.size * self.size, len(first)),
        )

    def apply(self, entries: np.ndarray) -> np.ndarray:
        """The lower triangle of A_C Ξ A_Cᵀ for Ξ with ``entries`` in the pattern's order."""
        return (self.map @ (entries[self.upper] * self.half)).reshape(self.size, self.size)


def _scaled_inverse(blocks: np.ndarray) -> np.ndarray:
    """Inverses of a stack of positive definite blocks, each scaled to a unit diagonal first."""
    if blocks.shape[1] == 0:
        return blocks
    scale = 1 / np.sqrt(np.einsum("bii->bi", blocks))
    unit = blocks * scale[:, :, None] * scale[:, None, :]
    size = blocks.shape[1]
    unit[:, np.arange(size), np.arange(size)] += BLOCK_REGULARISATION
    return np.linalg.inv(unit) * scale[:, :, None] * scale[:, None, :]


class _SchurFactor:
    """Cholesky factor of the Schur complement scaled to a unit diagonal, shifted if need be.

    Near the optimum the complement is the difference of huge and tiny terms and rounding can
    make it indefinite; a shift of the scaled diagonal by 1e-14 (raised tenfold until it
    factors) is the regularisation of regularised interior-point methods, and refinement of the
    Newton step against the unreduced system removes its effect.
    """

    def __init__(self, matrix: np.ndarray) -> None:
        self.scale = 1 / np.sqrt(matrix[np.diag_indices(len(matrix))])
        matrix *= self.scale[:, None]
        matrix *= self.scale[None, :]
        diagonal = np.diag_indices(len(matrix))
        shift = 0.0
        while True:
            try:
                self.factor = la.cho_factor(matrix, lower=True, check_finite=False)
                return
            except la.LinAlgError:
                step = 1e-14 if shift == 0 else shift * 9
                matrix[diagonal] += step
                shift += step
                if shift > 1e-3:
                    raise

    def solve(self, right: np.ndarray) -> np.ndarray:
        return self.scale * la.cho_solve(self.factor, self.scale * right, check_finite=False)


class _NormalMatrix:
    """M = A D Aᵀ + Σ factored with the eliminated rows K first, block by block.

    Each component's block of M_KK = A_K D A_Kᵀ + Σ_K is inverted; the dense rows C are left
    with the Schur complement M_CC − M_CK M_KK⁻¹ M_KC = A_C Ξ A_Cᵀ + Σ_C, where
    Ξ = D − D A_Kᵀ M_KK⁻¹ A_K D is block-diagonal over the same components. This is a block
    Cholesky factorisation of M, so it is as stable as factoring M itself (eliminating K through
    Σ_K⁻¹ instead, in the augmented system, lost all accuracy near the optimum).
    """

    def __init__(self, structure: _Structure, scaling: np.ndarray, row_slack: np.ndarray) -> None:
        self.structure, self.scaling = structure, scaling
        n_dense = structure.dense.shape[0]
        self.inverses = []
        block_entries = []
        for group in structure.components.groups:
            d = scaling[group.columns]
            weighted = group.matrix * d[:, None, :]
            normal = weighted @ group.matrix.transpose(0, 2, 1)
            height = group.rows.shape[1]
            normal[:, np.arange(height), np.arange(height)] += row_slack[n_dense + group.rows]
            inverse = _scaled_inverse(normal)
            self.inverses.append(inverse)
            block = -(weighted.transpose(0, 2, 1) @ inverse @ weighted)
            width = group.columns.shape[1]
            block[:, np.arange(width), np.arange(width)] += d
            block_entries.append(block.ravel())
        components = structure.components
        schur = structure.schur_map.apply(np.concatenate(block_entries)[components.order])
        schur[np.diag_indices(n_dense)] += row_slack[:n_dense]
        self.factor = _SchurFactor(schur)

    def _eliminated_solve(self, right: np.ndarray) -> np.ndarray:
        result = np.empty_like(right)
        for group, inverse in zip(self.structure.components.groups, self.inverses, strict=True):
            result[group.rows] = np.einsum("bij,bj->bi", inverse, right[group.rows])
        return result

    def solve(self, right: np.ndarray) -> np.ndarray:
        """M⁻¹·right: the eliminated rows, the dense rows, then the eliminated rows again."""
        structure = self.structure
        n_dense = structure.dense.shape[0]
        right_dense, right_eliminated = right[:n_dense], right[n_dense:]
        inner = self._eliminated_solve(right_eliminated)
        coupled = structure.dense @ (self.scaling * (structure.eliminated.T @ inner))
        y_dense = self.factor.solve(right_dense - coupled)
        back = structure.eliminated @ (self.scaling * (structure.dense_t @ y_dense))
        y_eliminated = self._eliminated_solve(right_eliminated - back)
        return np.concatenate([y_dense, y_eliminated])


def _starting_point(
    A: sp.csr_array,
    A_t: sp.csr_array,
    b: np.ndarray,
    c: np.ndarray,
    structure: _Structure,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mehrotra's start: least-norm points of the equations, shifted to be well inside."""
    normal = _NormalMatrix(structure, np.ones(A.shape[1]), np.ones(A.shape[0]))
    s = normal.solve(b)
    x = A_t @ s
    y = normal.solve(-(A @ c))
    z = c + A_t @ y
    primal_shift = max(-1.5 * min(x.min(), s.min()), 0.0)
    dual_shift = max(-1.5 * min(y.min(), z.min()), 0.0)
    x, s, y, z = x + primal_shift, s + primal_shift, y + dual_shift, z + dual_shift
    product = x @ z + s @ y
    primal_shift = 0.5 * product / (z.sum() + y.sum())
    dual_shift = 0.5 * product / (x.sum() + s.sum())
    return x + primal_shift, s + primal_shift, y + dual_shift, z + dual_shift


@np.errstate(over="ignore", divide="ignore", invalid="ignore")  # a diverging plan overflows
def solve_interior_point(
    matrix: sp.csc_array,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_upper: np.ndarray,
    cost: np.ndarray,
    dense_rows: int,
    tolerance: float = 1e-9,
    progress: Callable[[str], None] | None = None,
    time_limit: float | None = None,
) -> InteriorPointSolution:
    """Maximise ``cost·x``, eliminating rows ``dense_rows:`` first (see the module docstring).

    Every row must have exactly one finite side, every column the lower bound 0. The status is
    "optimal", "diverged" (infeasible or unbounded), "time limit reached", "iteration limit" or
    "linear algebra failed".
    """
    started = time.perf_counter()
    say = progress or (lambda message: None)
    upper_side = np.isfinite(row_upper)
    if np.any(upper_side == np.isfinite(row_lower)):
        raise ValueError("every row needs exactly one finite side")
    sign = np.where(upper_side, 1.0, -1.0)
    A = sp.csr_array(sp.diags_array(sign) @ matrix)
    A_t = sp.csr_array(A.T)
    b = np.where(upper_side, row_upper, -row_lower)
    c = -np.asarray(cost, float)
    n_rows, n_cols = A.shape
    bounded = np.isfinite(col_upper)
    u = np.where(bounded, col_upper, 0.0)

    structure = _Structure(A, dense_rows)

    scale = max(1.0, float(np.abs(b).max(initial=0.0)), float(np.abs(c).max(initial=0.0)))
    x, s, y, z = _starting_point(A, A_t, b, c, structure)
    x = np.where(bounded, np.minimum(x, u / 2), x)
    point = _Point(x, s, np.where(bounded, u - x, 1.0), y, z, np.where(bounded, z, 0.0))
    pairs = n_rows + n_cols + int(bounded.sum())

    status, best, best_merit, best_iteration = "iteration limit", None, np.inf, 0
    for iteration in range(1, MAX_ITERATIONS + 1):
        x, s, t, y, z, w = point.x, point.s, point.t, point.y, point.z, point.w
        residual = _Residuals(
            primal=b - A @ x - s, upper=np.where(bounded, u - x - t, 0.0), dual=c + A_t @ y - z + w
        )
        primal, dual = c @ x, -(b @ y) - (u @ w)
        infeasibility = (
            max(float(np.abs(residual.primal).max()), float(np.abs(residual.upper).max(initial=0)))
            / scale
        )
        dual_infeasibility = float(np.abs(residual.dual).max()) / scale
        gap = abs(primal - dual) / max(1.0, abs(primal))
        say(
            f"interior point {iteration}: objective {-primal:.9g}, gap {gap:.1e}, "
            f"infeasibility {infeasibility:.1e}, dual {dual_infeasibility:.1e}"
        )
        merit = max(infeasibility, dual_infeasibility, gap)
        if merit < best_merit:
            best, best_merit, best_iteration = (point, gap, infeasibility), merit, iteration
        if merit < tolerance:
            status = "optimal"
            break
        largest = max(float(np.abs(x).max()), float(np.abs(y).max()))
        if not largest <= DIVERGED * scale:  # also NaN
            status = "diverged"  # an infeasible or unbounded plan: no optimum to converge to
            break
        if time_limit is not None and time.perf_counter() - started > time_limit:
            status = "time limit reached"
            break
        if best_merit < ACCEPTABLE and iteration - best_iteration >= STALLED:
            break  # rounding keeps the last steps from improving on the best point
        d_inv = z / x + np.where(bounded, w / t, 0.0)
        row_slack = s / y
        try:
            normal = _NormalMatrix(structure, 1 / d_inv, row_slack)
        except np.linalg.LinAlgError:
            status = "linear algebra failed"
            break
        newton = _Newton(A, A_t, bounded, point, residual, normal, d_inv, row_slack)
        point = point.moved(newton.predictor_corrector(pairs))

    if status != "optimal" and status != "time limit reached" and best_merit < ACCEPTABLE:
        status = "optimal"
    if status == "optimal" and best is not None:
        point, gap, infeasibility = best
    return InteriorPointSolution(
        status=status,
        col_value=point.x,
        row_dual=sign * point.y,
        col_dual=point.w - point.z,
        objective=float(np.asarray(cost) @ point.x),
        gap=gap,
        iterations=iteration,
        max_infeasibility=infeasibility * scale,
    )


@dataclass
class _Point:
    """Primal x, row slacks s, upper-bound slacks t; duals y (rows), z (x ≥ 0), w (x ≤ upper)."""

    x: np.ndarray
    s: np.ndarray
    t: np.ndarray
    y: np.ndarray
    z: np.ndarray
    w: np.ndarray

    def moved(self, step: tuple[_Point, float, float]) -> _Point:
        change, primal_step, dual_step = step
        return _Point(
            self.x + primal_step * change.x,
            self.s + primal_step * change.s,
            self.t + primal_step * change.t,
            self.y + dual_step * change.y,
            self.z + dual_step * change.z,
            self.w + dual_step * change.w,
        )

    def plus(self, other: _Point) -> _Point:
        return _Point(
            self.x + other.x,
            self.s + other.s,
            self.t + other.t,
            self.y + other.y,
            self.z + other.z,
            self.w + other.w,
        )


@dataclass
class _Residuals:
    primal: np.ndarray  # b − Ax − s
    upper: np.ndarray  # upper − x − t
    dual: np.ndarray  # c + Aᵀy − z + w


def _longest(values: np.ndarray, change: np.ndarray) -> float:
    """The longest step in [0, 1] along ``change`` that keeps ``values`` non-negative."""
    shrinking = change < 0
    if not shrinking.any():
        return 1.0
    return float(min(1.0, (-values[shrinking] / change[shrinking]).min()))


@dataclass
class _Newton:
    """One step of Mehrotra's predictor–corrector with Gondzio's centrality correctors."""

    A: sp.csr_array
    A_t: sp.csr_array
    bounded: np.ndarray
    point: _Point
    residual: _Residuals
    normal: _NormalMatrix
    d_inv: np.ndarray
    row_slack: np.ndarray

    def predictor_corrector(self, pairs: int) -> tuple[_Point, float, float]:
        p, bounded = self.point, self.bounded
        affine = self.direction(-p.x * p.z, -p.s * p.y, np.where(bounded, -p.t * p.w, 0.0))
        reached = self.products(affine, *self.steps(affine))
        mu = (p.x @ p.z + p.s @ p.y + p.t[bounded] @ p.w[bounded]) / pairs
        target = (sum(float(product.sum()) for product in reached) / pairs / mu) ** 3 * mu
        step = self.direction(
            target - p.x * p.z - affine.x * affine.z,
            target - p.s * p.y - affine.s * affine.y,
            np.where(bounded, target - p.t * p.w - affine.t * affine.w, 0.0),
        )
        primal_step, dual_step = self.steps(step)
        for _ in range(CENTRALITY_CORRECTORS):
            # Gondzio: aim further, and pull the products that would leave [0.1, 10]·target back.
            aim = (min(1.0, 1.5 * primal_step + 0.1), min(1.0, 1.5 * dual_step + 0.1))
            wanted = [
                np.maximum(np.clip(product, 0.1 * target, 10 * target) - product, -10 * target)
                for product in self.products(step, *aim)
            ]
            wanted[2] = np.where(bounded, wanted[2], 0.0)
            corrected = step.plus(self.direction(wanted[0], wanted[1], wanted[2], residuals=0.0))
            new_primal, new_dual = self.steps(corrected)
            if new_primal + new_dual < 1.01 * (primal_step + dual_step):
                break
            step, primal_step, dual_step = corrected, new_primal, new_dual
        return step, STEP_TO_BOUNDARY * primal_step, STEP_TO_BOUNDARY * dual_step

    def direction(
        self, r_xz: np.ndarray, r_sy: np.ndarray, r_tw: np.ndarray, residuals: float = 1.0
    ) -> _Point:
        """The Newton step towards complementarity targets; ``residuals=0`` leaves them alone."""
        p, r, bounded = self.point, self.residual, self.bounded
        rho_d = (
            -residuals * r.dual
            + r_xz / p.x
            - np.where(bounded, (r_tw - residuals * p.w * r.upper) / p.t, 0.0)
        )
        rho_p = residuals * r.primal - r_sy / p.y
        dx, dy = self.solve(rho_d, rho_p)
        dt = np.where(bounded, residuals * r.upper - dx, 0.0)
        return _Point(
            x=dx,
            s=(r_sy - p.s * dy) / p.y,
            t=dt,
            y=dy,
            z=(r_xz - p.z * dx) / p.x,
            w=np.where(bounded, (r_tw - p.w * dt) / p.t, 0.0),
        )

    def solve(self, rho_d: np.ndarray, rho_p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """[D⁻¹ Aᵀ; A −Σ]·(dx, dy) = (rho_d, rho_p), refined against the unreduced system."""
        A, A_t, d_inv = self.A, self.A_t, self.d_inv
        size = max(float(np.abs(rho_d).max()), float(np.abs(rho_p).max()), 1e-300)
        dx, dy = np.zeros(A.shape[1]), np.zeros(A.shape[0])
        error_d, error_p = rho_d, rho_p
        for _ in range(REFINEMENTS):
            step_y = self.normal.solve(A @ (error_d / d_inv) - error_p)
            dy = dy + step_y
            dx = dx + (error_d - A_t @ step_y) / d_inv
            error_d = rho_d - d_inv * dx - A_t @ dy
            error_p = rho_p - A @ dx + self.row_slack * dy
            if max(float(np.abs(error_d).max()), float(np.abs(error_p).max())) < 1e-13 * size:
                break
        return dx, dy

    def steps(self, step: _Point) -> tuple[float, float]:
        p, bounded = self.point, self.bounded
        primal = min(
            _longest(p.x, step.x), _longest(p.s, step.s), _longest(p.t[bounded], step.t[bounded])
        )
        dual = min(
            _longest(p.y, step.y), _longest(p.z, step.z), _longest(p.w[bounded], step.w[bounded])
        )
        return primal, dual

    def products(
        self, step: _Point, primal_step: float, dual_step: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The complementarity products x·z, s·y and t·w after the given steps."""
        moved = self.point.moved((step, primal_step, dual_step))
        return moved.x * moved.z, moved.s * moved.y, np.where(self.bounded, moved.t * moved.w, 0.0)
