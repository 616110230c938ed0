"""ECONOMY.json: the generator's documents, reproducibility, and errors that name the culprit."""

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kuzbass.planning.participatory import GoodKind
from kuzbass.planning.participatory_generator import generate_economy
from kuzbass.planning.participatory_schema import EconomyFileError, parse_economy, read_economy

BASE = generate_economy(6, 2, 1, seed=0)


def test_the_generator_is_reproducible_by_seed() -> None:
    first = generate_economy(60, 20, 3, seed=7)
    assert json.dumps(first) == json.dumps(generate_economy(60, 20, 3, seed=7))
    assert json.dumps(first) != json.dumps(generate_economy(60, 20, 3, seed=8))


def test_the_generator_uses_the_published_ranges() -> None:
    economy = parse_economy(generate_economy(600, 50, 4, seed=1))
    goods, workers, consumers = economy.goods, economy.workers, economy.consumers
    assert np.bincount(goods.kinds).tolist() == [4, 4, 4, 4, 4]
    assert np.all(goods.start_prices == 700.0)
    fixed = np.isin(goods.kinds, [GoodKind.NATURAL_RESOURCE, GoodKind.LABOUR])
    assert np.all(goods.fixed_supply[fixed] == 1000.0)
    # 600 councils over 12 products: 50 per product.
    assert np.bincount(workers.product).tolist() == [50] * 4 + [50] * 4 + [50] * 4
    used = workers.input_goods >= 0
    kinds = np.where(used, goods.kinds[np.where(used, workers.input_goods, 0)], -1)
    for kind, (low, high) in [(2, (1, 4)), (3, (1, 2)), (4, (1, 2))]:
        per_council = (kinds == kind).sum(axis=1)
        assert per_council.min() == low and per_council.max() == high
    n = used.sum(axis=1, keepdims=True)
    shares = np.where(used, workers.input_exponents * n, np.nan)
    assert np.nanmin(shares) >= 0.75 and np.nanmax(shares) <= 0.85
    assert workers.effort_exponent.min() >= 0.05 and workers.effort_exponent.max() <= 0.1
    assert workers.disutility_exponent.min() >= 3 and workers.disutility_exponent.max() <= 4
    assert workers.productivity.min() >= 4 and workers.productivity.max() <= 6
    assert np.all(workers.disutility_coefficient == 1.0)
    assert np.all(workers.returns_margin() > 0)
    assert np.all(consumers.income == 5000.0)
    assert consumers.exponents.min() >= 0.025 and consumers.exponents.max() <= 0.05


@settings(max_examples=40, deadline=None)
@given(goods=st.integers(1, 12), seed=st.integers(0, 2**32 - 1))
def test_every_generated_good_has_both_sides_even_with_few_councils(goods: int, seed: int) -> None:
    economy = parse_economy(generate_economy(3 * goods, 1, goods, seed))
    inputs = economy.workers.input_goods
    assert set(inputs[inputs >= 0].tolist()) == set(range(2 * goods, 5 * goods))
    for row in inputs:
        used = row[row >= 0]
        assert len(set(used.tolist())) == len(used)


def test_the_generator_refuses_too_few_worker_councils() -> None:
    with pytest.raises(ValueError, match=r"at least 3 × goods \(30\)"):
        generate_economy(29, 10, 10, seed=0)


def test_a_file_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "economy.json"
    path.write_text(json.dumps(BASE))
    economy = read_economy(path)
    assert economy.goods.names == [good["name"] for good in BASE["goods"]]
    assert economy.workers.names == [council["name"] for council in BASE["worker_councils"]]
    first = BASE["worker_councils"][0]
    assert economy.workers.productivity[0] == first["productivity"]
    used = economy.workers.input_goods[0] >= 0
    named = {
        economy.goods.names[g]: b
        for g, b in zip(
            economy.workers.input_goods[0, used],
            economy.workers.input_exponents[0, used],
            strict=True,
        )
    }
    assert named == first["inputs"]


def _broken(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    change(document)
    return document


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["worker_councils"][1].update(productivity=-1),
            r"worker_councils\[1\] \('worker-2'\), field productivity: "
            r"Input should be greater than 0",
        ),
        (
            lambda d: d["worker_councils"][1].pop("disutility_exponent"),
            r"worker_councils\[1\] \('worker-2'\), field disutility_exponent: Field required",
        ),
        (
            lambda d: d["consumer_councils"][1].update(income="5000"),
            r"consumer_councils\[1\] \('consumer-2'\), field income: "
            r"Input should be a valid number",
        ),
        (
            lambda d: d["worker_councils"][0].update(effort_exponent=float("nan")),
            r"worker_councils\[0\] \('worker-1'\), field effort_exponent: .*finite",
        ),
        (
            lambda d: d["worker_councils"][0]["inputs"].update({"labour-1": 0.0}),
            r"field inputs.labour-1: Input should be greater than 0",
        ),
        (
            lambda d: d["worker_councils"][2].update(inputs={"steel": 0.2}),
            r"worker_councils\[2\] \('worker-3'\), field inputs: 'steel' is not a declared good",
        ),
        (
            lambda d: d["worker_councils"][2].update(product="labour-1"),
            r"worker_councils\[2\] \('worker-3'\), field product: 'labour-1' is of kind labour; "
            r"allowed kinds here: private, public, intermediate",
        ),
        (
            lambda d: d["consumer_councils"][1]["exponents"].update({"intermediate-1": 0.1}),
            r"consumer_councils\[1\] \('consumer-2'\), field exponents: 'intermediate-1' is of "
            r"kind intermediate",
        ),
        (
            lambda d: d["goods"][3].pop("supply"),
            r"goods\[3\] \('natural_resource-1'\): field supply is required",
        ),
        (
            lambda d: d["goods"][0].update(supply=5.0),
            r"goods\[0\] \('private-1'\): field supply is not allowed for kind private",
        ),
        (
            lambda d: d["goods"][0].update(kind="luxury"),
            r"goods\[0\] \('private-1'\), field kind: Input should be 'private'",
        ),
        (
            lambda d: d["goods"].append({"name": "private-1", "kind": "private", "price": 1.0}),
            r"goods\[5\]: the name 'private-1' is used twice",
        ),
        (
            lambda d: d["consumer_councils"].append(dict(d["consumer_councils"][0])),
            r"consumer_councils\[2\]: the name 'consumer-1' is used twice",
        ),
        (
            lambda d: d["goods"].append({"name": "tea", "kind": "private", "price": 1.0}),
            r"goods\[5\] \('tea'\): no worker council makes this good \(kind private\)",
        ),
        (
            lambda d: d["worker_councils"][0].update(surprise=1),
            r"worker_councils\[0\] \('worker-1'\), field surprise: Extra inputs are not permitted",
        ),
        (lambda d: d.update(format="pequod"), r"format: Input should be"),
        (lambda d: d.update(worker_councils=[]), r"worker_councils: List should have at least 1"),
    ],
)
def test_schema_errors_name_the_entry_and_field(change: Any, message: str) -> None:
    with pytest.raises(EconomyFileError, match=message):
        parse_economy(_broken(change))


def test_a_council_without_a_maximum_is_refused() -> None:
    def no_maximum(document: dict[str, Any]) -> None:
        council = document["worker_councils"][1]
        council.update(effort_exponent=0.4, disutility_exponent=2.0)  # c/k = 0.2
        council["inputs"] = {"labour-1": 0.5, "natural_resource-1": 0.3}  # Σb = 0.8

    with pytest.raises(
        EconomyFileError,
        match=r"worker_councils\[1\] \('worker-2'\): effort_exponent/disutility_exponent \+ "
        r"sum of input exponents = 1 must be below 1",
    ):
        parse_economy(_broken(no_maximum))


def test_an_unused_resource_is_refused() -> None:
    def unused(document: dict[str, Any]) -> None:
        document["goods"].append(
            {"name": "gas", "kind": "natural_resource", "price": 700.0, "supply": 10.0}
        )

    with pytest.raises(EconomyFileError, match=r"goods\[5\] \('gas'\): no worker council wants"):
        parse_economy(_broken(unused))


def test_invalid_json_is_named(tmp_path: Path) -> None:
    path = tmp_path / "economy.json"
    path.write_text('{"format": ')
    with pytest.raises(EconomyFileError, match=r"economy.json: not valid JSON"):
        read_economy(path)
