"""Single-year plans (complete sets and harmony) on generated economies, with HiGHS as the peer.

Economies come from ``kuzbass.economy.generate`` with capacities (headroom 0.5), a labour stock
at 0.9 and a land stock at 0.95 of what the targets need, and a second technique for 10% of
products. For each size the table shows:

- ours: ``optimal_plan(mode="complete-sets")``, ``solver="auto"`` (a Leontief basis from 2·10⁴
  coefficients, :mod:`kuzbass.planning.leontief_basis`):
  its time, objective z, relative primal-dual gap and relative primal infeasibility;
- peer: HiGHS with its default choice (dual simplex, presolve on) on the same LP, under a time
  limit; where it finishes, the difference between the two optima;
- harmony (--harmony): ``optimal_plan(mode="harmony")``, its rounds, chord segments, duality
  gap, and its lowest fulfilment next to the complete-sets z.

Times are medians over --repeats economies (seeds 0, 1, …). Run:
nice python benchmarks/plan_single_year.py --products 2000 10000 100000
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time

import highspy
import numpy as np
from rich.console import Console
from rich.table import Table

from kuzbass.economy.generate import generate
from kuzbass.planning import optimal_plan
from kuzbass.planning.formulation import build
from kuzbass.planning.optimal import _groups, _highs, _set_costs
from kuzbass.planning.targets import economy_targets


def _peer_in_child(economy, answer) -> None:
    targets = economy_targets(economy, 1)
    keys, group = _groups(targets, "complete-sets")
    formulation = build(economy, targets, 1, keys, group)
    highs = _highs(formulation, "simplex")
    highs.setOptionValue("solver", "choose")
    _set_costs(highs, formulation, np.ones(formulation.n_groups))
    highs.run()
    if highs.getModelStatus() == highspy.HighsModelStatus.kOptimal:
        answer.put(highs.getInfo().objective_function_value)
    else:
        answer.put(None)


def peer(economy, limit: float) -> tuple[float, float | None]:
    """HiGHS' default algorithm on our LP, stopped after ``limit`` seconds (HiGHS' own time
    limit is not checked while it factorizes a large dense basis, so it runs in a process)."""
    answer: multiprocessing.Queue = multiprocessing.Queue()
    process = multiprocessing.get_context("fork").Process(
        target=_peer_in_child, args=(economy, answer)
    )
    started = time.perf_counter()
    process.start()
    process.join(limit)
    seconds = time.perf_counter() - started
    if process.is_alive():
        process.kill()
        process.join()
        return seconds, None
    return seconds, answer.get()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, nargs="+", default=[2000, 10000, 100000])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds for ours")
    parser.add_argument("--peer-limit", type=float, default=120.0, help="seconds for the peer")
    parser.add_argument("--harmony", type=int, nargs="*", default=[10000], help="sizes")
    arguments = parser.parse_args()
    console = Console(width=200)
    table = Table(title=f"Single-year complete-sets plans (medians of {arguments.repeats})")
    for column in (
        "products",
        "techniques",
        "coefficients",
        "algorithm",
        "our s",
        "z",
        "gap",
        "rel. infeasibility",
        "peer s",
        "peer z",
        "|z − peer|/z",
    ):
        table.add_column(column, justify="right")
    harmony_table = Table(title="Harmony plans")
    for column in (
        "products",
        "our s",
        "rounds",
        "segments",
        "duality gap",
        "min fulfilment",
        "complete-sets z",
    ):
        harmony_table.add_column(column, justify="right")
    for products in arguments.products:
        ours, peers, rows = [], [], []
        for seed in range(arguments.first_seed, arguments.first_seed + arguments.repeats):
            with console.status(f"{products:,} products: generating"):
                economy = generate(
                    products,
                    seed=seed,
                    capacity_headroom=0.5,
                    labour_available=0.9,
                    land_available=0.95,
                    alternatives=0.1,
                )
            with console.status(f"{products:,} products: planning"):
                started = time.perf_counter()
                result = optimal_plan(economy, time_limit=arguments.time_limit)
                ours.append(time.perf_counter() - started)
            with console.status(f"{products:,} products: peer (limit {arguments.peer_limit:g} s)"):
                seconds, optimum = peer(economy, arguments.peer_limit)
            peers.append(seconds)
            rows.append((economy, result, optimum))
            if products in arguments.harmony:
                with console.status(f"{products:,} products: harmony"):
                    started = time.perf_counter()
                    harmony = optimal_plan(economy, mode="harmony", time_limit=arguments.time_limit)
                    spent = time.perf_counter() - started
                if not (harmony.optimal and result.optimal):
                    harmony_table.add_row(f"{products:,}", f"{spent:.1f}", harmony.status)
                    continue
                harmony_table.add_row(
                    f"{products:,}",
                    f"{spent:.1f}",
                    str(harmony.solver.get("harmony_rounds")),
                    f"{harmony.solver.get('harmony_segments', 0):,}",
                    f"{harmony.gap:.1e}",
                    f"{harmony.minimum_fulfilment:.6f}",
                    f"{result.objective:.6f}",
                )
        economy, result, optimum = rows[-1]
        info = result.solver
        if not result.optimal:
            table.add_row(
                f"{products:,}",
                f"{economy.n_techniques:,}",
                f"{economy.input_coefficients.nnz:,}",
                info["algorithm"],
                f"{statistics.median(ours):.2f}",
                result.status,
            )
            continue
        infeasibility = info["max_primal_infeasibility"] / max(
            1.0, float(np.abs(result.products["net_output"]).max())
        )
        table.add_row(
            f"{products:,}",
            f"{economy.n_techniques:,}",
            f"{economy.input_coefficients.nnz:,}",
            info["algorithm"],
            f"{statistics.median(ours):.2f}",
            f"{result.objective:.9f}",
            f"{result.gap:.1e}",
            f"{infeasibility:.1e}",
            f"{statistics.median(peers):.1f}" + ("" if optimum is not None else " (limit)"),
            "—" if optimum is None else f"{optimum:.9f}",
            "—" if optimum is None else f"{abs(result.objective - optimum) / optimum:.1e}",
        )
    console.print(table)
    if arguments.harmony:
        console.print(harmony_table)


if __name__ == "__main__":
    main()
