"""Deadlines against a server that accepts connections and never answers.

Every test here talks to :class:`SilentServer` on 127.0.0.1 (ephemeral port, stops
itself); nothing leaves the machine. The fetch functions either ignore timeouts
altogether (the worst transport) or are yfinance's own stack with every URL
pointed at the silent server. Assertions are on the error type and message; the
only time bound is a generous one that cannot flake (the calls would otherwise
hang for as long as the server lives).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import pytest

from thesis_lib.market import RetryPolicy, SourceUnavailableError, YFinanceProvider
from thesis_lib.market.problems import DeadlineExceededError, SourceUnreachableError
from thesis_lib.market.retry import CallTimeoutError, Deadline, call_with_timeout

from .silent_server import ErrorServer, SilentServer, ask_and_wait_forever

START, END = dt.date(2026, 2, 9), dt.date(2026, 2, 27)
#: Far more than any of these runs needs; the silent server would otherwise hold a
#: call for its whole lifetime (60 s), so passing under it proves the bound held.
GENEROUS = 30.0


def _no_sleep(_: float) -> None:
    return None


def _policy(attempts: int = 2) -> RetryPolicy:
    return RetryPolicy(max_attempts=attempts, base_delay=0.0, max_delay=0.0,
                       total_budget=600.0, sleep=_no_sleep, rng=random.Random(1))


@pytest.fixture
def server() -> Iterator[SilentServer]:
    with SilentServer(lifetime=60.0) as running:
        yield running


class SilentDownload:
    """``download=`` that sends its request to the silent server and waits forever."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.calls = 0

    def __call__(self, tickers: list[str], *, start: dt.date, end: dt.date, interval: str
                 ) -> pd.DataFrame | None:
        self.calls += 1
        ask_and_wait_forever(self.port, f"/v8/finance/chart/{tickers[0]}")
        raise ConnectionResetError("the server closed the connection without answering")


class SilentQuote:
    def __init__(self, port: int) -> None:
        self.port = port
        self.calls: list[str] = []

    def __call__(self, symbol: str) -> dict[str, Any]:
        self.calls.append(symbol)
        ask_and_wait_forever(self.port, f"/v10/finance/quoteSummary/{symbol}")
        raise ConnectionResetError("the server closed the connection without answering")


def test_per_call_timeout_turns_a_silent_server_into_one_source_unavailable_error(
        server: SilentServer) -> None:
    download = SilentDownload(server.port)
    provider = YFinanceProvider(download=download, quote=SilentQuote(server.port),
                                timeout=0.2, deadline=GENEROUS, retry=_policy(attempts=2))
    began = time.monotonic()
    with pytest.raises(SourceUnavailableError) as info:
        provider.history(["MU", "NVDA"], START, END)
    assert time.monotonic() - began < GENEROUS
    error = info.value
    assert not isinstance(error, DeadlineExceededError | SourceUnreachableError)
    assert "did not answer for any of 'MU', 'NVDA'" in str(error)
    assert "0.2 s per-call timeout" in str(error)
    assert download.calls == 2  # retried once (a timeout is transient), then given up
    assert server.accepted == 2


def test_per_call_timeout_bounds_quotes_too(server: SilentServer) -> None:
    quote = SilentQuote(server.port)
    provider = YFinanceProvider(download=SilentDownload(server.port), quote=quote,
                                timeout=0.2, deadline=GENEROUS, retry=_policy(attempts=2),
                                max_workers=2)
    began = time.monotonic()
    with pytest.raises(SourceUnavailableError, match="did not answer"):
        provider.snapshot(["MU", "NVDA"])
    assert time.monotonic() - began < GENEROUS
    assert sorted(quote.calls) == ["MU", "MU", "NVDA", "NVDA"]


def test_request_deadline_stops_a_call_in_flight(server: SilentServer) -> None:
    download = SilentDownload(server.port)
    provider = YFinanceProvider(download=download, quote=SilentQuote(server.port),
                                timeout=600.0, deadline=0.5, retry=_policy(attempts=4))
    began = time.monotonic()
    with pytest.raises(DeadlineExceededError) as info:
        provider.history(["MU", "NVDA"], START, END)
    assert time.monotonic() - began < GENEROUS
    message = str(info.value)
    assert "did not finish the prices of 'MU', 'NVDA' within the 0.5 s deadline" in message
    assert "accepted the connection but did not answer" in message
    assert "--deadline" in (info.value.hint or "")
    assert download.calls == 1  # nothing is retried past the deadline
    assert isinstance(info.value, SourceUnavailableError)  # still a market-data error


def test_deadline_stops_concurrent_quotes_with_one_error(server: SilentServer) -> None:
    quote = SilentQuote(server.port)
    provider = YFinanceProvider(download=SilentDownload(server.port), quote=quote,
                                timeout=600.0, deadline=0.5, retry=_policy(attempts=4),
                                max_workers=2)
    with pytest.raises(DeadlineExceededError, match=r"within the 0\.5 s deadline"):
        provider.snapshot(["MU", "NVDA", "AVGO", "TSM", "ASML"])
    # The two workers each started one quote; the others were never asked.
    assert len(quote.calls) == 2


def test_total_deadline_is_shared_by_every_request_of_a_run(server: SilentServer) -> None:
    provider = YFinanceProvider(download=SilentDownload(server.port),
                                quote=SilentQuote(server.port), timeout=600.0,
                                deadline=600.0, total_deadline=0.5, retry=_policy())
    with pytest.raises(DeadlineExceededError, match="within the run's total deadline"):
        provider.snapshot(["MU"])
    with pytest.raises(DeadlineExceededError, match="run's total deadline"):
        provider.history(["MU"], START, END)  # the run's time is used up


def test_call_with_timeout_returns_answers_and_raises_errors_unchanged() -> None:
    deadline = Deadline(GENEROUS)
    assert call_with_timeout(lambda: 42, timeout=GENEROUS, deadline=deadline,
                             source="x", what="a sum") == 42
    with pytest.raises(KeyError):
        call_with_timeout(lambda: {}["no"], timeout=GENEROUS, deadline=deadline,
                          source="x", what="a lookup")


def test_call_past_its_timeout_is_a_retryable_timeout(server: SilentServer) -> None:
    from thesis_lib.market.retry import classify_exception

    with pytest.raises(CallTimeoutError) as info:
        call_with_timeout(lambda: ask_and_wait_forever(server.port), timeout=0.2,
                          deadline=Deadline(GENEROUS), source="yfinance", what="a chart")
    assert classify_exception(info.value) == "transient"


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "10", True])
def test_bad_timeouts_and_deadlines_are_library_errors(bad: Any) -> None:
    from thesis_lib.errors import MarketDataError

    with pytest.raises(MarketDataError, match="timeout must be a positive number"):
        YFinanceProvider(download=SilentDownload(1), quote=SilentQuote(1), timeout=bad)
    with pytest.raises(MarketDataError, match="deadline must be a positive number"):
        YFinanceProvider(download=SilentDownload(1), quote=SilentQuote(1), deadline=bad)


# --------------------------------------------------------------------------- yfinance itself


def _route_yahoo_to(port: int, close: Any, monkeypatch: pytest.MonkeyPatch
                    ) -> Iterator[None]:
    """yfinance's real HTTP stack, every URL rewritten to 127.0.0.1:``port``."""
    pytest.importorskip("yfinance")
    import yfinance
    import yfinance._http
    import yfinance.base
    import yfinance.cache
    from yfinance.data import YfData

    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    proxy = yfinance.config.network.proxy
    yfinance.config.network.proxy = None
    session_class = yfinance._http.requests.Session
    original = session_class.request

    def to_loopback(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        local = urlunsplit(("http", f"127.0.0.1:{port}", parts.path, parts.query, ""))
        kwargs.pop("proxies", None)
        kwargs.pop("proxy", None)
        return original(self, method, local, *args, **kwargs)

    monkeypatch.setattr(session_class, "request", to_loopback)
    monkeypatch.setattr(yfinance.cache._TzCacheManager, "_tz_cache",
                        yfinance.cache._TzCacheDummy())
    monkeypatch.setattr(yfinance.base, "_tz_info_fetch_ctr", 0)
    YfData.cache_get.cache_clear()
    before = set(threading.enumerate())
    try:
        yield
    finally:
        # Calls given up on are still running in daemon threads. Stop the server (they
        # then fail at once: connection refused) and let them end before the URL
        # rewrite is undone, so none of them can ever reach the real host.
        close()
        ends = time.monotonic() + GENEROUS
        for thread in set(threading.enumerate()) - before:
            thread.join(timeout=max(0.0, ends - time.monotonic()))
        yfinance.config.network.proxy = proxy


@pytest.fixture
def yahoo_is_silent(server: SilentServer, monkeypatch: pytest.MonkeyPatch
                    ) -> Iterator[SilentServer]:
    """yfinance's real HTTP stack, every URL rewritten to the silent server (loopback)."""
    for _ in _route_yahoo_to(server.port, server.close, monkeypatch):
        yield server


@pytest.fixture
def yahoo_fails(monkeypatch: pytest.MonkeyPatch) -> Iterator[ErrorServer]:
    """yfinance's real HTTP stack against a loopback server answering HTTP 500 to all."""
    with ErrorServer() as failing:
        for _ in _route_yahoo_to(failing.port, failing.close, monkeypatch):
            yield failing


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_http_500_with_a_json_body_is_transient_not_delisted(
        yahoo_fails: ErrorServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    from thesis_lib.market import CachedProvider

    from .yahoo_stub import warm_timezones

    # yfinance knows MU's timezone (as on disk after any earlier run), so the only request
    # is for the prices, and Yahoo's JSON error body would read as "no price data found".
    warm_timezones(monkeypatch, {"MU": "America/New_York"})
    provider = CachedProvider(YFinanceProvider(timeout=5.0, deadline=GENEROUS,
                                               retry=_policy(attempts=2)),
                              directory=tmp_path)
    with pytest.raises(SourceUnavailableError) as info:
        provider.history(["MU"], START, END)
    message = str(info.value)
    assert "HTTP 500" in message
    assert "delisted" not in message
    assert yahoo_fails.requests >= 2  # retried, and asked again (not replayed from memory)
    assert list(tmp_path.rglob("*.json")) == []  # nothing cached
    assert capfd.readouterr().err == ""


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_yfinance_itself_against_a_silent_server_fails_within_the_deadline(
        yahoo_is_silent: SilentServer, capfd: pytest.CaptureFixture[str]) -> None:
    provider = YFinanceProvider(timeout=0.3, deadline=3.0, retry=_policy(attempts=2))
    began = time.monotonic()
    with pytest.raises(SourceUnavailableError) as info:
        provider.history(["MU", "NVDA"], START, END)
    assert time.monotonic() - began < GENEROUS
    assert yahoo_is_silent.accepted >= 1  # yfinance really connected, to loopback only
    assert not isinstance(info.value, SourceUnreachableError)
    with pytest.raises(SourceUnavailableError):
        provider.snapshot(["MU"])  # Ticker.info has no timeout of its own
    assert time.monotonic() - began < GENEROUS
    assert capfd.readouterr().err == ""  # yfinance's log lines were captured, not shown


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_command_line_against_a_silent_server_ends_with_one_error(
        yahoo_is_silent: SilentServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
        capfd: pytest.CaptureFixture[str]) -> None:
    from thesis_lib.cli import main

    monkeypatch.setenv("THESIS_LIB_CACHE_DIR", str(tmp_path))
    began = time.monotonic()
    status = main(["screen", "--prices", "yfinance", "--timeout", "0.3", "--deadline", "2"])
    assert time.monotonic() - began < GENEROUS
    assert status == 1
    captured = capfd.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, lines  # one error line, no yfinance chatter, no traceback
    assert re.match(r"thesis screen: error: yfinance did not (answer|finish)", lines[0])
    assert "within the run's total deadline" in lines[0] or "did not answer" in lines[0]
    assert yahoo_is_silent.accepted >= 1


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_download_given_up_on_does_not_block_the_retry(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """yfinance's own ``download`` hangs on the first call and answers on the second: the
    retry must not wait for the hung call (nothing it holds may block the next one)."""
    yfinance = pytest.importorskip("yfinance")
    from .yf_shapes import load_download

    release = threading.Event()
    calls: list[list[str]] = []
    frame, _ = load_download("one")

    def download(tickers: list[str], **kwargs: Any) -> pd.DataFrame:
        calls.append(list(tickers))
        if len(calls) == 1:
            release.wait(GENEROUS)  # a call to a server that never answers
        return frame

    monkeypatch.setattr(yfinance, "download", download)
    provider = YFinanceProvider(quote=SilentQuote(1), timeout=0.3, deadline=GENEROUS,
                                retry=_policy(attempts=2), today=lambda: END)
    try:
        history = provider.history(["MU"], START, END)
    finally:
        release.set()
    assert calls == [["MU"], ["MU"]]
    assert history.status.loc["MU", "status"] == "ok"
