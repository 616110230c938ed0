"""Tallies of a million ballots: kuzbass.democracy against pref_voting on the raw ballots.

    nice /work/venv/bin/python benchmarks/tally.py [--ballots 1000000] [--options 10]
                                                   [--repeats 5] [--peer-repeats 3]

Ballots come from noisy common preferences (each voter's utility = a shared value per option plus
personal noise, seeded), which gives ~760,000 distinct rankings of 10 options: close to the worst
case for aggregation. Approval ballots approve the options whose utility exceeds 1.

"ours" is the public entry point (tally_approval / tally_ranked) from the n×k matrix, including
validation; the last row is ``tally`` on the same ballots as Python lists of option names, the
form the platform holds. The peer is pref_voting fed the same raw ballots in its own formats
(GradeProfile of per-voter dicts for approval, Profile of per-voter linear orders for ranked
methods), including building those, which is how the library tallies raw ballots. Both must name
the same winners. Medians of the repeats; pref_voting's import (~1 s) is paid once before timing.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kuzbass.democracy import Constitution, tally, tally_approval, tally_ranked


def make_ballots(n: int, k: int, seed: int = 1989) -> tuple[np.ndarray, np.ndarray]:
    """Rank matrix (1 = first) and approval matrix from noisy common preferences."""
    rng = np.random.default_rng(seed)
    utility = rng.normal(size=k) + rng.normal(scale=2.0, size=(n, k))
    ranks = (np.argsort(np.argsort(-utility, axis=1), axis=1) + 1).astype(np.int16)
    return ranks, utility > 1.0


def peer_approval(approvals: np.ndarray) -> list[int]:
    from pref_voting.grade_methods import approval
    from pref_voting.grade_profiles import GradeProfile

    k = approvals.shape[1]
    profile = GradeProfile(
        [{c: int(row[c]) for c in range(k)} for row in approvals], [0, 1], candidates=list(range(k))
    )
    return [int(c) for c in approval(profile)]


def peer_ranked(method: str, orders: np.ndarray) -> list[int]:
    from pref_voting.iterative_methods import instant_runoff
    from pref_voting.margin_based_methods import beat_path
    from pref_voting.profiles import Profile

    profile = Profile(orders)
    if method == "schulze":
        return [int(c) for c in beat_path(profile, strength_function=profile.support)]
    return [int(c) for c in instant_runoff(profile)]


def timed(call: Callable[[], list[int]], repeats: int) -> tuple[float, list[int]]:
    seconds = []
    result: list[int] = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--options", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--peer-repeats", type=int, default=3)
    parser.add_argument("--truncate", type=int, default=4, help="ranks kept in the partial run")
    parser.add_argument("--no-peer", action="store_true", help="time ours only (a quick check)")
    args = parser.parse_args()
    n, k = args.ballots, args.options
    console = Console()
    ranks, approvals = make_ballots(n, k)
    orders = np.argsort(ranks, axis=1)
    partial = ranks.copy()
    partial[partial > args.truncate] = 0
    options = [f"option {j}" for j in range(k)]
    rules = Constitution()
    import pref_voting.iterative_methods  # noqa: F401  (the import is paid once, not timed)

    def ours_approval() -> list[int]:
        result = tally_approval(options, approvals, electorate=n, constitution=rules)
        return [options.index(w) for w in result.winners]

    def ours_ranked(method: str, matrix: np.ndarray) -> Callable[[], list[int]]:
        def run() -> list[int]:
            result = tally_ranked(method, options, matrix, electorate=n, constitution=rules)
            return [options.index(w) for w in result.winners]

        return run

    as_lists: list[list[str]] = []  # built only before its own row, so GC does not slow others

    def ours_from_lists() -> list[int]:
        if not as_lists:
            as_lists.extend([options[j] for j in row] for row in orders)
        result = tally("instant-runoff", options, as_lists, electorate=n, constitution=rules)
        return [options.index(w) for w in result.winners]

    cases: list[tuple[str, Callable[[], list[int]], Callable[[], list[int]] | None]] = [
        ("approval", ours_approval, lambda: peer_approval(approvals)),
        ("schulze", ours_ranked("schulze", ranks), lambda: peer_ranked("schulze", orders)),
        (
            "instant-runoff",
            ours_ranked("instant-runoff", ranks),
            lambda: peer_ranked("instant-runoff", orders),
        ),
        (f"schulze, top {args.truncate} ranked", ours_ranked("schulze", partial), None),
        (
            f"instant-runoff, top {args.truncate} ranked",
            ours_ranked("instant-runoff", partial),
            None,
        ),
        ("instant-runoff, tally() on Python lists", ours_from_lists, None),
    ]
    distinct = len(np.unique(ranks.astype(np.int64) @ (k + 1) ** np.arange(k, dtype=np.int64)))
    table = Table(title=f"Tallies of {n:,} ballots × {k} options ({distinct:,} distinct rankings)")
    for column in ("method", "ours (s)", "pref_voting raw (s)", "speed-up", "same winners"):
        table.add_column(column, justify="left" if column == "method" else "right")
    rows = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("tallying", total=len(cases))
        for name, ours, peer in cases:
            progress.update(task, description=f"{name}: ours")
            if ours is ours_from_lists:
                ours()  # builds the lists once, untimed
            gc.collect()
            ours_s, ours_w = timed(ours, args.repeats)
            if peer is None or args.no_peer:
                row = (name, f"{ours_s:.2f}", "—", "—", "—")
            else:
                progress.update(task, description=f"{name}: pref_voting")
                peer_s, peer_w = timed(peer, args.peer_repeats)
                same = "yes" if ours_w == peer_w else f"NO: {ours_w} vs {peer_w}"
                row = (name, f"{ours_s:.2f}", f"{peer_s:.1f}", f"{peer_s / ours_s:.0f}×", same)
            rows.append(row)
            table.add_row(*row)
            progress.advance(task)
    console.print(table)
    console.print(
        f"medians of {args.repeats} runs (ours) and {args.peer_repeats} (pref_voting); "
        f"target: ≤ 10 s for 1,000,000 ballots"
    )
    print("\n| method | ours (s) | pref_voting on raw ballots (s) | speed-up | same winners |")
    print("|---|---:|---:|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
