"""add_market_data: the contract the rest of the library codes against."""

from __future__ import annotations

import datetime as dt
import io
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest

from thesis_lib.errors import MarketDataError
from thesis_lib.market import (
    MARKET_COLUMNS,
    FrameProvider,
    HistoryResult,
    IncompleteDataWarning,
    ProgressBar,
    RetryPolicy,
    SnapshotResult,
    YFinanceProvider,
    add_market_data,
)
from thesis_lib.market import attach as attach_module
from thesis_lib.market.progress import should_show

from .helpers import FixtureQuotes, ScriptedDownload, frame_of_days


class Spy:
    """Delegates to a provider and records the tickers it is asked for."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.asked: list[tuple[str, list[str]]] = []

    @property
    def name(self) -> str:
        return str(self.inner.name)

    def history(self, tickers: Sequence[str], start: dt.date, end: dt.date,
                interval: str = "1d") -> HistoryResult:
        self.asked.append(("history", list(tickers)))
        result: HistoryResult = self.inner.history(tickers, start, end, interval)
        return result

    def snapshot(self, tickers: Sequence[str], *, as_of: dt.date | None = None
                 ) -> SnapshotResult:
        self.asked.append(("snapshot", list(tickers)))
        result: SnapshotResult = self.inner.snapshot(tickers, as_of=as_of)
        return result


def universe(rows: list[tuple[str, bool, str]]) -> pd.DataFrame:
    index = pd.Index([r[0] for r in rows], dtype="str", name="ticker")
    return pd.DataFrame(
        {"name": [f"Company {r[0]}" for r in rows],
         "listed": [r[1] for r in rows],
         "currency": [r[2] for r in rows],
         "exposure_hbm": np.linspace(0.1, 0.9, len(rows))},
        index=index,
    )


#: Sparse closes chosen so every trailing return is a round number.
MARKS = {"2025-12-31": 100.0, "2026-02-27": 110.0, "2026-04-29": 120.0, "2026-05-07": 125.0,
         "2026-05-28": 140.0, "2026-05-29": 150.0}
AS_OF = dt.date(2026, 5, 29)


def _prices() -> pd.DataFrame:
    days = list(MARKS)
    return frame_of_days(
        {"MU": list(MARKS.values()),
         "000660.KS": [1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1100.0],
         "NEWCO": [None, None, None, 50.0, 52.0, 55.0],
         "KRW=X": [1400.0] * 5 + [1375.0]},
        days, volume=10.0)


def _provider(**kw: Any) -> FrameProvider:
    table = pd.DataFrame({"ticker": ["MU", "000660.KS", "NEWCO"],
                          "currency": ["USD", "KRW", "USD"],
                          "shares": [1.0e9, 7.0e8, 1.0e6], "pe_trailing": [30.0, 10.0, None]})
    return FrameProvider(_prices(), snapshot=table, today=lambda: AS_OF, **kw)


def test_the_frame_contract() -> None:
    frame = universe([("MU", True, "USD"), ("SPACEX", False, "USD"), ("000660.KS", True, "KRW")])
    result = add_market_data(frame, _provider(), since=dt.date(2026, 5, 7))
    out = result.frame
    assert out is not frame
    assert list(out.index) == ["MU", "SPACEX", "000660.KS"]
    assert out.index.name == "ticker"
    pd.testing.assert_frame_equal(out[list(frame.columns)], frame)
    assert list(out.columns) == [*frame.columns, *MARKET_COLUMNS, "quote_currency",
                                 "market_as_of"]
    for column in MARKET_COLUMNS:
        assert out[column].dtype == np.float64, column
    assert list(result.status.index) == list(frame.index)
    assert list(result.status.columns) == ["status", "reason", "source", "as_of"]
    assert list(result.fx.columns) == ["currency", "rate_to_usd", "date", "source"]
    assert result.as_of == AS_OF
    assert result.since == dt.date(2026, 5, 7)
    assert list(result.prices.columns) == ["MU", "000660.KS"]
    assert "2 ok, 1 private" in repr(result)


def test_trailing_returns_use_the_last_close_on_or_before_each_date() -> None:
    frame = universe([("MU", True, "USD"), ("NEWCO", True, "USD")])
    out = add_market_data(frame, _provider(), since=dt.date(2026, 5, 7)).frame
    mu = out.loc["MU"]
    assert mu["return_ytd"] == pytest.approx(150 / 100 - 1)
    assert mu["return_3m"] == pytest.approx(150 / 110 - 1)  # Feb 28 is a Saturday
    assert mu["return_1m"] == pytest.approx(150 / 120 - 1)
    assert mu["return_since"] == pytest.approx(150 / 125 - 1)
    assert out.loc["NEWCO", "return_since"] == pytest.approx(55 / 50 - 1)
    assert math.isnan(out.loc["NEWCO", "return_ytd"])  # listed after the year began
    assert mu["price"] == 150.0
    assert mu["market_cap_usd"] == 150.0e9
    assert mu["market_as_of"] == "2026-05-29"
    assert mu["quote_currency"] == "USD"


def test_return_since_is_nan_without_since() -> None:
    out = add_market_data(universe([("MU", True, "USD")]), _provider()).frame
    assert math.isnan(out.loc["MU", "return_since"])
    assert out.loc["MU", "return_ytd"] == pytest.approx(0.5)


def test_as_of_moves_the_reference_date() -> None:
    frame = universe([("MU", True, "USD")])
    result = add_market_data(frame, _provider(), as_of=dt.date(2026, 5, 28))
    assert result.frame.loc["MU", "price"] == 140.0
    assert result.frame.loc["MU", "return_ytd"] == pytest.approx(0.4)


def test_non_usd_listing_is_converted_with_the_rate_recorded() -> None:
    result = add_market_data(universe([("000660.KS", True, "KRW")]), _provider())
    row = result.frame.loc["000660.KS"]
    assert row["fx_rate_usd"] == pytest.approx(1 / 1375.0)
    assert row["market_cap_usd"] == pytest.approx(1100.0 * 7.0e8 / 1375.0)
    fx = result.fx.set_index("currency")
    assert fx.loc["KRW", "rate_to_usd"] == pytest.approx(1 / 1375.0)
    assert fx.loc["KRW", "date"] == "2026-05-29"


def test_private_companies_are_never_requested() -> None:
    spy = Spy(_provider())
    frame = universe([("SPACEX", False, "USD"), ("MU", True, "USD"), ("ANTHROPIC", False, "USD")])
    result = add_market_data(frame, spy)
    asked = {t for _, tickers in spy.asked for t in tickers}
    assert "SPACEX" not in asked
    assert "ANTHROPIC" not in asked
    assert result.status.loc["SPACEX", "status"] == "private"
    assert result.frame.loc[["SPACEX", "ANTHROPIC"], list(MARKET_COLUMNS)].isna().all().all()
    assert pd.isna(result.frame.loc["SPACEX", "quote_currency"])


def test_only_private_companies_makes_no_request() -> None:
    spy = Spy(_provider())
    result = add_market_data(universe([("SPACEX", False, "USD")]), spy)
    assert spy.asked == []
    assert result.status.loc["SPACEX", "status"] == "private"


def test_missing_ticker_warns_once_and_keeps_its_row() -> None:
    frame = universe([("MU", True, "USD"), ("NOPE", True, "USD"), ("000660.KS", True, "KRW")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = add_market_data(frame, _provider())
    ours = [w for w in caught if issubclass(w.category, IncompleteDataWarning)]
    assert len(ours) == 1
    assert len(caught) == 1
    assert "NOPE" in str(ours[0].message)
    assert "1 of 3" in str(ours[0].message)
    assert ours[0].filename == __file__  # points at the caller
    assert len(result.frame) == 3
    assert result.status.loc["NOPE", "status"] == "missing"
    assert "not in the price data" in result.status.loc["NOPE", "reason"]
    assert result.frame.loc["NOPE", list(MARKET_COLUMNS)].isna().all()
    assert pd.isna(result.frame.loc["NOPE", "quote_currency"])
    assert list(result.not_ok().index) == ["NOPE"]


def test_many_batches_still_warn_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attach_module, "BATCH_SIZE", 1)
    spy = Spy(_provider())
    frame = universe([("MU", True, "USD"), ("NOPE", True, "USD"), ("GONE", True, "USD")])
    with pytest.warns(IncompleteDataWarning) as record:
        add_market_data(frame, spy)
    assert len(record) == 1
    assert [a for a in spy.asked if a[0] == "snapshot"] == [
        ("snapshot", ["MU"]), ("snapshot", ["NOPE"]), ("snapshot", ["GONE"])]


def test_universe_currency_fills_in_when_the_provider_has_none() -> None:
    provider = FrameProvider(_prices(), today=lambda: AS_OF)  # no snapshot table
    result = add_market_data(universe([("000660.KS", True, "KRW")]), provider)
    row = result.frame.loc["000660.KS"]
    assert row["quote_currency"] == "KRW"
    assert row["fx_rate_usd"] == pytest.approx(1 / 1375.0)
    assert row["adv_usd"] == pytest.approx(np.mean([1000.0] * 5 + [1100.0]) * 10 / 1375.0)
    assert math.isnan(row["market_cap_usd"])  # no shares or market cap given
    assert result.status.loc["000660.KS", "status"] == "ok"
    assert result.status.loc["000660.KS", "reason"] == ""


def test_currency_disagreement_is_noted() -> None:
    result = add_market_data(universe([("MU", True, "KRW")]), _provider())
    assert result.status.loc["MU", "status"] == "ok"
    assert "quoted in USD, the universe says KRW" in result.status.loc["MU", "reason"]


def test_attaching_again_replaces_the_market_columns() -> None:
    frame = universe([("MU", True, "USD")])
    once = add_market_data(frame, _provider()).frame
    twice = add_market_data(once, _provider(), as_of=dt.date(2026, 5, 28)).frame
    assert list(twice.columns) == list(once.columns)
    assert twice.loc["MU", "price"] == 140.0


def test_yfinance_provider_through_attach(policy: RetryPolicy) -> None:
    provider = YFinanceProvider(download=ScriptedDownload("fx", "failed"), quote=FixtureQuotes(),
                                retry=policy, today=lambda: dt.date(2026, 2, 27))
    frame = universe([("MU", True, "USD"), ("DELISTED1", True, "USD"),
                      ("SPACEX", False, "USD"), ("000660.KS", True, "KRW")])
    with pytest.warns(IncompleteDataWarning, match="DELISTED1") as record:
        result = add_market_data(frame, provider)
    assert len(record) == 1
    assert list(result.status["status"]) == ["ok", "missing", "private", "ok"]
    assert result.frame.loc["000660.KS", "market_cap_usd"] > 0
    assert result.frame.loc["MU", "pe_trailing"] == 31.2
    assert set(result.fx["currency"]) == {"USD", "KRW"}


@pytest.mark.parametrize(
    ("frame", "match"),
    [(pd.DataFrame({"currency": ["USD"]}, index=["MU"]), "no 'listed' column"),
     (pd.DataFrame({"listed": [True]}, index=["MU"]), "no 'currency' column"),
     (pd.DataFrame({"listed": ["yes"], "currency": ["USD"]}, index=["MU"]), "true or false"),
     (pd.DataFrame({"listed": [True, True], "currency": ["USD"] * 2}, index=["MU", "MU"]),
      "appears twice"),
     ("not a frame", "needs a pandas DataFrame")],
)
def test_bad_frames_are_library_errors(frame: Any, match: str) -> None:
    with pytest.raises(MarketDataError, match=match):
        add_market_data(frame, _provider())


def test_since_after_as_of_is_an_error() -> None:
    with pytest.raises(MarketDataError, match="since"):
        add_market_data(universe([("MU", True, "USD")]), _provider(),
                        since=dt.date(2026, 6, 1), as_of=dt.date(2026, 5, 29))
    with pytest.raises(MarketDataError, match="after the data's as_of"):
        add_market_data(universe([("MU", True, "USD")]), _provider(), since=dt.date(2026, 6, 1))


# --------------------------------------------------------------------------- progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_only() -> None:
    stream = Tty()
    with ProgressBar(4, label="prices", stream=stream, environ={}) as bar:
        bar.advance(note="quotes 1/2")
        bar.advance(3)
    text = stream.getvalue()
    assert "\rprices [######..................] 1/4 quotes 1/2" in text
    assert "4/4" in text
    assert text.endswith("\n")
    plain = io.StringIO()
    with ProgressBar(4, stream=plain, environ={}) as bar:
        bar.advance()
    assert plain.getvalue() == ""


def test_progress_is_off_in_ci_unless_forced() -> None:
    assert should_show(None, Tty(), {"CI": "true"}) is False
    assert should_show(None, Tty(), {}) is True
    assert should_show(None, io.StringIO(), {}) is False
    assert should_show(True, io.StringIO(), {"CI": "1"}) is True
    assert should_show(False, Tty(), {}) is False


def test_attach_progress_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    add_market_data(universe([("MU", True, "USD")]), _provider(), progress=True)
    err = capsys.readouterr().err
    assert "market data [" in err
    assert "2/2" in err
    add_market_data(universe([("MU", True, "USD")]), _provider(), progress=False)
    assert capsys.readouterr().err == ""
