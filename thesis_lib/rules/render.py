"""Plain-text views of a screen: the ranked table and one company's explanation.

The one renderer for both, used by :meth:`ScreenResult.to_text`, ``str(explanation)`` and
the ``thesis`` command alike, so that Python and the terminal show the same thing: the
same columns, the same cut-offs for small contributions (no ``-0.00``), at most 100
columns wide (a source's URL is never cut, so it may run past). Ids, names, tickers and
texts from the data are shown with their control characters escaped
(:func:`thesis_lib._text.plain`), so nothing in a pack or a universe can steer the terminal.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from thesis_lib._text import plain, plain_lines
from thesis_lib.frame import EXPOSURE_PREFIX

if TYPE_CHECKING:
    from thesis_lib.rules.screen import Explanation, ScreenResult

__all__ = ["WIDTH", "clip", "explanation_text", "layers_label", "screen_table", "top_rules"]

WIDTH = 100
"""Text views fit a terminal this wide."""
SHOWN = 5e-3
"""Contributions smaller than this (in absolute value) are left out of the table's rules."""
ZERO = 5e-4
"""Contributions at most this large count as none in an explanation."""


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters (with ``~`` marking a cut)."""
    return text if len(text) <= width else text[: max(0, width - 1)] + "~"


def exposures(frame: pd.DataFrame, ticker: str) -> dict[str, float]:
    """The company's non-zero layer shares, largest first."""
    out = {}
    for column in frame.columns:
        name = str(column)
        if name.startswith(EXPOSURE_PREFIX) and name != "exposure_total":
            value = frame.at[ticker, column]
            if pd.notna(value) and float(value) > 0:
                out[name[len(EXPOSURE_PREFIX):]] = float(value)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def layers_label(frame: pd.DataFrame, ticker: str, width: int = 14) -> str:
    """``packaging`` or ``foundry+1`` (the main layer, and how many others), within ``width``."""
    shares = exposures(frame, ticker)
    if not shares:
        return "-"
    first = next(iter(shares))
    label = first if len(shares) == 1 else f"{first}+{len(shares) - 1}"
    return label if len(label) <= width else clip(first, width)


def top_rules(contributions: pd.Series, width: int) -> str:
    """The largest contributions, as many as fit in ``width``: ``hbm +3.80, evidence +0.63``."""
    values = contributions[contributions.abs() > SHOWN]
    values = values.iloc[np.argsort(-values.abs().to_numpy(), kind="stable")]
    text = ""
    for rule, value in values.items():
        part = f"{plain(rule)} {value:+.2f}"
        candidate = f"{text}, {part}" if text else part
        if len(candidate) > width:
            return text or clip(part, width)
        text = candidate
    return text


def _rank(value: Any) -> str:
    return "-" if pd.isna(value) else str(int(value))


def screen_table(result: ScreenResult, tickers: Sequence[str] | None = None, *,
                 marks: dict[str, str] | None = None, width: int = WIDTH) -> str:
    """Rank, ticker, name, layers, score and top rules for ``tickers`` (default: all, in
    rank order), within ``width``; ``marks`` puts a character after a ticker's rank."""
    scores = result.scores
    contributions = result.contributions
    frame = result.frame
    shown = [str(t) for t in scores.index] if tickers is None else list(tickers)
    lines = [f"{'#':>3} {'ticker':<9} {'name':<20} {'layers':<14} {'score':>7}  top rules"]
    rest = width - 59
    for ticker in shown:
        row = scores.loc[ticker]
        if row["passed"]:
            rules = top_rules(contributions.loc[ticker], rest)
        else:
            rules = clip(f"excluded by {plain(row['excluded_by'])}", rest)
        name = plain(frame.at[ticker, "name"]) if "name" in frame.columns else ""
        mark = (marks or {}).get(ticker, " ")
        line = (f"{_rank(row['rank']):>3}{mark}{clip(plain(ticker), 9):<9} "
                f"{clip(name, 20):<20} {plain(layers_label(frame, ticker, 14)):<14} "
                f"{row['score']:>+7.2f}  {rules}")
        lines.append(line.rstrip())
    return plain_lines("\n".join(lines))


def _wrap(text: str, indent: int, width: int) -> list[str]:
    return textwrap.wrap(text, width, initial_indent=" " * indent,
                         subsequent_indent=" " * indent) or [""]


def explanation_text(e: Explanation, result: ScreenResult | None = None, *,
                     width: int = WIDTH) -> str:
    """One company's score, reason by reason: each rule's contribution, its ``why`` and
    the figures behind it (when the screen had the universe); the gates that excluded it
    (with ``result``); missing data and rules that contributed nothing."""
    pack = result.pack if result is not None else None
    label = f"pack {plain(pack.id)} v{plain(pack.version)}" if pack is not None else ""
    version = f" ({label})" if pack is not None else ""
    head = f"{plain(e.ticker)} ({plain(e.name)})"
    lines: list[str] = []
    if e.passed:
        lines.append(f"{head}: rank {e.rank} of {e.of}, score {e.score:+.3f}{version}")
    else:
        inner = f"; {label}" if pack is not None else ""
        lines.append(f"{head}: EXCLUDED, not ranked (its rules add up to {e.score:+.3f}"
                     f"{inner})")
        if result is not None and pack is not None:
            excluded = result.excluded
            for row in excluded[excluded["ticker"] == e.ticker].itertuples(index=False):
                rule = pack.rule(str(row.rule))
                what = "gate" if rule.kind == "gate" else f"{rule.kind} rule"
                lines.append(f"  excluded by {what} '{plain(row.rule)}': {plain(row.reason)} "
                             f"(expression: {plain(rule.expression)})")
                lines += _wrap(plain(row.why), 4, width)
    table = e.table
    scoring = table[(table["kind"] != "gate") & (table["contribution"].abs() > ZERO)]
    if len(scoring):
        lines.append("  contributions, largest first:")
        for r in scoring.itertuples(index=False):
            value = "missing" if pd.isna(r.value) else f"{r.value:.3f}"
            lines.append(f"  {r.contribution:+8.3f}  {plain(r.rule):<22} {r.kind} {r.weight:g} "
                         f"x {value}")
            lines += _wrap(plain(r.why), 12, width)
            for src in e.sources_of(str(r.rule)).itertuples(index=False):
                lines += _wrap(plain(f"via {src.kind} {src.item}: {src.detail}"), 12, width)
                lines += textwrap.wrap(plain(f"source: {src.source}"), width,
                                       initial_indent=" " * 14, subsequent_indent=" " * 16,
                                       break_long_words=False, break_on_hyphens=False)
    gates = table[(table["kind"] == "gate") & (table["status"] == "ok")]
    if len(gates):
        lines.append("  gates passed: " + ", ".join(plain(g) for g in gates["rule"]))
    missing = table[table["status"].str.startswith("missing")]
    missing = missing[missing["kind"] != "gate"] if e.passed else missing
    if len(missing):
        lines += textwrap.wrap("missing data: " + "; ".join(
            f"{plain(r.rule)} {plain(r.status.removeprefix('missing: '))}"
            for r in missing.itertuples(index=False)), width, initial_indent="  ",
            subsequent_indent="    ")
    zero = table[(table["kind"] != "gate") & (table["contribution"].abs() <= ZERO)
                 & (table["status"] == "ok")]
    if len(zero):
        lines += textwrap.wrap("no contribution: " + ", ".join(plain(z) for z in zero["rule"]),
                               width, initial_indent="  ", subsequent_indent="    ")
    return plain_lines("\n".join(lines))
