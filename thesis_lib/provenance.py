"""Where a screening-frame value came from: the exposures, forward figures, financials,
links and claims behind one company's columns.

:meth:`ScreenResult.explain <thesis_lib.ScreenResult.explain>` uses it to name, under each
rule, the figures a score came through, each with its source, so an analyst can check
every number from its document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from thesis_lib.frame import (
    AI_EXPOSURE_PREFIX,
    CUSTOMERS_IN_PREFIX,
    EXPOSURE_PREFIX,
    FORWARD_PREFIX,
    SALES_TO_PREFIX,
)

if TYPE_CHECKING:
    from thesis_lib.models import Company, Universe

SOURCE_COLUMNS = ("column", "kind", "item", "detail", "source")
"""Columns of :func:`sources_for`'s table."""

MAX_CLAIMS = 5
"""Claims listed for ``evidence_support``: those with the largest effect."""


def sources_for(universe: Universe, ticker: str, columns: Iterable[str]) -> pd.DataFrame:
    """The figures behind ``ticker``'s values in ``columns``, one row per figure.

    Columns: ``column`` (the frame column), ``kind`` (``exposure``, ``forward``,
    ``financials``, ``link`` or ``claim``), ``item`` (a layer, a link, a claim id),
    ``detail`` (the figure in words) and ``source`` (the document, and its URL when known).
    Columns with nothing behind them for this company (a zero share) give no row, nor
    does ``confidence``: it is read from the exposures already listed. A figure reached
    through two columns is listed once.
    """
    company = universe.company(ticker)
    rows: list[dict[str, str]] = []
    seen: set[tuple[str, str, str]] = set()
    for column in dict.fromkeys(columns):
        for row in _rows(universe, company, column):
            key = (row["kind"], row["item"], row["detail"])
            if key not in seen:
                seen.add(key)
                rows.append(row)
    return pd.DataFrame(rows, columns=list(SOURCE_COLUMNS), dtype="string")


def _public(known_from: dt.date | None) -> str:
    """``, public 2026-02-11`` for a figure that says when it became public."""
    return "" if known_from is None else f", public {known_from}"


def _cite(source: str, url: str | None) -> str:
    return f"{source} <{url}>" if url else source


def _rows(universe: Universe, company: Company, column: str) -> list[dict[str, str]]:
    for prefix in (AI_EXPOSURE_PREFIX, EXPOSURE_PREFIX):
        if column.startswith(prefix) and column[len(prefix):] in universe.chain:
            return _exposure_rows(company, column, column[len(prefix):])
    if column.startswith(FORWARD_PREFIX):
        layer = column[len(FORWARD_PREFIX):]
        return [
            {"column": column, "kind": "forward", "item": layer,
             "detail": f"{f.kind}: share {'n/a' if f.share is None else f'{f.share:.3f}'} "
                       f"x AI {f.ai_share:.2f}, by {f.horizon}",
             "source": _cite(f.source, f.url)}
            for f in company.forward if f.layer == layer
        ]
    for prefix in (SALES_TO_PREFIX, CUSTOMERS_IN_PREFIX):
        if column.startswith(prefix):
            return _link_rows(universe, company, column, column[len(prefix):])
    if column in ("revenue_usd", "ai_revenue_usd") and company.financials is not None:
        fin = company.financials
        return [{"column": column, "kind": "financials", "item": fin.period,
                 "detail": f"revenue ${fin.revenue_usd / 1e9:,.2f}bn ({fin.basis})"
                           + _public(fin.known_from),
                 "source": _cite(fin.source, fin.url)}]
    if column == "evidence_support":
        claims = universe.claims_for(company.ticker)
        claims = claims[claims["effect"] != 0].head(MAX_CLAIMS)
        return [
            {"column": column, "kind": "claim", "item": str(r.id),
             "detail": f"{r.direction} {r.strength:.2f} via {r.via}: {r.effect:+.3f}",
             "source": str(r.source)}
            for r in claims.itertuples(index=False)
        ]
    if column in ("exposure_total", "ai_exposure_total"):
        out: list[dict[str, str]] = []
        for exposure in company.exposures:
            out += _exposure_rows(company, column, exposure.layer)
        return out
    return []


def _exposure_rows(company: Company, column: str, layer: str) -> list[dict[str, str]]:
    exposure = company.exposure(layer)
    if exposure is None or exposure.share == 0.0:
        return []
    ai = "unstated (1.00)" if exposure.ai_share is None else f"{exposure.ai_share:.2f}"
    period = exposure.period or f"to {exposure.as_of}"
    basis = f", {exposure.basis}" if exposure.basis else ""
    return [{"column": column, "kind": "exposure", "item": layer,
             "detail": f"share {exposure.share:.3f} x AI {ai}, {period}{basis}, "
                       f"confidence {exposure.confidence:.2f}{_public(exposure.known_from)}",
             "source": _cite(exposure.source, exposure.url)}]


def _link_rows(universe: Universe, company: Company, column: str,
               layer: str) -> list[dict[str, str]]:
    primary = universe.primary_layers()
    out = []
    for link in universe.customers(company.ticker):
        if primary.get(link.customer) != layer:
            continue
        out.append({"column": column, "kind": "link", "item": link.describe(),
                    "detail": f"as of {link.as_of}, confidence {link.confidence:.2f}"
                              + _public(link.known_from),
                    "source": _cite(link.source, link.url)})
    return out
