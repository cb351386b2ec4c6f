"""Market data from a DataFrame or a file the user already has: everything works offline.

Prices can come in any of three shapes:

- **tidy** (the shape of ``examples/data/prices.csv``): one row per ticker and
  day, columns ``date``, ``ticker``, ``close`` (or ``adj_close``, preferred when
  both are present) and optionally ``volume``;
- **wide**: dates as the index (or a ``date`` column) and one column of closes
  per ticker;
- **what yfinance.download returns**: columns ``(Price, Ticker)`` such as
  ``("Close", "MU")`` and ``("Volume", "MU")``.

FX series for the dollar conversion can sit among the prices under their
Yahoo-style names (``KRW=X``: units of the currency per dollar), or be given as
a table (``fx=``). An optional per-ticker ``snapshot`` table adds what prices
alone cannot: ``currency``, ``shares`` (or ``market_cap`` in the quote currency),
``pe_trailing``, ``pe_forward``, ``ev_sales`` and ``adv`` (traded value per day
in the quote currency; computed from the prices when absent).
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from thesis_lib._files import display_path, read_bytes, read_text
from thesis_lib._suggest import did_you_mean
from thesis_lib.errors import MarketDataError, ProviderUnavailableError
from thesis_lib.market._pandas import row_dict
from thesis_lib.market.base import (
    BaseProvider,
    HistoryFrames,
    HistoryQuery,
    SnapshotFrames,
    SnapshotQuery,
    TickerNote,
    utc_today,
)
from thesis_lib.market.fx import FxTable

__all__ = ["FrameProvider"]

#: Columns a snapshot table may have (besides the ticker), and accepted aliases.
SNAPSHOT_TABLE_COLUMNS: tuple[str, ...] = (
    "currency",
    "shares",
    "market_cap",
    "pe_trailing",
    "pe_forward",
    "ev_sales",
    "adv",
)
_ALIASES = {"shares_outstanding": "shares", "adv_local": "adv", "quote_currency": "currency"}
#: Sessions averaged for the daily traded value (about three months).
ADV_SESSIONS = 63
#: Bars longer than a day are labelled with the start of their period, as yfinance does.
_RESAMPLE = {"1wk": "W-MON", "1mo": "MS"}


def _norm(name: object) -> str:
    return str(name).strip().lower().replace(" ", "_")


def _naive_days(values: Any, *, where: str | None, field: str) -> pd.DatetimeIndex:
    try:
        stamps = pd.DatetimeIndex(pd.to_datetime(values))
    except (ValueError, TypeError) as exc:
        raise MarketDataError(
            f"dates could not be read ({exc})",
            file=where,
            field=field,
            hint="write dates as YYYY-MM-DD",
        ) from None
    if stamps.tz is not None:
        stamps = stamps.tz_localize(None)
    return stamps.normalize().as_unit("ns")


@dataclass(frozen=True)
class _Prices:
    close: pd.DataFrame  # naive daily index, columns = tickers
    volume: pd.DataFrame  # same shape


def _numeric(frame: pd.DataFrame, *, where: str | None, what: str) -> pd.DataFrame:
    out: pd.DataFrame = frame.apply(pd.to_numeric, errors="coerce").astype("float64")
    bad = out.isna() & frame.notna()
    if bad.to_numpy().any():
        column = bad.any().idxmax()
        position = int(np.argmax(bad[column].to_numpy()))
        raise MarketDataError(
            f"{what} {frame[column].iloc[position]!r} is not a number",
            file=where,
            item=f"ticker {str(column)!r}",
            field=what,
            hint="leave the cell empty for a missing value",
        )
    return out


def _check_not_negative(frame: pd.DataFrame, *, where: str | None, what: str,
                        dated: bool = True) -> None:
    """A :class:`MarketDataError` naming the first negative or infinite value, if any."""
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = (values < 0) | np.isinf(values)
    if not bad.any():
        return
    row, col = (int(i) for i in np.argwhere(bad)[0])
    value = float(values[row, col])
    if dated:
        day = frame.index[row]
        at = f" on {day.date()}" if isinstance(day, pd.Timestamp) else ""
        item = f"ticker {str(frame.columns[col])!r}"
    else:
        at = ""
        item = f"ticker {str(frame.index[row])!r}"
    kind = "negative" if value < 0 else "not finite"
    raise MarketDataError(f"{value:g}{at} is {kind}", file=where, item=item, field=what,
                          hint=f"{what} must be 0 or more; fix the value, or leave the cell "
                               "empty if it is unknown")


def _parse_prices(frame: pd.DataFrame, where: str | None) -> _Prices:
    if not isinstance(frame, pd.DataFrame):
        raise MarketDataError("prices must be a pandas DataFrame", file=where)
    if isinstance(frame.columns, pd.MultiIndex):
        return _parse_yfinance_shape(frame, where)
    columns = {_norm(c): c for c in frame.columns}
    if "ticker" in columns or "symbol" in columns:
        return _parse_tidy(frame, columns, where)
    return _parse_wide(frame, columns, where)


def _parse_yfinance_shape(frame: pd.DataFrame, where: str | None) -> _Prices:
    names = [str(n) if n is not None else "" for n in frame.columns.names]
    level = names.index("Price") if "Price" in names else None
    if level is None:
        fields = {"Close", "Adj Close", "Volume", "Open"}
        level = 0 if set(frame.columns.get_level_values(0)) & fields else 1
    fields_present = set(frame.columns.get_level_values(level))
    close_field = "Close" if "Close" in fields_present else "Adj Close"
    if close_field not in fields_present:
        raise MarketDataError(
            "a frame with two column levels needs a 'Close' field, like yfinance.download's",
            file=where,
            field="columns",
        )
    close = _xs(frame, close_field, level)
    if "Adj Close" in fields_present and close_field == "Close":
        adjusted = _xs(frame, "Adj Close", level)
        for ticker in adjusted.columns:
            if adjusted[ticker].notna().any():
                close[ticker] = adjusted[ticker]
    volume = (_xs(frame, "Volume", level) if "Volume" in fields_present
              else pd.DataFrame(np.nan, index=close.index, columns=close.columns))
    index = _naive_days(close.index, where=where, field="date")
    close = _numeric(close, where=where, what="close").set_axis(index)
    volume = _numeric(volume, where=where, what="volume").set_axis(index)
    return _finish_prices(close, volume.reindex(columns=close.columns), where)


def _xs(frame: pd.DataFrame, key: str, level: int) -> pd.DataFrame:
    part = frame.xs(key, axis=1, level=level)
    return part if isinstance(part, pd.DataFrame) else part.to_frame()


def _parse_tidy(frame: pd.DataFrame, columns: dict[str, Any], where: str | None) -> _Prices:
    ticker_col = columns.get("ticker", columns.get("symbol"))
    if "date" in columns:
        dates = frame[columns["date"]]
    elif isinstance(frame.index, pd.DatetimeIndex):
        dates = frame.index.to_series()
    else:
        raise MarketDataError(
            "the prices have no 'date' column",
            file=where,
            field="date",
            hint="tidy prices need columns date, ticker, close and optionally volume",
        )
    value_col = next((columns[c] for c in ("adj_close", "adjclose", "close") if c in columns),
                     None)
    if value_col is None:
        raise MarketDataError(
            "the prices have no 'close' column",
            file=where,
            field="close",
            hint="tidy prices need columns date, ticker, close and optionally volume",
        )
    known = {"date", "ticker", "symbol", "close", "adj_close", "adjclose", "volume", "open",
             "high", "low", "currency"}
    unknown = [str(c) for c in frame.columns if _norm(c) not in known]
    if unknown:
        suggestion = did_you_mean(_norm(unknown[0]), sorted(known), what="columns")
        raise MarketDataError(
            f"unknown column {unknown[0]!r} in tidy prices",
            file=where,
            field=unknown[0],
            hint=suggestion or "remove it",
        )
    long = pd.DataFrame(
        {
            "date": _naive_days(dates.to_numpy(), where=where, field="date"),
            "ticker": frame[ticker_col].astype("str").str.strip().to_numpy(),
            "close": frame[value_col].to_numpy(),
            "volume": frame[columns["volume"]].to_numpy() if "volume" in columns else np.nan,
        }
    )
    dupes = long[long.duplicated(["date", "ticker"], keep=False)]
    if not dupes.empty:
        first = dupes.iloc[0]
        raise MarketDataError(
            f"{len(dupes)} rows repeat a (date, ticker) pair, first "
            f"{first['date'].date()} {first['ticker']}",
            file=where,
            item=f"ticker {first['ticker']!r}",
            hint="keep one row per ticker and day",
        )
    close = long.pivot(index="date", columns="ticker", values="close")
    volume = long.pivot(index="date", columns="ticker", values="volume")
    close = _numeric(close, where=where, what="close")
    volume = _numeric(volume, where=where, what="volume")
    return _finish_prices(close, volume, where)


def _parse_wide(frame: pd.DataFrame, columns: dict[str, Any], where: str | None) -> _Prices:
    if "date" in columns:
        body = frame.drop(columns=[columns["date"]])
        index = _naive_days(frame[columns["date"]].to_numpy(), where=where, field="date")
    elif isinstance(frame.index, pd.DatetimeIndex):
        body = frame
        index = _naive_days(frame.index, where=where, field="date")
    else:
        raise MarketDataError(
            "could not tell the shape of the prices",
            file=where,
            hint="give tidy prices (date, ticker, close[, volume]) or wide ones "
                 "(a date index and one column per ticker)",
        )
    body = body.set_axis(index)
    if index.duplicated().any():
        raise MarketDataError(
            f"the date {index[index.duplicated()][0].date()} appears twice",
            file=where,
            field="date",
            hint="keep one row per day",
        )
    close = _numeric(body, where=where, what="close")
    close.columns = [str(c).strip() for c in close.columns]
    volume = pd.DataFrame(np.nan, index=close.index, columns=close.columns)
    return _finish_prices(close, volume, where)


def _finish_prices(close: pd.DataFrame, volume: pd.DataFrame, where: str | None) -> _Prices:
    close = close.sort_index()
    volume = volume.reindex(index=close.index, columns=close.columns)
    close.columns = pd.Index([str(c) for c in close.columns], dtype="str", name="ticker")
    volume.columns = close.columns
    close.index.name = volume.index.name = "date"
    if close.empty or close.notna().sum().sum() == 0:
        raise MarketDataError("the prices hold no values", file=where,
                              hint="check the file or frame you passed")
    _check_not_negative(close, where=where, what="close")
    _check_not_negative(volume, where=where, what="volume")
    return _Prices(close=close, volume=volume)


def _parse_snapshot(frame: pd.DataFrame, where: str | None) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise MarketDataError("the snapshot table must be a pandas DataFrame", file=where)
    table = frame.copy()
    columns = {_norm(c): c for c in table.columns}
    if "ticker" in columns:
        table = table.set_index(columns["ticker"])
    table.index = pd.Index([str(t).strip() for t in table.index], dtype="str", name="ticker")
    renamed: dict[Any, str] = {}
    for column in table.columns:
        name = _ALIASES.get(_norm(column), _norm(column))
        if name not in SNAPSHOT_TABLE_COLUMNS:
            suggestion = did_you_mean(name, SNAPSHOT_TABLE_COLUMNS, what="columns")
            raise MarketDataError(
                f"unknown column {column!r} in the snapshot table",
                file=where,
                field=str(column),
                hint=suggestion or "remove it",
            )
        renamed[column] = name
    table = table.rename(columns=renamed)
    if table.index.duplicated().any():
        dupe = table.index[table.index.duplicated()][0]
        raise MarketDataError("a ticker appears twice in the snapshot table", file=where,
                              item=f"ticker {dupe!r}", hint="keep one row per ticker")
    for column in table.columns:
        if column != "currency":
            table[column] = _numeric(table[[column]], where=where, what=column)[column]
            if column in ("shares", "market_cap", "adv"):
                _check_not_negative(table[[column]], where=where, what=column, dated=False)
    if "currency" in table.columns:
        table["currency"] = table["currency"].astype("str").str.strip()
    return table


def _csv_shape_problem(text: str) -> str | None:
    """What is wrong with the first row whose field count differs from the header's (or
    with a quote left open), naming its line; None if every row fits. Blank lines are
    skipped, as pandas does."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    width: int | None = None
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if width is None:
                width = len(row)
            elif len(row) != width:
                line = reader.line_num
                cut = "; it is the last line: was the file cut short?" \
                    if _is_last_row(text, line) else ""
                return f"line {line} has {len(row)} fields but the header has {width}{cut}"
    except csv.Error as exc:
        return f"line {reader.line_num}: {exc}"
    return None


def _is_last_row(text: str, line: int) -> bool:
    """Whether ``line`` (1-based) is the last non-blank line of ``text``."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")  # as csv counts
    while lines and not lines[-1].strip():
        lines.pop()
    return line == len(lines)


def _read_table(path: Path, *, what: str) -> pd.DataFrame:
    file = display_path(path)
    text = read_text(path, error=MarketDataError, what=f"{what} file",
                     fix="save the table as UTF-8 CSV")
    if not text.strip():
        raise MarketDataError(f"the {what} file is empty", file=file,
                              hint="write a header line, e.g. date,ticker,close, then one row per "
                                   "value")
    problem = _csv_shape_problem(text)
    if problem is not None:
        raise MarketDataError(f"{what} file is not valid CSV: {problem}", file=file,
                              hint="give every row as many comma-separated fields as the "
                                   "header, and quote values that contain commas")
    try:
        return pd.read_csv(io.StringIO(text))
    except (ValueError, pd.errors.ParserError) as exc:
        detail = " ".join(str(exc).split())
        raise MarketDataError(f"{what} file could not be read as CSV ({detail})", file=file,
                              hint="check the line given") from None


def _read_parquet(path: Path, *, what: str) -> pd.DataFrame:
    if importlib.util.find_spec("pyarrow") is None and importlib.util.find_spec(
        "fastparquet"
    ) is None:
        raise ProviderUnavailableError(
            "reading Parquet files needs pyarrow",
            file=str(path),
            hint="pip install pyarrow, or save the prices as CSV",
        )
    raw = read_bytes(path, error=MarketDataError, what=f"{what} file")
    try:
        return pd.read_parquet(io.BytesIO(raw))
    except (OSError, ValueError) as exc:
        raise MarketDataError(f"{what} file could not be read as Parquet ({exc})",
                              file=display_path(path),
                              hint="check that it is a Parquet file, or save it as CSV") from None


def _read_any(path: str | Path, *, what: str) -> pd.DataFrame:
    path = Path(path)
    suffixes = "".join(path.suffixes).lower()
    if suffixes.endswith((".parquet", ".pq")):
        return _read_parquet(path, what=what)
    return _read_table(path, what=what)


_Raw = tuple[pd.DataFrame, pd.DataFrame, dict[str, TickerNote]]


class FrameProvider(BaseProvider[_Raw, _Raw]):
    """The provider contract over prices already in memory (see the module docstring).

    >>> provider = FrameProvider.from_file("examples/data/prices.csv",
    ...                                    snapshot="examples/data/snapshot.csv")  # doctest: +SKIP

    ``snapshot`` values are taken as of the reference date: the price is the last
    close on or before it and ``market_cap`` is ``shares`` times that price.
    Without ``as_of`` the reference date is the last date in the prices.
    """

    def __init__(
        self,
        prices: pd.DataFrame,
        *,
        snapshot: pd.DataFrame | None = None,
        fx: FxTable | Mapping[str, float] | pd.DataFrame | None = None,
        name: str = "frame",
        stale_after: int = 5,
        today: Callable[[], dt.date] = utc_today,
        _where: str | None = None,
        _snapshot_where: str | None = None,
    ) -> None:
        super().__init__(name=name, fx=fx, stale_after=stale_after, today=today)
        self._prices = _parse_prices(prices, _where)
        self._snapshot = (_parse_snapshot(snapshot, _snapshot_where)
                          if snapshot is not None else None)

    @classmethod
    def from_file(
        cls,
        prices: str | Path,
        *,
        snapshot: str | Path | pd.DataFrame | None = None,
        fx: str | Path | FxTable | Mapping[str, float] | pd.DataFrame | None = None,
        name: str | None = None,
        stale_after: int = 5,
    ) -> FrameProvider:
        """Read prices (and optionally a snapshot table and FX table) from CSV or Parquet.

        Parquet needs ``pyarrow``; a missing one raises
        :class:`~thesis_lib.errors.ProviderUnavailableError` saying so.
        """
        price_frame = _read_any(prices, what="prices")
        snapshot_where = str(snapshot) if isinstance(snapshot, str | Path) else None
        snap = (_read_any(snapshot, what="snapshot") if isinstance(snapshot, str | Path)
                else snapshot)
        fx_value = _read_any(fx, what="FX") if isinstance(fx, str | Path) else fx
        return cls(price_frame, snapshot=snap, fx=fx_value, name=name or Path(prices).name,
                   stale_after=stale_after, _where=str(prices), _snapshot_where=snapshot_where)

    #: ``from_csv`` and ``from_parquet`` are the same reader; the suffix decides.
    from_csv = from_file
    from_parquet = from_file

    @property
    def tickers(self) -> list[str]:
        """Every ticker (and FX series) the prices hold."""
        return [str(t) for t in self._prices.close.columns]

    @property
    def latest_date(self) -> dt.date:
        """The last date with any price."""
        day: dt.date = pd.Timestamp(self._prices.close.index[-1]).date()
        return day

    def _absent(self, ticker: str) -> TickerNote:
        hint = did_you_mean(ticker, self.tickers, what="tickers") if len(self.tickers) else None
        reason = "not in the price data" + (f" ({hint})" if hint and "did you" in hint else "")
        return TickerNote("missing", reason)

    def _select(self, tickers: tuple[str, ...], start: pd.Timestamp | None,
                end: pd.Timestamp) -> _Raw:
        present = [t for t in tickers if t in self._prices.close.columns]
        notes = {t: self._absent(t) for t in tickers if t not in self._prices.close.columns}
        close = self._prices.close.loc[start:end, present]
        volume = self._prices.volume.loc[start:end, present]
        return close, volume, notes

    # -- history -------------------------------------------------------------------

    def extract_history(self, query: HistoryQuery) -> _Raw:
        if query.interval not in ("1d", "1wk", "1mo"):
            raise MarketDataError(
                f"{type(self).__name__} holds daily prices and cannot give {query.interval!r} bars",
                field="interval",
                hint="use '1d', '1wk' or '1mo'",
            )
        return self._select(query.tickers, pd.Timestamp(query.start), pd.Timestamp(query.end))

    def transform_history(self, query: HistoryQuery, raw: _Raw) -> HistoryFrames:
        close, volume, notes = raw
        if query.interval in _RESAMPLE:
            rule = _RESAMPLE[query.interval]
            close = close.resample(rule, label="left", closed="left").last()
            volume = volume.resample(rule, label="left", closed="left").sum(min_count=1)
        return HistoryFrames(close=close, volume=volume, notes=notes)

    # -- snapshot ------------------------------------------------------------------

    def _reference(self, query: SnapshotQuery) -> dt.date:
        return query.as_of if query.as_of is not None else self.latest_date

    def extract_snapshot(self, query: SnapshotQuery) -> _Raw:
        return self._select(query.tickers, None, pd.Timestamp(self._reference(query)))

    def transform_snapshot(self, query: SnapshotQuery, raw: _Raw) -> SnapshotFrames:
        close, volume, notes = raw
        records: dict[str, dict[str, Any]] = {}
        table = self._snapshot
        for ticker in close.columns:
            series = close[ticker].dropna()
            extra = row_dict(table, ticker) if table is not None else {}
            if series.empty:
                notes[ticker] = TickerNote(
                    "missing", f"no prices on or before {self._reference(query)}")
                continue
            price = float(series.iloc[-1])
            shares = _num(extra.get("shares"))
            market_cap = shares * price if not math.isnan(shares) else _num(
                extra.get("market_cap"))
            adv = _num(extra.get("adv"))
            if math.isnan(adv):
                traded = (close[ticker] * volume[ticker]).dropna().tail(ADV_SESSIONS)
                adv = float(traded.mean()) if len(traded) else math.nan
            currency = extra.get("currency")
            records[ticker] = {
                "price": price,
                "currency": currency if isinstance(currency, str) and currency else None,
                "market_cap": market_cap,
                "adv": adv,
                "pe_trailing": _num(extra.get("pe_trailing")),
                "pe_forward": _num(extra.get("pe_forward")),
                "ev_sales": _num(extra.get("ev_sales")),
                "as_of": pd.Timestamp(series.index[-1]).date(),
            }
        data = pd.DataFrame.from_dict(records, orient="index")
        return SnapshotFrames(data=data, reference=self._reference(query), notes=notes)


def _num(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan
