"""HTML displays for notebooks (and the HTML report): tables without pandas' Styler.

One mechanism for every ``_repr_html_`` in the library. Every cell is escaped; text is
left-aligned and never wrapped, numbers are right-aligned and formatted by meaning
(``formats``: a Python format spec per column, e.g. ``".1%"`` for a weight, ``"+.1%"``
for a return; ``percent``/``signed`` are shorthands), and a value that rounds to zero
never shows as ``-0.00``. ``bars`` columns get a bar behind the number, drawn from the
number's side (green for positive, red for negative, scaled to the column's largest
magnitude); ``heat`` columns get a background from white to blue scaled to [0, max] (or
to ``heat_range``). Tables show the first ``max_rows`` rows (20) and say how many more
there are. The look lives in one small style sheet, :data:`TABLE_CSS`, so a table's
HTML stays small; pages that show many tables (the report) can include it once and pass
``css=False``.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from thesis_lib.models import Link, Universe
    from thesis_lib.rules.pack import RulePack
    from thesis_lib.rules.panel import PanelResult
    from thesis_lib.rules.screen import Explanation, ScreenResult
    from thesis_lib.scenarios.run import ScenarioReport, ScenarioRun

TABLE_CLASS = "thesis-table"
TABLE_CSS = (
    f".{TABLE_CLASS}{{border-collapse:collapse;font-size:12px;"
    "font-family:ui-monospace,SFMono-Regular,Menlo,monospace;margin:4px 0}"
    f".{TABLE_CLASS} th,.{TABLE_CLASS} td{{padding:2px 8px;border-bottom:1px solid #e5e5e5;"
    "white-space:nowrap;text-align:left;vertical-align:top}"
    f".{TABLE_CLASS} td.n{{text-align:right;font-variant-numeric:tabular-nums}}"
    f".{TABLE_CLASS} caption{{text-align:left;font-weight:bold;padding:4px 0}}"
    f".{TABLE_CLASS} td.w{{white-space:normal;min-width:24em;max-width:48em}}"
    ".thesis-more{color:#666;font-style:italic;margin:2px 0 8px}"
)
"""The style sheet every table relies on (class ``thesis-table``)."""

MAX_ROWS = 20
"""Rows a table shows before it says how many more there are."""

_SIGNED_ZERO = re.compile(r"^\s*[-+](?=[^1-9]*$)")


def style_block() -> str:
    """:data:`TABLE_CSS` as a ``<style>`` element."""
    return f"<style>{TABLE_CSS}</style>"


def one_style(*parts: str) -> str:
    """HTML fragments joined, with the style sheet once at the top (not once per table)."""
    body = "".join(parts).replace(style_block(), "")
    return style_block() + body if TABLE_CLASS in body else body


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_)


def format_value(value: Any, spec: str | None = None, *, digits: int = 3) -> str:
    """One cell as text: blank when missing, yes/no for booleans, numbers by ``spec``.

    ``spec`` is a Python format spec (``".1%"``, ``"+.2f"``, ``".0f"``); without one a
    float gets ``digits`` decimals and an integer none. A number that rounds to zero
    never keeps its sign, and a positive percent that rounds to zero shows as ``<1%``
    (``<0.1%`` with one decimal).
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float | np.floating) and math.isnan(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if _is_number(value):
        if spec is None:
            spec = "d" if isinstance(value, int | np.integer) else f".{digits}f"
        if spec.endswith("d") and not isinstance(value, int | np.integer):
            value = round(float(value))
        if not spec.endswith("d"):
            value = float(value)
        text = format(value, spec)
        if spec.endswith("%") and value > 0 and not re.search(r"[1-9]", text):
            # a sliver of a share is not nothing: "<1%", "<0.1%"
            return "<" + re.sub(r"0(?=%)", "1", text.lstrip("+"))
        # "-0.00" and "+0.00" read as a loss or a gain: a zero shows without a sign
        return _SIGNED_ZERO.sub("", text)
    return str(value)


def _bar_style(value: float, scale: float) -> str:
    if not math.isfinite(value) or scale <= 0 or value == 0:
        return ""
    share = min(abs(value) / scale, 1.0) * 100.0
    color = "#b7e1c1" if value > 0 else "#f3b8b8"
    # from the right edge, where the right-aligned number is, whatever its sign
    return f"background:linear-gradient(270deg,{color} {share:.0f}%,transparent {share:.0f}%)"


def _heat_style(value: float, low: float, high: float) -> str:
    if not math.isfinite(value) or high <= low:
        return ""
    t = min(max((value - low) / (high - low), 0.0), 1.0)
    if t == 0:
        return ""
    # white (255,255,255) to a readable blue (66,133,244)
    r, g, b = (round(255 + (c - 255) * t) for c in (66, 133, 244))
    text = ";color:#fff" if t > 0.6 else ""
    return f"background:rgb({r},{g},{b}){text}"


def more_line(shown: int, total: int, what: str = "rows") -> str:
    """The line under a cut table: ``32 more rows (52 in all)``; empty when none are cut."""
    if total <= shown:
        return ""
    return f'<p class="thesis-more">{total - shown} more {what} ({total} in all)</p>'


def table_html(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    bars: Iterable[str] = (),
    heat: Iterable[str] = (),
    percent: Iterable[str] = (),
    signed: Iterable[str] = (),
    formats: Mapping[str, str] | None = None,
    heat_range: tuple[float, float] | None = None,
    blank_zero: Iterable[str] = (),
    wrap: Iterable[str] = (),
    titles: Mapping[str, Sequence[str]] | None = None,
    right: Iterable[str] = (),
    digits: int = 3,
    max_rows: int = MAX_ROWS,
    index: bool = True,
    css: bool = True,
) -> str:
    """``frame`` as a compact HTML table; the first ``max_rows`` rows, then "n more".

    Number formats, in order of precedence: ``formats[column]`` (a format spec), then
    ``percent`` (``digits - 2`` decimals as a percent) and ``signed`` (a ``+`` on
    positives) combined, then ``digits`` decimals. ``blank_zero`` columns leave zeros
    empty (a sparse matrix reads better without a wall of ``0.00``); ``wrap`` columns may
    wrap (long sentences); ``titles[column]`` gives each shown row's hover text (the full
    value of a shortened cell); ``right`` columns hold numbers already written as text
    and are aligned like numbers.
    """
    bar_cols, heat_cols = set(bars), set(heat)
    pct_cols, sign_cols, zero_cols = set(percent), set(signed), set(blank_zero)
    wrap_cols, right_cols = set(wrap), set(right)
    specs: dict[str, str] = {}
    for column in (str(c) for c in frame.columns):
        places = max(digits - 2, 1) if column in pct_cols else digits
        kind = "%" if column in pct_cols else "f"
        if column in pct_cols or column in sign_cols:
            specs[column] = f"{'+' if column in sign_cols else ''}.{places}{kind}"
    specs.update(formats or {})
    shown = frame.head(max_rows)
    scales: dict[str, float] = {}
    for column in bar_cols & {str(c) for c in frame.columns}:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan)
        finite = np.abs(values[np.isfinite(values)])
        scales[column] = float(finite.max()) if finite.size else 0.0
    low, high = heat_range if heat_range is not None else (0.0, 0.0)
    if heat_range is None and heat_cols:
        cols = [c for c in frame.columns if str(c) in heat_cols]
        values = frame[cols].to_numpy(dtype=float, na_value=np.nan)
        finite = values[np.isfinite(values)]
        high = float(finite.max()) if finite.size else 0.0
        low = min(0.0, float(finite.min())) if finite.size else 0.0

    out = [style_block()] if css else []
    out.append(f'<table class="{TABLE_CLASS}">')
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    head = [html.escape(str(frame.index.name or ""))] if index else []
    head += [html.escape(str(c)) for c in frame.columns]
    out.append("<thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead>")
    out.append("<tbody>")
    hover = {k: list(v) for k, v in (titles or {}).items()}
    for i, (label, row) in enumerate(zip(shown.index, shown.itertuples(index=False),
                                         strict=True)):
        cells = [f"<th>{html.escape(str(label))}</th>"] if index else []
        for column, value in zip(frame.columns, row, strict=True):
            name = str(column)
            numeric = _is_number(value)
            if numeric and name in zero_cols and float(value) == 0.0:
                text = ""
            else:
                text = html.escape(format_value(value, specs.get(name), digits=digits))
            attrs = ""
            if numeric or name in right_cols:
                attrs = ' class="n"'
            elif name in wrap_cols:
                attrs = ' class="w"'
            style = ""
            if numeric and name in scales:
                style = _bar_style(float(value), scales[name])
            elif numeric and name in heat_cols:
                style = _heat_style(float(value), low, high)
            if style:
                attrs += f' style="{style}"'
            if name in hover and i < len(hover[name]) and hover[name][i] != text:
                attrs += f' title="{html.escape(str(hover[name][i]))}"'
            cells.append(f"<td{attrs}>{text}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    out.append(more_line(len(shown), len(frame)))
    return "".join(out)


def paragraph(text: str, *, bold: str | None = None) -> str:
    """One escaped paragraph, optionally starting with a bold part."""
    lead = f"<b>{html.escape(bold)}</b> " if bold else ""
    return f"<p>{lead}{html.escape(text)}</p>"


def lines_html(lines: Sequence[str]) -> str:
    """Plain-text lines as one escaped preformatted block."""
    return "<pre>" + html.escape("\n".join(lines)) + "</pre>"


def shorten(text: Any, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis (blank when missing)."""
    if text is None or text is pd.NA or (isinstance(text, float) and math.isnan(text)):
        return ""
    value = str(text)
    return value if len(value) <= width else value[: width - 1].rstrip() + "…"


def universe_html(universe: Universe, *, max_rows: int = MAX_ROWS) -> str:
    """A universe as a table: identity columns and each layer's revenue share as a
    percent on a heat scale, zero shares left blank.

    Meant for ``Universe._repr_html_``.
    """
    frame = universe.to_frame()
    layers = list(universe.chain.ids)
    table = pd.DataFrame({"name": [shorten(n, 24) for n in frame["name"]],
                          "listed": frame["listed"].to_numpy(dtype=bool),
                          "layer": frame["primary_layer"].to_numpy()}, index=frame.index)
    for layer in layers:
        table[layer] = frame[f"exposure_{layer}"].to_numpy(dtype=float, na_value=np.nan)
    title = (f"{universe.id}: {len(universe.companies)} companies "
             f"({int(frame['listed'].sum())} listed), {len(layers)} layers, "
             f"{len(universe.links)} links, {len(universe.evidence)} evidence items")
    return paragraph("revenue share by layer", bold=title) + table_html(
        table, heat=layers, heat_range=(0.0, 1.0), formats={c: ".0%" for c in layers},
        blank_zero=layers, max_rows=max_rows, titles={"name": list(frame["name"])})


def screen_html(result: ScreenResult, *, max_rows: int = MAX_ROWS) -> str:
    """A ScreenResult as a ranked table: the score as a bar and each scoring rule's
    contribution (zero left blank; a rule that is zero in every shown row is named under
    the table instead of taking a column); excluded companies name the gate.

    Meant for ``ScreenResult._repr_html_``.
    """
    table = result.to_frame()
    rules = [r for r in result.rule_ids if r in table.columns and
             result.pack.rule(r).kind != "gate"]
    shown = pd.DataFrame({
        "rank": table["rank"].astype("Int64"),
        "name": [shorten(n, 22) for n in table["name"]],
        "layer": table["primary_layer"],
        "score": table["score"].to_numpy(dtype=float),
    }, index=table.index)
    if "excluded_by" in table.columns and table["excluded_by"].head(max_rows).notna().any():
        shown["excluded by"] = table["excluded_by"]  # the gate, when an excluded row shows
    # a rule that adds nothing to any shown row gets a mention, not an empty column
    silent = [r for r in rules if not table[r].head(max_rows).fillna(0.0).astype(float).any()]
    rules = [r for r in rules if r not in silent]
    for rule in rules:
        shown[rule] = table[rule].to_numpy(dtype=float, na_value=np.nan)
    n_pass = int(table["passed"].sum()) if "passed" in table.columns else len(table)
    title = (f"{result.pack.id} v{result.pack.version}: {n_pass} ranked, "
             f"{len(table) - n_pass} excluded")
    note = f"0 in every row shown: {', '.join(silent)}" if silent else ""
    return one_style(
        paragraph("contributions by rule add up to the score; "
                  "result.explain(ticker) says why", bold=title),
        table_html(shown, bars=["score"], signed=["score", *rules], digits=2,
                   blank_zero=rules, max_rows=max_rows, titles={"name": list(table["name"])}),
        paragraph(note) if note else "")


def panel_html(result: PanelResult, *, top: int = 5, max_rows: int = MAX_ROWS) -> str:
    """A PanelResult as each date's ``top`` best-ranked companies, the latest date first.

    Meant for ``PanelResult._repr_html_``.
    """
    best = result.top(top)
    dates = best.index.get_level_values(0)
    order = np.lexsort((np.arange(len(best)), -dates.asi8))  # latest date first, by rank
    best = best.iloc[order]
    names = (list(best["name"]) if "name" in best.columns
             else [""] * len(best))
    shown = pd.DataFrame({
        "date": [f"{d:%Y-%m-%d}" for d in best.index.get_level_values(0)],
        "rank": best["rank"].astype("Int64").to_numpy(),
        "ticker": [str(t) for t in best.index.get_level_values(1)],
        "name": [shorten(n, 22) for n in names],
        "score": best["score"].to_numpy(dtype=float),
    })
    n_pass = int((~result.excluded_mask).sum())
    days = result.dates
    span = f"{days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}" if len(days) else "no dates"
    title = (f"{result.pack.id} v{result.pack.version}: {len(days)} dates ({span}), "
             f"{n_pass} ranked, {len(result.frame) - n_pass} excluded")
    return one_style(
        paragraph(f"the top {top} of each date, latest first; result.at(date) is one "
                  "date's screen", bold=title),
        table_html(shown, bars=["score"], signed=["score"], digits=2, index=False,
                   max_rows=max_rows, titles={"name": names}))


def explanation_html(explanation: Explanation) -> str:
    """One company's score rule by rule; for an excluded company, the gate that excluded
    it, its reason and its ``why`` first.

    Meant for ``Explanation._repr_html_``.
    """
    e = explanation
    parts = []
    if e.passed:
        parts.append(paragraph(f"rank {e.rank} of {e.of}, score {e.score:+.3f}",
                               bold=f"{e.ticker} ({e.name}):"))
    else:
        parts.append(paragraph(f"excluded, not ranked (its rules add up to {e.score:+.3f})",
                               bold=f"{e.ticker} ({e.name}):"))
        if e.result is not None:
            excluded = e.result.excluded
            for row in excluded[excluded["ticker"] == e.ticker].itertuples(index=False):
                rule = e.result.pack.rule(str(row.rule))
                what = "gate" if rule.kind == "gate" else f"{rule.kind} rule"
                parts.append(paragraph(f"{row.reason} (expression: {rule.expression}). "
                                       f"{row.why}", bold=f"excluded by {what} '{row.rule}':"))
    table = e.table[["rule", "kind", "value", "weight", "contribution", "status", "why"]]
    parts.append(table_html(table, index=False, signed=["contribution"], bars=["contribution"],
                            formats={"weight": "g"}, wrap=["why"], max_rows=len(table)))
    return one_style(*parts)


def pack_html(pack: RulePack) -> str:
    """A rule pack: its description, then one row per rule (kind, weight, missing-data
    policy, expression, why), and how many expectations and scenarios it ships.

    Meant for ``RulePack._repr_html_``.
    """
    rules = pd.DataFrame(
        [{"rule": r.id, "kind": r.kind, "weight": r.weight, "missing": r.missing,
          "expression": shorten(r.expression, 60), "why": r.why} for r in pack.rules])
    kinds = ", ".join(f"{n} {k}" for k, n in rules["kind"].value_counts(sort=False).items())
    extra = [f"{len(pack.expect)} expectations", f"{len(pack.scenarios)} scenarios"]
    if pack.basket is not None:
        extra.append("a basket")
    title = f"pack {pack.id} v{pack.version}: {len(pack.rules)} rules ({kinds})"
    return one_style(
        paragraph(pack.description, bold=title),
        table_html(rules, index=False, formats={"weight": "g"}, wrap=["why"],
                   max_rows=len(rules),
                   titles={"expression": [r.expression for r in pack.rules]}),
        paragraph("; ".join(extra)))


def links_html(links: Iterable[Link], *, caption: str | None = None,
               max_rows: int = MAX_ROWS) -> str:
    """Company links as a table: supplier -> customer, kind, layer, revenue share (a
    percent), amount, confidence, as-of date and source."""
    rows = [{"supplier": lk.supplier, "customer": lk.customer, "kind": lk.kind,
             "layer": lk.layer, "revenue_share": lk.revenue_share,
             "amount_usd_m": None if lk.amount_usd is None else lk.amount_usd / 1e6,
             "confidence": lk.confidence, "as_of": lk.as_of.isoformat(),
             "source": shorten(lk.source, 40)} for lk in links]
    columns = ["supplier", "customer", "kind", "layer", "revenue_share", "amount_usd_m",
               "confidence", "as_of", "source"]
    frame = pd.DataFrame(rows, columns=columns)
    return table_html(frame, index=False, caption=caption, max_rows=max_rows,
                      formats={"revenue_share": ".0%", "amount_usd_m": ",.0f",
                               "confidence": ".2f"})


def scenario_report_html(report: ScenarioReport, changes: Sequence[str]) -> str:
    """One scenario against the base screen: what it changes (``changes``, one phrase
    each), who entered and left the top, the biggest movers and the basket changes.

    Meant for ``ScenarioReport._repr_html_``.
    """
    s = report.scenario
    from_to = "; ".join(changes)
    parts = [paragraph(s.description or "", bold=f"{s.id}: {s.name}"),
             paragraph(from_to, bold="changes:")]
    moves = pd.concat([report.entered.assign(change=f"entered the top {report.top}"),
                       report.left.assign(change=f"left the top {report.top}")],
                      ignore_index=True)
    if moves.empty:
        parts.append(paragraph(f"top {report.top}: unchanged"))
    else:
        parts.append(table_html(moves, index=False, caption=f"top {report.top}"))
    if not report.movers.empty:
        parts.append(table_html(report.movers, index=False, caption="biggest movers",
                                formats={"change": "+d"}))
    if report.basket_note is not None:
        parts.append(paragraph(report.basket_note, bold="basket:"))
    if report.basket_changes is not None:
        parts.append(table_html(report.basket_changes, index=False, caption="basket",
                                percent=["base_weight", "scenario_weight"], digits=4,
                                max_rows=len(report.basket_changes)))
    return one_style(*parts)


def scenario_run_html(run: ScenarioRun, changes: Mapping[str, Sequence[str]]) -> str:
    """Every scenario against the base screen: a summary table, then each report
    (``changes``: each scenario's changes by scenario id).

    Meant for ``ScenarioRun._repr_html_``.
    """
    pack = run.base.pack
    head = (f"{len(run.reports)} scenario(s) against pack {pack.id} v{pack.version}, "
            f"top {run.top} of {int((~run.base.excluded_mask).sum())} ranked")
    summary = table_html(run.to_frame(), formats={"rank_change": "+d"},
                         max_rows=len(run.reports))
    return one_style(paragraph("", bold=head), summary, *(
        "<hr>" + scenario_report_html(r, changes.get(r.scenario.id, ()))
        for r in run.reports))
