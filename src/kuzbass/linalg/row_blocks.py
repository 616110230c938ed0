"""M split into blocks of rows worked on in parallel, and the one call of scipy's private kernel.

``scipy.sparse._sparsetools.csr_matvec`` adds M x onto a slice of an existing vector, reading a
block of M's rows through pointers into M's own arrays: no copy of the block, no new vector per
product, and the GIL released so that blocks run on all cores. No public scipy function does that.
Should a scipy release move it, ``RowBlocks`` falls back to a CSR view of each block, made once,
and adds ``block @ x`` (a new vector per product); ``tests/linalg/test_row_blocks.py`` then fails,
so the move is noticed.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import scipy.sparse as sp


def _private_kernel() -> Callable[..., None] | None:
    """scipy's ``csr_matvec``, or None if this scipy release no longer has it there."""
    try:
        from scipy.sparse import _sparsetools
    except ImportError:  # pragma: no cover - depends on the scipy release
        return None
    return getattr(_sparsetools, "csr_matvec", None)


PRIVATE_KERNEL = _private_kernel()

Sparse = sp.csr_array | sp.csc_array | sp.coo_array
"""A sparse matrix (CSR is used as is; others are converted)."""

T = TypeVar("T")


class RowBlocks:
    """M split into blocks of rows with equal nonzeros, one per core, worked on in parallel.

    Vectors are split by the same rows, so that products with M and a solver's vector work
    both run on all cores (hold BLAS to one thread per block meanwhile). The blocks share M's
    arrays: the kernel is called on each block's slice of the row pointers, where a
    ``csr_array`` per block would copy every block smaller than half of M (1.2 GB at 10⁷
    products) and allocate its result on every product. ``private=False`` uses the public
    fallback (for tests).
    """

    def __init__(self, matrix: Sparse, threads: int | None = None, private: bool = True) -> None:
        csr = sp.csr_array(matrix).astype(np.float64, copy=False)
        self.shape = csr.shape
        self.indices, self.data = csr.indices, csr.data
        if threads is None:
            threads = len(os.sched_getaffinity(0)) if csr.nnz >= 500_000 else 1
        bounds = np.searchsorted(csr.indptr, np.linspace(0, csr.nnz, threads + 1)[1:-1])
        n = csr.shape[0]
        edges = [0, *sorted({int(e) for e in bounds if 0 < e < n}), n]  # no empty blocks
        self.rows = [slice(a, b) for a, b in itertools.pairwise(edges)]
        self.pointers = [
            csr.indptr[rows.start : rows.stop + 1].astype(self.indices.dtype, copy=False)
            for rows in self.rows
        ]
        self.private = private and PRIVATE_KERNEL is not None
        self.views = [] if self.private else [self._view(k) for k in range(len(self.rows))]
        self.pool = ThreadPoolExecutor(len(self.rows)) if len(self.rows) > 1 else None

    def _view(self, k: int) -> sp.csr_array:
        first, last = int(self.pointers[k][0]), int(self.pointers[k][-1])
        return sp.csr_array(
            (self.data[first:last], self.indices[first:last], self.pointers[k] - first),
            shape=(self.rows[k].stop - self.rows[k].start, self.shape[1]),
        )

    def run(self, task: Callable[[int], T]) -> list[T]:
        """task(k) for every block k, in parallel."""
        if self.pool is None:
            return [task(0)]
        return list(self.pool.map(task, range(len(self.rows))))

    def accumulate(self, k: int, x: np.ndarray, out: np.ndarray) -> None:
        """out += M x on the rows of block k (``out`` a whole vector; the GIL is released)."""
        rows = self.rows[k]
        if not self.private:
            out[rows] += self.views[k] @ x
            return
        assert PRIVATE_KERNEL is not None
        PRIVATE_KERNEL(
            rows.stop - rows.start,
            self.shape[1],
            self.pointers[k],
            self.indices,
            self.data,
            x,
            out[rows],
        )

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
