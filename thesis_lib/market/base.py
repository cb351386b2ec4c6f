"""The provider contract: queries, standard frames, per-ticker status.

A provider has two methods, each built in three steps (the split OpenBB's
fetchers use): *build the query* (validate the request into a pydantic model),
*extract* (the only step that touches the network or a file), *transform*
(turn the source's own shapes into the standard frames below). The first and
last steps are pure, so they are tested offline on recorded shapes.

The standard frames
-------------------

``history(tickers, start, end, interval="1d")`` returns a :class:`HistoryResult`::

    close                      MU      000660.KS   2330.TW       float64, adjusted closes
    date                                                         (split- and dividend-adjusted)
    2026-05-06 00:00:00+00:00  412.1   1.28e6      NaN     <- NaN: no session that day
    2026-05-07 00:00:00+00:00  420.5   1.31e6      1450.0
    ...
    volume                     same index and columns: shares traded, float64

    - index: DatetimeIndex named ``date``, timezone-aware, always UTC. Daily and
      longer bars are stamped at midnight UTC of the session's local date (so a
      Seoul session and a New York session on the same date share a row);
      intraday bars are the bar's start instant converted to UTC.
    - columns: exactly the requested tickers, in request order, named ``ticker``;
      a ticker without data is an all-NaN column, never a dropped one.
    - ``start`` and ``end`` are both inclusive.

``snapshot(tickers, as_of=None)`` returns a :class:`SnapshotResult` whose ``data`` is::

    ticker     price   currency  market_cap  market_cap_usd  adv_usd  pe_trailing  ...
    MU         420.5   USD       4.7e11      4.7e11          1.2e10   31.0
    000660.KS  1.31e6  KRW       9.5e14      6.6e11          1.1e9    9.8
    RR.L       1180.0  GBp       1.0e13      1.3e11          2.9e8    NaN

    index ``ticker`` (request order, one row per requested ticker); float64 columns
    price, market_cap, market_cap_usd, adv_usd, pe_trailing, pe_forward, ev_sales,
    fx_rate_usd; string columns currency, as_of (ISO date of the price), source.

    - ``price`` and ``market_cap`` are in the quote currency as the source reports
      it, minor units included (pence for ``GBp``); ``fx_rate_usd`` is dollars per
      one quote unit, so ``market_cap_usd == market_cap * fx_rate_usd``.
    - ``adv_usd`` is the average daily traded value (price x volume) over about
      three months, in dollars.
    - ``SnapshotResult.fx`` lists the rates used (currency, rate_to_usd, date, source)
      and ``SnapshotResult.as_of`` is the reference date the values were taken for.

Both results carry ``status``, one row per requested ticker::

    ticker     status   reason                                        source    as_of
    MU         ok                                                     yfinance  2026-05-07
    BAD        missing  possibly delisted; no timezone found          yfinance  NaN
    OLD        stale    last price on 2026-04-02, 25 business days... yfinance  2026-04-02

    status is one of ``ok``, ``missing`` (the source does not know the ticker or has
    no data), ``stale`` (last price older than ``stale_after`` business days before
    the reference date), ``failed`` (an error, with its reason) and ``private``
    (used by :func:`~thesis_lib.market.attach.add_market_data` for unlisted companies).
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar, get_args, runtime_checkable

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from thesis_lib.errors import MarketDataError, Problem
from thesis_lib.frame import MARKET_SNAPSHOT_COLUMNS
from thesis_lib.market._pandas import datetime_index, row_dict, text
from thesis_lib.market.fx import FxRate, FxTable, fx_frame, normalise_currency, rates_from_closes
from thesis_lib.market.problems import IncompleteDataWarning, describe_tickers

__all__ = [
    "INTERVALS",
    "SNAPSHOT_COLUMNS",
    "SNAPSHOT_FLOAT_COLUMNS",
    "STATUS_COLUMNS",
    "STATUS_VALUES",
    "BaseProvider",
    "HistoryFrames",
    "HistoryQuery",
    "HistoryResult",
    "MarketDataProvider",
    "SnapshotFrames",
    "SnapshotQuery",
    "SnapshotResult",
    "StatusValue",
    "TickerNote",
    "TickerStatus",
]

StatusValue = Literal["ok", "missing", "stale", "failed", "private"]
STATUS_VALUES: tuple[str, ...] = get_args(StatusValue)
STATUS_COLUMNS: tuple[str, ...] = ("status", "reason", "source", "as_of")

Interval = Literal[
    "1m", "2m", "5m", "15m", "30m", "60m", "90m", "1h", "1d", "5d", "1wk", "1mo", "3mo"
]
INTERVALS: tuple[str, ...] = get_args(Interval)

SNAPSHOT_FLOAT_COLUMNS: tuple[str, ...] = MARKET_SNAPSHOT_COLUMNS
# price, currency, then the other numeric fields, then where and when they come from.
SNAPSHOT_COLUMNS: tuple[str, ...] = (
    MARKET_SNAPSHOT_COLUMNS[0], "currency", *MARKET_SNAPSHOT_COLUMNS[1:], "as_of", "source"
)
#: Columns a provider's transform step returns for a snapshot (quote-currency values).
LOCAL_SNAPSHOT_COLUMNS: tuple[str, ...] = (
    "price",
    "currency",
    "market_cap",
    "adv",
    "pe_trailing",
    "pe_forward",
    "ev_sales",
    "as_of",
)
_LOCAL_FLOATS = ("price", "market_cap", "adv", "pe_trailing", "pe_forward", "ev_sales")

#: How far back to look for an FX quote before the reference date.
FX_LOOKBACK_DAYS = 14


# --------------------------------------------------------------------------- queries


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def _clean_tickers(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable):
        raise ValueError("give the tickers as a list of strings")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"every ticker must be a non-empty string, got {item!r}")
        out.append(item.strip())
    if not out:
        raise ValueError("no tickers requested")
    dupes = sorted({t for t in out if out.count(t) > 1})
    if dupes:
        raise ValueError(f"duplicate tickers: {', '.join(dupes)}")
    return tuple(out)


_Q = TypeVar("_Q", bound="_Frozen")


def _build(model: type[_Q], data: dict[str, Any]) -> _Q:
    try:
        return model(**data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            where = ".".join(str(p) for p in err["loc"]) or None
            message = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(message, item=model.__name__, field=where))
        raise MarketDataError(problems) from None


class HistoryQuery(_Frozen):
    """A validated history request: tickers (unique, in order), inclusive dates, interval."""

    tickers: tuple[str, ...]
    start: dt.date
    end: dt.date
    interval: Interval = "1d"

    _tickers = field_validator("tickers", mode="before")(_clean_tickers)

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: dt.date, info: Any) -> dt.date:
        start = info.data.get("start")
        if isinstance(start, dt.date) and end < start:
            raise ValueError(f"end {end} is before start {start}")
        return end

    @classmethod
    def build(
        cls,
        tickers: Sequence[str] | str,
        start: dt.date,
        end: dt.date,
        interval: str = "1d",
    ) -> HistoryQuery:
        """Validate a request; problems raise :class:`~thesis_lib.errors.MarketDataError`."""
        return _build(
            cls,
            {"tickers": tickers, "start": _as_date(start), "end": _as_date(end),
             "interval": interval},
        )

    @property
    def intraday(self) -> bool:
        """Whether bars are shorter than a day (``1m`` ... ``1h``)."""
        return self.interval.endswith(("m", "h"))


class SnapshotQuery(_Frozen):
    """A validated snapshot request: tickers and an optional reference date."""

    tickers: tuple[str, ...]
    as_of: dt.date | None = None

    _tickers = field_validator("tickers", mode="before")(_clean_tickers)

    @classmethod
    def build(cls, tickers: Sequence[str] | str, as_of: dt.date | None = None) -> SnapshotQuery:
        """Validate a request; problems raise :class:`~thesis_lib.errors.MarketDataError`."""
        return _build(cls, {"tickers": tickers, "as_of": _as_date(as_of)})


def _as_date(value: Any) -> Any:
    """Datetimes and Timestamps become dates; anything else is left for pydantic."""
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    return value


class TickerStatus(_Frozen):
    """One ticker's outcome: status, why, which source, and the date of its last price."""

    ticker: str
    status: StatusValue
    reason: str = ""
    source: str = ""
    as_of: dt.date | None = None


@dataclass(frozen=True, slots=True)
class TickerNote:
    """What a provider's transform step knows went wrong with one ticker."""

    status: Literal["missing", "failed"]
    reason: str


# --------------------------------------------------------------------------- frames

def status_frame(rows: Iterable[TickerStatus]) -> pd.DataFrame:
    """The standard status frame (index ``ticker``; status, reason, source, as_of)."""
    rows = list(rows)
    index = pd.Index([r.ticker for r in rows], dtype="str", name="ticker")
    return pd.DataFrame(
        {
            "status": text([r.status for r in rows], index),
            "reason": text([r.reason for r in rows], index),
            "source": text([r.source for r in rows], index),
            "as_of": text([r.as_of.isoformat() if r.as_of else None for r in rows], index),
        },
        index=index,
    )


def _check_status(status: pd.DataFrame, tickers: Sequence[str], what: str) -> list[str]:
    errors: list[str] = []
    if list(status.columns) != list(STATUS_COLUMNS):
        errors.append(f"{what} status columns are {list(status.columns)}, "
                      f"expected {list(STATUS_COLUMNS)}")
    if list(status.index) != list(tickers):
        errors.append(f"{what} status does not have one row per requested ticker, in order")
    elif "status" in status.columns:
        bad = sorted(set(status["status"].dropna()) - set(STATUS_VALUES))
        if bad or status["status"].isna().any():
            errors.append(f"{what} status has values outside {STATUS_VALUES}: {bad}")
    return errors


class _WithStatus:
    """What both results share: a status table with one row per requested ticker."""

    status: pd.DataFrame

    def not_ok(self) -> pd.DataFrame:
        """The status rows that are not ``ok``."""
        return self.status[self.status["status"] != "ok"]


@dataclass(frozen=True, eq=False)
class HistoryResult(_WithStatus):
    """Adjusted closes and volumes (wide, UTC dates x tickers) with per-ticker status."""

    close: pd.DataFrame
    volume: pd.DataFrame
    status: pd.DataFrame
    source: str

    def __post_init__(self) -> None:
        errors: list[str] = []
        tickers = list(self.close.columns)
        if not isinstance(self.close.index, pd.DatetimeIndex) or self.close.index.tz is None:
            errors.append("history index must be a timezone-aware DatetimeIndex")
        elif str(self.close.index.tz) != "UTC":
            errors.append("history index must be in UTC")
        if not self.close.index.equals(self.volume.index) or list(self.volume.columns) != tickers:
            errors.append("history close and volume must have the same index and columns")
        if any(dtype != np.dtype("float64") for dtype in self.close.dtypes):
            errors.append("history closes must be float64")
        errors += _check_status(self.status, tickers, "history")
        if errors:
            raise MarketDataError([Problem(e, item=f"provider {self.source!r}") for e in errors])

    @property
    def tickers(self) -> list[str]:
        """The requested tickers, in order."""
        return [str(t) for t in self.close.columns]



@dataclass(frozen=True, eq=False)
class SnapshotResult(_WithStatus):
    """One row per ticker (see the module docstring), the FX rates used, and status."""

    data: pd.DataFrame
    status: pd.DataFrame
    fx: pd.DataFrame
    as_of: dt.date
    source: str

    def __post_init__(self) -> None:
        errors: list[str] = []
        if list(self.data.columns) != list(SNAPSHOT_COLUMNS):
            errors.append(f"snapshot columns are {list(self.data.columns)}, "
                          f"expected {list(SNAPSHOT_COLUMNS)}")
        else:
            wrong = [c for c in SNAPSHOT_FLOAT_COLUMNS
                     if self.data[c].dtype != np.dtype("float64")]
            if wrong:
                errors.append(f"snapshot columns must be float64: {wrong}")
        errors += _check_status(self.status, list(self.data.index), "snapshot")
        if list(self.fx.columns) != ["currency", "rate_to_usd", "date", "source"]:
            errors.append("snapshot fx must have columns currency, rate_to_usd, date, source")
        if errors:
            raise MarketDataError([Problem(e, item=f"provider {self.source!r}") for e in errors])

    @property
    def tickers(self) -> list[str]:
        """The requested tickers, in order."""
        return [str(t) for t in self.data.index]



@dataclass
class HistoryFrames:
    """What a provider's history transform returns before the common finishing step.

    ``close`` and ``volume`` are wide frames (dates x tickers; any subset of the
    requested tickers; naive or aware dates); ``notes`` explain failed or missing tickers.
    """

    close: pd.DataFrame
    volume: pd.DataFrame | None = None
    notes: dict[str, TickerNote] = field(default_factory=dict)


@dataclass
class SnapshotFrames:
    """What a provider's snapshot transform returns before FX and status are added.

    ``data`` is indexed by ticker (any subset) with :data:`LOCAL_SNAPSHOT_COLUMNS`
    (``adv`` is traded value in quote-currency units, ``as_of`` a date or ``None``);
    ``reference`` is the date the snapshot is for.
    """

    data: pd.DataFrame
    reference: dt.date
    notes: dict[str, TickerNote] = field(default_factory=dict)


# --------------------------------------------------------------------------- protocol


@runtime_checkable
class MarketDataProvider(Protocol):
    """Anything that can give history and snapshots in the standard frames."""

    @property
    def name(self) -> str:
        """A short name of the source, e.g. ``"yfinance"``; recorded in status and cache keys."""
        ...

    def history(
        self,
        tickers: Sequence[str],
        start: dt.date,
        end: dt.date,
        interval: str = "1d",
    ) -> HistoryResult:
        """Adjusted closes and volumes from ``start`` to ``end`` (inclusive)."""
        ...

    def snapshot(
        self, tickers: Sequence[str], *, as_of: dt.date | None = None
    ) -> SnapshotResult:
        """Price, currency, size, liquidity and valuation per ticker."""
        ...


def utc_today() -> dt.date:
    """Today's date in UTC."""
    return dt.datetime.now(dt.UTC).date()


RawHistory = TypeVar("RawHistory")
RawSnapshot = TypeVar("RawSnapshot")


class BaseProvider(ABC, Generic[RawHistory, RawSnapshot]):
    """The three-step template every built-in provider follows.

    Subclasses implement :meth:`extract_history` / :meth:`extract_snapshot` (the
    only steps allowed to do I/O) and :meth:`transform_history` /
    :meth:`transform_snapshot` (pure). This class validates queries, puts the
    frames into the standard shape, converts to dollars, decides ``stale``, and
    warns when anything is not ``ok``.

    ``fx`` is an optional table of dollar rates (an :class:`FxTable`, a mapping
    ``{"KRW": 0.00072}`` or a frame); currencies it lacks are quoted from the
    provider itself through ``XXX=X`` series. ``stale_after`` is the number of
    business days a last price may lag the reference date. ``today`` is injectable.
    """

    def __init__(
        self,
        *,
        name: str,
        fx: FxTable | Mapping[str, float] | pd.DataFrame | None = None,
        stale_after: int = 5,
        today: Callable[[], dt.date] = utc_today,
    ) -> None:
        if stale_after < 0:
            raise MarketDataError("stale_after cannot be negative", field="stale_after")
        self._name = name
        self.fx = FxTable.coerce(fx)
        self.stale_after = stale_after
        self.today = today
        self._fx_memo: dict[tuple[str, dt.date], tuple[FxRate | None, str]] = {}

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r})"

    # -- public API ----------------------------------------------------------------

    def history(
        self,
        tickers: Sequence[str],
        start: dt.date,
        end: dt.date,
        interval: str = "1d",
    ) -> HistoryResult:
        """Adjusted closes and volumes in the standard frame (see the module docstring).

        Never drops a ticker: one that fails is an all-NaN column with a status row,
        and an :class:`IncompleteDataWarning` names it.
        """
        query = HistoryQuery.build(tickers, start, end, interval)
        result = self.run_history(query)
        warn_incomplete(result.status, what="history", source=self.name)
        return result

    def snapshot(
        self, tickers: Sequence[str], *, as_of: dt.date | None = None
    ) -> SnapshotResult:
        """One row per ticker with price, currency, size, liquidity, valuation and FX.

        ``as_of`` is the reference date (default: the provider's latest data).
        """
        query = SnapshotQuery.build(tickers, as_of)
        result = self.run_snapshot(query)
        warn_incomplete(result.status, what="snapshot", source=self.name)
        return result

    # -- the template --------------------------------------------------------------

    def run_history(self, query: HistoryQuery) -> HistoryResult:
        """Extract, transform and finish a history query, without warning."""
        raw = self.extract_history(query)
        frames = self.transform_history(query, raw)
        return finish_history(
            query, frames, source=self.name, stale_after=self.stale_after, today=self.today()
        )

    def run_snapshot(self, query: SnapshotQuery) -> SnapshotResult:
        """Extract, transform and finish a snapshot query (FX included), without warning."""
        raw = self.extract_snapshot(query)
        frames = self.transform_snapshot(query, raw)
        currencies = _currencies(frames.data)
        table, fx_problems = self.fx_rates(currencies, frames.reference)
        return finish_snapshot(
            query, frames, table, fx_problems, source=self.name, stale_after=self.stale_after
        )

    @abstractmethod
    def extract_history(self, query: HistoryQuery) -> RawHistory:
        """Fetch whatever the source gives for ``query`` (the only step with I/O)."""

    @abstractmethod
    def transform_history(self, query: HistoryQuery, raw: RawHistory) -> HistoryFrames:
        """Turn the source's shapes into wide close/volume frames and notes."""

    @abstractmethod
    def extract_snapshot(self, query: SnapshotQuery) -> RawSnapshot:
        """Fetch whatever the source gives for ``query`` (the only step with I/O)."""

    @abstractmethod
    def transform_snapshot(self, query: SnapshotQuery, raw: RawSnapshot) -> SnapshotFrames:
        """Turn the source's shapes into quote-currency snapshot rows and notes."""

    # -- FX ------------------------------------------------------------------------

    def fx_rates(
        self, currencies: Iterable[str], as_of: dt.date
    ) -> tuple[FxTable, dict[str, str]]:
        """Dollar rates for ``currencies`` on or before ``as_of`` and, per currency
        without one, the reason.

        The user's table wins; other currencies are quoted from this provider's own
        ``XXX=X`` series (remembered per currency and date, so batches do not refetch).
        """
        majors = sorted({normalise_currency(c)[0] for c in currencies} - {"USD"})
        found: list[FxRate] = []
        problems: dict[str, str] = {}
        wanted: list[str] = []
        for major in majors:
            if self.fx is not None and (hit := self.fx.lookup(major)) is not None:
                found.append(hit[1])
            elif (major, as_of) in self._fx_memo:
                rate, why = self._fx_memo[(major, as_of)]
                if rate is None:
                    problems[major] = why
                else:
                    found.append(rate)
            else:
                wanted.append(major)
        if wanted:
            fetched, fetch_problems = self.quote_fx(wanted, as_of)
            for major in wanted:
                hit = fetched.lookup(major)
                if hit is None:
                    why = fetch_problems.get(major, f"no {major}=X quote")
                    self._fx_memo[(major, as_of)] = (None, why)
                    problems[major] = why
                else:
                    self._fx_memo[(major, as_of)] = (hit[1], "")
                    found.append(hit[1])
        return FxTable(found), problems

    def quote_fx(self, currencies: Sequence[str], as_of: dt.date) -> tuple[FxTable, dict[str, str]]:
        """Quote ``XXX=X`` series through :meth:`run_history` (override to change)."""
        symbols = [f"{c}=X" for c in currencies]
        query = HistoryQuery.build(symbols, as_of - dt.timedelta(days=FX_LOOKBACK_DAYS), as_of)
        try:
            history = self.run_history(query)
        except MarketDataError as exc:
            return FxTable(), {c: f"FX quotes failed: {exc}" for c in currencies}
        table, problems = rates_from_closes(history.close, currencies, source=self.name)
        for currency in currencies:
            if currency in problems:
                reason = history.status["reason"].get(f"{currency}=X")
                if isinstance(reason, str) and reason:
                    problems[currency] += f" ({reason})"
        return table, problems


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
    for kind in ("missing", "failed", "stale"):
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
