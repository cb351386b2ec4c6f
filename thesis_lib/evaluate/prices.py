"""Price tables on one calendar, and the forward returns evaluation uses.

A price table is a DataFrame indexed by date (one row per session) with one column of
closes per ticker, NaN where that ticker had no session::

    ticker      000660.KS   2330.TW    NVDA
    date
    2026-05-05  NaN         1450.0     198.4    <- Seoul closed (Children's Day)
    2026-05-06  1.28e6      1461.0     201.0

:meth:`thesis_lib.market.HistoryResult.close` is one; so is a tidy frame with ``date``,
``ticker`` and ``close`` columns (e.g. ``examples/data/prices.csv``), which
:func:`price_table` pivots. Timezone-aware dates are taken as UTC dates.

Listings on different exchanges trade on different days. Putting them on one calendar
(the union of their sessions) leaves holes; a hole of at most ``max_fill`` sessions is
filled from the last close (the price did not change while the market was shut), and a
longer one is left empty: nothing is forward-filled past that limit. Every filled cell
is recorded.

Returns are in US dollars by default: each aligned close is converted at its date's
dollar rate, from the ``KRW=X``-style columns of the prices or ``fx=`` (see
:mod:`thesis_lib.evaluate.currency`); ``currency="local"`` keeps each listing's own
currency. The frame or Series returned says which in ``.attrs["currency"]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from thesis_lib.evaluate._common import EvaluationError, as_timestamp
from thesis_lib.evaluate.currency import (
    Currencies,
    Currency,
    FxSource,
    check_currency,
    conversion,
)
from thesis_lib.market.fx import is_fx_symbol

DEFAULT_MAX_FILL = 3
"""Sessions a hole in a ticker's closes may span and still be filled from the last close."""


def price_table(prices: pd.DataFrame) -> pd.DataFrame:
    """A wide float price table (naive ``date`` index, sorted; one column per ticker).

    Accepts a wide table or a tidy one with ``date``, ``ticker`` and ``close`` columns.
    Raises :class:`EvaluationError` for duplicate dates, non-numeric or non-positive prices.
    """
    if not isinstance(prices, pd.DataFrame):
        raise EvaluationError(f"expected a DataFrame of prices, got {type(prices).__name__}",
                              field="prices", hint="date x ticker closes, or date/ticker/close")
    lower = {str(c).lower(): c for c in prices.columns}
    if {"date", "ticker", "close"} <= set(lower):
        tidy = prices[[lower["date"], lower["ticker"], lower["close"]]]
        tidy.columns = pd.Index(["date", "ticker", "close"])
        if tidy.duplicated(["date", "ticker"]).any():
            raise EvaluationError("the price file has a ticker twice on one date",
                                  field="prices", hint="keep one close per ticker and date")
        wide = tidy.pivot(index="date", columns="ticker", values="close")
    elif "date" in lower and not isinstance(prices.index, pd.DatetimeIndex):
        wide = prices.set_index(lower["date"])
    else:
        wide = prices
    try:
        index = pd.DatetimeIndex(pd.to_datetime(wide.index))
    except (ValueError, TypeError):
        raise EvaluationError("the price table's index is not dates", field="prices",
                              hint="index the table by date, or pass date/ticker/close columns"
                              ) from None
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    index = index.normalize()
    if index.has_duplicates:
        raise EvaluationError("the price table has a date twice", field="prices",
                              hint="one row per session")
    bad = [str(c) for c in wide.columns if not pd.api.types.is_numeric_dtype(wide[c])]
    if bad:
        raise EvaluationError(f"non-numeric prices for {', '.join(bad[:5])}", field="prices")
    values = wide.to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        nonpositive = (values <= 0).any(axis=0)
    if nonpositive.any():
        names = [str(c) for c, b in zip(wide.columns, nonpositive, strict=True) if b]
        raise EvaluationError(f"zero or negative prices for {', '.join(names[:5])}",
                              field="prices", hint="closes must be positive")
    table = pd.DataFrame(values, index=pd.Index(index, name="date"),
                         columns=pd.Index([str(c) for c in wide.columns], name="ticker"))
    return table.sort_index()


@dataclass(frozen=True)
class Aligned:
    """Closes of some tickers on the union of their sessions, short holes filled."""

    table: pd.DataFrame
    """date x ticker closes on the common calendar; NaN where still missing."""
    filled: pd.DataFrame
    """One row per filled cell: ``date``, ``ticker``, ``from_date``."""
    sessions: pd.Series
    """Each ticker's own closes in the window."""


def align(
    table: pd.DataFrame,
    tickers: Sequence[str],
    *,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    max_fill: int = DEFAULT_MAX_FILL,
) -> Aligned:
    """Put ``tickers`` of a :func:`price_table` on the union of their sessions.

    Holes of at most ``max_fill`` sessions after a ticker's first close are filled from
    its last close (closes before ``start`` count, so a holiday on the first day is
    covered); longer holes stay NaN. Then the window ``[start, end]`` is cut out.
    """
    check_max_fill(max_fill)
    sub = table[list(tickers)]
    sub = sub[sub.notna().any(axis=1)]
    values = sub.to_numpy(copy=True)
    dates = sub.index
    filled_rows: list[tuple[pd.Timestamp, str, pd.Timestamp]] = []
    for j, ticker in enumerate(sub.columns):
        column = values[:, j]
        missing = np.isnan(column)
        if not missing.any() or missing.all():
            continue
        edges = np.diff(np.r_[0, missing.astype(np.int8), 0])
        starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        for a, b in zip(starts, stops, strict=True):
            if a == 0 or b - a > max_fill:
                continue
            column[a:b] = column[a - 1]
            filled_rows += [(dates[k], ticker, dates[a - 1]) for k in range(a, b)]
    aligned = pd.DataFrame(values, index=dates, columns=sub.columns)
    own = sub.notna()
    window = np.ones(len(dates), dtype=bool)
    if start is not None:
        window &= dates >= start
    if end is not None:
        window &= dates <= end
    aligned = aligned[window]
    filled = pd.DataFrame(filled_rows, columns=["date", "ticker", "from_date"])
    filled = filled[filled["date"].isin(aligned.index)].reset_index(drop=True)
    return Aligned(table=aligned, filled=filled, sessions=own[window].sum(axis=0))


def check_max_fill(max_fill: int) -> None:
    if not isinstance(max_fill, int) or isinstance(max_fill, bool) or max_fill < 0:
        raise EvaluationError(f"max_fill={max_fill!r} must be a whole number of sessions >= 0",
                              field="max_fill", hint="e.g. 3 covers a long weekend holiday")


def forward_returns(
    prices: pd.DataFrame,
    horizon: int,
    *,
    step: int | None = None,
    tickers: Sequence[str] | None = None,
    max_fill: int = DEFAULT_MAX_FILL,
    currency: Currency = "USD",
    currencies: Currencies | None = None,
    fx: FxSource | None = None,
) -> pd.DataFrame:
    """Return from each date's close to the close ``horizon`` sessions later, date x ticker.

    Sessions are those of the union calendar of ``tickers`` (all columns by default;
    in dollars, the ``XXX=X`` FX columns are rates, not listings, and are left out),
    aligned as described in this module. Rows are taken every ``step`` sessions, by
    default ``horizon``, so that windows do not overlap (overlapping windows would make
    the dates' ICs dependent and their t-statistic too large). NaN where a close is
    missing at either end. The frame records ``attrs["horizon"]``, ``attrs["step"]`` and
    its ``attrs["dates"]``, from which :func:`~thesis_lib.evaluate.rank_ic` and
    :func:`~thesis_lib.evaluate.quantile_returns` tell whether the windows overlap.

    In US dollars by default: a name's return is ``(1 + r_local) * (fx_end / fx_start)
    - 1``, ``fx`` its currency's dollar rate (dollars per unit) on each date.
    ``currencies`` and ``fx`` say where the listings' currencies and the rates come
    from (:mod:`thesis_lib.evaluate.currency`); a priced name whose currency or rate is
    missing raises :class:`~thesis_lib.errors.MissingFxError`. ``currency="local"``
    gives each listing's own currency. ``.attrs`` holds ``currency``, each ticker's
    ``currencies`` and the ``fx`` series used.
    """
    if not isinstance(horizon, int) or horizon < 1:
        raise EvaluationError(f"horizon={horizon!r} must be a whole number of sessions >= 1",
                              field="horizon")
    step = horizon if step is None else step
    if not isinstance(step, int) or step < 1:
        raise EvaluationError(f"step={step!r} must be a whole number of sessions >= 1",
                              field="step")
    currency = check_currency(currency)
    table = price_table(prices)
    names = _known(table, tickers, listings_only=currency == "USD")
    convert = conversion(prices, table, names, currency=currency, currencies=currencies, fx=fx)
    convert.require(names)
    closes = convert.apply(align(table, names, max_fill=max_fill).table)
    ahead = closes.shift(-horizon)
    out = (ahead / closes - 1.0).iloc[: max(len(closes) - horizon, 0): step]
    out.attrs.update(convert.attrs(names))
    out.attrs.update({"horizon": horizon, "step": step, "dates": out.index.to_numpy()})
    return out


def period_returns(
    prices: pd.DataFrame,
    since: dt.date | str | pd.Timestamp,
    until: dt.date | str | pd.Timestamp | None = None,
    *,
    tickers: Sequence[str] | None = None,
    max_fill: int = DEFAULT_MAX_FILL,
    currency: Currency = "USD",
    currencies: Currencies | None = None,
    fx: FxSource | None = None,
) -> pd.Series:
    """Each ticker's return from the first session on or after ``since`` to the last one.

    ``until`` (inclusive) ends the period early. Calendars are aligned as described in
    this module; NaN for a ticker without a close (or a filled one) at either end.
    In US dollars by default, as :func:`forward_returns` (same ``currency``,
    ``currencies`` and ``fx``, same :class:`~thesis_lib.errors.MissingFxError`);
    ``.attrs["currency"]`` says which.
    """
    currency = check_currency(currency)
    table = price_table(prices)
    names = _known(table, tickers, listings_only=currency == "USD")
    start = as_timestamp(since, field="since")
    end = None if until is None else as_timestamp(until, field="until")
    convert = conversion(prices, table, names, currency=currency, currencies=currencies, fx=fx)
    convert.require(names)
    closes = convert.apply(align(table, names, start=start, end=end, max_fill=max_fill).table)
    if len(closes) < 2:
        raise EvaluationError("fewer than two sessions in the period", field="since",
                              hint="choose a since date inside the price history")
    out = closes.iloc[-1] / closes.iloc[0] - 1.0
    out.name = "return"
    if tickers is not None:
        out = out.reindex(list(dict.fromkeys(str(t) for t in tickers)))
    out.attrs.update(convert.attrs(names))
    return out


def _known(table: pd.DataFrame, tickers: Sequence[str] | None, *,
           listings_only: bool = False) -> list[str]:
    """The tickers asked for that the table prices (every column by default; without the
    ``XXX=X`` FX series when ``listings_only``)."""
    if tickers is None:
        return [str(c) for c in table.columns
                if not (listings_only and is_fx_symbol(str(c)))]
    return [t for t in dict.fromkeys(str(t) for t in tickers) if t in table.columns]
