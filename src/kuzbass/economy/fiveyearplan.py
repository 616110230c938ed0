"""Reader for the CSV folders of Paul Cockshott's 5yearplan programs (flows, cap, dep, labtarg).

Each industry (column of flows.csv) becomes one technique named after the good it makes; its
declared output is the ``output`` row; the ``labour`` row is the resource ``labour``. Capital
stocks (cap.csv) are held per unit of that output; dep.csv gives the yearly depreciation rates.
labtarg.csv row ``yearN`` gives the consumption targets of year N and the labour supply.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from kuzbass.economy.errors import EconomyError, Problems
from kuzbass.economy.model import LABOUR, Economy


def _read(path: Path, problems: Problems) -> pd.DataFrame | None:
    if not path.exists():
        problems.add(f"{path.name}: missing from {path.parent}")
        return None
    text = path.read_text()
    if not text.strip():
        problems.add(f"{path.name}: the file is empty")
        return None
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.apply(lambda column: column.str.strip())
    first = frame.columns[0]
    frame = frame[frame[first] != ""]
    if first != "headings":
        problems.add(f"{path.name}: wrong header, first column is {first!r} (expected 'headings')")
        return None
    frame = frame.set_index(first)
    numbers = frame.apply(pd.to_numeric, errors="coerce").astype(np.float64)
    values = numbers.to_numpy()
    # only the bad cells are visited one by one (a 200-industry table has 40,000 cells)
    for i, j in zip(*np.nonzero(~np.isfinite(values) | (values < 0)), strict=True):
        row, column, raw = frame.index[i], frame.columns[j], frame.iat[i, j]
        what = "is not a number" if not np.isfinite(values[i, j]) else "is negative"
        problems.add(f"{path.name} line {i + 2}: {row}/{column} {raw!r} {what}")
    return numbers


def _number(table: pd.DataFrame, row: str, column: str) -> float:
    return float(
        table[column].to_numpy(dtype=np.float64)[table.index.get_indexer(pd.Index([row]))[0]]
    )


def read_fiveyearplan(folder: Path) -> Economy:
    """Read a 5yearplan folder into a multi-year Economy (see the module docstring)."""
    problems = Problems(limit=20)
    flows = _read(folder / "flows.csv", problems)
    cap = _read(folder / "cap.csv", problems)
    dep = _read(folder / "dep.csv", problems)
    targets = _read(folder / "labtarg.csv", problems)
    problems.raise_if_any()
    assert flows is not None and cap is not None and dep is not None and targets is not None
    goods = [str(c) for c in flows.columns]
    for needed in ("labour", "output"):
        if needed not in flows.index:
            problems.add(f"flows.csv: no row {needed!r}")
    for name, table in (("flows.csv", flows), ("cap.csv", cap), ("dep.csv", dep)):
        if list(table.columns) != goods:
            problems.add(f"{name}: columns {list(table.columns)} differ from flows.csv's {goods}")
        rows = [r for r in table.index if r not in ("labour", "output")]
        unknown = [r for r in rows if r not in goods]
        if unknown:
            problems.add(f"{name}: unknown goods in rows: {', '.join(map(repr, unknown))}")
    problems.raise_if_any()
    output = flows.loc["output", goods].to_numpy(dtype=np.float64)
    for good, value in zip(goods, output, strict=True):
        if value <= 0:
            problems.add(f"flows.csv: output of {good!r} is {value:g}: must be positive")
    unknown = [c for c in targets.columns if c not in goods and c != LABOUR]
    if unknown:
        problems.add(f"labtarg.csv: unknown columns {', '.join(map(repr, unknown))}")
    year_of: dict[str, int] = {}
    for row in targets.index:
        match = re.fullmatch(r"year(\d+)", str(row))
        if match is None:
            problems.add(f"labtarg.csv: row {row!r} is not named yearN")
        else:
            year_of[str(row)] = int(match.group(1))
    if LABOUR not in targets.columns:
        problems.add("labtarg.csv: no labour column")
    if not year_of:
        problems.add("labtarg.csv: no yearN rows")
    problems.raise_if_any()

    n = len(goods)

    def square(table: pd.DataFrame, scale: np.ndarray) -> sp.csc_array:
        dense = table.reindex(index=goods, columns=goods).fillna(0.0).to_numpy(dtype=np.float64)
        return sp.csc_array(dense / scale[None, :])

    labour = flows.loc["labour", goods].to_numpy(dtype=np.float64) / output
    rows = []
    for row, year in year_of.items():
        for good in goods:
            if good in targets.columns:
                rows.append((good, _number(targets, row, good), year, 1, 1.0))
    target_frame = pd.DataFrame(rows, columns=["product", "quantity", "year", "priority", "weight"])
    schedule = pd.DataFrame(
        {
            "resource": LABOUR,
            "year": list(year_of.values()),
            "available": [_number(targets, row, LABOUR) for row in year_of],
        }
    )
    first_year = min(year_of, key=year_of.__getitem__)
    names = pd.Index(goods, name="product")
    return Economy(
        products=names,
        product_units=np.full(n, "unit", dtype=object),
        techniques=pd.Index(goods, name="technique"),
        technique_product=np.arange(n, dtype=np.int64),
        technique_output=output,
        technique_capacity=np.full(n, np.inf),
        input_coefficients=square(flows.drop(index=["labour", "output"]), output),
        resources=pd.Index([LABOUR], name="resource"),
        resource_units=np.array(["hours"], dtype=object),
        resource_available=np.array([_number(targets, first_year, LABOUR)]),
        resource_coefficients=sp.csc_array(labour[None, :]),
        targets=target_frame,
        capital_coefficients=square(cap, output),
        depreciation=square(dep, np.ones(n)),
        resource_schedule=schedule,
    )


__all__ = ["EconomyError", "read_fiveyearplan"]
