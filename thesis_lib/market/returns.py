"""Trailing returns and traded value from a table of closes (UTC dates x tickers)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from thesis_lib.market._pandas import datetime_index
from thesis_lib.market.frame import ADV_SESSIONS

__all__ = ["months_before", "traded_value", "trailing_returns"]


def months_before(day: dt.date, months: int) -> dt.date:
    stamp: pd.Timestamp = pd.Timestamp(day) - pd.DateOffset(months=months)
    out: dt.date = stamp.date()
    return out


def _price_on_or_before(filled: pd.DataFrame, day: dt.date) -> pd.Series:
    rows = filled[datetime_index(filled.index).date <= day]
    if rows.empty:
        return pd.Series(np.nan, index=filled.columns, dtype="float64")
    return rows.iloc[-1].astype("float64")


def trailing_returns(close: pd.DataFrame, as_of: dt.date, since: dt.date | None) -> pd.DataFrame:
    """Trailing returns per ticker from adjusted closes, each leg priced on or before its date."""
    filled = close.ffill()
    end = _price_on_or_before(filled, as_of)

    def since_day(day: dt.date) -> pd.Series:
        base = _price_on_or_before(filled, day)
        base = base.where(base > 0)
        return (end / base - 1.0).astype("float64")

    nan = pd.Series(np.nan, index=close.columns, dtype="float64")
    return pd.DataFrame(
        {
            "return_1m": since_day(months_before(as_of, 1)),
            "return_3m": since_day(months_before(as_of, 3)),
            "return_ytd": since_day(dt.date(as_of.year - 1, 12, 31)),
            "return_since": since_day(since) if since is not None else nan,
        }
    )


def traded_value(close: pd.DataFrame, volume: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """Mean close x volume over the last ~3 months of sessions, in the quote currency."""
    rows = datetime_index(close.index).date <= as_of
    traded = (close[rows] * volume[rows])
    out = {}
    for ticker in traded.columns:
        values = traded[ticker].dropna().tail(ADV_SESSIONS)
        out[ticker] = float(values.mean()) if len(values) else math.nan
    return pd.Series(out, dtype="float64")
