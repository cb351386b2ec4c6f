"""``thesis screen`` and ``thesis explain``: a screen in four formats, one company's reasons."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from thesis_lib._suggest import close_matches
from thesis_lib._text import plain
from thesis_lib.cli._output import (
    CliError,
    Output,
    Table,
    markdown_table,
    note,
    render,
    to_csv,
    to_json,
    write_output,
)
from thesis_lib.frame import EXPOSURE_PREFIX, MARKET_COLUMNS, MARKET_TEXT_COLUMNS
from thesis_lib.rules.render import (
    explanation_text,
    exposures,
    screen_table,
    top_rules,
)


@dataclass(frozen=True)
class Screened:
    """A screen and what it was run on."""

    result: Any
    universe: Any
    universe_label: str
    priced: bool
    as_of: dt.date | None = None
    """The date screened as of (``--as-of``): ``universe`` is then the universe as known
    on that date."""


def pack_and_universe(args: argparse.Namespace) -> tuple[Any, Any, str]:
    """The pack named on the command line and the universe to screen: ``--universe`` if
    given, else the pack's own ``universe =``, else the built-in one; and how to name
    that universe in output."""
    from thesis_lib import load_universe
    from thesis_lib.rules import load_pack

    pack = load_pack(args.pack)
    source = args.universe if args.universe else pack.universe_source()
    universe = load_universe(source)
    return pack, universe, str(args.universe or pack.universe or universe.id)


def run_screen(args: argparse.Namespace) -> Screened:
    """Load the universe and pack named on the command line, attach prices, and screen."""
    from thesis_lib.pipeline import screen

    pack, universe, label = pack_and_universe(args)
    status, timeout, deadline, quiet, as_of = (
        getattr(args, name, None) for name in ("status", "timeout", "deadline", "quiet", "as_of"))
    if not args.prices:
        given = [flag for flag, value in (("--snapshot", args.snapshot), ("--since", args.since),
                                          ("--status", status), ("--timeout", timeout),
                                          ("--deadline", deadline)) if value]
        if given:
            raise CliError(f"{' and '.join(given)} need{'s' if len(given) == 1 else ''} "
                           "--prices", hint="add --prices FILE.csv (or --prices yfinance)")
        result = screen(universe, pack, as_of=as_of)
        return Screened(result, result.universe, label, priced=False, as_of=as_of)
    from thesis_lib.market import collect_notes, price_provider

    provider = price_provider(args.prices, snapshot=args.snapshot, timeout=timeout,
                              deadline=deadline)
    with collect_notes() as notes:
        result = screen(universe, pack, market=provider, since=args.since,
                        progress=False if quiet else None, as_of=as_of)
    if not quiet:
        if as_of is not None:
            note(f"--as-of {as_of} applies to the universe's figures; the market data is "
                 "what the price source gives, not limited to that date")
        if result.market is not None:
            note(result.market.summary())
        for message in notes:
            note(message)
    return Screened(result, result.universe, label, priced=True, as_of=as_of)


def as_of_header(screened: Screened) -> list[str]:
    """The line that heads a screen taken as of a date (none otherwise)."""
    if screened.as_of is None:
        return []
    return [f"As of {screened.as_of}: only the figures public by then (no look-ahead)."]


def status_text(screened: Screened) -> str:
    """The per-ticker market-data status table (``--status``), or ``""`` without prices."""
    market = screened.result.market
    return "" if market is None else str(market.status_text())


def status_rows(screened: Screened) -> list[dict[str, Any]]:
    """The status table as JSON-ready rows."""
    market = screened.result.market
    if market is None:
        return []
    return [{"ticker": str(ticker), **{c: (v if isinstance(v, str) else None)
                                       for c, v in row.items()}}
            for ticker, row in market.status.iterrows()]


# -- pieces of a row ----------------------------------------------------------------------
def _num(value: Any) -> float:
    """A rounded float without negative zero (penalties of 0 otherwise print as -0.0)."""
    return round(float(value), 10) + 0.0


def _rank(value: Any) -> str:
    return "-" if pd.isna(value) else str(int(value))


# -- formats ------------------------------------------------------------------------------
def _shown(result: Any, top: int) -> list[str]:
    scores = result.scores
    return [str(t) for t in (scores.head(top) if top else scores).index]


def _footer(screened: Screened, shown: int) -> list[str]:
    result = screened.result
    total = len(result.frame)
    excluded = int(result.excluded_mask.sum())
    ranked = total - excluded
    return [f"{total} companies, {ranked} ranked, {excluded} excluded"
            + (f"; showing {shown}" if shown < total else "") + ".",
            f"Pack {plain(result.pack.id)} v{plain(result.pack.version)}, "
            f"universe {plain(screened.universe_label)}"
            + ("" if screened.as_of is None else f" as known on {screened.as_of}")
            + (" with market data" if screened.priced else "") + ".",
            # Only the built-in data's figures are thesis-lib's estimates.
            *([screened.universe.disclaimer] if screened.universe.disclaimer else [])]


def _csv(screened: Screened, tickers: Sequence[str]) -> str:
    result = screened.result
    frame, scores, contributions = result.frame, result.scores, result.contributions
    market = [c for c in (*MARKET_COLUMNS, *MARKET_TEXT_COLUMNS) if c in frame.columns]
    rules = [str(r) for r in contributions.columns]
    layer_ids = [str(c)[len(EXPOSURE_PREFIX):] for c in frame.columns
                 if str(c).startswith(EXPOSURE_PREFIX) and str(c) != "exposure_total"]
    columns = ["rank", "ticker", "name", "primary_layer", "score", "passed", "excluded_by",
               *[f"exposure_{layer}" for layer in layer_ids], *market,
               *[f"contribution_{r}" for r in rules]]
    rows = []
    for ticker in tickers:
        s = scores.loc[ticker]
        rows.append([
            None if pd.isna(s["rank"]) else int(s["rank"]), ticker,
            frame.at[ticker, "name"] if "name" in frame.columns else None,
            frame.at[ticker, "primary_layer"] if "primary_layer" in frame.columns else None,
            _num(s["score"]), bool(s["passed"]),
            None if pd.isna(s["excluded_by"]) else str(s["excluded_by"]).replace(", ", ";"),
            *[frame.at[ticker, f"exposure_{layer}"] for layer in layer_ids],
            *[frame.at[ticker, c] for c in market],
            *[_num(contributions.at[ticker, r]) for r in rules],
        ])
    return to_csv(columns, rows)


def explanation_rows(explanation: Any) -> list[dict[str, Any]]:
    """One dict per rule of an :class:`~thesis_lib.Explanation`."""
    return [
        {"rule": r.rule, "kind": r.kind, "value": r.value, "weight": r.weight,
         "contribution": r.contribution, "status": r.status, "why": r.why}
        for r in explanation.table.itertuples(index=False)
    ]


def _json(screened: Screened, tickers: Sequence[str], *, explain: bool) -> str:
    result = screened.result
    frame, scores, contributions = result.frame, result.scores, result.contributions
    market = [c for c in (*MARKET_COLUMNS, *MARKET_TEXT_COLUMNS) if c in frame.columns]
    companies = []
    for ticker in tickers:
        s = scores.loc[ticker]
        item: dict[str, Any] = {
            "rank": None if pd.isna(s["rank"]) else int(s["rank"]),
            "ticker": ticker,
            "name": frame.at[ticker, "name"] if "name" in frame.columns else None,
            "primary_layer": (frame.at[ticker, "primary_layer"]
                              if "primary_layer" in frame.columns else None),
            "exposures": exposures(frame, ticker),
            "score": _num(s["score"]),
            "passed": bool(s["passed"]),
            "excluded_by": [] if pd.isna(s["excluded_by"])
            else str(s["excluded_by"]).split(", "),
            "contributions": {str(r): _num(v)
                              for r, v in contributions.loc[ticker].items()},
        }
        if market:
            item["market"] = {c: frame.at[ticker, c] for c in market}
        if explain:
            item["explanation"] = explanation_rows(result.explain(ticker))
        companies.append(item)
    document = {
        "pack": {"id": result.pack.id, "version": result.pack.version},
        "universe": screened.universe_label,
        "companies_total": len(frame),
        "ranked": int((~result.excluded_mask).sum()),
        "rules": [{"id": r.id, "kind": r.kind, "weight": r.weight, "why": r.why}
                  for r in result.pack.rules],
        "companies": companies,
    }
    if screened.as_of is not None:
        document["as_of"] = screened.as_of.isoformat()
    return to_json(document)


def _markdown(screened: Screened, tickers: Sequence[str], *, explain: bool) -> str:
    result = screened.result
    scores, contributions, frame = result.scores, result.contributions, result.frame
    rows = []
    for ticker in tickers:
        s = scores.loc[ticker]
        rules = (top_rules(contributions.loc[ticker], 200) if s["passed"]
                 else f"excluded by {s['excluded_by']}")
        rows.append([_rank(s["rank"]), f"`{plain(ticker)}`", frame.at[ticker, "name"],
                     ", ".join(exposures(frame, ticker)) or "-", f"{s['score']:+.2f}", rules])
    parts = [*(f"{line}\n" for line in as_of_header(screened)),
             markdown_table(["#", "ticker", "name", "layers", "score", "top rules"], rows,
                            align="rlllrl"),
             "", " ".join(_footer(screened, len(tickers)))]
    if explain:
        for ticker in tickers:
            parts += ["", "```", render_explanation(result, ticker), "```"]
    return "\n".join(parts) + "\n"


def screen_command(args: argparse.Namespace) -> Output:
    fmt = args.format
    if args.basket and fmt == "csv":
        raise CliError("--basket is not available as csv",
                       hint="use --format text, markdown or json")
    screened = run_screen(args)
    tickers = _shown(screened.result, args.top)
    basket = _basket(screened.result) if args.basket else None
    if fmt == "text":
        parts = [*as_of_header(screened), screen_table(screened.result, tickers), "",
                 *_footer(screened, len(tickers))]
        if basket is not None:
            parts += ["", str(basket)]
        if args.explain:
            for ticker in tickers:
                parts += ["", render_explanation(screened.result, ticker)]
        if getattr(args, "status", False):
            parts += ["", "Market data status:", status_text(screened).rstrip("\n")]
        text = "\n".join(parts) + "\n"
    elif fmt == "markdown":
        text = _markdown(screened, tickers, explain=args.explain)
        if basket is not None:
            text += "\n```\n" + str(basket) + "\n```\n"
        if getattr(args, "status", False):
            text += "\nMarket data status:\n\n```\n" + status_text(screened) + "```\n"
    elif fmt == "json":
        text = _json(screened, tickers, explain=args.explain)
        if basket is not None:
            doc = json.loads(text)
            members = basket.members.reset_index()
            doc["basket"] = {
                "rules": basket.rules.describe(),
                "members": [{"ticker": str(r["ticker"]), "weight": float(r["weight"])}
                            for r in members.to_dict("records")],
                "checks": {str(k): str(v) for k, v in basket.checks["detail"].items()},
            }
            text = to_json(doc)
        if getattr(args, "status", False):
            doc = json.loads(text)
            doc["market_status"] = status_rows(screened)
            text = to_json(doc)
    else:
        if args.explain:
            note("--explain adds nothing to csv: every rule's contribution is a column")
        text = _csv(screened, tickers)
        if getattr(args, "status", False):  # stdout stays one CSV table
            sys.stderr.write("market data status:\n" + status_text(screened))
    if args.output:
        target = write_output(text, args.output, force=args.force)
        note(f"wrote {len(tickers)} companies ({fmt}) to {target}")
        return Output("")
    return Output(text)


def _basket(result: Any) -> Any:
    """The pack's own ``[basket]`` (the default thematic-index rules without one)."""
    from thesis_lib.basket import BasketRules, build_basket

    rules = result.pack.basket_rules or BasketRules()
    return build_basket(result, rules)


# -- explain ------------------------------------------------------------------------------
def resolve_ticker(result: Any, ticker: str) -> str:
    """``ticker`` as the screen spells it (case-insensitive), or an error with close matches."""
    index = [str(t) for t in result.frame.index]
    if ticker in index:
        return ticker
    folded = {t.casefold(): t for t in index}
    if ticker.casefold() in folded:
        return folded[ticker.casefold()]
    names = ({str(t): str(n) for t, n in result.frame["name"].items()}
             if "name" in result.frame.columns else {})
    by_name = {n.casefold(): t for t, n in names.items()}
    hits = [t for t, n in names.items() if len(ticker) >= 3 and ticker.casefold() in n.casefold()]
    hits += [by_name[n] for n in close_matches(ticker.casefold(), list(by_name))]
    hits += close_matches(ticker, index)
    hits = list(dict.fromkeys(hits))[:4]
    if hits:
        hint = "did you mean " + " or ".join(
            f"{t!r} ({names[t]})" if t in names else repr(t) for t in hits) + "?"
    else:
        hint = "`thesis screen` lists every ticker"
    raise CliError(f"unknown ticker {ticker!r}", hint=hint)


def render_explanation(result: Any, ticker: str) -> str:
    """One company's score, reason by reason (the same text as ``str(explanation)``)."""
    return explanation_text(result.explain(ticker), result)


def explain_command(args: argparse.Namespace) -> Output:
    screened = run_screen(args)
    result = screened.result
    ticker = resolve_ticker(result, args.ticker)
    status = getattr(args, "status", False)
    e = result.explain(ticker)

    def document() -> dict[str, Any]:
        excluded = result.excluded
        gates = [
            {"rule": str(r.rule), "reason": str(r.reason), "why": str(r.why)}
            for r in excluded[excluded["ticker"] == ticker].itertuples(index=False)
        ]
        return {
            "ticker": e.ticker, "name": e.name, "score": e.score, "rank": e.rank,
            "ranked": e.of, "passed": e.passed, "excluded_by": gates,
            "pack": {"id": result.pack.id, "version": result.pack.version},
            "rules": explanation_rows(e),
            "sources": [] if e.sources is None else
            [{k: str(v) for k, v in row.items()} for row in e.sources.to_dict("records")],
            **({"market_status": status_rows(screened)} if status else {}),
            **({} if screened.as_of is None else {"as_of": screened.as_of.isoformat()}),
        }

    def table() -> Table:
        if status:  # stdout stays one CSV table
            sys.stderr.write("market data status:\n" + status_text(screened))
        rows = [{"ticker": e.ticker, **row} for row in explanation_rows(e)]
        return Table.from_records(rows, ["ticker", "rule", "kind", "value", "weight",
                                         "contribution", "status", "why"])

    def text() -> str:
        out = "".join(f"{line}\n" for line in as_of_header(screened))
        out += render_explanation(result, ticker) + "\n"
        if status:
            out += "\nMarket data status:\n" + status_text(screened)
        return out

    return Output(render(args.format, text=text, json=document, csv=table))
