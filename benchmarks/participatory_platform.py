"""One participatory round on the platform with thousands of robot councils answering by API.

Run from the repository root:
    PYTHONPATH=src nice python benchmarks/participatory_platform.py [--workers 3000]
        [--consumers 3000]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kuzbass_bench PYTHONPATH=src python ...

A fresh database (a temporary SQLite file unless DATABASE_URL is set; it is flushed first) gets
the councils of a generated ``kuzbass-participatory-economy/1`` file (``kuzbass simulate
generate``'s parameter ranges, 10 goods of each kind) through the services, as
``kuzbass simulate platform`` creates them. Every robot council then answers the first round
through the JSON API (``PUT /api/plans/councils/{slug}/proposal``, one request each, each a ledger
event), and the round is closed as the task runner closes it. Timed: the answers (per request)
and the close — reading every standing proposal, the tally and new prices by the simulation's
rule, the plan version (the nearest feasible plan within every proposal, the round being
unbalanced at the starting prices), its ledger events and the next round. Target: close ≤ 10 s.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from rich.console import Console
from rich.table import Table

TARGET_SECONDS = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=3000)
    parser.add_argument("--consumers", type=int, default=3000)
    parser.add_argument("--goods", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    console = Console()
    if not os.environ.get("DATABASE_URL"):
        os.environ["KUZBASS_DATA_DIR"] = tempfile.mkdtemp(prefix="kuzbass-bench-")
    from kuzbass.cli.quiet import no_solver_banner
    from kuzbass.platform import setup

    no_solver_banner()
    setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("flush", interactive=False, verbosity=0)

    from kuzbass.planning.participatory_generator import generate_economy
    from kuzbass.planning.participatory_schema import parse_economy
    from kuzbass.platform.core import clock
    from kuzbass.platform.plans import services
    from kuzbass.platform.plans.models import ParticipatoryRound, PlanVersion
    from kuzbass.platform.rehearsal import ROUND_LENGTH, Robots, setup_economy

    economy = parse_economy(
        generate_economy(arguments.workers, arguments.consumers, arguments.goods, arguments.seed)
    )
    started = time.perf_counter()
    with console.status("creating the councils, officers, catalogue and incomes"):
        people = setup_economy(economy)
    setup_seconds = time.perf_counter() - started
    robots = Robots(economy, people)
    real_now = clock.now
    opened = services.open_participatory_round(
        people["chair"],
        people["congress"],
        deadline=real_now() + ROUND_LENGTH,
        prices=dict(zip(economy.goods.names, map(float, economy.goods.start_prices), strict=True)),
    )
    started = time.perf_counter()
    with console.status(f"{economy.workers.count + economy.consumers.count} councils answering"):
        robots.answer()
    answer_seconds = time.perf_counter() - started
    clock.now = lambda: real_now() + ROUND_LENGTH  # the deadline has passed
    try:
        started = time.perf_counter()
        closed_count = services.close_due_rounds()
        close_seconds = time.perf_counter() - started
    finally:
        clock.now = real_now
    closed = ParticipatoryRound.objects.get(pk=opened.pk)
    version = PlanVersion.objects.get(participatory_round=closed)
    councils = economy.workers.count + economy.consumers.count
    table = Table(title=f"One round: {economy.workers.count} worker + {economy.consumers.count} "
                  f"consumer councils, {economy.goods.count} goods")  # fmt: skip
    for column in ("step", "seconds", "per council (ms)", "target"):
        table.add_column(column, justify="left" if column == "step" else "right")
    table.add_row(
        "setup through the services",
        f"{setup_seconds:.1f}",
        f"{1000 * setup_seconds / councils:.1f}",
        "",
    )
    table.add_row(
        "answers through the API",
        f"{answer_seconds:.1f}",
        f"{1000 * answer_seconds / councils:.1f}",
        "",
    )
    table.add_row(
        "close (tally, prices, version, ledger)",
        f"{close_seconds:.2f}",
        f"{1000 * close_seconds / councils:.2f}",
        f"≤ {TARGET_SECONDS:g} s {'met' if close_seconds <= TARGET_SECONDS else 'MISSED'}",
    )  # fmt: skip
    console.print(table)
    console.print(
        f"closed {closed_count} round; worst good {closed.outcome['max_imbalance_percent']:.1f}% "  # type: ignore[index]
        f"out; version {version.number} ({version.plan_content['status']}, "
        f"{len(version.plan_content['proposals']['lines']['good'])} proposal lines)"
    )


if __name__ == "__main__":
    main()
