"""ECONOMY.json: the file format of simulated councils for participatory rounds.

The structure is checked by pydantic models (their JSON Schema is
``EconomyFile.model_json_schema()``); the cross-references (every name a declared good of the
right kind, each worker council's exponents leaving it a maximum) are checked here. Every error
names the council or good and the field. docs/participatory-schema.md describes the format.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kuzbass.planning.participatory import (
    CONSUMED_KINDS,
    FIXED_SUPPLY_KINDS,
    INPUT_KINDS,
    PRODUCED_KINDS,
    ConsumerCouncils,
    GoodKind,
    Goods,
    ParticipatoryEconomy,
    WorkerCouncils,
)

FORMAT = "kuzbass-participatory-economy/1"

KIND_NAMES: dict[str, GoodKind] = {
    "private": GoodKind.PRIVATE,
    "public": GoodKind.PUBLIC,
    "intermediate": GoodKind.INTERMEDIATE,
    "natural_resource": GoodKind.NATURAL_RESOURCE,
    "labour": GoodKind.LABOUR,
}
KindName = Literal["private", "public", "intermediate", "natural_resource", "labour"]

Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Name = Annotated[str, Field(min_length=1)]


class EconomyFileError(ValueError):
    """An ECONOMY.json that cannot be simulated; the message names the bad entry and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class GoodEntry(_Strict):
    """A good: its kind, starting price and, for natural resources and labour, fixed supply."""

    name: Name
    kind: KindName
    price: Positive
    supply: Positive | None = None

    @model_validator(mode="after")
    def _supply_only_when_fixed(self) -> GoodEntry:
        fixed = KIND_NAMES[self.kind] in FIXED_SUPPLY_KINDS
        if fixed and self.supply is None:
            raise ValueError(f"field supply is required for kind {self.kind}")
        if not fixed and self.supply is not None:
            raise ValueError(
                f"field supply is not allowed for kind {self.kind}: worker councils supply it"
            )
        return self


class ConsumerCouncilEntry(_Strict):
    """U = c·Π dⱼ^αⱼ·Π gⱼ^γⱼ: ``exponents`` maps private and public goods to αⱼ and γⱼ."""

    name: Name
    income: Positive
    exponents: Annotated[dict[str, Positive], Field(min_length=1)]


class WorkerCouncilEntry(_Strict):
    """q = A·e^c·Π xᵢ^bᵢ, net benefit price·q − Σ pᵢxᵢ − S·e^k; ``inputs`` maps goods to bᵢ."""

    name: Name
    product: Name
    productivity: Positive = Field(description="A")
    effort_exponent: Positive = Field(description="c")
    disutility_coefficient: Positive = Field(description="S")
    disutility_exponent: Positive = Field(description="k")
    inputs: Annotated[dict[str, Positive], Field(min_length=1)]


class EconomyFile(_Strict):
    """The whole file."""

    format: Literal["kuzbass-participatory-economy/1"]
    goods: Annotated[list[GoodEntry], Field(min_length=1)]
    consumer_councils: Annotated[list[ConsumerCouncilEntry], Field(min_length=1)]
    worker_councils: Annotated[list[WorkerCouncilEntry], Field(min_length=1)]


def read_economy(path: Path) -> ParticipatoryEconomy:
    """Read and check an ECONOMY.json file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise EconomyFileError(f"{path}: not valid JSON: {error}") from error
    except UnicodeDecodeError as error:
        raise EconomyFileError(f"not UTF-8 text ({error.reason}): save it as UTF-8") from None
    return parse_economy(document)


def parse_economy(document: Any) -> ParticipatoryEconomy:
    """Check a decoded ECONOMY.json document and turn it into council arrays."""
    try:
        file = EconomyFile.model_validate(document)
    except ValidationError as error:
        raise EconomyFileError(_describe(error, document)) from error
    goods = _goods(file.goods)
    index = {name: position for position, name in enumerate(goods.names)}
    consumers = _consumers(file.consumer_councils, goods, index)
    workers = _workers(file.worker_councils, goods, index)
    _check_every_good_has_both_sides(goods, consumers, workers)
    return ParticipatoryEconomy(goods=goods, consumers=consumers, workers=workers)


def _describe(error: ValidationError, document: Any) -> str:
    """pydantic's errors with the council's or good's name next to its position."""
    lines = []
    for problem in error.errors()[:10]:
        location = problem["loc"]
        where = ".".join(str(part) for part in location) or "file"
        if len(location) >= 2 and isinstance(location[1], int):
            entry = _entry(document, str(location[0]), location[1])
            name = entry.get("name") if isinstance(entry, dict) else None
            field = ".".join(str(part) for part in location[2:])
            where = f"{location[0]}[{location[1]}]"
            if isinstance(name, str):
                where += f" ({name!r})"
            if field:
                where += f", field {field}"
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}")
    more = error.error_count() - len(lines)
    if more > 0:
        lines.append(f"... and {more} more errors")
    return "ECONOMY.json breaks the schema:\n" + "\n".join(lines)


def _entry(document: Any, section: str, position: int) -> Any:
    if isinstance(document, dict):
        entries = document.get(section)
        if isinstance(entries, list) and 0 <= position < len(entries):
            return entries[position]
    return None


def _unique(names: list[str], section: str) -> None:
    seen: set[str] = set()
    for position, name in enumerate(names):
        if name in seen:
            raise EconomyFileError(f"{section}[{position}]: the name {name!r} is used twice")
        seen.add(name)


def _goods(entries: list[GoodEntry]) -> Goods:
    names = [entry.name for entry in entries]
    _unique(names, "goods")
    return Goods(
        names=names,
        kinds=np.array([KIND_NAMES[entry.kind] for entry in entries], dtype=np.int64),
        start_prices=np.array([entry.price for entry in entries], dtype=np.float64),
        fixed_supply=np.array([entry.supply or 0.0 for entry in entries], dtype=np.float64),
    )


def _lookup(
    name: str,
    index: dict[str, int],
    goods: Goods,
    allowed: tuple[GoodKind, ...],
    where: str,
) -> int:
    position = index.get(name)
    if position is None:
        raise EconomyFileError(f"{where}: {name!r} is not a declared good")
    kind = GoodKind(goods.kinds[position])
    if kind not in allowed:
        expected = ", ".join(_kind_name(allowed_kind) for allowed_kind in allowed)
        raise EconomyFileError(
            f"{where}: {name!r} is of kind {_kind_name(kind)}; allowed kinds here: {expected}"
        )
    return position


def _kind_name(kind: GoodKind) -> str:
    return next(name for name, value in KIND_NAMES.items() if value == kind)


def _consumers(
    entries: list[ConsumerCouncilEntry], goods: Goods, index: dict[str, int]
) -> ConsumerCouncils:
    names = [entry.name for entry in entries]
    _unique(names, "consumer_councils")
    consumed = np.flatnonzero(np.isin(goods.kinds, CONSUMED_KINDS))
    column = {int(good): position for position, good in enumerate(consumed)}
    exponents = np.zeros((len(entries), len(consumed)))
    for row, entry in enumerate(entries):
        where = f"consumer_councils[{row}] ({entry.name!r}), field exponents"
        for good_name, exponent in entry.exponents.items():
            good = _lookup(good_name, index, goods, CONSUMED_KINDS, where)
            exponents[row, column[good]] = exponent
    return ConsumerCouncils(
        names=names,
        income=np.array([entry.income for entry in entries], dtype=np.float64),
        exponents=exponents,
        goods=consumed.astype(np.int64),
    )


def _workers(
    entries: list[WorkerCouncilEntry], goods: Goods, index: dict[str, int]
) -> WorkerCouncils:
    names = [entry.name for entry in entries]
    _unique(names, "worker_councils")
    width = max(len(entry.inputs) for entry in entries)
    input_goods = np.full((len(entries), width), -1, dtype=np.int64)
    input_exponents = np.zeros((len(entries), width))
    product = np.empty(len(entries), dtype=np.int64)
    for row, entry in enumerate(entries):
        where = f"worker_councils[{row}] ({entry.name!r})"
        product[row] = _lookup(
            entry.product, index, goods, PRODUCED_KINDS, f"{where}, field product"
        )
        for column, (good_name, exponent) in enumerate(entry.inputs.items()):
            input_goods[row, column] = _lookup(
                good_name, index, goods, INPUT_KINDS, f"{where}, field inputs"
            )
            input_exponents[row, column] = exponent
        effort_share = entry.effort_exponent / entry.disutility_exponent
        margin = 1.0 - effort_share - sum(entry.inputs.values())
        if margin <= 0:
            raise EconomyFileError(
                f"{where}: effort_exponent/disutility_exponent + sum of input exponents = "
                f"{1.0 - margin:.6g} must be below 1, or its net benefit has no maximum"
            )
    return WorkerCouncils(
        names=names,
        product=product,
        productivity=np.array([entry.productivity for entry in entries]),
        effort_exponent=np.array([entry.effort_exponent for entry in entries]),
        disutility_coefficient=np.array([entry.disutility_coefficient for entry in entries]),
        disutility_exponent=np.array([entry.disutility_exponent for entry in entries]),
        input_goods=input_goods,
        input_exponents=input_exponents,
    )


def _check_every_good_has_both_sides(
    goods: Goods, consumers: ConsumerCouncils, workers: WorkerCouncils
) -> None:
    """A good with supply and no demand (or the reverse) can never balance: refuse it up front."""
    produced = np.zeros(goods.count, dtype=bool)
    produced[workers.product] = True
    wanted = np.zeros(goods.count, dtype=bool)
    wanted[workers.input_goods[workers.input_goods >= 0]] = True
    wanted[consumers.goods[(consumers.exponents > 0).any(axis=0)]] = True
    for position, name in enumerate(goods.names):
        kind = _kind_name(GoodKind(goods.kinds[position]))
        if goods.kinds[position] in PRODUCED_KINDS and not produced[position]:
            raise EconomyFileError(
                f"goods[{position}] ({name!r}): no worker council makes this good "
                f"(kind {kind}), so its market can never balance"
            )
        if not wanted[position]:
            users = "consumer" if goods.kinds[position] in CONSUMED_KINDS else "worker"
            raise EconomyFileError(
                f"goods[{position}] ({name!r}): no {users} council wants this good "
                f"(kind {kind}), so its market can never balance"
            )
