"""Random ECONOMY.json documents with the parameter ranges of the published pequod experiments.

There are ``goods`` goods of each kind: private, public, intermediate, natural resources and
labour types. Worker councils are spread evenly over the private, intermediate and public goods
(as the published 3,000-council runs had 100 councils per good); each uses 1–4 intermediate,
1–2 natural-resource and 1–2 labour inputs with exponents bᵢ ~ U(0.75, 0.85)/n for n inputs,
effort exponent c ~ U(0.05, 0.1), disutility exponent k ~ U(3, 4), S = 1 and productivity
A ~ U(4, 6). Consumer councils have an income of 5,000 and exponents α, γ ~ U(0.025, 0.05) for
every private and public good. Starting prices are 700, fixed supplies 1,000 per natural resource
and labour type.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kuzbass.planning.participatory_schema import FORMAT

START_PRICE = 700.0
FIXED_SUPPLY = 1000.0
INCOME = 5000.0
KINDS = ("private", "public", "intermediate", "natural_resource", "labour")
PRODUCED = ("private", "intermediate", "public")
INPUT_COUNTS = {"intermediate": (1, 4), "natural_resource": (1, 2), "labour": (1, 2)}


def good_name(kind: str, number: int) -> str:
    return f"{kind}-{number}"


def generate_economy(
    worker_councils: int,
    consumer_councils: int,
    goods: int,
    seed: int,
    fixed_supply: float = FIXED_SUPPLY,
) -> dict[str, Any]:
    """A JSON-ready ECONOMY document; the same arguments always give the same document.

    ``fixed_supply`` is the supply of every natural resource and labour type. The published
    1,000 suits 3,000 worker councils; the economy is homogeneous, so scaling councils and
    supplies together keeps the balancing prices (and the number of rounds) the same.
    """
    if not fixed_supply > 0:
        raise ValueError(f"fixed supply must be positive, not {fixed_supply}")
    if goods < 1:
        raise ValueError(f"goods must be at least 1, not {goods}")
    if worker_councils < 3 * goods:
        raise ValueError(
            f"worker councils ({worker_councils}) must be at least 3 × goods ({3 * goods}) "
            "so that every private, public and intermediate good has a council making it"
        )
    if consumer_councils < 1:
        raise ValueError(f"consumer councils must be at least 1, not {consumer_councils}")
    rng = np.random.default_rng(seed)
    return {
        "format": FORMAT,
        "goods": [
            {"name": good_name(kind, number), "kind": kind, "price": START_PRICE}
            | ({"supply": fixed_supply} if kind in ("natural_resource", "labour") else {})
            for kind in KINDS
            for number in range(1, goods + 1)
        ],
        "consumer_councils": _consumer_councils(rng, consumer_councils, goods),
        "worker_councils": _worker_councils(rng, worker_councils, goods),
    }


def _consumer_councils(rng: np.random.Generator, count: int, goods: int) -> list[dict[str, Any]]:
    names = [
        good_name(kind, number) for kind in ("private", "public") for number in range(1, goods + 1)
    ]
    exponents = rng.uniform(0.025, 0.05, size=(count, len(names))).tolist()
    return [
        {
            "name": f"consumer-{row + 1}",
            "income": INCOME,
            "exponents": dict(zip(names, council, strict=True)),
        }
        for row, council in enumerate(exponents)
    ]


def _input_choices(rng: np.random.Generator, count: int, goods: int, kind: str) -> list[list[int]]:
    """Distinct input goods (0-based numbers) per council, every good used by some council."""
    low, high = INPUT_COUNTS[kind]
    sizes = rng.integers(low, min(high, goods) + 1, size=count)
    order = np.argsort(rng.random((count, goods)), axis=1)
    picked = np.arange(goods)[None, :] < sizes[:, None]
    chosen = [row[:size] for row, size in zip(order.tolist(), sizes.tolist(), strict=True)]
    uses = np.bincount(order[picked], minlength=goods)
    for good in np.flatnonzero(uses == 0):
        # Hand the unused good to a council whose slot holds a good that others use too.
        slots = [
            (row, slot)
            for row, picked in enumerate(chosen)
            if good not in picked
            for slot, other in enumerate(picked)
            if uses[other] > 1
        ]
        row, slot = slots[int(rng.integers(len(slots)))]
        uses[chosen[row][slot]] -= 1
        chosen[row][slot] = int(good)
        uses[good] += 1
    return chosen


def _worker_councils(rng: np.random.Generator, count: int, goods: int) -> list[dict[str, Any]]:
    products = [good_name(kind, number) for kind in PRODUCED for number in range(1, goods + 1)]
    per_kind = {kind: _input_choices(rng, count, goods, kind) for kind in INPUT_COUNTS}
    input_count = np.array(
        [[len(row) for row in per_kind[kind]] for kind in INPUT_COUNTS], dtype=np.int64
    ).sum(axis=0)
    effort_exponent = rng.uniform(0.05, 0.1, size=count).tolist()
    disutility_exponent = rng.uniform(3.0, 4.0, size=count).tolist()
    productivity = rng.uniform(4.0, 6.0, size=count).tolist()
    shares = rng.uniform(0.75, 0.85, size=(count, int(np.max(input_count)))) / input_count[:, None]
    councils = []
    for row in range(count):
        inputs = [
            good_name(kind, good + 1) for kind in INPUT_COUNTS for good in per_kind[kind][row]
        ]
        councils.append(
            {
                "name": f"worker-{row + 1}",
                "product": products[row % len(products)],
                "productivity": productivity[row],
                "effort_exponent": effort_exponent[row],
                "disutility_coefficient": 1.0,
                "disutility_exponent": disutility_exponent[row],
                "inputs": dict(zip(inputs, shares[row, : len(inputs)].tolist(), strict=True)),
            }
        )
    return councils
