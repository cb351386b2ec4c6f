"""``thesis links TICKER``: a company's suppliers, customers and stakes, as a tree."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from thesis_lib.cli._output import CliError, Output, Table, render
from thesis_lib.models.link import usd
from thesis_lib.rules.render import WIDTH


def _resolve(universe: Any, ticker: str) -> str:
    if ticker in universe.tickers:
        return ticker
    folded = {t.casefold(): t for t in universe.tickers}
    if ticker.casefold() in folded:
        return str(folded[ticker.casefold()])
    universe.company(ticker)  # raises DataError with close matches
    return ticker  # pragma: no cover


def _link_dict(step: int, link: Any, universe: Any) -> dict[str, Any]:
    names = {c.ticker: c.name for c in universe.companies}
    return {
        "step": step, "supplier": link.supplier, "supplier_name": names[link.supplier],
        "customer": link.customer, "customer_name": names[link.customer],
        "layer": link.layer, "kind": link.kind, "revenue_share": link.revenue_share,
        "amount_usd": link.amount_usd,
        "since": None if link.since is None else link.since.isoformat(),
        "as_of": link.as_of.isoformat(),
        "confidence": link.confidence, "source": link.source, "url": link.url,
    }


def _tree(universe: Any, ticker: str, depth: int, *, down: bool) -> list[str]:
    """Indented lines: each link under the company it leads from, ``depth`` steps deep."""
    names = {c.ticker: c.name for c in universe.companies}
    lines: list[str] = []
    seen: set[tuple[str, str, str, str]] = set()

    def visit(node: str, level: int) -> None:
        links = universe.suppliers(node) if down else universe.customers(node)
        for link in links:
            if link.key in seen:
                continue
            seen.add(link.key)
            other = link.supplier if down else link.customer
            arrow = "<-" if down else "->"
            pad = "  " * level
            extras = [link.layer]
            if link.revenue_share is not None:
                extras.append(f"{link.revenue_share:.0%} of {link.supplier} revenue")
            if link.amount_usd is not None:
                extras.append(usd(link.amount_usd))
            extras.append(f"as of {link.as_of}")
            lines.append(f"{pad}{arrow} {other:<10} {names[other][:28]:<28} "
                         f"({', '.join(extras)})")
            lines.extend(_source_lines(link, len(pad) + 5))
            if level < depth:
                visit(other, level + 1)

    visit(ticker, 1)
    return lines


def _source_lines(link: Any, indent: int) -> list[str]:
    text = f"source: {link.source}" + (f" <{link.url}>" if link.url else "")
    return textwrap.wrap(text, WIDTH, initial_indent=" " * indent,
                         subsequent_indent=" " * (indent + 2), break_on_hyphens=False,
                         break_long_words=False)


def links_command(args: argparse.Namespace) -> Output:
    from thesis_lib import load_universe

    universe = load_universe(args.universe)
    ticker = _resolve(universe, args.ticker)
    if args.down is not None and args.up is not None:
        raise CliError("give --down or --up, not both",
                       hint="without either, both directions are shown one step deep")
    both = args.down is None and args.up is None
    down = 1 if both else args.down
    up = 1 if both else args.up
    company = universe.company(ticker)
    stakes = universe.stakes(ticker) if both else ()

    def document() -> dict[str, Any]:
        return {
            "ticker": ticker, "name": company.name,
            "suppliers": [_link_dict(s, lk, universe) for s, lk in
                          universe.link_path(ticker, down, down=True)] if down else [],
            "customers": [_link_dict(s, lk, universe) for s, lk in
                          universe.link_path(ticker, up, down=False)] if up else [],
            "stakes": [_link_dict(1, lk, universe) for lk in stakes],
        }

    def table() -> Table:
        doc = document()
        rows = [{"direction": direction, **link}
                for direction, key in (("supplier", "suppliers"), ("customer", "customers"),
                                       ("stake", "stakes"))
                for link in doc[key]]
        return Table.from_records(rows, ["direction", *_LINK_COLUMNS])

    return Output(render(args.format, text=lambda: _text(universe, ticker, down, up, both,
                                                         stakes),
                         json=document, csv=table))


_LINK_COLUMNS = ("step", "supplier", "supplier_name", "customer", "customer_name", "layer",
                 "kind", "revenue_share", "amount_usd", "since", "as_of", "confidence",
                 "source", "url")


def _text(universe: Any, ticker: str, down: int | None, up: int | None, both: bool,
          stakes: Any) -> str:
    company = universe.company(ticker)
    lines = [f"{ticker} ({company.name})"]
    if down:
        found = _tree(universe, ticker, down, down=True)
        lines.append(f"  suppliers, {down} step{'s' if down > 1 else ''} down "
                     f"(<- supplies it):" if found else "  suppliers: none recorded")
        lines += found
    if up:
        found = _tree(universe, ticker, up, down=False)
        lines.append(f"  customers, {up} step{'s' if up > 1 else ''} up (-> it supplies):"
                     if found else "  customers: none recorded")
        lines += found
    if both:
        if stakes:
            lines.append("  stakes (investments, not revenue):")
            names = {c.ticker: c.name for c in universe.companies}
            for link in stakes:
                held = link.customer == ticker
                other = link.supplier if held else link.customer
                what = "invested in it" if held else "it invested in"
                amount = "" if link.amount_usd is None else f", {usd(link.amount_usd)}"
                lines.append(f"  {'<-' if held else '->'} {other:<10} {names[other][:28]:<28} "
                             f"({what}{amount}, as of {link.as_of})")
                lines.extend(_source_lines(link, 7))
        else:
            lines.append("  stakes: none recorded")
    return "\n".join(lines) + "\n"
