"""Every kind of bad input gets an error naming the file, row and value, and writes nothing."""

from functools import partial
from pathlib import Path

import pytest

from kuzbass.economy import Economy
from kuzbass.economy.errors import EconomyError
from kuzbass.linalg import NotProductiveError
from kuzbass.planning.balances import gross_output, labour_values


def _problems(folder: Path) -> str:
    with pytest.raises(EconomyError) as error:
        Economy.read(folder)
    return str(error.value)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"techniques": "technique,product,output\nfarm,corn,10\nmill,steel,4\n"},
            "techniques.csv line 3: unknown product 'steel' in column product",
        ),
        (
            {"inputs": "technique,input,quantity\nfarm,corn,2\nfarm,oil,1\nmill,corn,1\n"},
            "inputs.csv line 3: unknown input (neither product nor resource) 'oil'",
        ),
        (
            {"inputs": "technique,input,quantity\nfarm,corn,2\nforge,corn,1\n"},
            "inputs.csv line 3: unknown technique 'forge' in column technique",
        ),
        (
            {"inputs": "technique,input,quantity\nfarm,corn,2\nmill,corn,-1\n"},
            "inputs.csv line 3: technique 'mill', input 'corn': quantity is '-1': must not be "
            "negative (only final demand may be negative)",
        ),
        (
            {"inputs": "technique,input,quantity\nfarm,corn,nan\n"},
            "inputs.csv line 2: technique 'farm', input 'corn': quantity is 'nan', not a number "
            "(NaN)",
        ),
        (
            {"inputs": "technique,input,quantity\nfarm,corn,inf\n"},
            "inputs.csv line 2: technique 'farm', input 'corn': quantity is 'inf', infinite",
        ),
        (
            {"inputs": "technique,input,quantity\nfarm,corn,2\nfarm,iron,lots\n"},
            "inputs.csv line 3: technique 'farm', input 'iron': quantity 'lots' is not a number",
        ),
        (
            {"inputs": "technique,input,quantity\nfarm,corn,2\nfarm,iron,\n"},
            "inputs.csv line 3: technique 'farm', input 'iron': quantity is empty",
        ),
        (
            {"techniques": "technique,product,output\nfarm,corn,0\nmill,iron,-4\n"},
            "techniques.csv line 2: output is '0': must be positive",
        ),
        (
            {"techniques": "technique,product,output\nfarm,corn,10\nmill,iron,-4\n"},
            "techniques.csv line 3: output is '-4': must be positive",
        ),
        (
            {"inputs": "technique,input,quantity\nfarm,corn,2\nmill,iron,1\nfarm,corn,3\n"},
            "inputs.csv line 4: duplicate row for technique 'farm', input 'corn', already given "
            "at inputs.csv line 2 (rows are not summed: remove one)",
        ),
        (
            {
                "inputs": "technique,input,quantity\nfarm,iron,1\nfarm,corn,2\nfarm,iron,3\n"
                "mill,corn,1\nmill,iron,0.4\nfarm,labour,5\nmill,labour,4\n"
            },
            "inputs.csv line 4: duplicate row for technique 'farm', input 'iron', already given "
            "at inputs.csv line 2 (rows are not summed: remove one)",
        ),
        (
            {"techniques": "technique,product,output\nfarm,corn,10\n"},
            "products.csv line 3: product 'iron' is made by no technique",
        ),
        (
            {"inputs": ""},
            "inputs.csv: the file is empty (expected the header technique,input,quantity)",
        ),
        ({"products": "product,unit\n"}, "products.csv: no rows"),
        (
            {"inputs": "technique,item,quantity\nfarm,corn,2\n"},
            "inputs.csv: wrong header technique,item,quantity (expected technique,input,quantity)",
        ),
        ({"resources": None}, "resources.csv: missing from"),
        (
            {"products": "product,unit\ncorn,t\niron,t\ncorn,kg\n"},
            "products.csv line 4: product 'corn' is listed twice",
        ),
        (
            {"resources": "resource,unit,available\nlabour,hours,-5\n"},
            "resources.csv line 2: available is '-5': must not be negative",
        ),
        (
            {"resources": "resource,unit,available\nlabour,hours,\ncorn,t,\n"},
            "resources.csv line 3: resource 'corn' is also a product name",
        ),
        (
            {"demand": "product,quantity\ncorn,10\nsoap,5\n"},
            "demand.csv line 3: unknown product 'soap' in column product",
        ),
    ],
)
def test_bad_input_is_named(make_folder, changes: dict[str, str | None], expected: str) -> None:
    assert expected in _problems(make_folder(**changes))


def test_many_problems_are_listed_together(make_folder) -> None:
    message = _problems(
        make_folder(inputs="technique,input,quantity\n" + "farm,corn,-1\n" * 8 + "mill,oil,1\n")
    )
    assert "… and 3 more rows like the above" in message
    assert "unknown input (neither product nor resource) 'oil'" in message


def test_a_self_consuming_cycle_is_named(make_folder) -> None:
    folder = make_folder(
        products="product,unit\ncoal,t\nsteel,t\nbread,t\n",
        techniques="technique,product,output\nmine,coal,1\nworks,steel,1\nbakery,bread,1\n",
        inputs=(
            "technique,input,quantity\nmine,steel,0.8\nworks,coal,1.5\nbakery,coal,0.1\n"
            "mine,labour,1\nworks,labour,1\nbakery,labour,1\n"
        ),
        demand="product,quantity\nbread,1\n",
    )
    economy = Economy.read(folder)
    for attempt in (economy.check, partial(labour_values, economy), partial(gross_output, economy)):
        with pytest.raises(NotProductiveError) as error:
            attempt()
        assert error.value.cycle[0] in ("coal", "steel")
        assert sorted(error.value.cycle) == ["coal", "steel"]
        assert abs(error.value.spectral_radius - 1.2**0.5 * 1.0) < 1e-9 or (
            abs(error.value.spectral_radius - (0.8 * 1.5) ** 0.5) < 1e-9
        )
        assert "spectral radius 1.09545 ≥ 1" in str(error.value)
        assert "'bread'" not in str(error.value)


def test_several_techniques_need_a_named_active_one(make_folder) -> None:
    folder = make_folder(
        techniques="technique,product,output\nfarm,corn,10\nmill,iron,4\nforge,iron,1\n",
        inputs="technique,input,quantity\nfarm,labour,5\nmill,labour,4\nforge,labour,3\n",
    )
    economy = Economy.read(folder)
    with pytest.raises(EconomyError, match="product 'iron' is made by several techniques"):
        labour_values(economy)
    assert labour_values(economy, active=["forge"])["iron"] == pytest.approx(3.0)
    assert labour_values(economy, active=["mill"])["iron"] == pytest.approx(1.0)
    with pytest.raises(EconomyError, match="both named active"):
        labour_values(economy, active=["mill", "forge"])
    with pytest.raises(EconomyError, match="'smithy' is not a technique"):
        labour_values(economy, active=["smithy"])


def test_demand_for_an_unknown_product_is_refused(make_folder) -> None:
    import pandas as pd

    economy = Economy.read(make_folder())
    with pytest.raises(EconomyError, match="demand for unknown products: 'soap'"):
        gross_output(economy, pd.Series({"corn": 1.0, "soap": 2.0}))


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(EconomyError, match="not an economy folder"):
        Economy.read(tmp_path)
