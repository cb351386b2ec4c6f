"""basket_performance on hand-built prices from exchanges with different holidays."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import thesis_lib as tl
from thesis_lib.evaluate import EvaluationError, basket_performance

from .helpers import NAN, UNIVERSE, WEIGHTS, hand_prices


def test_figures_checked_by_hand() -> None:
    perf = basket_performance(WEIGHTS, hand_prices(), since="2026-05-04", benchmark="N",
                              universe=UNIVERSE, max_fill=3, currency="local")
    # Every one-session hole is filled from the last close:
    #   A.KS 05-05 <- 100 (05-04), U.TW 05-06 <- 42 (05-05), X 05-07 <- 55, N 05-07 <- 220.
    filled = perf.alignment.filled
    assert sorted(zip(filled["ticker"], filled["date"].dt.strftime("%m-%d"),
                      filled["from_date"].dt.strftime("%m-%d"), strict=True)) == [
        ("A.KS", "05-05", "05-04"), ("N", "05-07", "05-06"), ("U.TW", "05-06", "05-05"),
        ("X", "05-07", "05-06")]
    assert perf.alignment.dropped_dates.empty
    assert perf.start == pd.Timestamp("2026-05-04") and perf.end == pd.Timestamp("2026-05-08")

    # Growth of 1 (buy and hold):
    #   A.KS  1, 1.00, 1.10, 1.21, 1.10        X  1, 1.10, 1.10, 1.10, 1.21
    #   N     1, 1.05, 1.10, 1.10, 0.99        U  1, 1.05, 1.05, 1.10, 1.10
    #   basket = (A + X) / 2       = 1, 1.05, 1.10, 1.155, 1.155
    #   universe = (A + X + N + U) / 4
    #            = 1, 4.20/4, 4.35/4, 4.51/4, 4.40/4 = 1, 1.05, 1.0875, 1.1275, 1.10
    values = perf.values
    assert values["basket"].tolist() == pytest.approx([1, 1.05, 1.10, 1.155, 1.155])
    assert values["benchmark"].tolist() == pytest.approx([1, 1.05, 1.10, 1.10, 0.99])
    assert values["universe"].tolist() == pytest.approx([1, 1.05, 1.0875, 1.1275, 1.10])

    s = perf.summary
    # Cumulative: basket +15.5%, N -1%, universe +10%; excess 16.5 and 5.5 points.
    assert s.at["basket", "cumulative_return"] == pytest.approx(0.155)
    assert s.at["benchmark", "cumulative_return"] == pytest.approx(-0.01)
    assert s.at["universe", "cumulative_return"] == pytest.approx(0.10)
    assert s.at["benchmark", "excess_return"] == pytest.approx(0.165)
    assert s.at["universe", "excess_return"] == pytest.approx(0.055)
    # Max drawdown: basket never falls (0); N 1.10 -> 0.99 = -10%;
    # universe 1.1275 -> 1.10 = 1.10 / 1.1275 - 1 = -2.439%.
    assert s.at["basket", "max_drawdown"] == pytest.approx(0.0)
    assert s.at["benchmark", "max_drawdown"] == pytest.approx(-0.10)
    assert s.at["universe", "max_drawdown"] == pytest.approx(1.10 / 1.1275 - 1)
    # Daily returns: basket 0.05, 1.10/1.05 - 1 = 0.047619, 1.155/1.10 - 1 = 0.05, 0
    #                N      0.05, 0.047619, 0, 0.99/1.10 - 1 = -0.10
    # Excess vs N: 0, 0, 0.05, 0.10. Hit rate over the two sessions that differ: 2/2.
    # t = mean / (sd / sqrt 4) = 0.0375 / (0.0478714 / 2) = 1.5667 (sd: squares of
    # -0.0375, -0.0375, 0.0125, 0.0625 sum to 0.006875; / 3 = 0.0022917; sqrt).
    assert s.at["benchmark", "hit_rate"] == pytest.approx(1.0)
    assert s.at["benchmark", "t_stat"] == pytest.approx(1.566699, rel=1e-5)
    assert s.at["benchmark", "p_value"] == pytest.approx(
        float(stats.ttest_1samp([0, 0, 0.05, 0.10], 0.0).pvalue))
    # Universe daily: 0.05, 1.0875/1.05 - 1 = 0.035714, 1.1275/1.0875 - 1 = 0.036782,
    # 1.10/1.1275 - 1 = -0.024390: the basket beats it on all 3 sessions that differ.
    assert s.at["universe", "hit_rate"] == pytest.approx(1.0)
    # Annualised volatility of 0.05, 0.047619, 0.05, 0 (sample sd x sqrt 252).
    daily = [0.05, 1.10 / 1.05 - 1, 0.05, 0.0]
    assert s.at["basket", "volatility"] == pytest.approx(np.std(daily, ddof=1) * np.sqrt(252))
    # Holdings: A.KS 100 -> 110 (+10%), X 50 -> 60.5 (+21%); contributions 5% + 10.5%.
    h = perf.holdings
    assert h["return"].tolist() == pytest.approx([0.10, 0.21])
    assert h["contribution"].sum() == pytest.approx(0.155)
    assert perf.n_sessions == 4
    assert perf.alignment.tickers.loc["A.KS", "filled"] == 1
    assert perf.alignment.tickers.loc["A.KS", "sessions"] == 4


def test_holes_longer_than_the_limit_are_never_filled() -> None:
    prices = hand_prices()
    prices.loc["2026-05-06", "A.KS"] = NAN  # Seoul now shut two sessions: 05-05 and 05-06
    prices["V"] = [10, NAN, NAN, 11, 12]    # a universe-only name with the same long hole
    perf = basket_performance(WEIGHTS, prices, since="2026-05-04", benchmark="N",
                              universe=[*UNIVERSE, "V"], max_fill=1, currency="local")
    # A.KS (in the basket) has a two-session hole > max_fill 1: both dates are dropped.
    dropped = perf.alignment.dropped_dates
    assert dropped["date"].dt.strftime("%m-%d").tolist() == ["05-05", "05-06"]
    assert dropped["tickers"].tolist() == ["A.KS", "A.KS"]
    assert list(perf.values.index.strftime("%m-%d")) == ["05-04", "05-07", "05-08"]
    # Left: A 100, 121, 110 and X 50, 55 (filled, one session), 60.5:
    # basket 1, (1.21 + 1.10) / 2 = 1.155, (1.10 + 1.21) / 2 = 1.155.
    assert perf.values["basket"].tolist() == pytest.approx([1, 1.155, 1.155])
    # V's hole (05-05, 05-06) falls on dropped dates, so V stays; nothing filled it.
    assert "V" in perf.universe
    assert not ((perf.alignment.filled["ticker"] == "V").any())

    prices["V"] = [10, 10.5, NAN, NAN, 12]  # now a hole on dates that are kept: V leaves
    perf = basket_performance(WEIGHTS, prices, since="2026-05-04", benchmark="N",
                              universe=[*UNIVERSE, "V"], max_fill=1, currency="local")
    assert "V" not in perf.universe
    assert perf.alignment.tickers.loc["V", "status"] == "dropped"
    assert "max_fill" in perf.alignment.tickers.loc["V", "reason"]


def test_a_close_before_the_start_covers_a_holiday_on_the_first_day() -> None:
    perf = basket_performance(WEIGHTS, hand_prices(), since="2026-05-05", benchmark="N",
                              universe=UNIVERSE, currency="local")
    # Start 05-05: Seoul is shut, so A.KS starts from its 05-04 close (100).
    assert perf.start == pd.Timestamp("2026-05-05")
    assert perf.holdings.at["A.KS", "start_price"] == 100
    # A 100 -> 110 = +10%, X 55 -> 60.5 = +10%: basket +10%.
    assert perf.summary.at["basket", "cumulative_return"] == pytest.approx(0.10)
    # A Sunday start begins on Monday's close.
    sunday = basket_performance(WEIGHTS, hand_prices(), since="2026-05-03", benchmark="N",
                                currency="local")
    assert sunday.start == pd.Timestamp("2026-05-04")


def test_tidy_and_utc_tables_give_the_same_figures() -> None:
    wide = hand_prices()
    base = basket_performance(WEIGHTS, wide, since="2026-05-04", benchmark="N",
                              universe=UNIVERSE, currency="local").summary
    tidy = wide.reset_index().melt(id_vars="date", var_name="ticker", value_name="close")
    tidy = tidy.dropna()
    tidy["date"] = tidy["date"].dt.strftime("%Y-%m-%d")
    utc = wide.copy()
    utc.index = utc.index.tz_localize("UTC")
    for other in (tidy, utc):
        summary = basket_performance(WEIGHTS, other, since="2026-05-04", benchmark="N",
                                     universe=UNIVERSE, currency="local").summary
        pd.testing.assert_frame_equal(summary, base)


class Basket:
    """A stand-in for a basket object: anything with a .weights Series."""

    def __init__(self, weights: pd.Series) -> None:
        self._weights = weights

    @property
    def weights(self) -> pd.Series:
        return self._weights


def test_an_object_with_weights_plugs_in_and_weights_are_normalised() -> None:
    perf = basket_performance(Basket(pd.Series({"A.KS": 3.0, "X": 1.0})), hand_prices(),
                              since="2026-05-04", benchmark="N", currency="local")
    assert perf.holdings["weight"].tolist() == pytest.approx([0.75, 0.25])
    assert perf.weighting == "given"
    # 0.75 x 10% + 0.25 x 21% = 12.75%
    assert perf.summary.at["basket", "cumulative_return"] == pytest.approx(0.1275)
    # Default universe for weights: every priced column except currency pairs.
    assert set(perf.universe) == {"A.KS", "X", "N", "U.TW"}


def test_the_library_basket_plugs_in() -> None:
    basket_module = pytest.importorskip("thesis_lib.basket")
    result = tl.screen(tl.load_universe(), tl.load_pack())
    basket = basket_module.build_basket(result, basket_module.BasketRules(top_n=15))
    prices = screen_prices()
    perf = basket_performance(basket, prices, since="2026-05-04", currency="local")
    priced = basket.weights[basket.weights.index.isin(prices.columns)]
    assert perf.holdings["weight"].to_dict() == pytest.approx((priced / priced.sum()).to_dict())
    assert set(perf.skipped.index) == set(basket.weights.index) - set(prices.columns)


def test_several_benchmark_names_are_held_in_equal_weights() -> None:
    perf = basket_performance(WEIGHTS, hand_prices(), since="2026-05-04",
                              benchmark=["N", "U.TW"], currency="local")
    # (0.99 + 1.10) / 2 - 1 = +4.5%
    assert perf.summary.at["benchmark", "cumulative_return"] == pytest.approx(0.045)
    assert perf.benchmark == "equal-weight N, U.TW"


def screen_prices() -> pd.DataFrame:
    dates = pd.bdate_range("2026-05-01", periods=30, name="date")
    rng = np.random.default_rng(0)
    tickers = ["VRT", "TSM", "000660.KS", "MU", "NVDA"]
    steps = rng.normal(0.0, 0.01, (len(dates), len(tickers)))
    return pd.DataFrame(100 * np.exp(np.cumsum(steps, axis=0)), index=dates, columns=tickers)


def test_a_screen_result_takes_the_top_priced_names_and_lists_the_rest() -> None:
    result = tl.screen(tl.load_universe(), tl.load_pack())
    prices = screen_prices()
    perf = basket_performance(result, prices, since="2026-05-04", top=3, weighting="score",
                              currency="local")
    # Priced names in rank order: 000660.KS (2), TSM (3), MU (8), VRT, NVDA.
    assert list(perf.holdings.index) == ["000660.KS", "TSM", "MU"]
    scores = result.scores.loc[["000660.KS", "TSM", "MU"], "score"]
    assert perf.holdings["weight"].tolist() == pytest.approx((scores / scores.sum()).tolist())
    ranked = result.scores[result.scores["passed"]]
    above = [t for t in ranked.index[: ranked.index.get_loc("MU")]
             if t not in prices.columns]
    assert list(perf.skipped.index) == above and len(above) == 5
    assert set(perf.skipped["reason"]) == {"no prices"}
    assert set(perf.universe) == {"VRT", "TSM", "000660.KS", "MU", "NVDA"}
    assert perf.holdings["contribution"].sum() == pytest.approx(
        perf.summary.at["basket", "cumulative_return"])
    with pytest.raises(EvaluationError, match=r"no usable prices for 3661\.TW"):
        basket_performance(result, prices, since="2026-05-04", top=3, unpriced="error",
                           currency="local")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"benchmark": "NN"}, "benchmark 'NN': no prices"),
        ({"top": 3}, "apply to a ScreenResult"),
        ({"since": "2027-01-01"}, "no prices on or after 2027-01-01"),
        ({"until": "2026-05-01"}, "'until' is not after 'since'"),
        ({"max_fill": -1}, "max_fill=-1"),
        ({"since": "not a date"}, "is not a date"),
    ],
)
def test_bad_requests_are_explained(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"since": "2026-05-04", "benchmark": "N", **kwargs}
    with pytest.raises(EvaluationError, match=message):
        basket_performance(WEIGHTS, hand_prices(), **args,
                           currency="local")  # type: ignore[arg-type]


def test_unknown_benchmark_suggests_a_ticker_and_bad_weights_are_refused() -> None:
    with pytest.raises(EvaluationError) as info:
        basket_performance(WEIGHTS, hand_prices(), since="2026-05-04", benchmark="A.K",
                           currency="local")
    assert "A.KS" in (info.value.hint or "")
    with pytest.raises(EvaluationError, match="not negative"):
        basket_performance(pd.Series({"A.KS": -1.0, "X": 2.0}), hand_prices(),
                           since="2026-05-04", benchmark="N", currency="local")
    bad = hand_prices()
    bad.iloc[0, 0] = 0.0
    with pytest.raises(EvaluationError, match="zero or negative prices"):
        basket_performance(WEIGHTS, bad, since="2026-05-04", benchmark="N", currency="local")


def test_given_weights_are_labelled_given_and_a_basket_by_its_weighting() -> None:
    plain = basket_performance(WEIGHTS, hand_prices(), since="2026-05-04", benchmark="N",
                               currency="local")
    assert plain.weighting == "given"
    assert plain.summary.at["basket", "label"] == "2 names, given weights"
    assert "equal" not in plain.summary.at["basket", "label"]
    assert "buy and hold, given weights" in plain.to_text()

    basket_module = pytest.importorskip("thesis_lib.basket")
    result = tl.screen(tl.load_universe(), tl.load_pack())
    rules = basket_module.BasketRules(top_n=15, weighting="equal")
    basket = basket_module.build_basket(result, rules)
    perf = basket_performance(basket, screen_prices(), since="2026-05-04", currency="local")
    n = len(perf.holdings)
    assert perf.weighting == "equal-weighted basket"
    assert perf.summary.at["basket", "label"] == f"{n} names, equal-weighted basket"
    assert "buy and hold, equal-weighted basket weights" in perf.to_text()
    scored = basket_module.build_basket(result, rules.replace(weighting="score"))
    perf = basket_performance(scored, screen_prices(), since="2026-05-04", currency="local")
    assert perf.summary.at["basket", "label"].endswith("names, score-weighted basket")
