"""The typed results of the evaluation functions.

Each has ``.to_frame()`` (its main table), ``.to_text()`` (a short plain-text report, also
``str(result)``) and ``_repr_html_`` for notebooks. None of them prints anything or draws
a figure; :mod:`thesis_lib.plots` draws them on request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from thesis_lib._html import format_value, lines_html, one_style, table_html
from thesis_lib._text import plain_lines
from thesis_lib.evaluate._common import ConfidenceInterval


def _fmt(value: float, spec: str = "+.4f") -> str:
    return "n/a" if not np.isfinite(value) else format(value, spec)


def _share(value: float) -> str:
    """A share as a whole percentage, never rounding a non-zero share to 0% or 100%."""
    if 0 < value < 0.01:
        return "<1%"
    if 0.99 < value < 1:
        return ">99%"
    return f"{value:.0%}"



def currency_text(currency: str | None) -> str:
    """``"; returns in US dollars"`` / ``"; returns in local currency"``, or nothing."""
    if currency is None:
        return ""
    return "; returns in US dollars" if currency == "USD" else "; returns in local currency"

@dataclass(frozen=True)
class ICResult:
    """Rank information coefficient: Spearman correlation of scores with forward returns.

    - :attr:`by_date`: one row per date: ``ic``, ``p_value`` (scipy's Spearman test),
      ``n`` (names with both a score and a return that date) and ``note`` (why a date has
      no IC: too few names, or scores or returns all equal);
    - :attr:`mean_ic` over dates with an IC, :attr:`t_stat` and :attr:`p_value` for "mean
      IC is zero" (:attr:`test`: a one-sample t-test over dates; a HAC t-test when the
      dates' windows overlap; with one date, Spearman's own test);
    - :attr:`ci`: confidence interval of the mean IC, its procedure in ``ci.method``
      (bootstrap over dates, a HAC interval when windows overlap, or with one date a
      bootstrap over names in pairs);
    - the summary (:meth:`summary`): :attr:`std_ic` (over dates), :attr:`ir` (mean / std),
      :attr:`hit_rate` (share of dates with IC > 0), :attr:`t_nonoverlap` (one-sample t
      on the :attr:`n_nonoverlap` dates whose windows do not overlap: every
      ``ceil(horizon / step)``-th from the first), :attr:`n_dates`;
    - :attr:`horizon`/:attr:`step`: the returns' window and spacing in sessions (None when
      unknown).
    """

    by_date: pd.DataFrame
    mean_ic: float
    t_stat: float
    p_value: float
    ci: ConfidenceInterval
    n_dates: int
    test: str
    std_ic: float = np.nan
    hit_rate: float = np.nan
    t_nonoverlap: float = np.nan
    n_nonoverlap: int = 0
    horizon: int | None = None
    step: int | None = None
    currency: str | None = None
    """``"USD"`` or ``"local"`` when the forward returns say (as :func:`forward_returns`'
    frames do), else None."""

    @property
    def n_names(self) -> int:
        """The largest number of names any single date used."""
        return int(self.by_date["n"].max()) if len(self.by_date) else 0

    @property
    def ir(self) -> float:
        """Information ratio of the IC: mean / standard deviation over dates (NaN with one
        date or no spread)."""
        if not np.isfinite(self.std_ic) or self.std_ic == 0:
            return np.nan
        return float(self.mean_ic / self.std_ic)

    @property
    def overlapping(self) -> bool:
        """Whether consecutive dates' return windows overlap (``step < horizon``)."""
        return self.horizon is not None and self.step is not None and self.step < self.horizon

    def summary(self) -> pd.Series:
        """``mean``, ``std``, ``ir``, ``t_nonoverlap``, ``n_nonoverlap``, ``hit_rate``,
        ``n_dates`` as one Series."""
        return pd.Series({
            "mean": self.mean_ic, "std": self.std_ic, "ir": self.ir,
            "t_nonoverlap": self.t_nonoverlap, "n_nonoverlap": float(self.n_nonoverlap),
            "hit_rate": self.hit_rate, "n_dates": float(self.n_dates)}, name="ic")

    def to_frame(self) -> pd.DataFrame:
        """The per-date table (``ic``, ``p_value``, ``n``, ``note``)."""
        return self.by_date.copy()

    def _windows(self) -> str:
        if self.horizon is None:
            return ""
        kind = "overlapping" if self.overlapping else "non-overlapping"
        every = "session" if self.step in (None, 1) else f"{self.step} sessions"
        return f"; {self.horizon}-session returns every {every}, {kind}"

    def to_text(self) -> str:
        n = self.by_date["n"]
        names = f"{int(n.min())}-{int(n.max())}" if n.min() != n.max() else f"{int(n.max())}"
        return "\n".join([
            f"rank IC {_fmt(self.mean_ic)} over {self.n_dates} date(s), {names} names each"
            f"{self._windows()}{currency_text(self.currency)}",
            f"  {self.ci} ({self.ci.method})",
            f"  t = {_fmt(self.t_stat, '.2f')}, p = {_fmt(self.p_value, '.4f')} ({self.test})",
            f"  IC mean {_fmt(self.mean_ic)}, std {_fmt(self.std_ic, '.4f')}, "
            f"IR {_fmt(self.ir, '+.2f')}, hit rate {_fmt(self.hit_rate, '.0%')}, "
            f"t on {self.n_nonoverlap} non-overlapping date(s) "
            f"{_fmt(self.t_nonoverlap, '.2f')}, {self.n_dates} date(s)",
        ])

    __str__ = to_text

    def __repr__(self) -> str:
        return f"<ICResult mean_ic={self.mean_ic:.4f} dates={self.n_dates}>"

    def _repr_html_(self) -> str:
        stats = self.summary()
        specs = {"mean": "+.4f", "std": ".4f", "ir": "+.2f", "t_nonoverlap": "+.2f",
                 "n_nonoverlap": ".0f", "hit_rate": ".0%", "n_dates": ".0f"}
        summary = pd.DataFrame(
            {"value": [format_value(stats[k], specs.get(str(k)), digits=4)
                       for k in stats.index]},
            index=pd.Index([str(k) for k in stats.index], name="statistic"))
        by_date = self.by_date.copy()
        # one cross-section (returns over one period) has no date
        by_date.index = pd.Index(
            ["one period" if d is None or d is pd.NaT else
             (f"{d:%Y-%m-%d}" if hasattr(d, "strftime") else str(d)) for d in by_date.index],
            name=by_date.index.name or "date")
        return one_style(lines_html(self.to_text().splitlines()),
                         table_html(summary, caption="IC summary", max_rows=len(summary),
                                    right=["value"]),
                         table_html(by_date, bars=["ic"], signed=["ic"], digits=4,
                                    formats={"n": ".0f"}))


@dataclass(frozen=True)
class QuantileResult:
    """Mean forward return per score quantile, and the top-minus-bottom spread.

    - :attr:`table`: one row per quantile (1 = lowest scores, ``q`` = highest):
      ``mean_return`` (mean over dates of the quantile's mean return), ``stderr`` (a HAC
      one when the dates' windows overlap),
      ``n`` (name-dates used), ``mean_score``;
    - :attr:`spread`: mean of top minus bottom; :attr:`ci` its bootstrap interval;
      :attr:`t_stat`/:attr:`p_value` the stated :attr:`test`;
    - :attr:`by_date`: each date's quantile means, ``spread``, ``n`` (names in a quantile)
      and ``note``: why a date has no spread (fewer than ``2 * q`` names, or scores all
      equal), or what its quantiles lack (inner quantiles a tied group spans, names on
      the middle boundary); ``""`` when there is nothing to say. The tie rule is
      documented on :func:`~thesis_lib.evaluate.quantile_returns`.
    """

    table: pd.DataFrame
    spread: float
    ci: ConfidenceInterval
    t_stat: float
    p_value: float
    q: int
    n_dates: int
    test: str
    by_date: pd.DataFrame
    currency: str | None = None
    """``"USD"`` or ``"local"`` when the forward returns say, else None."""

    def to_frame(self) -> pd.DataFrame:
        """The per-quantile table."""
        return self.table.copy()

    def to_text(self) -> str:
        lines = [f"{self.q} score quantiles over {self.n_dates} date(s); 1 = lowest scores"
                 f"{currency_text(self.currency)}"]
        for quantile, row in self.table.iterrows():
            lines.append(f"  Q{quantile}: mean return {_fmt(row['mean_return'], '+.2%')} "
                         f"(n={int(row['n'])})")
        lines.append(f"  top - bottom {_fmt(self.spread, '+.2%')}, {self.ci.text('+.2%')} "
                     f"({self.ci.method})")
        lines.append(f"  t = {_fmt(self.t_stat, '.2f')}, p = {_fmt(self.p_value, '.4f')} "
                     f"({self.test})")
        if "note" in self.by_date:
            notes = self.by_date["note"]
            for note, count in notes[notes != ""].value_counts(sort=False).items():
                lines.append(f"  {count} date(s): {note}")
        return plain_lines("\n".join(lines))

    __str__ = to_text

    def __repr__(self) -> str:
        return f"<QuantileResult q={self.q} spread={self.spread:.4f} dates={self.n_dates}>"

    def _repr_html_(self) -> str:
        return lines_html(self.to_text().splitlines()[-2:]) + table_html(
            self.table, bars=["mean_return"], percent=["mean_return", "stderr"],
            signed=["mean_return"], formats={"mean_score": ".2f", "n": ".0f"}, digits=4)


@dataclass(frozen=True)
class TurnoverResult:
    """How fast the ranking changes: quantile turnover and rank autocorrelation by lag.

    - :attr:`table` (also :meth:`to_frame`): one row per lag (``period``, in dates):
      ``top_turnover``/``bottom_turnover`` (mean share of the top/bottom quantile's names
      that are new against ``period`` dates earlier), ``autocorrelation`` (mean Spearman
      rank autocorrelation of the scores at that lag), ``n_dates`` (dates with one);
    - :attr:`top`, :attr:`bottom`, :attr:`autocorrelation`: the same per date, date x
      period (NaN for the first ``period`` dates and where it is undefined).
    """

    table: pd.DataFrame
    top: pd.DataFrame
    bottom: pd.DataFrame
    autocorrelation: pd.DataFrame
    quantiles: int
    n_dates: int

    def to_frame(self) -> pd.DataFrame:
        """The per-lag table."""
        return self.table.copy()

    def to_text(self) -> str:
        lines = [f"factor turnover: {self.quantiles} score quantiles over {self.n_dates} "
                 "date(s); lags in dates"]
        width = len(str(max(self.table.index, default=0)))
        for period, row in self.table.iterrows():
            lines.append(
                f"  lag {period:>{width}}: top quantile {_fmt(row['top_turnover'], '.1%')} "
                f"new, bottom {_fmt(row['bottom_turnover'], '.1%')} new, rank "
                f"autocorrelation {_fmt(row['autocorrelation'], '+.3f')} "
                f"({int(row['n_dates'])} date(s))")
        return plain_lines("\n".join(lines))

    __str__ = to_text

    def __repr__(self) -> str:
        first = self.table.iloc[0]
        return (f"<TurnoverResult quantiles={self.quantiles} lag={self.table.index[0]} "
                f"top_turnover={first['top_turnover']:.3f} "
                f"autocorrelation={first['autocorrelation']:.3f}>")

    def _repr_html_(self) -> str:
        return lines_html(self.to_text().splitlines()[:1]) + table_html(
            self.table, bars=["autocorrelation"], heat=["top_turnover", "bottom_turnover"],
            heat_range=(0.0, 1.0), percent=["top_turnover", "bottom_turnover"],
            signed=["autocorrelation"], formats={"n_dates": ".0f"}, digits=4)


@dataclass(frozen=True)
class PriceAlignment:
    """How prices on different trading calendars were put on one calendar.

    The calendar is the union of the sessions of the tickers involved. A gap of at most
    :attr:`max_fill` sessions in a ticker's closes is filled from its last close; a longer
    gap is not filled at all.

    - :attr:`tickers`: one row per ticker: ``status`` (``used`` or ``dropped``),
      ``sessions`` (own closes in the window), ``filled`` (cells filled), ``reason``;
    - :attr:`filled`: every filled cell: ``date``, ``ticker``, ``from_date`` (the close used);
    - :attr:`dropped_dates`: dates left out because a name still had no price, and which.
    """

    max_fill: int
    tickers: pd.DataFrame
    filled: pd.DataFrame
    dropped_dates: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.tickers.copy()

    def to_text(self) -> str:
        used = self.tickers[self.tickers["status"] == "used"]
        dropped = self.tickers[self.tickers["status"] != "used"]
        lines = [f"calendar alignment: forward-fill gaps of at most {self.max_fill} session(s)"
                 f"; {len(self.filled)} cell(s) filled, {len(self.dropped_dates)} date(s) "
                 f"dropped, {len(dropped)} ticker(s) left out"]
        for ticker, row in used[used["filled"] > 0].iterrows():
            lines.append(f"  {ticker}: {int(row['filled'])} filled")
        for ticker, row in dropped.iterrows():
            lines.append(f"  {ticker}: dropped ({row['reason']})")
        for row in self.dropped_dates.itertuples(index=False):
            lines.append(f"  {row.date:%Y-%m-%d}: dropped (no price for {row.tickers})")
        return plain_lines("\n".join(lines))

    __str__ = to_text

    def _repr_html_(self) -> str:
        return lines_html(self.to_text().splitlines()) + table_html(self.tickers)


def _summary_line(key: str, row: pd.Series, *, annualised: bool = False) -> str:
    """One line of a performance summary: the return (and its yearly rate), volatility and
    drawdown; for the benchmark and the universe also the excess and its test."""
    yearly = f" ({_fmt(row['annualised_return'], '+.1%')} a year)" if annualised else ""
    line = (f"  {key:<9} {row['label']:<32.32} {_fmt(row['cumulative_return'], '+8.2%')}"
            f"{yearly}  vol {_fmt(row['volatility'], '6.1%')}  max dd "
            f"{_fmt(row['max_drawdown'], '+7.2%')}")
    if key != "basket":
        line += (f"  excess {_fmt(row['excess_return'], '+.2%')}, hit "
                 f"{_fmt(row['hit_rate'], '.0%')}, t {_fmt(row['t_stat'], '+.2f')}, "
                 f"p {_fmt(row['p_value'], '.3f')}")
    return line


def _summary_html(summary: pd.DataFrame, returns: list[str]) -> str:
    """A performance summary as an HTML table: bars on the ``returns`` columns, which carry
    a sign; volatility, drawdown and hit rate are percentages without one."""
    return table_html(summary.drop(columns=["label"]), bars=returns,
                      percent=[*returns, "volatility", "max_drawdown", "hit_rate"],
                      signed=[*returns, "t_stat"],
                      formats={"t_stat": "+.2f", "p_value": ".3f", "names": ".0f"}, digits=4)


@dataclass(frozen=True)
class BasketPerformance:
    """A basket against the benchmark and an equal-weight universe since a date.

    Buy and hold from the close of :attr:`start` (the first session on or after
    ``since``), no costs, no rebalancing, in :attr:`currency`: ``"USD"`` (each close at
    its date's dollar rate) or ``"local"`` (each listing's own currency).

    - :attr:`summary` (also :meth:`to_frame`): rows ``basket``, ``benchmark``,
      ``universe``; columns ``label``, ``names``, ``cumulative_return``, ``volatility``
      (annualised), ``max_drawdown``, and for the comparisons ``excess_return`` (basket
      minus it), ``hit_rate`` (share of sessions the basket did better), ``t_stat``,
      ``p_value`` (:attr:`test`), ``currency`` (``USD`` or ``local``);
    - :attr:`values`: date x (basket, benchmark, universe), growth of 1 from the start;
    - :attr:`holdings`: each basket name's weight, ``currency``, start and end prices (in
      its own currency), ``local_return``, ``return`` (in :attr:`currency`) and
      contribution (contributions add up to the basket's cumulative return);
    - :attr:`currencies`: per ticker involved, its quote ``currency``, where that came
      from, the dollar series used (``fx``) and, if it could not be put in dollars, why;
    - :attr:`skipped`: ranked names passed over (no prices) and why;
    - :attr:`alignment`: what was filled and dropped to align calendars.
    """

    summary: pd.DataFrame
    values: pd.DataFrame
    holdings: pd.DataFrame
    skipped: pd.DataFrame
    alignment: PriceAlignment
    start: pd.Timestamp
    end: pd.Timestamp
    since: pd.Timestamp
    benchmark: str
    weighting: str
    test: str
    universe: tuple[str, ...] = field(repr=False, default=())
    currency: str = "local"
    """``"USD"`` or ``"local"``: the currency every return is in."""
    returns_in: str = "local-currency returns"
    """The report's phrase for it, naming the FX series used (``US-dollar returns (FX:
    JPY=X, KRW=X)``)."""
    currencies: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    @property
    def n_sessions(self) -> int:
        """Sessions after the start (daily returns) in the aligned calendar."""
        return max(len(self.values) - 1, 0)

    def to_frame(self) -> pd.DataFrame:
        return self.summary.copy()

    def to_text(self) -> str:
        s = self.summary
        lines = [f"since {self.since:%Y-%m-%d}: {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}, "
                 f"{self.n_sessions} sessions, buy and hold, {self.weighting} weights, "
                 f"{self.returns_in}"]
        lines += [_summary_line(str(key), row) for key, row in s.iterrows()]
        lines.append(f"  test: {self.test}")
        if len(self.skipped):
            reasons = self.skipped["reason"].astype("str")
            no_fx = reasons.str.startswith("no US-dollar price")
            if (~no_fx).any():
                lines.append("  skipped (no prices): " + ", ".join(self.skipped.index[~no_fx]))
            if no_fx.any():
                lines.append("  skipped (no FX to US dollars): " + ", ".join(
                    f"{t} ({why.removeprefix('no US-dollar price: ')})"
                    for t, why in reasons[no_fx].items()))
        lines.append("  " + self.alignment.to_text().splitlines()[0])
        return plain_lines("\n".join(lines))

    __str__ = to_text

    def __repr__(self) -> str:
        excess = self.summary.loc["benchmark", "excess_return"]
        return (f"<BasketPerformance names={len(self.holdings)} since={self.since:%Y-%m-%d} "
                f"currency={self.currency} excess_vs_{self.benchmark}={excess:.4f}>")

    def _repr_html_(self) -> str:
        # returns carry a sign; volatility, drawdown, hit rate and weights do not
        returns = ["cumulative_return", "excess_return"]
        held = ["local_return", "return", "contribution"]
        return one_style(
            lines_html(self.to_text().splitlines()),
            _summary_html(self.summary, returns),
            table_html(self.holdings, bars=["return", "contribution"],
                       percent=["weight", *held], signed=held, digits=4,
                       formats={"score": ".2f", "start_price": ",.2f", "end_price": ",.2f",
                                "rank": ".0f"},
                       caption=f"holdings (return in {self.currency})"))


@dataclass(frozen=True)
class RebalancedPerformance:
    """A basket rebalanced at each date of a panel of scores, against the benchmark and an
    equal-weight universe, in :attr:`currency`.

    Period ``k`` holds the top names of the panel's screen of date ``d_k`` (the first
    period's: the latest panel date on or before ``since``), bought at the first close on
    or after ``d_k`` and held to the first close on or after ``d_{k+1}`` (the last one to
    ``until`` or the last price); no costs. Each period is an ordinary single-basket run
    (:attr:`period_results`, each a :class:`BasketPerformance`), and the value paths are
    chained: each period starts from the previous period's end value.

    - :attr:`summary` (also :meth:`to_frame`): rows ``basket``, ``benchmark``,
      ``universe``, as :attr:`BasketPerformance.summary` (``names``: every name held or
      in the universe in some period) with ``annualised_return`` (compounded over
      ``periods_per_year`` sessions a year) after ``cumulative_return``; the t-test is the
      same one on the chained daily returns;
    - :attr:`values`: date x (basket, benchmark, universe), growth of 1 from the start;
    - :attr:`periods`: one row per period (1, 2, ...): ``panel_date`` (whose scores
      chose the basket), ``start``, ``end``, ``sessions``, ``names`` and ``tickers`` held,
      ``basket_return``, ``benchmark_return``, ``universe_return``, ``turnover`` (half the
      sum of the absolute weight changes from the previous period's basket as bought; NaN
      for the first period); the returns of the periods multiply to the cumulative ones;
    - :attr:`holdings`: one row per period and name held: ``period``, ``panel_date``,
      ``start``, ``ticker``, then the columns of :attr:`BasketPerformance.holdings`
      (``weight``, ``return``, ``contribution``, ...);
    - :attr:`skipped`: ranked names passed over for lack of prices, with the ``period``
      and ``panel_date``.
    """

    summary: pd.DataFrame
    values: pd.DataFrame
    periods: pd.DataFrame
    holdings: pd.DataFrame
    skipped: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp
    since: pd.Timestamp
    benchmark: str
    weighting: str
    top: int
    test: str
    currency: str = "local"
    """``"USD"`` or ``"local"``: the currency every return is in."""
    returns_in: str = "local-currency returns"
    """The report's phrase for it, naming the FX series any period used."""
    period_results: tuple[BasketPerformance, ...] = field(repr=False, default=())
    """Each period's own run: its prices, alignment and currencies."""

    @property
    def n_sessions(self) -> int:
        """Sessions after the start (daily returns) over all periods."""
        return max(len(self.values) - 1, 0)

    @property
    def n_periods(self) -> int:
        return len(self.periods)

    def to_frame(self) -> pd.DataFrame:
        return self.summary.copy()

    def to_text(self) -> str:
        s = self.summary
        lines = [f"since {self.since:%Y-%m-%d}: {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}, "
                 f"{self.n_sessions} sessions, {self.n_periods} period(s) rebalanced at the "
                 f"panel's dates, top {self.top}, {self.weighting} weights, {self.returns_in}"]
        lines += [_summary_line(str(key), row, annualised=True) for key, row in s.iterrows()]
        lines.append(f"  test: {self.test}")
        lines.append("  periods (scores of / held from / to: names, basket, benchmark, "
                     "universe, turnover):")
        for k, row in self.periods.iterrows():
            lines.append(
                f"  {k:>3} {row['panel_date']:%Y-%m-%d} {row['start']:%Y-%m-%d} "
                f"{row['end']:%Y-%m-%d}: {int(row['names'])} names, "
                f"{_fmt(row['basket_return'], '+.2%')}, "
                f"{_fmt(row['benchmark_return'], '+.2%')}, "
                f"{_fmt(row['universe_return'], '+.2%')}, "
                f"turnover {_fmt(row['turnover'], '.0%')}")
        if len(self.skipped):
            reasons = self.skipped["reason"].astype("str")
            no_fx = reasons.str.startswith("no US-dollar price")
            for label, mask in (("no prices", ~no_fx), ("no FX to US dollars", no_fx)):
                times = self.skipped.loc[mask.to_numpy(), "ticker"].astype("str").value_counts(
                    sort=False)
                if len(times):
                    lines.append(f"  skipped ({label}): " + ", ".join(
                        f"{t} ({n} period(s))" for t, n in times.items()))
        filled = sum(len(r.alignment.filled) for r in self.period_results)
        dropped = sum(len(r.alignment.dropped_dates) for r in self.period_results)
        if self.period_results:
            lines.append(f"  calendar alignment: forward-fill gaps of at most "
                         f"{self.period_results[0].alignment.max_fill} session(s); "
                         f"{filled} cell(s) filled, {dropped} date(s) dropped over the periods")
        return plain_lines("\n".join(lines))

    __str__ = to_text

    def __repr__(self) -> str:
        excess = self.summary.loc["benchmark", "excess_return"]
        return (f"<RebalancedPerformance periods={self.n_periods} "
                f"since={self.since:%Y-%m-%d} currency={self.currency} "
                f"excess_vs_{self.benchmark}={excess:.4f}>")

    def _repr_html_(self) -> str:
        returns = ["cumulative_return", "annualised_return", "excess_return"]
        period_returns = ["basket_return", "benchmark_return", "universe_return"]
        held = ["local_return", "return", "contribution"]
        periods = self.periods.copy()
        for column in ("panel_date", "start", "end"):
            periods[column] = [f"{d:%Y-%m-%d}" for d in periods[column]]
        holdings = self.holdings.copy()
        for column in ("panel_date", "start"):
            holdings[column] = [f"{d:%Y-%m-%d}" for d in holdings[column]]
        return one_style(
            lines_html(self.to_text().splitlines()),
            _summary_html(self.summary, returns),
            table_html(periods, bars=period_returns, percent=[*period_returns, "turnover"],
                       signed=period_returns, formats={"names": ".0f", "sessions": ".0f"},
                       digits=4, caption="periods"),
            table_html(holdings, bars=["contribution"], percent=["weight", *held],
                       signed=held, digits=4, index=False,
                       formats={"score": ".2f", "start_price": ",.2f", "end_price": ",.2f",
                                "rank": ".0f", "period": ".0f"},
                       caption=f"holdings by period (return in {self.currency})"))


@dataclass(frozen=True)
class StabilityResult:
    """How much a ranking moves when every rule weight is perturbed.

    - :attr:`taus`: Kendall's tau-b between the unperturbed scores and each draw's scores
      (1 = same order);
    - :attr:`companies` (also :meth:`to_frame`): per ranked company ``name``, ``rank``
      (unperturbed), ``top_frequency`` (share of draws in which it ranks within the top
      ``top``), ``mean_rank``, ``rank_low``/``rank_high`` (5th/95th percentile of rank);
    - :attr:`by_rule`: per scoring rule, the mean and 5th percentile of tau when only that
      rule's weight is perturbed, so a fragile weight stands out;
    - :attr:`draws`: the perturbed weights, one row per draw.
    """

    taus: np.ndarray = field(repr=False)
    companies: pd.DataFrame = field(repr=False)
    by_rule: pd.DataFrame = field(repr=False)
    draws: pd.DataFrame = field(repr=False)
    noise: float
    n: int
    seed: int | None
    top: int
    same_top_share: float

    @property
    def median_tau(self) -> float:
        return float(np.median(self.taus))

    @property
    def tau_low(self) -> float:
        """5th percentile of tau: the ranking in a bad draw."""
        return float(np.quantile(self.taus, 0.05))

    def to_frame(self) -> pd.DataFrame:
        return self.companies.copy()

    def to_text(self) -> str:
        lines = [
            f"rank stability: {self.n} draws, weights x (1 + {self.noise:g} x N(0,1)), "
            f"seed {self.seed}",
            f"  Kendall tau vs unperturbed: median {self.median_tau:.3f}, 5th percentile "
            f"{self.tau_low:.3f}",
            f"  same top {self.top} (as a set) in {self.same_top_share:.0%} of draws",
        ]
        fragile = self.by_rule.sort_values("mean_tau").head(3)
        lines.append("  most sensitive weights: " + ", ".join(
            f"{rule} (tau {row['mean_tau']:.3f})" for rule, row in fragile.iterrows()))
        edge = self.companies[(self.companies["top_frequency"] > 0) &
                              (self.companies["top_frequency"] < 1)]
        if len(edge):
            shown = ", ".join(f"{t} {_share(f)}" for t, f in edge["top_frequency"].head(12).items())
            more = f" and {len(edge) - 12} more" if len(edge) > 12 else ""
            lines.append(f"  in the top {self.top} only sometimes: {shown}{more}")
        return plain_lines("\n".join(lines))

    __str__ = to_text

    def __repr__(self) -> str:
        return (f"<StabilityResult n={self.n} median_tau={self.median_tau:.3f} "
                f"top={self.top} same_top={self.same_top_share:.2f}>")

    def _repr_html_(self) -> str:
        shown = self.companies[self.companies["top_frequency"] > 0]
        # ranks are whole numbers; the mean rank over the draws has one decimal
        return one_style(
            lines_html(self.to_text().splitlines()),
            table_html(shown, heat=["top_frequency"], heat_range=(0.0, 1.0),
                       formats={"top_frequency": ".0%", "rank": ".0f", "mean_rank": ".1f",
                                "rank_low": ".0f", "rank_high": ".0f"}),
            table_html(self.by_rule, bars=["mean_tau"], caption="one weight at a time",
                       max_rows=len(self.by_rule)))
