"""Each rank's share of a Parquet economy, read so that no rank holds a whole table of names.

A rank reads its row groups of ``inputs.parquet`` (see ``rows``) and about equal shares of the
rows of ``products.parquet``, ``techniques.parquet`` and ``demand.parquet``; the resources and
their schedule are short and read whole by every rank. The ranks then turn names into indexes
together (``names.Directory``): a product's index is its row in ``products.parquet``, a
technique's its row in ``techniques.parquet``. Each check of ``read_canonical`` is made by the
rank holding the row, which names it by its place in the whole file, and ``Ranks.agree`` stops
every rank when one finds a problem.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from kuzbass.distributed.names import Directory, send_names
from kuzbass.economy.canonical import InputShare, TableShare, table_rows
from kuzbass.economy.errors import EconomyError, Problems

if TYPE_CHECKING:
    from kuzbass.distributed.ranks import Ranks


@dataclass
class Share:
    """A rank's techniques (those its input rows name) with their coefficients as columns."""

    inputs: sp.csc_array
    """products × techniques: inputs per unit of output."""
    resources: sp.csc_array
    """resources × techniques: resources per unit of output."""
    made: np.ndarray
    """The product each technique makes."""
    active: np.ndarray
    """Whether each technique is its product's active one."""
    products: int
    resource_names: list[str]
    techniques: int
    years: int
    targets: int
    read: dict[str, int]
    """Rows this rank read of each table (shows that no rank reads a whole table of names)."""


def read_share(ranks: Ranks, folder: Path, groups: range, active: list[str] | None) -> Share:
    """This rank's share of the Parquet economy in ``folder``: its row groups ``groups`` of
    ``inputs.parquet``, the names they use turned into indexes by all ranks together."""
    tables = ranks.agree(
        lambda: _Tables(folder, groups, ranks.rank, ranks.size), f"reading its share of {folder}"
    )
    products = Directory(ranks, tables.product_names, tables.first_product)
    ranks.agree(lambda: _listed_twice(products, "products.parquet", "product"), "checking names")
    made, wanted = (products.lookup(names)[0] for names in (tables.made_names, tables.wanted))
    ranks.agree(lambda: tables.unknown_products(made, wanted), "looking up products")
    techniques = Directory(
        ranks, tables.technique_names, tables.first_technique, made, tables.output
    )
    ranks.agree(lambda: _listed_twice(techniques, "techniques.parquet", "technique"), "checking")
    if active:
        found = techniques.lookup(pa.array(active, pa.large_string()))[0]
        ranks.agree(lambda: _unknown_active(ranks, active, found), "choosing techniques")
    techniques.add(tables.technique_names, _choose(ranks, tables, made, active or []))
    inputs = tables.inputs
    index, product, output, is_active = techniques.lookup(inputs.techniques)
    [item] = products.lookup(inputs.inputs)
    resource = pc.index_in(inputs.inputs, value_set=tables.resource_names).fill_null(-1)
    resource = np.asarray(resource.to_numpy(), dtype=np.int64)
    item = np.where(resource >= 0, tables.products + resource, item)
    shape = (tables.products, len(tables.resource_names))
    goods, used = ranks.agree(
        lambda: inputs.coefficients(index, item, output, shape, Problems()),
        "checking its input rows",
    )
    years = max(ranks.comm.allgather(tables.years))
    return Share(
        goods,
        used,
        product,
        is_active.astype(bool),
        tables.products,
        tables.resource_names.to_pylist(),
        tables.techniques,
        years,
        tables.targets,
        tables.read,
    )


class _Tables:
    """What a rank reads on its own: its shares of the tables, with the checks that need no
    other rank's rows (raises EconomyError)."""

    def __init__(self, folder: Path, groups: range, rank: int, size: int) -> None:
        problems = Problems()
        totals = {
            stem: table_rows(folder / f"{stem}.parquet")
            for stem in ("products", "techniques", "demand")
        }
        part = {stem: range(t * rank // size, t * (rank + 1) // size) for stem, t in totals.items()}
        products = TableShare(folder, "products", part["products"], problems)
        techniques = TableShare(folder, "techniques", part["techniques"], problems)
        resources = TableShare(folder, "resources", None, problems)
        demand = schedule = None
        if (folder / "demand.parquet").exists():
            demand = TableShare(folder, "demand", part["demand"], problems)
        if (folder / "resource_schedule.parquet").exists():
            schedule = TableShare(folder, "resource_schedule", None, problems)
        problems.raise_if_any()
        for stem in ("products", "techniques"):
            if not totals[stem]:
                problems.add(f"{stem}.parquet: no rows")
        problems.raise_if_any()
        self.products, self.techniques = totals["products"], totals["techniques"]
        self.first_product, self.first_technique = part["products"].start, part["techniques"].start
        self.product_names = products.names("product")
        self.resource_names = resources.names("resource")
        resources.numbers("available", empty=np.inf)
        clash = pc.is_in(self.resource_names, value_set=self.product_names)
        problems.rows(
            np.flatnonzero(np.asarray(clash.to_numpy(zero_copy_only=False))),
            lambda i: f"resource {self.resource_names[i].as_py()!r} is also a product name",
            resources.where,
        )
        self.technique_names = techniques.names("technique")
        self.made_names = techniques.strings("product")
        self.output = techniques.numbers("output", positive=True)
        techniques.numbers("capacity", empty=np.inf)
        self.years = 1
        self.wanted = pa.array([], pa.large_string())
        if demand is not None:
            self.wanted = demand.strings("product")
            demand.numbers("quantity", allow_negative=True)
            year = demand.numbers("year", positive=True)
            demand.numbers("priority", positive=True)
            demand.numbers("weight")
            self.years = max(self.years, int(year.max()) if len(year) else 1)
        self.targets = totals["demand"]
        if schedule is not None:
            found = pc.index_in(schedule.strings("resource"), value_set=self.resource_names)
            schedule.unknown("resource", np.asarray(found.fill_null(-1).to_numpy()), "resource")
            year = schedule.numbers("year", positive=True)
            schedule.numbers("available", empty=np.inf)
            self.years = max(self.years, int(year.max()) if len(year) else 1)
        problems.raise_if_any()
        self.inputs = InputShare(folder, groups, problems)
        self.read = {
            "products": len(self.product_names),
            "techniques": len(self.technique_names),
            "inputs": len(self.inputs.quantity),
        }
        self._products, self._techniques, self._demand = products, techniques, demand

    def unknown_products(self, made: np.ndarray, wanted: np.ndarray) -> None:
        self._techniques.unknown("product", made, "product")
        if self._demand is not None:
            self._demand.unknown("product", wanted, "product")
        self._techniques.problems.raise_if_any()

    def product_where(self, index: int) -> str:
        return self._products.where(index - self.first_product)

    def product_name(self, index: int) -> str:
        return str(self.product_names[index - self.first_product].as_py())


def _listed_twice(directory: Directory, file: str, column: str) -> None:
    problems = Problems()
    for name, index, first in directory.twice()[: problems.limit]:
        problems.add(f"{file} row {index + 1}: {column} {name!r} is listed twice, first at row "
                     f"{first + 1}")  # fmt: skip
    problems.raise_if_any()


def _unknown_active(ranks: Ranks, active: list[str], found: np.ndarray) -> None:
    missing = [name for name, index in zip(active, found, strict=True) if index < 0]
    if ranks.root and missing:
        raise EconomyError(
            [f"active technique {name!r} is not a technique of this economy" for name in missing]
        )


def _choose(ranks: Ranks, tables: _Tables, made: np.ndarray, active: list[str]) -> np.ndarray:
    """Whether each of this rank's techniques is the active one of its product (int8): the only
    one making it, or the one named in ``active``. The rank holding a product's name counts its
    techniques and says what is wrong (made by none, by several and none named, two named)."""
    named = np.asarray(
        pc.is_in(tables.technique_names, value_set=pa.array(active, pa.large_string()))
        .to_numpy(zero_copy_only=False),
        dtype=np.int64,
    )  # fmt: skip
    starts = np.array([*ranks.comm.allgather(tables.first_product), tables.products])
    owner = np.searchsorted(starts, made, side="right") - 1
    mine = range(tables.first_product, tables.first_product + len(tables.product_names))

    unmade: list[np.ndarray] = []

    def count(asked: list[np.ndarray]) -> list[np.ndarray]:
        product, is_named = asked[0] - mine.start, asked[1]
        makers = np.bincount(product, minlength=len(mine))
        names = np.bincount(product, weights=is_named, minlength=len(mine)).astype(np.int64)
        unmade.append(np.flatnonzero(makers == 0))
        return [makers[product], names[product]]

    makers, names = _round_trip(ranks, owner, [made, named], count)
    none = unmade[0]

    def made_by_none() -> None:
        problems = Problems()
        problems.rows(
            none,
            lambda i: f"product {tables.product_name(i + mine.start)!r} is made by no technique",
            lambda i: tables.product_where(i + mine.start),
        )
        problems.raise_if_any()

    ranks.agree(made_by_none, "counting techniques")
    ambiguous = (makers > 1) & (names == 0)
    twice = (named > 0) & (names > 1)
    if ranks.any(bool(ambiguous.any() or twice.any())):
        wrong = np.flatnonzero(ambiguous | twice)
        said, _ = send_names(ranks, owner[wrong], tables.technique_names.take(pa.array(wrong)))
        product, index, is_named = ranks.exchange(
            owner[wrong], made[wrong], wrong + tables.first_technique, named[wrong]
        )
        ranks.agree(
            lambda: _several(tables, product, index, is_named, said.to_pylist()),
            "choosing techniques",
        )
    return ((named > 0) | (makers == 1)).astype(np.int8)


def _several(
    tables: _Tables, product: np.ndarray, index: np.ndarray, named: np.ndarray, said: list[str]
) -> None:
    """Raise the problems of the products made by several techniques none or two named."""
    problems = Problems(limit=10)
    order = np.lexsort((index, product))
    by_product: dict[int, list[tuple[str, bool]]] = {}
    for i in order:
        by_product.setdefault(int(product[i]), []).append((said[i], bool(named[i])))
    several = 0
    for p, makers in by_product.items():
        name = tables.product_name(p)
        chosen = [t for t, is_named in makers if is_named]
        if len(chosen) > 1:
            problems.add(
                f"product {name!r}: techniques {chosen[0]!r} and {chosen[1]!r} are both named "
                f"active"
            )
        elif not chosen:
            several += 1
            if several <= 10:
                listed = ", ".join(repr(t) for t, _ in makers)
                problems.add(
                    f"product {name!r} is made by several techniques ({listed}): "
                    f"name the active one"
                )
    if several > 10:
        problems.add(f"… and {several - 10} more products made by several techniques")
    problems.raise_if_any()


def _round_trip(
    ranks: Ranks,
    destination: np.ndarray,
    questions: list[np.ndarray],
    answer: Callable[[list[np.ndarray]], list[np.ndarray]],
) -> list[np.ndarray]:
    """Send row i of ``questions`` to rank ``destination[i]``, which answers all it received at
    once with ``answer`` (no failure there: it talks to no one after); the answers, in order."""
    *asked, sources = ranks.exchange(
        destination, *questions, np.full(len(destination), ranks.rank, dtype=np.int64)
    )
    back = ranks.exchange(sources, *answer(asked))
    order = np.argsort(destination, kind="stable")
    results = []
    for column in back:
        result = np.empty_like(column)
        result[order] = column
        results.append(result)
    return results
