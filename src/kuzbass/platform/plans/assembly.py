"""From the councils' declarations to an :class:`Economy`, and from a plan to each council's part.

Nothing here touches the database: :mod:`kuzbass.platform.plans.services` reads the declarations
in a few bulk queries into :class:`Declarations` (arrays, one entry per row) and stores what
:func:`plan_content` returns. Everything is done on whole arrays, so that a round over tens of
thousands of techniques costs seconds, not a query per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
import scipy.sparse as sp

from kuzbass.economy.model import LABOUR, Economy
from kuzbass.planning import PlanResult, balances
from kuzbass.planning import prices as marginal
from kuzbass.planning.result import json_records, json_safe
from kuzbass.platform.core.numbers import format_quantity
from kuzbass.platform.plans.content import Flag, PlanContent, Reason, Shortage, WorkplacePart

DEFAULT_OPERATING_HOURS = 8.0 * 20.0
"""Operating hours per period where a workplace has voted no norms: 8-hour shifts, 20 days."""

TOP_FLOWS = 60
"""How many of the largest flows between sectors a plan keeps for its Sankey diagram."""

UNIT_TOLERANCE = 1e-9

LOSS_TOLERANCE = 1e-6
"""A workplace's loss below this share of its output's worth is the solver's rounding."""


def workplace_labour(slug: str) -> str:
    """The resource name of one workplace's working time under its norms."""
    return f"labour at {slug}"


@dataclass
class Declarations:
    """Every current declaration, as parallel arrays (read by the services in bulk queries).

    Techniques: ``technique_*`` (name, workplace slug, product name, output, labour hours,
    capacity with NaN for unlimited, and the operating hours it was declared under).
    Inputs: ``input_technique`` (position in the technique arrays), ``input_item`` (product or
    resource name), ``input_quantity``. Needs: ``need_*``. ``norms`` maps a workplace slug to
    its voted norms; ``resources`` maps a registered resource to (unit, available or None).
    """

    products: dict[str, str]
    resources: dict[str, tuple[str, float | None]]
    technique_name: np.ndarray
    technique_workplace: np.ndarray
    technique_product: np.ndarray
    technique_output: np.ndarray
    technique_labour: np.ndarray
    technique_capacity: np.ndarray
    technique_norm_hours: np.ndarray
    input_technique: np.ndarray
    input_item: np.ndarray
    input_quantity: np.ndarray
    need_council: np.ndarray
    need_product: np.ndarray
    need_use: np.ndarray
    need_quantity: np.ndarray
    need_demand: np.ndarray
    norms: dict[str, dict[str, float]] = field(default_factory=dict)
    priority_classes: list[str] = field(default_factory=list)


@dataclass
class Assembly:
    """The economy the engine plans, and how its rows map back to councils."""

    economy: Economy
    kept: np.ndarray  # positions (in Declarations) of the techniques in the economy
    excluded: list[dict[str, str]]  # techniques left out, with the reason
    unmade: list[str]  # needed products that no runnable technique makes
    targets: pd.DataFrame
    need_target: np.ndarray  # target row of each need (−1 for needs of unmade products)
    need_priority: np.ndarray
    working_time: dict[str, float]  # workplace slug → hours available under its norms
    proposed_use: dict[str, float]  # resource → use the declarations propose


def _available(
    name: str, registered: dict[str, tuple[str, float | None]], working_time: dict[str, float]
) -> float:
    if name in registered:
        stock = registered[name][1]
        return np.inf if stock is None else float(stock)
    if name == LABOUR:
        return np.inf
    return working_time[name.removeprefix("labour at ")]


def operating_hours(norms: dict[str, float] | None) -> float:
    if not norms:
        return DEFAULT_OPERATING_HOURS
    return float(norms["hours_per_shift"]) * float(norms["days_per_period"])


def assemble(declared: Declarations) -> Assembly:
    """Build the Economy from the declarations.

    A technique that needs a product no runnable technique makes cannot run: it is left out with
    that reason, repeatedly, until every remaining input is made by someone. Norms scale each
    technique's capacity by the operating hours now over those it was declared under, and give
    each workplace with a voted crew its own working-time resource.
    """
    m_all = len(declared.technique_name)
    catalogue = pd.Index(sorted(declared.products))
    made_code = catalogue.get_indexer(pd.Index(declared.technique_product))
    item_code = catalogue.get_indexer(pd.Index(declared.input_item))
    item_is_product = item_code >= 0
    runnable = np.ones(m_all, dtype=bool)
    excluded: list[dict[str, str]] = []
    while True:
        made = np.zeros(len(catalogue) + 1, dtype=bool)
        made[made_code[runnable]] = True
        blocked_rows = item_is_product & ~made[item_code] & runnable[declared.input_technique]
        if not blocked_rows.any():
            break
        for row in np.flatnonzero(blocked_rows):
            position = int(declared.input_technique[row])
            if runnable[position]:
                runnable[position] = False
                excluded.append(
                    {
                        "technique": str(declared.technique_name[position]),
                        "workplace": str(declared.technique_workplace[position]),
                        "reason": f"its input {declared.input_item[row]} is made by no "
                        "technique that can run",
                    }
                )
    kept = np.flatnonzero(runnable)
    product_names = sorted(set(declared.technique_product[kept]))
    products = pd.Index(product_names, name="product")
    technique_names = pd.Index(declared.technique_name[kept], name="technique")
    m = len(kept)

    workplaces = declared.technique_workplace[kept]
    slugs, slug_of = np.unique(workplaces.astype(str), return_inverse=True)
    hours_now = np.array(
        [operating_hours(declared.norms.get(slug)) for slug in slugs], dtype=float
    )[slug_of]
    scale = hours_now / declared.technique_norm_hours[kept] if m else np.zeros(0)
    capacity = declared.technique_capacity[kept] * scale
    capacity = np.where(np.isnan(capacity), np.inf, capacity)
    output = declared.technique_output[kept].astype(float)

    working_time = {
        slug: float(norm["workers"]) * operating_hours(norm)
        for slug, norm in declared.norms.items()
        if norm.get("workers")
    }
    resource_names = list(declared.resources)
    if LABOUR not in declared.resources:
        resource_names.append(LABOUR)
    crew_workplaces = sorted(set(workplaces) & set(working_time))
    resource_names += [workplace_labour(slug) for slug in crew_workplaces]
    resources = pd.Index(resource_names, name="resource")
    available = np.array(
        [_available(name, declared.resources, working_time) for name in resource_names],
        dtype=float,
    )
    units = np.array(
        [declared.resources.get(name, ("hours", None))[0] for name in resource_names], dtype=object
    )

    new_position = np.full(m_all, -1)
    new_position[kept] = np.arange(m)
    rows = new_position[declared.input_technique]
    keep_rows = rows >= 0
    column = rows[keep_rows]
    items = declared.input_item[keep_rows]
    per_unit = declared.input_quantity[keep_rows] / output[column]
    product_row = products.get_indexer(items)
    resource_row = resources.get_indexer(items)
    is_product = product_row >= 0
    input_coefficients = sp.csc_array(
        (per_unit[is_product], (product_row[is_product], column[is_product])),
        shape=(len(products), m),
    )
    labour_row = resources.get_loc(LABOUR)
    crew_row = resources.get_indexer(pd.Index([workplace_labour(slug) for slug in workplaces]))
    labour_per_unit = declared.technique_labour[kept] / output
    has_crew = crew_row >= 0
    resource_entries = (
        np.concatenate([resource_row[~is_product], np.full(m, labour_row), crew_row[has_crew]]),
        np.concatenate([column[~is_product], np.arange(m), np.flatnonzero(has_crew)]),
        np.concatenate([per_unit[~is_product], labour_per_unit, labour_per_unit[has_crew]]),
    )
    resource_coefficients = sp.coo_array(
        (resource_entries[2], (resource_entries[0], resource_entries[1])),
        shape=(len(resources), m),
    ).tocsc()
    resource_coefficients.sum_duplicates()

    proposed = np.asarray(
        np.bincount(
            resources.get_indexer(pd.Index(declared.input_item[keep_rows][~is_product])),
            weights=declared.input_quantity[keep_rows][~is_product],
            minlength=len(resources),
        ),
        dtype=np.float64,
    )
    proposed[labour_row] += float(declared.technique_labour[kept].sum())
    for slug in crew_workplaces:
        row = resources.get_loc(workplace_labour(slug))
        proposed[row] = float(declared.technique_labour[kept][workplaces == slug].sum())

    classes = declared.priority_classes
    need_priority = np.array(
        [
            classes.index(use) + 1 if use in classes else len(classes) + 1
            for use in declared.need_use
        ],
        dtype=int,
    )
    need_known = products.get_indexer(declared.need_product) >= 0
    unmade = sorted(set(declared.need_product[~need_known]))
    frame = pd.DataFrame(
        {
            "product": declared.need_product[need_known],
            "priority": need_priority[need_known],
            "quantity": declared.need_quantity[need_known].astype(float),
        }
    )
    targets = frame.groupby(["product", "priority"], as_index=False, sort=True).agg(
        quantity=("quantity", "sum")
    )
    targets["year"] = 1
    targets["weight"] = 1.0
    targets = targets[["product", "quantity", "year", "priority", "weight"]]
    key = pd.MultiIndex.from_frame(targets[["product", "priority"]])
    need_target = np.full(len(declared.need_product), -1)
    need_target[need_known] = key.get_indexer(
        pd.MultiIndex.from_arrays([frame["product"], frame["priority"]])
    )

    economy = Economy(
        products=products,
        product_units=np.array([declared.products[name] for name in products], dtype=object),
        techniques=technique_names,
        technique_product=products.get_indexer(declared.technique_product[kept]),
        technique_output=output,
        technique_capacity=capacity,
        input_coefficients=input_coefficients,
        resources=resources,
        resource_units=units,
        resource_available=available,
        resource_coefficients=resource_coefficients,
        targets=targets,
    )
    return Assembly(
        economy=economy,
        kept=kept,
        excluded=excluded,
        unmade=unmade,
        targets=targets,
        need_target=need_target,
        need_priority=need_priority,
        working_time=working_time,
        proposed_use={name: float(value) for name, value in zip(resources, proposed, strict=True)},
    )


def labour_values(economy: Economy, intensity: np.ndarray) -> pd.Series:
    """Hours per unit of each product with, for each product, the technique the plan runs most."""
    order = np.lexsort((-intensity, economy.technique_product))
    first = np.ones(len(order), dtype=bool)
    first[1:] = economy.technique_product[order][1:] != economy.technique_product[order][:-1]
    chosen = economy.techniques[order[first]]
    return balances.labour_values(economy, active=list(chosen))


def plan_content(
    declared: Declarations,
    assembly: Assembly,
    result: PlanResult,
    *,
    need_threshold: float,
    prices: dict[str, float] | None = None,
) -> PlanContent:
    """Everything a plan version shows: totals, each council's part, shortages, flows and flags.

    ``prices`` are the prices assigned to goods (a participatory round's); without them products
    are priced at the margin (:mod:`kuzbass.planning.prices`: the hours one more unit costs when
    the plan's net outputs are made with the fewest hours under the same capacities). A technique's
    cost is its own hours plus its inputs at these prices; worth beyond cost is differential rent,
    worth below cost a loss at the margin — what the self-accounting flag weighs.
    """
    economy = assembly.economy
    intensities = result.intensities[result.intensities["year"] == 1]
    q = intensities["intensity"].to_numpy(dtype=float)
    values = labour_values(economy, q)
    if prices is None:
        pricing = "margin"
        planned = np.clip(q, 0.0, economy.technique_capacity)
        net = np.maximum(marginal.net_matrix(economy) @ planned, 0.0)
        priced = marginal.marginal_prices(economy, pd.Series(net, index=economy.products))
        product_price = priced.prices.to_numpy(dtype=float)
        own_cost = marginal.labour_per_unit(economy)
        least_hours: float | None = priced.hours
    else:
        pricing = "round"
        least_hours = None
        product_price = np.array([prices.get(name, 0.0) for name in economy.products])
        crew = np.array([name.startswith("labour at ") for name in economy.resources])
        resource_price = np.array([prices.get(name, 0.0) for name in economy.resources])
        own_cost = economy.resource_coefficients.T @ np.where(crew, 0.0, resource_price)

    unit_cost = economy.input_coefficients.T @ product_price + own_cost
    unit_price = product_price[economy.technique_product]
    unit_rent = unit_price - unit_cost
    rounding = np.abs(unit_rent) <= LOSS_TOLERANCE * np.maximum(1.0, np.abs(unit_price))
    unit_rent = np.where(rounding, 0.0, unit_rent)
    declared_positions = assembly.kept
    workplaces = declared.technique_workplace[declared_positions]
    hours = marginal.labour_per_unit(economy) * q

    techniques = pd.DataFrame(
        {
            "technique": np.asarray(economy.techniques, dtype=object),
            "workplace": workplaces,
            "product": np.asarray(economy.products[economy.technique_product], dtype=object),
            "proposed": economy.technique_output,
            "capacity": economy.technique_capacity,
            "intensity": q,
            "hours": hours,
            "unit_price": unit_price,
            "unit_cost": unit_cost,
            "unit_rent": unit_rent,
        }
    )

    parts = _workplace_parts(economy, workplaces, q, hours, unit_price, unit_rent, assembly)
    target_fulfilment = result.targets["fulfilment"].to_numpy(dtype=float)
    need_fulfilment = np.where(
        assembly.need_target >= 0, target_fulfilment[np.maximum(assembly.need_target, 0)], 0.0
    )
    needs = pd.DataFrame(
        {
            "council": declared.need_council,
            "product": declared.need_product,
            "use": declared.need_use,
            "priority": assembly.need_priority,
            "quantity": declared.need_quantity,
            "fulfilment": need_fulfilment,
            "delivered": declared.need_quantity * np.minimum(need_fulfilment, 1.0),
            "demand": declared.need_demand,
        }
    )

    shortages = _shortages(result, assembly)
    flows = _flows(economy, q, values.to_numpy(dtype=float))
    resources = result.resources[result.resources["year"] == 1].drop(columns=["year"]).copy()
    unit_of = dict(zip(economy.resources, economy.resource_units, strict=True))
    resources["unit"] = [str(unit_of.get(name, "")) for name in resources["resource"]]
    resources["proposed_use"] = [
        assembly.proposed_use.get(name, 0.0) for name in resources["resource"]
    ]
    products = pd.DataFrame(
        {
            "product": np.asarray(economy.products, dtype=object),
            "unit": economy.product_units,
            "net_output": result.products[result.products["year"] == 1]["net_output"].to_numpy(),
            "valuation": result.products[result.products["year"] == 1]["valuation"].to_numpy(),
            "labour_value": values.to_numpy(dtype=float),
            "price": product_price,
        }
    )
    content = {
        "status": result.status,
        "mode": result.mode,
        "pricing": pricing,
        "least_hours": least_hours,
        "objective": result.objective,
        "gap": result.gap,
        "minimum_fulfilment": result.minimum_fulfilment,
        "need_threshold": need_threshold,
        "economy": {
            "products": economy.n_products,
            "techniques": economy.n_techniques,
            "resources": economy.n_resources,
            "needs": len(declared.need_product),
        },
        "excluded": assembly.excluded,
        "targets": json_records(result.targets.drop(columns=["year"])),
        "needs": json_records(needs),
        "techniques": json_records(techniques),
        "workplaces": parts,
        "resources": json_records(resources),
        "products": json_records(products),
        "shortages": shortages,
        "flows": flows,
        "solver": json_safe(result.solver),
    }
    typed = cast(PlanContent, content)
    typed["flags"] = flags(typed, assembly)
    return typed


def _workplace_parts(
    economy: Economy,
    workplaces: np.ndarray,
    q: np.ndarray,
    hours: np.ndarray,
    unit_price: np.ndarray,
    unit_rent: np.ndarray,
    assembly: Assembly,
) -> dict[str, WorkplacePart]:
    """Each workplace's outputs, the inputs it will receive, its hours and its balance at prices."""
    slugs, workplace_of = np.unique(workplaces.astype(str), return_inverse=True)
    m = economy.n_techniques
    belongs = sp.csc_array((np.ones(m), (np.arange(m), workplace_of)), shape=(m, len(slugs)))
    scaled = sp.diags_array(q)
    product_inputs = sp.coo_array((economy.input_coefficients @ scaled) @ belongs)
    resource_inputs = sp.coo_array((economy.resource_coefficients @ scaled) @ belongs)
    outputs = sp.coo_array(
        sp.csc_array((q, (economy.technique_product, np.arange(m))), shape=(economy.n_products, m))
        @ belongs
    )
    balance = np.bincount(workplace_of, weights=unit_rent * q, minlength=len(slugs))
    revenue = np.bincount(workplace_of, weights=unit_price * q, minlength=len(slugs))
    worked = np.bincount(workplace_of, weights=hours, minlength=len(slugs))
    parts: dict[str, WorkplacePart] = {
        str(slug): {
            "hours": float(worked[w]),
            "available_hours": assembly.working_time.get(str(slug)),
            "revenue": float(revenue[w]),
            "cost": float(revenue[w] - balance[w]),
            "balance": float(balance[w]),
            "outputs": [],
            "inputs": [],
        }
        for w, slug in enumerate(slugs)
    }
    for matrix, names, key in (
        (outputs, economy.products, "outputs"),
        (product_inputs, economy.products, "inputs"),
        (resource_inputs, economy.resources, "inputs"),
    ):
        keep = matrix.data > UNIT_TOLERANCE
        for row, col, value in zip(
            matrix.row[keep], matrix.col[keep], matrix.data[keep], strict=True
        ):
            name = str(names[row])
            if key == "inputs" and name.startswith("labour"):
                continue
            part = parts[str(slugs[col])]
            rows = part["outputs"] if key == "outputs" else part["inputs"]
            rows.append({"item": name, "quantity": float(value)})
    return parts


def _shortages(result: PlanResult, assembly: Assembly) -> list[Shortage]:
    shortages: list[Shortage] = []
    for explanation in result.explanations:
        reasons: list[Reason] = [
            {
                "constraint": entry["constraint"],
                "kind": entry["kind"],
                "valuation": json_safe(entry["valuation"]),
            }
            for entry in explanation["binding"]
        ]
        shortages.append(
            {
                "product": explanation["product"],
                "quantity": float(explanation["quantity"]),
                "fulfilment": float(explanation["fulfilment"]),
                "reasons": reasons,
                "why": "; ".join(reason["constraint"] for reason in reasons[:3])
                or "held back for a higher priority class",
            }
        )
    for product in assembly.unmade:
        shortages.append(
            {
                "product": product,
                "quantity": None,
                "fulfilment": 0.0,
                "reasons": [],
                "why": f"no workplace has declared a technique that can make {product}",
            }
        )
    return shortages


def _flows(economy: Economy, q: np.ndarray, values: np.ndarray) -> list[dict[str, Any]]:
    """The largest flows between sectors (products), in hours of labour embodied in them."""
    used = sp.coo_array(economy.input_coefficients @ sp.diags_array(q))
    hours = used.data * values[used.row]
    target = economy.technique_product[used.col]
    rows = pd.DataFrame({"source": used.row, "target": target, "hours": hours})
    rows = rows[rows["hours"] > UNIT_TOLERANCE]
    totals = rows.groupby(["source", "target"], as_index=False).agg(hours=("hours", "sum"))
    largest = totals.nlargest(TOP_FLOWS, "hours")
    return [
        {"source": str(economy.products[s]), "target": str(economy.products[t]), "hours": float(h)}
        for s, t, h in zip(largest["source"], largest["target"], largest["hours"], strict=True)
    ]


def flags(content: PlanContent, assembly: Assembly) -> list[Flag]:
    """What must be seen before adoption.

    - ``self-accounting``: a workplace whose output is worth less than it costs at the plan's
      prices (1989: coal paid below its cost, wages unpaid). At prices at the margin this is a
      real loss — the same outputs could be made with fewer hours; a workplace worth more than
      its cost earns differential rent and is not flagged;
    - ``need``: a need met below the congress's threshold;
    - ``resource``: a resource (or a workplace's working time) over-used by the proposals.
    """
    found: list[Flag] = []
    margin = content.get("pricing") == "margin"
    for slug, part in sorted(content["workplaces"].items()):
        if part["balance"] < -LOSS_TOLERANCE * max(1.0, part["revenue"]):
            worth = format_quantity(part["revenue"], "h")
            cost = format_quantity(part["revenue"] - part["balance"], "h")
            why = (
                f"a loss of {format_quantity(-part['balance'], 'h')} at the margin: the same "
                "outputs could be made with fewer hours"
                if margin
                else "the price assigned is below its cost"
            )
            found.append(
                {
                    "kind": "self-accounting",
                    "subject": slug,
                    "message": f"{slug}: at the plan's prices its output is worth {worth} but "
                    f"costs {cost} — {why}",
                }
            )
    threshold = content["need_threshold"]
    for need in content["needs"]:
        if need["fulfilment"] < threshold - 1e-9:
            found.append(
                {
                    "kind": "need",
                    "subject": need["council"],
                    "message": f"{need['council']}: {need['product']} ({need['use']}) met at "
                    f"{100 * need['fulfilment']:.1f}%, below the threshold of "
                    f"{100 * threshold:.0f}%",
                }
            )
    for resource in content["resources"]:
        available = resource["available"]
        proposed = resource["proposed_use"]
        unit = str(resource.get("unit") or "")
        if available is not None and proposed > available * (1 + 1e-9):
            found.append(
                {
                    "kind": "resource",
                    "subject": resource["resource"],
                    "message": f"{resource['resource']}: the proposals use "
                    f"{format_quantity(proposed, unit)} of {format_quantity(available, unit)} "
                    f"available — over-used by {format_quantity(proposed - available, unit)}",
                }
            )
    return found
