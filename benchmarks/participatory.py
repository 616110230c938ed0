"""Participatory rounds at the published sizes: rounds to balance and time, against a peer.

Run from the repository root:  PYTHONPATH=src python benchmarks/participatory.py [--seeds 5]

For each size and seed the generator writes an ECONOMY.json, which is then read and checked
(as `kuzbass simulate participatory` does) and run until every good is within 3%; "command s"
is the whole `kuzbass simulate participatory ECONOMY.json --out rounds.csv` process. The peer,
measured in the same run, is the same closed-form proposals computed one council at a time in
plain Python, as the published Clojure program did: one round on the same economy and prices,
checked to give the same supply and demand. The published figures (15–23 rounds for 3,000 + 3,000
councils; about 2 minutes per round for 60,000 councils in Clojure) are quoted, not measured.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from kuzbass.planning.participatory import (
    GoodKind,
    ParticipatoryEconomy,
    simulate_rounds,
    simulated_proposals,
    tally,
)
from kuzbass.planning.participatory_generator import generate_economy
from kuzbass.planning.participatory_schema import read_economy

SOURCE = Path(__file__).resolve().parent.parent / "src"


def council_by_council(
    economy: ParticipatoryEconomy, prices: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The peer: every council's proposal in a Python loop, tallied into supply and demand."""
    goods = economy.goods
    price = prices.tolist()
    supply = goods.fixed_supply.tolist()
    demand = [0.0] * goods.count
    workers = economy.workers
    for row in range(workers.count):
        product = int(workers.product[row])
        own = price[product]
        a = float(workers.productivity[row])
        c = float(workers.effort_exponent[row])
        s = float(workers.disutility_coefficient[row])
        k = float(workers.disutility_exponent[row])
        inputs = [
            (int(good), float(b))
            for good, b in zip(workers.input_goods[row], workers.input_exponents[row], strict=True)
            if good >= 0
        ]
        margin = 1.0 - c / k - sum(b for _, b in inputs)
        log_q = math.log(a) + (c / k) * math.log(own * c / (s * k))
        log_q += sum(b * math.log(own * b / price[good]) for good, b in inputs)
        output = math.exp(log_q / margin)
        supply[product] += output
        for good, b in inputs:
            demand[good] += own * b * output / price[good]
    consumers = economy.consumers
    public_goods = {int(good) for good in np.flatnonzero(goods.kinds == GoodKind.PUBLIC)}
    columns = [int(good) for good in consumers.goods]
    for row in range(consumers.count):
        exponents = consumers.exponents[row].tolist()
        total = sum(exponents)
        income = float(consumers.income[row])
        for good, exponent in zip(columns, exponents, strict=True):
            paid = price[good] / consumers.count if good in public_goods else price[good]
            wanted = income * exponent / (total * paid)
            demand[good] += wanted / consumers.count if good in public_goods else wanted
    return np.array(supply), np.array(demand)


def measure(
    workers: int, consumers: int, seed: int, fixed_supply: float, folder: Path
) -> dict[str, float]:
    path = folder / f"economy-{workers}-{consumers}-{seed}.json"
    path.write_text(json.dumps(generate_economy(workers, consumers, 10, seed, fixed_supply)))
    started = time.perf_counter()
    economy = read_economy(path)
    read = time.perf_counter() - started
    started = time.perf_counter()
    records = list(simulate_rounds(economy, 500))
    rounds_time = time.perf_counter() - started
    last = records[-1]
    prices = last.prices
    started = time.perf_counter()
    peer_supply, peer_demand = council_by_council(economy, prices)
    peer = time.perf_counter() - started
    supply, demand = tally(economy.goods, simulated_proposals(economy, prices))
    np.testing.assert_allclose(peer_supply, supply, rtol=1e-9)
    np.testing.assert_allclose(peer_demand, demand, rtol=1e-9)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "kuzbass", "simulate", "participatory", str(path),
         "--rounds", "500", "--out", str(folder / "rounds.csv")],
        check=True,
        capture_output=True,
        env=os.environ | {"PYTHONPATH": str(SOURCE)},
    )  # fmt: skip
    command = time.perf_counter() - started
    path.unlink()
    return {
        "command": command,
        "rounds": len(records),
        "balanced": float(last.update.balanced),
        "read": read,
        "run": rounds_time,
        "whole": read + rounds_time,
        "per_round": rounds_time / len(records),
        "peer_per_round": peer,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    seeds = range(parser.parse_args().seeds)
    cases = [
        ("3,000 + 3,000 councils", 3000, 3000, 1000.0),
        ("30,000 + 30,000 councils", 30000, 30000, 1000.0),
        ("30,000 + 30,000, supplies ×10", 30000, 30000, 10000.0),
    ]
    table = Table(title=f"Participatory rounds (medians of {len(seeds)} seeds)")
    for column in (
        "economy",
        "rounds (min–max)",
        "balanced",
        "read+check s",
        "rounds s",
        "whole run s",
        "command s",
        "s per round",
        "peer s per round",
        "peer / ours",
    ):
        table.add_column(column, justify="left" if column == "economy" else "right")
    console = Console(width=160)
    with tempfile.TemporaryDirectory() as folder:
        for label, workers, consumers, supply in cases:
            runs = []
            for seed in seeds:
                console.log(f"{label}, seed {seed}")
                runs.append(measure(workers, consumers, seed, supply, Path(folder)))

            def median(key: str, runs: list[dict[str, float]] = runs) -> float:
                return statistics.median(run[key] for run in runs)

            rounds = [int(run["rounds"]) for run in runs]
            table.add_row(
                label,
                f"{median('rounds'):g} ({min(rounds)}–{max(rounds)})",
                f"{sum(run['balanced'] for run in runs):g}/{len(runs)}",
                f"{median('read'):.2f}",
                f"{median('run'):.3f}",
                f"{median('whole'):.2f}",
                f"{median('command'):.2f}",
                f"{median('per_round'):.4f}",
                f"{median('peer_per_round'):.3f}",
                f"{median('peer_per_round') / median('per_round'):.0f}×",
            )
    console.print(table)
    console.print(
        "Targets: 3,000 + 3,000 balanced in 15–25 rounds (published 15–23), whole run ≤ 5 s; "
        "60,000 councils ≤ 10 s per round (published Clojure: about 120 s per round)."
    )


if __name__ == "__main__":
    main()
