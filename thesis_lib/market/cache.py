"""An on-disk cache in front of any provider.

Each entry holds one ticker's answer to one request and is keyed by provider
name, ticker, field (``history`` or ``snapshot``) and date range (plus interval),
so a request for ten tickers reuses the eight already cached and fetches two.
Entries live ``ttl`` long (12 hours by default), except ``missing`` answers, which
live ``missing_ttl`` (1 hour by default): a symbol Yahoo did not know this morning
may be a new listing, or the answer a glitch, so it is asked again soon.
``refresh=True`` ignores every entry and fetches again.

Entries are JSON files written atomically (temporary file in the same folder,
flushed and synced, then renamed over the target), so a process killed while
writing leaves either the old entry or none, never half of one.

Every read survives any bytes. An entry that is not a regular file, is larger than
:data:`MAX_ENTRY_BYTES`, is not UTF-8, is not JSON (or is nested too deeply), has
another format version or key, or whose payload has a wrong shape (a ``close``
that is not a list of finite numbers or nulls, lists of different lengths, a date
that does not parse, an unknown status, ...) gives a
:class:`~thesis_lib.market.CacheWarning`, is removed and fetched again.

Only ``ok``, ``stale`` and ``missing`` answers are cached; ``unavailable`` and
``failed`` ones (rate limits, timeouts, server errors, anything unexpected) are
always asked again. When some tickers come from the cache and the source gives up
on all the others (every one rate-limited or timed out), those others are
``unavailable`` and the cached ones are still served; an unreachable source or a
passed deadline still raises.

The default folder is ``$THESIS_LIB_CACHE_DIR`` if set, else the per-user cache
folder: ``~/.cache/thesis-lib/market`` on Linux (or ``$XDG_CACHE_HOME``),
``~/Library/Caches/thesis-lib/market`` on macOS, and
``%LOCALAPPDATA%\\thesis-lib\\Cache\\market`` on Windows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import stat
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from thesis_lib.errors import MarketDataError, RateLimitError, SourceUnavailableError
from thesis_lib.loading import write_atomic
from thesis_lib.market._pandas import as_float, datetime_index, row_dict, text
from thesis_lib.market.base import (
    SNAPSHOT_COLUMNS,
    SNAPSHOT_FLOAT_COLUMNS,
    HistoryQuery,
    HistoryResult,
    MarketDataProvider,
    SnapshotQuery,
    SnapshotResult,
    TickerStatus,
    status_frame,
    utc_today,
    warn_incomplete,
)
from thesis_lib.market.fx import FxRate, fx_frame
from thesis_lib.market.problems import (
    CacheWarning,
    DeadlineExceededError,
    SourceUnreachableError,
    gathered_incomplete_warnings,
)

__all__ = ["CachedProvider", "default_cache_dir"]

FORMAT_VERSION = 1
CACHEABLE = frozenset({"ok", "stale", "missing"})
_TMP_SUFFIX = ".tmp"
#: The largest cache entry read (bytes); a larger file is treated as corrupt.
MAX_ENTRY_BYTES = 16 * 1024 * 1024
#: How long a ``missing`` answer is served from the cache unless told otherwise.
DEFAULT_MISSING_TTL = dt.timedelta(hours=1)


def default_cache_dir() -> Path:
    """Where the cache lives unless told otherwise (see the module docstring)."""
    override = os.environ.get("THESIS_LIB_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    home = Path.home()
    if sys.platform.startswith("win"):
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        return base / "thesis-lib" / "Cache" / "market"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "thesis-lib" / "market"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else home / ".cache") / "thesis-lib" / "market"


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so readers see the old file or the new one, never a part."""
    write_atomic(path, text, suffix=_TMP_SUFFIX)


def _clean(value: Any) -> Any:
    """JSON-safe: NaN becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _floats(values: Sequence[Any]) -> list[float | None]:
    return [_clean(float(v)) if v is not None else None for v in values]


class _CorruptEntryError(Exception):
    """An entry that cannot be used."""


class CachedProvider:
    """Wrap ``provider`` with an on-disk cache (see the module docstring).

    ``directory`` defaults to :func:`default_cache_dir`; ``ttl`` is how long an entry
    is fresh; ``missing_ttl`` how long a ``missing`` answer is (the sooner of the two
    applies); ``refresh=True`` refetches everything (and rewrites the entries).
    ``clock`` (seconds since the epoch) and ``today`` are injectable for tests.
    """

    def __init__(
        self,
        provider: MarketDataProvider,
        *,
        directory: str | Path | None = None,
        ttl: dt.timedelta = dt.timedelta(hours=12),
        missing_ttl: dt.timedelta = DEFAULT_MISSING_TTL,
        refresh: bool = False,
        clock: Callable[[], float] = time.time,
        today: Callable[[], dt.date] = utc_today,
    ) -> None:
        for name, value in (("ttl", ttl), ("missing_ttl", missing_ttl)):
            if not isinstance(value, dt.timedelta) or value < dt.timedelta(0):
                raise MarketDataError(f"{name} must be a non-negative datetime.timedelta, "
                                      f"got {value!r}", field=name,
                                      hint=f"e.g. {name}=datetime.timedelta(hours=1)")
        self.provider = provider
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.ttl = ttl
        self.missing_ttl = missing_ttl
        self.refresh = refresh
        self._clock = clock
        self._today = today

    @property
    def name(self) -> str:
        """The wrapped provider's name (the cache is transparent)."""
        return self.provider.name

    def __repr__(self) -> str:
        return f"CachedProvider({self.provider!r}, directory={str(self.directory)!r})"

    # -- entries -------------------------------------------------------------------

    def _key(self, ticker: str, field: str, **parts: str) -> dict[str, str]:
        return {"provider": self.provider.name, "ticker": ticker, "field": field, **parts}

    def path_for(self, key: dict[str, str]) -> Path:
        """The file that holds the entry for ``key``."""
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in key["provider"])
        return self.directory / safe / key["field"] / digest[:2] / f"{digest}.json"

    def _read(self, key: dict[str, str]) -> dict[str, Any] | None:
        """The fresh payload for ``key``, or ``None`` (absent, expired, or unusable: then
        a :class:`CacheWarning` and the entry is removed)."""
        path = self.path_for(key)
        try:
            raw = _read_capped(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._report(path, f"could not be read ({exc})")
            return None
        try:
            if raw is None:
                raise _CorruptEntryError("it is not a regular file or is too large")
            entry = json.loads(raw.decode("utf-8"))
            if not isinstance(entry, dict) or entry.get("version") != FORMAT_VERSION:
                raise _CorruptEntryError("unknown format")
            if entry.get("key") != key:
                raise _CorruptEntryError("it belongs to another request")
            created = _number(entry.get("created"), "created")
            if created is None:
                raise _CorruptEntryError("no creation time")
            payload = entry["payload"]
            if not isinstance(payload, dict):
                raise _CorruptEntryError("no payload")
            if key["field"] == "history":
                _check_history_payload(payload)
            else:
                _check_snapshot_payload(payload)
        except (ValueError, KeyError, TypeError, RecursionError, _CorruptEntryError) as exc:
            self._report(path, f"is unreadable ({type(exc).__name__}: {_short(exc)})")
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        ttl = self.ttl
        if payload["status"] == "missing":
            ttl = min(ttl, self.missing_ttl)
        if self.refresh or self._clock() - created > ttl.total_seconds():
            return None
        return payload

    def _write(self, key: dict[str, str], payload: dict[str, Any]) -> None:
        entry = {"version": FORMAT_VERSION, "key": key, "created": self._clock(),
                 "payload": payload}
        try:
            atomic_write_text(self.path_for(key), json.dumps(entry, allow_nan=False))
        except (OSError, ValueError) as exc:
            warnings.warn(f"could not write a cache entry in {self.directory} ({exc}); "
                          "continuing without caching it", CacheWarning, stacklevel=4)

    @staticmethod
    def _report(path: Path, what: str) -> None:
        warnings.warn(f"cache entry {path} {what}; fetching it again", CacheWarning,
                      stacklevel=5)

    def clear(self) -> int:
        """Delete every entry (and leftover temporary file) of this provider; returns how many."""
        root = self.path_for(self._key("x", "history")).parents[2]
        count = 0
        if root.is_dir():
            for file in root.rglob("*"):
                if file.is_file() and file.suffix in (".json", _TMP_SUFFIX):
                    with contextlib.suppress(OSError):
                        file.unlink()
                        count += 1
        return count

    # -- history -------------------------------------------------------------------

    def history(
        self,
        tickers: Sequence[str],
        start: dt.date,
        end: dt.date,
        interval: str = "1d",
    ) -> HistoryResult:
        """The wrapped provider's history, served from the cache where fresh."""
        query = HistoryQuery.build(tickers, start, end, interval)
        parts = {"start": query.start.isoformat(), "end": query.end.isoformat(),
                 "interval": query.interval}
        cached: dict[str, dict[str, Any]] = {}
        for ticker in query.tickers:
            payload = self._read(self._key(ticker, "history", **parts))
            if payload is not None:
                cached[ticker] = payload
        todo = [t for t in query.tickers if t not in cached]
        fresh: HistoryResult | None = None
        gave_up = ""
        if todo:
            try:
                with gathered_incomplete_warnings():
                    fresh = self.provider.history(todo, query.start, query.end,
                                                  query.interval)
            except (RateLimitError, SourceUnavailableError) as exc:
                gave_up = _gave_up(exc, cached)
            if fresh is not None:
                for ticker in todo:
                    row = fresh.status.loc[ticker]
                    if row["status"] in CACHEABLE:
                        self._write(self._key(ticker, "history", **parts),
                                    _history_payload(fresh, ticker))
        result = _merge_history(query, cached, fresh, source=self.name, gave_up=gave_up)
        warn_incomplete(result.status, what="history", source=self.name)
        return result

    # -- snapshot ------------------------------------------------------------------

    def snapshot(
        self, tickers: Sequence[str], *, as_of: dt.date | None = None
    ) -> SnapshotResult:
        """The wrapped provider's snapshot, served from the cache where fresh.

        Without ``as_of`` the entry is keyed by today's date, so a new day refetches.
        """
        query = SnapshotQuery.build(tickers, as_of)
        day = query.as_of.isoformat() if query.as_of else f"latest:{self._today().isoformat()}"
        cached: dict[str, dict[str, Any]] = {}
        for ticker in query.tickers:
            payload = self._read(self._key(ticker, "snapshot", as_of=day))
            if payload is not None:
                cached[ticker] = payload
        todo = [t for t in query.tickers if t not in cached]
        fresh: SnapshotResult | None = None
        gave_up = ""
        if todo:
            try:
                with gathered_incomplete_warnings():
                    fresh = self.provider.snapshot(todo, as_of=query.as_of)
            except (RateLimitError, SourceUnavailableError) as exc:
                gave_up = _gave_up(exc, cached)
            if fresh is not None:
                for ticker in todo:
                    if fresh.status.loc[ticker, "status"] in CACHEABLE:
                        self._write(self._key(ticker, "snapshot", as_of=day),
                                    _snapshot_payload(fresh, ticker))
        result = _merge_snapshot(query, cached, fresh, source=self.name, gave_up=gave_up)
        warn_incomplete(result.status, what="snapshot", source=self.name)
        return result


def _gave_up(exc: MarketDataError, cached: dict[str, dict[str, Any]]) -> str:
    """The reason for the tickers the source gave up on, or re-raise ``exc`` when nothing
    came from the cache (or the source cannot be reached, or time is up)."""
    if not cached or isinstance(exc, SourceUnreachableError | DeadlineExceededError):
        raise exc
    return str(exc.problem.message)


# --------------------------------------------------------------------------- reading


def _read_capped(path: Path) -> bytes | None:
    """The bytes of ``path``; ``None`` when it is not a regular file or is too large.

    Never blocks on a FIFO or device (checked first, and opened non-blocking) and never
    reads more than :data:`MAX_ENTRY_BYTES` + 1 bytes.
    """
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
        return None
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_ENTRY_BYTES + 1)
    finally:
        os.close(fd)
    return None if len(data) > MAX_ENTRY_BYTES else data


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text[:200]


def _number(value: Any, what: str) -> float | None:
    """A finite JSON number, or ``None`` for null; anything else is corrupt."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _CorruptEntryError(f"{what} is {type(value).__name__}, not a number")
    out = float(value)
    if not math.isfinite(out):
        raise _CorruptEntryError(f"{what} is not finite")
    return out


def _text(value: Any, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _CorruptEntryError(f"{what} is {type(value).__name__}, not text")


def _iso_date(value: Any, what: str) -> None:
    text = _text(value, what)
    if text:
        dt.date.fromisoformat(text)


def _numbers(value: Any, what: str, length: int | None = None) -> None:
    if not isinstance(value, list):
        raise _CorruptEntryError(f"{what} is {type(value).__name__}, not a list")
    if length is not None and len(value) != length:
        raise _CorruptEntryError(f"{what} has {len(value)} values for {length} dates")
    for item in value:
        _number(item, what)


def _check_status_payload(payload: dict[str, Any]) -> None:
    if payload.get("status") not in CACHEABLE:
        raise _CorruptEntryError(f"status {payload.get('status')!r} is never cached")
    _text(payload.get("reason"), "reason")
    _iso_date(payload.get("as_of"), "as_of")


def _check_history_payload(payload: dict[str, Any]) -> None:
    """Raise unless ``payload`` is a history entry :func:`_merge_history` can use."""
    _check_status_payload(payload)
    dates = payload["dates"]
    if not isinstance(dates, list):
        raise _CorruptEntryError(f"dates is {type(dates).__name__}, not a list")
    for item in dates:
        text = _text(item, "dates")
        if not text:
            raise _CorruptEntryError("an empty date")
        stamp = dt.datetime.fromisoformat(text)
        if stamp.tzinfo is None:
            raise _CorruptEntryError(f"date {text!r} has no timezone")
    _numbers(payload["close"], "close", len(dates))
    _numbers(payload["volume"], "volume", len(dates))


def _check_snapshot_payload(payload: dict[str, Any]) -> None:
    """Raise unless ``payload`` is a snapshot entry :func:`_merge_snapshot` can use."""
    _check_status_payload(payload)
    values = payload["values"]
    if not isinstance(values, dict):
        raise _CorruptEntryError(f"values is {type(values).__name__}, not an object")
    for column in SNAPSHOT_FLOAT_COLUMNS:
        _number(values.get(column), column)
    _text(payload.get("currency"), "currency")
    _iso_date(payload.get("row_as_of"), "row_as_of")
    reference = _text(payload["reference"], "reference")
    if not reference:
        raise _CorruptEntryError("no reference date")
    dt.date.fromisoformat(reference)
    fx = payload.get("fx", [])
    if not isinstance(fx, list):
        raise _CorruptEntryError(f"fx is {type(fx).__name__}, not a list")
    for rate in fx:
        if not isinstance(rate, dict) or not isinstance(rate.get("currency"), str):
            raise _CorruptEntryError("an fx rate without a currency")
        value = _number(rate.get("rate_to_usd"), "rate_to_usd")
        if value is None or value <= 0:
            raise _CorruptEntryError("an fx rate that is not positive")
        _iso_date(rate.get("date"), "fx date")
        _text(rate.get("source"), "fx source")


# --------------------------------------------------------------------------- payloads


def _status_payload(status: pd.DataFrame, ticker: str) -> dict[str, Any]:
    row = status.loc[ticker]
    as_of = row["as_of"]
    return {
        "status": str(row["status"]),
        "reason": str(row["reason"]) if isinstance(row["reason"], str) else "",
        "as_of": as_of if isinstance(as_of, str) and as_of else None,
    }


def _status_row(ticker: str, payload: dict[str, Any], source: str) -> TickerStatus:
    status = payload["status"]
    as_of = payload.get("as_of")
    return TickerStatus(
        ticker=ticker,
        status=status,
        reason=str(payload.get("reason") or ""),
        source=source,
        as_of=dt.date.fromisoformat(as_of) if as_of else None,
    )


def _history_payload(result: HistoryResult, ticker: str) -> dict[str, Any]:
    close = result.close[ticker].dropna()
    volume = result.volume[ticker].reindex(close.index)
    return {
        "dates": [stamp.isoformat() for stamp in close.index],
        "close": _floats(close.tolist()),
        "volume": _floats(volume.tolist()),
        **_status_payload(result.status, ticker),
    }


def _merge_history(
    query: HistoryQuery,
    cached: dict[str, dict[str, Any]],
    fresh: HistoryResult | None,
    *,
    source: str,
    gave_up: str = "",
) -> HistoryResult:
    closes: dict[str, pd.Series] = {}
    volumes: dict[str, pd.Series] = {}
    rows: list[TickerStatus] = []
    for ticker in query.tickers:
        if ticker in cached:
            payload = cached[ticker]
            try:
                index = pd.DatetimeIndex(pd.to_datetime(payload["dates"], utc=True))
                closes[ticker] = pd.Series(payload["close"], index=index, dtype="float64")
                volumes[ticker] = pd.Series(payload["volume"], index=index, dtype="float64")
                rows.append(_status_row(ticker, payload, source))
                continue
            except (KeyError, ValueError, TypeError, MarketDataError):
                pass  # an unusable payload: fall through to NaNs with a failed status
            rows.append(TickerStatus(ticker=ticker, status="failed", source=source,
                                     reason="cache entry unusable; run again with refresh=True"))
        elif fresh is not None:
            closes[ticker] = fresh.close[ticker]
            volumes[ticker] = fresh.volume[ticker]
            rows.append(_status_row(ticker, _status_payload(fresh.status, ticker), source))
        else:
            rows.append(TickerStatus(ticker=ticker, status="unavailable", source=source,
                                     reason=gave_up))
    close = pd.DataFrame(closes).reindex(columns=list(query.tickers))
    volume = pd.DataFrame(volumes).reindex(index=close.index, columns=list(query.tickers))
    if not isinstance(close.index, pd.DatetimeIndex) or close.index.tz is None:
        close.index = pd.DatetimeIndex(close.index, tz="UTC")
        volume.index = close.index
    close = close.sort_index().astype("float64")
    volume = volume.reindex(close.index).astype("float64")
    close = close.dropna(how="all")
    volume = volume.reindex(close.index)
    close.index = datetime_index(close.index).as_unit("ns").rename("date")
    volume.index = close.index
    close.columns = volume.columns = pd.Index(list(query.tickers), dtype="str", name="ticker")
    return HistoryResult(close=close, volume=volume, status=status_frame(rows), source=source)


def _snapshot_payload(result: SnapshotResult, ticker: str) -> dict[str, Any]:
    row = row_dict(result.data, ticker)
    values = {c: _clean(as_float(row[c])) for c in SNAPSHOT_FLOAT_COLUMNS}
    currency = row["currency"]
    as_of = row["as_of"]
    fx_rows = []
    if isinstance(currency, str) and currency and not result.fx.empty:
        fx_rows = [
            {k: _clean(v) if not isinstance(v, str) else v for k, v in rec.items()}
            for rec in result.fx.to_dict("records")
        ]
    return {
        "values": values,
        "currency": currency if isinstance(currency, str) and currency else None,
        "row_as_of": as_of if isinstance(as_of, str) and as_of else None,
        "fx": fx_rows,
        "reference": result.as_of.isoformat(),
        **_status_payload(result.status, ticker),
    }


def _merge_snapshot(
    query: SnapshotQuery,
    cached: dict[str, dict[str, Any]],
    fresh: SnapshotResult | None,
    *,
    source: str,
    gave_up: str = "",
) -> SnapshotResult:
    records: dict[str, dict[str, Any]] = {}
    rows: list[TickerStatus] = []
    rates: dict[str, FxRate] = {}
    references: list[dt.date] = []
    for ticker in query.tickers:
        if ticker in cached:
            payload = cached[ticker]
            try:
                record: dict[str, Any] = {c: payload["values"].get(c)
                                          for c in SNAPSHOT_FLOAT_COLUMNS}
                record.update(currency=payload.get("currency"), as_of=payload.get("row_as_of"),
                              source=source)
                for fx in payload.get("fx", []):
                    if fx.get("currency") == "USD" and fx.get("source") == "identity":
                        rates.setdefault("USD", FxRate(currency="USD", rate_to_usd=1.0,
                                                       source="identity"))
                        continue
                    rate = FxRate(currency=fx["currency"], rate_to_usd=fx["rate_to_usd"],
                                  date=dt.date.fromisoformat(fx["date"]) if fx.get("date")
                                  else None, source=fx.get("source") or "")
                    rates.setdefault(rate.currency, rate)
                references.append(dt.date.fromisoformat(payload["reference"]))
                rows.append(_status_row(ticker, payload, source))
                records[ticker] = record
                continue
            except (KeyError, ValueError, TypeError, AttributeError, MarketDataError):
                pass
            rows.append(TickerStatus(ticker=ticker, status="failed", source=source,
                                     reason="cache entry unusable; run again with refresh=True"))
        elif fresh is not None:
            record = row_dict(fresh.data, ticker)
            record["source"] = source
            records[ticker] = record
            rows.append(_status_row(ticker, _status_payload(fresh.status, ticker), source))
        else:
            rows.append(TickerStatus(ticker=ticker, status="unavailable", source=source,
                                     reason=gave_up))
    if fresh is not None:
        references.append(fresh.as_of)
        for rec in fresh.fx.to_dict("records"):
            rates[rec["currency"]] = FxRate(
                currency=rec["currency"], rate_to_usd=rec["rate_to_usd"],
                date=dt.date.fromisoformat(rec["date"]) if isinstance(rec["date"], str) else None,
                source=rec["source"] if isinstance(rec["source"], str) else "")
    index = pd.Index(list(query.tickers), dtype="str", name="ticker")
    data = pd.DataFrame.from_dict(records, orient="index").reindex(index)
    data.index = index
    for column in SNAPSHOT_COLUMNS:
        if column not in data.columns:
            data[column] = None
    for column in SNAPSHOT_FLOAT_COLUMNS:
        data[column] = pd.to_numeric(data[column], errors="coerce").astype("float64")
    for column in ("currency", "as_of", "source"):
        data[column] = text(data[column])
    data = data[list(SNAPSHOT_COLUMNS)]
    reference = max(references) if references else (query.as_of or utc_today())
    return SnapshotResult(data=data, status=status_frame(rows), fx=fx_frame(rates.values()),
                          as_of=reference, source=source)
