"""Evaluation takes a PanelResult's time-varying scores directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import thesis_lib as tl
from thesis_lib import EvaluationError, PanelResult, RulePack
from thesis_lib.evaluate import (
    RebalancedPerformance,
    basket_performance,
    factor_turnover,
    quantile_returns,
    rank_ic,
)

TICKERS = [f"T{i:02d}" for i in range(12)]
DATES = pd.DatetimeIndex(["2026-01-05", "2026-02-02", "2026-03-02", "2026-04-01"])


def pack() -> RulePack:
    return RulePack(
        id="size", version="1.0.0", description="size", chain="ai-compute",
        rules=[{"id": "listed", "kind": "gate", "expression": "listed", "why": "buyable"},
               {"id": "size", "kind": "score", "expression": "pct_rank(revenue_usd)",
                "weight": 2.0, "why": "bigger"}],
    )


@pytest.fixture(scope="module")
def panel_result() -> PanelResult:
    base = tl.load_universe().to_frame().iloc[: len(TICKERS)]
    rng = np.random.default_rng(7)
    parts = []
    for i, day in enumerate(DATES):
        frame = base.copy()
        frame["revenue_usd"] = rng.permutation(len(TICKERS)) + 1.0
        frame["listed"] = True
        tickers = list(TICKERS)
        if i == 1:  # a date on which one company is missing and one is excluded
            frame, tickers = frame.iloc[1:], tickers[1:]
            frame["listed"] = [False] + [True] * (len(frame) - 1)
        index = pd.MultiIndex.from_arrays([[day] * len(frame), tickers],
                                          names=["date", "ticker"])
        parts.append(frame.set_axis(index, axis=0))
    result = tl.screen(pd.concat(parts), pack())
    assert isinstance(result, PanelResult)
    return result


def returns_like(result: PanelResult, dates: pd.DatetimeIndex, sign: float) -> pd.DataFrame:
    """Forward returns on ``dates``: ``sign`` times each date's ranked scores where the
    panel has that date (the rest made up)."""
    table = result.score_table()
    rng = np.random.default_rng(1)
    out = pd.DataFrame(rng.normal(size=(len(dates), len(TICKERS))), index=dates,
                       columns=TICKERS)
    for day in table.index.intersection(dates):
        out.loc[day] = sign * table.loc[day].reindex(TICKERS).fillna(0.0).to_numpy()
    return out


def test_rank_ic_of_a_panel_result_is_that_of_its_score_table(
        panel_result: PanelResult) -> None:
    returns = pd.DataFrame(np.random.default_rng(3).normal(size=(len(DATES), len(TICKERS))),
                           index=DATES, columns=TICKERS)
    got = rank_ic(panel_result, returns, n_resamples=200)
    want = rank_ic(panel_result.score_table(), returns, n_resamples=200)
    pd.testing.assert_frame_equal(got.by_date, want.by_date)
    assert got.mean_ic == want.mean_ic and got.n_dates == len(DATES)
    quant = quantile_returns(panel_result, returns, q=2, n_resamples=200)
    pd.testing.assert_frame_equal(
        quant.by_date, quantile_returns(panel_result.score_table(), returns, q=2,
                                        n_resamples=200).by_date)


def test_scores_dated_t_pair_only_with_returns_from_t(panel_result: PanelResult) -> None:
    # Returns on every day of the quarter: on each panel date they follow that date's
    # scores exactly; on each day before a panel date they run against the coming scores.
    days = pd.bdate_range("2025-12-01", "2026-04-30")
    returns = returns_like(panel_result, days, 1.0)
    for day in DATES:
        earlier = days[days < day][-5:]
        returns.loc[earlier] = -returns.loc[day].to_numpy()
    found = rank_ic(panel_result, returns, n_resamples=200, min_names=3)
    # Only the panel's dates are scored, each against its own row of returns.
    assert list(found.by_date.index) == list(DATES)
    np.testing.assert_allclose(found.by_date["ic"].to_numpy(), 1.0)
    # The excluded and the absent company take no part on their date.
    assert found.by_date.loc[DATES[1], "n"] == len(TICKERS) - 2
    assert found.by_date.loc[DATES[0], "n"] == len(TICKERS)


def test_a_returns_frame_without_the_panel_dates_shares_no_dates(
        panel_result: PanelResult) -> None:
    days = pd.bdate_range("2025-12-01", "2025-12-31")  # every day before the first date
    with pytest.raises(EvaluationError, match="share no dates"):
        rank_ic(panel_result, returns_like(panel_result, days, 1.0), n_resamples=200)


def test_factor_turnover_takes_a_panel_result(panel_result: PanelResult) -> None:
    got = factor_turnover(panel_result, quantiles=2, periods=(1,))
    want = factor_turnover(panel_result.score_table(), quantiles=2, periods=(1,))
    pd.testing.assert_frame_equal(got.autocorrelation, want.autocorrelation)
    pd.testing.assert_frame_equal(got.top, want.top)


def test_basket_performance_rebalances_a_panel_result(panel_result: PanelResult) -> None:
    # Prices end before the panel's second date: one period, the first date's basket.
    prices = pd.DataFrame({"T00": [1.0, 2.0], "NVDA": [1.0, 1.0]},
                          index=pd.DatetimeIndex(["2026-01-05", "2026-01-06"]))
    perf = basket_performance(panel_result, prices, since="2026-01-05", top=len(TICKERS),
                              currency="local")
    assert isinstance(perf, RebalancedPerformance)
    assert perf.periods["panel_date"].tolist() == [pd.Timestamp("2026-01-05")]
    assert perf.periods["tickers"].tolist() == ["T00"]
    with pytest.raises(EvaluationError, match="no panel date on or before since"):
        basket_performance(panel_result, prices, since="2026-01-02")
