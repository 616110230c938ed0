"""Brazil's IBGE tables as shipped by iotbr: the recorded outputs and employment come back."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from kuzbass.cli import app
from kuzbass.economy import Economy
from kuzbass.economy.errors import EconomyError
from kuzbass.economy.ibge import read_ibge, sector_name, to_economy
from kuzbass.planning.balances import gross_output, labour_values

runner = CliRunner()


@pytest.fixture(scope="module")
def brazil_2019(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ibge") / "brazil-2019"
    result = runner.invoke(app, ["import", "ibge", str(folder), "--year", "2019", "--level", "68"])
    assert result.exit_code == 0, result.output
    return folder


def _identities(economy: Economy, employment: float) -> None:
    demand = economy.targets.set_index("product")["quantity"]
    x = gross_output(economy, demand).to_numpy()
    np.testing.assert_allclose(x, economy.technique_output, rtol=1e-8)
    values = labour_values(economy)
    assert float(values.to_numpy() @ demand.to_numpy()) == pytest.approx(employment, rel=1e-8)


def test_2019_at_68_sectors_gives_back_its_outputs_and_employment(brazil_2019: Path) -> None:
    economy = Economy.read(brazil_2019)
    assert economy.n_products == 68
    assert economy.products[0] == "Agricultura, inclusive o apoio à agricultura e a pós-colheita"
    # the sector that crashed the reader: domestic services buy no products, last in the table
    assert economy.products[-1] == "Serviços domésticos"
    assert economy.input_coefficients[:, [67]].nnz == 0
    assert economy.resource_available.tolist() == [105_995_759.0]  # persons employed, 2019
    assert economy.technique_output.sum() == pytest.approx(12_741_791, abs=1)  # R$ million
    _identities(economy, 105_995_759.0)


def test_kuzbass_output_on_the_folder_reproduces_every_recorded_gross_output(
    brazil_2019: Path,
) -> None:
    result = runner.invoke(
        app, ["output", str(brazil_2019), "--demand", str(brazil_2019 / "demand.csv")]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = lines.index("product,quantity")
    computed = pd.read_csv(pd.io.common.StringIO("\n".join(lines[header:])))
    recorded = pd.read_csv(brazil_2019 / "techniques.csv")
    np.testing.assert_allclose(computed["quantity"], recorded["output"], rtol=1e-8)
    assert computed["product"].tolist() == recorded["product"].tolist()


def test_the_plan_of_the_recorded_year_fulfils_it_exactly(brazil_2019: Path) -> None:
    # with the recorded labour, the recorded final demand is exactly reachable: z* = 1
    result = runner.invoke(app, ["plan", str(brazil_2019), "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["objective"] == pytest.approx(1.0, rel=1e-8)


def test_a_year_with_negative_flows_moves_them_to_final_demand() -> None:
    table = read_ibge(2012, 68)
    assert len(table.adjustments) == 6
    assert (table.flows >= 0).all()
    sales = table.flows.sum(axis=1) + table.final_demand.sum(axis=1).to_numpy()
    np.testing.assert_allclose(sales, table.output, rtol=1e-12)
    economy = to_economy(table)
    assert (economy.targets["quantity"] < 0).sum() == 1  # printing: stocks run down
    _identities(economy, float(table.employment.sum()))


def test_a_year_whose_final_demand_runs_down_a_stock_plans_without_that_target(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "brazil-2012"
    imported = runner.invoke(app, ["import", "ibge", str(folder), "--year", "2012"])
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(app, ["plan", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    assert (
        "1 product with a negative final demand (a stock run down): planned with no target "
        "for them ('Impressão e reprodução de gravações')"
    ) in " ".join(result.stderr.split())
    plan = json.loads(result.stdout)
    planned = {row["product"] for row in plan["targets"]}
    assert "Impressão e reprodução de gravações" not in planned
    assert len(planned) == 67
    # printing must now be made, not drawn from stock: a little less of the rest is reachable
    assert 0.999 < plan["objective"] < 1.0


def test_level_51_in_2005_reads_with_the_use_tables_names() -> None:
    table = read_ibge(2005, 51)
    assert len(table.sectors) == 51 and len(set(table.sectors)) == 51
    assert "Serviços de informação" in table.sectors
    _identities(to_economy(table), float(table.employment.sum()))


@pytest.mark.parametrize(
    ("year", "level", "message"),
    [
        (
            2005,
            68,
            "year 2005: IBGE's tables at level 68 cover 2010–2021 (levels 12 and 51 go back to "
            "2000)",
        ),
        (2022, 51, "year 2022: IBGE's tables at level 51 cover 2000–2021"),
        (2019, 42, "level 42: IBGE's tables have 12, 20, 51, 68 sectors"),
    ],
)
def test_a_year_or_level_iotbr_does_not_ship_is_refused(
    year: int, level: int, message: str
) -> None:
    with pytest.raises(EconomyError) as error:
        read_ibge(year, level)
    assert error.value.problems[0] == message


def test_sector_headers_lose_their_codes_and_line_breaks() -> None:
    assert sector_name("0191\nAgricultura, inclusive o apoio") == "Agricultura, inclusive o apoio"
    assert sector_name("T\nServiços domésticos") == "Serviços domésticos"
    assert sector_name("03\nIndústrias de\ntransformação") == "Indústrias de transformação"
    assert sector_name("Serviços de manutenção e reparação ") == (
        "Serviços de manutenção e reparação"
    )
