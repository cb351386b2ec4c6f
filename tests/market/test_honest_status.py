"""Honest status and an honest cache, with yfinance's network layer patched.

yfinance itself runs unchanged; ``YfData.get`` answers from stored Yahoo responses
or fails as the real transport does (see ``yahoo_stub``). The cases are those a
cron job meets: a timeout, reset or HTTP 500 once yfinance's timezone cache is
warm; rate limits under any logging set-up; "no data" answers; no network at all.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from thesis_lib.market import CachedProvider, IncompleteDataWarning, RetryPolicy, YFinanceProvider
from thesis_lib.market.problems import SourceUnreachableError
from thesis_lib.market.yfinance import NO_REASON

from .helpers import FakeClock
from .yahoo_stub import YahooStub, install, symbols_requested, warm_timezones

pytest.importorskip("yfinance")

pytestmark = [
    pytest.mark.filterwarnings(
        r"ignore:The inplace keyword in DataFrame\.(sort_index|drop|rename|set_index) is"
        r" deprecated:DeprecationWarning"
    ),
]

START, END = dt.date(2026, 2, 9), dt.date(2026, 2, 27)
ZONES = {"MU": "America/New_York", "000660.KS": "Asia/Seoul"}


class WallClock:
    """Seconds since the epoch for the cache, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now


def _provider(clock: FakeClock, **kw: object) -> YFinanceProvider:
    policy = RetryPolicy(sleep=clock.sleep, clock=clock)
    return YFinanceProvider(retry=policy, today=lambda: END, **kw)  # type: ignore[arg-type]


def _cached(tmp_path: Path, clock: FakeClock, wall: WallClock | None = None,
            **kw: object) -> CachedProvider:
    return CachedProvider(_provider(clock, **kw), directory=tmp_path,
                          clock=wall or WallClock(), today=lambda: END)


def _chart_requests(stub: YahooStub, symbol: str) -> int:
    """Requests for ``symbol``'s chart (its timezone or its prices)."""
    return sum(1 for url, _ in stub.calls if url.rstrip("/").endswith(f"/chart/{symbol}"))


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """Put the logging set-up a test changes back as it was."""
    root, yf = logging.getLogger(), logging.getLogger("yfinance")
    saved = (root.level, list(root.handlers), yf.level, yf.disabled, yf.propagate,
             list(yf.handlers))
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        yf.setLevel(saved[2])
        yf.disabled, yf.propagate = saved[3], saved[4]
        yf.handlers[:] = saved[5]


# --------------------------------------------------------------------------- transient


@pytest.mark.parametrize(
    ("failure", "said"),
    [("timeouts", "timed out"), ("resets", "Connection reset"),
     ("server_errors", "JSONDecodeError")],
)
def test_transient_failure_with_a_warm_timezone_cache_is_retried_not_cached_not_delisted(
        failure: str, said: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capfd: pytest.CaptureFixture[str]) -> None:
    stub = YahooStub(**{failure: ["MU"]})  # type: ignore[arg-type]
    install(monkeypatch, stub)
    warm_timezones(monkeypatch, ZONES)  # as on disk after any earlier run
    clock = FakeClock()
    cached = _cached(tmp_path, clock)
    with pytest.warns(IncompleteDataWarning, match="unavailable"):
        first = cached.history(["MU", "000660.KS"], START, END)
    status = first.status
    assert status.loc["MU", "status"] == "unavailable"
    assert status.loc["MU", "reason"].startswith("no answer after 4 attempts")
    assert said in status.loc["MU", "reason"]
    assert "delisted" not in status.loc["MU", "reason"]
    assert status.loc["000660.KS", "status"] == "ok"
    assert _chart_requests(stub, "MU") == 4  # retried up to max_attempts
    assert len(clock.sleeps) == 3
    # Not cached: the next run asks for MU again, and only for MU.
    stub.calls.clear()
    with pytest.warns(IncompleteDataWarning):
        cached.history(["MU", "000660.KS"], START, END)
    assert set(symbols_requested(stub)) == {"MU"}
    assert capfd.readouterr().err == ""


def test_transient_failure_that_clears_is_ok_after_a_retry(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    stub = YahooStub(timeouts=["MU"])
    install(monkeypatch, stub)
    warm_timezones(monkeypatch, ZONES)
    clock = FakeClock()

    def recover(_: float) -> None:
        stub.timeouts.clear()  # the network is back by the first retry

    policy = RetryPolicy(sleep=recover, clock=clock)
    history = YFinanceProvider(retry=policy, today=lambda: END).history(["MU"], START, END)
    assert history.status.loc["MU", "status"] == "ok"
    assert _chart_requests(stub, "MU") == 2


# --------------------------------------------------------------------------- rate limits


def _quiet_yfinance() -> None:
    logging.getLogger("yfinance").setLevel(logging.CRITICAL)


def _quiet_root() -> None:
    logging.getLogger().setLevel(logging.CRITICAL)


def _disabled_yfinance() -> None:
    logging.getLogger("yfinance").disabled = True


def _app_handler() -> None:
    logging.basicConfig(level=logging.WARNING, force=True)


SETUPS = {"default": lambda: None, "yfinance logger quieted": _quiet_yfinance,
          "root logger quieted": _quiet_root, "yfinance logger disabled": _disabled_yfinance,
          "app logging to stderr": _app_handler}


@pytest.mark.parametrize("setup", list(SETUPS))
def test_rate_limit_is_recognised_whatever_the_logging_setup(
        setup: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, logging_restored: None,
        capfd: pytest.CaptureFixture[str]) -> None:
    SETUPS[setup]()
    yf_logger = logging.getLogger("yfinance")
    before = (yf_logger.level, yf_logger.disabled, yf_logger.propagate, len(yf_logger.handlers))
    stub = YahooStub(rate_limited=["MU"])
    install(monkeypatch, stub)
    clock = FakeClock()
    cached = _cached(tmp_path, clock)
    with pytest.warns(IncompleteDataWarning, match="MU"):
        history = cached.history(["MU", "000660.KS"], START, END)
    assert history.status.loc["MU", "status"] == "unavailable"
    assert history.status.loc["MU", "reason"].startswith("rate limited after 4 attempts")
    assert "YFRateLimitError" in history.status.loc["MU", "reason"]
    assert history.status.loc["000660.KS", "status"] == "ok"
    assert _chart_requests(stub, "MU") == 4
    stub.calls.clear()
    with pytest.warns(IncompleteDataWarning):
        cached.history(["MU", "000660.KS"], START, END)
    assert set(symbols_requested(stub)) == {"MU"}  # the rate-limited answer was not cached
    assert (yf_logger.level, yf_logger.disabled, yf_logger.propagate,
            len(yf_logger.handlers)) == before  # the user's set-up is left as it was
    assert "YFRateLimitError" not in capfd.readouterr().err  # captured, never dumped


def test_with_all_logging_disabled_no_data_is_unavailable_not_missing(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, logging_restored: None) -> None:
    logging.disable(logging.CRITICAL)
    stub = YahooStub(rate_limited=["MU"])
    install(monkeypatch, stub)
    cached = _cached(tmp_path, FakeClock())
    with pytest.warns(IncompleteDataWarning):
        history = cached.history(["MU", "000660.KS"], START, END)
    assert history.status.loc["MU", "status"] == "unavailable"
    assert NO_REASON in history.status.loc["MU", "reason"]
    stub.calls.clear()
    with pytest.warns(IncompleteDataWarning):
        cached.history(["MU", "000660.KS"], START, END)
    assert set(symbols_requested(stub)) == {"MU"}


# --------------------------------------------------------------------------- no data


def test_no_data_is_cached_as_missing_for_a_short_time(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    stub = YahooStub()
    install(monkeypatch, stub)
    wall = WallClock()
    cached = _cached(tmp_path, FakeClock(), wall)
    assert cached.missing_ttl == dt.timedelta(hours=1)
    with pytest.warns(IncompleteDataWarning, match="DELISTED1"):
        first = cached.history(["MU", "DELISTED1"], START, END)
    assert first.status.loc["DELISTED1", "status"] == "missing"
    assert "404" in first.status.loc["DELISTED1", "reason"]

    stub.calls.clear()
    wall.now += 30 * 60
    with pytest.warns(IncompleteDataWarning, match="DELISTED1"):
        again = cached.history(["MU", "DELISTED1"], START, END)
    assert stub.calls == []  # both served from the cache
    assert again.status.loc["DELISTED1", "status"] == "missing"

    wall.now += 31 * 60  # past the 1-hour missing TTL, well within the 12-hour one
    with pytest.warns(IncompleteDataWarning, match="DELISTED1"):
        cached.history(["MU", "DELISTED1"], START, END)
    assert set(symbols_requested(stub)) == {"DELISTED1"}


# --------------------------------------------------------------------------- offline


def test_dns_failure_gives_one_offline_error_and_tries_no_other_ticker(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capfd: pytest.CaptureFixture[str]) -> None:
    stub = YahooStub(offline=True)
    install(monkeypatch, stub)
    clock = FakeClock()
    provider = _cached(tmp_path, clock, chunk_size=1, max_workers=1)
    with pytest.raises(SourceUnreachableError) as info:
        provider.history(["MU", "NVDA", "000660.KS"], START, END)
    message = str(info.value)
    assert message.startswith("cannot reach Yahoo Finance (offline?): Could not resolve host")
    assert "no further tickers were tried" in message
    assert set(symbols_requested(stub)) == {"MU"}
    assert clock.sleeps == []  # not retried

    stub.calls.clear()
    with pytest.raises(SourceUnreachableError, match=r"cannot reach Yahoo Finance \(offline\?\)"):
        provider.snapshot(["MU", "NVDA", "000660.KS"])
    assert set(symbols_requested(stub)) == {"MU"}
    assert capfd.readouterr().err == ""  # no yfinance lines on the terminal
    assert list(tmp_path.rglob("*.json")) == []  # nothing cached


@pytest.mark.parametrize(
    "text",
    ["Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com",
     "Failed to perform, curl: (7) Failed to connect to query2.finance.yahoo.com port 443",
     "HTTPSConnectionPool: Max retries exceeded (Caused by NameResolutionError: "
     "Temporary failure in name resolution)",
     "[Errno -2] Name or service not known"],
)
def test_what_counts_as_unreachable(text: str) -> None:
    from thesis_lib.market.retry import classify_exception
    from thesis_lib.market.yfinance import reason_kind

    assert reason_kind(text) == "unreachable"
    assert classify_exception(OSError(text)) == "unreachable"


def test_yfinance_lines_are_summarised_in_one_line_not_shown(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        capfd: pytest.CaptureFixture[str]) -> None:
    install(monkeypatch, YahooStub(rate_limited=["MU"]))
    provider = _provider(FakeClock())
    with caplog.at_level(logging.INFO, logger="thesis_lib.market.yfinance"), \
            pytest.warns(IncompleteDataWarning):
        provider.history(["MU", "000660.KS"], START, END)
    summaries = [r.getMessage() for r in caplog.records
                 if r.name == "thesis_lib.market.yfinance"]
    assert len(summaries) == 1
    assert summaries[0].startswith("yfinance logged ")
    assert "rate limit" in summaries[0]
    assert not [r for r in caplog.records if r.name.startswith("yfinance")]  # none leaked
    assert capfd.readouterr().err == ""
