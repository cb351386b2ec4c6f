"""YFinanceProvider's logic on frames shaped exactly as yfinance 1.7 returns them.

No yfinance needed: the download and quote steps are replaced by fakes that
replay the recorded fixtures (see ``fixtures/record.py``), including the log
lines yfinance writes instead of raising.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import subprocess
import sys
import threading
from typing import Any

import numpy as np
import pandas as pd
import pytest

from thesis_lib.errors import (
    MarketDataError,
    ProviderUnavailableError,
    RateLimitError,
)
from thesis_lib.market import (
    IncompleteDataWarning,
    RetryPolicy,
    SourceUnavailableError,
    YFinanceProvider,
)
from thesis_lib.market.testing import check_provider
from thesis_lib.market.yfinance import log_reasons, parse_download, reason_kind

from .helpers import (
    FakeClock,
    FixtureQuotes,
    ScriptedDownload,
    Timeout,
    YFRateLimitError,
    yf_like,
)
from .yf_shapes import load_download, load_info

START, END = dt.date(2026, 2, 9), dt.date(2026, 2, 27)


def make(download: Any = None, quote: Any = None, *, policy: RetryPolicy, **kw: Any
         ) -> YFinanceProvider:
    return YFinanceProvider(
        download=download if download is not None else ScriptedDownload("fx"),
        quote=quote if quote is not None else FixtureQuotes(),
        retry=policy,
        today=lambda: END,
        **kw,
    )


# --------------------------------------------------------------------------- history


def test_several_tickers_keep_request_order_with_utc_dates_and_nan_runs(policy: RetryPolicy
                                                                        ) -> None:
    download = ScriptedDownload("several")
    result = make(download, policy=policy).history(["2330.TW", "MU", "000660.KS"], START, END)
    assert list(result.close.columns) == ["2330.TW", "MU", "000660.KS"]
    assert str(result.close.index.tz) == "UTC"
    assert result.close.index[0] == pd.Timestamp("2026-02-09", tz="UTC")
    assert result.close.index[-1] == pd.Timestamp("2026-02-27", tz="UTC")
    assert pd.Timestamp("2026-02-16", tz="UTC") not in result.close.index  # nobody traded
    raw, _ = load_download("several")
    np.testing.assert_array_equal(result.close["MU"].to_numpy(), raw[("Close", "MU")].to_numpy())
    hynix = result.close["000660.KS"]
    assert hynix.loc["2026-02-17":"2026-02-18"].isna().all()  # Seollal: NaN run, row kept
    assert result.close["2330.TW"].loc["2026-02-17":"2026-02-20"].isna().all()
    assert hynix.notna().sum() == 12
    assert result.volume["MU"].dtype == np.float64
    assert result.volume["MU"].iloc[0] == raw[("Volume", "MU")].iloc[0]
    assert list(result.status["status"]) == ["ok", "ok", "ok"]
    assert list(result.status["as_of"]) == ["2026-02-27"] * 3
    assert download.calls == [{"tickers": ["2330.TW", "MU", "000660.KS"], "start": START,
                               "end": dt.date(2026, 2, 28), "interval": "1d"}]


def test_one_ticker_frame_is_still_multiindexed(policy: RetryPolicy) -> None:
    raw, _ = load_download("one")
    assert raw.columns.names == ["Price", "Ticker"]
    result = make(ScriptedDownload("one"), policy=policy).history(["MU"], START, END)
    assert result.close.shape == (14, 1)
    assert result.status.loc["MU", "status"] == "ok"


def test_lowercase_request_maps_to_upper_cased_columns(policy: RetryPolicy) -> None:
    result = make(ScriptedDownload("one"), policy=policy).history(["mu"], START, END)
    assert list(result.close.columns) == ["mu"]
    assert result.close["mu"].notna().all()


def test_failed_ticker_is_missing_with_reason_and_others_are_fine(policy: RetryPolicy) -> None:
    download = ScriptedDownload("failed")
    raw, _ = load_download("failed")
    assert ("Adj Close", "DELISTED1") in raw.columns  # the stray column yfinance adds
    with pytest.warns(IncompleteDataWarning, match="DELISTED1") as record:
        result = make(download, policy=policy).history(["MU", "DELISTED1", "000660.KS"],
                                                       START, END)
    assert "1 of 3 tickers are not ok" in str(record[0].message)
    assert list(result.close.columns) == ["MU", "DELISTED1", "000660.KS"]
    assert result.close["DELISTED1"].isna().all()
    status = result.status
    assert status.loc["DELISTED1", "status"] == "missing"
    assert status.loc["DELISTED1", "reason"] == (
        "possibly delisted or misspelt (Yahoo answered 404 Not Found)")
    assert pd.isna(status.loc["DELISTED1", "as_of"])
    assert status.loc["MU", "status"] == "ok"
    assert status.loc["000660.KS", "status"] == "ok"
    assert len(download.calls) == 1  # a missing symbol is not retried


def test_every_ticker_failing_gives_an_empty_frame_and_missing_rows(policy: RetryPolicy
                                                                    ) -> None:
    raw, _ = load_download("all_failed")
    assert raw.empty
    assert len(raw.columns) == 12
    with pytest.warns(IncompleteDataWarning, match="2 of 2"):
        result = make(ScriptedDownload("all_failed"), policy=policy).history(
            ["DELISTED1", "NOPE2"], START, END)
    assert result.close.shape == (0, 2)
    assert list(result.status["status"]) == ["missing", "missing"]


def test_rate_limited_ticker_is_retried_alone_then_ok(policy: RetryPolicy, clock: FakeClock
                                                      ) -> None:
    download = ScriptedDownload("rate_limited", "one")
    result = make(download, policy=policy).history(["MU", "000660.KS"], START, END)
    assert [c["tickers"] for c in download.calls] == [["MU", "000660.KS"], ["MU"]]
    assert list(result.status["status"]) == ["ok", "ok"]
    assert len(clock.sleeps) == 1
    assert 0.0 <= clock.sleeps[0] <= 1.0


def test_persistent_rate_limit_fails_only_that_ticker(policy: RetryPolicy, clock: FakeClock
                                                      ) -> None:
    download = ScriptedDownload("rate_limited", "rate_limited_alone")
    with pytest.warns(IncompleteDataWarning, match="MU"):
        result = make(download, policy=policy).history(["MU", "000660.KS"], START, END)
    assert len(download.calls) == 4  # max_attempts
    assert result.status.loc["000660.KS", "status"] == "ok"
    assert result.status.loc["MU", "status"] == "unavailable"  # transient: not a verdict
    assert result.status.loc["MU", "reason"].startswith("rate limited after 4 attempts")
    assert "YFRateLimitError" in result.status.loc["MU", "reason"]
    caps = [1.0, 2.0, 4.0]
    assert len(clock.sleeps) == 3
    assert all(0.0 <= s <= cap for s, cap in zip(clock.sleeps, caps, strict=True))


def test_everything_rate_limited_raises_after_the_budget(policy: RetryPolicy) -> None:
    download = ScriptedDownload("rate_limited_alone")
    with pytest.raises(RateLimitError, match="rate-limited every request") as info:
        make(download, policy=policy).history(["MU"], START, END)
    assert "CachedProvider" in (info.value.hint or "")
    assert len(download.calls) == 4


def test_total_time_budget_stops_retries_early(clock: FakeClock) -> None:
    tight = RetryPolicy(max_attempts=10, base_delay=4.0, max_delay=60.0, total_budget=10.0,
                        sleep=clock.sleep, clock=clock, rng=__import__("random").Random(3))
    download = ScriptedDownload("rate_limited_alone")
    start = clock()
    with pytest.raises(RateLimitError):
        make(download, policy=tight).history(["MU"], START, END)
    assert len(download.calls) < 10
    assert clock() - start <= 10.0


def test_timeout_reported_as_transient_is_retried(policy: RetryPolicy) -> None:
    download = ScriptedDownload("timeout", "one")
    result = make(download, policy=policy).history(["MU", "000660.KS"], START, END)
    assert len(download.calls) == 2
    assert list(result.status["status"]) == ["ok", "ok"]


def test_persistent_timeout_fails_that_ticker_with_the_reason(policy: RetryPolicy) -> None:
    download = ScriptedDownload("timeout", "timeout_alone")
    with pytest.warns(IncompleteDataWarning):
        result = make(download, policy=policy).history(["MU", "000660.KS"], START, END)
    reason = result.status.loc["MU", "reason"]
    assert result.status.loc["MU", "status"] == "unavailable"
    assert reason.startswith("no answer after 4 attempts")
    assert "timed out" in reason


def test_everything_timing_out_raises_source_unavailable(policy: RetryPolicy) -> None:
    with pytest.raises(SourceUnavailableError, match="did not answer"):
        make(ScriptedDownload("timeout_alone"), policy=policy).history(["MU"], START, END)


def test_download_raising_a_rate_limit_is_retried(policy: RetryPolicy) -> None:
    download = ScriptedDownload(YFRateLimitError(), "several")
    result = make(download, policy=policy).history(["MU", "000660.KS", "2330.TW"], START, END)
    assert len(download.calls) == 2
    assert (result.status["status"] == "ok").all()


def test_download_raising_a_timeout_every_time_raises(policy: RetryPolicy) -> None:
    download = ScriptedDownload(Timeout("Operation timed out"))
    with pytest.raises(SourceUnavailableError):
        make(download, policy=policy).history(["MU", "000660.KS"], START, END)
    assert len(download.calls) == 4


def test_download_raising_an_unexpected_error_fails_the_chunk_only(policy: RetryPolicy
                                                                   ) -> None:
    days = ["2026-02-26", "2026-02-27"]
    download = ScriptedDownload(ValueError("boom"), yf_like({"C": [1.0, 2.0]}, days))
    with pytest.warns(IncompleteDataWarning, match="ValueError: boom"):
        result = make(download, policy=policy, chunk_size=2).history(["A", "B", "C"],
                                                                     START, END)
    assert list(result.status["status"]) == ["failed", "failed", "ok"]
    assert result.status.loc["A", "reason"] == "error: ValueError: boom"
    assert len(download.calls) == 2


def test_one_download_call_per_chunk(policy: RetryPolicy) -> None:
    days = ["2026-02-26", "2026-02-27"]
    tickers = ["A", "B", "C", "D", "E"]
    frames = [yf_like({t: [1.0, 2.0] for t in chunk}, days)
              for chunk in (["A", "B"], ["C", "D"], ["E"])]
    download = ScriptedDownload(*frames)
    result = make(download, policy=policy, chunk_size=2).history(tickers, START, END)
    assert [c["tickers"] for c in download.calls] == [["A", "B"], ["C", "D"], ["E"]]
    assert list(result.close.columns) == tickers
    assert (result.status["status"] == "ok").all()


def test_stale_ticker_is_flagged(policy: RetryPolicy) -> None:
    days = ["2026-02-02", "2026-02-03", "2026-02-26", "2026-02-27"]
    frame = yf_like({"OLD": [5.0, 5.1, None, None], "NEW": [1.0, 1.1, 1.2, 1.3]}, days)
    with pytest.warns(IncompleteDataWarning, match="stale"):
        result = make(ScriptedDownload(frame), policy=policy).history(
            ["OLD", "NEW"], dt.date(2026, 2, 2), END)
    assert result.status.loc["OLD", "status"] == "stale"
    assert "last price on 2026-02-03, 18 business days" in result.status.loc["OLD", "reason"]
    assert result.status.loc["NEW", "status"] == "ok"


def test_intraday_bars_are_converted_to_utc(policy: RetryPolicy) -> None:
    raw, _ = load_download("intraday")
    assert str(raw.index.tz) == "America/New_York"
    result = make(ScriptedDownload("intraday"), policy=policy).history(
        ["MU"], dt.date(2026, 2, 26), END, interval="1h")
    assert result.close.index[0] == pd.Timestamp("2026-02-26 14:30", tz="UTC")
    assert len(result.close) == 14


def test_yfinance_shaped_frame_passes_the_conformance_check(policy: RetryPolicy) -> None:
    provider = make(ScriptedDownload("several", "fx"), policy=policy)
    history, snapshot = check_provider(provider, ["MU", "000660.KS"], START, END)
    assert history.status.loc["MU", "status"] == "ok"
    assert snapshot.status.loc["000660.KS", "status"] == "ok"


# --------------------------------------------------------------------------- parsing


def test_log_reasons_read_yfinance_summary_and_per_ticker_lines() -> None:
    _, lines = load_download("failed")
    assert log_reasons(lines) == {"DELISTED1": (
        "missing", "possibly delisted or misspelt (Yahoo answered 404 Not Found)")}
    assert log_reasons(["$X: possibly delisted; no timezone found"]) == {
        "X": ("missing", "possibly delisted; no timezone found")}
    _, lines = load_download("rate_limited")
    kind, reason = log_reasons(lines)["MU"]
    assert kind == "rate_limit"
    assert reason.startswith("YFRateLimitError")


def test_timeout_while_finding_the_timezone_is_not_taken_for_a_delisting() -> None:
    lines = ["Failed to get ticker 'MU' reason: Failed to perform, curl: (28) timed out",
             "$MU: possibly delisted; no timezone found",
             "\n1 Failed download:",
             "['MU']: possibly delisted; no timezone found"]
    kind, reason = log_reasons(lines)["MU"]
    assert kind == "transient"
    assert "timed out" in reason
    assert "possibly delisted" in reason


@pytest.mark.parametrize(
    ("text", "kind"),
    [("YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')", "rate_limit"),
     ("Timeout('Failed to perform, curl: (28)')", "transient"),
     ("possibly delisted; no price data found (1d 2026-01-01 -> 2026-02-01)", "missing"),
     ("auto_adjust failed with division by zero", "fatal")],
)
def test_reason_kind(text: str, kind: str) -> None:
    assert reason_kind(text) == kind


def test_parse_download_handles_none_and_flat_frames() -> None:
    # No frame and no log line: the reason was not seen, so it is not taken as "missing".
    assert parse_download(None, ["MU"])["MU"].kind == "transient"  # type: ignore[union-attr]
    raw, _ = load_download("one")
    flat = raw.droplevel(1, axis=1)  # multi_level_index=False
    bars = parse_download(flat, ["MU"])["MU"]
    assert len(bars.close) == 14  # type: ignore[union-attr]


# --------------------------------------------------------------------------- snapshot


def test_snapshot_from_info_with_fx_from_the_same_source(policy: RetryPolicy) -> None:
    quotes = FixtureQuotes()
    download = ScriptedDownload("fx")
    result = make(download, quotes, policy=policy).snapshot(["000660.KS", "MU"])
    data = result.data
    assert list(data.index) == ["000660.KS", "MU"]
    mu, hynix = load_info("MU"), load_info("000660.KS")
    assert data.loc["MU", "price"] == mu["currentPrice"]
    assert data.loc["MU", "market_cap"] == mu["marketCap"]
    assert data.loc["MU", "market_cap_usd"] == mu["marketCap"]
    assert data.loc["MU", "adv_usd"] == pytest.approx(mu["averageDailyVolume3Month"] * 436.12)
    assert (data.loc["MU", "pe_trailing"], data.loc["MU", "pe_forward"],
            data.loc["MU", "ev_sales"]) == (31.2, 10.4, 9.1)
    assert data.loc["MU", "as_of"] == "2026-02-27"
    assert data.loc["MU", "source"] == "yfinance"
    fx, _ = load_download("fx")
    krw = float(fx[("Close", "KRW=X")].dropna().iloc[-1])
    assert data.loc["000660.KS", "currency"] == "KRW"
    assert data.loc["000660.KS", "fx_rate_usd"] == pytest.approx(1 / krw)
    assert data.loc["000660.KS", "market_cap_usd"] == pytest.approx(hynix["marketCap"] / krw)
    assert data.loc["000660.KS", "as_of"] == "2026-02-27"  # Seoul date of the quote time
    rates = result.fx.set_index("currency")
    assert rates.loc["KRW", "date"] == "2026-02-27"
    assert rates.loc["KRW", "source"] == "yfinance:KRW=X"
    assert download.calls[0]["tickers"] == ["KRW=X"]
    assert sorted(quotes.calls) == ["000660.KS", "MU"]
    assert (result.status["status"] == "ok").all()


def test_fx_quotes_are_fetched_once_per_currency_and_day(policy: RetryPolicy) -> None:
    download = ScriptedDownload("fx")
    provider = make(download, policy=policy)
    provider.snapshot(["000660.KS"])
    provider.snapshot(["000660.KS", "MU"])
    assert len(download.calls) == 1


def test_pence_listing_gets_the_minor_unit_right(policy: RetryPolicy) -> None:
    provider = make(quote=FixtureQuotes(), policy=policy, fx={"GBP": 1.27})
    data = provider.snapshot(["RR.L"]).data
    info = load_info("RR.L")
    assert data.loc["RR.L", "currency"] == "GBp"
    assert data.loc["RR.L", "price"] == 1184.5  # pence, as quoted
    assert data.loc["RR.L", "market_cap"] == pytest.approx(info["marketCap"] * 100)  # pence
    assert data.loc["RR.L", "fx_rate_usd"] == pytest.approx(0.0127)
    assert data.loc["RR.L", "market_cap_usd"] == pytest.approx(info["marketCap"] * 1.27)
    assert data.loc["RR.L", "adv_usd"] == pytest.approx(24_000_000 * 1184.5 * 0.0127)


def test_pence_market_cap_already_in_pence_is_kept(policy: RetryPolicy) -> None:
    info = dict(load_info("RR.L"), marketCap=8_436_000_000 * 1184.5)
    quotes = FixtureQuotes({"RR.L": lambda: info})
    data = make(quote=quotes, policy=policy, fx={"GBP": 1.27}).snapshot(["RR.L"]).data
    assert data.loc["RR.L", "market_cap"] == pytest.approx(8_436_000_000 * 1184.5)


def test_unknown_symbol_is_missing_and_the_rest_fine(policy: RetryPolicy) -> None:
    with pytest.warns(IncompleteDataWarning, match="UNKNOWN1"):
        result = make(policy=policy).snapshot(["MU", "UNKNOWN1"])
    assert result.status.loc["UNKNOWN1", "status"] == "missing"
    assert math.isnan(result.data.loc["UNKNOWN1", "price"])
    assert result.status.loc["MU", "status"] == "ok"


def test_quote_rate_limited_once_is_retried(policy: RetryPolicy, clock: FakeClock) -> None:
    calls = {"n": 0}

    def flaky() -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise YFRateLimitError()
        return load_info("MU")

    result = make(quote=FixtureQuotes({"MU": flaky}), policy=policy).snapshot(["MU"])
    assert result.status.loc["MU", "status"] == "ok"
    assert calls["n"] == 2
    assert len(clock.sleeps) == 1


def test_quote_timing_out_fails_only_that_ticker(policy: RetryPolicy) -> None:
    quotes = FixtureQuotes({"MU": Timeout("Operation timed out")})
    with pytest.warns(IncompleteDataWarning, match="MU"):
        result = make(quote=quotes, policy=policy).snapshot(["MU", "000660.KS"])
    assert result.status.loc["MU", "status"] == "unavailable"
    assert "did not answer after 4 attempts" in result.status.loc["MU", "reason"]
    assert result.status.loc["000660.KS", "status"] == "ok"
    assert quotes.calls.count("MU") == 4


def test_all_quotes_rate_limited_raises(policy: RetryPolicy) -> None:
    quotes = FixtureQuotes({"MU": YFRateLimitError(), "000660.KS": YFRateLimitError()})
    with pytest.raises(RateLimitError):
        make(quote=quotes, policy=policy).snapshot(["MU", "000660.KS"])


def test_quotes_run_concurrently_but_bounded(policy: RetryPolicy) -> None:
    active = {"now": 0, "max": 0}
    lock = threading.Lock()
    barrier = threading.Barrier(2, timeout=5)

    def quote(symbol: str) -> dict[str, Any]:
        with lock:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()  # returns only when two quotes are in flight together
        with lock:
            active["now"] -= 1
        return dict(load_info("MU"), symbol=symbol)

    tickers = [f"T{i}" for i in range(6)]
    provider = make(quote=quote, policy=policy, max_workers=2)
    result = provider.snapshot(tickers)
    assert active["max"] == 2
    assert list(result.data.index) == tickers


# --------------------------------------------------------------------------- the extra


def test_missing_extra_raises_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "yfinance" else real(name, *a))
    with pytest.raises(ProviderUnavailableError) as info:
        YFinanceProvider()
    assert info.value.hint == 'pip install "thesis-lib[market]"'
    assert 'pip install "thesis-lib[market]"' in str(info.value)


def test_default_fetch_without_yfinance_raises_the_same_error(monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    from thesis_lib.market import yfinance as adapter

    monkeypatch.setitem(sys.modules, "yfinance", None)
    with pytest.raises(ProviderUnavailableError, match=r"thesis-lib\[market\]"):
        adapter.yf_info("MU")


def test_importing_the_package_does_not_import_yfinance() -> None:
    code = ("import sys; sys.modules['yfinance'] = None; import thesis_lib.market as m; "
            "from thesis_lib.market import MARKET_COLUMNS; "
            "print(len(MARKET_COLUMNS))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "12"


def test_bad_settings_are_library_errors(policy: RetryPolicy) -> None:
    with pytest.raises(MarketDataError, match="chunk_size"):
        make(policy=policy, chunk_size=0)
    with pytest.raises(MarketDataError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
