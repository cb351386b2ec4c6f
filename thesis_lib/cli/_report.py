"""``thesis report``: one self-contained HTML file of a screen (:mod:`thesis_lib.report`)."""

from __future__ import annotations

import argparse

from thesis_lib.cli._output import Output, note
from thesis_lib.cli._screen import _basket, run_screen


def report_command(args: argparse.Namespace) -> Output:
    from thesis_lib.report import write_report

    screened = run_screen(args)
    basket = _basket(screened.result) if args.basket else None
    target = write_report(screened.result, args.output, basket=basket, title=args.title,
                          force=args.force)
    if not getattr(args, "quiet", False):
        note(f"wrote the report of {len(screened.result.frame)} companies to {target}")
    return Output("")
