"""Plotly figures (as plain data and layout dicts) for the plan pages; plotly.js is served locally.

Each figure comes with a short text description, for screen readers and as its caption.
"""

from typing import Any

from kuzbass.platform.core.numbers import format_quantity

MOST_BARS = 40


def _figure(
    chart_id: str, title: str, description: str, data: list[dict[str, Any]], **layout: Any
) -> dict[str, Any]:
    return {
        "id": chart_id,
        "title": title,
        "description": description,
        "data": data,
        "layout": {"title": {"text": title}, "height": 360, "margin": {"t": 50, "b": 80}, **layout},
    }


def fulfilment(content: dict[str, Any]) -> dict[str, Any]:
    """Share of each target met (per product and priority class), lowest first."""
    targets = sorted(content["targets"], key=lambda t: (t["fulfilment"], t["product"]))
    targets = targets[:MOST_BARS]
    labels = [f"{t['product']} (class {t['priority']})" for t in targets]
    values = [round(100 * t["fulfilment"], 3) for t in targets]
    lowest = f"{labels[0]} at {format_quantity(values[0], '%')}" if labels else "none"
    return _figure(
        "chart-fulfilment",
        "Fulfilment by target (%)",
        f"{len(content['targets'])} targets; the lowest is {lowest}.",
        [{"type": "bar", "x": labels, "y": values, "marker": {"color": "#0b4ea2"}}],
        yaxis={"title": {"text": "% of the need met"}},
    )


def labour_allocation(content: dict[str, Any]) -> dict[str, Any]:
    """Hours the plan asks of each workplace, against the working time its norms give."""
    parts = sorted(content["workplaces"].items(), key=lambda item: -item[1]["hours"])
    parts = parts[:MOST_BARS]
    names = [slug for slug, _ in parts]
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": "hours planned",
            "x": names,
            "y": [round(part["hours"], 3) for _, part in parts],
        }
    ]
    if any(part["available_hours"] is not None for _, part in parts):
        data.append(
            {
                "type": "bar",
                "name": "working time under the norms",
                "x": names,
                "y": [part["available_hours"] for _, part in parts],
            }
        )
    total = sum(part["hours"] for part in content["workplaces"].values())
    return _figure(
        "chart-labour",
        "Labour allocation (hours)",
        f"{format_quantity(total, 'h')} in all, over {len(content['workplaces'])} workplaces.",
        data,
        barmode="group",
    )


def sankey(content: dict[str, Any]) -> dict[str, Any]:
    """The largest flows between sectors, in hours of labour embodied in the goods that flow."""
    flows = content["flows"]
    nodes: dict[str, int] = {}
    for flow in flows:
        for end in (flow["source"], flow["target"]):
            nodes.setdefault(end, len(nodes))
    labels = list(nodes)
    return _figure(
        "chart-flows",
        "Flows between sectors (hours embodied)",
        f"The {len(flows)} largest flows of goods from the sector making them to the sector "
        "using them.",
        [
            {
                "type": "sankey",
                "node": {"label": labels, "pad": 12},
                "link": {
                    "source": [nodes[f["source"]] for f in flows],
                    "target": [nodes[f["target"]] for f in flows],
                    "value": [round(f["hours"], 6) for f in flows],
                },
            }
        ],
        height=480,
    )


def rounds(series: list[Any]) -> dict[str, Any]:
    """The largest imbalance of each closed round of a series: how the rounds converge."""
    closed = [r for r in series if r.outcome]
    return _figure(
        "chart-rounds",
        "Largest imbalance per round (%)",
        f"{len(closed)} closed rounds; balanced means every good within 3%.",
        [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": [r.number for r in closed],
                "y": [round(r.outcome["max_imbalance_percent"], 4) for r in closed],
            }
        ],
        xaxis={"title": {"text": "round"}, "dtick": 1},
        yaxis={"title": {"text": "% imbalance"}},
    )


def price_paths(series: list[Any], most: int = 8) -> dict[str, Any]:
    """Price of each good round by round, for the goods furthest from balance in the last round."""
    closed = [r for r in series if r.outcome]
    last = closed[-1].outcome["goods"] if closed else []
    chosen = [g["good"] for g in sorted(last, key=lambda g: -g["imbalance_percent"])[:most]]
    data = []
    for good in chosen:
        prices = [next(g["price"] for g in r.outcome["goods"] if g["good"] == good) for r in closed]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": good,
                "x": [r.number for r in closed],
                "y": prices,
            }
        )
    return _figure(
        "chart-prices",
        "Prices round by round (hours per unit)",
        f"The {len(chosen)} goods furthest from balance in the last closed round.",
        data,
        xaxis={"title": {"text": "round"}, "dtick": 1},
    )
