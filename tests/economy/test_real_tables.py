"""Tables no one here made: odd structures and names read, and the balance identities hold.

A national input-output table has sectors that buy nothing from other sectors (domestic services),
products no sector uses, negative final demand (stocks run down), and names with commas, quotes,
accents or other scripts. Built as CSV by the csv module and as Parquet by pyarrow, not by our
writer, each such table must read, and the economy must give back the recorded gross outputs for
the recorded final demand and the recorded employment as the labour of that demand.
"""

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuzbass.economy import Economy
from kuzbass.economy.errors import EconomyError
from kuzbass.planning.balances import gross_output, labour_values

NAMES = [
    "Agricultura, inclusive o apoio à agricultura e a pós-colheita",
    'Fabricação de "celulose", papel',
    "Serviços domésticos",
    "Уголь каменный",
    "钢铁",
    "النفط الخام",
    "Müller's Brot; Öl & Gas",
    "plain",
    "a,b,,c",
    "'quoted' with\ttab",
]


@st.composite
def tables(draw: st.DrawFn) -> dict:
    """A recorded table: flows Z between sectors, gross outputs x, employment, final demand.

    Column sums of Z stay below x (every sector adds value), so the technology is productive;
    rows may add up to more than x, which makes that product's final demand negative. Some
    sectors buy no products (often the last one), some products are bought by no sector.
    """
    n = draw(st.integers(1, len(NAMES)))
    names = draw(st.permutations(NAMES))[:n]
    x = np.array(draw(st.lists(st.floats(1.0, 1e6), min_size=n, max_size=n)))
    share = draw(st.lists(st.floats(0.0, 0.9), min_size=n, max_size=n))
    weights = np.array(
        draw(
            st.lists(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n), min_size=n, max_size=n)
        )
    )
    weights[:, draw(st.lists(st.integers(0, n - 1), max_size=n))] = 0.0  # sectors buying nothing
    weights[draw(st.lists(st.integers(0, n - 1), max_size=n)), :] = 0.0  # products nobody uses
    if draw(st.booleans()):
        weights[:, -1] = 0.0  # the case of Brazil's domestic services, last in the table
    totals = weights.sum(axis=0)
    flows = np.divide(
        weights * np.array(share) * x, totals, out=np.zeros_like(weights), where=totals > 0
    )
    employment = np.array(draw(st.lists(st.floats(0.0, 1e5), min_size=n, max_size=n)))
    padded = draw(st.booleans())
    return {
        "names": names,
        "written": [f"  {name} " for name in names] if padded else names,
        "x": x,
        "flows": flows,
        "employment": employment,
        "demand": x - flows.sum(axis=1),
    }


def _rows(table: dict) -> dict[str, list[dict]]:
    names, written, flows = table["names"], table["written"], table["flows"]
    inputs = [
        {"technique": written[j], "input": written[i], "quantity": flows[i, j]}
        for j in range(len(names))
        for i in range(len(names))
        if flows[i, j] > 0
    ]
    inputs += [
        {"technique": written[j], "input": "labour", "quantity": table["employment"][j]}
        for j in range(len(names))
    ]
    return {
        "products": [{"product": w, "unit": "R$ million"} for w in written],
        "techniques": [
            {"technique": w, "product": w, "output": table["x"][j]} for j, w in enumerate(written)
        ],
        "inputs": inputs,
        "resources": [{"resource": "labour", "unit": "persons", "available": ""}],
        "demand": [{"product": w, "quantity": table["demand"][i]} for i, w in enumerate(written)],
    }


def _write(folder: Path, table: dict, fmt: str) -> None:
    folder.mkdir()
    for stem, rows in _rows(table).items():
        if fmt == "csv":
            with (folder / f"{stem}.csv").open("w", encoding="utf-8", newline="") as stream:
                writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(
                    {k: repr(float(v)) if isinstance(v, float) else v for k, v in r.items()}
                    for r in rows
                )
        else:
            frame = pd.DataFrame(rows)
            if stem == "resources":
                frame["available"] = np.inf
            pq.write_table(
                pa.Table.from_pandas(frame, preserve_index=False), folder / f"{stem}.parquet"
            )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=tables(), fmt=st.sampled_from(["csv", "parquet"]))
def test_a_recorded_table_gives_back_its_outputs_and_its_employment(
    tmp_path_factory: pytest.TempPathFactory, table: dict, fmt: str
) -> None:
    folder = tmp_path_factory.mktemp("table") / "economy"
    _write(folder, table, fmt)
    economy = Economy.read(folder)
    expected = table["names"] if fmt == "csv" else table["written"]  # CSV trims, Parquet does not
    assert list(economy.products) == expected
    demand = economy.targets.set_index("product")["quantity"]
    x = gross_output(economy, demand).to_numpy()
    np.testing.assert_allclose(x, table["x"], rtol=1e-8)
    values = labour_values(economy)
    total = float(table["employment"].sum())
    assert float(values.to_numpy() @ demand.to_numpy()) == pytest.approx(total, rel=1e-8, abs=1e-6)
    again = tmp_path_factory.mktemp("again") / "economy"
    other = "parquet" if fmt == "csv" else "csv"
    if other == "csv" and table["written"] != table["names"]:
        with pytest.raises(EconomyError, match="has spaces at its start or end"):
            economy.write(again, other)  # names as written in Parquet would not survive CSV
        assert not again.exists()
        return
    economy.write(again, other)
    assert list(Economy.read(again).products) == expected


def test_a_sector_without_product_inputs_last_in_the_table_reads(tmp_path: Path) -> None:
    # IBGE 2019: domestic services buy no products and come last (was an IndexError)
    table = {
        "names": ["coal", "Serviços domésticos"],
        "written": ["coal", "Serviços domésticos"],
        "x": np.array([10.0, 5.0]),
        "flows": np.array([[2.0, 0.0], [0.0, 0.0]]),
        "employment": np.array([3.0, 7.0]),
        "demand": np.array([8.0, 5.0]),
    }
    for fmt in ("csv", "parquet"):
        folder = tmp_path / fmt
        _write(folder, table, fmt)
        economy = Economy.read(folder)
        assert economy.input_coefficients.toarray().tolist() == [[0.2, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize(
    ("stem", "text", "message"),
    [
        (
            "inputs",
            "technique,input,quantity\nfarm,corn,-2\nmill,labour,4\n",
            "inputs.csv line 2: technique 'farm', input 'corn': quantity is '-2': must not be "
            "negative (only final demand may be negative)",
        ),
        (
            "products",
            'product,unit\ncorn,t\niron,t\n"  corn ",t\n',
            "products.csv line 4: product 'corn' is listed twice, first at line 2 (spaces around "
            "names are ignored)",
        ),
        (
            "products",
            "product,unit\ncorn,t\niron,t\n\udcff,t\n",
            "products.csv: line 4 is not UTF-8 text: save the file as UTF-8",
        ),
    ],
)
def test_bad_tables_are_refused_naming_the_row(
    make_folder, stem: str, text: str, message: str
) -> None:
    folder = make_folder(**{stem: None})
    (folder / f"{stem}.csv").write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(EconomyError) as error:
        Economy.read(folder)
    assert error.value.problems == [message]


def test_negative_final_demand_is_read(make_folder) -> None:
    economy = Economy.read(make_folder(demand="product,quantity\ncorn,-3\niron,5\n"))
    assert economy.targets["quantity"].tolist() == [-3.0, 5.0]
