"""The finishing step shared by every provider: raw frames in the contract's shape become
checked results in UTC with per-ticker status, dollar values and staleness; and the one
warning that lists the tickers that are not ok."""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from thesis_lib.errors import MarketDataError
from thesis_lib.market._pandas import datetime_index, row_dict, text
from thesis_lib.market.contract import (
    _LOCAL_FLOATS,
    LOCAL_SNAPSHOT_COLUMNS,
    SNAPSHOT_COLUMNS,
    SNAPSHOT_FLOAT_COLUMNS,
    HistoryFrames,
    HistoryQuery,
    HistoryResult,
    SnapshotFrames,
    SnapshotQuery,
    SnapshotResult,
    TickerStatus,
    status_frame,
)
from thesis_lib.market.fx import FxRate, FxTable, fx_frame, normalise_currency
from thesis_lib.market.problems import IncompleteDataWarning, describe_tickers

# --------------------------------------------------------------------------- finishing


def _currencies(data: pd.DataFrame) -> list[str]:
    if "currency" not in data.columns:
        return []
    out = []
    for value in data["currency"].dropna().unique():
        try:
            normalise_currency(str(value))
        except MarketDataError:
            continue
        out.append(str(value))
    return out


def to_utc_index(index: pd.Index) -> pd.DatetimeIndex:
    """A DatetimeIndex in UTC: naive stamps are taken as UTC (dates), aware ones converted."""
    stamps = pd.DatetimeIndex(pd.to_datetime(index))
    stamps = stamps.tz_localize("UTC") if stamps.tz is None else stamps.tz_convert("UTC")
    return stamps.as_unit("ns").rename("date")


def _wide(frame: pd.DataFrame | None, tickers: Sequence[str], index: pd.DatetimeIndex | None
          ) -> pd.DataFrame:
    if frame is None:
        out = pd.DataFrame(np.nan, index=index if index is not None else pd.DatetimeIndex(
            [], tz="UTC", name="date"), columns=list(tickers), dtype="float64")
    else:
        out = frame.copy()
        out.index = to_utc_index(out.index)
        out = out[~out.index.duplicated(keep="last")].sort_index()
        out.columns = [str(c) for c in out.columns]
        out = out.reindex(columns=list(tickers))
        out = out.apply(pd.to_numeric, errors="coerce").astype("float64")
        if index is not None:
            out = out.reindex(index)
    out.columns = pd.Index(list(tickers), dtype="str", name="ticker")
    out.index = out.index.rename("date") if isinstance(out.index, pd.DatetimeIndex) else out.index
    return out


#: Business days one bar spans, added to ``stale_after`` for bars longer than a day
#: (they are stamped at the start of their period, as yfinance does).
_BAR_DAYS = {"5d": 5, "1wk": 5, "1mo": 23, "3mo": 66}

#: Every status reason about missing dollar values starts with this.
NO_USD = "no USD"


def business_days_between(earlier: dt.date, later: dt.date) -> int:
    """Weekdays from ``earlier`` (counted) up to ``later`` (not counted); 0 if not later."""
    if later <= earlier:
        return 0
    return int(np.busday_count(earlier, later))


def _stale_reason(last: dt.date, reference: dt.date, stale_after: int) -> str | None:
    lag = business_days_between(last, reference)
    if lag > stale_after:
        return (f"last price on {last}, {lag} business days before {reference} "
                f"(more than {stale_after})")
    return None


def finish_history(
    query: HistoryQuery,
    frames: HistoryFrames,
    *,
    source: str,
    stale_after: int,
    today: dt.date,
) -> HistoryResult:
    """Put a transform's frames into the standard shape and decide each ticker's status."""
    tickers = list(query.tickers)
    close = _wide(frames.close, tickers, None)
    if query.interval == "1d":
        days = datetime_index(close.index).date
        close = close[(days >= query.start) & (days <= query.end)]
    close = close.dropna(how="all")
    volume = _wide(frames.volume, tickers, datetime_index(close.index))
    volume = volume.where(close.notna())
    reference = min(query.end, today)
    allowance = stale_after + _BAR_DAYS.get(query.interval, 0)
    rows: list[TickerStatus] = []
    for ticker in tickers:
        series = close[ticker].dropna()
        last = series.index[-1].date() if len(series) else None
        note = frames.notes.get(ticker)
        if note is not None and last is None:
            rows.append(TickerStatus(ticker=ticker, status=note.status, reason=note.reason,
                                     source=source))
        elif last is None:
            rows.append(TickerStatus(
                ticker=ticker, status="missing", source=source,
                reason=f"no prices from {query.start} to {query.end}"))
        elif (stale := _stale_reason(last, reference, allowance)) is not None:
            rows.append(TickerStatus(ticker=ticker, status="stale", reason=stale, source=source,
                                     as_of=last))
        else:
            reason = note.reason if note is not None else ""
            rows.append(TickerStatus(ticker=ticker, status="ok", reason=reason, source=source,
                                     as_of=last))
    return HistoryResult(close=close, volume=volume, status=status_frame(rows), source=source)


def _float(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


def _date_or_none(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime | pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def finish_snapshot(
    query: SnapshotQuery,
    frames: SnapshotFrames,
    fx: FxTable,
    fx_problems: Mapping[str, str],
    *,
    source: str,
    stale_after: int,
) -> SnapshotResult:
    """Convert a transform's quote-currency rows to the standard snapshot with USD columns."""
    tickers = list(query.tickers)
    local = frames.data.copy()
    local.index = [str(i) for i in local.index]
    for column in LOCAL_SNAPSHOT_COLUMNS:
        if column not in local.columns:
            local[column] = None
    records: dict[str, dict[str, Any]] = {}
    rows: list[TickerStatus] = []
    used: list[FxRate] = []
    for ticker in tickers:
        raw = row_dict(local, ticker)
        values = {c: _float(raw.get(c)) for c in _LOCAL_FLOATS}
        currency_value = raw.get("currency")
        currency = (str(currency_value) if isinstance(currency_value, str) and currency_value
                    else None)
        as_of = _date_or_none(raw.get("as_of"))
        rate = math.nan
        fx_reason = ""
        if currency is not None:
            try:
                hit = fx.lookup(currency)
            except MarketDataError:
                hit = None
                fx_reason = f"{NO_USD} values: unknown currency {currency!r}"
            if hit is not None:
                rate = hit[0]
                used.append(hit[1])
            elif not fx_reason:
                major = normalise_currency(currency)[0]
                fx_reason = f"{NO_USD} rate for {major}: {fx_problems.get(major, 'not quoted')}"
        elif not math.isnan(values["price"]):
            fx_reason = f"{NO_USD} values: the source gave no currency"
        records[ticker] = {
            "price": values["price"],
            "currency": currency,
            "market_cap": values["market_cap"],
            "market_cap_usd": values["market_cap"] * rate,
            "adv_usd": values["adv"] * rate,
            "pe_trailing": values["pe_trailing"],
            "pe_forward": values["pe_forward"],
            "ev_sales": values["ev_sales"],
            "fx_rate_usd": rate,
            "as_of": as_of.isoformat() if as_of else None,
            "source": source,
        }
        note = frames.notes.get(ticker)
        if note is not None and math.isnan(values["price"]):
            rows.append(TickerStatus(ticker=ticker, status=note.status, reason=note.reason,
                                     source=source, as_of=as_of))
        elif math.isnan(values["price"]):
            rows.append(TickerStatus(ticker=ticker, status="missing", source=source,
                                     reason="the source returned no price", as_of=as_of))
        else:
            stale = (_stale_reason(as_of, frames.reference, stale_after)
                     if as_of is not None else None)
            reasons = [r for r in (note.reason if note else "", stale or "", fx_reason) if r]
            rows.append(TickerStatus(ticker=ticker, status="stale" if stale else "ok",
                                     reason="; ".join(reasons), source=source, as_of=as_of))
    index = pd.Index(tickers, dtype="str", name="ticker")
    data = pd.DataFrame.from_dict(records, orient="index").reindex(index)
    data.index = index
    for column in SNAPSHOT_FLOAT_COLUMNS:
        data[column] = data[column].astype("float64")
    for column in ("currency", "as_of", "source"):
        data[column] = text(data[column])
    data = data[list(SNAPSHOT_COLUMNS)]
    return SnapshotResult(
        data=data,
        status=status_frame(rows),
        fx=fx_frame(used),
        as_of=frames.reference,
        source=source,
    )


# --------------------------------------------------------------------------- warnings


def incomplete_message(status: pd.DataFrame, *, what: str, source: str) -> str | None:
    """The warning text for a status table, or ``None`` when every ticker is ``ok`` or private."""
    bad = status[~status["status"].isin(["ok", "private"])]
    notes = status[(status["status"] == "ok") & status["reason"].str.contains(NO_USD,
                                                                               regex=False)]
    if bad.empty and notes.empty:
        return None
    counted = status[status["status"] != "private"]
    parts: list[str] = []
    for kind in ("missing", "unavailable", "failed", "stale"):
        rows = bad[bad["status"] == kind]
        if rows.empty:
            continue
        shown = [f"{t} ({r})" if r else str(t) for t, r in
                 zip(rows.index[:5], rows["reason"][:5], strict=True)]
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        parts.append(f"{kind}: " + "; ".join(shown) + more)
    if not notes.empty:
        parts.append("no USD values for " + describe_tickers(list(notes.index)) + " ("
                     + str(notes["reason"].iloc[0]) + ")")
    head = (f"{source} {what}: {len(bad)} of {len(counted)} tickers are not ok"
            if not bad.empty else f"{source} {what}: some USD values are missing")
    return head + " - " + " | ".join(parts) + ". See the status table for every ticker."


def warn_incomplete(status: pd.DataFrame, *, what: str, source: str, stacklevel: int = 4) -> None:
    """Emit an :class:`IncompleteDataWarning` if any ticker is not ``ok``."""
    message = incomplete_message(status, what=what, source=source)
    if message is not None:
        warnings.warn(message, IncompleteDataWarning, stacklevel=stacklevel)
