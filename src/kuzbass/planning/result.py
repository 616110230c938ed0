"""What an optimal plan says: fulfilment, intensities, valuations, investment and reasons."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from kuzbass import files

TABLES = ("targets", "intensities", "resources", "products", "investment", "binding")


@dataclass
class PlanResult:
    """The outcome of :func:`kuzbass.planning.optimal_plan`.

    ``status`` is ``optimal``, ``infeasible``, ``unbounded`` or a solver status; only an optimal
    plan carries tables. ``fallback`` says, when the method chosen first stopped and another
    took over, which one and why (``None`` when the first method decided the plan). Valuations
    are the dual prices: the gain in ``objective`` per unit more of a product, resource,
    capacity or capital stock (Kantorovich's objectively determined valuations).
    """

    status: str
    mode: str
    years: int
    objective: float | None = None
    gap: float | None = None
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)
    intensities: pd.DataFrame = field(default_factory=pd.DataFrame)
    resources: pd.DataFrame = field(default_factory=pd.DataFrame)
    products: pd.DataFrame = field(default_factory=pd.DataFrame)
    investment: pd.DataFrame = field(default_factory=pd.DataFrame)
    binding: pd.DataFrame = field(default_factory=pd.DataFrame)
    explanations: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    solver: dict[str, Any] = field(default_factory=dict)
    fallback: str | None = None

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"

    @property
    def investment_per_year(self) -> pd.DataFrame:
        """Accumulation of each good in each year, summed over the techniques that hold it."""
        if self.investment.empty:
            return pd.DataFrame(columns=["product", "year", "quantity"])
        return self.investment.groupby(["product", "year"], as_index=False).agg(
            quantity=("quantity", "sum")
        )

    @property
    def minimum_fulfilment(self) -> float | None:
        if self.targets.empty:
            return None
        return float(self.targets["fulfilment"].min())

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result as pandas tables, one per CSV file."""
        tables = {name: getattr(self, name) for name in TABLES}
        tables["investment_per_year"] = self.investment_per_year
        return tables

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: infinities and missing numbers become ``None``."""
        return {
            "status": self.status,
            "fallback": self.fallback,
            "mode": self.mode,
            "years": self.years,
            "objective": json_safe(self.objective),
            "gap": json_safe(self.gap),
            "minimum_fulfilment": json_safe(self.minimum_fulfilment),
            "problems": list(self.problems),
            "explanations": json_safe(self.explanations),
            "solver": json_safe(self.solver),
            **{name: json_records(table) for name, table in self.tables().items()},
        }

    def write_csv(self, directory: str | Path) -> list[Path]:
        """Write every table as ``DIRECTORY/<table>.csv``; each file appears whole or not at all."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, table in self.tables().items():
            target = directory / f"{name}.csv"
            files.write_text(target, partial(table.to_csv, index=False))
            written.append(target)
        return written


def json_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a result table as JSON-safe dicts."""
    return [json_safe(record) for record in table.to_dict("records")]


def json_safe(value: Any) -> Any:
    """JSON-safe: numpy scalars become Python numbers, infinities and NaN become None."""
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
