"""Commands on economies: check, values, output, generate, convert."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kuzbass import files
from kuzbass.cli.app import app
from kuzbass.distributed import launched_by_mpi, launcher_rank

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pandas as pd
    import pyarrow as pa

    from kuzbass.economy.model import Economy


class Format(StrEnum):
    csv = "csv"
    parquet = "parquet"


class SourceFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"
    fiveyearplan = "5yearplan"


Active = Annotated[
    list[str] | None,
    typer.Option("--active", help="A technique to use where several make one product (repeat)."),
]
Out = Annotated[
    Path | None,
    typer.Option("--out", help="Write here (.csv or .parquet) instead of printing the CSV."),
]
Source = Annotated[
    SourceFormat | None, typer.Option("--format", help="Format of ECONOMY (default: detected).")
]


def _read(path: Path, fmt: SourceFormat | None) -> Economy:
    from rich.console import Console

    from kuzbass.economy.model import Economy

    with Console(stderr=True).status(f"reading {path}"):
        return Economy.read(path, None if fmt is None else fmt.value)


def _report(result: pd.Series | pd.DataFrame) -> None:
    from rich.console import Console

    attrs = result.attrs
    radius = (
        "spectral radius"
        if str(attrs["method"]).startswith("dense")
        else "first-cycle Ritz estimate of the spectral radius"
    )
    Console(stderr=True).print(
        f"method {attrs['method']}, relative residual {attrs['residual']:.2e}, "
        f"{attrs['iterations']} products with A, {radius} {attrs['spectral_radius']:.3g}, "
        f"{attrs['seconds']:.2f} s",
        highlight=False,
    )


def write_table(frame: pd.DataFrame, out: Path | None) -> None:
    """Write a result table as CSV (or Parquet by suffix) atomically, or print it as CSV."""
    import pyarrow as pa

    write_tables([pa.Table.from_pandas(frame, preserve_index=False)], out)


def write_tables(parts: Iterable[pa.Table], out: Path | None) -> None:
    """Write a result table given in parts (same columns) as ``write_table`` writes it, a part
    at a time: an answer on MPI ranks is written without holding all its names at once."""
    import sys

    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    def csv(part: pa.Table, sink: pa.NativeFile, first: bool) -> None:
        if first:
            sink.write((",".join(part.column_names) + "\n").encode())
        style = "none" if _plain(part) else "needed"
        pacsv.write_csv(part, sink, pacsv.WriteOptions(include_header=False, quoting_style=style))

    if out is None:
        for i, part in enumerate(parts):
            buffer = pa.BufferOutputStream()
            csv(part, buffer, i == 0)
            sys.stdout.write(buffer.getvalue().to_pybytes().decode())
        sys.stdout.flush()
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    with files.replacing(out) as temporary:
        if out.suffix == ".parquet":
            writer = None
            for part in parts:
                writer = writer or pq.ParquetWriter(temporary, part.schema)
                writer.write_table(part)
            if writer is not None:
                writer.close()
        else:
            with pa.OSFile(str(temporary), "wb") as stream:
                for i, part in enumerate(parts):
                    csv(part, stream, i == 0)


def _plain(table: pa.Table) -> bool:
    """Whether no text in the table needs quoting in CSV (then none is quoted)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return not any(
        pc.any(pc.match_substring_regex(table.column(name).cast(pa.string()), '[,"\n\r]')).as_py()
        for name, kind in zip(table.column_names, table.schema.types, strict=True)
        if pa.types.is_string(kind) or pa.types.is_large_string(kind)
    )


@app.command()
def check(economy: Path, active: Active = None, format: Source = None) -> None:
    """Summarise an economy (products, techniques, coefficients, spectral radius) or list its
    problems."""
    if launched_by_mpi():
        from kuzbass.distributed import commands

        on_ranks = commands.check(economy, active, format and format.value)
        if on_ranks is not None:
            typer.echo(str(on_ranks))
        return
    summary = _read(economy, format).check(active)
    typer.echo(str(summary))


@app.command()
def values(economy: Path, out: Out = None, active: Active = None, format: Source = None) -> None:
    """Labour values v = vA + l, as CSV product,value."""
    if launched_by_mpi():
        from kuzbass.distributed import commands

        on_ranks = commands.labour_values(economy, active, format and format.value)
        if on_ranks is not None:
            write_tables(on_ranks.parts(), out)
        return
    from kuzbass.planning.balances import labour_values

    result = labour_values(_read(economy, format), active, progress=True)
    _report(result)
    write_table(result.rename_axis("product").reset_index(), out)


@app.command()
def output(
    economy: Path,
    demand: Annotated[Path, typer.Option("--demand", help="CSV product,quantity.")],
    out: Out = None,
    active: Active = None,
    format: Source = None,
) -> None:
    """Gross output x = Ax + d for a final demand, as CSV product,quantity."""
    if launched_by_mpi():
        from kuzbass.distributed import commands

        on_ranks = commands.gross_output(
            economy, lambda: read_demand(demand), active, format and format.value
        )
        if on_ranks is not None:
            write_tables(on_ranks.parts(), out)
        return
    from kuzbass.planning.balances import gross_output

    result = gross_output(_read(economy, format), read_demand(demand), active, progress=True)
    _report(result)
    write_table(result.rename_axis("product").reset_index(), out)


def read_demand(path: Path) -> pd.Series:
    """A demand CSV as a Series: ``product,quantity``, or an economy's own demand table (with
    ``year``, ``priority`` and ``weight`` columns: one year, quantities summed by product).
    Errors name the line and value."""
    import numpy as np
    import pandas as pd

    from kuzbass.economy.errors import EconomyError

    if not path.exists() or path.stat().st_size == 0:
        raise EconomyError(
            [f"{path.name}: missing or empty (expected the header product,quantity)"]
        )
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as error:
        raise EconomyError([f"{path.name}: not UTF-8 text ({error.reason})"]) from error
    except pd.errors.ParserError as error:
        raise EconomyError([f"{path.name}: not a CSV table ({error})"]) from error
    columns = list(frame.columns)
    if columns[:2] != ["product", "quantity"] or any(
        c not in ("year", "priority", "weight") for c in columns[2:]
    ):
        raise EconomyError(
            [
                f"{path.name}: wrong header {','.join(map(str, columns))} "
                f"(expected product,quantity[,year,priority,weight])"
            ]
        )
    quantity = pd.to_numeric(frame["quantity"].str.strip(), errors="coerce")
    problems = [
        f"{path.name} line {i + 2}: quantity {frame['quantity'].iloc[i]!r} is not a finite number"
        for i in np.flatnonzero(~np.isfinite(quantity.to_numpy(dtype=np.float64)))[:10]
    ]
    if "year" in frame and frame["year"].str.strip().nunique() > 1:
        problems.append(f"{path.name}: demand for several years; give one year's demand")
    if problems:
        raise EconomyError(problems)
    products = frame["product"].str.strip()
    demand = pd.Series(quantity.to_numpy(dtype=np.float64), index=products)
    return demand.groupby(level=0, sort=False).sum() if "year" in frame else demand


@app.command()
def generate(
    outdir: Path,
    products: Annotated[int, typer.Option("--products", min=1)],
    inputs_per_product: Annotated[float, typer.Option("--inputs-per-product")] = 20,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    spectral_radius: Annotated[float, typer.Option("--spectral-radius")] = 0.9,
    format: Annotated[Format, typer.Option("--format")] = Format.csv,
    demand_share: Annotated[float, typer.Option(help="Share of products with a target.")] = 0.3,
    capacity_headroom: Annotated[
        float | None, typer.Option(help="Capacities = needed output × (1 + headroom·U[0,2)).")
    ] = None,
    labour_available: Annotated[
        float | None, typer.Option(help="Labour stock as a multiple of what the targets need.")
    ] = None,
    land_available: Annotated[
        float | None, typer.Option(help="Add resource 'land' with this multiple of its need.")
    ] = None,
    alternatives: Annotated[
        float, typer.Option(help="Share of products with a second technique.")
    ] = 0.0,
) -> None:
    """Generate a reproducible synthetic productive economy into OUTDIR."""
    from rich.console import Console

    from kuzbass.economy.generate import generate as make

    console = Console(stderr=True)
    try:
        with console.status(f"generating {products:,} products"):
            economy = make(
                products,
                inputs_per_product,
                seed,
                spectral_radius,
                demand_share=demand_share,
                capacity_headroom=capacity_headroom,
                labour_available=labour_available,
                land_available=land_available,
                alternatives=alternatives,
            )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    with console.status(f"writing {outdir}"):
        economy.write(outdir, format.value)
    console.print(
        f"{economy.n_products:,} products, {economy.n_techniques:,} techniques, "
        f"{economy.input_coefficients.nnz:,} input coefficients → {outdir}",
        highlight=False,
    )


@app.command()
def convert(
    src: Path,
    dst: Path,
    to: Annotated[Format, typer.Option("--to", help="Format to write.")] = Format.csv,
    format: Source = None,
) -> None:
    """Read an economy in any format and write it as a canonical CSV or Parquet folder.

    Parquet is written in row groups that MPI ranks can share (see ``kuzbass.distributed``).
    Under ``mpiexec`` only rank 0 converts."""
    from rich.console import Console

    if launcher_rank() > 0:
        return
    economy = _read(src, format)
    with Console(stderr=True).status(f"writing {dst}"):
        economy.write(dst, to.value)
