import numpy as np
import pymrio
import pytest

from kuzbass.economy import LABOUR, Economy
from kuzbass.planning.balances import gross_output, labour_values


def test_the_pymrio_test_system_gives_pymrios_gross_output() -> None:
    io = pymrio.load_test()
    economy = Economy.from_pymrio(io, labour="Value Added")
    assert economy.products[0] == "reg1/food"
    assert list(economy.resources) == [LABOUR]
    assert economy.resource_units.tolist() == ["Mill USD"]
    ours = gross_output(economy)
    io.calc_all()
    theirs = io.x.to_numpy().ravel()
    np.testing.assert_allclose(ours.to_numpy(), theirs, rtol=1e-9)
    np.testing.assert_allclose(economy.input_coefficients.toarray(), io.A.to_numpy(), rtol=1e-12)
    value_added = io.factor_inputs.F.to_numpy().ravel()
    assert economy.resource_available[0] == pytest.approx(value_added.sum())
    values = labour_values(economy)
    assert values.to_numpy() @ io.Y.sum(axis=1).to_numpy() == pytest.approx(value_added.sum())


def test_all_factor_rows_and_other_extensions_become_resources() -> None:
    io = pymrio.load_test()
    economy = Economy.from_pymrio(io, extensions=("factor_inputs", "emissions"))
    assert list(economy.resources) == ["Value Added", "emission_type1/air", "emission_type2/water"]
    with pytest.raises(Exception, match="no factor input named 'Employment'"):
        Economy.from_pymrio(io, labour="Employment")
