"""A thesis basket rebalanced at each date of a panel of scores, with no look-ahead.

:func:`~thesis_lib.evaluate.basket_performance` given a
:class:`~thesis_lib.rules.panel.PanelResult` comes here: each period is an ordinary
single-basket run (its prices, FX conversion, calendar alignment and skipped names), and
the periods' value paths are chained.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from thesis_lib.evaluate._common import EvaluationError
from thesis_lib.evaluate.basket import TEST, PerformanceOptions, _summary, basket_performance
from thesis_lib.evaluate.prices import price_table
from thesis_lib.evaluate.results import BasketPerformance, RebalancedPerformance
from thesis_lib.rules.panel import PanelResult

KEYS = ("basket", "benchmark", "universe")


def rebalanced(panel: PanelResult, prices: pd.DataFrame, start: pd.Timestamp,
               end: pd.Timestamp | None, opts: PerformanceOptions) -> RebalancedPerformance:
    """The rebalanced basket of :func:`~thesis_lib.evaluate.basket_performance` for a
    panel (``start``/``end``: ``since``/``until`` as checked timestamps)."""
    schedule = _schedule(panel, price_table(prices), start, end)
    # Last period first: each period is held to the session the next one starts on (its
    # first session on or after its panel date), so no session between them is lost.
    runs: list[BasketPerformance] = []
    stop = end
    for k in range(len(schedule) - 1, -1, -1):
        day, buy = schedule[k]
        try:
            run = basket_performance(
                panel.at(day), prices, since=buy, until=stop, benchmark=opts.benchmark,
                top=opts.top, weighting=opts.weighting, universe=opts.universe,
                max_fill=opts.max_fill, unpriced=opts.unpriced,
                periods_per_year=opts.periods_per_year, currency=opts.currency,
                currencies=opts.currencies, fx=opts.fx)
        except EvaluationError as error:
            where = f"period {k + 1}: the basket of panel date {day:%Y-%m-%d}"
            raise type(error)([replace(p, item=f"{p.item}, {where}" if p.item else where)
                               for p in error.problems]) from None
        runs.insert(0, run)
        stop = run.start
    return _chain(schedule, runs, start, opts)


def _schedule(panel: PanelResult, table: pd.DataFrame, start: pd.Timestamp,
              end: pd.Timestamp | None) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(panel date, buy date) of each period: the first buys at ``start`` with the latest
    panel date on or before it; each later panel date before ``end`` buys at the first
    session on or after it. Panel dates with no session on or after them (past the
    prices) are left out, and of panel dates that buy at the same session the latest
    counts."""
    dates = panel.dates
    known = dates[dates <= start]
    if not len(known):
        first = f"{dates[0]:%Y-%m-%d}" if len(dates) else "none"
        raise EvaluationError(
            f"no panel date on or before since {start:%Y-%m-%d} (the panel's first date: "
            f"{first}); the first basket would use scores not yet known",
            field="since", item="PanelResult",
            hint="pass a since on or after the panel's first date, or add an earlier "
                 "date to the panel")
    priced = [c for c in table.columns if not str(c).endswith("=X")]
    sessions = table.index[table[priced].notna().any(axis=1)] if priced else table.index
    schedule = [(known[-1], start)]
    first_buy = sessions[sessions >= start]
    last_buy = first_buy[0] if len(first_buy) else start
    later = dates[dates > start] if end is None else dates[(dates > start) & (dates < end)]
    for day in later:
        after = sessions[sessions >= day]
        if not len(after) or (end is not None and after[0] >= end):
            continue
        if after[0] <= last_buy:  # bought at the same session: the newer scores count
            schedule[-1] = (day, schedule[-1][1])
        else:
            schedule.append((day, after[0]))
            last_buy = after[0]
    return schedule


def _chain(schedule: list[tuple[pd.Timestamp, pd.Timestamp]], runs: list[BasketPerformance],
           since: pd.Timestamp, opts: PerformanceOptions) -> RebalancedPerformance:
    """Multiply the periods' value paths, and gather their tables."""
    pieces: list[pd.DataFrame] = []
    level = np.ones(len(KEYS))
    last: pd.Timestamp | None = None
    for run in runs:
        values = run.values[list(KEYS)] * level
        if last is not None:
            values = values[values.index > last]
        pieces.append(values)
        level = level * run.values[list(KEYS)].iloc[-1].to_numpy(dtype=float)
        last = run.values.index[-1]
    values = pd.concat(pieces)

    period_rows: list[dict[str, object]] = []
    holding_parts: list[pd.DataFrame] = []
    skipped_rows: list[dict[str, object]] = []
    previous: pd.Series | None = None
    for k, ((day, _), run) in enumerate(zip(schedule, runs, strict=True), start=1):
        weights = run.holdings["weight"]
        growth = run.values[list(KEYS)].iloc[-1]
        turnover = np.nan
        if previous is not None:
            both = previous.index.union(weights.index)
            turnover = 0.5 * float(np.abs(weights.reindex(both, fill_value=0.0)
                                          - previous.reindex(both, fill_value=0.0)).sum())
        previous = weights
        period_rows.append({
            "panel_date": day, "start": run.start, "end": run.end, "sessions": run.n_sessions,
            "names": len(weights), "tickers": ", ".join(str(t) for t in weights.index),
            "basket_return": float(growth["basket"]) - 1.0,
            "benchmark_return": float(growth["benchmark"]) - 1.0,
            "universe_return": float(growth["universe"]) - 1.0, "turnover": turnover})
        held = run.holdings.reset_index()
        held.insert(0, "period", k)
        held.insert(1, "panel_date", day)
        held.insert(2, "start", run.start)
        holding_parts.append(held)
        for ticker, row in run.skipped.iterrows():
            skipped_rows.append({"period": k, "panel_date": day, "ticker": str(ticker),
                                 "rank": row["rank"], "reason": str(row["reason"])})
    periods = pd.DataFrame(period_rows, index=pd.RangeIndex(1, len(runs) + 1, name="period"))
    periods["tickers"] = periods["tickers"].astype("string")
    holdings = pd.concat(holding_parts, ignore_index=True)
    skipped = pd.DataFrame(skipped_rows,
                           columns=["period", "panel_date", "ticker", "rank", "reason"])
    for column in ("ticker", "reason"):
        skipped[column] = skipped[column].astype("string")

    top = 10 if opts.top is None else opts.top
    held_ever = list(dict.fromkeys(str(t) for t in holdings["ticker"]))
    members = list(dict.fromkeys(t for run in runs for t in run.universe))
    sizes = [len(run.universe) for run in runs]
    size = f"{min(sizes)}" if min(sizes) == max(sizes) else f"{min(sizes)}-{max(sizes)}"
    bench = opts.bench
    labels = {"basket": f"rebalanced top {top}, {opts.weighting} weights",
              "benchmark": runs[0].benchmark,
              "universe": f"equal-weight universe ({size} names)"}
    counts = {"basket": len(held_ever), "benchmark": len(bench), "universe": len(members)}
    summary = _summary(values, labels, counts, opts.periods_per_year)
    sessions = len(values) - 1
    total = summary["cumulative_return"].astype(float)
    annual = ((1.0 + total) ** (opts.periods_per_year / sessions) - 1.0 if sessions > 0
              else total * np.nan)
    summary.insert(summary.columns.get_loc("cumulative_return") + 1, "annualised_return",
                   annual)
    currency = runs[0].currency
    summary["currency"] = pd.array([currency] * len(summary), dtype="string")
    return RebalancedPerformance(
        summary=summary, values=values, periods=periods, holdings=holdings, skipped=skipped,
        start=values.index[0], end=values.index[-1], since=since,
        benchmark=runs[0].benchmark, weighting=opts.weighting, top=top, test=TEST,
        currency=currency, returns_in=_returns_in(runs), period_results=tuple(runs))


def _returns_in(runs: list[BasketPerformance]) -> str:
    """The report's currency phrase, naming every FX series any period used."""
    if runs[0].currency == "local":
        return runs[0].returns_in
    used: set[str] = set()
    for run in runs:
        found = re.search(r"\(FX: (.*)\)", run.returns_in)
        if found:
            used.update(found.group(1).split(", "))
    return "US-dollar returns" + (f" (FX: {', '.join(sorted(used))})" if used else "")
