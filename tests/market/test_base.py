"""The provider contract itself: queries, the finishing step, result validation."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from thesis_lib.errors import MarketDataError
from thesis_lib.market import (
    MARKET_COLUMNS,
    STATUS_VALUES,
    FrameProvider,
    HistoryQuery,
    HistoryResult,
    MarketDataProvider,
    SnapshotQuery,
    YFinanceProvider,
)
from thesis_lib.market.base import (
    HistoryFrames,
    SnapshotFrames,
    TickerNote,
    business_days_between,
    finish_history,
    finish_snapshot,
    incomplete_message,
    status_frame,
)
from thesis_lib.market.fx import FxTable
from thesis_lib.market.testing import check_history

START, END = dt.date(2026, 2, 23), dt.date(2026, 2, 27)


def test_market_columns_are_the_published_names() -> None:
    assert MARKET_COLUMNS == ("price", "market_cap", "market_cap_usd", "adv_usd", "pe_trailing",
                              "pe_forward", "ev_sales", "fx_rate_usd", "return_1m", "return_3m",
                              "return_ytd", "return_since")
    assert STATUS_VALUES == ("ok", "missing", "stale", "unavailable", "failed", "private")


def test_providers_satisfy_the_protocol() -> None:
    assert isinstance(FrameProvider(pd.DataFrame({"MU": [1.0]},
                                                 index=pd.to_datetime(["2026-02-27"]))),
                      MarketDataProvider)
    assert isinstance(YFinanceProvider(download=lambda *a, **k: None, quote=lambda s: {}),
                      MarketDataProvider)


@pytest.mark.parametrize(
    ("args", "match"),
    [(([], START, END), "no tickers requested"),
     ((["MU", "MU"], START, END), "duplicate tickers: MU"),
     ((["MU", ""], START, END), "non-empty string"),
     ((["MU"], END, START), "before start"),
     ((["MU"], START, END, "7d"), "interval")],
)
def test_history_query_errors_are_library_errors(args: tuple[object, ...], match: str) -> None:
    with pytest.raises(MarketDataError, match=match):
        HistoryQuery.build(*args)  # type: ignore[arg-type]


def test_queries_accept_a_single_ticker_and_datetimes() -> None:
    query = HistoryQuery.build("MU", dt.datetime(2026, 2, 23, 15), pd.Timestamp("2026-02-27"))
    assert query.tickers == ("MU",)
    assert query.start == START
    assert query.end == END
    assert SnapshotQuery.build([" MU "]).tickers == ("MU",)


def test_finish_history_orders_localises_and_decides_status() -> None:
    query = HistoryQuery.build(["B", "A", "GONE", "OLD"], dt.date(2026, 1, 2), END)
    close = pd.DataFrame(
        {"A": [1.0, 2.0, np.nan], "OLD": [5.0, np.nan, np.nan], "B": [np.nan, 3.0, 4.0],
         "EXTRA": [9.0, 9.0, 9.0]},
        index=pd.to_datetime(["2026-01-02", "2026-02-26", "2026-02-27"]))
    frames = HistoryFrames(close=close, notes={"GONE": TickerNote("missing", "delisted")})
    result = finish_history(query, frames, source="t", stale_after=5, today=END)
    assert list(result.close.columns) == ["B", "A", "GONE", "OLD"]
    assert str(result.close.index.tz) == "UTC"
    assert result.close.index.name == "date"
    assert result.volume.isna().all().all()
    assert list(result.status["status"]) == ["ok", "ok", "missing", "stale"]
    assert result.status.loc["GONE", "reason"] == "delisted"
    assert result.status.loc["A", "as_of"] == "2026-02-26"
    assert check_history(result, ["B", "A", "GONE", "OLD"], dt.date(2026, 1, 2), END) == []


def test_finish_history_converts_aware_intraday_stamps_to_utc() -> None:
    query = HistoryQuery.build(["MU"], END, END, "1h")
    index = pd.DatetimeIndex(["2026-02-27 09:30", "2026-02-27 10:30"], tz="America/New_York")
    result = finish_history(query, HistoryFrames(close=pd.DataFrame({"MU": [1.0, 2.0]},
                                                                    index=index)),
                            source="t", stale_after=5, today=END)
    assert list(result.close.index) == [pd.Timestamp("2026-02-27 14:30", tz="UTC"),
                                        pd.Timestamp("2026-02-27 15:30", tz="UTC")]


def test_results_refuse_to_break_the_contract() -> None:
    index = pd.DatetimeIndex(["2026-02-27"])
    close = pd.DataFrame({"MU": [1.0]}, index=index)
    with pytest.raises(MarketDataError, match="timezone-aware"):
        HistoryResult(close=close, volume=close, status=status_frame([]), source="bad")


def test_finish_snapshot_converts_with_minor_units_and_reports_missing_fx() -> None:
    query = SnapshotQuery.build(["RR.L", "7203.T", "GONE"])
    data = pd.DataFrame(
        {"price": [1000.0, 3000.0], "currency": ["GBp", "JPY"], "market_cap": [1e12, 4e13],
         "adv": [1e9, 1e11], "as_of": [END, END]},
        index=["RR.L", "7203.T"])
    frames = SnapshotFrames(data=data, reference=END,
                            notes={"GONE": TickerNote("missing", "unknown symbol")})
    table = FxTable.from_mapping({"GBP": 1.25}, date=END)
    result = finish_snapshot(query, frames, table, {"JPY": "no JPY=X quote"}, source="t",
                             stale_after=5)
    assert result.data.loc["RR.L", "fx_rate_usd"] == pytest.approx(0.0125)
    assert result.data.loc["RR.L", "market_cap_usd"] == pytest.approx(1.25e10)
    assert result.data.loc["RR.L", "adv_usd"] == pytest.approx(1.25e7)
    assert np.isnan(result.data.loc["7203.T", "market_cap_usd"])
    assert result.status.loc["7203.T", "status"] == "ok"
    assert result.status.loc["7203.T", "reason"] == "no USD rate for JPY: no JPY=X quote"
    assert result.status.loc["GONE", "status"] == "missing"
    assert list(result.fx["currency"]) == ["GBP"]
    message = incomplete_message(result.status, what="snapshot", source="t")
    assert message is not None
    assert "missing: GONE (unknown symbol)" in message
    assert "'7203.T'" in message


def test_business_days() -> None:
    assert business_days_between(dt.date(2026, 2, 27), dt.date(2026, 3, 2)) == 1  # Fri -> Mon
    assert business_days_between(END, END) == 0
    assert business_days_between(END, START) == 0


def test_incomplete_message_is_none_when_all_is_well() -> None:
    from thesis_lib.market.base import TickerStatus

    status = status_frame([TickerStatus(ticker="MU", status="ok"),
                           TickerStatus(ticker="X", status="private")])
    assert incomplete_message(status, what="w", source="s") is None
