"""BiCGSTAB for (I − M) x = b, its vector work fused per block of rows (see ``leontief``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import numpy as np
from scipy.linalg import blas

from kuzbass.linalg.row_blocks import RowBlocks

Progress = Callable[[int, float], None]
"""Called during a solve with (products with M so far, relative residual)."""

BREAKDOWN = 1e-12
"""BiCGSTAB restarts when the cosine between the vectors of one of its inner products is below
this: the step it would divide by is lost in rounding."""


def bicgstab(
    operator: RowBlocks,
    b: np.ndarray,
    tolerance: float,
    max_products: int = 5000,
    progress: Progress | None = None,
) -> tuple[np.ndarray, int, float, float]:
    """BiCGSTAB for (I − M) x = b from x = 0, its vector work fused per block of rows.

    It stops only when the measured residual ‖b − (I − M) x‖ ≤ ``tolerance`` ‖b‖: when the
    recursive residual says so, one more product measures the true one, and if that has drifted
    the iteration restarts from it (and gives up when a restart did not halve it: rounding
    allows no better). A breakdown (ρ or ω ≈ 0) restarts from the current residual.
    Returns the solution, the products with M, ρ̂ = the largest |1 − θ| over the Ritz values θ
    of I − M from the hidden BiCG coefficients of the first cycle, and the measured relative
    residual (∞ when the iteration diverged; above ``tolerance`` when ``max_products`` ran out).

    Besides b it keeps six vectors: x, r (which also holds s), the shadow residual, p, and
    v = (M − I) p, t = (M − I) s. These are the negatives of the textbook's (I − M) p and
    (I − M) s, because the product adds M p onto a vector holding −p; the signs of α's and ω's
    updates change with them.
    """
    n = len(b)
    scale = float(np.linalg.norm(b))
    x = np.zeros(n)
    if scale == 0:
        return x, 0, 0.0, 0.0
    target = (tolerance * scale) ** 2
    r, shadow, p, v, t = (np.empty(n) for _ in range(5))
    rows = operator.rows

    def measure(k: int) -> np.ndarray:
        """r = b − x + M x; ‖r‖²."""
        part = rows[k]
        np.subtract(b[part], x[part], out=r[part])
        operator.accumulate(k, x, r)
        return np.array([r[part] @ r[part]])

    def restart(k: int, fresh: bool) -> np.ndarray:
        """p = r; shadow = r, or random if r just broke down at once; shadow·r, ‖shadow‖²."""
        part = rows[k]
        p[part] = r[part]
        if fresh:
            shadow[part] = np.random.default_rng(k).uniform(-1.0, 1.0, part.stop - part.start)
        else:
            shadow[part] = r[part]
        return np.array([shadow[part] @ r[part], shadow[part] @ shadow[part]])

    def apply_p(k: int) -> np.ndarray:
        """v = M p − p; shadow·v, ‖v‖²."""
        part = rows[k]
        np.negative(p[part], out=v[part])
        operator.accumulate(k, p, v)
        return np.array([shadow[part] @ v[part], v[part] @ v[part]])

    def half_step(k: int, alpha: float) -> np.ndarray:
        """s = r − α (I − M) p = r + α v, kept in r; ‖s‖²."""
        part = rows[k]
        blas.daxpy(v[part], r[part], a=alpha)
        return np.array([r[part] @ r[part]])

    def advance(k: int, alpha: float) -> None:
        """x += α p."""
        part = rows[k]
        blas.daxpy(p[part], x[part], a=alpha)

    def apply_s(k: int) -> np.ndarray:
        """t = M s − s; t·s, ‖t‖²."""
        part = rows[k]
        np.negative(r[part], out=t[part])
        operator.accumulate(k, r, t)
        return np.array([t[part] @ r[part], t[part] @ t[part]])

    def step(k: int, alpha: float, omega: float) -> np.ndarray:
        """x += α p + ω s; r = s + ω t; p += ω v (half of the next direction); shadow·r, ‖r‖²."""
        part = rows[k]
        blas.daxpy(p[part], x[part], a=alpha)
        blas.daxpy(r[part], x[part], a=omega)
        blas.daxpy(t[part], r[part], a=omega)
        blas.daxpy(v[part], p[part], a=omega)
        return np.array([shadow[part] @ r[part], r[part] @ r[part]])

    def direction(k: int, beta: float) -> None:
        """p = r + β (p + ω v)."""
        part = rows[k]
        p[part] *= beta
        p[part] += r[part]

    def total(task: Callable[[int], np.ndarray]) -> np.ndarray:
        return np.sum(operator.run(task), axis=0)

    def report(squared: float) -> None:
        if progress is not None:
            progress(products, math.sqrt(squared) / scale)

    products = 0
    alphas: list[float] = []
    betas: list[float] = []
    first_cycle = True
    stalled = False
    measured = math.inf  # the last measured ‖r‖²
    r[:] = b
    squared = scale * scale
    while True:
        rho, shadow_norm = total(partial(restart, fresh=stalled))
        shadow_norm, started = math.sqrt(shadow_norm), products
        finished = False  # the recursive residual is small enough, or the budget is spent
        while True:
            dots = total(apply_p)
            products += 1
            if not abs(dots[0]) > BREAKDOWN * shadow_norm * math.sqrt(dots[1]):
                break
            alpha = -rho / dots[0]
            squared = float(total(partial(half_step, alpha=alpha))[0])
            if first_cycle:
                alphas.append(alpha)
            report(squared)
            if squared <= target or products >= max_products:
                operator.run(partial(advance, alpha=alpha))
                finished = True
                break
            dots = total(apply_s)
            products += 1
            if not abs(dots[0]) > BREAKDOWN * math.sqrt(squared * dots[1]):
                operator.run(partial(advance, alpha=alpha))  # ω ≈ 0: keep the BiCG half step
                break
            omega = -dots[0] / dots[1]
            dots = total(partial(step, alpha=alpha, omega=omega))
            squared = float(dots[1])
            report(squared)
            finished = squared <= target or products >= max_products
            if finished or not abs(dots[0]) > BREAKDOWN * shadow_norm * math.sqrt(squared):
                break
            beta = (dots[0] / rho) * (alpha / omega)
            if first_cycle:
                betas.append(beta)
            rho = float(dots[0])
            operator.run(partial(direction, beta=beta))
        first_cycle = False
        if not math.isfinite(squared):
            return x, products, _ritz_radius(alphas, betas), math.inf
        # broke down at once: try a random shadow residual, and if that fails too, give up
        gave_up = stalled and not finished and products == started + 1
        stalled = not finished and products == started + 1
        if finished or gave_up or products >= max_products:
            squared = float(total(measure)[0])
            products += 1
            report(squared)
            # a restart that did not halve the measured residual met the limit of rounding
            stuck = not squared < measured / 4
            measured = squared
            if squared <= target or gave_up or stuck or products >= max_products:
                residual = math.sqrt(squared) / scale if math.isfinite(squared) else math.inf
                return x, products, _ritz_radius(alphas, betas), residual


def _ritz_radius(alphas: list[float], betas: list[float]) -> float:
    """max |1 − θ| over the eigenvalues θ of BiCG's tridiagonal matrix for I − M.

    BiCG's residuals satisfy (I − M) R = R T with T tridiagonal: diagonal 1/αⱼ + βⱼ₋₁/αⱼ₋₁ and
    off-diagonal products βⱼ/αⱼ², which fix its eigenvalues.
    """
    if not alphas:
        return 0.0
    a = np.asarray(alphas)
    b = np.asarray(betas[: len(a) - 1])
    tridiagonal = np.diag(1 / a)
    tridiagonal[np.arange(1, len(a)), np.arange(1, len(a))] += b / a[:-1]
    tridiagonal[np.arange(len(b)), np.arange(1, len(a))] = 1.0
    tridiagonal[np.arange(1, len(a)), np.arange(len(b))] = b / a[:-1] ** 2
    return float(np.abs(1.0 - np.linalg.eigvals(tridiagonal)).max())
