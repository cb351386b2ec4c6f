"""``thesis test``: check packs against their own ``[[expect]]`` entries."""

from __future__ import annotations

import argparse
from typing import Any

from thesis_lib.cli._output import CliError, Output
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


def packtest_command(args: argparse.Namespace) -> Output:
    from thesis_lib.rules import load_pack

    check_pack = _check_pack()
    universe = args.universe  # a built-in name or a file; check_pack loads it
    blocks: list[str] = []
    failed = 0
    for source in args.packs:
        try:
            pack = load_pack(source)
            report = check_pack(pack, universe=universe)
        except ThesisError as exc:
            failed += 1
            blocks.append(f"{source}: cannot run its expectations\n"
                          + "\n".join(f"  - {p}" for p in exc.problems))
            continue
        if not report.ok:
            failed += 1
        blocks.append(str(report).rstrip("\n"))
    if len(args.packs) > 1:
        blocks.append(f"{len(args.packs) - failed} of {len(args.packs)} packs passed")
    return Output("\n\n".join(blocks) + "\n", status=1 if failed else 0)
