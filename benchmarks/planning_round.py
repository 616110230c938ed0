"""A planning round over 10,000 declared techniques: from the database to the stored draft.

Run from the repository root:
    PYTHONPATH=src python benchmarks/planning_round.py [--techniques 10000] [--repeats 3]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kuzbass_bench PYTHONPATH=src python ...

A fresh database (a temporary SQLite file unless DATABASE_URL is set; it is flushed first) is
filled in bulk with a catalogue, workplace councils each declaring its techniques (two per
product, 2–4 inputs each, labour and capacities), consumer councils' needs and voted norms. The
timed part is ``run_planning_round``: the bulk reads, the Economy, the optimal plan, every
council's part, the flags, the content hash and the stored version with its ledger event.

Peers measured in the same run: the engine alone (``optimal_plan`` on the same Economy, already
in memory, with the interior-point solver the round uses), so the ratio is what the platform
adds; the engine with HiGHS's default choice (dual simplex), once; and reading the same
declarations one row at a time through the ORM (a query per technique), the loop the round avoids.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

TARGET_SECONDS = 30.0


def _configure() -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ["KUZBASS_DATA_DIR"] = tempfile.mkdtemp(prefix="kuzbass-bench-")
    from kuzbass.platform import setup

    setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("flush", interactive=False, verbosity=0)


def fill(techniques: int, seed: int, progress: Progress) -> dict[str, Any]:
    """Bulk-insert a generated economy of declarations (not timed; services are for people)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from kuzbass.platform.councils import services as councils
    from kuzbass.platform.councils.models import Council, CouncilKind, Motion
    from kuzbass.platform.plans import services
    from kuzbass.platform.plans.models import (
        MatterKind,
        Need,
        PlanMatter,
        Product,
        Technique,
        TechniqueInput,
    )

    rng = np.random.default_rng(seed)
    task = progress.add_task("filling the database", total=6)
    now = timezone.now()
    users = get_user_model()
    planner = users.objects.create_user(username="planner", password=None)
    congress = councils.found_council(name="Congress", slug="congress", kind="congress")
    councils.appoint_officer(planner, congress)
    products = techniques // 2
    services.register_products(
        planner, congress, [{"name": f"good-{i:05d}", "unit": "u"} for i in range(products)]
    )
    services.register_resources(
        planner,
        congress,
        [
            {"name": "labour", "unit": "h", "available": 4.0 * techniques * 100},
            {"name": "ore", "unit": "t", "available": 20.0 * techniques},
        ],
    )
    progress.advance(task)

    workplaces = max(techniques // 10, 1)
    consumers = max(techniques // 50, 1)
    Council.objects.bulk_create(
        [
            Council(name=f"Workplace {w}", slug=f"w{w:05d}", kind=CouncilKind.WORKPLACE)
            for w in range(workplaces)
        ]
        + [
            Council(name=f"Town {c}", slug=f"c{c:05d}", kind=CouncilKind.CONSUMER)
            for c in range(consumers)
        ],
        batch_size=2000,
    )
    workplace_ids = dict(Council.objects.filter(kind="workplace").values_list("slug", "pk"))
    consumer_ids = list(Council.objects.filter(kind="consumer").values_list("pk", flat=True))
    progress.advance(task)

    product_ids = dict(Product.objects.values_list("name", "pk"))
    names = [f"good-{i:05d}" for i in range(products)]
    made = np.repeat(np.arange(products), 2)[:techniques]
    workplace_of = rng.integers(0, workplaces, techniques)
    capacity = rng.uniform(300, 600, techniques)
    Technique.objects.bulk_create(
        [
            Technique(
                name=f"t-{j:06d}",
                workplace_id=workplace_ids[f"w{workplace_of[j]:05d}"],
                product_id=product_ids[names[made[j]]],
                output=100.0,
                labour=float(rng.uniform(50, 200)),
                capacity=float(capacity[j]),
                norm_hours=160.0,
                declared_by=planner,
                declared_at=now,
            )
            for j in range(techniques)
        ],
        batch_size=2000,
    )
    technique_ids = list(Technique.objects.order_by("name").values_list("pk", flat=True))
    progress.advance(task)

    rows = []
    for j in range(techniques):
        count = int(rng.integers(2, 5))
        chosen = rng.choice(products, size=count, replace=False)
        shares = rng.uniform(0.02, 0.12, count) * 100.0
        for product, quantity in zip(chosen, shares, strict=True):
            if product != made[j]:
                rows.append(
                    TechniqueInput(
                        technique_id=technique_ids[j],
                        product_id=product_ids[names[product]],
                        item=names[product],
                        quantity=float(quantity),
                    )
                )
        if j % 3 == 0:
            rows.append(
                TechniqueInput(
                    technique_id=technique_ids[j],
                    resource_id=None,
                    product_id=None,
                    item="ore",
                    quantity=float(rng.uniform(1, 5)),
                )
            )
    from kuzbass.platform.plans.models import Resource

    ore = Resource.objects.get(name="ore")
    for row in rows:
        if row.item == "ore":
            row.resource = ore
    TechniqueInput.objects.bulk_create(rows, batch_size=5000)
    progress.advance(task)

    needs = []
    uses = services.DEFAULT_USES
    for c, council in enumerate(consumer_ids):
        for product in rng.choice(products, size=min(20, products), replace=False):
            needs.append(
                Need(
                    council_id=council,
                    product_id=product_ids[names[product]],
                    use=uses[(c + int(product)) % len(uses)],
                    quantity=float(rng.uniform(5, 50)),
                    submitted_by=planner,
                    submitted_at=now,
                )
            )
    Need.objects.bulk_create(needs, batch_size=5000)
    progress.advance(task)

    matters = []
    for number, pk in enumerate(list(workplace_ids.values())[: workplaces // 2]):
        motion = Motion.objects.create(
            council_id=pk,
            number=1,
            title="Norms",
            text="Norms",
            tabled_by=planner,
            tabled_at=now,
            status="carried",
        )
        matters.append(
            PlanMatter(
                motion=motion,
                council_id=pk,
                kind=MatterKind.NORMS,
                content={
                    "hours_per_shift": "7.0",
                    "days_per_period": "20.0",
                    "workers": 40 + number % 20,
                },
                applied_at=now,
            )
        )
    PlanMatter.objects.bulk_create(matters)
    progress.advance(task)
    return {"planner": planner, "congress": congress, "inputs": len(rows), "needs": len(needs)}


def per_row_read() -> int:
    """The peer: the same declarations read one technique (and its inputs) at a time."""
    from kuzbass.platform.plans.models import Technique

    entries = 0
    for technique in Technique.objects.filter(active=True):
        entries += len([(i.item, i.quantity) for i in technique.inputs.all()])
        entries += len(technique.workplace.slug) > 0
        entries += len(technique.product.name) > 0
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--techniques", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1989)
    arguments = parser.parse_args()
    console = Console()
    _configure()
    from django.conf import settings

    from kuzbass.planning import optimal_plan
    from kuzbass.platform.plans import assembly, services

    with Progress(console=console, transient=True) as progress:
        filled = fill(arguments.techniques, arguments.seed, progress)
    planner, congress = filled["planner"], filled["congress"]
    engine_name = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]

    round_seconds, engine_seconds, read_seconds, row_seconds = [], [], [], []
    version = None
    for repeat in range(arguments.repeats):
        console.print(f"repeat {repeat + 1}/{arguments.repeats}", style="dim")
        started = time.perf_counter()
        version = services.run_planning_round(planner, congress)
        round_seconds.append(time.perf_counter() - started)

        started = time.perf_counter()
        declared = services.read_declarations(congress)
        read_seconds.append(time.perf_counter() - started)
        built = assembly.assemble(declared)
        started = time.perf_counter()
        result = optimal_plan(
            built.economy, built.targets, mode="complete-sets", solver=services.SOLVER
        )
        engine_seconds.append(time.perf_counter() - started)
        assert result.optimal and abs(
            result.objective - version.content["objective"]
        ) <= 1e-6 * max(1.0, abs(result.objective))
    started = time.perf_counter()
    simplex = optimal_plan(built.economy, built.targets, mode="complete-sets", solver="auto")
    simplex_seconds = time.perf_counter() - started
    assert abs(simplex.objective - result.objective) <= 1e-6 * max(1.0, abs(result.objective))
    started = time.perf_counter()
    per_row_read()
    row_seconds.append(time.perf_counter() - started)
    assert version is not None

    table = Table(title=f"planning round, {arguments.techniques:,} techniques ({engine_name})")
    table.add_column("measure")
    table.add_column("median s", justify="right")
    table.add_column("ratio", justify="right")
    round_median = statistics.median(round_seconds)
    engine_median = statistics.median(engine_seconds)
    read_median = statistics.median(read_seconds)
    table.add_row("run_planning_round: database → stored draft", f"{round_median:.2f}", "1.00")
    table.add_row(
        "peer: optimal_plan alone on the same Economy",
        f"{engine_median:.2f}",
        f"round/engine {round_median / engine_median:.2f}",
    )
    table.add_row(
        "peer: optimal_plan with HiGHS's default choice (once)",
        f"{simplex_seconds:.2f}",
        f"default/ipm {simplex_seconds / engine_median:.1f}",
    )
    table.add_row("read declarations in bulk (inside the round)", f"{read_median:.2f}", "")
    table.add_row(
        "peer: read them one technique at a time (ORM)",
        f"{row_seconds[0]:.2f}",
        f"per-row/bulk {row_seconds[0] / read_median:.1f}",
    )
    console.print(table)
    summary = version.summary
    size = len(str(version.content)) / 1e6
    console.print(
        f"{summary['techniques']:,} techniques, {summary['products']:,} products, "
        f"{filled['inputs']:,} input rows, {filled['needs']:,} needs; objective "
        f"{summary['objective']:.6g}, {summary['shortages']} shortages, {summary['flags']} flags; "
        f"stored content ≈ {size:.1f} MB"
    )
    verdict = "reached" if round_median <= TARGET_SECONDS else "NOT reached"
    console.print(f"target ≤ {TARGET_SECONDS:.0f} s: {verdict} (median {round_median:.2f} s)")
    if round_median > TARGET_SECONDS:
        sys.exit(1)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    main()
