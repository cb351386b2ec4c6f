"""``thesis watch``: run a watchlist, print the diff, exit 3 when alerts fire.

Exit status: 0 ran and no alert fired; 3 ran and at least one alert fired (0 with
``--no-fail-on-alert``); 1 could not run (bad watchlist, universe or pack, unwritable
state folder, failed market data: nothing is saved then); 2 bad command-line usage.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import pandas as pd

from thesis_lib._text import plain
from thesis_lib.cli._output import Output, Table, markdown_table, note, render
from thesis_lib.rules.render import WIDTH, clip, screen_table

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
    # which of the company's own figures changed, one indented line each
    return "\n".join([clip(line, WIDTH),
                      *(clip(f"      {plain(text)}", WIDTH) for text in change.figures)])


def _note(change: Any) -> str:
    """The note and the figures that changed, in one cell (markdown, csv)."""
    return "; ".join(part for part in (change.note, *change.figures) if part)


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


# -- the basket section (watchlists with a [basket] table) ------------------------------------
_TRADE_MARKS = {"added": "+", "removed": "-", "reweighted": "~"}


def _layer(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.2f}%"


def _trade_rows(run: Any) -> list[dict[str, Any]]:
    """One dict per trade: ticker, name, action, old/new weight, change and ``why`` (the
    basket rule that added or removed the name). Added first, then removed, then
    reweighted, each largest trade first."""
    basket = run.basket
    if basket is None or basket.trades is None:
        return []
    decisions = basket.decisions
    rows: list[dict[str, Any]] = []
    for ticker, trade in basket.trades.iterrows():
        ticker = str(ticker)
        if ticker in decisions.index:
            name = str(decisions.at[ticker, "name"])
            why = "" if trade["action"] == "reweighted" else str(decisions.at[ticker, "rule"])
        else:
            old = run.previous.row(ticker) if run.previous is not None else None
            name, why = (old.name if old is not None else ""), "gone from the universe"
        rows.append({"ticker": ticker, "name": name, "action": str(trade["action"]),
                     "old_weight": float(trade["old_weight"]),
                     "new_weight": float(trade["new_weight"]),
                     "change": float(trade["change"]), "why": why})
    order = list(_TRADE_MARKS)
    rows.sort(key=lambda r: (order.index(r["action"]), -abs(r["change"])))
    return rows


def _trade_summary(run: Any) -> str:
    basket = run.basket
    if basket.trades is None:
        return "first basket: no previous weights, so no trades yet"
    rows = _trade_rows(run)
    if not rows:
        return "trades since the previous run: none (one-way turnover 0.00%)"
    counts = {a: sum(r["action"] == a for r in rows) for a in _TRADE_MARKS}
    parts = ", ".join(f"{n} {a}" for a, n in counts.items() if n)
    return f"trades since the previous run: {parts}; one-way turnover {_pct(basket.turnover)}"


def _layers_line(basket: Any) -> str:
    return "layers: " + ", ".join(f"{layer} {_pct(float(w))}"
                                  for layer, w in basket.layer_weights.items())


def _basket_lines(run: Any) -> list[str]:
    basket = run.basket
    if basket is None:
        return []
    lines = [clip(f"basket: {len(basket)} names; {basket.rules.describe()}", WIDTH),
             f"{'#':>3} {'ticker':<10} {'name':<24} {'layer':<13} {'weight':>7}  bound"]
    for ticker, row in basket.members.iterrows():
        layer = _layer(row["layer"]) or ""
        line = (f"{int(row['selection_rank']):>3} {clip(str(ticker), 10):<10} "
                f"{clip(str(row['name']), 24):<24} {clip(layer, 13):<13} "
                f"{row['weight'] * 100:>6.2f}%  {row['bound']}")
        lines.append(line.rstrip())
    lines.append(clip(f"  {_layers_line(basket)}", WIDTH))
    lines.append(_trade_summary(run))
    for trade in _trade_rows(run):
        weights = f"{_pct(trade['old_weight']):>7} -> {_pct(trade['new_weight']):>7}"
        line = (f"  {_TRADE_MARKS[trade['action']]} {clip(trade['ticker'], 10):<10} "
                f"{clip(trade['name'], 24):<24} {trade['action']:<10} {weights}")
        if trade["why"]:
            line += f"  ({trade['why']})"
        lines.append(clip(line, WIDTH))
    return lines


def _basket_json(run: Any) -> dict[str, Any] | None:
    basket = run.basket
    if basket is None:
        return None
    members = []
    for ticker, row in basket.members.iterrows():
        members.append({"ticker": str(ticker), "name": str(row["name"]),
                        "layer": _layer(row["layer"]),
                        "selection_rank": int(row["selection_rank"]),
                        "score": float(row["score"]), "weight": float(row["weight"]),
                        "bound": str(row["bound"])})
    return {
        "rules": basket.rules.describe(),
        "members": members,
        "layers": {str(k): float(v) for k, v in basket.layer_weights.items()},
        "rebalanced": basket.trades is not None,
        "trades": None if basket.trades is None else _trade_rows(run),
        "turnover": basket.turnover,
    }


def _basket_markdown(run: Any) -> list[str]:
    basket = run.basket
    if basket is None:
        return []
    rows = []
    for ticker, row in basket.members.iterrows():
        rows.append([int(row["selection_rank"]), f"`{ticker}`", str(row["name"]),
                     _layer(row["layer"]) or "-",
                     _pct(float(row["weight"])), str(row["bound"])])
    parts = ["", f"### Basket ({len(basket)} names)", "", f"{basket.rules.describe()}  ",
             _upper_first(_layers_line(basket)), "",
             markdown_table(["#", "ticker", "name", "layer", "weight", "bound"], rows,
                            align="rlllrl"), "", _upper_first(_trade_summary(run)) + "."]
    trades = _trade_rows(run)
    if trades:
        parts += ["", markdown_table(
            ["ticker", "name", "trade", "weight", "note"],
            [[f"`{t['ticker']}`", t["name"], t["action"],
              f"{_pct(t['old_weight'])} → {_pct(t['new_weight'])}", t["why"]] for t in trades],
            align="lllrl")]
    return parts


def render_text(run: Any) -> str:
    tickers, marks = _shown(run)
    lines = [*_header(run), "", *_diff_lines(run), "",
             f"top {run.watchlist.top} now" + (" (* always shown)" if any(marks) else "") + ":",
             screen_table(run.result, tickers, marks=marks)]
    if run.basket is not None:
        lines += ["", *_basket_lines(run)]
    if run.saved_path is not None:
        lines += ["", f"saved {run.saved_path}"]
        if run.pruned:
            lines.append(_pruned_line(run))
    return "\n".join(lines) + "\n"


def _pruned_line(run: Any) -> str:
    n = len(run.pruned)
    return (f"removed {n} old snapshot{'s' if n != 1 else ''} of {run.watchlist.id} "
            f"(keeping the newest {run.keep})")


def _rows(run: Any, tickers: Sequence[str]) -> list[dict[str, Any]]:
    out = []
    for ticker in tickers:
        row = run.snapshot.row(ticker)
        if row is not None:
            out.append(row.model_dump(mode="json"))
    return out


def json_document(run: Any, status: int) -> dict[str, Any]:
    """The run as one JSON document (``--format json``)."""
    tickers, _ = _shown(run)
    return {
        "watchlist": run.watchlist.id,
        "file": str(run.watchlist.file) if run.watchlist.file else None,
        "taken_at": run.snapshot.taken_at.isoformat(),
        "pack": {"id": run.snapshot.pack, "version": run.snapshot.pack_version},
        "universe": run.watchlist.universe,
        "previous": None if run.previous is None else {
            "path": str(run.previous_path), "taken_at": run.previous.taken_at.isoformat()},
        "saved": str(run.saved_path) if run.saved_path else None,
        "keep": run.keep,
        "pruned": [str(path) for path in run.pruned],
        **run.diff.to_dict(),
        "shown": _rows(run, tickers),
        "basket": _basket_json(run),
        "notes": list(run.notes),
        "exit_status": status,
    }


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
                  f"{_fmt_score(c.old_score)} → {_fmt_score(c.new_score)}", _note(c)]
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
    parts += _basket_markdown(run)
    if run.pruned:
        parts += ["", _upper_first(_pruned_line(run)) + "."]
    return "\n".join(parts) + "\n"


def watch_command(args: argparse.Namespace) -> Output:
    from thesis_lib.watch import load_watchlist, run_watch

    watchlist = load_watchlist(args.watchlist)
    run = run_watch(watchlist, args.state, save=not args.no_save, keep=args.keep)
    for message in run.notes:
        note(message)
    status = EXIT_ALERTS if run.fired and args.fail_on_alert else 0
    text = render(args.format, text=lambda: render_text(run),
                  json=lambda: json_document(run, status), csv=lambda: render_table(run),
                  markdown=lambda: render_markdown(run))
    if args.format == "csv" and run.saved_path is not None:  # stdout stays one CSV table
        note(f"saved {run.saved_path}")
    return Output(text, status=status)


CSV_COLUMNS = ("section", "ticker", "name", "layer", "rank", "score", "old_rank", "old_score",
               "weight", "old_weight", "note")
"""The columns of ``thesis watch --format csv``: one row per change (``section`` entered,
left, moved), alert fired (alert), company shown (top), basket member (basket) and trade
(trade)."""


def render_table(run: Any) -> Table:
    """The run as one table (``--format csv``)."""
    diff = run.diff
    rows: list[dict[str, Any]] = []
    for section, changes in (("entered", diff.entered), ("left", diff.left),
                             ("moved", diff.moved)):
        rows += [{"section": section, "ticker": c.ticker, "name": c.name, "rank": c.new_rank,
                  "score": c.new_score, "old_rank": c.old_rank, "old_score": c.old_score,
                  "note": _note(c)} for c in changes]
    rows += [{"section": "alert", "ticker": a.ticker, "name": a.id, "note": a.message}
             for a in diff.alerts]
    tickers, _ = _shown(run)
    rows += [{"section": "top", **{k: r[k] for k in ("ticker", "name", "layer", "rank",
                                                       "score")},
              "note": "excluded by " + ", ".join(r["excluded_by"]) if r["excluded_by"]
              else None} for r in _rows(run, tickers)]
    basket = _basket_json(run)
    if basket is not None:
        rows += [{"section": "basket", "ticker": m["ticker"], "name": m["name"],
                  "layer": m["layer"], "rank": m["selection_rank"], "score": m["score"],
                  "weight": m["weight"], "note": m["bound"]} for m in basket["members"]]
        rows += [{"section": "trade", "ticker": t["ticker"], "name": t["name"],
                  "weight": t["new_weight"], "old_weight": t["old_weight"],
                  "note": t["action"] + (f" ({t['why']})" if t["why"] else "")}
                 for t in basket["trades"] or ()]
    return Table.from_records(rows, CSV_COLUMNS)
