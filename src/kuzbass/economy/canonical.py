"""The canonical economy folder, as CSV files or as Parquet files with the same tables.

Tables (``.csv`` or ``.parquet``; the optional ones may be absent):

- ``products``: product, unit
- ``techniques``: technique, product, output[, capacity] — empty capacity means unlimited
- ``inputs``: technique, input, quantity — the input is a product or a resource; quantity is for
  the technique's declared output, so the coefficient is quantity / output
- ``resources``: resource, unit, available — empty available means unlimited
- ``demand`` (optional): product, quantity[, year, priority, weight] — a quantity may be negative
  (a stock run down, as inventory changes are in national tables); coefficients may not
- ``capital`` (optional): technique, input, quantity — stock of the input product held at the
  declared output; ``depreciation`` (optional): technique, input, rate — yearly share worn out
- ``resource_schedule`` (optional): resource, year, available

Duplicate (technique, input) rows are rejected, naming both rows: summing them would hide a
typing mistake, and letting one win would lose the other silently.

Names are any UTF-8 text (commas, quotes, accents, any script; CSV quoting as usual). In CSV files
spaces around a value are ignored, so ``" coal"`` and ``coal`` are one name (listed twice is an
error); in Parquet files names are taken as written. Products that no technique uses, techniques
without inputs (anywhere in the table) and all-zero rows or columns are allowed.

Names are mapped to indexes with pyarrow compute on dictionary-encoded columns, so that a table of
hundreds of millions of rows never becomes Python objects. The Parquet writer gives each row group
only the names it uses, and the reader maps a run of names by its offset and all other row groups'
names by one lookup: hashing millions of names is what a national-size read spends its time on
otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import scipy.sparse as sp

from kuzbass import files
from kuzbass.economy.errors import EconomyError, Problems
from kuzbass.economy.model import Economy

TABLES: dict[str, tuple[list[str], list[str]]] = {
    "products": (["product", "unit"], []),
    "techniques": (["technique", "product", "output"], ["capacity"]),
    "inputs": (["technique", "input", "quantity"], []),
    "resources": (["resource", "unit", "available"], []),
    "demand": (["product", "quantity"], ["year", "priority", "weight"]),
    "capital": (["technique", "input", "quantity"], []),
    "depreciation": (["technique", "input", "rate"], []),
    "resource_schedule": (["resource", "year", "available"], []),
}
REQUIRED = ("products", "techniques", "inputs", "resources")
NAME_COLUMNS = {"product", "unit", "technique", "input", "resource"}
DISTINCT = {
    "products": "product",
    "techniques": "technique",
    "resources": "resource",
    "demand": "product",
}
"""Columns whose values are (nearly) all different: reading them dictionary-encoded would only
add a hash of every value."""


class _Table:
    """One table read from the folder, with the words to name its rows in errors.

    A large Parquet input table is not held whole: ``data`` is read again only to quote a bad
    row in an error message. ``groups`` are the row groups read (all when None); rows are named
    by their place in the whole file.
    """

    def __init__(
        self,
        name: str,
        data: pa.Table | None,
        csv: bool,
        path: Path | None = None,
        rows: int = 0,
        groups: range | None = None,
    ) -> None:
        self.file = name
        self._data = data
        self.csv = csv
        self.path = path
        self.rows = rows if data is None else data.num_rows
        self.groups = groups
        self.first_row = 0
        if groups is not None and path is not None:
            metadata = pq.ParquetFile(path).metadata
            self.first_row = sum(metadata.row_group(g).num_rows for g in range(groups.start))

    @property
    def data(self) -> pa.Table:
        if self._data is None:
            assert self.path is not None
            source = pq.ParquetFile(self.path)
            groups = range(source.num_row_groups) if self.groups is None else self.groups
            self._data = source.read_row_groups(list(groups))
        return self._data

    def line(self, i: int) -> str:
        return f"line {i + 2}" if self.csv else f"row {i + 1}"

    def where(self, i: int) -> str:
        return f"{self.file} {self.line(i + self.first_row)}"

    def value(self, column: str, i: int) -> object:
        return self.data.column(column)[i].as_py()

    def __len__(self) -> int:
        return self.rows


def detect_format(path: Path) -> str:
    """Name the format of an economy folder: ``csv``, ``parquet`` or ``5yearplan``."""
    if not path.is_dir():
        raise EconomyError([f"{path}: not a folder (an economy is a folder of tables)"])
    if (path / "products.parquet").exists():
        return "parquet"
    if (path / "products.csv").exists():
        return "csv"
    if (path / "flows.csv").exists():
        return "5yearplan"
    raise EconomyError(
        [f"{path}: no products.csv, products.parquet or flows.csv — not an economy folder"]
    )


def _load(
    folder: Path,
    stem: str,
    csv: bool,
    problems: Problems,
    share: range | None = None,
    rows: range | None = None,
) -> _Table | None:
    """The table ``stem`` (None when absent or unreadable, said in ``problems``): of
    ``inputs.parquet`` only the row groups ``share``, of another Parquet table only ``rows``."""
    required, optional = TABLES[stem]
    file = f"{stem}.{'csv' if csv else 'parquet'}"
    path = folder / file
    if not path.exists():
        if stem in REQUIRED:
            problems.add(f"{file}: missing from {folder}")
        return None
    if path.stat().st_size == 0:
        problems.add(f"{file}: the file is empty (expected the header {','.join(required)})")
        return None
    try:
        if not csv and stem == "inputs":
            streamed = _streamable(path, share)
            if streamed is not None:
                return _Table(file, None, False, path, streamed, share)
            if share is not None:
                problems.add(
                    f"{file}: cannot be read in shares (expected the columns technique,input "
                    f"with names and quantity with numbers)"
                )
                return None
        if csv:
            data = pacsv.read_csv(
                path,
                convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in required + optional},
                    strings_can_be_null=False,
                ),
            )
        else:
            repeated = [c for c in NAME_COLUMNS if c != DISTINCT.get(stem)]
            if rows is None:
                data = pq.read_table(path, read_dictionary=repeated)
            else:
                data = _read_rows(path, rows, repeated)
    except (pa.ArrowInvalid, OSError) as error:
        problems.add(f"{file}: {_unreadable(path, csv, error)}")
        return None
    found = data.column_names
    if [c for c in found if c in required] != required or any(
        c not in required + optional for c in found
    ):
        expected = ",".join(required) + "".join(f"[,{c}]" for c in optional)
        problems.add(f"{file}: wrong header {','.join(found)} (expected {expected})")
        return None
    if csv:
        data = pa.table({c: pc.utf8_trim_whitespace(data.column(c)) for c in found}, schema=None)
    table = _Table(file, data, csv)
    table.first_row = 0 if rows is None else rows.start
    return table


def _read_rows(path: Path, rows: range, dictionary: list[str]) -> pa.Table:
    """Rows ``rows`` of a Parquet file, reading only the row groups that hold them."""
    present = pq.read_schema(path).names
    source = pq.ParquetFile(path, read_dictionary=[c for c in dictionary if c in present])
    metadata = source.metadata
    ends = np.cumsum([metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)])
    first = int(np.searchsorted(ends, rows.start, side="right"))
    last = int(np.searchsorted(ends, max(rows.stop - 1, rows.start), side="right"))
    groups = list(range(first, min(last + 1, metadata.num_row_groups)))
    if not groups or not len(rows):
        return source.schema_arrow.empty_table()
    start = int(ends[first - 1]) if first else 0
    return source.read_row_groups(groups).slice(rows.start - start, len(rows))


def _unreadable(path: Path, csv: bool, error: Exception) -> str:
    """Why a file cannot be read, with the first line that is not UTF-8 text if that is it."""
    if csv and "UTF8" in str(error):
        with path.open("rb") as stream:
            for number, line in enumerate(stream, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    return f"line {number} is not UTF-8 text: save the file as UTF-8"
    return f"cannot be read ({error})".replace("\n", " ")


def _streamable(path: Path, share: range | None = None) -> int | None:
    """Rows of an inputs.parquet (of its row groups ``share``) that can be read one row group at
    a time (else None)."""
    schema = pq.ParquetFile(path).schema_arrow
    if schema.names != ["technique", "input", "quantity"]:
        return None
    kinds = [schema.field(name).type for name in ("technique", "input")]
    names_ok = all(
        pa.types.is_dictionary(k) or pa.types.is_string(k) or pa.types.is_large_string(k)
        for k in kinds
    )
    if not names_ok or not pa.types.is_floating(schema.field("quantity").type):
        return None
    metadata = pq.ParquetFile(path).metadata
    if share is None:
        return int(metadata.num_rows)
    return sum(metadata.row_group(g).num_rows for g in share)


def _stream_inputs(
    table: _Table, technique_names: pa.Array, all_inputs: pa.Array
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Technique codes, input codes and quantities, one row group at a time into numpy arrays.

    Only one row group of Arrow data is alive at once, so the peak stays near the final arrays.
    """
    assert table.path is not None
    source = pq.ParquetFile(table.path, read_dictionary=["technique", "input"])
    tech = np.empty(len(table), dtype=np.int32)
    item = np.empty(len(table), dtype=np.int32)
    quantity = np.empty(len(table), dtype=np.float64)
    techniques, inputs = NameCodes(technique_names), NameCodes(all_inputs)
    start = 0
    for group in range(source.num_row_groups) if table.groups is None else table.groups:
        part = source.read_row_group(group)
        stop = start + part.num_rows
        techniques.fill(part.column("technique"), tech[start:stop])
        inputs.fill(part.column("input"), item[start:stop])
        for chunk in part.column("quantity").chunks:
            quantity[start : start + len(chunk)] = chunk.to_numpy(zero_copy_only=False)
            start += len(chunk)
        del part
    techniques.finish()
    inputs.finish()
    return tech, item, quantity


def _strings(column: pa.ChunkedArray) -> pa.Array:
    """A plain string array of a (possibly dictionary-encoded) column, for small tables."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(pa.string())
    return column.combine_chunks().cast(pa.large_string())


def codes(column: pa.ChunkedArray, names: pa.Array, out: np.ndarray | None = None) -> np.ndarray:
    """Index of each value of ``column`` in ``names`` (−1 where absent), without Python objects.

    ``out`` (int32) receives them in place of a new array. See ``NameCodes``.
    """
    if not pa.types.is_dictionary(column.type):
        names = names.cast(pa.large_string())
        found = pc.index_in(column.cast(pa.large_string()), value_set=names)
        indices = np.asarray(found.fill_null(-1).to_numpy(), dtype=np.int64)
        if out is None:
            return indices
        out[:] = indices
        return out
    if out is None:
        out = np.empty(len(column), dtype=np.int32)
    lookup = NameCodes(names)
    lookup.fill(column, out)
    lookup.finish()
    return out


class NameCodes:
    """Indexes in ``names`` of the values of dictionary-encoded columns, a row group at a time.

    A dictionary that is a run of ``names`` (as kuzbass writes a row group's techniques) shifts
    its indices by the run's offset; the next run is looked for where the last one ended. Any
    other dictionary (a row group's inputs: a few names drawn from all products) is not hashed
    against ``names`` on its own: its indices wait in ``out`` and all waiting dictionaries are
    mapped by one lookup in ``names`` (``finish``, or when as many entries wait as ``names``
    has), instead of one hash of millions of names per row group.
    """

    def __init__(self, names: pa.Array) -> None:
        self.names = names.cast(pa.large_string())
        self.next_run = 0
        self.waiting: list[tuple[pa.Array, np.ndarray]] = []
        self.waiting_entries = 0

    def fill(self, column: pa.ChunkedArray, out: np.ndarray) -> None:
        """out[:] = the index in ``names`` of each value (−1 where absent or null; some only
        after ``finish``)."""
        mapped: dict[tuple[int, ...], int | pa.Array] = {}
        start = 0
        for chunk in column.chunks:
            if not len(chunk):
                continue
            target = out[start : start + len(chunk)]
            start += len(chunk)
            indices = chunk.indices
            if chunk.null_count:
                indices = indices.fill_null(0)
            indices = indices.to_numpy(zero_copy_only=False)
            # the Parquet reader hands every batch of a row group the same dictionary buffers
            key = tuple(b.address if b is not None else 0 for b in chunk.dictionary.buffers())
            key += (len(chunk.dictionary), chunk.dictionary.offset)
            if key not in mapped:
                dictionary = chunk.dictionary.cast(pa.large_string())
                offset = self._run_offset(dictionary)
                mapped[key] = dictionary if offset is None else offset
            mapping = mapped[key]
            nulls = (
                np.asarray(chunk.is_null().to_numpy(zero_copy_only=False))
                if chunk.null_count
                else None
            )
            if isinstance(mapping, int):
                np.add(indices, mapping, out=target, casting="unsafe")
                if nulls is not None:
                    target[nulls] = -1
            else:
                target[:] = indices
                if nulls is not None:
                    target[nulls] = len(mapping)  # one past the dictionary: mapped to −1
                self._wait(mapping, target)

    def _run_offset(self, dictionary: pa.Array) -> int | None:
        """Where ``dictionary`` lies in ``names`` as one run, or None."""
        count = len(dictionary)
        if not count or count > len(self.names):
            return None
        for first in (self.next_run, self.next_run - 1):
            if 0 <= first <= len(self.names) - count and self.names[first] == dictionary[0]:
                break
        else:
            if 4 * count < len(self.names):
                return None  # a small dictionary waits for one lookup with the others
            first = pc.index(self.names, dictionary[0]).as_py()
        if first < 0 or first + count > len(self.names):
            return None
        if not dictionary.equals(self.names.slice(first, count)):
            return None
        self.next_run = first + count
        return int(first)

    def _wait(self, dictionary: pa.Array, target: np.ndarray) -> None:
        if not self.waiting or self.waiting[-1][0] is not dictionary:
            self.waiting_entries += len(dictionary)
        self.waiting.append((dictionary, target))
        if self.waiting_entries >= len(self.names):
            self.finish()

    def finish(self) -> None:
        """Map every waiting dictionary's indices, with one hash of ``names``."""
        if not self.waiting:
            return
        distinct: dict[int, pa.Array] = {id(d): d for d, _ in self.waiting}
        starts = np.cumsum([0] + [len(d) for d in distinct.values()])
        at = dict(zip(distinct, starts[:-1].tolist(), strict=True))
        joined = pa.concat_arrays(list(distinct.values()))
        found = pc.index_in(joined, value_set=self.names).fill_null(-1)
        positions = np.asarray(found.to_numpy(), dtype=np.int32)
        for dictionary, target in self.waiting:
            first = at[id(dictionary)]
            mapping = np.append(positions[first : first + len(dictionary)], -1)
            np.take(mapping, target, out=target)
        self.waiting = []
        self.waiting_entries = 0


def _numbers(
    table: _Table,
    column: str,
    problems: Problems,
    empty: float | None = None,
    allow_negative: bool = False,
    positive: bool = False,
    values: np.ndarray | None = None,
) -> np.ndarray:
    """The column as float64; reports non-numbers, NaN, infinities and negatives by row."""
    if values is not None:
        return _check_numbers(values, table, column, problems, allow_negative, positive)
    data = table.data.column(column)
    if pa.types.is_string(data.type) or pa.types.is_large_string(data.type):
        text = data.combine_chunks()
        blank = np.asarray(pc.equal(text, "").to_numpy(zero_copy_only=False), dtype=bool)
        if empty is not None:
            text = pc.if_else(pc.equal(text, ""), str(empty), text)
        try:
            values = np.asarray(pc.cast(text, pa.float64()).to_numpy(), dtype=np.float64)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            parsed = pd.to_numeric(
                pd.Series(text.to_pandas(), dtype=object), errors="coerce"
            ).to_numpy(dtype=np.float64)
            bad = np.isnan(parsed) & ~blank
            problems.rows(
                np.flatnonzero(bad),
                lambda i: f"{_about(table, i)}{column} {table.value(column, i)!r} is not a number",
                table.where,
            )
            values = np.where(bad, 0.0, parsed)  # reported once, not again as NaN
        if empty is None:
            problems.rows(
                np.flatnonzero(blank), lambda i: f"{_about(table, i)}{column} is empty", table.where
            )
        values = np.where(blank & (empty is None), 0.0, values)
        return _check_numbers(values, table, column, problems, allow_negative, positive)
    values = np.asarray(data.to_numpy(), dtype=np.float64)
    return _check_numbers(values, table, column, problems, allow_negative, positive)


def _check_numbers(
    values: np.ndarray,
    table: _Table,
    column: str,
    problems: Problems,
    allow_negative: bool,
    positive: bool,
) -> np.ndarray:
    if not allow_negative and _sound(values, positive, column in {"capacity", "available"}):
        return values

    def say(i: int) -> str:
        return f"{_about(table, i)}{column} is {table.value(column, i)!r}"

    nan = np.isnan(values)
    if nan.any():
        problems.rows(np.flatnonzero(nan), lambda i: f"{say(i)}, not a number (NaN)", table.where)
    infinite = np.isinf(values) & (values < 0 if column in {"capacity", "available"} else True)
    if infinite.any():
        problems.rows(np.flatnonzero(infinite), lambda i: f"{say(i)}, infinite", table.where)
    if positive:
        bad = np.flatnonzero(values <= 0)
        problems.rows(bad, lambda i: f"{say(i)}: must be positive", table.where)
    elif not allow_negative:
        bad = np.flatnonzero(values < 0)
        why = " (only final demand may be negative)" if _about(table, 0) else ""
        problems.rows(bad, lambda i: f"{say(i)}: must not be negative{why}", table.where)
    return values


def _about(table: _Table, i: int) -> str:
    """``technique 'x', input 'y': `` for a row of a coefficient table, else nothing."""
    if {"technique", "input"} <= set(table.data.column_names) and len(table):
        return f"{_pair(table, i)}: "
    return ""


def _sound(values: np.ndarray, positive: bool, unlimited: bool) -> bool:
    """Whether every value is a number ≥ 0 (> 0 if ``positive``), finite unless ``unlimited``:
    one pass a block at a time, so that 200 million good rows cost no row-by-row masks."""
    for start in range(0, len(values), BLOCK):
        part = values[start : start + BLOCK]
        low = part > 0 if positive else part >= 0  # false for NaN too
        if not bool((low & (part <= np.inf if unlimited else part < np.inf)).all()):
            return False
    return True


def _unique_names(table: _Table, column: str, problems: Problems) -> pa.Array:
    names = _strings(table.data.column(column))
    blank = np.flatnonzero(np.asarray(pc.equal(names, "").to_numpy(zero_copy_only=False)))
    problems.rows(blank, lambda i: f"{column} name is empty", table.where)
    if not _increasing(names) and pc.count_distinct(names).as_py() != len(names):
        listed = pd.Series(names.to_pandas())
        unique = listed.drop_duplicates(keep="first")
        first = pd.Series(unique.index, index=unique.to_numpy())
        trimmed = " (spaces around names are ignored)" if table.csv else ""
        problems.rows(
            np.flatnonzero(listed.duplicated(keep="first").to_numpy()),
            lambda i: (
                f"{column} {listed[i]!r} is listed twice, first at "
                f"{table.line(int(first[listed[i]]))}{trimmed}"
            ),
            table.where,
        )
    return names


def _increasing(names: pa.Array) -> bool:
    """Whether the names are in strictly increasing order, so all different: one pass, where
    counting distinct names hashes each (as kuzbass writes them, they are sorted)."""
    if len(names) < 2:
        return True
    later = pc.greater(names.slice(1), names.slice(0, len(names) - 1))
    return pc.all(later, skip_nulls=False).as_py() is True


def _lookup(
    table: _Table,
    column: str,
    names: pa.Array,
    problems: Problems,
    what: str,
    found: np.ndarray | None = None,
) -> np.ndarray:
    if found is None:
        found = codes(table.data.column(column), names)
    unknown = np.flatnonzero(found < 0)
    problems.rows(
        unknown,
        lambda i: f"unknown {what} {table.value(column, i)!r} in column {column}",
        table.where,
    )
    return found


def _as_index(names: pa.Array, label: str) -> pd.Index:
    return pd.Index(names.cast(pa.string()).to_pandas(), name=label)


def _labels(column: pa.ChunkedArray) -> np.ndarray:
    """Repeated labels (units) as an object array sharing one str per distinct value."""
    if pa.types.is_dictionary(column.type) and column.num_chunks == 1 and not column.null_count:
        encoded = column.chunk(0)  # already encoded by the file: no need to hash every label
    else:
        encoded = pc.dictionary_encode(_strings(column))
    words = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    return words[encoded.indices.to_numpy(zero_copy_only=False)]


BLOCK = 1 << 16
"""Rows per pass over the input arrays, so that temporaries stay small and in cache."""


def _per_unit_matrix(
    rows: np.ndarray,
    columns: np.ndarray,
    quantity: np.ndarray,
    output: np.ndarray,
    shape: tuple[int, int],
    table: _Table,
    problems: Problems,
    names: Callable[[int], str],
    in_place: bool = False,
) -> sp.csc_array:
    """CSC matrix of quantity/output; rejects duplicate (technique, input) pairs by row.

    Rows ordered by technique (as kuzbass writes them) need no sort: the quantities are divided
    block by block straight into the matrix's own data. (Dividing them in place would leave the
    data a view of all the input rows, which scipy copies again when it slices the matrix; an
    MPI rank's share, whose matrix is not sliced, divides them ``in_place``.)
    """
    rows = rows.astype(np.int32, copy=False)
    columns = columns.astype(np.int32, copy=False)
    if _ordered(columns):
        data = quantity if in_place else np.empty(len(quantity))
        scale = np.empty(min(BLOCK, len(quantity)))
        for start in range(0, len(data), BLOCK):
            part = slice(start, start + BLOCK)
            size = len(data[part])
            np.take(output, columns[part], out=scale[:size])
            np.divide(quantity[part], scale[:size], out=data[part])
        indptr = np.searchsorted(columns, np.arange(shape[1] + 1, dtype=columns.dtype))
        if indptr[-1] < np.iinfo(np.int32).max:
            indptr = indptr.astype(np.int32)
        matrix = sp.csc_array((data, rows, indptr), shape=shape)
        if not matrix.has_sorted_indices:
            matrix.indices = matrix.indices.copy()  # sorting must not move the rows we name
            matrix.sort_indices()
        same = matrix.indices[1:] == matrix.indices[:-1]
        # a pair across a column boundary is no duplicate; techniques without inputs at either
        # end of the matrix put boundaries before the first pair or after the last
        starts = matrix.indptr[1:-1] - 1
        same[starts[(starts >= 0) & (starts < len(same))]] = False
        duplicated = bool(same.any())
    else:
        data = quantity / output[columns]
        matrix = sp.coo_array((data, (rows, columns)), shape=shape).tocsc()
        duplicated = matrix.nnz < len(data)
    if duplicated:
        pairs = pd.DataFrame({"t": columns, "i": rows})
        first = pairs.duplicated(keep="first").to_numpy()
        earlier = pairs[~first].reset_index().set_index(["t", "i"])["index"]
        for i in np.flatnonzero(first)[: problems.limit]:
            key = (int(columns[i]), int(rows[i]))
            problems.add(
                f"{table.where(int(i))}: duplicate row for {names(int(i))}, already given at "
                f"{table.where(int(earlier.loc[key]))} (rows are not summed: remove one)"
            )
    return matrix


def _ordered(columns: np.ndarray) -> bool:
    """Whether ``columns`` never decreases, checked a block at a time."""
    for start in range(0, max(len(columns) - 1, 0), BLOCK):
        part = columns[start : start + BLOCK + 1]
        if not bool(np.all(part[1:] >= part[:-1])):
            return False
    return True


def read_canonical(folder: Path, fmt: str, share: range | None = None) -> Economy:
    """Read a canonical CSV or Parquet folder, or raise EconomyError listing every problem.

    ``share`` reads only these row groups of ``inputs.parquet`` (one MPI rank's share, see
    ``kuzbass.distributed``): the coefficient matrices then hold only their rows, and errors
    name rows by their place in the whole file.
    """
    csv = fmt == "csv"
    problems = Problems()
    tables = {
        stem: _load(folder, stem, csv, problems, share if stem == "inputs" else None)
        for stem in TABLES
    }
    problems.raise_if_any()
    products_t = tables["products"]
    techniques_t = tables["techniques"]
    inputs_t = tables["inputs"]
    resources_t = tables["resources"]
    assert products_t is not None and techniques_t is not None
    assert inputs_t is not None and resources_t is not None
    for required in (products_t, techniques_t):
        if len(required) == 0:
            problems.add(f"{required.file}: no rows")
    problems.raise_if_any()

    product_names = _unique_names(products_t, "product", problems)
    resource_names = _unique_names(resources_t, "resource", problems)
    technique_names = _unique_names(techniques_t, "technique", problems)
    # hash the few resource names, not the many product names
    clashing = product_names.filter(pc.is_in(product_names, value_set=resource_names))
    clash = pc.is_in(resource_names, value_set=clashing).to_numpy(zero_copy_only=False)
    problems.rows(
        np.flatnonzero(clash),
        lambda i: f"resource {resources_t.value('resource', i)!r} is also a product name",
        resources_t.where,
    )
    n, r, m = len(product_names), len(resource_names), len(technique_names)

    technique_product = _lookup(techniques_t, "product", product_names, problems, "product")
    output = _numbers(techniques_t, "output", problems, positive=True)
    if "capacity" in techniques_t.data.column_names:
        capacity = _numbers(techniques_t, "capacity", problems, empty=np.inf)
    else:
        capacity = np.full(m, np.inf)
    available = _numbers(resources_t, "available", problems, empty=np.inf)
    problems.raise_if_any()

    made = np.zeros(n, dtype=bool)
    made[technique_product] = True
    problems.rows(
        np.flatnonzero(~made),
        lambda i: f"product {products_t.value('product', i)!r} is made by no technique",
        products_t.where,
    )

    all_inputs = pa.concat_arrays([product_names, resource_names])
    tech = item = values = None
    if inputs_t.path is not None:
        tech, item, values = _stream_inputs(inputs_t, technique_names, all_inputs)
    tech = _lookup(inputs_t, "technique", technique_names, problems, "technique", tech)
    item = _lookup(
        inputs_t, "input", all_inputs, problems, "input (neither product nor resource)", item
    )
    quantity = _numbers(inputs_t, "quantity", problems, values=values)
    problems.raise_if_any()

    is_resource = item >= n
    product_rows = _rows_of(~is_resource)
    resource_rows = _rows_of(is_resource)
    input_coefficients = _per_unit_matrix(
        item[product_rows],
        tech[product_rows],
        quantity[product_rows],
        output,
        (n, m),
        inputs_t,
        problems,
        partial(_pair_at, inputs_t, product_rows),
    )
    resource_coefficients = _per_unit_matrix(
        item[resource_rows] - n,
        tech[resource_rows],
        quantity[resource_rows],
        output,
        (r, m),
        inputs_t,
        problems,
        partial(_pair_at, inputs_t, resource_rows),
    )
    del tech, item, quantity
    tables.pop("inputs")  # the input rows are in the matrices now: free them
    del inputs_t

    capital = depreciation = None
    for stem in ("capital", "depreciation"):
        table = tables[stem]
        if table is None:
            continue
        value_column = "quantity" if stem == "capital" else "rate"
        t = _lookup(table, "technique", technique_names, problems, "technique")
        k = _lookup(table, "input", product_names, problems, "product")
        v = _numbers(table, value_column, problems)
        problems.raise_if_any()
        matrix = _per_unit_matrix(
            k,
            t,
            v,
            output if stem == "capital" else np.ones(m),
            (n, m),
            table,
            problems,
            partial(_pair, table),
        )
        if stem == "capital":
            capital = matrix
        else:
            depreciation = matrix

    targets = None
    if tables["demand"] is not None:
        targets = _targets(tables["demand"], product_names, problems)
    schedule = None
    if tables["resource_schedule"] is not None:
        table = tables["resource_schedule"]
        _lookup(table, "resource", resource_names, problems, "resource")
        year = _numbers(table, "year", problems, positive=True)
        amount = _numbers(table, "available", problems, empty=np.inf)
        schedule = pd.DataFrame(
            {
                "resource": _strings(table.data.column("resource")).to_pandas(),
                "year": year.astype(np.int64),
                "available": amount,
            }
        )
    problems.raise_if_any()

    return Economy(
        products=_as_index(product_names, "product"),
        product_units=_labels(products_t.data.column("unit")),
        techniques=_as_index(technique_names, "technique"),
        technique_product=technique_product.astype(np.int64),
        technique_output=output,
        technique_capacity=capacity,
        input_coefficients=input_coefficients,
        resources=_as_index(resource_names, "resource"),
        resource_units=_labels(resources_t.data.column("unit")),
        resource_available=available,
        resource_coefficients=resource_coefficients,
        targets=targets,
        capital_coefficients=capital,
        depreciation=depreciation,
        resource_schedule=schedule,
    )


def _pair(table: _Table, i: int) -> str:
    return f"technique {table.value('technique', i)!r}, input {table.value('input', i)!r}"


def _pair_at(table: _Table, rows: slice | np.ndarray, i: int) -> str:
    return _pair(table, _position(rows, i))


def _rows_of(mask: np.ndarray) -> slice | np.ndarray:
    """The rows where mask holds: a slice (no copy) when they are one contiguous block."""
    count = int(mask.sum())
    if count == 0:
        return slice(0, 0)
    first = int(np.argmax(mask))
    if bool(mask[first : first + count].all()):
        return slice(first, first + count)
    return np.flatnonzero(mask)


def _position(rows: slice | np.ndarray, i: int) -> int:
    return (rows.start or 0) + i if isinstance(rows, slice) else int(rows[i])


def _targets(table: _Table, product_names: pa.Array, problems: Problems) -> pd.DataFrame:
    _lookup(table, "product", product_names, problems, "product")
    # final demand may be negative: a stock run down (inventory changes in national tables)
    quantity = _numbers(table, "quantity", problems, allow_negative=True)
    columns = table.data.column_names
    year = _numbers(table, "year", problems, positive=True) if "year" in columns else None
    priority = (
        _numbers(table, "priority", problems, positive=True) if "priority" in columns else None
    )
    weight = _numbers(table, "weight", problems) if "weight" in columns else None
    rows = len(table)
    return pd.DataFrame(
        {
            "product": _strings(table.data.column("product")).to_pandas(),
            "quantity": quantity,
            "year": np.ones(rows, np.int64) if year is None else year.astype(np.int64),
            "priority": np.ones(rows, np.int64) if priority is None else priority.astype(np.int64),
            "weight": np.ones(rows) if weight is None else weight,
        }
    )


def table_rows(path: Path) -> int:
    """Rows of a Parquet file from its footer (0 when it cannot be read: its reader says why)."""
    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except (OSError, pa.ArrowInvalid):
        return 0


class TableShare:
    """Rows ``rows`` of one Parquet table of an economy folder (all when None): an MPI rank's
    share, checked as ``read_canonical`` checks the whole table, each problem naming its row by
    its place in the whole file. Problems go to ``problems``; ``table`` is None when the table is
    absent or unreadable (said there)."""

    def __init__(self, folder: Path, stem: str, rows: range | None, problems: Problems) -> None:
        self.problems = problems
        self.table = _load(folder, stem, False, problems, rows=rows)

    def names(self, column: str) -> pa.Array:
        """The column's names (empty ones reported; names listed twice may be on other ranks)."""
        assert self.table is not None
        names = _strings(self.table.data.column(column))
        blank = np.flatnonzero(np.asarray(pc.equal(names, "").to_numpy(zero_copy_only=False)))
        self.problems.rows(blank, lambda i: f"{column} name is empty", self.table.where)
        return names

    def strings(self, column: str) -> pa.Array:
        """The column's values as plain strings (names of other tables' rows)."""
        assert self.table is not None
        return _strings(self.table.data.column(column))

    def numbers(self, column: str, **checks: Any) -> np.ndarray:
        """The column as float64, checked as ``read_canonical`` checks it (``_numbers``)."""
        assert self.table is not None
        if column not in self.table.data.column_names:
            return np.full(len(self.table), checks.get("empty", 1.0))
        return _numbers(self.table, column, self.problems, **checks)

    def unknown(self, column: str, found: np.ndarray, what: str) -> None:
        """Report the rows whose ``column`` names nothing (``found`` < 0)."""
        assert self.table is not None
        _lookup(self.table, column, pa.array([], pa.large_string()), self.problems, what, found)

    def where(self, i: int) -> str:
        assert self.table is not None
        return self.table.where(i)


class InputShare:
    """One MPI rank's row groups ``share`` of ``inputs.parquet``, read without the economy's names.

    Each row's technique and input are codes into this share's own lists of the names it uses
    (``techniques``, ``inputs``: a few per row group, as kuzbass writes them), which the ranks
    then turn into indexes together (``kuzbass.distributed``); ``coefficients`` then checks the
    rows as ``read_canonical`` does, naming them by their place in the whole file.
    """

    def __init__(self, folder: Path, share: range, problems: Problems) -> None:
        table = _load(folder, "inputs", False, problems, share)
        problems.raise_if_any()
        assert table is not None and table.path is not None
        self.table = table
        source = pq.ParquetFile(table.path, read_dictionary=["technique", "input"])
        self.technique_codes = np.empty(len(table), dtype=np.int32)
        self.input_codes = np.empty(len(table), dtype=np.int32)
        self.quantity = np.empty(len(table), dtype=np.float64)
        techniques, inputs = _Vocabulary(), _Vocabulary()
        start = 0
        for group in share:
            part = source.read_row_group(group)
            stop = start + part.num_rows
            techniques.fill(part.column("technique"), self.technique_codes[start:stop])
            inputs.fill(part.column("input"), self.input_codes[start:stop])
            at = start
            for chunk in part.column("quantity").chunks:
                self.quantity[at : at + len(chunk)] = chunk.to_numpy(zero_copy_only=False)
                at += len(chunk)
            start = stop
            del part
        self.techniques = techniques.finish()
        self.inputs = inputs.finish()

    def coefficients(
        self,
        technique: np.ndarray,
        item: np.ndarray,
        output: np.ndarray,
        shape: tuple[int, int],
        problems: Problems,
    ) -> tuple[sp.csc_array, sp.csc_array]:
        """The input and resource coefficients of the share's techniques (column j: technique
        ``techniques[j]``), from each listed technique's index in the economy (``technique``, −1
        when unknown) and output, and each listed input's index among the products then the
        resources (``item``, −1 when unknown); ``shape`` is (products, resources). Raises
        EconomyError naming the bad rows. The input codes become the inputs' indexes."""
        table = self.table
        for codes, found, column, what in (
            (self.technique_codes, technique, "technique", "technique"),
            (self.input_codes, item, "input", "input (neither product nor resource)"),
        ):
            bad = np.flatnonzero(found < 0)
            if len(bad):
                unknown = -np.isin(codes, bad).astype(np.int8)  # −1 on the rows naming them
                _lookup(table, column, pa.array([], pa.large_string()), problems, what, unknown)
        problems.raise_if_any()
        np.take(item.astype(np.int32), self.input_codes, out=self.input_codes)
        _numbers(table, "quantity", problems, values=self.quantity)
        problems.raise_if_any()
        n, r = shape
        tech, places, quantity = self.technique_codes, self.input_codes, self.quantity
        is_resource = places >= n
        matrices = []
        for kept, rows, offset in ((~is_resource, n, 0), (is_resource, r, n)):
            at = _rows_of(kept)
            matrices.append(
                _per_unit_matrix(
                    places[at] - np.int32(offset) if offset else places[at],
                    tech[at],
                    quantity[at],
                    output,
                    (rows, len(output)),
                    table,
                    problems,
                    partial(_pair_at, table, at),
                    in_place=True,
                )
            )
        problems.raise_if_any()
        return matrices[0], matrices[1]


class _Vocabulary:
    """The distinct names of a dictionary-encoded column read a row group at a time: ``fill``
    gives each value a code into ``names``. Row groups' dictionaries wait until they hold as
    many names as found so far, then join ``names`` with one hash (as ``NameCodes`` does), so
    that the names kept stay about the distinct ones."""

    def __init__(self) -> None:
        self.names = pa.array([], pa.large_string())
        self.waiting: list[pa.Array] = []
        self.waiting_size = 0
        self.pending: list[np.ndarray] = []

    def fill(self, column: pa.ChunkedArray, out: np.ndarray) -> None:
        seen: dict[tuple[int, ...], int] = {}
        start = 0
        for chunk in column.chunks:
            target = out[start : start + len(chunk)]
            start += len(chunk)
            if not pa.types.is_dictionary(chunk.type):
                chunk = pc.dictionary_encode(chunk)
            # the Parquet reader hands every batch of a row group the same dictionary buffers
            key = tuple(b.address if b is not None else 0 for b in chunk.dictionary.buffers())
            key += (len(chunk.dictionary), chunk.dictionary.offset)
            if key not in seen:
                seen[key] = self._wait(chunk.dictionary.cast(pa.large_string()))
            indices = chunk.indices.fill_null(0).to_numpy(zero_copy_only=False)
            np.add(indices, seen[key], out=target, casting="unsafe")
            if chunk.null_count:
                nulls = np.asarray(chunk.is_null().to_numpy(zero_copy_only=False))
                target[nulls] = self._wait(pa.nulls(1, pa.large_string()))
        self.pending.append(out)
        if self.waiting_size >= max(len(self.names), 1 << 20):
            self._join()

    def _wait(self, names: pa.Array) -> int:
        self.waiting.append(names)
        self.waiting_size += len(names)
        return self.waiting_size - len(names)

    def _join(self) -> None:
        if not self.waiting:
            return
        waiting = pa.concat_arrays(self.waiting)
        self.names = pc.unique(pa.concat_arrays([self.names, waiting]))  # old names keep places
        place = np.asarray(pc.index_in(waiting, value_set=self.names).to_numpy(), dtype=np.int32)
        for codes in self.pending:
            np.take(place, codes, out=codes)
        self.waiting, self.waiting_size, self.pending = [], 0, []

    def finish(self) -> pa.Array:
        """The distinct names, once every code filled points into them."""
        self._join()
        return self.names


def write_canonical(economy: Economy, folder: Path, fmt: str) -> None:
    """Write the economy as a canonical folder; a failure leaves any existing folder untouched.

    Tables go to a temporary folder beside the target, which then replaces it in one rename.
    An existing folder is replaced only if it is empty or an economy folder. A CSV folder is
    refused for names with spaces around them, which its reader would drop.
    """
    with replacing_economy_folder(Path(folder)) as staging:
        write_tables(economy, staging, fmt)


@contextmanager
def replacing_economy_folder(folder: Path) -> Iterator[Path]:
    """A new folder to write an economy into, which then replaces ``folder`` (see
    ``files.replacing_folder``) — refused when ``folder`` holds anything but an economy."""
    if folder.exists() and not (folder.is_dir() and _replaceable(folder)):
        raise EconomyError(
            [
                f"{folder}: exists and is not an economy folder; nothing was written "
                f"(choose a new folder, or remove it first)"
            ]
        )
    with files.replacing_folder(folder) as staging:
        yield staging


def _replaceable(folder: Path) -> bool:
    """Whether ``folder`` is empty or an economy folder, which writing an economy may replace."""
    if not any(folder.iterdir()):
        return True
    try:
        detect_format(folder)
    except EconomyError:
        return False
    return True


def write_tables(economy: Economy, folder: Path, fmt: str) -> None:
    """Write the economy's tables into the existing folder ``folder`` (``csv`` or ``parquet``)."""
    if fmt == "csv":
        _check_csv_names(economy)
    for stem, table in _tables(economy):
        if fmt == "csv":
            frame = table.to_pandas()
            for column in ("capacity", "available"):
                if column in frame:
                    frame[column] = frame[column].where(np.isfinite(frame[column]))
            frame.to_csv(folder / f"{stem}.csv", index=False, na_rep="")
        else:
            _write_parquet(table, folder / f"{stem}.parquet")


def _check_csv_names(economy: Economy) -> None:
    problems = Problems()
    for label, index in (
        ("product", economy.products),
        ("technique", economy.techniques),
        ("resource", economy.resources),
    ):
        names = _names(index)
        padded = pc.not_equal(pc.utf8_trim_whitespace(names), names).to_numpy(zero_copy_only=False)
        for i in np.flatnonzero(padded)[: problems.limit]:
            problems.add(
                f"{label} {str(index[i])!r} has spaces at its start or end, which a CSV folder "
                f"drops: write Parquet, or rename it"
            )
    problems.raise_if_any()


ROW_GROUP = 1 << 22
"""Rows per Parquet row group: about fifty in a file of 10⁷ products, so that MPI ranks can each
read a share of the rows (``kuzbass.distributed``); each is still large enough to be read in one
go at full speed."""


def _write_parquet(table: pa.Table, path: Path) -> None:
    """Write ``table`` with each row group's name dictionaries cut to the names it uses.

    A reader decodes and hashes every row group's dictionaries. The inputs are ordered by
    technique, so each row group's technique dictionary is its own run of techniques, and its
    input dictionary only the products it uses, instead of all of them in every row group.
    """
    encoded = [c for c in table.column_names if c in NAME_COLUMNS]
    rows = ROW_GROUP
    with pq.ParquetWriter(
        path,
        table.schema,
        use_dictionary=encoded,
        dictionary_pagesize_limit=1 << 30,
        write_statistics=False,  # min/max of names would cost 3× the write
    ) as writer:
        for batch in table.to_batches(max_chunksize=rows):
            columns = [_used(column) for column in batch.columns]
            writer.write_batch(pa.record_batch(columns, schema=table.schema), row_group_size=rows)


def _used(column: pa.Array) -> pa.Array:
    """A dictionary column re-encoded with only the names it uses, in the dictionary's order:
    the run from the first to the last when it uses most of the run (a row group's techniques,
    which a reader maps by the run's offset), else those names alone (a row group's inputs)."""
    if not pa.types.is_dictionary(column.type) or len(column) == 0 or column.null_count:
        return column
    indices = column.indices.to_numpy()
    low, high = int(indices.min()), int(indices.max())
    used = np.zeros(high - low + 1, dtype=bool)
    used[indices - low] = True
    count = int(np.count_nonzero(used))
    if 2 * count > len(used):
        return pa.DictionaryArray.from_arrays(
            pa.array(indices - np.int32(low), type=column.type.index_type),
            column.dictionary.slice(low, high - low + 1),
        )
    kept = np.flatnonzero(used)
    position = np.cumsum(used, dtype=np.int32) - 1
    return pa.DictionaryArray.from_arrays(
        pa.array(position[indices - low], type=column.type.index_type),
        column.dictionary.take(pa.array(kept + low)),
    )


def _names(index: pd.Index) -> pa.Array:
    return pa.array(index.astype("str").array).cast(pa.large_string())


def _number_column(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.float64))


def _unit_column(units: np.ndarray) -> pa.Array:
    return pc.dictionary_encode(pa.array(np.asarray(units, dtype=object).astype(str)))


def _triples(
    matrix: sp.csc_array, scale: np.ndarray, techniques: pa.Array, inputs: pa.Array, offset: int = 0
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(technique, input, quantity) columns of a coefficient matrix, dictionary-encoded names."""
    matrix = sp.csc_array(matrix)
    counts = np.diff(matrix.indptr)
    column = np.repeat(np.arange(matrix.shape[1], dtype=np.int32), counts)
    technique = pa.DictionaryArray.from_arrays(pa.array(column), techniques)
    item = pa.DictionaryArray.from_arrays(
        pa.array(matrix.indices.astype(np.int32) + np.int32(offset)), inputs
    )
    quantity = pa.array(matrix.data * scale[column])
    return technique, item, quantity


def _tables(economy: Economy) -> list[tuple[str, pa.Table]]:
    products = _names(economy.products)
    techniques = _names(economy.techniques)
    resources = _names(economy.resources)
    all_inputs = pa.concat_arrays([products, resources])
    output = np.asarray(economy.technique_output, dtype=np.float64)
    made = pa.DictionaryArray.from_arrays(
        pa.array(np.asarray(economy.technique_product, dtype=np.int32)), products
    )
    goods = _triples(economy.input_coefficients, output, techniques, all_inputs)
    used = _triples(economy.resource_coefficients, output, techniques, all_inputs, len(products))
    tables = [
        ("products", pa.table({"product": products, "unit": _unit_column(economy.product_units)})),
        (
            "techniques",
            pa.table(
                {
                    "technique": techniques,
                    "product": made,
                    "output": _number_column(output),
                    "capacity": _number_column(economy.technique_capacity),
                }
            ),
        ),
        (
            "inputs",
            pa.table(
                {
                    "technique": pa.chunked_array([goods[0], used[0]]),
                    "input": pa.chunked_array([goods[1], used[1]]),
                    "quantity": pa.chunked_array([goods[2], used[2]]),
                }
            ),
        ),
        (
            "resources",
            pa.table(
                {
                    "resource": resources,
                    "unit": _unit_column(economy.resource_units),
                    "available": _number_column(economy.resource_available),
                }
            ),
        ),
    ]
    if economy.targets is not None:
        tables.append(("demand", pa.Table.from_pandas(economy.targets, preserve_index=False)))
    for stem, matrix, scale, column in (
        ("capital", economy.capital_coefficients, output, "quantity"),
        ("depreciation", economy.depreciation, np.ones(len(output)), "rate"),
    ):
        if matrix is not None:
            t, i, v = _triples(matrix, scale, techniques, all_inputs)
            tables.append((stem, pa.table({"technique": t, "input": i, column: v})))
    if economy.resource_schedule is not None:
        tables.append(
            (
                "resource_schedule",
                pa.Table.from_pandas(economy.resource_schedule, preserve_index=False),
            )
        )
    return tables
