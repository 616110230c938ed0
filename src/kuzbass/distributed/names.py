"""Names spread over the ranks, so that no rank holds a whole table of an economy's names.

Each rank reads a share of the rows of ``products.parquet`` (and of ``techniques.parquet``). A
``Directory`` sends every name to the rank picked by a hash of the name, with its index (its row
in the whole table) and any other columns; a rank turns names into indexes by sending them to
the same ranks, which look them up among the names they hold and answer (a distributed hash join,
two all-to-all exchanges). Rank 0 writes an answer with the names read back from
``products.parquet`` one row group at a time (``ProductNames``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from kuzbass.distributed.ranks import Ranks

BLOCK = 1 << 18
"""Names hashed at once, so that the temporaries (8 bytes per byte of a name) stay small."""
PART = 1 << 20
"""Names a rank sends in one exchange."""
MULTIPLIER = np.uint64(0x100000001B3)
MIX = np.uint64(0x9E3779B97F4A7C15)


def owners(names: pa.Array, size: int) -> np.ndarray:
    """The rank that holds each name in a directory of ``size`` ranks: a hash of its UTF-8
    bytes (the same on every rank and every run), modulo ``size``."""
    result = np.zeros(len(names), dtype=np.int64)
    if size == 1 or not len(names):
        return result
    offsets, data = _buffers(names)
    powers = np.ones(max(int(np.diff(offsets).max()), 1), dtype=np.uint64)
    np.cumprod(np.full(len(powers) - 1, MULTIPLIER), out=powers[1:])  # wraps modulo 2⁶⁴
    for start in range(0, len(names), BLOCK):
        stop = min(start + BLOCK, len(names))
        low, high = int(offsets[start]), int(offsets[stop])
        firsts = offsets[start:stop] - low
        lengths = np.diff(offsets[start : stop + 1])
        position = np.arange(high - low) - np.repeat(firsts, lengths)
        terms = data[low:high].astype(np.uint64) * powers[position]
        sums = np.concatenate([np.zeros(1, np.uint64), np.cumsum(terms, dtype=np.uint64)])
        hashed = sums[firsts + lengths] - sums[firsts] + lengths.astype(np.uint64)
        hashed ^= hashed >> np.uint64(29)
        hashed *= MIX
        hashed ^= hashed >> np.uint64(32)
        result[start:stop] = (hashed % np.uint64(size)).astype(np.int64)
    return result


def _buffers(names: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The offsets (int64) and the bytes of a string array, without copying them."""
    names = names.cast(pa.large_string())
    _, offsets, data = names.buffers()
    begin = np.frombuffer(offsets, dtype=np.int64)[names.offset : names.offset + len(names) + 1]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.empty(0, np.uint8)
    return begin, raw


def send_names(
    ranks: Ranks, destination: np.ndarray, names: pa.Array
) -> tuple[pa.Array, np.ndarray]:
    """Send name i to rank ``destination[i]``: the names this rank received (in rank order, as
    ``Ranks.exchange`` sends columns) and the rank each came from. A null arrives empty."""
    order = np.argsort(destination, kind="stable")
    ordered = names.cast(pa.large_string()).take(pa.array(order))
    offsets, data = _buffers(ordered)
    lengths = np.diff(offsets)
    arrived, sources = ranks.exchange(  # lengths already in order: sent in that order
        destination[order], lengths, np.full(len(names), ranks.rank, dtype=np.int64)
    )
    counts = np.bincount(destination, minlength=ranks.size)
    cuts = offsets[np.concatenate([[0], np.cumsum(counts)])]
    sent = np.diff(cuts)
    incoming = np.empty(ranks.size, dtype=np.int64)
    ranks.comm.Alltoall(np.ascontiguousarray(sent, dtype=np.int64), incoming)
    received = np.empty(int(incoming.sum()), dtype=np.uint8)
    outgoing = np.ascontiguousarray(data[int(offsets[0]) : int(offsets[-1])])
    ranks.comm.Alltoallv(
        [outgoing, (sent, cuts[:-1] - cuts[0])],
        [received, (incoming, np.concatenate([[0], np.cumsum(incoming)[:-1]]))],
    )
    starts = np.concatenate([[0], np.cumsum(arrived)]).astype(np.int64)
    strings = pa.LargeStringArray.from_buffers(
        len(arrived), pa.py_buffer(starts), pa.py_buffer(received)
    )
    return strings, sources


class Directory:
    """A table's names spread over the ranks by a hash of each name, with each name's index and
    columns of values; ``lookup`` finds names from any rank (all ranks call it together)."""

    def __init__(self, ranks: Ranks, names: pa.Array, first: int, *columns: np.ndarray) -> None:
        """``names``: this rank's share of the table, whose entry i has index ``first`` + i."""
        self.ranks = ranks
        held: list[pa.Array] = []
        parts: list[list[np.ndarray]] = []
        for part in _parts(ranks, len(names)):
            destination = owners(names[part], ranks.size)
            held.append(send_names(ranks, destination, names[part])[0])
            index = np.arange(first + part.start, first + part.stop, dtype=np.int64)
            parts.append(ranks.exchange(destination, index, *(c[part] for c in columns)))
        self.names = pa.concat_arrays(held)
        self.index, *self.columns = (np.concatenate(c) for c in zip(*parts, strict=True))

    def add(self, names: pa.Array, column: np.ndarray) -> None:
        """Add a column of values for this rank's share ``names`` (as given to the directory)."""
        parts = []
        for part in _parts(self.ranks, len(names)):
            destination = owners(names[part], self.ranks.size)
            parts.append(self.ranks.exchange(destination, column[part])[0])
        self.columns.append(np.concatenate(parts))

    def twice(self) -> list[tuple[str, int, int]]:
        """The names this rank holds that the table lists twice: (name, index, first index)."""
        if pc.count_distinct(self.names).as_py() == len(self.names):
            return []
        order = np.argsort(self.index, kind="stable")
        listed = self.names.take(pa.array(order)).to_pylist()
        first: dict[str, int] = {}
        found = []
        for name, index in zip(listed, self.index[order].tolist(), strict=True):
            if name in first:
                found.append((name, index, first[name]))
            else:
                first[name] = index
        return sorted(found, key=lambda twice: twice[1])

    def lookup(self, names: pa.Array) -> list[np.ndarray]:
        """For each of ``names`` (this rank's questions), its index (−1 when unknown or null)
        and its value in each column (0 when unknown)."""
        parts = [self._lookup(names[part]) for part in _parts(self.ranks, len(names))]
        return [np.concatenate(c) for c in zip(*parts, strict=True)]

    def _lookup(self, names: pa.Array) -> list[np.ndarray]:
        destination = owners(names, self.ranks.size)
        asked, sources = send_names(self.ranks, destination, names)
        found = pc.index_in(asked, value_set=self.names).fill_null(-1).to_numpy()
        found = np.asarray(found, dtype=np.int64)
        known = np.flatnonzero(found >= 0)
        answers = [np.full(len(found), -1, dtype=np.int64)]
        answers[0][known] = self.index[found[known]]
        for column in self.columns:
            answers.append(np.zeros(len(found), dtype=column.dtype))
            answers[-1][known] = column[found[known]]
        back = self.ranks.exchange(sources, *answers)
        order = np.argsort(destination, kind="stable")
        results = []
        for column in back:
            result = np.empty_like(column)
            result[order] = column
            results.append(result)
        if names.null_count:
            results[0][np.asarray(names.is_null().to_numpy(zero_copy_only=False))] = -1
        return results


def _parts(ranks: Ranks, count: int) -> list[slice]:
    """``count`` names in parts of ``PART``, as many parts on every rank (some empty), so that
    an exchange moves at most ``PART`` names from each rank: its buffers stay small."""
    rounds = max(ranks.comm.allgather(-(-count // PART)), default=1) or 1
    return [slice(min(i * PART, count), min((i + 1) * PART, count)) for i in range(rounds)]


class ProductNames:
    """The product names, for rank 0 to write an answer: read back from ``products.parquet``
    one row group at a time, or held (from a CSV folder, which rank 0 reads whole)."""

    def __init__(self, path: Path | None = None, names: pa.Array | None = None) -> None:
        self.path = path
        self.names = names

    def chunks(self) -> Iterator[pa.Array]:
        """The names in order, in parts."""
        if self.names is not None:
            yield self.names
            return
        assert self.path is not None
        source = pq.ParquetFile(self.path)
        for group in range(source.num_row_groups):
            column = source.read_row_group(group, columns=["product"]).column(0)
            yield column.combine_chunks().cast(pa.large_string())

    def at(self, indexes: np.ndarray) -> list[str]:
        """The names of the products ``indexes`` (a few: the members of a cycle)."""
        found: dict[int, str] = {}
        start = 0
        for chunk in self.chunks():
            inside = indexes[(indexes >= start) & (indexes < start + len(chunk))]
            for index, name in zip(inside, chunk.take(inside - start).to_pylist(), strict=True):
                found[int(index)] = str(name)
            start += len(chunk)
        return [found[int(i)] for i in indexes]

    def indexes(self, names: pa.Array) -> np.ndarray:
        """Each of ``names``' index among the products (−1 when not a product)."""
        result = np.full(len(names), -1, dtype=np.int64)
        start = 0
        for chunk in self.chunks():
            found = pc.index_in(names, value_set=chunk).fill_null(-1).to_numpy()
            hit = np.asarray(found) >= 0
            result[hit] = np.asarray(found)[hit] + start
            start += len(chunk)
        return result
