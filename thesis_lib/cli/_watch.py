"""``thesis watch``: run a watchlist, print the diff, exit 3 when alerts fire.

Exit status: 0 ran and no alert fired; 3 ran and at least one alert fired (0 with
``--no-fail-on-alert``); 1 could not run (bad watchlist, universe or pack, unwritable
state folder, failed market data: nothing is saved then); 2 bad command-line usage.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from thesis_lib.cli._output import WIDTH, Output, clip, markdown_table, note, to_json
from thesis_lib.cli._screen import screen_table

EXIT_ALERTS = 3


def _shown(run: Any) -> tuple[list[str], dict[str, str]]:
    """The top N tickers, then the always-show ones outside it (marked ``*``)."""
    snapshot = run.snapshot
    top = [r.ticker for r in snapshot.in_top(run.watchlist.top)]
    extra = [t for t in run.watchlist.always_show if t not in top]
    rank = {t: (row.rank is None, row.rank or 0) for t in extra
            if (row := snapshot.row(t)) is not None}
    extra.sort(key=lambda t: rank.get(t, (True, 0)))
    return top + extra, {t: "*" for t in extra}


def _fmt_rank(rank: int | None) -> str:
    return "-" if rank is None else str(rank)


def _fmt_score(score: float | None) -> str:
    return "-" if score is None else f"{score:+.2f}"


def _change_line(mark: str, change: Any) -> str:
    ranks = f"rank {_fmt_rank(change.old_rank)} -> {_fmt_rank(change.new_rank)}"
    scores = f"score {_fmt_score(change.old_score)} -> {_fmt_score(change.new_score)}"
    line = f"  {mark} {clip(change.ticker, 9):<9} {clip(change.name, 20):<20} {ranks:<15} " \
           f"{scores}"
    if change.note:
        line += f"  ({change.note})"
    return clip(line, WIDTH)


def _header(run: Any) -> list[str]:
    wl, snap = run.watchlist, run.snapshot
    lines = [f"watchlist {wl.id}: top {wl.top} of {wl.universe}, pack {snap.pack} "
             f"v{snap.pack_version}, {snap.taken_at:%Y-%m-%d %H:%M} UTC"]
    if run.previous is not None:
        name = run.previous_path.name if run.previous_path else "?"
        lines.append(f"compared with {run.previous.taken_at:%Y-%m-%d %H:%M} UTC ({name})")
    return lines


def _diff_lines(run: Any) -> list[str]:
    diff = run.diff
    if diff.baseline:
        return ["first run: this snapshot is the baseline, nothing to compare with yet"]
    lines: list[str] = []
    n = diff.top
    if diff.entered:
        lines.append(f"entered the top {n}:")
        lines += [_change_line("+", c) for c in diff.entered]
    if diff.left:
        lines.append(f"left the top {n}:")
        lines += [_change_line("-", c) for c in diff.left]
    if diff.moved:
        lines.append("moved:")
        lines += [_change_line(" ", c) for c in diff.moved]
    if diff.added:
        lines.append("new in the universe: " + ", ".join(diff.added))
    if diff.removed:
        lines.append("gone from the universe: " + ", ".join(diff.removed))
    if not lines:
        lines.append(f"no changes in the top {n} since the previous run")
    if diff.alerts:
        lines.append(f"alerts fired ({len(diff.alerts)}):")
        lines += [clip(f"  ! {a}", WIDTH) for a in diff.alerts]
    else:
        lines.append("alerts fired: none")
    return lines


def render_text(run: Any) -> str:
    tickers, marks = _shown(run)
    lines = [*_header(run), "", *_diff_lines(run), "",
             f"top {run.watchlist.top} now" + (" (* always shown)" if any(marks) else "") + ":",
             screen_table(run.result, tickers, marks=marks)]
    if run.saved_path is not None:
        lines += ["", f"saved {run.saved_path}"]
    return "\n".join(lines) + "\n"


def _rows(run: Any, tickers: Sequence[str]) -> list[dict[str, Any]]:
    out = []
    for ticker in tickers:
        row = run.snapshot.row(ticker)
        if row is not None:
            out.append(row.model_dump(mode="json"))
    return out


def render_json(run: Any, status: int) -> str:
    tickers, _ = _shown(run)
    return to_json({
        "watchlist": run.watchlist.id,
        "file": str(run.watchlist.file) if run.watchlist.file else None,
        "taken_at": run.snapshot.taken_at.isoformat(),
        "pack": {"id": run.snapshot.pack, "version": run.snapshot.pack_version},
        "universe": run.watchlist.universe,
        "previous": None if run.previous is None else {
            "path": str(run.previous_path), "taken_at": run.previous.taken_at.isoformat()},
        "saved": str(run.saved_path) if run.saved_path else None,
        **run.diff.to_dict(),
        "shown": _rows(run, tickers),
        "notes": list(run.notes),
        "exit_status": status,
    })


def render_markdown(run: Any) -> str:
    diff = run.diff
    parts = [f"## Watchlist `{run.watchlist.id}`", "", *[f"{line}  " for line in _header(run)],
             ""]
    if diff.baseline:
        parts.append("First run: this snapshot is the baseline.")
    else:
        def table(changes: Sequence[Any]) -> str:
            return markdown_table(
                ["ticker", "name", "rank", "score", "note"],
                [[f"`{c.ticker}`", c.name, f"{_fmt_rank(c.old_rank)} → {_fmt_rank(c.new_rank)}",
                  f"{_fmt_score(c.old_score)} → {_fmt_score(c.new_score)}", c.note]
                 for c in changes])

        for title, changes in ((f"Entered the top {diff.top}", diff.entered),
                               (f"Left the top {diff.top}", diff.left),
                               ("Moved", diff.moved)):
            if changes:
                parts += [f"### {title}", "", table(changes), ""]
        if not diff.changed:
            parts.append(f"No changes in the top {diff.top}.")
        parts += ["", "### Alerts", ""]
        parts += [f"- **{a.id}**: {a.message}" if a.id else f"- {a.message}"
                  for a in diff.alerts] or ["None fired."]
    tickers, marks = _shown(run)
    rows = [[_fmt_rank(r["rank"]) + marks.get(r["ticker"], ""), f"`{r['ticker']}`", r["name"],
             r["layer"] or "-", f"{r['score']:+.2f}"] for r in _rows(run, tickers)]
    parts += ["", f"### Top {run.watchlist.top}", "",
              markdown_table(["#", "ticker", "name", "layer", "score"], rows, align="rlllr")]
    return "\n".join(parts) + "\n"


def watch_command(args: argparse.Namespace) -> Output:
    from thesis_lib.watch import load_watchlist, run_watch

    watchlist = load_watchlist(args.watchlist)
    run = run_watch(watchlist, args.state, save=not args.no_save)
    for message in run.notes:
        note(message)
    status = EXIT_ALERTS if run.fired and args.fail_on_alert else 0
    if args.format == "json":
        text = render_json(run, status)
    elif args.format == "markdown":
        text = render_markdown(run)
    else:
        text = render_text(run)
    return Output(text, status=status)
