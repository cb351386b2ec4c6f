"""``thesis test``: check packs against their own ``[[expect]]`` entries."""

from __future__ import annotations

import argparse
from typing import Any

from thesis_lib.cli._output import CliError, Output, Table, problem_dict, render
from thesis_lib.errors import ThesisError

_MODULE = "thesis_lib.testing.expectations"


def _check_pack() -> Any:
    try:
        from thesis_lib.testing.expectations import check_pack
    except ImportError as exc:
        if exc.name not in (_MODULE, "thesis_lib.testing"):
            raise
        raise CliError(f"pack tests need {_MODULE}, which this installation does not have",
                       hint="upgrade thesis-lib") from None
    return check_pack


_COLUMNS = ("expectation", "form", "universe", "passed", "expected", "actual",
            "rule_to_look_at", "explanation")


def packtest_command(args: argparse.Namespace) -> Output:
    from thesis_lib.rules import load_pack

    check_pack = _check_pack()
    universe = args.universe  # a built-in name or a file; check_pack loads it
    runs: list[tuple[str, Any, list[Any]]] = []  # (source, report or None, problems)
    for source in args.packs:
        try:
            pack = load_pack(source)
            runs.append((source, check_pack(pack, universe=universe), []))
        except ThesisError as exc:
            runs.append((source, None, list(exc.problems)))
    failed = sum(report is None or not report.ok for _, report, _ in runs)

    def text() -> str:
        blocks: list[str] = []
        for source, report, problems in runs:
            if report is None:
                blocks.append(f"{source}: cannot run its expectations\n"
                              + "\n".join(f"  - {p}" for p in problems))
            else:
                blocks.append(str(report).rstrip("\n"))
        if len(runs) > 1:
            blocks.append(f"{len(runs) - failed} of {len(runs)} packs passed")
        return "\n\n".join(blocks) + "\n"

    def records(report: Any) -> list[dict[str, Any]]:
        frame = report.to_frame()
        return [{c: (None if v is None or v != v else v) for c, v in row.items()}
                for row in frame.astype(object).to_dict("records")]

    def document() -> dict[str, Any]:
        packs = []
        for source, report, problems in runs:
            if report is None:
                packs.append({"source": source, "pack": None, "ok": False, "universes": [],
                              "expectations": [], "problems": [problem_dict(p) for p in problems]})
                continue
            packs.append({"source": source, "pack": report.pack_id, "ok": report.ok,
                          "universes": list(report.universes),
                          "expectations": records(report), "problems": []})
        return {"packs": packs, "passed": len(runs) - failed, "failed": failed}

    def table() -> Table:
        rows: list[dict[str, Any]] = []
        for source, report, problems in runs:
            if report is None:
                rows.append({"source": source, "passed": False,
                             "actual": "cannot run its expectations: "
                                       + "; ".join(str(p) for p in problems)})
                continue
            rows += [{"source": source, "pack": report.pack_id, **row}
                     for row in records(report)]
        return Table.from_records(rows, ["source", "pack", *_COLUMNS])

    return Output(render(args.format, text=text, json=document, csv=table),
                  status=1 if failed else 0)
