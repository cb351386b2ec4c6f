"""Returns in US dollars (the default) or in each listing's currency, checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import thesis_lib as tl
from thesis_lib.evaluate import (
    EvaluationError,
    MissingFxError,
    basket_performance,
    forward_returns,
    period_returns,
)
from thesis_lib.market import FrameProvider

NAN = np.nan
DATES = pd.to_datetime(["2026-05-04", "2026-05-05", "2026-05-06", "2026-05-07", "2026-05-08"])


def won_yen_prices() -> pd.DataFrame:
    """A Seoul, a Tokyo and two New York listings, with the dollar rates Yahoo-style
    (units of the currency per dollar)::

        date        K.KS  J.T   U     N    KRW=X  JPY=X
        2026-05-04  100   2000  50    200  1428   154.65
        2026-05-05  NaN   2010  51    202  1440   153      Seoul shut (Children's Day)
        2026-05-06  105   2050  52    204  1460   NaN      no yen quote: 05-05's is used
        2026-05-07  110   2100  53    206  1480   151
        2026-05-08  112   2120  54.5  208  1500   150

    Over the window the won loses 4.8% against the dollar (1428 / 1500 = 0.952) and the
    yen gains 3.1% (154.65 / 150 = 1.031).
    """
    return pd.DataFrame(
        {"K.KS": [100, NAN, 105, 110, 112], "J.T": [2000, 2010, 2050, 2100, 2120],
         "U": [50, 51, 52, 53, 54.5], "N": [200, 202, 204, 206, 208],
         "KRW=X": [1428, 1440, 1460, 1480, 1500], "JPY=X": [154.65, 153, NAN, 151, 150]},
        index=pd.Index(DATES, name="date"))


WEIGHTS = pd.Series({"K.KS": 1 / 3, "J.T": 1 / 3, "U": 1 / 3})


def test_a_won_yen_basket_in_dollars_and_in_local_currency() -> None:
    usd = basket_performance(WEIGHTS, won_yen_prices(), since="2026-05-04", benchmark="N")
    local = basket_performance(WEIGHTS, won_yen_prices(), since="2026-05-04", benchmark="N",
                               currency="local")
    # Local: K.KS 100 -> 112 (+12%), J.T 2000 -> 2120 (+6%), U 50 -> 54.5 (+9%): +9.00%.
    assert local.summary.at["basket", "cumulative_return"] == pytest.approx(0.09, abs=1e-15)
    # Dollars: K.KS 1.12 x 0.952 = 1.06624 (+6.624%), J.T 1.06 x 1.031 = 1.09286 (+9.286%),
    # U +9%: (1.06624 + 1.09286 + 1.09) / 3 - 1 = +8.3033...%.
    assert usd.summary.at["basket", "cumulative_return"] == pytest.approx(
        (1.06624 + 1.09286 + 1.09) / 3 - 1, abs=1e-12)
    assert usd.holdings.at["K.KS", "return"] == pytest.approx(0.06624, abs=1e-12)
    assert usd.holdings.at["J.T", "return"] == pytest.approx(0.09286, abs=1e-12)
    assert usd.holdings.at["U", "return"] == pytest.approx(0.09, abs=1e-12)
    assert usd.holdings.at["K.KS", "local_return"] == pytest.approx(0.12, abs=1e-12)
    assert usd.holdings["contribution"].sum() == pytest.approx(
        usd.summary.at["basket", "cumulative_return"], abs=1e-15)
    # Prices stay in the listing's currency; the currency is named per holding.
    assert usd.holdings.at["K.KS", "start_price"] == 100
    assert usd.holdings["currency"].tolist() == ["KRW", "JPY", "USD"]
    # The benchmark is in dollars either way.
    assert usd.summary.at["benchmark", "cumulative_return"] == pytest.approx(0.04)
    assert usd.summary.at["benchmark", "excess_return"] == pytest.approx(
        (1.06624 + 1.09286 + 1.09) / 3 - 1 - 0.04, abs=1e-12)


def test_the_dollar_path_uses_each_dates_rate() -> None:
    usd = basket_performance(WEIGHTS, won_yen_prices(), since="2026-05-04", benchmark="N")
    values = usd.values["basket"]
    # 05-05, Seoul shut: K.KS held at its 05-04 close, but the won moved to 1440.
    k = 1428 / 1440
    j = (2010 / 153) / (2000 / 154.65)
    assert values.loc["2026-05-05"] == pytest.approx((k + j + 51 / 50) / 3, abs=1e-12)
    # 05-06, no yen quote: the last one (153, on 05-05) is used.
    k = (105 / 1460) / (100 / 1428)
    j = (2050 / 153) / (2000 / 154.65)
    assert values.loc["2026-05-06"] == pytest.approx((k + j + 52 / 50) / 3, abs=1e-12)
    assert usd.alignment.dropped_dates.empty


def test_the_result_names_its_currency() -> None:
    usd = basket_performance(WEIGHTS, won_yen_prices(), since="2026-05-04", benchmark="N")
    local = basket_performance(WEIGHTS, won_yen_prices(), since="2026-05-04", benchmark="N",
                               currency="local")
    assert usd.currency == "USD" and local.currency == "local"
    assert "US-dollar returns (FX: JPY=X, KRW=X)" in usd.to_text().splitlines()[0]
    assert "local-currency returns" in local.to_text().splitlines()[0]
    assert set(usd.to_frame()["currency"]) == {"USD"}
    assert set(local.to_frame()["currency"]) == {"local"}
    assert usd.to_frame().to_dict()["currency"]["basket"] == "USD"
    page = usd._repr_html_()
    assert "US-dollar returns" in page and "holdings (return in USD)" in page
    assert "currency=USD" in repr(usd)
    listed = usd.currencies
    assert listed.loc["K.KS", ["currency", "source", "fx"]].tolist() == [
        "KRW", "ticker suffix", "KRW=X"]
    assert listed.at["N", "fx"] == ""
    # The FX series are rates, not listings: never in the default universe.
    assert set(usd.universe) == {"K.KS", "J.T", "U", "N"}


def test_forward_returns_in_dollars_are_local_returns_times_the_fx_move() -> None:
    prices = won_yen_prices()
    usd = forward_returns(prices, horizon=2, step=1)
    local = forward_returns(prices, horizon=2, step=1, currency="local")
    assert list(usd.columns) == ["K.KS", "J.T", "U", "N"]  # no KRW=X, JPY=X
    assert "KRW=X" in local.columns
    rate = 1 / prices[["KRW=X", "JPY=X"]].ffill()  # dollars per unit on each date
    fx = {"K.KS": rate["KRW=X"], "J.T": rate["JPY=X"]}
    for ticker in ["K.KS", "J.T", "U", "N"]:
        for i, day in enumerate(usd.index):
            move = 1.0 if ticker not in fx else fx[ticker].iloc[i + 2] / fx[ticker].iloc[i]
            expected = (1 + local.at[day, ticker]) * move - 1
            assert usd.at[day, ticker] == pytest.approx(expected, abs=1e-14), (ticker, day)
    # 05-04 -> 05-06 for K.KS: 100 -> 105 in won, the won from 1/1428 to 1/1460 dollars.
    assert usd.at[DATES[0], "K.KS"] == pytest.approx(1.05 * 1428 / 1460 - 1, abs=1e-14)
    assert usd.attrs["currency"] == "USD" and local.attrs["currency"] == "local"
    assert usd.attrs["currencies"] == {"K.KS": "KRW", "J.T": "JPY", "U": "USD", "N": "USD"}
    assert usd.attrs["fx"] == ["JPY=X", "KRW=X"]


def test_period_returns_in_dollars() -> None:
    out = period_returns(won_yen_prices(), "2026-05-04", tickers=["K.KS", "J.T", "U", "ZZZ"])
    assert out[["K.KS", "J.T", "U"]].tolist() == pytest.approx([0.06624, 0.09286, 0.09],
                                                               abs=1e-12)
    assert np.isnan(out["ZZZ"])  # no prices, so no currency needed
    assert out.attrs["currency"] == "USD"


def test_missing_fx_is_an_error_naming_the_ticker_and_the_series() -> None:
    prices = won_yen_prices().drop(columns=["JPY=X"])
    for call in (lambda: forward_returns(prices, horizon=2),
                 lambda: period_returns(prices, "2026-05-04")):
        with pytest.raises(MissingFxError, match=r"J\.T: quoted in JPY, no JPY=X closes") as info:
            call()
        assert isinstance(info.value, EvaluationError)
        assert "currency='local'" in (info.value.problems[0].hint or "")
    # Asking for local returns needs no rates.
    assert forward_returns(prices, horizon=2, currency="local").attrs["currency"] == "local"


def test_a_basket_name_without_fx_is_passed_over_and_said_so() -> None:
    prices = won_yen_prices().drop(columns=["JPY=X"])
    perf = basket_performance(WEIGHTS, prices, since="2026-05-04", benchmark="N")
    assert list(perf.holdings.index) == ["K.KS", "U"]
    assert perf.skipped.at["J.T", "reason"] == "no US-dollar price: quoted in JPY, no JPY=X closes"
    assert "skipped (no FX to US dollars): J.T (quoted in JPY, no JPY=X closes)" in str(perf)
    assert perf.alignment.tickers.at["J.T", "status"] == "dropped"
    with pytest.raises(MissingFxError, match=r"no US-dollar prices for J\.T"):
        basket_performance(WEIGHTS, prices, since="2026-05-04", benchmark="N",
                           unpriced="error")
    with pytest.raises(MissingFxError, match=r"J\.T: quoted in JPY"):
        basket_performance(WEIGHTS, prices, since="2026-05-04", benchmark="J.T")
    late = won_yen_prices()
    late.loc[DATES[:2], "JPY=X"] = NAN  # the yen series starts after the window does
    with pytest.raises(MissingFxError, match=r"benchmark 'J\.T': no US-dollar price: no "
                                             r"JPY=X quote"):
        basket_performance(WEIGHTS, late, since="2026-05-04", benchmark="J.T")
    perf = basket_performance(WEIGHTS, late, since="2026-05-04", benchmark="N")
    assert perf.skipped.at["J.T", "reason"].startswith("no US-dollar price: no JPY=X quote")


def test_an_unknown_currency_is_an_error_until_given() -> None:
    prices = won_yen_prices().rename(columns={"K.KS": "SKHYNIX"})
    weights = pd.Series({"SKHYNIX": 0.5, "U": 0.5})
    with_suffix = period_returns(won_yen_prices(), "2026-05-04")
    # A bare symbol is a US listing; given its currency it is converted like K.KS.
    given = period_returns(prices, "2026-05-04", currencies={"SKHYNIX": "KRW"})
    assert given["SKHYNIX"] == pytest.approx(with_suffix["K.KS"], abs=1e-15)
    odd = won_yen_prices().rename(columns={"K.KS": "000660.XX"})
    with pytest.raises(MissingFxError, match=r"000660\.XX: its currency is unknown"):
        forward_returns(odd, horizon=2)
    perf = basket_performance(weights, prices, since="2026-05-04", benchmark="N",
                              currencies=pd.Series({"SKHYNIX": "KRW"}))
    assert perf.currencies.loc["SKHYNIX", ["currency", "source"]].tolist() == ["KRW", "given"]
    with pytest.raises(EvaluationError, match="'KR' is not a currency code"):
        period_returns(prices, "2026-05-04", currencies={"SKHYNIX": "KR"})
    with pytest.raises(EvaluationError, match="unknown currency 'EUR'"):
        period_returns(prices, "2026-05-04", currency="EUR")  # type: ignore[arg-type]


def test_a_tidy_price_frame_can_carry_each_tickers_currency() -> None:
    wide = won_yen_prices().rename(columns={"K.KS": "HYNIX"})
    tidy = wide.reset_index().melt(id_vars="date", var_name="ticker", value_name="close")
    tidy = tidy.dropna()
    tidy["currency"] = tidy["ticker"].map({"HYNIX": "KRW"}).fillna("USD")
    out = period_returns(tidy, "2026-05-04", tickers=["HYNIX", "U"])
    assert out["HYNIX"] == pytest.approx(0.06624, abs=1e-12)
    tidy.loc[tidy.index[0], "currency"] = "JPY"  # HYNIX's first row
    with pytest.raises(EvaluationError, match="two currencies"):
        period_returns(tidy, "2026-05-04")


def test_fx_from_a_market_data_provider_or_a_frame() -> None:
    prices = won_yen_prices()
    fx_closes = prices[["KRW=X", "JPY=X"]]
    stocks = prices.drop(columns=["KRW=X", "JPY=X"])
    expected = period_returns(prices, "2026-05-04")
    from_frame = period_returns(stocks, "2026-05-04", fx=fx_closes)
    provider = FrameProvider(fx_closes.reset_index())  # offline: the provider contract
    from_provider = period_returns(stocks, "2026-05-04", fx=provider)
    assert from_frame.to_dict() == pytest.approx(expected.to_dict(), abs=1e-15)
    assert from_provider.to_dict() == pytest.approx(expected.to_dict(), abs=1e-15)
    with pytest.raises(EvaluationError, match="fx must be a frame of FX closes"):
        period_returns(stocks, "2026-05-04", fx={"KRW": 0.0007})  # type: ignore[arg-type]


def test_pence_convert_at_the_pound() -> None:
    dates = pd.Index(DATES[:2], name="date")
    prices = pd.DataFrame({"RR.L": [1000.0, 1100.0], "GBP=X": [0.80, 0.75]}, index=dates)
    out = period_returns(prices, "2026-05-04")
    # +10% in pence; the pound from 1.25 to 1.3333 dollars.
    assert out["RR.L"] == pytest.approx(1.1 * 0.80 / 0.75 - 1, abs=1e-14)
    assert out.attrs["currencies"] == {"RR.L": "GBp"}


def test_a_screen_result_gives_its_companies_currencies() -> None:
    result = tl.screen(tl.load_universe(), tl.load_pack())
    dates = pd.bdate_range("2026-05-04", periods=3, name="date")
    prices = pd.DataFrame({"000660.KS": [1.0e6, 1.05e6, 1.1e6], "TSM": [300.0, 303, 306],
                           "MU": [400.0, 404, 408], "NVDA": [200.0, 201, 202],
                           "KRW=X": [1400.0, 1400, 1450]}, index=dates)
    perf = basket_performance(result, prices, since="2026-05-04", top=2)
    assert perf.currencies.loc["000660.KS", ["currency", "source"]].tolist() == [
        "KRW", "screen"]
    assert perf.currencies.at["TSM", "currency"] == "USD"  # the ADR, in dollars
    assert perf.holdings.at["000660.KS", "return"] == pytest.approx(1.1 * 1400 / 1450 - 1,
                                                                    abs=1e-12)


def test_ic_and_quantile_results_say_which_currency_the_returns_are_in() -> None:
    from thesis_lib.evaluate import forward_returns, quantile_returns, rank_ic

    rng = np.random.default_rng(5)
    dates = pd.bdate_range("2026-01-01", periods=80)
    tickers = [f"T{i}" for i in range(12)]
    prices = pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0, 0.01, (80, 12)), axis=0)),
                          index=dates, columns=tickers)
    scores = pd.Series(np.arange(12.0), index=tickers)
    dollars = forward_returns(prices, horizon=5)
    local = forward_returns(prices, horizon=5, currency="local")
    assert rank_ic(scores, dollars, n_resamples=100).currency == "USD"
    assert "returns in US dollars" in str(rank_ic(scores, dollars, n_resamples=100))
    assert "returns in local currency" in str(quantile_returns(scores, local, q=2,
                                                               n_resamples=100))
    bare = pd.DataFrame(dollars.to_numpy(), index=dollars.index, columns=dollars.columns)
    assert rank_ic(scores, bare, n_resamples=100).currency is None
