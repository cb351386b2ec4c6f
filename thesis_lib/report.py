"""A shareable report of a screen: one self-contained HTML file.

:func:`write_report` (and ``thesis report -o report.html``) writes everything an analyst
would send a colleague about one screen, in a single file that needs no network, no
fonts, no scripts from elsewhere and no other files, so it opens the same from a
``file://`` URL, a web server or an e-mail attachment:

- the thesis and every rule with its ``why``;
- the ranking, each company's explanation one click away (``<details>``; a link to
  ``report.html#company-MU`` opens Micron's);
- the supply chain drawn as an SVG graph of layers, with the company links between them;
- the evidence timeline;
- the market-data status (when the screen had prices) and the basket (when given);
- the data disclaimer.

Styles and graphics are inline (CSS, SVG); the only script is a few lines that open the
company named in the URL's fragment, and everything works without it. Every text from the
data (names, ``why``, claims, sources) is shown with its control characters made visible
and its markup escaped, so nothing in a universe or a pack can change the page.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from thesis_lib._html import table_html
from thesis_lib._text import plain_lines
from thesis_lib.errors import ThesisError
from thesis_lib.rules.render import explanation_text, layers_label, top_rules

if TYPE_CHECKING:
    from thesis_lib.basket import Basket
    from thesis_lib.models import Universe
    from thesis_lib.rules.screen import ScreenResult

__all__ = ["DISCLAIMER", "ReportError", "report_html", "write_report"]

DISCLAIMER = (
    "Exposure figures, links and claims are estimates drawn from the sources named with "
    "them; they are illustrative and may be out of date. Check them before anyone invests. "
    "This report is not investment advice."
)


class ReportError(ThesisError):
    """The report could not be written where asked (the file exists, no such folder)."""


def _t(value: Any) -> str:
    """Any value as safe HTML text: control characters (but line breaks) made visible,
    markup escaped."""
    return html.escape(plain_lines(value if isinstance(value, str) else str(value)))


def _anchor(ticker: str) -> str:
    """``company-<ticker>`` with anything but letters, digits, ``.``, ``_`` and ``-``
    replaced, so it is a valid fragment and ``id``."""
    return "company-" + re.sub(r"[^A-Za-z0-9._-]", "_", ticker)


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1f2328;
background:#fff;line-height:1.4}
header{background:#0b3d91;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:24px}
header p{margin:2px 0;opacity:.9}
nav{padding:8px 28px;background:#eef2f8;border-bottom:1px solid #d0d7de;font-size:14px}
nav a{margin-right:14px;color:#0b3d91}
main{padding:0 28px 28px;max-width:1200px}
h2{border-bottom:2px solid #0b3d91;padding-bottom:4px;margin-top:28px}
table.report{border-collapse:collapse;font-size:13px;width:100%}
table.report th,table.report td{padding:3px 8px;border-bottom:1px solid #e5e5e5;
text-align:left;vertical-align:top}
table.report td.date{white-space:nowrap}
table.report td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
details summary{cursor:pointer;color:#0b3d91;font-weight:600}
details pre{white-space:pre-wrap;background:#f6f8fa;padding:8px;border-radius:4px;
font-size:12px;max-width:960px}
.rows{font-size:13px}
.rows .head,.rows summary{display:grid;gap:0 12px;padding:3px 4px;
border-bottom:1px solid #e5e5e5;align-items:start}
.rows.ranked .head,.rows.ranked summary{grid-template-columns:2.5em 9.5em 16em 12em 5em 1fr}
.rows.excluded .head,.rows.excluded summary{grid-template-columns:2.5em 9.5em 16em 1fr}
.rows .head{font-weight:600}
.rows summary{color:inherit;font-weight:normal;list-style:none}
.rows summary::-webkit-details-marker{display:none}
.rows summary:hover{background:#f6f8fa}
.rows .ticker{color:#0b3d91;font-weight:600}
.rows .ticker::before{content:"\\25B8\\a0"}
.rows details[open] .ticker::before{content:"\\25BE\\a0"}
.rows .num{text-align:right;font-variant-numeric:tabular-nums}
.rows details[open] summary{background:#eef2f8}
.rows pre{margin:4px 0 10px 2.5em}
.thesis{white-space:pre-wrap;background:#f6f8fa;padding:10px;border-left:4px solid #0b3d91}
.disclaimer{background:#fff8c5;border:1px solid #d4a72c;padding:10px;margin-top:24px}
.muted{color:#57606a}
.supports{color:#1a7f37}.undermines{color:#cf222e}.neutral{color:#57606a}
svg{max-width:100%;height:auto}
"""

# Opens the <details> the URL's fragment names (report.html#company-MU); the page
# works the same without it.
_SCRIPT = """
function openFragment(){var id=decodeURIComponent(location.hash.slice(1));if(!id)return;
var el=document.getElementById(id);if(el&&el.tagName==='DETAILS'){el.open=true;
el.scrollIntoView();}}
window.addEventListener('hashchange',openFragment);openFragment();
"""


# -- sections ------------------------------------------------------------------------------
def _thesis(result: ScreenResult) -> str:
    pack = result.pack
    rules = pd.DataFrame(
        [{"kind": r.kind, "weight": float(r.weight), "missing": r.missing,
          "expression": r.expression, "why": r.why} for r in pack.rules],
        index=pd.Index([r.id for r in pack.rules], name="rule"))
    parts = ['<section id="thesis"><h2>Thesis and rules</h2>']
    if pack.description:
        parts.append(f"<p><b>{_t(pack.description)}</b></p>")
    if pack.thesis:
        parts.append(f'<div class="thesis">{_t(pack.thesis.strip())}</div>')
    parts.append(f'<p class="muted">{len(pack.rules)} rules: a score rule adds weight x '
                 "value, a penalty takes it away, a gate excludes a company that fails it."
                 "</p>")
    parts.append(table_html(rules, digits=2, max_rows=len(rules), wrap=["expression", "why"]))
    parts.append("</section>")
    return "".join(parts)


def _company(result: ScreenResult, ticker: str, cls: str, cells: Sequence[str]) -> str:
    """One company as a ``<details>``: its row is the summary (click to open), its
    explanation the body, full width below the row."""
    text = explanation_text(result.explain(ticker), result)
    row = "".join(cells)
    return (f'<details class="{cls}" id="{_t(_anchor(ticker))}" data-ticker="{_t(ticker)}">'
            f"<summary>{row}</summary><pre>{_t(text)}</pre></details>")


def _ranking(result: ScreenResult) -> str:
    scores, frame, contributions = result.scores, result.frame, result.contributions
    names = frame["name"] if "name" in frame.columns else None
    ranked = [str(t) for t in scores.index if bool(scores.at[t, "passed"])]
    excluded = [str(t) for t in scores.index if not bool(scores.at[t, "passed"])]
    top = max((abs(float(scores.at[t, "score"])) for t in ranked), default=0.0)
    parts = ['<section id="ranking"><h2>Ranking</h2>',
             f'<p class="muted">{len(ranked)} ranked, {len(excluded)} excluded. Click a '
             "company for its explanation: each rule's contribution, its why and the "
             "figures behind it.</p>",
             '<div class="rows ranked" id="ranking-table"><div class="head"><span>#</span>'
             "<span>company</span><span>name</span><span>layers</span>"
             '<span class="num">score</span><span>top rules</span></div>']
    for ticker in ranked:
        score = float(scores.at[ticker, "score"])
        share = 0.0 if top <= 0 or not math.isfinite(score) else min(abs(score) / top, 1.0)
        color = "#b7e1c1" if score >= 0 else "#f3b8b8"
        bar = (f"background:linear-gradient(270deg,{color} {share * 100:.1f}%,"
               f"transparent {share * 100:.1f}%)")
        name = "" if names is None else _t(names.loc[ticker])
        parts.append(_company(result, ticker, "company", [
            f'<span class="num">{int(scores.at[ticker, "rank"])}</span>',
            f'<span class="ticker">{_t(ticker)}</span>', f"<span>{name}</span>",
            f"<span>{_t(layers_label(frame, ticker, 30))}</span>",
            f'<span class="num" style="{bar}">{score:+.2f}</span>',
            f"<span>{_t(top_rules(contributions.loc[ticker], 80))}</span>"]))
    parts.append("</div>")
    if excluded:
        parts.append('<h3>Excluded</h3><div class="rows excluded" id="excluded-table">'
                     '<div class="head"><span></span><span>company</span><span>name</span>'
                     "<span>excluded by</span></div>")
        for ticker in excluded:
            name = "" if names is None else _t(names.loc[ticker])
            parts.append(_company(result, ticker, "excluded", [
                '<span class="num">-</span>', f'<span class="ticker">{_t(ticker)}</span>',
                f"<span>{name}</span>",
                f"<span>{_t(scores.at[ticker, 'excluded_by'])}</span>"]))
        parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


def _chain_svg(universe: Universe) -> str:
    """Layers as boxes in tiers (customers at the top, suppliers below), ``supplies``
    edges between them in grey, and company links (supplier -> customer, grouped by the
    two companies' primary layers) in blue, labelled with how many there are."""
    chain = universe.chain
    tiers = chain.tiers()
    box_w, box_h, gap_x, gap_y, pad = 150, 44, 24, 70, 20
    widest = max(len(t) for t in tiers)
    width = max(widest * (box_w + gap_x) - gap_x + 2 * pad, 520)
    height = len(tiers) * (box_h + gap_y) - gap_y + 2 * pad + 40
    primary = universe.primary_layers()
    counts = Counter(layer for layer in primary.values() if layer is not None)
    pos: dict[str, tuple[float, float]] = {}
    for row, tier in enumerate(tiers):
        span = len(tier) * (box_w + gap_x) - gap_x
        x0 = (width - span) / 2
        for col, layer_id in enumerate(tier):
            pos[layer_id] = (x0 + col * (box_w + gap_x), pad + row * (box_h + gap_y))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" id="chain-graph" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
           'font-family="sans-serif" font-size="12">',
           f"<title>{_t(chain.name or chain.id)}: supply chain</title>",
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
           'markerHeight="6" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" '
           'fill="#8c959f"/></marker></defs>']
    for layer in chain.layers:  # supplier (below) -> customer (above)
        for customer in layer.supplies:
            if layer.id not in pos or customer not in pos:
                continue
            sx, sy = pos[layer.id]
            cx, cy = pos[customer]
            out.append(f'<line class="edge" x1="{sx + box_w / 2:.1f}" y1="{sy:.1f}" '
                       f'x2="{cx + box_w / 2:.1f}" y2="{cy + box_h:.1f}" stroke="#8c959f" '
                       'stroke-width="1.2" marker-end="url(#arrow)"/>')
    pairs = Counter(
        (primary.get(link.supplier), primary.get(link.customer)) for link in universe.current_links
        if link.kind == "supplies")
    for (low, high), n in sorted(pairs.items(), key=lambda kv: str(kv[0])):
        if low is None or high is None or low not in pos or high not in pos:
            continue
        sx, sy = pos[low]
        cx, cy = pos[high]
        x1, y1 = sx + box_w * 0.7, sy + box_h / 2
        x2, y2 = cx + box_w * 0.7, cy + box_h / 2
        bend = 40 if low != high else 60
        mx, my = (x1 + x2) / 2 + bend, (y1 + y2) / 2
        out.append(f'<path class="company-link" d="M{x1:.1f},{y1:.1f} Q{mx:.1f},{my:.1f} '
                   f'{x2:.1f},{y2:.1f}" fill="none" stroke="#0969da" stroke-opacity="0.55" '
                   f'stroke-width="{min(1 + n * 0.6, 6):.1f}" stroke-dasharray="4 3">'
                   f"<title>{n} company link{'s' if n != 1 else ''}: {_t(low)} companies "
                   f"supply {_t(high)} companies</title></path>")
        out.append(f'<text x="{mx:.1f}" y="{my:.1f}" fill="#0969da" font-size="11">{n}</text>')
    for layer_id, (x, y) in pos.items():
        layer = chain.layer(layer_id)
        fill = "#fff1e5" if layer.constraint else "#ddf4ff"
        out.append(
            f'<g class="layer" data-layer="{_t(layer_id)}"><title>{_t(layer.name)}: '
            f"{_t(layer.description)}</title>"
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{box_w}" height="{box_h}" rx="6" '
            f'fill="{fill}" stroke="#0b3d91"/>'
            f'<text x="{x + box_w / 2:.1f}" y="{y + 18:.1f}" text-anchor="middle" '
            f'font-weight="bold">{_t(layer_id)}</text>'
            f'<text x="{x + box_w / 2:.1f}" y="{y + 34:.1f}" text-anchor="middle" '
            f'fill="#57606a">{counts.get(layer_id, 0)} companies</text></g>')
    out.append(f'<text x="{pad}" y="{height - 22}" fill="#57606a">grey arrow: a layer '
               "supplies the layer above; orange: a constraint layer</text>")
    out.append(f'<text x="{pad}" y="{height - 8}" fill="#57606a">blue dashed: company '
               "supply links between the companies' main layers (how many)</text>")
    out.append("</svg>")
    return "".join(out)


def _chain(universe: Universe) -> str:
    parts = ['<section id="chain"><h2>Supply chain</h2>', _chain_svg(universe)]
    if universe.links:
        rows = pd.DataFrame(
            [{"customer": link.customer, "layer": link.layer, "kind": link.kind,
              "revenue share": link.revenue_share, "as of": str(link.as_of),
              "source": link.source} for link in universe.current_links],
            index=pd.Index([link.supplier for link in universe.current_links],
                           name="supplier"))
        parts.append(f"<details><summary>{len(rows)} company links</summary>"
                     + table_html(rows, digits=2, max_rows=len(rows)) + "</details>")
    parts.append("</section>")
    return "".join(parts)


def _timeline_svg(items: Sequence[Any]) -> str:
    dates = [item.date for item in items]
    first, last = min(dates), max(dates)
    span = max((last - first).days, 1)
    width, height, pad = 900, 90, 40
    colors = {"supports": "#1a7f37", "undermines": "#cf222e", "neutral": "#8c959f"}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" id="evidence-timeline" '
           f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           'font-family="sans-serif" font-size="11"><title>evidence timeline</title>',
           f'<line x1="{pad}" y1="45" x2="{width - pad}" y2="45" stroke="#57606a"/>',
           *([f'<text x="{width / 2}" y="75" text-anchor="middle" fill="#57606a">{first}'
              "</text>"] if first == last else
             [f'<text x="{pad}" y="75" fill="#57606a">{first}</text>',
              f'<text x="{width - pad}" y="75" text-anchor="end" fill="#57606a">{last}'
              "</text>"])]
    same_day = Counter(item.date for item in items)
    seen: Counter[Any] = Counter()
    for item in items:  # claims of one day side by side around it
        offset = (seen[item.date] - (same_day[item.date] - 1) / 2) * 9
        seen[item.date] += 1
        x = (width / 2 if first == last else
             pad + (item.date - first).days / span * (width - 2 * pad)) + offset
        x = min(max(x, pad / 2), width - pad / 2)
        y = 45 - 22 * (item.strength if item.direction == "supports" else
                       -item.strength if item.direction == "undermines" else 0)
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colors[item.direction]}" '
                   f'fill-opacity="0.75"><title>{item.date} {_t(item.id)}: '
                   f"{_t(item.claim)}</title></circle>")
    out.append("</svg>")
    return "".join(out)


def _evidence(universe: Universe) -> str:
    items = sorted(universe.evidence, key=lambda e: (e.date, e.id))
    parts = ['<section id="evidence"><h2>Evidence timeline</h2>']
    if not items:
        parts.append("<p>The universe has no evidence.</p></section>")
        return "".join(parts)
    parts.append(f'<p class="muted">{len(items)} dated claims; above the line supports the '
                 "thesis, below undermines it, the further the stronger.</p>")
    parts.append(_timeline_svg(items))
    parts.append('<table class="report" id="evidence-table"><thead><tr><th>date</th>'
                 "<th>claim</th><th>about</th><th>direction</th><th>strength</th>"
                 "<th>source</th></tr></thead><tbody>")
    for item in reversed(items):
        about = ", ".join([*item.layers, *item.companies])
        parts.append(f'<tr><td class="date">{item.date}</td><td>{_t(item.claim)}</td>'
                     f"<td>{_t(about)}</td>"
                     f'<td class="{item.direction}">{item.direction}</td>'
                     f'<td class="num">{item.strength:.2f}</td><td>{_t(item.source)}</td></tr>')
    parts.append("</tbody></table></section>")
    return "".join(parts)


def _market(result: ScreenResult) -> str:
    market = result.market
    if market is None:
        return ('<section id="market"><h2>Market data</h2><p>None: this screen ran '
                "offline, on the universe's own figures.</p></section>")
    status = market.status.copy()
    status.index = status.index.astype("string").rename("ticker")
    first = [c for c in ("status", "as_of", "source") if c in status.columns]
    status = status[first + [c for c in status.columns if c not in first]]  # reason last
    return ('<section id="market"><h2>Market data status</h2>'
            f"<p>{_t(market.summary())}</p>"
            + "".join(f"<p class=\"muted\">{_t(n)}</p>" for n in market.notes)
            + table_html(status, max_rows=len(status)) + "</section>")


def _basket(basket: Basket | None) -> str:
    if basket is None:
        return ""
    members = basket.members.copy()
    members.index = members.index.astype("string").rename("ticker")
    cols = [c for c in ("name", "layer", "tier", "score", "rank", "weight", "bound")
            if c in members.columns]
    layers = ", ".join(f"{layer} {w:.1%}" for layer, w in basket.layer_weights.items())
    return ('<section id="basket"><h2>Basket</h2>'
            f"<p>{len(basket)} names; {_t(basket.rules.describe())}</p>"
            f'<p class="muted">Layers: {_t(layers)}</p>'
            + table_html(members[cols], bars=["weight"], percent=["weight"], digits=3,
                         max_rows=len(members)) + "</section>")


# -- the page ------------------------------------------------------------------------------
def report_html(result: ScreenResult, *, basket: Basket | None = None,
                title: str | None = None) -> str:
    """The report of ``result`` (a :func:`~thesis_lib.screen` result) as one HTML page.

    With ``basket`` (e.g. ``build_basket(result, rules)``) the page adds its members and
    weights. The supply chain and the evidence need the universe, so they show when
    ``screen`` was given a :class:`~thesis_lib.Universe` (not a bare DataFrame).
    """
    pack = result.pack
    universe = result.universe
    heading = title or f"{pack.id} v{pack.version}"
    subject = (f"universe {universe.id} ({universe.name})" if universe is not None and
               universe.name else f"universe {universe.id}" if universe is not None
               else "a screening frame")
    n_ranked = int((~result.excluded_mask).sum())
    market = (f"; market data as of {result.market.as_of}" if result.market is not None
              else "; offline, no market data")
    sections = [("thesis", "Thesis and rules"), ("ranking", "Ranking")]
    body = [_thesis(result), _ranking(result)]
    if universe is not None:
        sections += [("chain", "Supply chain"), ("evidence", "Evidence")]
        body += [_chain(universe), _evidence(universe)]
    sections.append(("market", "Market data"))
    body.append(_market(result))
    if basket is not None:
        sections.append(("basket", "Basket"))
        body.append(_basket(basket))
    sections.append(("disclaimer", "Disclaimer"))
    # The data disclaimer is about thesis-lib's own figures: a universe of your own gets
    # only the note that a report is not advice.
    builtin = universe is None or universe.disclaimer is not None
    note = DISCLAIMER if builtin else "This report is not investment advice."
    body.append(f'<section id="disclaimer" class="disclaimer"><b>Disclaimer.</b> '
                f"{_t(note)}</section>")
    nav = "".join(f'<a href="#{sid}">{label}</a>' for sid, label in sections)
    as_of = (f", data as of {universe.as_of}" if universe is not None and universe.as_of
             else "")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_t(heading)}: thesis report</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{_t(heading)}</h1><p>{_t(pack.description)}</p>"
        f"<p>{len(result.frame)} companies of {_t(subject)}{_t(as_of)}: {n_ranked} ranked, "
        f"{len(result.frame) - n_ranked} excluded{_t(market)}.</p></header>"
        f"<nav>{nav}</nav><main>{''.join(body)}</main>"
        f"<script>{_SCRIPT}</script></body></html>\n")


def write_report(result: ScreenResult, path: str | Path, *, basket: Basket | None = None,
                 title: str | None = None, force: bool = False) -> Path:
    """Write :func:`report_html` of ``result`` to ``path`` (atomically) and return it.

    Never replaces an existing file unless ``force``; raises :class:`ReportError` when
    the file exists, ``path`` is a folder, or its folder does not exist.
    """
    from thesis_lib.loading import write_atomic

    target = Path(path).expanduser()
    if target.is_dir():
        raise ReportError("is a folder, not a file", file=str(target),
                          hint="give a file name such as report.html")
    if target.exists() and not force:
        raise ReportError("file exists; not replacing it", file=str(target),
                          hint="pass force=True (--force) to replace it, or choose another "
                               "name")
    if not target.parent.is_dir():
        raise ReportError("no such folder", file=str(target.parent),
                          hint="create the folder first, or choose another path")
    page = report_html(result, basket=basket, title=title)
    try:
        write_atomic(target, page)
    except OSError as exc:
        raise ReportError(f"cannot write the file: {exc.strerror or exc}", file=str(target),
                          hint="choose a writable location") from None
    return target
