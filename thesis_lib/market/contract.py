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

    status is one of ``ok``, ``missing`` (the source answered that it does not know the
    ticker or has no data for it), ``stale`` (last price older than ``stale_after``
    business days before the reference date), ``unavailable`` (a transient failure -
    timeout, dropped connection, HTTP 5xx, rate limit - that lasted through the retries:
    nothing is known about the ticker, so try again later; never cached), ``failed``
    (any other error, with its reason) and ``private`` (used by
    :func:`~thesis_lib.market.attach.add_market_data` for unlisted companies).
"""


from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar, get_args, runtime_checkable

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from thesis_lib.errors import MarketDataError, Problem
from thesis_lib.frame import MARKET_SNAPSHOT_COLUMNS
from thesis_lib.market._pandas import text

__all__ = [
    "INTERVALS",
    "SNAPSHOT_COLUMNS",
    "SNAPSHOT_FLOAT_COLUMNS",
    "STATUS_COLUMNS",
    "STATUS_VALUES",
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

StatusValue = Literal["ok", "missing", "stale", "unavailable", "failed", "private"]
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

    status: Literal["missing", "unavailable", "failed"]
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

