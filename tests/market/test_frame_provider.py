"""FrameProvider: the provider contract over a frame or file the user already has."""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from thesis_lib.errors import MarketDataError, ProviderUnavailableError
from thesis_lib.market import FrameProvider, FxTable, IncompleteDataWarning
from thesis_lib.market.testing import check_provider

from .helpers import frame_of_days
from .yf_shapes import load_download

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"
DAYS = ["2026-02-23", "2026-02-24", "2026-02-25", "2026-02-26", "2026-02-27"]


def _tidy() -> pd.DataFrame:
    return frame_of_days(
        {"MU": [400.0, 401.0, 402.0, 403.0, 404.0],
         "000660.KS": [880000.0, None, 882000.0, 883000.0, 884000.0],
         "KRW=X": [1440.0, 1441.0, 1442.0, 1443.0, 1450.0]},
        DAYS, volume=1000.0)


def test_tidy_history_is_the_standard_frame() -> None:
    provider = FrameProvider(_tidy())
    result = provider.history(["000660.KS", "MU"], dt.date(2026, 2, 24), dt.date(2026, 2, 26))
    assert list(result.close.columns) == ["000660.KS", "MU"]
    assert list(result.close.index) == [pd.Timestamp(d, tz="UTC") for d in DAYS[1:4]]
    assert math.isnan(result.close.loc["2026-02-24", "000660.KS"])
    assert result.volume.loc["2026-02-25", "MU"] == 1000.0
    assert list(result.status["status"]) == ["ok", "ok"]


def test_wide_and_yfinance_shaped_prices_are_accepted() -> None:
    wide = pd.DataFrame({"MU": [1.0, 2.0], "NVDA": [3.0, np.nan]},
                        index=pd.to_datetime(["2026-02-26", "2026-02-27"]))
    result = FrameProvider(wide).history(["NVDA", "MU"], dt.date(2026, 2, 26),
                                         dt.date(2026, 2, 27))
    assert result.close["MU"].tolist() == [1.0, 2.0]
    assert result.volume["MU"].isna().all()
    saved, _ = load_download("several")  # what a user kept from yfinance.download
    from_yf = FrameProvider(saved, today=lambda: dt.date(2026, 2, 27))
    close = from_yf.history(["MU"], dt.date(2026, 2, 9), dt.date(2026, 2, 27)).close
    np.testing.assert_array_equal(close["MU"].to_numpy(), saved[("Close", "MU")].to_numpy())


def test_absent_ticker_is_missing_with_a_suggestion() -> None:
    provider = FrameProvider(_tidy())
    with pytest.warns(IncompleteDataWarning, match="000660.KQ"):
        result = provider.history(["MU", "000660.KQ"], dt.date(2026, 2, 23),
                                  dt.date(2026, 2, 27))
    reason = result.status.loc["000660.KQ", "reason"]
    assert result.status.loc["000660.KQ", "status"] == "missing"
    assert "not in the price data" in reason
    assert "000660.KS" in reason


def test_weekly_and_monthly_bars() -> None:
    days = pd.bdate_range("2026-01-05", "2026-02-27")
    prices = pd.DataFrame({"date": days, "ticker": "MU", "close": np.arange(len(days)) + 1.0,
                           "volume": 10.0})
    provider = FrameProvider(prices)
    weekly = provider.history(["MU"], days[0].date(), days[-1].date(), interval="1wk")
    assert len(weekly.close) == 8
    assert weekly.close["MU"].iloc[0] == 5.0
    assert weekly.volume["MU"].iloc[0] == 50.0
    monthly = provider.history(["MU"], days[0].date(), days[-1].date(), interval="1mo")
    assert monthly.close["MU"].tolist() == [20.0, 40.0]
    with pytest.raises(MarketDataError, match="daily prices"):
        provider.history(["MU"], days[0].date(), days[-1].date(), interval="1h")


def test_snapshot_uses_shares_fx_series_and_traded_value() -> None:
    table = pd.DataFrame({"ticker": ["MU", "000660.KS"], "currency": ["USD", "KRW"],
                          "shares": [1.0e9, 7.0e8], "pe_forward": [10.0, 6.0]})
    provider = FrameProvider(_tidy(), snapshot=table)
    result = provider.snapshot(["000660.KS", "MU"], as_of=dt.date(2026, 2, 26))
    row = result.data.loc["000660.KS"]
    assert row["price"] == 883000.0
    assert row["as_of"] == "2026-02-26"
    assert row["market_cap"] == 883000.0 * 7.0e8
    assert row["fx_rate_usd"] == pytest.approx(1 / 1443.0)
    assert row["market_cap_usd"] == pytest.approx(883000.0 * 7.0e8 / 1443.0)
    traded = np.mean([880000.0, 882000.0, 883000.0]) * 1000.0
    assert row["adv_usd"] == pytest.approx(traded / 1443.0)
    assert row["pe_forward"] == 6.0
    assert math.isnan(row["pe_trailing"])
    assert result.as_of == dt.date(2026, 2, 26)
    fx = result.fx.set_index("currency")
    assert fx.loc["KRW", "date"] == "2026-02-26"
    assert fx.loc["KRW", "source"] == "frame:KRW=X"


def test_snapshot_without_as_of_uses_the_last_date_and_user_fx_wins() -> None:
    table = pd.DataFrame({"currency": ["KRW"], "market_cap": [6.4e14]},
                         index=pd.Index(["000660.KS"], name="ticker"))
    provider = FrameProvider(_tidy(), snapshot=table, fx=FxTable.from_mapping({"KRW": 0.0007}))
    result = provider.snapshot(["000660.KS"])
    assert result.as_of == dt.date(2026, 2, 27)
    assert result.data.loc["000660.KS", "market_cap_usd"] == pytest.approx(6.4e14 * 0.0007)
    assert result.fx.loc[0, "source"] == "user"


def test_snapshot_without_currency_says_why_usd_is_missing() -> None:
    provider = FrameProvider(_tidy())
    with pytest.warns(IncompleteDataWarning, match="no USD values"):
        result = provider.snapshot(["MU"])
    assert result.status.loc["MU", "status"] == "ok"
    assert "no currency" in result.status.loc["MU", "reason"]
    assert math.isnan(result.data.loc["MU", "adv_usd"])


def test_missing_fx_series_is_reported() -> None:
    table = pd.DataFrame({"ticker": ["MU"], "currency": ["JPY"], "shares": [1.0]})
    with pytest.warns(IncompleteDataWarning, match="no USD rate for JPY"):
        result = FrameProvider(_tidy(), snapshot=table).snapshot(["MU"])
    assert "no JPY=X quote" in result.status.loc["MU", "reason"]


def test_stale_price_before_as_of() -> None:
    table = pd.DataFrame({"ticker": ["MU"], "currency": ["USD"]})
    with pytest.warns(IncompleteDataWarning, match="stale"):
        result = FrameProvider(_tidy(), snapshot=table).snapshot(["MU"],
                                                                 as_of=dt.date(2026, 3, 13))
    assert result.status.loc["MU", "status"] == "stale"
    assert result.data.loc["MU", "price"] == 404.0


@pytest.mark.parametrize(
    ("prices", "match"),
    [(pd.DataFrame({"ticker": ["A"], "close": [1.0]}), "no 'date' column"),
     (pd.DataFrame({"date": ["2026-01-02"], "ticker": ["A"], "px": [1.0]}), "no 'close'"),
     (pd.DataFrame({"date": ["2026-01-02"] * 2, "ticker": ["A"] * 2, "close": [1.0, 2.0]}),
      "repeat a \\(date, ticker\\) pair"),
     (pd.DataFrame({"date": ["2026-01-02"], "ticker": ["A"], "close": ["abc"]}),
      "'abc' is not a number"),
     (pd.DataFrame({"date": ["someday"], "ticker": ["A"], "close": [1.0]}), "dates could not"),
     (pd.DataFrame({"date": ["2026-01-02"], "ticker": ["A"], "close": [1.0], "volme": [1]}),
      "unknown column 'volme'"),
     (pd.DataFrame({"A": [1.0]}), "could not tell the shape")],
)
def test_bad_prices_are_library_errors(prices: pd.DataFrame, match: str) -> None:
    with pytest.raises(MarketDataError, match=match):
        FrameProvider(prices)


def test_bad_snapshot_table_names_the_column_and_suggests() -> None:
    table = pd.DataFrame({"ticker": ["MU"], "pe_trailng": [10.0]})
    with pytest.raises(MarketDataError, match="pe_trailng") as info:
        FrameProvider(_tidy(), snapshot=table)
    assert "pe_trailing" in (info.value.hint or "")


def test_files_and_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    _tidy().to_csv(path, index=False)
    provider = FrameProvider.from_file(path)
    assert provider.name == "prices.csv"
    assert provider.latest_date == dt.date(2026, 2, 27)
    with pytest.raises(MarketDataError) as info:
        FrameProvider.from_file(tmp_path / "nope.csv")
    assert info.value.file == str(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("date,ticker,close\n2026-01-02,A,x\n")
    with pytest.raises(MarketDataError) as info:
        FrameProvider.from_csv(bad)
    assert info.value.file == str(bad)


def test_parquet_without_pyarrow_says_what_to_install(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("pyarrow", "fastparquet")
                        else real(name, *a))
    with pytest.raises(ProviderUnavailableError, match="pyarrow") as info:
        FrameProvider.from_parquet(tmp_path / "prices.parquet")
    assert "pip install pyarrow" in (info.value.hint or "")


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is None, reason="pyarrow not installed")
def test_parquet_round_trip(tmp_path: Path) -> None:  # pragma: no cover - optional
    path = tmp_path / "prices.parquet"
    _tidy().to_parquet(path)
    assert FrameProvider.from_file(path).tickers == ["000660.KS", "KRW=X", "MU"]


def test_shipped_example_files_conform() -> None:
    provider = FrameProvider.from_file(EXAMPLES / "prices.csv",
                                       snapshot=EXAMPLES / "snapshot.csv")
    end = provider.latest_date
    listed = ["MU", "000660.KS", "005930.KS", "2330.TW", "TSM", "NVDA", "AVGO", "MRVL",
              "6857.T", "ASML.AS", "ABBN.SW", "VRT", "GEV"]
    history, snapshot = check_provider(provider, listed, end - dt.timedelta(days=90), end)
    assert (history.status["status"] == "ok").all()
    assert (snapshot.status["status"] == "ok").all()
    assert snapshot.data["market_cap_usd"].notna().all()
    assert set(snapshot.fx["currency"]) == {"USD", "KRW", "TWD", "JPY", "EUR", "CHF"}
