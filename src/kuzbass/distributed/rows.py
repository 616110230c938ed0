"""Each rank's rows of an economy: the inputs of the techniques making the products it owns.

Row p of Aᵀ holds the inputs per unit of output of the technique making product p, which is what
both systems need: labour values solve (I − Aᵀ) v = l, gross output its transpose (I − A) x = d.
Products are owned in contiguous ranges, one per rank.

From a Parquet folder each rank reads a share of ``inputs.parquet``: contiguous row groups with
about equal rows, read by the one-process reader (same checks; rows named by their place in the
whole file). A rank owns the products from the first one its rows make up to the next rank's
first, so in a file ordered by technique (as kuzbass writes them) only the rows of a technique
cut by a row group's end move to another rank. From a CSV folder rank 0 reads everything and
sends each rank its rows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp

from kuzbass.economy.canonical import detect_format, read_canonical
from kuzbass.economy.errors import EconomyError
from kuzbass.economy.model import LABOUR, Economy

if TYPE_CHECKING:
    from kuzbass.distributed.ranks import Ranks


@dataclass
class Rows:
    """One rank's rows. ``inputs``: its products' rows of Aᵀ (global columns); ``labour``: their
    labour per unit (None when the economy has no resource ``labour``); ``economy``: on rank 0
    (on every rank from Parquet) the economy without its coefficients, for names and demand."""

    n: int
    bounds: np.ndarray
    inputs: sp.csr_array
    labour: np.ndarray | None
    economy: Economy | None
    coefficients: int

    def owned(self, rank: int) -> slice:
        return slice(int(self.bounds[rank]), int(self.bounds[rank + 1]))


def read_rows(ranks: Ranks, folder: Path, fmt: str | None, active: list[str] | None) -> Rows:
    """This rank's rows of the economy in ``folder`` (Parquet or CSV)."""
    fmt = ranks.agree(lambda: fmt or detect_format(folder), "looking at the folder")
    if fmt == "parquet":
        return _parquet_rows(ranks, folder, active)
    if fmt == "csv":
        return _scattered_rows(ranks, folder, active)
    return ranks.agree(lambda: _unsupported(fmt), "looking at the folder")  # raises everywhere


def _unsupported(fmt: str) -> Rows:
    raise EconomyError(
        [f"{fmt} economies cannot be read on MPI ranks: convert to parquet (kuzbass convert)"]
    )


def share_of(rows_per_group: list[int], rank: int, size: int) -> range:
    """Rank ``rank``'s row groups: contiguous, cut at the group ends nearest to equal rows."""
    edges = np.concatenate([[0], np.cumsum(rows_per_group, dtype=np.int64)])
    wanted = edges[-1] * np.arange(size + 1) / size
    cuts = np.abs(edges[None, :] - wanted[:, None]).argmin(axis=1)
    cuts[-1] = len(rows_per_group)
    cuts = np.maximum.accumulate(cuts)
    return range(int(cuts[rank]), int(cuts[rank + 1]))


def _groups(path: Path) -> list[int]:
    try:
        metadata = pq.ParquetFile(path).metadata
    except (OSError, pa.ArrowInvalid):
        return []  # the reader names the problem
    return [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)]


def _parquet_rows(ranks: Ranks, folder: Path, active: list[str] | None) -> Rows:
    share = share_of(_groups(folder / "inputs.parquet"), ranks.rank, ranks.size)
    economy = ranks.agree(
        lambda: read_canonical(folder, "parquet", share),
        f"reading its share of {folder / 'inputs.parquet'}",
    )
    chosen = ranks.agree(lambda: economy.active_techniques(active), "choosing techniques")
    coefficients = int(
        ranks.total(economy.input_coefficients.nnz + economy.resource_coefficients.nnz)
    )
    inputs, labour = _by_product(economy, chosen)
    n = economy.n_products
    made = np.flatnonzero(np.diff(inputs.indptr))
    firsts = np.array(ranks.comm.allgather(int(made[0]) if len(made) else n))
    firsts[0] = 0
    bounds = np.append(np.maximum.accumulate(firsts), n)
    economy = _without_coefficients(economy)
    return _owned(ranks, n, bounds, inputs, labour, economy, coefficients)


def _scattered_rows(ranks: Ranks, folder: Path, active: list[str] | None) -> Rows:
    economy = ranks.agree(
        lambda: Economy.read(folder, "csv") if ranks.root else None, f"reading {folder}"
    )
    chosen = ranks.agree(
        lambda: economy.active_techniques(active) if economy is not None else None,
        "choosing techniques",
    )
    inputs = labour = None
    facts = None
    if economy is not None:
        assert chosen is not None
        inputs, labour = _by_product(economy, chosen)
        facts = (
            economy.n_products,
            _balanced(inputs.indptr, ranks.size),
            labour is not None,
            economy.input_coefficients.nnz + economy.resource_coefficients.nnz,
        )
        economy = _without_coefficients(economy)
    n, bounds, has_labour, coefficients = ranks.comm.bcast(facts)
    if inputs is None:
        inputs = sp.csr_array((n, n))
        labour = sp.csr_array((n, 1)) if has_labour else None
    return _owned(ranks, n, bounds, inputs, labour, economy, coefficients)


def _balanced(indptr: np.ndarray, size: int) -> np.ndarray:
    """Row bounds giving each rank about the same rows plus coefficients."""
    n = len(indptr) - 1
    work = indptr + np.arange(n + 1)
    cuts = np.searchsorted(work, work[-1] * np.arange(1, size) / size)
    return np.concatenate([[0], cuts, [n]]).astype(np.int64)


def _by_product(economy: Economy, chosen: np.ndarray) -> tuple[sp.csr_array, sp.csr_array | None]:
    """Aᵀ (row p: inputs of the technique making p) and labour per unit as an n × 1 matrix."""
    coefficients = economy.input_coefficients
    identity = coefficients.shape[1] == len(chosen) and bool(
        np.all(chosen == np.arange(len(chosen)))
    )
    square = sp.csc_array(coefficients if identity else coefficients[:, chosen])
    square.sort_indices()
    inputs = sp.csr_array(square.T)
    if LABOUR not in economy.resources:
        return inputs, None
    row = int(economy.resources.get_indexer(pd.Index([LABOUR]))[0])
    labour = sp.csr_array(economy.resource_coefficients)[[row]][:, chosen]
    return inputs, sp.csr_array(labour.T)


def _without_coefficients(economy: Economy) -> Economy:
    """The economy's names, techniques and demand, its coefficient matrices dropped (memory)."""
    empty = sp.csc_array((economy.n_products, 0))
    return dataclasses.replace(
        economy,
        input_coefficients=empty,
        resource_coefficients=sp.csc_array((economy.n_resources, 0)),
        capital_coefficients=None,
        depreciation=None,
    )


def _owned(
    ranks: Ranks,
    n: int,
    bounds: np.ndarray,
    inputs: sp.csr_array,
    labour: sp.csr_array | None,
    economy: Economy | None,
    coefficients: int,
) -> Rows:
    mine = slice(int(bounds[ranks.rank]), int(bounds[ranks.rank + 1]))
    own_inputs = _to_owners(ranks, inputs, bounds, mine)
    own_labour = None
    if labour is not None:
        column = _to_owners(ranks, labour, bounds, mine)
        own_labour = column.toarray().ravel()
    return Rows(n, bounds, own_inputs, own_labour, economy, coefficients)


def _to_owners(ranks: Ranks, matrix: sp.csr_array, bounds: np.ndarray, mine: slice) -> sp.csr_array:
    """This rank's rows of ``matrix``: its own, plus those the other ranks hold of them."""
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    start, stop = int(indptr[mine.start]), int(indptr[mine.stop])
    own = sp.csr_array(
        (data[start:stop], indices[start:stop], indptr[mine.start : mine.stop + 1] - start),
        shape=(mine.stop - mine.start, matrix.shape[1]),
    )
    away = np.concatenate([np.arange(start), np.arange(stop, len(data))])
    row = np.searchsorted(indptr, away, side="right") - 1
    destination = np.searchsorted(bounds, row, side="right") - 1
    rows, columns, values = ranks.exchange(
        destination, row.astype(np.int64), indices[away].astype(np.int64), data[away]
    )
    return ranks.agree(lambda: _merged(own, rows - mine.start, columns, values), "merging rows")


def _merged(
    own: sp.csr_array, rows: np.ndarray, columns: np.ndarray, values: np.ndarray
) -> sp.csr_array:
    if not len(rows):
        return own
    arrived = sp.coo_array((values, (rows, columns)), shape=own.shape).tocsr()
    merged = sp.csr_array(own + arrived)
    if merged.nnz < own.nnz + len(rows):
        raise EconomyError(
            ["inputs.parquet: some (technique, input) pair is given in two row groups"]
        )
    return merged
