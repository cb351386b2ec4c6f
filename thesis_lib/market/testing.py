"""A conformance check for providers, for use in tests (yours and ours).

>>> from thesis_lib.market.testing import check_provider
>>> check_provider(my_provider, ["MU", "000660.KS"], date(2026, 2, 9), date(2026, 2, 27))
...  # doctest: +SKIP

It calls ``history`` and ``snapshot`` and raises ``AssertionError`` listing every
way the results break the contract drawn in :mod:`thesis_lib.market.base`
(shapes, order, dtypes, timezone, one status row per ticker). Incomplete-data
warnings are expected and not reported.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from thesis_lib.market.base import (
    SNAPSHOT_COLUMNS,
    SNAPSHOT_FLOAT_COLUMNS,
    STATUS_COLUMNS,
    STATUS_VALUES,
    HistoryResult,
    MarketDataProvider,
    SnapshotResult,
)
from thesis_lib.market.problems import IncompleteDataWarning

__all__ = ["check_provider"]


def _status_problems(status: pd.DataFrame, tickers: Sequence[str], what: str) -> list[str]:
    out: list[str] = []
    if list(status.index) != list(tickers):
        out.append(f"{what}: status index {list(status.index)} != requested {list(tickers)}")
    if list(status.columns) != list(STATUS_COLUMNS):
        out.append(f"{what}: status columns {list(status.columns)}")
    elif not set(status["status"]) <= set(STATUS_VALUES) - {"private"}:
        out.append(f"{what}: status values {sorted(set(status['status']))}")
    return out


def check_history(result: HistoryResult, tickers: Sequence[str], start: dt.date, end: dt.date
                  ) -> list[str]:
    """Every way ``result`` breaks the history contract (empty when it conforms)."""
    out: list[str] = []
    if not isinstance(result, HistoryResult):
        return [f"history returned {type(result).__name__}, not HistoryResult"]
    close = result.close
    if list(close.columns) != list(tickers):
        out.append(f"history: columns {list(close.columns)} != requested {list(tickers)}")
    index = close.index
    if not isinstance(index, pd.DatetimeIndex) or str(index.tz) != "UTC":
        out.append("history: index is not a UTC DatetimeIndex")
    elif len(index):
        if not index.is_monotonic_increasing or index.has_duplicates:
            out.append("history: index is not sorted and unique")
        if index[0].date() < start or index[-1].date() > end:
            out.append(f"history: dates {index[0].date()}..{index[-1].date()} outside "
                       f"{start}..{end}")
    if any(d != np.dtype("float64") for d in close.dtypes):
        out.append("history: closes are not all float64")
    if not result.volume.index.equals(close.index) or list(result.volume.columns) != list(
            close.columns):
        out.append("history: volume does not match close")
    out += _status_problems(result.status, tickers, "history")
    for ticker in tickers:
        if ticker not in close.columns or ticker not in result.status.index:
            continue
        has_data = bool(close[ticker].notna().any())
        status = result.status.loc[ticker, "status"]
        if status in ("ok", "stale") and not has_data:
            out.append(f"history: {ticker} is {status} but has no prices")
        if status in ("missing", "unavailable", "failed") and has_data:
            out.append(f"history: {ticker} is {status} but has prices")
    return out


def check_snapshot(result: SnapshotResult, tickers: Sequence[str]) -> list[str]:
    """Every way ``result`` breaks the snapshot contract (empty when it conforms)."""
    if not isinstance(result, SnapshotResult):
        return [f"snapshot returned {type(result).__name__}, not SnapshotResult"]
    out: list[str] = []
    data = result.data
    if list(data.index) != list(tickers):
        out.append(f"snapshot: index {list(data.index)} != requested {list(tickers)}")
    if list(data.columns) != list(SNAPSHOT_COLUMNS):
        out.append(f"snapshot: columns {list(data.columns)}")
        return out
    for column in SNAPSHOT_FLOAT_COLUMNS:
        if data[column].dtype != np.dtype("float64"):
            out.append(f"snapshot: {column} is {data[column].dtype}, not float64")
    usd = data["market_cap"] * data["fx_rate_usd"]
    both = usd.notna() & data["market_cap_usd"].notna()
    if not np.allclose(usd[both], data["market_cap_usd"][both], rtol=1e-9):
        out.append("snapshot: market_cap_usd != market_cap * fx_rate_usd")
    out += _status_problems(result.status, tickers, "snapshot")
    for ticker in tickers:
        if ticker in data.index and ticker in result.status.index:
            status = result.status.loc[ticker, "status"]
            if status == "ok" and bool(data["price"].isna()[ticker]):
                out.append(f"snapshot: {ticker} is ok but has no price")
    return out


def check_provider(
    provider: MarketDataProvider,
    tickers: Sequence[str],
    start: dt.date,
    end: dt.date,
    *,
    as_of: dt.date | None = None,
) -> tuple[HistoryResult, SnapshotResult]:
    """Run both methods and raise ``AssertionError`` listing every contract violation.

    Returns the two results for further checks.
    """
    if not isinstance(provider, MarketDataProvider):
        raise AssertionError(f"{provider!r} does not implement MarketDataProvider")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IncompleteDataWarning)
        history = provider.history(list(tickers), start, end)
        snapshot = provider.snapshot(list(tickers), as_of=as_of)
    problems = check_history(history, tickers, start, end) + check_snapshot(snapshot, tickers)
    if problems:
        raise AssertionError(f"{provider!r} breaks the provider contract:\n  - "
                             + "\n  - ".join(problems))
    return history, snapshot
