from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kuzbass.economy import Economy
from kuzbass.economy.errors import EconomyError
from kuzbass.economy.generate import generate
from kuzbass.planning.balances import gross_output, labour_values


def _same(a: Economy, b: Economy) -> None:
    assert list(a.products) == list(b.products)
    assert list(a.techniques) == list(b.techniques)
    assert list(a.resources) == list(b.resources)
    assert list(a.product_units) == list(b.product_units)
    assert list(a.resource_units) == list(b.resource_units)
    np.testing.assert_array_equal(a.technique_product, b.technique_product)
    np.testing.assert_allclose(a.technique_output, b.technique_output, rtol=1e-15)
    np.testing.assert_array_equal(a.technique_capacity, b.technique_capacity)
    np.testing.assert_array_equal(a.resource_available, b.resource_available)
    for left, right in (
        (a.input_coefficients, b.input_coefficients),
        (a.resource_coefficients, b.resource_coefficients),
        (a.capital_coefficients, b.capital_coefficients),
        (a.depreciation, b.depreciation),
    ):
        if left is None:
            assert right is None
            continue
        assert right is not None
        np.testing.assert_allclose(left.toarray(), right.toarray(), rtol=1e-14, atol=0)
    for left_frame, right_frame in (
        (a.targets, b.targets),
        (a.resource_schedule, b.resource_schedule),
    ):
        if left_frame is None:
            assert right_frame is None
        else:
            assert right_frame is not None
            pd.testing.assert_frame_equal(
                left_frame.reset_index(drop=True),
                right_frame.reset_index(drop=True),
                check_dtype=False,
            )


def test_reads_the_farm_by_hand(make_folder) -> None:
    economy = Economy.read(make_folder())
    np.testing.assert_allclose(economy.input_coefficients.toarray(), [[0.2, 0.25], [0.1, 0.1]])
    np.testing.assert_allclose(economy.resource_coefficients.toarray(), [[0.5, 1.0]])
    assert list(economy.techniques) == ["farm", "mill"]
    assert economy.resource_available.tolist() == [1000.0]
    assert np.isinf(economy.technique_capacity).all()
    values = labour_values(economy)
    expected = [float(Fraction(110, 139)), float(Fraction(185, 139))]
    np.testing.assert_allclose(values.to_numpy(), expected, rtol=1e-14)
    assert values.index.tolist() == ["corn", "iron"]
    output = gross_output(economy)
    np.testing.assert_allclose(output.to_numpy(), [2050 / 139, 1000 / 139], rtol=1e-14)
    assert output.attrs["method"] == "dense LU (LAPACK)"
    assert output.attrs["residual"] < 1e-14


def test_capacity_column_and_blank_means_unlimited(make_folder) -> None:
    folder = make_folder(
        techniques="technique,product,output,capacity\nfarm,corn,10,50\nmill,iron,4,\n"
    )
    economy = Economy.read(folder)
    assert economy.technique_capacity[0] == 50
    assert np.isinf(economy.technique_capacity[1])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_round_trip_through_both_formats(tmp_path: Path, fmt: str) -> None:
    original = generate(
        300,
        6,
        seed=3,
        capacity_headroom=0.2,
        labour_available=1.1,
        land_available=1.5,
        alternatives=0.1,
    )
    original.write(tmp_path / "a", fmt)
    again = Economy.read(tmp_path / "a")
    _same(original, again)
    other = "parquet" if fmt == "csv" else "csv"
    again.write(tmp_path / "b", other)
    _same(original, Economy.read(tmp_path / "b", format=other))


def test_five_year_plan_round_trips_through_csv(tmp_path: Path) -> None:
    toy = Economy.read(Path(__file__).parents[1] / "data" / "5yearplan-toy")
    toy.write(tmp_path / "toy", "csv")
    _same(toy, Economy.read(tmp_path / "toy"))
    toy.write(tmp_path / "toy.parquet", "parquet")
    _same(toy, Economy.read(tmp_path / "toy.parquet"))


def test_writing_replaces_a_folder_whole(tmp_path: Path, make_folder) -> None:
    economy = Economy.read(make_folder())
    target = tmp_path / "out"
    economy.write(target, "parquet")
    (target / "stale.csv").write_text("old")
    economy.write(target)
    assert sorted(p.name for p in target.iterdir()) == [
        "demand.csv",
        "inputs.csv",
        "products.csv",
        "resources.csv",
        "techniques.csv",
    ]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_writing_never_replaces_a_folder_that_is_not_an_economy(
    tmp_path: Path, make_folder
) -> None:
    economy = Economy.read(make_folder())
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(EconomyError, match="exists and is not an economy folder"):
        economy.write(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_failed_write_leaves_the_old_folder(tmp_path: Path, make_folder, monkeypatch) -> None:
    economy = Economy.read(make_folder())
    target = tmp_path / "out"
    economy.write(target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        economy.write(target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_parquet_written_by_others_with_plain_strings_and_many_row_groups(
    tmp_path: Path, make_folder
) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    source = make_folder()
    folder = tmp_path / "other"
    folder.mkdir()
    for stem in ("products", "techniques", "inputs", "resources", "demand"):
        table = pacsv.read_csv(source / f"{stem}.csv")
        strings = {
            name: table.column(name).cast(pa.string())
            for name in table.column_names
            if name in ("product", "unit", "technique", "input", "resource")
        }
        for name, column in strings.items():
            table = table.set_column(table.column_names.index(name), name, column)
        pq.write_table(table, folder / f"{stem}.parquet", row_group_size=2, store_schema=False)
    economy = Economy.read(folder)
    np.testing.assert_allclose(
        labour_values(economy).to_numpy(), [110 / 139, 185 / 139], rtol=1e-14
    )
    broken = pq.read_table(folder / "inputs.parquet").to_pandas()
    broken.loc[4, "input"] = "oil"
    pq.write_table(pa.Table.from_pandas(broken), folder / "inputs.parquet", row_group_size=2)
    with pytest.raises(EconomyError, match=r"inputs\.parquet row 5: unknown input .* 'oil'"):
        Economy.read(folder)


def test_parquet_row_groups_carry_only_the_names_they_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    from kuzbass.economy import canonical

    monkeypatch.setattr(canonical, "ROW_GROUP", 500)
    original = generate(1000, 5, seed=4)
    original.write(tmp_path / "g", "parquet")
    source = pq.ParquetFile(
        tmp_path / "g" / "inputs.parquet", read_dictionary=["technique", "input"]
    )
    goods = original.input_coefficients.nnz
    assert source.metadata.num_row_groups == -(-goods // 500) + 2  # labour rows start a group
    group = source.read_row_group(1)
    techniques = group.column("technique").chunk(0).dictionary.to_pylist()
    inputs = group.column("input").chunk(0).dictionary.to_pylist()
    names = [str(t) for t in original.techniques]
    first = names.index(techniques[0])
    assert techniques == names[first : first + len(techniques)]  # a run of the techniques
    assert len(inputs) < 500 and inputs == sorted(inputs)  # the products used, in their order
    used = {str(original.products[i]) for i in group.column("input").chunk(0).indices.to_numpy()}
    assert used <= set(str(p) for p in original.products)
    last = source.read_row_group(source.num_row_groups - 1).column("input").chunk(0).dictionary
    assert last.to_pylist() == ["labour"]
    _same(original, Economy.read(tmp_path / "g"))


def test_a_share_of_the_row_groups_is_read_with_rows_named_in_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from kuzbass.economy import canonical

    monkeypatch.setattr(canonical, "ROW_GROUP", 500)
    original = generate(1000, 5, seed=4)
    original.write(tmp_path / "g", "parquet")
    groups = pq.ParquetFile(tmp_path / "g" / "inputs.parquet").num_row_groups
    parts = [
        canonical.read_canonical(tmp_path / "g", "parquet", share)
        for share in (range(0, 3), range(3, groups))
    ]
    for matrix in ("input_coefficients", "resource_coefficients"):
        whole = getattr(original, matrix).toarray()
        np.testing.assert_allclose(sum(getattr(p, matrix).toarray() for p in parts), whole)
    assert all(0 < p.input_coefficients.nnz < original.input_coefficients.nnz for p in parts)
    inputs = pq.read_table(tmp_path / "g" / "inputs.parquet")
    quantity = inputs.column("quantity").to_numpy().copy()
    quantity[1234] = np.nan  # in the third row group of 500
    broken = inputs.set_column(2, "quantity", pa.array(quantity))
    pq.write_table(broken, tmp_path / "g" / "inputs.parquet", row_group_size=500)
    canonical.read_canonical(tmp_path / "g", "parquet", range(3, groups))  # not in this share
    with pytest.raises(EconomyError, match=r"inputs\.parquet row 1235: .*quantity is nan"):
        canonical.read_canonical(tmp_path / "g", "parquet", range(0, 3))


def test_parquet_with_dictionaries_of_its_own(tmp_path: Path, make_folder) -> None:
    """Others' dictionaries: in another order, small beside the names, with a null name."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = make_folder()
    economy = Economy.read(folder)
    economy.write(tmp_path / "p", "parquet")
    rows = [("mill", "iron", 0.4), ("farm", "corn", 2.0), ("farm", "iron", 1.0)]
    rows += [("mill", "corn", 1.0), ("farm", "labour", 5.0), ("mill", "labour", 4.0)]

    def write(techniques: list[str | None], inputs: list[str]) -> None:
        table = pa.table(
            {
                "technique": pa.array(techniques).dictionary_encode(),
                "input": pa.array(inputs).dictionary_encode(),
                "quantity": [r[2] for r in rows],
            }
        )
        pq.write_table(table, tmp_path / "p" / "inputs.parquet", row_group_size=4)

    write([r[0] for r in rows], [r[1] for r in rows])
    np.testing.assert_allclose(
        labour_values(Economy.read(tmp_path / "p")).to_numpy(), [110 / 139, 185 / 139], 1e-14
    )
    write([r[0] for r in rows[:-1]] + [None], [r[1] for r in rows[:-2]] + ["oil", "labour"])
    with pytest.raises(EconomyError) as error:
        Economy.read(tmp_path / "p")
    assert "inputs.parquet row 5: unknown input (neither product nor resource) 'oil'" in str(
        error.value
    )
    assert "inputs.parquet row 6: unknown technique None in column technique" in str(error.value)


def test_unsorted_parquet_names_listed_twice_are_named(tmp_path: Path, make_folder) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    Economy.read(make_folder()).write(tmp_path / "p", "parquet")
    products = pa.table({"product": ["iron", "corn", "iron"], "unit": ["t", "t", "kg"]})
    pq.write_table(products, tmp_path / "p" / "products.parquet")
    with pytest.raises(EconomyError, match=r"products\.parquet row 3: product 'iron' is listed"):
        Economy.read(tmp_path / "p")


def test_codes_map_every_kind_of_dictionary() -> None:
    import pyarrow as pa

    from kuzbass.economy.canonical import codes

    names = pa.array([f"n{i:03d}" for i in range(100)])

    def column(dictionary: list[str], indices: list[int | None]) -> pa.ChunkedArray:
        return pa.chunked_array(
            [pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), pa.array(dictionary))]
        )

    run = column(["n040", "n041", "n042"], [2, 0, None, 1])
    assert codes(run, names).tolist() == [42, 40, -1, 41]
    assert codes(column(["n009", "n001"], [1, 0, 0]), names).tolist() == [1, 9, 9]
    few = column(["n007", "zzz", "n003", "n007"], [0, 1, 2, 3])  # repeated and absent entries
    assert codes(few, names).tolist() == [7, -1, 3, 7]
    many = column([f"n{i:03d}" for i in range(99, 9, -1)] + ["zzz"], [0, 89, 90])
    assert codes(many, names).tolist() == [99, 10, -1]
    plain = pa.chunked_array([pa.array(["n005", "zzz", None])])
    assert codes(plain, names).tolist() == [5, -1, -1]


def test_bad_parquet_quantities_are_named_by_row(tmp_path: Path, make_folder) -> None:
    import pyarrow.parquet as pq

    economy = Economy.read(make_folder())
    economy.write(tmp_path / "p", "parquet")
    assert np.isinf(Economy.read(tmp_path / "p").technique_capacity).all()  # unlimited is fine
    inputs = pq.read_table(tmp_path / "p" / "inputs.parquet")
    quantity = inputs.column("quantity").to_numpy().copy()
    quantity[[1, 3, 4]] = [np.nan, -np.inf, -1.0]
    table = inputs.set_column(2, "quantity", [quantity])
    pq.write_table(table, tmp_path / "p" / "inputs.parquet")
    with pytest.raises(EconomyError) as error:
        Economy.read(tmp_path / "p")
    message = str(error.value)
    assert (
        "inputs.parquet row 2: technique 'farm', input 'iron': quantity is nan, not a number (NaN)"
        in message
    )
    assert (
        "inputs.parquet row 4: technique 'mill', input 'iron': quantity is -inf, infinite"
        in message
    )
    assert (
        "inputs.parquet row 5: technique 'farm', input 'labour': quantity is -1.0: must not be "
        "negative" in message
    )
