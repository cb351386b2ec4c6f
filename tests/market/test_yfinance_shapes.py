"""yfinance's own parsing, offline: the fixtures are what yfinance 1.7 really returns.

``YfData.get`` is patched to serve Yahoo responses (``fixtures/yahoo``); the real
``yfinance.download`` / ``Ticker.info`` / ``fast_info`` then run unchanged. If a
yfinance release changes its output shapes, these tests fail and the fixtures
must be recorded again (``python tests/market/fixtures/record.py``).
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from thesis_lib.market import IncompleteDataWarning, RetryPolicy, YFinanceProvider
from thesis_lib.market.yfinance import (
    capture_yfinance_log,
    log_reasons,
    yf_download,
    yf_fast_info,
    yf_info,
)

from .helpers import FakeClock
from .yahoo_stub import YahooStub, install, symbols_requested
from .yf_shapes import DOWNLOADS, download_call, load_download, load_info

pytest.importorskip("yfinance")

# yfinance 1.7 still passes inplace=True to pandas; pandas 3.1 deprecates that.
# Exactly these are silenced. With "error" they would be raised inside yfinance, which
# swallows them per ticker and reports a failed download. (No module field: pytest.warns
# re-emits unmatched warnings under the module name "warnings".)
pytestmark = [
    pytest.mark.filterwarnings(
        r"ignore:The inplace keyword in DataFrame\.(sort_index|drop|rename|set_index) is"
        r" deprecated:DeprecationWarning"
    ),
]

SCENARIOS = sorted(p.stem for p in DOWNLOADS.glob("*.json"))


@pytest.mark.parametrize("name", SCENARIOS)
def test_download_fixture_is_what_yfinance_returns(name: str, monkeypatch: pytest.MonkeyPatch
                                                   ) -> None:
    call = download_call(name)
    install(monkeypatch, YahooStub(rate_limited=call["rate_limited"], timeouts=call["timeouts"]))
    with capture_yfinance_log() as lines:
        live = yf_download(call["tickers"], start=dt.date.fromisoformat(call["start"]),
                           end=dt.date.fromisoformat(call["end"]), interval=call["interval"])
    recorded, recorded_lines = load_download(name)
    assert live is not None
    pd.testing.assert_frame_equal(live, recorded)
    assert log_reasons(lines) == log_reasons(recorded_lines)


@pytest.mark.parametrize("symbol", ["MU", "000660.KS", "RR.L", "UNKNOWN1"])
def test_info_fixture_is_what_yfinance_returns(symbol: str, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    install(monkeypatch, YahooStub())
    with capture_yfinance_log():
        assert dict(yf_info(symbol)) == load_info(symbol)


def test_fast_info_quote_in_info_key_names(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, YahooStub())
    quote = yf_fast_info("MU")
    recorded, _ = load_download("one")
    assert quote["currency"] == "USD"
    assert quote["sharesOutstanding"] == 1_119_000_000
    assert quote["exchangeTimezoneName"] == "America/New_York"
    assert quote["regularMarketPrice"] == recorded[("Close", "MU")].iloc[-1]  # unadjusted last
    assert math.isfinite(quote["averageDailyVolume3Month"])


def _provider(clock: FakeClock, **kw: object) -> YFinanceProvider:
    policy = RetryPolicy(sleep=clock.sleep, clock=clock)
    return YFinanceProvider(retry=policy, today=lambda: dt.date(2026, 2, 27), **kw)  # type: ignore[arg-type]


def test_provider_end_to_end_on_yfinance_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    stub = YahooStub()
    install(monkeypatch, stub)
    provider = _provider(FakeClock())
    with pytest.warns(IncompleteDataWarning, match="DELISTED1"):
        history = provider.history(["000660.KS", "DELISTED1", "MU"], dt.date(2026, 2, 9),
                                   dt.date(2026, 2, 27))
    assert list(history.status["status"]) == ["ok", "missing", "ok"]
    assert history.close["000660.KS"].notna().sum() == 12
    snapshot = provider.snapshot(["000660.KS", "MU"])
    assert (snapshot.status["status"] == "ok").all()
    assert snapshot.data.loc["000660.KS", "fx_rate_usd"] == pytest.approx(
        1 / history_krw_close(), rel=1e-12)
    assert "KRW=X" in symbols_requested(stub)


def history_krw_close() -> float:
    fx, _ = load_download("fx")
    return float(fx[("Close", "KRW=X")].dropna().iloc[-1])


def test_provider_retries_yfinance_rate_limits_then_gives_up_on_that_ticker(
        monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, YahooStub(rate_limited=["MU"]))
    clock = FakeClock()
    with pytest.warns(IncompleteDataWarning, match="rate limited"):
        history = _provider(clock).history(["MU", "000660.KS"], dt.date(2026, 2, 9),
                                           dt.date(2026, 2, 27))
    assert history.status.loc["MU", "status"] == "unavailable"
    assert history.status.loc["000660.KS", "status"] == "ok"
    assert len(clock.sleeps) == 3


def test_provider_fast_info_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, YahooStub())
    snapshot = _provider(FakeClock(), quote_fields="fast_info").snapshot(["MU"])
    row = snapshot.data.loc["MU"]
    assert row["market_cap"] == pytest.approx(1_119_000_000 * row["price"])
    assert math.isnan(row["pe_trailing"])
    assert snapshot.status.loc["MU", "status"] == "ok"
