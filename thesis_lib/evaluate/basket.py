"""How a thesis basket did since a date, against the priced layer and the whole universe."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, overload, runtime_checkable

import numpy as np
import pandas as pd
from scipy import stats

from thesis_lib._suggest import did_you_mean
from thesis_lib.errors import MissingFxError
from thesis_lib.evaluate._common import EvaluationError, as_timestamp
from thesis_lib.evaluate.currency import (
    Conversion,
    Currencies,
    Currency,
    FxSource,
    check_currency,
    conversion,
)
from thesis_lib.evaluate.prices import (
    DEFAULT_MAX_FILL,
    Aligned,
    align,
    check_max_fill,
    price_table,
)
from thesis_lib.evaluate.results import BasketPerformance, PriceAlignment, RebalancedPerformance
from thesis_lib.rules.panel import PanelResult
from thesis_lib.rules.screen import ScreenResult

Weighting = Literal["equal", "score"]

TEST = ("one-sample t-test of the daily excess returns (basket minus comparison) against 0, "
        "two-sided, sessions taken as independent")


@runtime_checkable
class HasWeights(Protocol):
    """Anything with a ``weights`` Series (ticker -> weight), such as a basket object."""

    @property
    def weights(self) -> pd.Series: ...


@overload
def basket_performance(
    basket: PanelResult,
    prices: pd.DataFrame,
    *,
    since: dt.date | str | pd.Timestamp,
    until: dt.date | str | pd.Timestamp | None = None,
    benchmark: str | Sequence[str] = "NVDA",
    top: int | None = None,
    weighting: Weighting = "equal",
    universe: Sequence[str] | None = None,
    max_fill: int = DEFAULT_MAX_FILL,
    unpriced: Literal["skip", "error"] = "skip",
    periods_per_year: int = 252,
    currency: Currency = "USD",
    currencies: Currencies | None = None,
    fx: FxSource | None = None,
) -> RebalancedPerformance: ...


@overload
def basket_performance(
    basket: ScreenResult | pd.Series | HasWeights,
    prices: pd.DataFrame,
    *,
    since: dt.date | str | pd.Timestamp,
    until: dt.date | str | pd.Timestamp | None = None,
    benchmark: str | Sequence[str] = "NVDA",
    top: int | None = None,
    weighting: Weighting = "equal",
    universe: Sequence[str] | None = None,
    max_fill: int = DEFAULT_MAX_FILL,
    unpriced: Literal["skip", "error"] = "skip",
    periods_per_year: int = 252,
    currency: Currency = "USD",
    currencies: Currencies | None = None,
    fx: FxSource | None = None,
) -> BasketPerformance: ...


def basket_performance(
    basket: ScreenResult | PanelResult | pd.Series | HasWeights,
    prices: pd.DataFrame,
    *,
    since: dt.date | str | pd.Timestamp,
    until: dt.date | str | pd.Timestamp | None = None,
    benchmark: str | Sequence[str] = "NVDA",
    top: int | None = None,
    weighting: Weighting = "equal",
    universe: Sequence[str] | None = None,
    max_fill: int = DEFAULT_MAX_FILL,
    unpriced: Literal["skip", "error"] = "skip",
    periods_per_year: int = 252,
    currency: Currency = "USD",
    currencies: Currencies | None = None,
    fx: FxSource | None = None,
) -> BasketPerformance | RebalancedPerformance:
    """Performance of a basket since ``since`` against a benchmark and an equal-weight universe.

    ``basket`` is a :class:`~thesis_lib.ScreenResult` (its ``top`` ranked companies, 10 by
    default, weighted ``equal`` or by ``score``; a score of 0 or less gets no weight) or
    weights: a Series ticker -> weight (non-negative, normalised to sum to 1) or an
    object with such a ``.weights`` Series, such as a :class:`thesis_lib.basket.Basket`.
    The summary calls given weights ``given``, and a basket's by its weighting method
    (``score-weighted basket``). ``prices`` is a price table (see
    :mod:`thesis_lib.evaluate.prices`). ``benchmark`` is a ticker (the priced layer,
    ``"NVDA"`` by default) or several, held in equal weights. ``universe`` lists the names
    of the equal-weight comparison; by default a result's ranked companies, or for weights
    every priced column except currency pairs (names ending in ``=X``).

    Everything is bought at the close of the first session on or after ``since`` and held
    (no rebalancing, no costs). Returns are in US dollars by default: each aligned close
    is converted at its date's dollar rate (``KRW=X``-style columns of the prices, or
    ``fx=``: FX closes or a market-data provider), each listing's currency taken from
    ``currencies=``, a ``currency`` column of tidy prices, the result's companies, or
    the ticker's exchange suffix (:mod:`thesis_lib.evaluate.currency`).
    ``currency="local"`` holds each listing in its own currency. A basket or universe
    name without a dollar rate is treated as unpriced (passed over and listed in
    ``skipped`` with the reason, or :class:`~thesis_lib.errors.MissingFxError` with
    ``unpriced="error"``); a benchmark without one raises ``MissingFxError``. The result
    names the currency (:attr:`BasketPerformance.currency`, the report's first line and
    the summary's ``currency`` column). Calendars are aligned on
    the union of the sessions of the names involved; holes of at most ``max_fill``
    sessions are filled from the last close, longer ones never. A session on which a
    basket or benchmark name still has no price is dropped; a universe name with such a
    hole leaves the universe. Ranked names without prices are passed over (``unpriced=
    "skip"``, listed in ``skipped``) or raise (``"error"``). Every fill and drop is
    reported in :attr:`BasketPerformance.alignment`.

    Significance: a one-sample t-test of the daily excess returns against zero.

    A :class:`~thesis_lib.rules.panel.PanelResult` (scores that change over time) gives a
    basket rebalanced at each panel date, with no look-ahead: a
    :class:`RebalancedPerformance`. The first period holds the basket of the latest panel
    date on or before ``since`` (none is an :class:`EvaluationError`), bought at
    ``since``; each later panel date ``d`` before ``until`` starts a period that holds
    the top of ``basket.at(d)`` (the same ``top`` and ``weighting``), bought at the first
    close on or after ``d``, the previous basket sold at that same close. Panel dates
    past the last price are left out, and of panel dates before the same close the
    latest counts. Each period is run as above (its prices, FX, alignment and skipped
    names; the universe is that date's ranked names unless ``universe`` is given), and
    the periods' value paths are multiplied: each starts from the previous one's end.
    """
    opts = PerformanceOptions(until=until, benchmark=benchmark, top=top, weighting=weighting,
                              universe=universe, max_fill=max_fill, unpriced=unpriced,
                              periods_per_year=periods_per_year, currency=currency,
                              currencies=currencies, fx=fx)
    table = price_table(prices)
    start = as_timestamp(since, field="since")
    end = None if until is None else as_timestamp(until, field="until")
    if end is not None and end <= start:
        raise EvaluationError("'until' is not after 'since'", field="until")
    if isinstance(basket, PanelResult):
        from thesis_lib.evaluate.rebalance import rebalanced  # it runs this per period

        return rebalanced(basket, prices, start, end, opts)
    cands = _candidates(basket, table, opts)
    everyone = list(dict.fromkeys([*cands.names, *cands.bench, *cands.pool]))
    convert = conversion(prices, table, everyone, currency=opts.currency,
                         currencies=opts.currencies, fx=opts.fx, screen=cands.result)
    reason = _start_prices(table, cands, start, end, opts, convert)
    weights, skipped = _holdings(cands, reason, opts)
    listed_pool = cands.pool
    pool = [t for t in listed_pool if reason(t) is None]
    path = _aligned_path(table, weights, cands.bench, pool, start, end, opts, convert)
    return _report(basket, cands, weights, skipped, listed_pool, path, reason, start, opts,
                   convert)


@dataclass(frozen=True)
class PerformanceOptions:
    """The choices of :func:`basket_performance` besides the basket, prices and start,
    checked once (see its docstring for each)."""

    until: dt.date | str | pd.Timestamp | None = None
    benchmark: str | Sequence[str] = "NVDA"
    top: int | None = None
    weighting: Weighting = "equal"
    universe: Sequence[str] | None = None
    max_fill: int = DEFAULT_MAX_FILL
    unpriced: Literal["skip", "error"] = "skip"
    periods_per_year: int = 252
    currency: Currency = "USD"
    currencies: Currencies | None = None
    fx: FxSource | None = None

    def __post_init__(self) -> None:
        check_max_fill(self.max_fill)
        check_currency(self.currency)
        if self.weighting not in ("equal", "score"):
            raise EvaluationError(f"unknown weighting {self.weighting!r}", field="weighting",
                                  hint="use 'equal' or 'score'")
        if self.unpriced not in ("skip", "error"):
            raise EvaluationError(f"unknown unpriced policy {self.unpriced!r}",
                                  field="unpriced", hint="use 'skip' or 'error'")
        if not self.bench:
            raise EvaluationError("no benchmark ticker given", field="benchmark")

    @property
    def bench(self) -> list[str]:
        """The benchmark tickers, held in equal weights."""
        if isinstance(self.benchmark, str):
            return [self.benchmark]
        return [str(b) for b in self.benchmark]


@dataclass(frozen=True)
class _Candidates:
    """Step 1: who could be held (in order), the given weights, benchmark and universe."""

    result: ScreenResult | None
    ranked: pd.DataFrame | None
    names: list[str]
    wanted: dict[str, float]
    bench: list[str]
    pool: list[str]


@dataclass(frozen=True)
class _Path:
    """Step 4: the aligned closes of the names held, and what aligning them did."""

    closes: pd.DataFrame
    members: list[str]
    filled: pd.DataFrame
    dropped_dates: pd.DataFrame
    aligned: Aligned
    local: pd.DataFrame
    """The same closes in each listing's own currency."""


def _candidates(basket: ScreenResult | pd.Series | HasWeights, table: pd.DataFrame,
                opts: PerformanceOptions) -> _Candidates:
    result = basket if isinstance(basket, ScreenResult) else None
    ranked = None
    wanted: dict[str, float] = {}
    if result is not None:
        ranked = result.scores
        ranked = ranked[ranked["passed"]]
        names = [str(t) for t in ranked.index]
    else:
        if opts.top is not None or opts.weighting != "equal":
            raise EvaluationError(
                "'top' and 'weighting' apply to a ScreenResult, not to given weights",
                field="top" if opts.top is not None else "weighting",
                hint="pass the weights you want, or a ScreenResult")
        wanted = _weights_of(basket)
        names = list(wanted)
    if opts.universe is not None:
        pool = [str(t) for t in opts.universe]
    elif result is not None:
        pool = names
    else:
        pool = [str(c) for c in table.columns if not str(c).endswith("=X")]
    return _Candidates(result, ranked, names, wanted, opts.bench, pool)


def _start_prices(table: pd.DataFrame, cands: _Candidates, start: pd.Timestamp,
                  end: pd.Timestamp | None, opts: PerformanceOptions, convert: Conversion
                  ) -> Callable[[str], str | None]:
    """Step 2: which names have a price at the start at all, in the reporting currency
    (the benchmark must)."""
    everyone = list(dict.fromkeys([*cands.names, *cands.bench, *cands.pool]))
    priced = [t for t in everyone if t in table.columns]
    first = align(table, priced, start=start, end=end, max_fill=opts.max_fill).table
    if first.empty:
        raise EvaluationError(f"no prices on or after {start:%Y-%m-%d}", field="since",
                              hint="choose a since date inside the price history")
    at_start = first.iloc[0]
    usable = [t for t in first.columns if convert.problem(t) is None]
    in_usd = convert.apply(first[usable]).iloc[0]

    def reason(ticker: str) -> str | None:
        if ticker not in first.columns or not first[ticker].notna().any():
            return "no prices"
        if not np.isfinite(at_start[ticker]):
            return f"no close within {opts.max_fill} session(s) before the start"
        fx_problem = convert.problem(ticker)
        if fx_problem is not None:
            return f"no US-dollar price: {fx_problem}"
        if not np.isfinite(in_usd[ticker]):
            return (f"no US-dollar price: no {convert.listings.at[ticker, 'fx']} quote within "
                    "the FX look-back at the start")
        return None

    for ticker in cands.bench:
        if convert.problem(ticker) is not None:
            convert.require([ticker])
        why = reason(ticker)
        if why is not None and why.startswith("no US-dollar price"):
            raise MissingFxError(f"benchmark {ticker!r}: {why}", field="benchmark",
                                 hint="add its FX closes for the whole window, or pass "
                                      "currency='local'")
        if why is not None:
            raise EvaluationError(
                f"benchmark {ticker!r}: {why}", field="benchmark",
                hint=did_you_mean(ticker, [str(c) for c in table.columns], what="tickers")
                or "add the benchmark's closes to the price table")
    return reason


def _holdings(cands: _Candidates, reason: Callable[[str], str | None],
              opts: PerformanceOptions) -> tuple[pd.Series, pd.DataFrame]:
    """Step 3: the weights held, and the names passed over for lack of prices."""
    skipped_rows: list[dict[str, object]] = []
    if cands.result is not None and cands.ranked is not None:
        ranked = cands.ranked
        n = 10 if opts.top is None else opts.top
        if not isinstance(n, int) or n < 1:
            raise EvaluationError(f"top={opts.top!r} must be a whole number >= 1", field="top")
        chosen: list[str] = []
        for ticker in cands.names:
            if len(chosen) == n:
                break
            why = reason(ticker)
            if why is None:
                chosen.append(ticker)
            else:
                skipped_rows.append({"ticker": ticker, "rank": ranked.at[ticker, "rank"],
                                     "reason": why})
        scores = ranked.loc[chosen, "score"].to_numpy(dtype=float)
        if opts.weighting == "score":
            raw = np.clip(scores, 0.0, None)
            if raw.sum() <= 0:
                raise EvaluationError("no basket name has a positive score", field="weighting",
                                      hint="use weighting='equal'")
        else:
            raw = np.ones(len(chosen))
        weights = pd.Series(raw / raw.sum() if len(chosen) else raw, index=chosen)
    else:
        keep = {}
        for ticker, weight in cands.wanted.items():
            why = reason(ticker)
            if why is None:
                keep[ticker] = weight
            else:
                skipped_rows.append({"ticker": ticker, "rank": pd.NA, "reason": why})
        total = sum(keep.values())
        weights = pd.Series({t: w / total for t, w in keep.items()} if total > 0 else {},
                            dtype=float)
    skipped = pd.DataFrame(skipped_rows, columns=["ticker", "rank", "reason"]).set_index(
        "ticker")
    no_fx = [t for t in skipped.index
             if str(skipped.at[t, "reason"]).startswith("no US-dollar price")]
    if opts.unpriced == "error" and no_fx:
        raise MissingFxError(
            f"no US-dollar prices for {', '.join(no_fx[:5])}: "
            + "; ".join(str(skipped.at[t, "reason"]) for t in no_fx[:5]),
            field="prices", item=f"ticker {no_fx[0]!r}",
            hint="add the XXX=X closes or pass fx=, pass currency='local', or "
                 "unpriced='skip' to pass over them")
    if opts.unpriced == "error" and len(skipped):
        raise EvaluationError(
            f"no usable prices for {', '.join(skipped.index[:5])}", field="prices",
            hint="add their closes, or pass unpriced='skip' to pass over them")
    if not len(weights) or weights.sum() <= 0:
        raise EvaluationError("no basket name has prices at the start", field="prices",
                              hint="check the tickers and the since date")
    return weights, skipped


def _aligned_path(table: pd.DataFrame, weights: pd.Series, bench: list[str], pool: list[str],
                  start: pd.Timestamp, end: pd.Timestamp | None,
                  opts: PerformanceOptions, convert: Conversion) -> _Path:
    """Step 4: align only the names involved, convert them to the reporting currency,
    then drop what cannot be filled (a close without a dollar rate counts as missing)."""
    core = list(dict.fromkeys([*weights.index, *bench]))
    involved = list(dict.fromkeys([*core, *pool]))
    aligned = align(table, involved, start=start, end=end, max_fill=opts.max_fill)
    closes = convert.apply(aligned.table)
    gaps = closes[core].isna()
    drop_dates = gaps.any(axis=1)
    dropped_dates = pd.DataFrame({
        "date": closes.index[drop_dates],
        "tickers": [", ".join(gaps.columns[row]) for row in gaps[drop_dates].to_numpy()],
    })
    closes = closes[~drop_dates]
    local = aligned.table.loc[closes.index]
    if closes.empty:
        raise EvaluationError("no session left after aligning the calendars", field="prices",
                              hint=f"raise max_fill (now {opts.max_fill}) or check the prices")
    holes = closes[pool].isna().any(axis=0)
    members = [t for t in pool if not holes[t]]
    filled = aligned.filled[aligned.filled["date"].isin(closes.index) &
                            aligned.filled["ticker"].isin([*core, *members])]
    return _Path(closes, members, filled.reset_index(drop=True), dropped_dates, aligned,
                 local)


def _report(basket: object, cands: _Candidates, weights: pd.Series, skipped: pd.DataFrame,
            listed_pool: list[str], path: _Path, reason: Callable[[str], str | None],
            start: pd.Timestamp, opts: PerformanceOptions, convert: Conversion
            ) -> BasketPerformance:
    """Step 5: the value paths, the summary with its tests, holdings and the alignment."""
    closes, members, bench = path.closes, path.members, cands.bench
    growth = closes / closes.iloc[0]
    values = pd.DataFrame({
        "basket": growth[list(weights.index)].to_numpy() @ weights.to_numpy(),
        "benchmark": growth[bench].mean(axis=1).to_numpy(),
        "universe": growth[members].mean(axis=1).to_numpy() if members else np.nan,
    }, index=closes.index)
    result, ranked = cands.result, cands.ranked
    if result is None:
        weighting_text = _given_weighting(basket)
        label = f"{len(weights)} names, " + (
            "given weights" if weighting_text == "given" else weighting_text)
    else:
        weighting_text = opts.weighting
        label = f"top {len(weights)} names, {opts.weighting} weights"
    labels = {"basket": label,
              "benchmark": bench[0] if len(bench) == 1 else "equal-weight " + ", ".join(bench),
              "universe": f"equal-weight universe ({len(members)} names)"}
    counts = {"basket": len(weights), "benchmark": len(bench), "universe": len(members)}
    summary = _summary(values, labels, counts, opts.periods_per_year)
    summary["currency"] = pd.array([convert.currency] * len(summary), dtype="string")

    held = list(weights.index)
    holdings = pd.DataFrame(index=pd.Index(held, name="ticker"))
    if result is not None and "name" in result.frame.columns:
        holdings["name"] = [str(result.frame.at[t, "name"]) for t in held]
    if result is not None and ranked is not None:
        holdings["rank"] = ranked.loc[held, "rank"].to_numpy()
        holdings["score"] = ranked.loc[held, "score"].to_numpy()
    holdings["weight"] = weights.to_numpy()
    known = convert.listings["currency"]
    holdings["currency"] = pd.array([known.get(t, pd.NA) for t in held], dtype="string")
    local = path.local
    holdings["start_price"] = local[held].iloc[0].to_numpy()
    holdings["end_price"] = local[held].iloc[-1].to_numpy()
    holdings["local_return"] = holdings["end_price"] / holdings["start_price"] - 1.0
    holdings["return"] = (closes[held].iloc[-1] / closes[held].iloc[0]).to_numpy() - 1.0
    holdings["contribution"] = holdings["weight"] * holdings["return"]

    everyone = list(dict.fromkeys([*cands.names, *bench, *listed_pool]))
    alignment = PriceAlignment(
        max_fill=opts.max_fill,
        tickers=_ticker_report(everyone, held, bench, listed_pool, members, path.aligned,
                               path.filled, skipped, reason),
        filled=path.filled, dropped_dates=path.dropped_dates)
    return BasketPerformance(
        summary=summary, values=values, holdings=holdings, skipped=skipped,
        alignment=alignment, start=closes.index[0], end=closes.index[-1], since=start,
        benchmark=labels["benchmark"], weighting=weighting_text, test=TEST,
        universe=tuple(members), currency=convert.currency,
        returns_in=convert.describe([*held, *bench, *members]),
        currencies=convert.listings.loc[[t for t in everyone
                                         if t in convert.listings.index]].copy())


#: How the summary names a basket's weighting method (``BasketRules.weighting``).
_BASKET_WEIGHTING = {
    "equal": "equal-weighted basket",
    "score": "score-weighted basket",
    "market_cap": "cap-weighted basket",
    "relevance_market_cap": "relevance x cap basket",
}


def _given_weighting(basket: object) -> str:
    """``given`` for plain weights; for a basket object whose ``rules.weighting`` says how
    it was weighted (a :class:`thesis_lib.basket.Basket`), that method, e.g.
    ``score-weighted basket``."""
    method = getattr(getattr(basket, "rules", None), "weighting", None)
    if isinstance(method, str) and method:
        return _BASKET_WEIGHTING.get(method, f"{method} basket")
    return "given"


def _weights_of(basket: object) -> dict[str, float]:
    weights = basket.weights if isinstance(basket, HasWeights) else basket
    if not isinstance(weights, pd.Series):
        raise EvaluationError(
            f"expected a ScreenResult, a Series of weights or an object with .weights, got "
            f"{type(basket).__name__}", field="basket")
    if not pd.api.types.is_numeric_dtype(weights) or pd.api.types.is_bool_dtype(weights):
        raise EvaluationError(f"weights have dtype {weights.dtype}, not numbers",
                              field="weights")
    if not weights.index.is_unique:
        raise EvaluationError("a ticker appears twice in the weights", field="weights")
    values = weights.to_numpy(dtype=float, na_value=np.nan)
    if not np.isfinite(values).all() or (values < 0).any():
        raise EvaluationError("weights must be finite and not negative", field="weights",
                              hint="long-only baskets: give each name a weight >= 0")
    if values.sum() <= 0:
        raise EvaluationError("the weights add up to 0", field="weights")
    return {str(t): float(w) for t, w in zip(weights.index, values, strict=True) if w > 0}


def _summary(values: pd.DataFrame, labels: dict[str, str], counts: dict[str, int],
             periods_per_year: int) -> pd.DataFrame:
    daily = values.pct_change().iloc[1:]
    rows = []
    for key in ("basket", "benchmark", "universe"):
        v = values[key]
        r = daily[key].to_numpy()
        row: dict[str, object] = {
            "label": labels[key], "names": counts[key],
            "cumulative_return": float(v.iloc[-1] / v.iloc[0] - 1.0),
            "volatility": float(np.std(r, ddof=1) * np.sqrt(periods_per_year))
            if len(r) > 1 else np.nan,
            "max_drawdown": float((v / v.cummax() - 1.0).min()),
            "excess_return": np.nan, "hit_rate": np.nan, "t_stat": np.nan, "p_value": np.nan,
        }
        if key != "basket":
            excess = daily["basket"].to_numpy() - r
            differ = np.abs(excess) > 1e-14
            row["excess_return"] = float(values["basket"].iloc[-1] / values["basket"].iloc[0]
                                         - v.iloc[-1] / v.iloc[0])
            if differ.any():
                row["hit_rate"] = float((excess[differ] > 0).mean())
            if len(excess) > 1 and np.ptp(excess) > 1e-14:
                test = stats.ttest_1samp(excess, 0.0)
                row["t_stat"], row["p_value"] = float(test.statistic), float(test.pvalue)
        rows.append(row)
    summary = pd.DataFrame(rows, index=pd.Index(["basket", "benchmark", "universe"]))
    summary["label"] = summary["label"].astype("string")
    return summary


def _ticker_report(everyone: list[str], basket: list[str], bench: list[str], pool: list[str],
                   members: list[str], aligned: Aligned, filled: pd.DataFrame,
                   skipped: pd.DataFrame, reason: Callable[[str], str | None]) -> pd.DataFrame:
    """One row per ticker involved: its role, whether it was used, fills, and why not."""
    fills = filled["ticker"].value_counts()
    rows = []
    for ticker in everyone:
        roles = [name for name, group in (("basket", basket), ("benchmark", bench),
                                          ("universe", pool)) if ticker in group]
        if ticker in skipped.index:
            roles, status, why = ["basket"], "dropped", str(skipped.at[ticker, "reason"])
        elif not roles:
            continue
        elif roles == ["universe"] and ticker not in members:
            status = "dropped"
            why = reason(ticker) or "a hole longer than max_fill inside the window"
        else:
            status, why = "used", ""
        sessions = aligned.sessions.get(ticker, 0)
        rows.append({"ticker": ticker, "role": "+".join(roles), "status": status,
                     "sessions": int(sessions), "filled": int(fills.get(ticker, 0)),
                     "reason": why})
    out = pd.DataFrame(rows, columns=["ticker", "role", "status", "sessions", "filled",
                                      "reason"]).set_index("ticker")
    for column in ("role", "status", "reason"):
        out[column] = out[column].astype("string")
    return out
