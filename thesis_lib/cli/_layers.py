"""``thesis layers``: the supply chain as a tree of tiers, with company counts."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from thesis_lib.cli._output import Output, Table, markdown_table, render
from thesis_lib.rules.render import WIDTH, clip


def layer_rows(universe: Any) -> list[dict[str, Any]]:
    """One row per layer, top tier first: tier, id, name, primary and exposed counts, below."""
    chain = universe.chain
    primary: dict[str, int] = {}
    for company in universe.companies:
        layer = company.primary_layer_in(universe.chain.ids)
        if layer is not None:
            primary[layer] = primary.get(layer, 0) + 1
    rows = []
    for tier, layers in enumerate(chain.tiers()):
        for layer_id in layers:
            layer = chain.layer(layer_id)
            rows.append({
                "tier": tier,
                "layer": layer_id,
                "name": layer.name,
                "primary": primary.get(layer_id, 0),
                "exposed": len(universe.companies_in(layer_id)),
                "below": list(chain.below(layer_id)),
                "constraint": layer.constraint,
            })
    return rows


def layers_command(args: argparse.Namespace) -> Output:
    from thesis_lib import load_universe

    universe = load_universe(args.universe)
    rows = layer_rows(universe)

    def document() -> dict[str, Any]:
        return {"chain": universe.chain.id, "universe": universe.id,
                "companies": len(universe.companies), "layers": rows}

    def table() -> Table:
        return Table.from_records(rows, ["tier", "layer", "name", "primary", "exposed",
                                         "below", "constraint"])

    def markdown() -> str:
        table = markdown_table(
            ["tier", "layer", "name", "companies (main layer)", "companies (any share)",
             "layers below"],
            [[r["tier"], f"`{r['layer']}`", r["name"], r["primary"], r["exposed"],
              ", ".join(r["below"]) or "-"] for r in rows], align="rllrrl")
        return table + "\n"

    return Output(render(args.format, text=lambda: _text(universe, rows), json=document,
                         csv=table, markdown=markdown))


def _text(universe: Any, rows: list[dict[str, Any]]) -> str:
    lines = [
        f"Supply chain {universe.chain.id!r}: {len(rows)} layers, customers at the top, "
        f"suppliers below them.",
        f"Universe {universe.id!r}: {len(universe.companies)} companies.",
        "",
        f"{'layer':<20} {'name':<38} {'main':>4} {'any':>4}  layers below",
    ]
    for r in rows:
        label = "  " * r["tier"] + r["layer"] + ("*" if r["constraint"] else "")
        start = (f"{clip(label, 20):<20} {clip(r['name'], 38):<38} {r['primary']:>4} "
                 f"{r['exposed']:>4}  ")
        below = textwrap.wrap(", ".join(r["below"]) or "-", WIDTH - len(start)) or ["-"]
        lines.append(start + below[0])
        lines += [" " * len(start) + more for more in below[1:]]
    lines += ["", "main: companies whose largest share is in the layer; any: companies with "
                  "any share in it."]
    constrained = [r for r in rows if r["constraint"]]
    if constrained:
        lines.append("* a binding constraint on capacity, or a layer that relieves one:")
        lines += [f"  {r['layer']:<20} {clip(r['constraint'], WIDTH - 23)}" for r in constrained]
    return "\n".join(lines) + "\n"
