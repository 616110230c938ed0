"""Plan targets: read from a targets.csv or taken from the economy, checked row by row.

A target says how much of a product the councils want for final use in a year. ``priority`` is the
class voted by the congress (1 = first), ``weight`` its weight in harmony mode.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kuzbass.economy.model import Economy

TARGET_COLUMNS = ["product", "quantity", "year", "priority", "weight"]


class PlanInputError(ValueError):
    """Input a user can fix (a bad target row, a bad capacity): the message names it."""


def read_targets(path: str | Path, economy: Economy, years: int) -> pd.DataFrame:
    """Read ``product,quantity[,year][,priority][,weight]`` rows, each checked against economy."""
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError as error:
        raise PlanInputError(f"{path}: no such targets file") from error
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise PlanInputError(f"{path}: not a readable CSV file ({error})") from error
    raw.columns = [str(column).strip().lower() for column in raw.columns]
    missing = [column for column in ("product", "quantity") if column not in raw.columns]
    if missing:
        raise PlanInputError(f"{path}: missing column(s) {', '.join(missing)}")
    unknown = [column for column in raw.columns if column not in TARGET_COLUMNS]
    if unknown:
        raise PlanInputError(
            f"{path}: unknown column(s) {', '.join(unknown)}; expected {', '.join(TARGET_COLUMNS)}"
        )
    rows = []
    for number, record in enumerate(raw.to_dict("records"), start=2):
        where = f"{path.name} line {number}"
        rows.append(_check_row(record, where, economy, years))
    return _frame(rows)


def economy_targets(economy: Economy, years: int) -> pd.DataFrame:
    """The economy's own targets within the first ``years`` years, checked like a targets file.

    A negative final demand (a stock run down, as inventory changes are in national tables) is
    no target to produce: it is left out, and ``stock_run_downs`` names it for the user.
    """
    if economy.targets is None or not len(economy.targets):
        return _frame([])
    rows = []
    for number, record in enumerate(economy.targets.to_dict("records"), start=1):
        year = record.get("year", 1)
        if pd.notna(year) and int(year) > years:
            continue
        if _is_negative(record.get("quantity")):
            continue
        rows.append(_check_row(record, f"economy target {number}", economy, years))
    return _frame(rows)


def stock_run_downs(economy: Economy) -> list[str]:
    """The products whose final demand in the economy is negative (left out of its targets)."""
    if economy.targets is None or not len(economy.targets):
        return []
    negative = [_is_negative(q) for q in economy.targets["quantity"]]
    return [str(p) for p in economy.targets["product"][negative]]


def _is_negative(value: object) -> bool:
    try:
        return float(value) < 0  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False  # not a number: the check of the row names it


def _check_row(record: dict, where: str, economy: Economy, years: int) -> dict:
    product = str(record.get("product", "")).strip()
    if product not in economy.products:
        raise PlanInputError(f"{where}: product {product!r} is not a product of this economy")
    quantity = _number(record.get("quantity"), "quantity", where)
    if not np.isfinite(quantity) or quantity < 0:
        why = " (a stock run down is no target: plan with a targets file)" if quantity < 0 else ""
        raise PlanInputError(
            f"{where}: {product!r}: quantity {quantity:g} must be a finite number ≥ 0{why}"
        )
    year = _integer(record.get("year"), "year", where, default=1)
    if not 1 <= year <= years:
        raise PlanInputError(f"{where}: year {year} is outside the plan's years 1..{years}")
    priority = _integer(record.get("priority"), "priority", where, default=1)
    if priority < 1:
        raise PlanInputError(f"{where}: priority {priority} must be a class 1, 2, 3, … (1 = first)")
    weight = _number(record.get("weight"), "weight", where, default=1.0)
    if not np.isfinite(weight) or weight <= 0:
        raise PlanInputError(f"{where}: weight {weight:g} must be a finite number > 0")
    return {
        "product": product,
        "quantity": quantity,
        "year": year,
        "priority": priority,
        "weight": weight,
    }


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and np.isnan(value)


def _number(value: object, field: str, where: str, default: float | None = None) -> float:
    if _blank(value):
        if default is None:
            raise PlanInputError(f"{where}: {field} is empty")
        return default
    try:
        return float(str(value).strip())
    except ValueError as error:
        raise PlanInputError(f"{where}: {field} {value!r} is not a number") from error


def _integer(value: object, field: str, where: str, default: int) -> int:
    number = _number(value, field, where, default=float(default))
    if not np.isfinite(number) or number != int(number):
        raise PlanInputError(f"{where}: {field} {value!r} is not a whole number")
    return int(number)


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    return frame.astype(
        {"quantity": float, "year": int, "priority": int, "weight": float, "product": object}
    )
