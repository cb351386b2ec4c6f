"""``thesis scenarios [PACK]``: run a pack's scenarios (or a file of them) against its screen."""

from __future__ import annotations

import argparse
from typing import Any

from thesis_lib.cli._output import CliError, Output, Table, render


def _frame_rows(table: Any) -> list[dict[str, Any]]:
    rows = []
    for record in table.to_dict("records"):
        rows.append({k: (None if v is None or v != v else
                         int(v) if hasattr(v, "__int__") and k.endswith("rank") else v)
                     for k, v in record.items()})
    return rows


def scenarios_command(args: argparse.Namespace) -> Output:
    from thesis_lib.cli._screen import pack_and_universe
    from thesis_lib.loading import load_scenarios
    from thesis_lib.scenarios import run_scenarios

    pack, universe, _ = pack_and_universe(args)
    scenarios = load_scenarios(args.file) if args.file else pack.scenarios
    if not scenarios:
        raise CliError(f"pack {pack.id!r} has no [[scenarios]]",
                       hint="add [[scenarios]] to the pack, or pass --file SCENARIOS.toml")
    if args.only:
        known = {s.id for s in scenarios}
        for wanted in args.only:
            if wanted not in known:
                from thesis_lib._suggest import did_you_mean

                raise CliError(f"unknown scenario {wanted!r}",
                               hint=did_you_mean(wanted, known, what="scenarios"))
        scenarios = tuple(s for s in scenarios if s.id in args.only)
    run = run_scenarios(universe, pack, scenarios, top=args.top)

    def document() -> dict[str, Any]:
        return {
            "pack": {"id": pack.id, "version": pack.version}, "universe": universe.id,
            "top": run.top,
            "scenarios": [{
                "id": r.scenario.id, "name": r.scenario.name,
                "description": " ".join(r.scenario.description.split()),
                "entered": _frame_rows(r.entered), "left": _frame_rows(r.left),
                "movers": _frame_rows(r.movers),
                "basket": None if r.basket_changes is None else _frame_rows(r.basket_changes),
            } for r in run],
        }

    def table() -> Table:
        rows: list[dict[str, Any]] = []
        for item in document()["scenarios"]:
            for change in ("entered", "left", "movers", "basket"):
                rows += [{"scenario": item["id"], "section": change, **row}
                         for row in item[change] or ()]
        rest = dict.fromkeys(k for r in rows for k in r if k not in ("scenario", "section"))
        return Table.from_records(rows, ["scenario", "section", *rest])

    return Output(render(args.format, text=lambda: str(run) + "\n", json=document,
                         csv=table))
