"""Broken scenario files give errors naming the file, line or field, and nothing is loaded."""

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kuzbass.scenarios import loader
from kuzbass.scenarios.loader import ScenarioError


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "kuzbass1989"
    shutil.copytree(loader.KUZBASS_1989, copy)
    return copy


def _edit_story(folder: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / "story.json"
    story = json.loads(path.read_text())
    change(story)
    path.write_text(json.dumps(story))


def _council(story: dict[str, Any], council_id: str) -> dict[str, Any]:
    return next(c for c in story["councils"] if c["id"] == council_id)


def _set(path: list[str | int], value: object) -> Callable[[dict[str, Any]], None]:
    def change(story: dict[str, Any]) -> None:
        target: Any = story
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


BROKEN_STORIES = [
    (["councils", 0, "kind"], "union", "story.json: councils[0].kind: 'union' is not one"),
    (["deductions", "public_fund"], "0.15", "deductions.public_fund: '0.15' does not match"),
    (["members", 2, "memberships", 0, "role"], "boss", "members[2].memberships[0].role"),
    (["demands", 0, "raised_on"], "1989-13-01", "demands[0].raised_on"),
    (["members", 0, "password"], "secret", "members[0]: Additional properties"),
    (["councils", 0, "delegates_to"], ["committee"], "unknown council 'committee'"),
    (["demands", 4, "responsible"], "ministry", "(july-soap).responsible: unknown council"),
    (["members", 1, "username"], "andrei", "members[1]: 'andrei' appears twice"),
    (["constitutions", 0, "quorum"], "3/2", "(workplace).quorum: 3/2 is not between 0 and 1"),
    (["deductions", "investment_fund"], "9/10", "together take every hour"),
    (["norms", 0, "council"], "severnaya-9th-brigade", "norms[0].council: 'severnaya-9th"),
    (["councils", 1, "techniques"], ["coal-vorkuta"], "'coal-vorkuta' is not in economy/"),
    (["councils", 1, "techniques"], [], "no workplace council runs technique 'coal-severnaya'"),
    (
        ["councils", 2, "techniques"],
        ["coal-komsomolskaya", "coal-severnaya"],
        "'coal-severnaya' is already run by 'severnaya-pit'",
    ),
]


@pytest.mark.parametrize(("path", "value", "message"), BROKEN_STORIES)
def test_a_broken_story_is_named(
    folder: Path, path: list[str | int], value: object, message: str
) -> None:
    _edit_story(folder, _set(path, value))
    with pytest.raises(ScenarioError) as error:
        loader.load_story(folder)
    assert message in str(error.value)


def test_a_federation_cannot_delegate_down_to_a_pit(folder: Path) -> None:
    _edit_story(
        folder, lambda s: _council(s, "vorkuta-federation").update(delegates_to=["severnaya-pit"])
    )
    with pytest.raises(ScenarioError, match="a federation cannot send delegates to the workplace"):
        loader.load_story(folder)


def test_a_story_that_is_not_json_names_the_line(folder: Path) -> None:
    (folder / "story.json").write_text('{\n  "title": "Kuzbass 1989",\n  oops\n}')
    with pytest.raises(ScenarioError, match=r"story\.json line 3 column 3: not JSON"):
        loader.load_story(folder)


def test_a_missing_file_is_named(folder: Path) -> None:
    (folder / "state_prices_1989.csv").unlink()
    with pytest.raises(ScenarioError, match=r"state_prices_1989\.csv: missing"):
        loader.state_prices_1989(folder)


BROKEN_PRICE_LISTS = [
    ("product,price\ncoal,11000\n", "header product,price must be product,price_rubles"),
    ("product,price_rubles\ncoal,1\nsoap,cheap\n", "line 3: price_rubles: 'cheap' is not a"),
    ("product,price_rubles\ncoal,-5\n", "line 2: price_rubles: '-5' must be a non-negative"),
    ("product,price_rubles\ncoal,inf\n", "'inf' must be a non-negative number"),
    ("product,price_rubles\ncoal,1\nsoap,2\ncoal,3\n", "line 4: product 'coal' already on"),
    ("product,price_rubles\ncoal,1\n,2\n", "line 3: product is empty"),
    ("product,price_rubles\ncoal,1\nsoap,\n", "line 3: price_rubles is empty"),
    ("product,price_rubles\ncoal,1\nsoap\n", "line 3: 1 fields, expected 2 (product,price_rubles)"),
    ("product,price_rubles\n\ncoal,1,2\n", "line 3: 3 fields, expected 2"),
    ('product,price_rubles\ncoal,"1\n', "cannot be read"),
    ("", "the file is empty"),
]


@pytest.mark.parametrize(("text", "message"), BROKEN_PRICE_LISTS)
def test_a_broken_price_list_is_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(text)
    with pytest.raises(ScenarioError) as error:
        loader.read_price_list(path)
    assert message in str(error.value)


def test_a_price_list_in_hours_keeps_its_unit(tmp_path: Path) -> None:
    path = tmp_path / "values.csv"
    path.write_text("\ufeffproduct,price_hours\ncoal, 4.5\nsoap,0.1\n\n", encoding="utf-8")
    prices = loader.read_price_list(path)
    assert prices.name == "price_hours"
    assert prices.to_dict() == {"coal": 4.5, "soap": 0.1}


def test_broken_wage_rates_and_targets_are_named(folder: Path) -> None:
    (folder / "wage_rates_1989.csv").write_text("technique,rubles\ncoal-severnaya,3.4\n")
    with pytest.raises(ScenarioError) as error:
        loader.wage_rates_1989(folder)
    assert "wrong header technique,rubles (expected technique,rubles_per_hour)" in str(error.value)
    (folder / "plan_1989.csv").write_text("product,quantity\ncoal,many\n")
    with pytest.raises(ScenarioError) as error:
        loader.plan_1989(folder)
    assert "plan_1989.csv line 2: quantity: 'many' is not a number" in str(error.value)


def test_broken_needs_are_named_line_by_line(folder: Path) -> None:
    path = folder / "needs.csv"
    lines = path.read_text().splitlines()
    lines[1] = "strike-committee,coal,40,basic-needs,"
    lines[2] = "mezhdurechensk-town,vodka,80,basic-needs,"
    lines[3] = "mezhdurechensk-town,grain,20,luxuries,"
    lines[4] = "mezhdurechensk-town,bread,12,basic-needs,july-beer"
    lines[5] = "severnaya-pit,soap,250,basic-needs,july-soap"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ScenarioError) as error:
        loader.read_needs(folder)
    assert error.value.problems == [
        "needs.csv line 2: council 'strike-committee' is not a consumer council or the congress",
        "needs.csv line 3: product 'vodka' is not in economy/products.csv",
        "needs.csv line 4: use 'luxuries' has no priority in story.json",
        "needs.csv line 5: demand 'july-beer' is not in story.json",
        "needs.csv line 6: council 'severnaya-pit' is not a consumer council or the congress",
    ]


def test_a_need_listed_twice_is_named(folder: Path) -> None:
    path = folder / "needs.csv"
    path.write_text(path.read_text() + "vorkuta-town,soap,5,basic-needs,\n")
    with pytest.raises(ScenarioError, match="vorkuta-town, soap, basic-needs appears twice"):
        loader.read_needs(folder)


def test_an_economy_path_without_products_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"no products\.csv"):
        loader.economy_path(tmp_path)
