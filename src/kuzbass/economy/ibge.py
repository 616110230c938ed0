"""Brazil's national accounts as an economy: IBGE's supply and use tables, as ``iotbr`` ships them.

The PyPI package ``iotbr`` (MIT licence) carries IBGE's supply and use tables (Tabelas de Recursos
e Usos) as the spreadsheets IBGE publishes, for levels 12 and 51 (2000–2021) and 20 and 68
(2010–2021) sectors, and reads them offline. IBGE publishes them at purchasers' prices with
imports, trade and transport margins and taxes on products mixed into every flow; ``iotbr``'s
``io_system.system`` takes those out (Guilhoto and Sesso Filho's method: margins go to the trade
and transport sectors, taxes and imports are spread over each product's users in proportion) and
squares the table sector by sector.

**Technology assumption: industry technology** (each sector sells every product it makes in the
same proportions as the whole market for that product, so a product's inputs are those of the
sectors that make it). The sector-by-sector table is then ``Z = D U`` with market shares
``D = V q̂⁻¹`` from the make table V, and final demand ``D E``. It is the assumption IBGE itself
uses for its input-output matrices, and the only one that fits here: a product technology needs as
many products as sectors (IBGE has 128 products for 68 sectors at level 68) and gives negative
coefficients; and the employment IBGE records is per sector, so each sector's technique carries
its own recorded labour without allocating it among products.

So each sector is one product (named as IBGE names the sector in its use table, without the code)
made by one technique of the same name, declared at the sector's recorded gross output ("Valor da
produção") in millions of reais, with the domestic flows at basic prices as inputs and the persons
employed ("Fator trabalho (ocupações)") as its ``labour``. Final demand (exports, government,
non-profit institutions, households, investment and inventory changes — the last may be negative)
is the economy's demand. Every row then adds up: gross output = intermediate sales + final demand,
so x = A x + d gives back the recorded outputs and v·d adds up to the recorded employment.

The proportional spreading of imports leaves a few small negative flows in some years (at most a
few R$ million, from 0 to 6 in a table). Inputs cannot be negative, so each is set to 0 and the
same amount taken from that product's final demand: its row still adds up to the recorded output.
The adjustments are listed in ``IbgeTable.adjustments``.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from kuzbass.economy.canonical import replacing_economy_folder, write_tables
from kuzbass.economy.errors import EconomyError
from kuzbass.economy.model import LABOUR, Economy

LEVELS = {12: (2000, 2021), 20: (2010, 2021), 51: (2000, 2021), 68: (2010, 2021)}
"""Sectors of each level IBGE publishes, and the first and last year ``iotbr`` ships."""

UNIT = "R$ million"
LABOUR_UNIT = "persons employed"
OUTPUT_ROW = "Valor da produção"
EMPLOYMENT_ROW = "Fator trabalho (ocupações)"
FINAL_USES = {
    "X_bens_serv": "Exportação de bens e serviços",
    "C_g": "Consumo do governo",
    "C_ong": "Consumo das ISFLSF",
    "C_f": "Consumo das famílias",
    "FBKF": "Formação bruta de capital fixo",
    "DE": "Variação de estoque",
}
"""iotbr's names of the final-demand columns, and IBGE's."""


@dataclass(frozen=True)
class IbgeTable:
    """One year of IBGE's table at one level, sector by sector, domestic, at basic prices.

    ``flows[i, j]``: R$ million of sector i's output used by sector j; ``output``: each sector's
    recorded gross output; ``employment``: persons employed; ``final_demand``: R$ million of each
    sector's output by final use (columns named as IBGE names them); ``adjustments``: the
    negative flows set to 0, one line each.
    """

    year: int
    level: int
    sectors: list[str]
    flows: np.ndarray
    output: np.ndarray
    employment: np.ndarray
    final_demand: pd.DataFrame
    adjustments: list[str]


def check_year(year: int, level: int) -> None:
    """Raise EconomyError unless iotbr ships the table of ``year`` at ``level``."""
    if level not in LEVELS:
        levels = ", ".join(map(str, LEVELS))
        raise EconomyError([f"level {level}: IBGE's tables have {levels} sectors"])
    first, last = LEVELS[level]
    if not first <= year <= last:
        older = " (levels 12 and 51 go back to 2000)" if 2000 <= year < first else ""
        raise EconomyError(
            [f"year {year}: IBGE's tables at level {level} cover {first}–{last}{older}"]
        )


def read_ibge(year: int, level: int = 68) -> IbgeTable:
    """The table of ``year`` at ``level`` from the spreadsheets iotbr ships (no network)."""
    check_year(year, level)
    with warnings.catch_warnings():
        # iotbr reads the spreadsheets with pandas' xlrd engine and importlib's open_binary,
        # both deprecated: nothing a user can act on
        warnings.simplefilter("ignore", DeprecationWarning)
        from iotbr import io_system, tru

        system = io_system.system(str(year), str(level), "t")
        added = tru.read_var(str(year), str(level), "VA_table", "t")
        used = tru.read_var(str(year), str(level), "CI_matrix", "t")
    sectors = [sector_name(column) for column in used.columns]
    flows = np.asarray(system.mZ.to_numpy(dtype=np.float64))
    output = added[OUTPUT_ROW].to_numpy(dtype=np.float64)
    employment = added[EMPLOYMENT_ROW].to_numpy(dtype=np.float64)
    final_demand = system.mY.rename(columns=FINAL_USES).astype(np.float64)
    final_demand.index = pd.Index(sectors, name="product")
    flows, final_demand, adjustments = _without_negative_flows(flows, final_demand, sectors)
    table = IbgeTable(year, level, sectors, flows, output, employment, final_demand, adjustments)
    _check_balanced(table)
    return table


def sector_name(header: object) -> str:
    """IBGE's sector header without its code line, on one line: ``"0191\\nAgricultura, …"`` →
    ``"Agricultura, …"``."""
    text = re.sub(r"^[0-9A-Z]{1,5}\s*\n", "", str(header).strip())
    return re.sub(r"\s+", " ", text).strip()


def _without_negative_flows(
    flows: np.ndarray, final_demand: pd.DataFrame, sectors: list[str]
) -> tuple[np.ndarray, pd.DataFrame, list[str]]:
    """Negative flows set to 0, each taken from the final demand (inventory changes) of its row."""
    negative = np.argwhere(flows < 0)
    if not len(negative):
        return flows, final_demand, []
    flows = flows.copy()
    uses = final_demand.to_numpy(dtype=np.float64, copy=True)
    inventories = list(final_demand.columns).index(FINAL_USES["DE"])
    notes = []
    for i, j in negative:
        amount = float(flows[i, j])
        notes.append(
            f"{sectors[i]!r} used by {sectors[j]!r}: {amount:.6g} {UNIT} set to 0 and taken "
            f"from its final demand"
        )
        flows[i, j] = 0.0
        uses[i, inventories] += amount
    final_demand = pd.DataFrame(uses, index=final_demand.index, columns=final_demand.columns)
    return flows, final_demand, notes


def _check_balanced(table: IbgeTable) -> None:
    """Every sector's gross output must equal its intermediate and final sales."""
    sales = table.flows.sum(axis=1) + table.final_demand.sum(axis=1).to_numpy()
    gap = np.abs(sales - table.output) / np.maximum(np.abs(table.output), 1.0)
    if float(gap.max()) > 1e-9:
        worst = int(gap.argmax())
        raise EconomyError(
            [
                f"IBGE {table.year} level {table.level}: the sales of {table.sectors[worst]!r} "
                f"({sales[worst]:.6g}) differ from its gross output ({table.output[worst]:.6g}); "
                f"the table as iotbr reads it does not balance"
            ]
        )


def to_economy(table: IbgeTable) -> Economy:
    """The economy of the module docstring: one product and technique per sector."""
    n = len(table.sectors)
    names = pd.Index(table.sectors, name="product")
    demand = table.final_demand.sum(axis=1).to_numpy()
    return Economy(
        products=names,
        product_units=np.full(n, UNIT, dtype=object),
        techniques=names.rename("technique"),
        technique_product=np.arange(n, dtype=np.int64),
        technique_output=table.output,
        technique_capacity=np.full(n, np.inf),
        input_coefficients=sp.csc_array(table.flows / table.output),
        resources=pd.Index([LABOUR], name="resource"),
        resource_units=np.array([LABOUR_UNIT], dtype=object),
        resource_available=np.array([float(table.employment.sum())]),
        resource_coefficients=sp.csc_array((table.employment / table.output)[None, :]),
        targets=pd.DataFrame(
            {"product": names, "quantity": demand, "year": 1, "priority": 1, "weight": 1.0}
        ),
    )


def write_ibge(table: IbgeTable, folder: Path, fmt: str = "csv") -> None:
    """Write the economy folder, with IBGE's final demand by use and a README, in one rename."""
    with replacing_economy_folder(folder) as staging:
        write_tables(to_economy(table), staging, fmt)
        table.final_demand.reset_index().to_csv(staging / "final_demand_by_use.csv", index=False)
        (staging / "README.md").write_text(_readme(table), encoding="utf-8")


def _readme(table: IbgeTable) -> str:
    adjusted = "".join(f"\n- {note}" for note in table.adjustments) or " none."
    return f"""# Brazil {table.year}, {len(table.sectors)} sectors (IBGE level {table.level})

Made by `kuzbass import ibge --year {table.year} --level {table.level}` from IBGE's supply and
use tables (Tabelas de Recursos e Usos, current prices of {table.year}) as the iotbr package
ships them. Source: IBGE, Diretoria de Pesquisas, Coordenação de Contas Nacionais.

- One product per sector, made by one technique of the same name (industry technology: see
  `kuzbass.economy.ibge`), in {UNIT} at basic prices; domestic flows only (imports, taxes on
  products and trade and transport margins taken out by iotbr).
- Each technique is declared at the sector's recorded gross output ("{OUTPUT_ROW}"), its inputs
  are the sector's recorded purchases from every sector, and its `labour` the persons employed
  ("{EMPLOYMENT_ROW}"); the resource `labour` is available up to the recorded total,
  {table.employment.sum():,.0f} persons.
- `demand.csv`: final demand of each sector's output, the sum of the columns of
  `final_demand_by_use.csv` (IBGE's final uses; inventory changes may be negative).
- Negative flows set to 0 and taken from final demand:{adjusted}

Labour values (`kuzbass values`) are persons employed per {UNIT} of final demand of each product;
`kuzbass output . --demand demand.csv` gives back the recorded gross outputs.
"""
