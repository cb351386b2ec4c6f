"""Currency normalisation, FX tables, backoff with full jitter, and error mapping."""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thesis_lib.errors import MarketDataError, RateLimitError, SymbolNotFoundError
from thesis_lib.market import FxTable, RetryPolicy, SourceUnavailableError, normalise_currency
from thesis_lib.market.fx import (
    fx_symbol,
    listing_currency,
    rates_from_closes,
    usd_rate_series,
)
from thesis_lib.market.retry import classify_exception, to_market_error

from .helpers import FakeClock, Timeout, YFRateLimitError


@pytest.mark.parametrize(
    ("code", "expected"),
    [("GBp", ("GBP", 0.01)), ("GBX", ("GBP", 0.01)), ("ZAc", ("ZAR", 0.01)),
     ("ILA", ("ILS", 0.01)), ("KWF", ("KWD", 0.001)), ("krw", ("KRW", 1.0)),
     (" TWD ", ("TWD", 1.0)), ("GBP", ("GBP", 1.0))],
)
def test_normalise_currency(code: str, expected: tuple[str, float]) -> None:
    assert normalise_currency(code) == expected


def test_bad_currency_code_is_a_library_error() -> None:
    with pytest.raises(MarketDataError, match="not a currency code"):
        normalise_currency("KRWW")
    assert fx_symbol("GBp") == "GBP=X"


def test_fx_table_lookups_with_minor_units() -> None:
    table = FxTable.from_mapping({"GBP": 1.25, "KRW": 0.0007}, date=dt.date(2026, 2, 27))
    rate, used = table.lookup("GBp")  # type: ignore[misc]
    assert rate == pytest.approx(0.0125)
    assert used.currency == "GBP"
    assert table.lookup("USD") is not None
    assert table.lookup("USD")[0] == 1.0
    assert table.lookup("JPY") is None
    assert "KRW" in table
    assert "JPY" not in table
    frame = table.to_frame()
    assert list(frame.columns) == ["currency", "rate_to_usd", "date", "source"]
    assert frame["date"].tolist() == ["2026-02-27", "2026-02-27"]


def test_fx_table_from_a_frame_and_its_errors() -> None:
    table = FxTable.from_frame(pd.DataFrame({"currency": ["EUR", "GBp"],
                                             "rate_to_usd": [1.08, 0.0125],
                                             "date": ["2026-02-27", None]}))
    assert table.lookup("GBP")[0] == pytest.approx(1.25)  # type: ignore[index]
    with pytest.raises(MarketDataError, match="no column 'rate_to_usd'"):
        FxTable.from_frame(pd.DataFrame({"currency": ["EUR"], "rate": [1.08]}))
    with pytest.raises(MarketDataError, match="positive number"):
        FxTable.from_mapping({"EUR": -1.0})


def test_rates_from_closes_inverts_units_per_dollar() -> None:
    index = pd.DatetimeIndex(["2026-02-26", "2026-02-27"], tz="UTC")
    close = pd.DataFrame({"KRW=X": [1440.0, float("nan")], "JPY=X": [float("nan")] * 2},
                         index=index)
    table, problems = rates_from_closes(close, ["KRW", "JPY", "TWD"], source="src")
    rate, used = table.lookup("KRW")  # type: ignore[misc]
    assert rate == pytest.approx(1 / 1440.0)
    assert used.date == dt.date(2026, 2, 26)
    assert used.source == "src:KRW=X"
    assert set(problems) == {"JPY", "TWD"}


# --------------------------------------------------------------------------- retry


@given(seed=st.integers(0, 2**32 - 1), attempt=st.integers(0, 6))
@settings(max_examples=60, deadline=None)
def test_full_jitter_stays_within_the_exponential_cap(seed: int, attempt: int) -> None:
    clock = FakeClock()
    policy = RetryPolicy(max_attempts=10, base_delay=0.5, max_delay=8.0, total_budget=1e9,
                         sleep=clock.sleep, clock=clock, rng=random.Random(seed))
    delay = policy.start().next_delay(attempt)
    assert delay is not None
    assert 0.0 <= delay <= min(8.0, 0.5 * 2**attempt)


def test_retry_call_retries_then_succeeds(policy: RetryPolicy, clock: FakeClock) -> None:
    answers: list[BaseException | str] = [YFRateLimitError(), Timeout("read timed out"), "ok"]

    def flaky() -> str:
        answer = answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    assert policy.call(flaky, source="test") == "ok"
    assert len(clock.sleeps) == 2
    assert clock.sleeps[0] <= 1.0
    assert clock.sleeps[1] <= 2.0


def test_retry_gives_up_with_the_library_error(policy: RetryPolicy, clock: FakeClock) -> None:
    def limited() -> None:
        raise YFRateLimitError()

    with pytest.raises(RateLimitError, match="after 4 attempts") as info:
        policy.call(limited, source="yfinance", item="ticker 'MU'")
    assert info.value.item == "ticker 'MU'"
    assert isinstance(info.value.__cause__, YFRateLimitError)
    assert len(clock.sleeps) == 3


def test_retry_never_retries_missing_or_unknown_errors(policy: RetryPolicy, clock: FakeClock
                                                       ) -> None:
    def missing() -> None:
        raise SymbolNotFoundError("no such symbol")

    with pytest.raises(SymbolNotFoundError):
        policy.call(missing, source="x")

    def broken() -> None:
        raise KeyError("currentTradingPeriod")

    with pytest.raises(MarketDataError, match="KeyError"):
        policy.call(broken, source="x")
    assert clock.sleeps == []


def test_budget_is_shared_by_every_call_of_a_request(clock: FakeClock) -> None:
    policy = RetryPolicy(max_attempts=100, base_delay=1.0, max_delay=1.0, total_budget=5.0,
                         sleep=clock.sleep, clock=clock, rng=random.Random(1))
    budget = policy.start()
    tries = 0

    def always_down() -> None:
        nonlocal tries
        tries += 1
        raise TimeoutError("slow")

    for _ in range(3):
        with pytest.raises(SourceUnavailableError):
            budget.call(always_down, source="x")
    assert sum(clock.sleeps) <= 5.0
    assert tries < 100


class HttpStatusError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP Error {status}")
        self.response = type("R", (), {"status_code": status})()


@pytest.mark.parametrize(
    ("exc", "kind"),
    [(YFRateLimitError(), "rate_limit"), (RateLimitError("x"), "rate_limit"),
     (HttpStatusError(429), "rate_limit"), (Timeout("t"), "transient"),
     (TimeoutError(), "transient"), (ConnectionError(), "transient"),
     (HttpStatusError(503), "transient"), (HttpStatusError(404), "missing"),
     (SymbolNotFoundError("x"), "missing"), (ValueError("x"), "fatal"),
     (Exception("Too Many Requests"), "rate_limit")],
)
def test_classify_exception(exc: BaseException, kind: str) -> None:
    assert classify_exception(exc) == kind


def test_to_market_error_keeps_library_errors_and_maps_others() -> None:
    original = RateLimitError("x")
    assert to_market_error(original, source="s") is original
    mapped = to_market_error(Timeout("t"), source="yfinance", attempts=3)
    assert isinstance(mapped, SourceUnavailableError)
    assert "did not answer after 3 attempts (Timeout: t)" in str(mapped)


@pytest.mark.parametrize(("ticker", "currency"), [
    ("MU", "USD"), ("BRK-B", "USD"), ("000660.KS", "KRW"), ("042700.KQ", "KRW"),
    ("6857.T", "JPY"), ("2330.TW", "TWD"), ("ASML.AS", "EUR"), ("ABBN.SW", "CHF"),
    ("RR.L", "GBp"), ("KRW=X", None), ("^GSPC", None), ("FOO.XX", None),
])
def test_listing_currency_from_the_exchange_suffix(ticker: str, currency: str | None) -> None:
    assert listing_currency(ticker) == currency


def test_usd_rate_series_inverts_the_quotes_and_names_what_is_missing() -> None:
    days = pd.date_range("2026-05-04", periods=3, name="date")
    close = pd.DataFrame({"KRW=X": [1400.0, 0.0, 1500.0], "JPY=X": [float("nan")] * 3},
                         index=days)
    rates, problems = usd_rate_series(close, ["KRW", "JPY", "EUR", "USD", "GBp"])
    assert list(rates.columns) == ["KRW"]
    assert rates["KRW"].tolist()[0] == pytest.approx(1 / 1400)
    assert pd.isna(rates["KRW"].iloc[1])  # a zero quote is no quote
    assert problems == {"EUR": "no EUR=X closes", "GBP": "no GBP=X closes",
                        "JPY": "no usable JPY=X closes"}
