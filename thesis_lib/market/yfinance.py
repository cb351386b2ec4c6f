"""Prices and quotes from Yahoo Finance through the ``yfinance`` package (the ``market`` extra).

``yfinance`` is imported only inside the fetch step, so this module (and
``import thesis_lib.market``) works without it; using the provider without it
raises :class:`~thesis_lib.errors.ProviderUnavailableError` saying
``pip install "thesis-lib[market]"``.

What ``yfinance.download`` (1.7) gives back, which the transform step relies on:

- columns are a MultiIndex named ``("Price", "Ticker")`` even for one ticker,
  sorted by field then ticker (request order is not kept), symbols upper-cased;
  with ``auto_adjust=True`` (passed explicitly) the fields are Close, High, Low,
  Open, Volume and ``Close`` is the adjusted close;
- a failed, unknown or delisted ticker is not dropped and raises nothing: its
  columns are all NaN and it gets a stray ``Adj Close`` column; if every ticker
  fails the frame has those columns and no rows;
- errors, rate limits included, are swallowed per ticker and only logged on the
  ``yfinance`` logger (``['MU']: YFRateLimitError('Too Many Requests. ...')``),
  so failures are found from the data and from the captured log lines. By default
  yfinance also turns a timeout, reset connection or HTTP 5xx during the price
  request into "possibly delisted; no price data found" once it knows the
  ticker's timezone (cached on disk from any earlier run); :func:`yf_download`
  therefore sets ``yfinance.config.debug.hide_exceptions = False`` for the call,
  so the log line names the real exception (``['MU']: Timeout('...')``), and gives
  yfinance a session on which an HTTP 5xx raises (:func:`yf_session`), so only
  Yahoo's own "no data" answers read as missing;
- daily indexes are timezone-naive dates, intraday ones are in the exchange's
  timezone.

``Ticker.info`` (three requests) gives price, currency, ``marketCap``,
``sharesOutstanding``, ``averageDailyVolume3Month``, ``trailingPE``,
``forwardPE`` and ``enterpriseToRevenue``; ``fast_info`` (two requests) has no
valuation fields and its market cap (shares x last price) is in the quote
currency, minor units included (``GBp``). ``info``'s ``marketCap`` for a
minor-unit listing is normally in the major unit (GBP); :func:`info_to_row`
checks it against shares x price and reports ``market_cap`` in the quote unit.

Snapshot values are always Yahoo's latest quote: ``as_of`` sets the FX date and
the staleness reference, not a historical price.

Both fetch functions are injectable (``download=``, ``quote=``), which is how the
tests run offline on frames shaped exactly like the ones above.

Deadlines and logging
---------------------

- ``timeout`` (default 10 s) bounds every network call: yfinance gets it for each
  HTTP request, each quote may take that long, and one ``download`` of ``n``
  tickers ``timeout`` per started group of 10 tickers. A call past its timeout is
  given up (see :func:`~thesis_lib.market.retry.call_with_timeout`: yfinance's
  cookie and ``Ticker.info`` requests ignore the timeout asked for) and counts as
  a transient failure, so it is retried.
- ``deadline`` (default 120 s) bounds one ``history`` or ``snapshot`` request,
  retries, chunks and threads included; past it the request raises
  :class:`~thesis_lib.market.problems.DeadlineExceededError`. ``total_deadline``
  (default none; 300 s from :func:`~thesis_lib.market.price_provider`, so for every
  ``thesis screen``/``watch`` run, ``--deadline``) bounds all the requests of one
  provider together, counted from its first request.
- The first failure to resolve or connect to Yahoo (DNS, connection refused, no
  route) raises :class:`~thesis_lib.market.problems.SourceUnreachableError`
  "cannot reach Yahoo Finance (offline?)" at once; no further ticker is tried.
- While fetching, yfinance's log lines are captured (:func:`capture_yfinance_log`),
  never shown: they are read for per-ticker reasons and summarised in one line on
  the ``thesis_lib.market.yfinance`` logger (level INFO). The capture works whatever
  the logging set-up (a quieted ``yfinance`` or root logger included); only
  ``logging.disable()`` hides yfinance's messages, and then a ticker without data
  is reported ``unavailable`` ("no reason logged"), never cached as missing.
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import importlib.util
import logging
import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from types import ModuleType
from typing import Any, Literal, Protocol

import pandas as pd

from thesis_lib.errors import MarketDataError, ProviderUnavailableError, RateLimitError
from thesis_lib.market.base import (
    BaseProvider,
    HistoryFrames,
    HistoryQuery,
    SnapshotFrames,
    SnapshotQuery,
    TickerNote,
    utc_today,
)
from thesis_lib.market.fx import FxTable, normalise_currency
from thesis_lib.market.problems import (
    DeadlineExceededError,
    SourceUnavailableError,
    SourceUnreachableError,
    describe_tickers,
)
from thesis_lib.market.retry import (
    RATE_LIMIT_HINT,
    RETRYABLE,
    SERVER_TROUBLE_TEXT,
    TRANSIENT_HINT,
    UNREACHABLE_TEXT,
    Deadline,
    FailureKind,
    RetryBudget,
    RetryPolicy,
    call_with_timeout,
    check_seconds,
    classify_exception,
    describe_exception,
    unreachable_error,
)

__all__ = ["YFinanceProvider", "parse_download"]

INSTALL_HINT = 'pip install "thesis-lib[market]"'
YF_LOGGER = "yfinance"
#: Seconds per network call unless told otherwise.
DEFAULT_TIMEOUT = 10.0
#: Seconds one history or snapshot request may take in all unless told otherwise.
DEFAULT_DEADLINE = 120.0
#: A download call of n tickers may take ``timeout`` per started group of this many.
TICKERS_PER_TIMEOUT = 10
_log = logging.getLogger("thesis_lib.market.yfinance")
_CONFIG_LOCK = threading.RLock()


class DownloadFn(Protocol):
    """Called like ``yfinance.download``: ``end`` is exclusive; returns its frame shape."""

    def __call__(
        self, tickers: list[str], *, start: dt.date, end: dt.date, interval: str
    ) -> pd.DataFrame | None: ...


QuoteFn = Callable[[str], Mapping[str, Any]]


def _import_yfinance() -> ModuleType:
    try:
        import yfinance
    except ImportError as exc:
        raise ProviderUnavailableError(
            "YFinanceProvider needs the yfinance package, part of the 'market' extra",
            hint=INSTALL_HINT,
        ) from exc
    module: ModuleType = yfinance
    return module


_shown_depth = 0
_hidden_before: Any = True


@contextmanager
def _exceptions_shown(yf: ModuleType) -> Iterator[None]:
    """``yfinance.config.debug.hide_exceptions = False`` for the block (restored after).

    Without it yfinance reports a timeout or an HTTP 5xx during a price request as
    "possibly delisted; no price data found" whenever the ticker's timezone is cached.
    """
    global _shown_depth, _hidden_before
    config = getattr(getattr(yf, "config", None), "debug", None)
    if config is None:
        yield
        return
    # The lock is held only to switch, never during the call: a call given up on may
    # never return, and must not block the next one.
    with _CONFIG_LOCK:
        if _shown_depth == 0:
            _hidden_before = config.hide_exceptions
            config.hide_exceptions = False
        _shown_depth += 1
    try:
        yield
    finally:
        with _CONFIG_LOCK:
            _shown_depth -= 1
            if _shown_depth == 0:
                config.hide_exceptions = _hidden_before


def _daemon_worker_threads() -> None:
    """yfinance's worker threads (``multitasking``) must not hold up the interpreter's exit
    when a call to a silent server is given up on; ``set_daemon`` is its documented opt-in."""
    try:
        multitasking = importlib.import_module("multitasking")
    except ImportError:  # pragma: no cover - a yfinance dependency
        return
    set_daemon = getattr(multitasking, "set_daemon", None)
    if callable(set_daemon):
        set_daemon(True)


_session: Any = None


def yf_session() -> Any:
    """The HTTP session the default fetches give yfinance: the one yfinance itself would
    make (curl_cffi, impersonating Chrome), except that an HTTP 5xx answer raises
    (an ``HTTPError`` naming the status) instead of being handed to yfinance, which
    would read Yahoo's error body as "possibly delisted; no price data found".

    ``None`` (yfinance chooses) when curl_cffi is not installed or
    ``YF_DISABLE_CURL_CFFI`` is set. One session is shared, so cookies are kept.
    """
    global _session
    if os.environ.get("YF_DISABLE_CURL_CFFI", "").lower() in ("1", "true", "yes"):
        return None
    with _CONFIG_LOCK:
        if _session is None:
            try:
                curl_requests: Any = importlib.import_module("curl_cffi.requests")
            except ImportError:
                return None

            class YahooServerError(curl_requests.exceptions.HTTPError):  # type: ignore[misc]
                """Yahoo (or a proxy in between) answered with an HTTP 5xx status."""

            class ServerErrorsRaise(curl_requests.Session):  # type: ignore[misc]
                def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
                    response = super().request(method, url, *args, **kwargs)
                    status = getattr(response, "status_code", None)
                    if isinstance(status, int) and status >= 500:
                        host = str(url).split("/")[2] if "//" in str(url) else str(url)
                        raise YahooServerError(f"HTTP {status} from {host}",
                                               response=response)
                    return response

            _session = ServerErrorsRaise(impersonate="chrome")
        return _session


def _forget_answers(yf: ModuleType) -> None:
    """Clear yfinance's in-memory cache of HTTP answers (``YfData.cache_get``)."""
    data = getattr(yf, "data", None)
    cache_get = getattr(getattr(data, "YfData", None), "cache_get", None)
    clear = getattr(cache_get, "cache_clear", None)
    if callable(clear):
        clear()


def yf_download(
    tickers: list[str], *, start: dt.date, end: dt.date, interval: str,
    timeout: float = DEFAULT_TIMEOUT,
) -> pd.DataFrame | None:
    """The default fetch: one ``yfinance.download`` call with every option spelt out.

    ``timeout`` is passed to yfinance for each HTTP request. yfinance's exceptions are
    not hidden during the call (see the module docstring), so its log names them.
    yfinance keeps answers for past date ranges in memory (an HTTP 500 page included);
    that memory is cleared first, so a retry really asks Yahoo again.
    """
    yf = _import_yfinance()
    _daemon_worker_threads()
    _forget_answers(yf)
    with _exceptions_shown(yf):
        frame: pd.DataFrame | None = yf.download(
            tickers,
            start=start.isoformat(),
            end=end.isoformat(),
            interval=interval,
            auto_adjust=True,
            actions=False,
            repair=False,
            keepna=False,
            group_by="column",
            multi_level_index=True,
            progress=False,
            threads=True,
            timeout=timeout,
            session=yf_session(),
        )
    return frame


def yf_info(symbol: str) -> Mapping[str, Any]:
    """The default quote: ``yfinance.Ticker(symbol).info`` (valuation fields included)."""
    yf = _import_yfinance()
    info = yf.Ticker(symbol, session=yf_session()).info
    return dict(info) if info else {}


def yf_fast_info(symbol: str) -> Mapping[str, Any]:
    """A cheaper quote from ``fast_info`` (no valuation fields), in ``info``'s key names."""
    yf = _import_yfinance()
    ticker = yf.Ticker(symbol, session=yf_session())
    fast = ticker.fast_info
    try:
        price = fast.last_price
    except Exception as exc:
        metadata = ticker.history_metadata or {}
        if not metadata.get("currency"):
            from thesis_lib.errors import SymbolNotFoundError

            raise SymbolNotFoundError(f"yfinance has no quote for {symbol!r}") from exc
        raise
    metadata = ticker.history_metadata or {}
    return {
        "regularMarketPrice": price,
        "currency": fast.currency,
        "sharesOutstanding": fast.shares,
        "averageDailyVolume3Month": fast.three_month_average_volume,
        "regularMarketTime": metadata.get("regularMarketTime"),
        "exchangeTimezoneName": metadata.get("exchangeTimezoneName"),
    }


# --------------------------------------------------------------------------- log capture


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.messages.append(record.getMessage())
        except Exception:  # a record that cannot format must never break a fetch
            self.messages.append(str(record.msg))


_CAPTURE_LOCK = threading.Lock()
_capture_depth = 0
_saved_logger_state: tuple[int, bool, bool] | None = None


@contextmanager
def capture_yfinance_log() -> Iterator[list[str]]:
    """Collect what yfinance logs (it reports failures there instead of raising).

    While any capture is open, the ``yfinance`` logger reports warnings and errors
    whatever the user's logging set-up (its level is lowered to WARNING if it or the
    root logger was quieted, and it is re-enabled if disabled), and its records go to
    the captures only: they do not propagate to the root logger's handlers nor reach
    Python's last-resort stderr handler. Everything is restored when the last capture
    closes. Captures may be nested and opened from several threads.
    """
    global _capture_depth, _saved_logger_state
    logger = logging.getLogger(YF_LOGGER)
    handler = _ListHandler()
    with _CAPTURE_LOCK:
        if _capture_depth == 0:
            _saved_logger_state = (logger.level, logger.propagate, logger.disabled)
            logger.propagate = False
            logger.disabled = False
            if logger.getEffectiveLevel() > logging.WARNING:
                logger.setLevel(logging.WARNING)
        _capture_depth += 1
        logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        with _CAPTURE_LOCK:
            logger.removeHandler(handler)
            _capture_depth -= 1
            if _capture_depth == 0 and _saved_logger_state is not None:
                level, propagate, disabled = _saved_logger_state
                logger.setLevel(level)
                logger.propagate = propagate
                logger.disabled = disabled
                _saved_logger_state = None


def summarise_log(messages: Sequence[str]) -> str:
    """One line about what yfinance logged, e.g. ``yfinance logged 3 lines: 2 rate limit, ...``."""
    lines = [m for m in messages if m.strip()]
    if not lines:
        return "yfinance logged nothing"
    kinds: dict[str, int] = {}
    for line in lines:
        kind = reason_kind(line)
        kinds[kind] = kinds.get(kind, 0) + 1
    counted = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(kinds.items()))
    first = lines[0].strip().splitlines()[0][:160]
    return f"yfinance logged {len(lines)} lines ({counted}); first: {first}"


_SUMMARY = re.compile(r"^\s*(\[[^\]]*\]):\s*(.+)$", re.S)
_PER_TICKER = re.compile(r"^\$(\S+?):\s*(.+)$", re.S)
_FAILED_GET = re.compile(r"^Failed to get ticker '([^']+)' reason:\s*(.+)$", re.S)
_RATE = re.compile(r"YFRateLimitError|Too Many Requests|Rate limited", re.I)
_TRANSIENT = re.compile(
    r"Timeout|timed out|ConnectionError|Connection (reset|aborted)|RemoteDisconnected"
    r"|ChunkedEncodingError|IncompleteRead|curl: \(\d+\)|Failed to perform|CallTimeoutError"
    r"|JSONDecodeError|Expecting value",
    re.I,
)
_MISSING = re.compile(
    r"delisted|no timezone found|no price data found|not found|no data found|HTTP Error 404",
    re.I,
)
_HTTP_404 = re.compile(r"HTTP Error 404", re.I)
#: A ticker without data and without any log line: yfinance's reason was not seen.
NO_REASON = ("yfinance returned no prices and logged no reason (is logging disabled?); "
             "not taken as missing")


def reason_kind(reason: str) -> FailureKind:
    """Which kind of failure a yfinance error text describes."""
    if _RATE.search(reason):
        return "rate_limit"
    if UNREACHABLE_TEXT.search(reason):
        return "unreachable"
    if _TRANSIENT.search(reason) or SERVER_TROUBLE_TEXT.search(reason):
        return "transient"
    if _MISSING.search(reason):
        return "missing"
    return "fatal"


def log_reasons(messages: Sequence[str]) -> dict[str, tuple[FailureKind, str]]:
    """Per upper-cased symbol, the kind and text of the failure yfinance logged."""
    summary: dict[str, str] = {}
    per_ticker: dict[str, str] = {}
    transient: dict[str, str] = {}
    for message in messages:
        text = message.strip()
        if match := _FAILED_GET.match(text):
            transient[match.group(1).upper()] = match.group(2).strip()
        elif match := _PER_TICKER.match(text):
            per_ticker[match.group(1).upper()] = match.group(2).strip()
        elif match := _SUMMARY.match(text):
            try:
                symbols = ast.literal_eval(match.group(1))
            except (ValueError, SyntaxError):
                continue
            if isinstance(symbols, list):
                for symbol in symbols:
                    summary[str(symbol).upper()] = match.group(2).strip()
    out: dict[str, tuple[FailureKind, str]] = {}
    for symbol in {*summary, *per_ticker, *transient}:
        reason = summary.get(symbol) or per_ticker.get(symbol) or transient[symbol]
        kind = reason_kind(reason)
        if symbol in transient and kind in ("missing", "fatal"):
            # A timeout while looking up the timezone surfaces as "possibly delisted".
            kind = reason_kind(transient[symbol])
            if kind not in RETRYABLE and kind != "unreachable":
                kind = "transient"
            reason = f"{transient[symbol]} (reported as: {reason})"
        elif kind == "missing" and _HTTP_404.search(reason):
            reason = "possibly delisted or misspelt (Yahoo answered 404 Not Found)"
        out[symbol] = (kind, reason)
    return out


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Failure:
    """Why one ticker has no data."""

    kind: FailureKind
    reason: str


@dataclass(frozen=True)
class Bars:
    """One ticker's adjusted closes and volumes as yfinance returned them."""

    close: pd.Series
    volume: pd.Series


def _field_level(columns: pd.MultiIndex) -> int:
    names = list(columns.names)
    if "Price" in names:
        return names.index("Price")
    fields = {"Close", "Adj Close", "Volume", "Open", "High", "Low"}
    return 0 if set(map(str, columns.get_level_values(0))) & fields else 1


def parse_download(
    frame: pd.DataFrame | None, requested: Sequence[str], messages: Sequence[str] = ()
) -> dict[str, Bars | Failure]:
    """Split one ``yfinance.download`` result into per-ticker bars or failures.

    Pure: works on the frame (any of the shapes in the module docstring) and the
    log lines captured during the call. Every requested ticker gets an entry.
    """
    reasons = log_reasons(messages)
    out: dict[str, Bars | Failure] = {}
    by_symbol: dict[str, pd.DataFrame] = {}
    if frame is not None and not frame.empty and len(frame.columns):
        if isinstance(frame.columns, pd.MultiIndex):
            level = _field_level(frame.columns)
            ticker_level = 1 - level
            for symbol in dict.fromkeys(frame.columns.get_level_values(ticker_level)):
                part = frame.xs(symbol, axis=1, level=ticker_level)
                if isinstance(part, pd.DataFrame):
                    by_symbol[str(symbol)] = part
        elif len(requested) == 1:
            by_symbol[requested[0]] = frame
    upper = {k.upper(): k for k in by_symbol}
    for ticker in requested:
        key = ticker if ticker in by_symbol else upper.get(ticker.upper())
        fields = by_symbol.get(key) if key is not None else None
        bars = _bars(fields) if fields is not None else None
        if bars is not None:
            out[ticker] = bars
            continue
        kind, reason = reasons.get(ticker.upper(), ("transient", NO_REASON))
        out[ticker] = Failure(kind, reason)
    return out


def _bars(fields: pd.DataFrame) -> Bars | None:
    close: pd.Series | None = None
    for name in ("Adj Close", "Close"):
        if name in fields.columns:
            candidate = pd.to_numeric(fields[name], errors="coerce").astype("float64")
            if candidate.notna().any():
                close = candidate
                break
    if close is None:
        return None
    if "Volume" in fields.columns:
        volume = pd.to_numeric(fields["Volume"], errors="coerce").astype("float64")
    else:
        volume = pd.Series(float("nan"), index=close.index)
    keep = close.notna()
    return Bars(close=close[keep], volume=volume[keep])


def _num(value: Any) -> float:
    if isinstance(value, bool):
        return math.nan
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


def _first(info: Mapping[str, Any], *keys: str) -> float:
    for key in keys:
        value = _num(info.get(key))
        if not math.isnan(value):
            return value
    return math.nan


def _quote_date(info: Mapping[str, Any]) -> dt.date | None:
    raw = info.get("regularMarketTime")
    tz = info.get("exchangeTimezoneName") or "UTC"
    try:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            stamp = pd.Timestamp(int(raw), unit="s", tz="UTC")
        elif isinstance(raw, str | dt.datetime | pd.Timestamp):
            stamp = pd.Timestamp(raw)
            if stamp.tzinfo is None:
                stamp = stamp.tz_localize("UTC")
        else:
            return None
        day: dt.date = stamp.tz_convert(str(tz)).date()
        return day
    except (ValueError, TypeError, KeyError, OverflowError):
        return None


def info_to_row(info: Mapping[str, Any]) -> dict[str, Any] | None:
    """One snapshot row (quote-currency values) from an ``info``-style mapping.

    ``None`` when the mapping has no price (yfinance's answer for unknown symbols).
    """
    price = _first(info, "currentPrice", "regularMarketPrice", "lastPrice")
    if math.isnan(price):
        return None
    currency = info.get("currency")
    currency = currency if isinstance(currency, str) and currency else None
    factor = 1.0
    if currency is not None:
        try:
            factor = normalise_currency(currency)[1]
        except MarketDataError:
            factor = 1.0
    shares = _first(info, "sharesOutstanding", "impliedSharesOutstanding")
    reported = _num(info.get("marketCap"))
    if not math.isnan(reported):
        market_cap = reported
        if factor != 1.0:
            # Yahoo reports marketCap in the major unit (GBP) while the price is in
            # the minor one (GBp); check against shares x price when both are known.
            implied = shares * price
            in_major = True
            if not math.isnan(implied) and implied > 0:
                ratio = reported / implied
                in_major = abs(math.log10(ratio / factor)) < abs(math.log10(ratio))
            if in_major:
                market_cap = reported / factor
    else:
        market_cap = shares * price
    volume = _first(info, "averageDailyVolume3Month", "averageVolume", "averageVolume10days")
    return {
        "price": price,
        "currency": currency,
        "market_cap": market_cap,
        "adv": volume * price,
        "pe_trailing": _num(info.get("trailingPE")),
        "pe_forward": _num(info.get("forwardPE")),
        "ev_sales": _num(info.get("enterpriseToRevenue")),
        "as_of": _quote_date(info),
    }


# --------------------------------------------------------------------------- provider


@dataclass
class HistoryChunk:
    """What the extract step got for one chunk of tickers."""

    tickers: tuple[str, ...]
    results: dict[str, Bars | Failure] = field(default_factory=dict)
    attempts: int = 0


QuoteOutcome = Mapping[str, Any] | BaseException


class YFinanceProvider(BaseProvider[list[HistoryChunk], dict[str, QuoteOutcome]]):
    """Yahoo Finance through ``yfinance``: chunked history, concurrent quotes, retries,
    deadlines.

    - ``history``: one ``download`` call per chunk of ``chunk_size`` tickers; tickers
      that failed for a rate limit or a transient error are retried (only those),
      with backoff, until ``retry``'s attempts or time budget run out.
    - ``snapshot``: one quote per ticker (``Ticker.info``, or ``fast_info`` with
      ``quote_fields="fast_info"``), at most ``max_workers`` at a time, each retried.
    - ``timeout`` (seconds, default 10): the per-call timeout. yfinance gets it for
      each HTTP request; a quote may take that long and a ``download`` of ``n``
      tickers ``timeout`` per started group of 10; a call past it is given up and
      retried as a transient failure (even when yfinance itself ignores the timeout).
    - ``deadline`` (seconds, default 120): the most one ``history`` or ``snapshot``
      request may take, calls in flight, retries and chunks included; past it,
      :class:`~thesis_lib.market.problems.DeadlineExceededError`.
    - ``total_deadline`` (seconds, default ``None``: no limit): the most all requests
      of this provider may take together, counted from its first request (a run's
      deadline; :func:`~thesis_lib.market.price_provider` sets it).
    - One bad ticker never sinks the others: it gets a ``missing`` (Yahoo says it has
      no data), ``unavailable`` (timeouts, resets, 5xx or rate limits that outlasted
      the retries) or ``failed`` status with the reason. When *every* ticker failed
      because of rate limits (or timeouts) the call raises
      :class:`~thesis_lib.errors.RateLimitError` (or
      :class:`~thesis_lib.market.SourceUnavailableError`). The first failure to reach
      Yahoo at all (DNS, refused connection) raises
      :class:`~thesis_lib.market.problems.SourceUnreachableError` ("cannot reach Yahoo
      Finance (offline?)") and nothing more is tried.
    - ``download`` and ``quote`` replace the network calls (tests, other sources
      with the same shapes); ``retry`` has injectable ``sleep`` and ``clock``.
    """

    def __init__(
        self,
        *,
        download: DownloadFn | None = None,
        quote: QuoteFn | None = None,
        quote_fields: Literal["info", "fast_info"] = "info",
        chunk_size: int = 40,
        max_workers: int = 4,
        retry: RetryPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        total_deadline: float | None = None,
        fx: FxTable | Mapping[str, float] | pd.DataFrame | None = None,
        stale_after: int = 5,
        today: Callable[[], dt.date] = utc_today,
        name: str = "yfinance",
    ) -> None:
        super().__init__(name=name, fx=fx, stale_after=stale_after, today=today)
        if (download is None or quote is None) and importlib.util.find_spec("yfinance") is None:
            raise ProviderUnavailableError(
                "YFinanceProvider needs the yfinance package, part of the 'market' extra",
                hint=INSTALL_HINT,
            )
        if chunk_size < 1 or max_workers < 1:
            raise MarketDataError("chunk_size and max_workers must be at least 1",
                                  item="YFinanceProvider")
        if quote_fields not in ("info", "fast_info"):
            raise MarketDataError(f"quote_fields must be 'info' or 'fast_info', got "
                                  f"{quote_fields!r}", item="YFinanceProvider")
        self.timeout = check_seconds(timeout, "timeout")
        self.deadline = check_seconds(deadline, "deadline")
        self.total_deadline = (None if total_deadline is None
                               else check_seconds(total_deadline, "total_deadline"))
        self._run_expiry: float | None = None
        self._download: DownloadFn = download if download is not None else self._yf_download
        self._quote: QuoteFn = quote if quote is not None else (
            yf_info if quote_fields == "info" else yf_fast_info)
        self.chunk_size = chunk_size
        self.max_workers = max_workers
        self.retry = retry if retry is not None else RetryPolicy()

    def _yf_download(
        self, tickers: list[str], *, start: dt.date, end: dt.date, interval: str
    ) -> pd.DataFrame | None:
        return yf_download(tickers, start=start, end=end, interval=interval,
                           timeout=self.timeout)

    def _deadline(self) -> Deadline:
        """The deadline of one request (and, with ``total_deadline``, of the run)."""
        if self.total_deadline is not None and self._run_expiry is None:
            self._run_expiry = time.monotonic() + self.total_deadline
        return Deadline(self.deadline, run_expiry=self._run_expiry)

    def _call_timeout(self, tickers: int) -> float:
        groups = max(1, -(-tickers // TICKERS_PER_TIMEOUT))
        return self.timeout * groups

    # -- history -------------------------------------------------------------------

    def extract_history(self, query: HistoryQuery) -> list[HistoryChunk]:
        deadline = self._deadline()
        budget = self.retry.start(deadline)
        tickers = list(query.tickers)
        chunks = [tickers[i:i + self.chunk_size] for i in range(0, len(tickers), self.chunk_size)]
        out: list[HistoryChunk] = []
        with capture_yfinance_log() as messages:
            try:
                for chunk in chunks:
                    out.append(self._download_chunk(chunk, query, budget, deadline))
            finally:
                if messages:
                    _log.info("%s", summarise_log(messages))
        return out

    def _download_chunk(
        self, tickers: list[str], query: HistoryQuery, budget: RetryBudget, deadline: Deadline
    ) -> HistoryChunk:
        chunk = HistoryChunk(tickers=tuple(tickers))
        pending = list(tickers)
        end = query.end + dt.timedelta(days=1)  # yfinance's end is exclusive
        while pending:
            attempt = chunk.attempts
            chunk.attempts += 1
            asked = list(pending)
            what = f"the prices of {describe_tickers(asked)}"
            try:
                with capture_yfinance_log() as messages:
                    frame = call_with_timeout(
                        partial(self._download, asked, start=query.start, end=end,
                                interval=query.interval),
                        timeout=self._call_timeout(len(asked)), deadline=deadline,
                        source=self.name, what=what)
            except DeadlineExceededError:
                raise
            except Exception as exc:
                kind = classify_exception(exc)
                if kind == "unreachable":
                    raise unreachable_error(self.name, describe_exception(exc)) from exc
                if kind in RETRYABLE and budget.wait(attempt):
                    continue
                for ticker in pending:
                    chunk.results[ticker] = Failure(kind, describe_exception(exc))
                break
            parsed = parse_download(frame, pending, messages)
            offline = [r for r in parsed.values()
                       if isinstance(r, Failure) and r.kind == "unreachable"]
            if offline:
                raise unreachable_error(self.name, offline[0].reason)
            retry = [t for t, r in parsed.items() if isinstance(r, Failure) and r.kind in RETRYABLE]
            chunk.results.update(parsed)
            if retry and budget.wait(attempt):
                pending = retry
                continue
            break
        return chunk

    def transform_history(self, query: HistoryQuery, raw: list[HistoryChunk]) -> HistoryFrames:
        closes: dict[str, pd.Series] = {}
        volumes: dict[str, pd.Series] = {}
        notes: dict[str, TickerNote] = {}
        failures: dict[str, Failure] = {}
        for chunk in raw:
            for ticker in chunk.tickers:
                result = chunk.results.get(ticker, Failure("fatal", "not fetched"))
                if isinstance(result, Bars):
                    closes[ticker] = result.close
                    volumes[ticker] = result.volume
                    continue
                failures[ticker] = result
                notes[ticker] = _note(result, chunk.attempts)
        _raise_if_all_throttled(query.tickers, failures, closes, source=self.name)
        close = pd.DataFrame(closes) if closes else pd.DataFrame(
            index=pd.DatetimeIndex([], tz="UTC"))
        volume = pd.DataFrame(volumes) if volumes else None
        return HistoryFrames(close=close, volume=volume, notes=notes)

    # -- snapshot ------------------------------------------------------------------

    def extract_snapshot(self, query: SnapshotQuery) -> dict[str, QuoteOutcome]:
        deadline = self._deadline()
        budget = self.retry.start(deadline)
        stop = threading.Event()
        stopped: list[MarketDataError] = []
        lock = threading.Lock()

        def fetch(symbol: str) -> Mapping[str, Any]:
            return call_with_timeout(lambda: self._quote(symbol), timeout=self.timeout,
                                     deadline=deadline, source=self.name,
                                     what=f"the quote of {symbol!r}")

        def one(symbol: str) -> QuoteOutcome:
            if stop.is_set():
                return stopped[0]
            try:
                return budget.call(lambda: fetch(symbol), source=self.name,
                                   item=f"ticker {symbol!r}")
            except (SourceUnreachableError, DeadlineExceededError) as exc:
                with lock:
                    if not stopped:
                        stopped.append(exc if isinstance(exc, DeadlineExceededError)
                                       else unreachable_error(self.name, _cause(exc)))
                    stop.set()
                return stopped[0]
            except MarketDataError as exc:
                return exc

        workers = min(self.max_workers, len(query.tickers))
        with capture_yfinance_log() as messages:
            try:
                with ThreadPoolExecutor(max_workers=workers,
                                        thread_name_prefix="thesis-quote") as pool:
                    outcomes = list(pool.map(one, query.tickers))
            finally:
                if messages:
                    _log.info("%s", summarise_log(messages))
        if stopped:
            raise stopped[0]
        return dict(zip(query.tickers, outcomes, strict=True))

    def transform_snapshot(
        self, query: SnapshotQuery, raw: dict[str, QuoteOutcome]
    ) -> SnapshotFrames:
        records: dict[str, dict[str, Any]] = {}
        notes: dict[str, TickerNote] = {}
        failures: dict[str, Failure] = {}
        for ticker in query.tickers:
            outcome = raw.get(ticker)
            if isinstance(outcome, BaseException):
                cause = outcome.__cause__ if outcome.__cause__ is not None else outcome
                failure = Failure(classify_exception(outcome), str(outcome.problem.message)
                                  if isinstance(outcome, MarketDataError) else
                                  describe_exception(cause))
                failures[ticker] = failure
                notes[ticker] = _note(failure, 1)
                continue
            row = info_to_row(outcome or {})
            if row is None:
                notes[ticker] = TickerNote(
                    "missing", "yfinance has no quote for this symbol (delisted or misspelt?)")
                continue
            records[ticker] = row
        _raise_if_all_throttled(query.tickers, failures, records, source=self.name)
        reference = query.as_of if query.as_of is not None else self.today()
        data = pd.DataFrame.from_dict(records, orient="index")
        return SnapshotFrames(data=data, reference=reference, notes=notes)


def _cause(exc: BaseException) -> str:
    """The first underlying cause of a library error, described in one line."""
    cause = exc.__cause__
    return describe_exception(cause) if cause is not None else str(exc)


def _note(failure: Failure, attempts: int) -> TickerNote:
    if failure.kind == "missing":
        return TickerNote("missing", failure.reason)
    label = {"rate_limit": "rate limited", "transient": "no answer",
             "unreachable": "unreachable", "fatal": "error"}[failure.kind]
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    status: Literal["unavailable", "failed"] = (
        "unavailable" if failure.kind in RETRYABLE else "failed")
    return TickerNote(status, f"{label}{tries}: {failure.reason}")


def _raise_if_all_throttled(
    tickers: Sequence[str],
    failures: Mapping[str, Failure],
    succeeded: Mapping[str, Any],
    *,
    source: str,
) -> None:
    """Raise when nothing came back and every failure was a rate limit or timeout."""
    if succeeded or not failures or len(failures) != len(tickers):
        return
    kinds = {f.kind for f in failures.values()}
    if not kinds <= RETRYABLE:
        return
    example = next(iter(failures.values())).reason
    listed = describe_tickers(list(tickers))
    if "rate_limit" in kinds:
        raise RateLimitError(
            f"{source} rate-limited every request for {listed} until the retry budget ran "
            f"out ({example})",
            hint=RATE_LIMIT_HINT,
        )
    raise SourceUnavailableError(
        f"{source} did not answer for any of {listed} within the retry budget ({example})",
        hint=TRANSIENT_HINT,
    )
