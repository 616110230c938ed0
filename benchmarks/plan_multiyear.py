"""Multi-year plans on 5yearplan-format economies: our reduced LP vs the variable-by-variable one.

Writes random folders in Cockshott's 5yearplan CSV layout (flows.csv, cap.csv, dep.csv,
labtarg.csv), reads them with ``Economy.read`` and solves the docs/design.md formulation twice:

- peer: every variable and row of docs/design.md "Multi-year plans" (out, flow, stock, acc, lab,
  final, f), passed to HiGHS in one call (tests/planning/variable_by_variable.py, an oracle kept
  out of the package);
- ours: ``kuzbass plan``'s whole call (kuzbass.planning.optimal_plan): the reduced formulation,
  solved by the capital-blocks interior-point method from 400 balance rows (80 industries × 5
  years), by HiGHS' primal simplex below.

The peer runs HiGHS' default choice (dual simplex after presolve); "peer primal" runs the peer
again with HiGHS' primal simplex, the fastest HiGHS algorithm on these plans.

Both objectives must agree to 1e-6 relative. Times are medians over --repeats runs (build =
assembling the LP, solve = HiGHS). Run: nice python benchmarks/plan_multiyear.py
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from kuzbass.economy import Economy
from kuzbass.planning import optimal_plan

ORACLE = Path(__file__).parents[1] / "tests" / "planning" / "variable_by_variable.py"


def _load_oracle() -> ModuleType:
    """The variable-by-variable peer, which lives with the tests, not in the package."""
    spec = importlib.util.spec_from_file_location("variable_by_variable", ORACLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


solve_variable_by_variable = _load_oracle().solve_variable_by_variable


def write_fiveyearplan_folder(
    folder: Path, industries: int, years: int, inputs: int, capital_goods: int, seed: int
) -> None:
    """A productive random economy in the 5yearplan CSV layout, with growing targets and labour."""
    rng = np.random.default_rng(seed)
    n = industries
    goods = [f"good{i:04d}" for i in range(n)]
    output = rng.uniform(50, 500, n)

    def sparse_columns(per_column: int) -> np.ndarray:
        table = np.zeros((n, n))
        for j in range(n):
            rows = rng.choice(n, size=min(per_column, n), replace=False)
            table[rows, j] = rng.lognormal(0, 1, len(rows))
        return table

    share = sparse_columns(inputs)
    share *= rng.uniform(0.3, 0.7, n) / share.sum(axis=0)  # column sums of A below 0.7
    flows = share * output
    capital = sparse_columns(capital_goods)
    capital *= rng.uniform(0.5, 3.0, n) / capital.sum(axis=0) * output
    depreciation = np.where(capital > 0, rng.uniform(0.03, 0.5, (n, n)), 0.0)
    labour = rng.uniform(0.1, 1.0, n) * output
    gross = np.linalg.solve(np.eye(n) - share, np.ones(n))
    final = rng.uniform(0.5, 1.5, n) * output / gross.max() * 0.4

    def write(name: str, table: pd.DataFrame) -> None:
        table.index.name = "headings"
        table.to_csv(folder / name)

    flow_table = pd.DataFrame(flows, index=goods, columns=goods)
    flow_table.loc["labour"] = labour
    flow_table.loc["output"] = output
    write("flows.csv", flow_table)
    write("cap.csv", pd.DataFrame(capital, index=goods, columns=goods))
    write("dep.csv", pd.DataFrame(depreciation, index=goods, columns=goods))
    growth = 1.03 ** np.arange(years)
    targets = pd.DataFrame(
        np.outer(growth, final), columns=goods, index=[f"year{y + 1}" for y in range(years)]
    )
    targets["labour"] = labour.sum() * 0.8 * 1.01 ** np.arange(years)
    write("labtarg.csv", targets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--industries", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--inputs", type=int, default=20, help="input goods per industry")
    parser.add_argument("--capital-goods", type=int, default=5, help="capital goods per industry")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--solver", default="choose", help="HiGHS solver for both formulations")
    arguments = parser.parse_args()
    console = Console(width=200)
    table = Table(
        title=f"Multi-year plans, {arguments.years} years (medians of {arguments.repeats})"
    )
    for column in (
        "industries",
        "peer vars",
        "our vars",
        "peer build s",
        "peer solve s",
        "our build s",
        "our solve s",
        "peer primal solve s",
        "total ratio",
        "solve ratio",
        "rel. difference",
    ):
        table.add_column(column, justify="right")
    solver = {"choose": "auto"}.get(arguments.solver, arguments.solver)
    for industries in arguments.industries:
        peer_build, peer_solve, our_build, our_solve, differences = [], [], [], [], []
        peer_primal = []
        for repeat in range(arguments.repeats):
            with tempfile.TemporaryDirectory() as directory:
                folder = Path(directory)
                write_fiveyearplan_folder(
                    folder,
                    industries,
                    arguments.years,
                    arguments.inputs,
                    arguments.capital_goods,
                    seed=repeat,
                )
                economy = Economy.read(folder)
            with console.status(f"{industries} industries, run {repeat + 1}: peer"):
                peer = solve_variable_by_variable(economy, solver=arguments.solver)
            with console.status(f"{industries} industries, run {repeat + 1}: peer, primal"):
                primal = solve_variable_by_variable(
                    economy, solver="simplex", options={"simplex_strategy": 4}
                )
            peer_primal.append(primal.solve_seconds)
            assert abs(primal.objective - peer.objective) <= 1e-6 * max(1.0, abs(peer.objective))
            with console.status(f"{industries} industries, run {repeat + 1}: ours"):
                started = time.perf_counter()
                ours = optimal_plan(economy, solver=solver)
                total = time.perf_counter() - started
            assert peer.status == ours.status == "optimal", (peer.status, ours.status)
            peer_build.append(peer.build_seconds)
            peer_solve.append(peer.solve_seconds)
            our_build.append(total - ours.solver["solve_seconds"])
            our_solve.append(ours.solver["solve_seconds"])
            assert ours.objective is not None
            differences.append(abs(ours.objective - peer.objective) / max(1.0, abs(peer.objective)))
            assert differences[-1] <= 1e-6, f"optima differ by {differences[-1]:.1e}"
        median = statistics.median
        peer_total = median(np.add(peer_build, peer_solve))
        our_total = median(np.add(our_build, our_solve))
        table.add_row(
            str(industries),
            f"{peer.variables:,}",
            f"{ours.solver['variables']:,}",
            f"{median(peer_build):.3f}",
            f"{median(peer_solve):.3f}",
            f"{median(our_build):.3f}",
            f"{median(our_solve):.3f}",
            f"{median(peer_primal):.3f}",
            f"{our_total / peer_total:.3f}",
            f"{median(our_solve) / median(peer_solve):.3f}",
            f"{max(differences):.1e}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
