"""HTML tables for notebooks: score bars and heat scales without pandas' Styler (no jinja2).

Every cell is escaped. ``bars`` columns get a horizontal bar behind the number (green for
positive, red for negative, scaled to the column's largest magnitude); ``heat`` columns
get a background from white to blue scaled to [0, max] (or to ``heat_range``).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from thesis_lib.models import Universe
    from thesis_lib.rules.screen import ScreenResult

_TABLE_STYLE = (
    "border-collapse:collapse;font-size:12px;font-family:ui-monospace,monospace;"
)
_CELL_STYLE = "padding:2px 8px;border-bottom:1px solid #e5e5e5;"


def _number(value: Any, digits: int, percent: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if percent:
            return f"{float(value):+.{max(digits - 2, 1)}%}"
        return f"{float(value):.{digits}f}"
    return str(value)


def _bar_style(value: float, scale: float) -> str:
    if not math.isfinite(value) or scale <= 0:
        return ""
    share = min(abs(value) / scale, 1.0) * 50.0
    if value >= 0:
        color, start, end = "#b7e1c1", 50.0, 50.0 + share
    else:
        color, start, end = "#f3b8b8", 50.0 - share, 50.0
    return (f"background:linear-gradient(90deg,transparent {start:.1f}%,{color} {start:.1f}%,"
            f"{color} {end:.1f}%,transparent {end:.1f}%);")


def _heat_style(value: float, low: float, high: float) -> str:
    if not math.isfinite(value) or high <= low:
        return ""
    t = min(max((value - low) / (high - low), 0.0), 1.0)
    # white (255,255,255) to a readable blue (66,133,244)
    r, g, b = (round(255 + (c - 255) * t) for c in (66, 133, 244))
    text = "color:#fff;" if t > 0.6 else ""
    return f"background:rgb({r},{g},{b});{text}"


def table_html(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    bars: Iterable[str] = (),
    heat: Iterable[str] = (),
    percent: Iterable[str] = (),
    heat_range: tuple[float, float] | None = None,
    digits: int = 3,
    max_rows: int = 60,
    index: bool = True,
) -> str:
    """``frame`` as an HTML table with score bars, heat-scaled cells and percentages.

    Shows the first ``max_rows`` rows and says how many were left out.
    """
    bar_cols, heat_cols, pct_cols = set(bars), set(heat), set(percent)
    shown = frame.head(max_rows)
    scales: dict[str, float] = {}
    for column in bar_cols & {str(c) for c in frame.columns}:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        finite = np.abs(values[np.isfinite(values)])
        scales[column] = float(finite.max()) if finite.size else 0.0
    low, high = heat_range if heat_range is not None else (0.0, 0.0)
    if heat_range is None and heat_cols:
        cols = [c for c in frame.columns if str(c) in heat_cols]
        values = frame[cols].to_numpy(dtype=float, na_value=np.nan)
        finite = values[np.isfinite(values)]
        high = float(finite.max()) if finite.size else 0.0
        low = min(0.0, float(finite.min())) if finite.size else 0.0

    out = [f'<table style="{_TABLE_STYLE}">']
    if caption:
        out.append(f'<caption style="text-align:left;font-weight:bold;padding:4px 0">'
                   f"{html.escape(caption)}</caption>")
    head = [html.escape(str(frame.index.name or ""))] if index else []
    head += [html.escape(str(c)) for c in frame.columns]
    out.append("<thead><tr>" + "".join(
        f'<th style="{_CELL_STYLE}text-align:left">{h}</th>' for h in head) + "</tr></thead>")
    out.append("<tbody>")
    for label, row in zip(shown.index, shown.itertuples(index=False), strict=True):
        cells = [f'<th style="{_CELL_STYLE}text-align:left">{html.escape(str(label))}</th>'
                 ] if index else []
        for column, value in zip(frame.columns, row, strict=True):
            name = str(column)
            text = html.escape(_number(value, digits, name in pct_cols))
            style = _CELL_STYLE
            numeric = isinstance(value, int | float | np.integer | np.floating) and not \
                isinstance(value, bool | np.bool_)
            if numeric:
                style += "text-align:right;"
                if name in scales:
                    style += _bar_style(float(value), scales[name])
                elif name in heat_cols:
                    style += _heat_style(float(value), low, high)
            cells.append(f'<td style="{style}">{text}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    if len(frame) > max_rows:
        out.append(f"<p><i>{len(frame) - max_rows} more rows not shown</i></p>")
    return "".join(out)


def paragraph(text: str, *, bold: str | None = None) -> str:
    """One escaped paragraph, optionally starting with a bold part."""
    lead = f"<b>{html.escape(bold)}</b> " if bold else ""
    return f"<p>{lead}{html.escape(text)}</p>"


def lines_html(lines: Sequence[str]) -> str:
    """Plain-text lines as one escaped preformatted block."""
    return "<pre>" + html.escape("\n".join(lines)) + "</pre>"


def universe_html(universe: Universe, *, max_rows: int = 60) -> str:
    """A universe as a table: identity columns and each layer's revenue share on a heat scale.

    Meant for ``Universe._repr_html_``.
    """
    frame = universe.to_frame()
    layers = list(universe.chain.ids)
    table = frame[["name", "listed", "primary_layer"]].copy()
    for layer in layers:
        table[layer] = frame[f"exposure_{layer}"].to_numpy()
    title = (f"{universe.id}: {len(universe.companies)} companies "
             f"({int(frame['listed'].sum())} listed), {len(layers)} layers, "
             f"{len(universe.evidence)} evidence items")
    return paragraph(universe.description or universe.name, bold=title) + table_html(
        table, heat=layers, heat_range=(0.0, 1.0), digits=2, max_rows=max_rows)


def screen_html(result: ScreenResult, *, max_rows: int = 50) -> str:
    """A ScreenResult as a ranked table with score bars and each rule's contribution.

    Meant for ``ScreenResult._repr_html_``.
    """
    table = result.to_frame()
    ident = [c for c in ("name", "primary_layer", "rank", "score", "passed", "excluded_by")
             if c in table.columns]
    rules = [r for r in result.rule_ids if r in table.columns and
             result.pack.rule(r).kind != "gate"]
    shown = table[ident + rules]
    n_pass = int(table["passed"].sum()) if "passed" in table.columns else len(table)
    title = (f"{result.pack.id} v{result.pack.version}: {n_pass} ranked, "
             f"{len(table) - n_pass} excluded")
    return paragraph("contributions by rule; rows add up to the score", bold=title) + \
        table_html(shown, bars=["score", *rules], digits=2, max_rows=max_rows)
