from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from kuzbass.cli import app
from kuzbass.economy import Economy

TOY = Path(__file__).parents[1] / "data" / "5yearplan-toy"

runner = CliRunner()


def test_check_summarises(make_folder) -> None:
    result = runner.invoke(app, ["check", str(make_folder())])
    assert result.exit_code == 0, result.output
    assert "products         2" in result.output
    assert "coefficients     6" in result.output
    assert "spectral radius  0.3" in result.output


def test_check_lists_problems_and_fails(make_folder) -> None:
    folder = make_folder(inputs="technique,input,quantity\nfarm,corn,-2\n")
    result = runner.invoke(app, ["check", str(folder)])
    assert result.exit_code == 2  # bad input
    assert "inputs.csv line 2: technique 'farm', input 'corn': quantity is '-2'" in result.output


def test_values_to_a_file(make_folder, tmp_path: Path) -> None:
    out = tmp_path / "values.csv"
    result = runner.invoke(app, ["values", str(make_folder()), "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns) == ["product", "value"]
    assert table["value"].tolist() == pytest.approx([Fraction(110, 139), Fraction(185, 139)])
    assert "relative residual" in result.output


def test_output_for_a_demand_file(make_folder, tmp_path: Path) -> None:
    demand = tmp_path / "demand.csv"
    demand.write_text("product,quantity\ncorn,10\niron,5\n")
    result = runner.invoke(app, ["output", str(make_folder()), "--demand", str(demand)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "product,quantity"
    assert float(lines[1].split(",")[1]) == pytest.approx(2050 / 139)


def test_output_names_a_bad_demand_row(make_folder, tmp_path: Path) -> None:
    demand = tmp_path / "demand.csv"
    demand.write_text("product,quantity\ncorn,10\niron,x\n")
    result = runner.invoke(app, ["output", str(make_folder()), "--demand", str(demand)])
    assert result.exit_code == 2
    assert "demand.csv line 3: quantity 'x' is not a finite number" in result.output


def test_generate_then_convert(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "generate",
            str(tmp_path / "g"),
            "--products",
            "200",
            "--inputs-per-product",
            "5",
            "--seed",
            "3",
            "--spectral-radius",
            "0.7",
            "--format",
            "parquet",
            "--labour-available",
            "1.5",
            "--capacity-headroom",
            "0.1",
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["convert", str(tmp_path / "g"), str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    economy = Economy.read(tmp_path / "c")
    assert (tmp_path / "c" / "inputs.csv").exists()
    assert economy.check().spectral_radius == pytest.approx(0.7, abs=1e-9)
    assert economy.resource_available[0] < float("inf")


def test_convert_of_bad_input_writes_nothing(make_folder, tmp_path: Path) -> None:
    folder = make_folder(techniques="technique,product,output\nfarm,corn,0\nmill,iron,4\n")
    result = runner.invoke(app, ["convert", str(folder), str(tmp_path / "out")])
    assert result.exit_code == 2
    assert not (tmp_path / "out").exists()


def test_convert_a_five_year_plan(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["convert", str(TOY), str(tmp_path / "t"), "--to", "parquet"],
    )
    assert result.exit_code == 0, result.output
    assert Economy.read(tmp_path / "t").years == 5
