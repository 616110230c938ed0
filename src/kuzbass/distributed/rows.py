"""Each rank's rows of an economy: the inputs of the techniques making the products it owns.

Row p of Aᵀ holds the inputs per unit of output of the technique making product p, which is what
both systems need: labour values solve (I − Aᵀ) v = l, gross output its transpose (I − A) x = d.
Products are owned in contiguous ranges, one per rank.

From a Parquet folder each rank reads a share of ``inputs.parquet``: contiguous row groups with
about equal rows, checked as the one-process reader checks them (rows named by their place in
the whole file), and shares of the tables of names (``shares``). A rank owns the products from
the first one its rows make up to the next rank's first, so in a file ordered by technique (as
kuzbass writes them) only the rows of a technique cut by a row group's end move to another rank.
From a CSV folder rank 0 reads everything and sends each rank its rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp

from kuzbass.distributed.names import ProductNames
from kuzbass.distributed.shares import read_share
from kuzbass.economy.canonical import detect_format
from kuzbass.economy.errors import EconomyError
from kuzbass.economy.model import LABOUR, Economy

if TYPE_CHECKING:
    from kuzbass.distributed.ranks import Ranks


@dataclass
class Facts:
    """What ``kuzbass check`` says of the economy besides the products and coefficients."""

    techniques: int
    resources: list[str]
    years: int
    targets: int


@dataclass
class Rows:
    """One rank's rows. ``inputs``: its products' rows of Aᵀ (global columns); ``labour``: their
    labour per unit (None when the economy has no resource ``labour``); ``names``: the product
    names, for rank 0 to write the answer; ``read``: the rows this rank read of each table."""

    n: int
    bounds: np.ndarray
    inputs: sp.csr_array
    labour: np.ndarray | None
    names: ProductNames
    facts: Facts
    coefficients: int
    read: dict[str, int] = field(default_factory=dict)

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
    groups = share_of(_groups(folder / "inputs.parquet"), ranks.rank, ranks.size)
    share = read_share(ranks, folder, groups, active)
    coefficients = int(ranks.total(share.inputs.nnz + share.resources.nnz))
    n = share.products
    labour_row = share.resource_names.index(LABOUR) if LABOUR in share.resource_names else None
    inputs, labour = _by_product(n, share.inputs, share.resources, labour_row, share.made,
                                 share.active)  # fmt: skip
    share.inputs = share.resources = sp.csc_array((0, 0))  # freed: their rows are in ``inputs``
    made = np.flatnonzero(np.diff(inputs.indptr))
    firsts = np.array(ranks.comm.allgather(int(made[0]) if len(made) else n))
    firsts[0] = 0
    bounds = np.append(np.maximum.accumulate(firsts), n)
    facts = Facts(share.techniques, share.resource_names, share.years, share.targets)
    names = ProductNames(path=folder / "products.parquet")
    rows = _owned(ranks, n, bounds, inputs, labour, names, facts, coefficients)
    rows.read = share.read
    return rows


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
    names = ProductNames(names=pa.array([], pa.large_string()))
    if economy is not None:
        assert chosen is not None
        resources = [str(r) for r in economy.resources]
        labour_row = resources.index(LABOUR) if LABOUR in resources else None
        inputs, labour = _by_product(
            economy.n_products,
            economy.input_coefficients,
            economy.resource_coefficients,
            labour_row,
            np.arange(economy.n_products),
            None,
            chosen,
        )
        summary = Facts(economy.n_techniques, resources, economy.years,
                        0 if economy.targets is None else len(economy.targets))  # fmt: skip
        facts = (
            economy.n_products,
            _balanced(inputs.indptr, ranks.size),
            labour is not None,
            economy.input_coefficients.nnz + economy.resource_coefficients.nnz,
            summary,
        )
        names = ProductNames(names=pa.array(economy.products.astype(str)).cast(pa.large_string()))
        del economy
    n, bounds, has_labour, coefficients, summary = ranks.comm.bcast(facts)
    if inputs is None:
        inputs = sp.csr_array((n, n))
        labour = sp.csr_array((n, 1)) if has_labour else None
    return _owned(ranks, n, bounds, inputs, labour, names, summary, coefficients)


def _balanced(indptr: np.ndarray, size: int) -> np.ndarray:
    """Row bounds giving each rank about the same rows plus coefficients."""
    n = len(indptr) - 1
    work = indptr + np.arange(n + 1)
    cuts = np.searchsorted(work, work[-1] * np.arange(1, size) / size)
    return np.concatenate([[0], cuts, [n]]).astype(np.int64)


def _by_product(
    n: int,
    goods: sp.csc_array,
    used: sp.csc_array,
    labour_row: int | None,
    made: np.ndarray,
    active: np.ndarray | None,
    columns: np.ndarray | None = None,
) -> tuple[sp.csr_array, sp.csr_array | None]:
    """Aᵀ (row p: inputs of the technique making p, n × n) and labour per unit (n × 1), from
    coefficient matrices whose columns are techniques: those ``columns`` making the products
    ``made``, or else those ``active`` (where column j makes product ``made[j]``)."""
    if columns is None:
        assert active is not None
        columns = np.flatnonzero(active)
        made = made[columns]
    identity = goods.shape[1] == len(columns) and bool(np.all(columns == np.arange(len(columns))))
    square = sp.csc_array(goods if identity else goods[:, columns])
    square.sort_indices()
    order = np.argsort(made, kind="stable")
    if not bool(np.all(order == np.arange(len(order)))):
        square = sp.csc_array(square[:, order])
        made = made[order]
    inputs = _rows_at(n, made, square.data, square.indices, square.indptr)
    if labour_row is None:
        return inputs, None
    row = sp.csr_array(used)[[labour_row]][:, columns[order]]
    labour = sp.csc_array(row)
    labour.sort_indices()
    column = _rows_at(n, made, labour.data, labour.indices, labour.indptr)
    return inputs, sp.csr_array(column[:, :1])


def _rows_at(
    n: int, rows: np.ndarray, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray
) -> sp.csr_array:
    """An n-row CSR matrix whose row ``rows[k]`` (increasing) holds CSR row k of (data,
    indices, indptr) and whose other rows are empty."""
    counts = np.zeros(n + 1, dtype=np.int64)
    counts[np.asarray(rows, dtype=np.int64) + 1] = np.diff(indptr)
    return sp.csr_array((data, indices, np.cumsum(counts)), shape=(n, n))


def _owned(
    ranks: Ranks,
    n: int,
    bounds: np.ndarray,
    inputs: sp.csr_array,
    labour: sp.csr_array | None,
    names: ProductNames,
    facts: Facts,
    coefficients: int,
) -> Rows:
    mine = slice(int(bounds[ranks.rank]), int(bounds[ranks.rank + 1]))
    own_inputs = _to_owners(ranks, inputs, bounds, mine)
    own_labour = None
    if labour is not None:
        column = _to_owners(ranks, labour, bounds, mine)
        own_labour = column.toarray().ravel()
    return Rows(n, bounds, own_inputs, own_labour, names, facts, coefficients)


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
