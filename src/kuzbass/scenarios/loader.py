"""Read a bundled scenario: its economy folder, price lists, plans, needs and story.

A scenario is a folder (see ``kuzbass1989/README.md``): ``economy/`` in the canonical CSV form that
``Economy.read`` reads, money price lists and wage rates, the old plan's targets, the councils'
needs, and ``story.json`` (councils, members, demands, constitutions, deductions, priorities,
norms), validated against ``story.schema.json``. Every reader checks what it reads and raises
`ScenarioError` naming the file, line and field of the first problems, so that a broken file is
never half-loaded.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

if TYPE_CHECKING:
    from kuzbass.planning.self_accounting import SelfAccounting

KUZBASS_1989 = Path(__file__).parent / "kuzbass1989"
"""The bundled Kuzbass 1989 scenario (illustrative numbers, fictional members)."""

CouncilKind = Literal["workplace", "consumer", "federation", "congress"]
Role = Literal["member", "delegate", "officer"]
PRICE_COLUMNS = ("price_rubles", "price_hours")


class ScenarioError(ValueError):
    """A scenario file is missing or broken; the message names the file, line and field."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Council:
    id: str
    name: str
    kind: CouncilKind
    town: str
    delegates_to: tuple[str, ...]
    techniques: tuple[str, ...]
    constitution: str
    note: str = ""


@dataclass(frozen=True)
class Membership:
    council: str
    role: Role


@dataclass(frozen=True)
class Member:
    """A demo member; the platform's loader generates the password."""

    username: str
    display_name: str
    memberships: tuple[Membership, ...]


@dataclass(frozen=True)
class Demand:
    id: str
    raised_on: date
    kind: str
    raised_by: str
    responsible: str
    title: str
    text: str
    history: str = ""


@dataclass(frozen=True)
class Constitution:
    """Decision rules; a threshold is the share of yes among yes and no a motion must exceed."""

    id: str
    quorum: Fraction
    motion: Fraction
    recall: Fraction
    constitution: Fraction
    plan_adoption: Fraction | None = None
    deviation_threshold: Fraction | None = None
    round_limit: int | None = None
    overdraft_hours: float | None = None


@dataclass(frozen=True)
class Deductions:
    """Shares of each credited hour that go to the public and investment funds."""

    public_fund: Fraction
    investment_fund: Fraction


@dataclass(frozen=True)
class Priority:
    use: str
    priority: int


@dataclass(frozen=True)
class Norm:
    council: str
    hours_per_shift: float
    days_per_period: int


@dataclass(frozen=True)
class Story:
    title: str
    illustrative: bool
    notice: str
    period: str
    councils: tuple[Council, ...]
    members: tuple[Member, ...]
    demands: tuple[Demand, ...]
    constitutions: tuple[Constitution, ...]
    deductions: Deductions
    priorities: tuple[Priority, ...]
    norms: tuple[Norm, ...]

    def council(self, council_id: str) -> Council:
        for council in self.councils:
            if council.id == council_id:
                return council
        raise KeyError(council_id)

    def councils_of_kind(self, kind: CouncilKind) -> tuple[Council, ...]:
        return tuple(c for c in self.councils if c.kind == kind)

    def workplace_of(self, technique: str) -> Council:
        """The workplace council that runs a technique."""
        for council in self.councils:
            if technique in council.techniques:
                return council
        raise KeyError(technique)


def economy_path(folder: Path = KUZBASS_1989) -> Path:
    """The scenario's economy folder, for ``Economy.read``."""
    path = folder / "economy"
    if not (path / "products.csv").is_file():
        raise ScenarioError([f"{path}: no products.csv — not an economy folder"])
    return path


def state_prices_1989(folder: Path = KUZBASS_1989) -> pd.Series:
    """The 1989 state money prices, rubles per unit of each product."""
    return read_price_list(folder / "state_prices_1989.csv")


def wage_rates_1989(folder: Path = KUZBASS_1989) -> pd.Series:
    """The 1989 money wage rates, rubles per hour, by technique (workplace)."""
    return read_wage_rates(folder / "wage_rates_1989.csv")


def plan_1989(folder: Path = KUZBASS_1989) -> pd.Series:
    """The old plan's targets: net output by product, per period."""
    return read_quantities(folder / "plan_1989.csv")


def operating_levels_1989(folder: Path = KUZBASS_1989) -> pd.Series:
    """What each workplace produced per period under the 1989 plan: the declared outputs."""
    table = _read_csv(
        economy_path(folder) / "techniques.csv", ("technique", "product", "output"), ("capacity",)
    )
    table = table[["technique", "output"]]
    return _numbers(table, "techniques.csv", "technique", "output", positive=True)


def self_accounting_1989(folder: Path = KUZBASS_1989) -> SelfAccounting:
    """The 1989 plan's workplaces under self-accounting at the state prices and wage rates.

    Labour values are the output-weighted averages of the 1989 plan's workplaces, and prices are
    compared with costs at the plan's own money-per-hour rate.
    """
    from kuzbass.economy import Economy
    from kuzbass.planning.self_accounting import (
        average_labour_values,
        compare_self_accounting,
        money_per_hour,
    )

    economy = Economy.read(economy_path(folder))
    levels = operating_levels_1989(folder)
    values = average_labour_values(economy, levels)
    prices = state_prices_1989(folder)
    rate = money_per_hour(economy, levels, prices, values)
    return compare_self_accounting(
        economy, levels, prices, wage_rates_1989(folder), values, money_per_hour=rate
    )


def read_price_list(path: Path) -> pd.Series:
    """A price list ``product,price_rubles`` (money) or ``product,price_hours`` (labour time).

    The Series is indexed by product and named after the price column, so that its unit travels
    with it.
    """
    header, _ = _read_rows(path)
    if header not in [["product", column] for column in PRICE_COLUMNS]:
        raise ScenarioError(
            [
                f"{path.name}: header {','.join(header)} must be product,price_rubles "
                "or product,price_hours"
            ]
        )
    table = _read_csv(path, ("product", header[1]))
    return _numbers(table, path.name, "product", header[1], positive=False)


def read_wage_rates(path: Path) -> pd.Series:
    """Wage rates ``technique,rubles_per_hour``, indexed by technique."""
    table = _read_csv(path, ("technique", "rubles_per_hour"))
    return _numbers(table, path.name, "technique", "rubles_per_hour", positive=False)


def read_quantities(path: Path) -> pd.Series:
    """Targets ``product,quantity``, indexed by product."""
    table = _read_csv(path, ("product", "quantity"))
    return _numbers(table, path.name, "product", "quantity", positive=False)


def read_needs(folder: Path = KUZBASS_1989) -> pd.DataFrame:
    """The councils' needs ``council,product,quantity,use,demand`` (demand may be empty).

    Checked against the story (a consumer council or the congress raises each need, the use is one
    the congress gives a priority, the demand exists) and the economy's products.
    """
    path = folder / "needs.csv"
    table = _read_csv(
        path, ("council", "product", "quantity", "use", "demand"), may_be_empty="demand"
    )
    story = load_story(folder)
    products = set(_read_csv(economy_path(folder) / "products.csv", ("product", "unit"))["product"])
    raisers = {c.id for c in story.councils if c.kind in ("consumer", "congress")}
    uses = {p.use for p in story.priorities}
    demands = {d.id for d in story.demands}
    problems = []
    quantities = []
    for line, row in _lines(table):
        where = f"{path.name} line {line}"
        if row.council not in raisers:
            problems.append(
                f"{where}: council {row.council!r} is not a consumer council or the congress"
            )
        if row.product not in products:
            problems.append(f"{where}: product {row.product!r} is not in economy/products.csv")
        if row.use not in uses:
            problems.append(f"{where}: use {row.use!r} has no priority in story.json")
        if row.demand and row.demand not in demands:
            problems.append(f"{where}: demand {row.demand!r} is not in story.json")
        quantities.append(_number(row.quantity, f"{where}: quantity", problems, positive=False))
    duplicated = table.duplicated(["council", "product", "use"], keep=False)
    for line, row in _lines(table[duplicated]):
        problems.append(
            f"{path.name} line {line}: {row.council}, {row.product}, {row.use} appears twice"
        )
    if problems:
        raise ScenarioError(problems)
    return table.assign(quantity=quantities).reset_index(drop=True)


def load_story(folder: Path = KUZBASS_1989) -> Story:
    """Read ``story.json``, validate it against ``story.schema.json`` and check its references."""
    import jsonschema

    path = folder / "story.json"
    data = _read_json(path)
    schema = _read_json(Path(__file__).parent / "kuzbass1989" / "story.schema.json")
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ScenarioError(
            f"{path.name}: {_json_path(e.absolute_path)}: {e.message}" for e in errors
        )
    story = _story(data)
    techniques_file = folder / "economy" / "techniques.csv"
    techniques = (
        set(
            _read_csv(techniques_file, ("technique", "product", "output"), ("capacity",))[
                "technique"
            ]
        )
        if techniques_file.is_file()
        else None
    )
    problems = _story_problems(story, techniques)
    if problems:
        raise ScenarioError(f"{path.name}: {p}" for p in problems)
    return story


def _story(data: dict[str, Any]) -> Story:
    def fraction(text: str | None) -> Fraction | None:
        return None if text is None else Fraction(text)

    return Story(
        title=data["title"],
        illustrative=data["illustrative"],
        notice=data["notice"],
        period=data["period"],
        councils=tuple(
            Council(
                id=c["id"],
                name=c["name"],
                kind=c["kind"],
                town=c["town"],
                delegates_to=tuple(c["delegates_to"]),
                techniques=tuple(c["techniques"]),
                constitution=c["constitution"],
                note=c.get("note", ""),
            )
            for c in data["councils"]
        ),
        members=tuple(
            Member(
                username=m["username"],
                display_name=m["display_name"],
                memberships=tuple(Membership(s["council"], s["role"]) for s in m["memberships"]),
            )
            for m in data["members"]
        ),
        demands=tuple(
            Demand(
                id=d["id"],
                raised_on=date.fromisoformat(d["raised_on"]),
                kind=d["kind"],
                raised_by=d["raised_by"],
                responsible=d["responsible"],
                title=d["title"],
                text=d["text"],
                history=d.get("history", ""),
            )
            for d in data["demands"]
        ),
        constitutions=tuple(
            Constitution(
                id=c["id"],
                quorum=Fraction(c["quorum"]),
                motion=Fraction(c["thresholds"]["motion"]),
                recall=Fraction(c["thresholds"]["recall"]),
                constitution=Fraction(c["thresholds"]["constitution"]),
                plan_adoption=fraction(c["thresholds"].get("plan_adoption")),
                deviation_threshold=fraction(c.get("deviation_threshold")),
                round_limit=c.get("round_limit"),
                overdraft_hours=c.get("overdraft_hours"),
            )
            for c in data["constitutions"]
        ),
        deductions=Deductions(
            public_fund=Fraction(data["deductions"]["public_fund"]),
            investment_fund=Fraction(data["deductions"]["investment_fund"]),
        ),
        priorities=tuple(Priority(p["use"], p["priority"]) for p in data["priorities"]),
        norms=tuple(
            Norm(n["council"], float(n["hours_per_shift"]), n["days_per_period"])
            for n in data["norms"]
        ),
    )


def _story_problems(story: Story, techniques: set[str] | None) -> list[str]:
    """References between parts of the story, which JSON Schema cannot check."""
    problems: list[str] = []
    problems += _duplicates("councils", [c.id for c in story.councils])
    problems += _duplicates("members", [m.username for m in story.members])
    problems += _duplicates("demands", [d.id for d in story.demands])
    problems += _duplicates("constitutions", [c.id for c in story.constitutions])
    problems += _duplicates("priorities", [p.use for p in story.priorities])
    problems += _duplicates("norms", [n.council for n in story.norms])
    councils = {c.id: c for c in story.councils}
    constitutions = {c.id for c in story.constitutions}
    owner: dict[str, str] = {}
    for i, council in enumerate(story.councils):
        where = f"councils[{i}] ({council.id})"
        for target in council.delegates_to:
            if target not in councils:
                problems.append(f"{where}.delegates_to: unknown council {target!r}")
            elif target == council.id:
                problems.append(f"{where}.delegates_to: a council cannot delegate to itself")
            elif councils[target].kind in ("workplace", "consumer") and council.kind in (
                "federation",
                "congress",
            ):
                problems.append(
                    f"{where}.delegates_to: a {council.kind} cannot send delegates to "
                    f"the {councils[target].kind} council {target!r}"
                )
        if council.constitution not in constitutions:
            problems.append(f"{where}.constitution: unknown constitution {council.constitution!r}")
        if council.techniques and council.kind != "workplace":
            problems.append(f"{where}.techniques: only workplace councils run techniques")
        for technique in council.techniques:
            if techniques is not None and technique not in techniques:
                problems.append(
                    f"{where}.techniques: {technique!r} is not in economy/techniques.csv"
                )
            if technique in owner:
                problems.append(
                    f"{where}.techniques: {technique!r} is already run by {owner[technique]!r}"
                )
            owner.setdefault(technique, council.id)
    if techniques is not None:
        problems += [
            f"councils: no workplace council runs technique {t!r}"
            for t in sorted(techniques - set(owner))
        ]
    for i, member in enumerate(story.members):
        seen: set[str] = set()
        for j, membership in enumerate(member.memberships):
            where = f"members[{i}] ({member.username}).memberships[{j}]"
            if membership.council not in councils:
                problems.append(f"{where}.council: unknown council {membership.council!r}")
            if membership.council in seen:
                problems.append(f"{where}.council: {membership.council!r} listed twice")
            seen.add(membership.council)
    for i, demand in enumerate(story.demands):
        for field in ("raised_by", "responsible"):
            if getattr(demand, field) not in councils:
                problems.append(
                    f"demands[{i}] ({demand.id}).{field}: "
                    f"unknown council {getattr(demand, field)!r}"
                )
    for i, constitution in enumerate(story.constitutions):
        for field in ("quorum", "motion", "recall", "constitution", "plan_adoption"):
            value = getattr(constitution, field)
            if value is not None and not 0 <= value <= 1:
                problems.append(
                    f"constitutions[{i}] ({constitution.id}).{field}: "
                    f"{value} is not between 0 and 1"
                )
    deductions = story.deductions
    if deductions.public_fund + deductions.investment_fund >= 1:
        problems.append("deductions: the public and investment funds together take every hour")
    for i, norm in enumerate(story.norms):
        owner_council = councils.get(norm.council)
        if owner_council is None or not owner_council.techniques:
            problems.append(
                f"norms[{i}].council: {norm.council!r} is not a workplace council "
                "that runs a technique"
            )
    return problems


def _duplicates(part: str, keys: list[str]) -> list[str]:
    seen: set[str] = set()
    problems = []
    for i, key in enumerate(keys):
        if key in seen:
            problems.append(f"{part}[{i}]: {key!r} appears twice")
        seen.add(key)
    return problems


def _json_path(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".") or "(top level)"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError([f"{path}: missing"]) from None
    except json.JSONDecodeError as error:
        raise ScenarioError(
            [f"{path.name} line {error.lineno} column {error.colno}: not JSON ({error.msg})"]
        ) from None
    if not isinstance(data, dict):
        raise ScenarioError([f"{path.name}: expected a JSON object at the top level"])
    return data


def _read_rows(path: Path) -> tuple[list[str], pd.DataFrame]:
    """The header and the rows as stripped strings, indexed by their line in the file."""
    try:
        file = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise ScenarioError([f"{path}: missing"]) from None
    header: list[str] | None = None
    lines: list[int] = []
    records: list[list[str]] = []
    with file:
        reader = csv.reader(file, strict=True)
        try:
            for record in reader:
                fields = [field.strip() for field in record]
                if not any(fields):
                    continue
                if header is None:
                    header = fields
                elif len(fields) != len(header):
                    raise ScenarioError(
                        [
                            f"{path.name} line {reader.line_num}: {len(fields)} fields, "
                            f"expected {len(header)} ({','.join(header)})"
                        ]
                    )
                else:
                    lines.append(reader.line_num)
                    records.append(fields)
        except (csv.Error, UnicodeDecodeError) as error:
            raise ScenarioError([f"{path.name}: cannot be read ({error})"]) from None
    if header is None:
        raise ScenarioError([f"{path.name}: the file is empty"])
    table = pd.DataFrame(records, columns=header, index=pd.Index(lines, name="line"), dtype=str)
    return header, table


def _read_csv(
    path: Path, columns: tuple[str, ...], optional: tuple[str, ...] = (), may_be_empty: str = ""
) -> pd.DataFrame:
    """The rows of a CSV file whose header is ``columns`` then any of ``optional``.

    Every field of ``columns`` must be filled in, except the column named ``may_be_empty``.
    """
    header, table = _read_rows(path)
    extra = header[len(columns) :]
    if tuple(header[: len(columns)]) != columns or extra != [c for c in optional if c in extra]:
        expected = ",".join(columns) + "".join(f"[,{c}]" for c in optional)
        raise ScenarioError([f"{path.name}: wrong header {','.join(header)} (expected {expected})"])
    for line, row in _lines(table):
        for column in columns:
            if column != may_be_empty and getattr(row, column) == "":
                raise ScenarioError([f"{path.name} line {line}: {column} is empty"])
    return table


def _lines(table: pd.DataFrame) -> Iterable[tuple[int, Any]]:
    """Rows with their line number in the file."""
    for line, row in zip(table.index, table.itertuples(index=False), strict=True):
        yield int(line), row


def _number(text: str, where: str, problems: list[str], *, positive: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        problems.append(f"{where}: {text!r} is not a number")
        return math.nan
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        problems.append(
            f"{where}: {text!r} must be a {'positive' if positive else 'non-negative'} number"
        )
    return value


def _numbers(table: pd.DataFrame, file: str, key: str, column: str, *, positive: bool) -> pd.Series:
    """A Series ``key -> float(column)``; every bad number and repeated key is named."""
    problems: list[str] = []
    values = [
        _number(getattr(row, column), f"{file} line {line}: {column}", problems, positive=positive)
        for line, row in _lines(table)
    ]
    first_line: dict[str, int] = {}
    for line, row in _lines(table):
        name = getattr(row, key)
        if name in first_line:
            problems.append(
                f"{file} line {line}: {key} {name!r} already on line {first_line[name]}"
            )
        first_line.setdefault(name, line)
    if problems:
        raise ScenarioError(problems)
    return pd.Series(values, index=pd.Index(table[key], name=key), name=column, dtype=float)
