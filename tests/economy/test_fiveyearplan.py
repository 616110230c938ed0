import shutil
from pathlib import Path

import numpy as np
import pytest

from kuzbass.economy import LABOUR, Economy
from kuzbass.economy.errors import EconomyError

TOY = Path(__file__).parents[1] / "data" / "5yearplan-toy"


def test_maps_the_toy_onto_the_contract() -> None:
    toy = Economy.read(TOY)
    goods = ["iron", "coal", "corn", "bread"]
    assert list(toy.products) == goods
    assert list(toy.techniques) == goods
    np.testing.assert_array_equal(toy.technique_output, [10, 6, 10, 1])
    flows = np.array([[0.1, 0, 0, 0], [2, 1, 0.04, 0.2], [0, 0, 1, 1], [0, 0, 0, 0]])
    np.testing.assert_allclose(toy.input_coefficients.toarray() * toy.technique_output, flows)
    np.testing.assert_allclose(toy.resource_coefficients.toarray(), [[0.03, 1 / 6, 0.2, 0.1]])
    assert list(toy.resources) == [LABOUR]
    assert toy.resource_available.tolist() == [3.0]
    cap = np.array([[10, 7, 1.4, 1], [2, 1, 0.04, 0.1], [0, 0, 1, 0], [0, 0, 0, 0]])
    assert toy.capital_coefficients is not None and toy.depreciation is not None
    np.testing.assert_allclose(toy.capital_coefficients.toarray() * toy.technique_output, cap)
    np.testing.assert_allclose(
        toy.depreciation.toarray()[:2], [[0.07, 0.07, 0.07, 0.06], [0.5] * 4]
    )
    assert toy.years == 5
    targets = toy.targets
    assert targets is not None
    year4 = targets[targets["year"] == 4].set_index("product")["quantity"]
    assert year4.to_dict() == {"iron": 0.1, "coal": 3.1, "corn": 0.0, "bread": 2.1}
    assert set(targets["priority"]) == {1} and set(targets["weight"]) == {1.0}
    schedule = toy.resource_schedule
    assert schedule is not None
    assert schedule["available"].tolist() == [3.0, 3.01, 3.02, 3.03, 3.07]
    assert np.isinf(toy.technique_capacity).all()


def test_tolerates_spaces_and_blank_lines(tmp_path: Path) -> None:
    folder = tmp_path / "toy"
    shutil.copytree(TOY, folder)
    flows = (folder / "flows.csv").read_text().replace(",", " , ")
    (folder / "flows.csv").write_text("\n" + flows + "\n  \n\n")
    again = Economy.read(folder, format="5yearplan")
    np.testing.assert_allclose(
        again.input_coefficients.toarray(), Economy.read(TOY).input_coefficients.toarray()
    )


def test_names_a_bad_number(tmp_path: Path) -> None:
    folder = tmp_path / "toy"
    shutil.copytree(TOY, folder)
    (folder / "dep.csv").write_text(
        (folder / "dep.csv").read_text().replace("0.07,0.07,0.07,0.06", "0.07,x,0.07,-1")
    )
    with pytest.raises(EconomyError) as error:
        Economy.read(folder)
    assert "dep.csv line 2: iron/coal 'x' is not a number" in str(error.value)
    assert "dep.csv line 2: iron/bread '-1' is negative" in str(error.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "toy"
    shutil.copytree(TOY, folder)
    (folder / "cap.csv").unlink()
    with pytest.raises(EconomyError, match=r"cap\.csv: missing"):
        Economy.read(folder, format="5yearplan")
