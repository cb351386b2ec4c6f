"""rank_ic: planted relations are recovered, noise gives ~0, single dates equal scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import thesis_lib as tl
from thesis_lib.evaluate import EvaluationError, rank_ic
from thesis_lib.evaluate.ic import spearman_along

from .helpers import planted


def spearman_of_normal(rho: float) -> float:
    """Spearman's rho of a bivariate normal with Pearson correlation rho: 6/pi asin(rho/2)."""
    return float(6.0 / np.pi * np.arcsin(rho / 2.0))


def test_planted_relation_is_recovered_within_the_interval() -> None:
    a = 0.3
    scores, returns = planted(a, dates=40, names=120, seed=11)
    result = rank_ic(scores, returns, n_resamples=2000, seed=1)
    true_ic = spearman_of_normal(a / np.sqrt(a * a + 1.0))  # about 0.275
    assert result.ci.contains(true_ic), (result.ci, true_ic)
    assert result.ci.low > 0.2 and result.ci.high < 0.35
    assert result.p_value < 1e-10 and result.t_stat > 10
    assert result.n_dates == 40 and result.n_names == 120
    assert (result.by_date["n"] == 120).all()


def test_pure_noise_gives_an_ic_near_zero() -> None:
    scores, returns = planted(0.0, dates=40, names=120, seed=12)
    result = rank_ic(scores, returns, n_resamples=2000)
    assert abs(result.mean_ic) < 0.03
    assert result.ci.contains(0.0)
    assert result.p_value > 0.05


def test_single_date_equals_scipy_spearmanr_with_ties_and_missing_values() -> None:
    rng = np.random.default_rng(3)
    tickers = [f"T{i}" for i in range(30)]
    scores = pd.Series(rng.integers(0, 5, 30).astype(float), index=tickers)  # many ties
    returns = pd.Series(rng.standard_normal(30), index=tickers)
    scores.iloc[[2, 7]] = np.nan
    returns.iloc[[7, 11, 19]] = np.nan
    result = rank_ic(scores, returns, n_resamples=500)
    ok = scores.notna() & returns.notna()
    expected = stats.spearmanr(scores[ok], returns[ok])
    assert result.mean_ic == pytest.approx(float(expected.statistic), abs=1e-12)
    assert result.p_value == pytest.approx(float(expected.pvalue), abs=1e-12)
    assert result.by_date["n"].iloc[0] == 26  # 30 names, 4 missing one side or both
    assert result.n_dates == 1
    assert "names (paired)" in result.ci.method
    assert result.ci.low < result.mean_ic < result.ci.high


def test_every_date_equals_scipy_spearmanr() -> None:
    scores, returns = planted(0.2, dates=6, names=25, seed=5)
    returns.iloc[2, :4] = np.nan
    result = rank_ic(scores, returns, n_resamples=200)
    for date in scores.index:
        ok = returns.loc[date].notna()
        expected = stats.spearmanr(scores.loc[date, ok], returns.loc[date, ok])
        assert result.by_date.at[date, "ic"] == pytest.approx(float(expected.statistic),
                                                              abs=1e-12)
        assert result.by_date.at[date, "p_value"] == pytest.approx(float(expected.pvalue))
    assert result.by_date["n"].tolist() == [25, 25, 21, 25, 25, 25]
    ics = result.by_date["ic"].to_numpy()
    assert result.mean_ic == pytest.approx(ics.mean())
    t = stats.ttest_1samp(ics, 0.0)
    assert result.t_stat == pytest.approx(float(t.statistic))


def test_one_score_series_is_used_for_every_return_date() -> None:
    scores, returns = planted(0.3, dates=5, names=40, seed=8)
    static = scores.iloc[0]
    result = rank_ic(static, returns, n_resamples=200)
    for date in returns.index:
        expected = stats.spearmanr(static, returns.loc[date]).statistic
        assert result.by_date.at[date, "ic"] == pytest.approx(float(expected))


def test_dates_without_enough_names_or_spread_say_why() -> None:
    index = pd.DatetimeIndex(["2026-05-01", "2026-05-08", "2026-05-15", "2026-05-22"],
                             name="date")
    scores = pd.DataFrame([[1.0, 2, 3, 4, 5, 6], [1.0, 2, 3, 4, 5, 6], [2.0] * 6,
                           [6.0, 5, 4, 3, 2, 1]], index=index, columns=list("ABCDEF"))
    returns = pd.DataFrame([[1.0, 2, 3, np.nan, np.nan, np.nan], [0.1] * 6,
                            [1.0, 2, 3, 4, 5, 6], [1.0, 2, 3, 4, 5, 7]],
                           index=index, columns=list("ABCDEF"))
    result = rank_ic(scores, returns, n_resamples=200)
    notes = result.by_date["note"].tolist()
    assert notes == ["fewer than 5 names", "returns all equal", "scores all equal", ""]
    assert result.by_date.at[index[3], "ic"] == pytest.approx(-1.0)
    assert result.n_dates == 1 and result.mean_ic == pytest.approx(-1.0)


def test_screen_result_uses_ranked_companies_only() -> None:
    result = tl.screen(tl.load_universe(), tl.load_pack())
    scores = result.scores
    returns = scores["score"] * 0.01  # perfectly ordered returns, excluded ones included
    ic = rank_ic(result, returns, n_resamples=200)
    assert ic.by_date["n"].iloc[0] == int(scores["passed"].sum())
    assert ic.mean_ic == pytest.approx(1.0)


def test_seed_makes_the_interval_reproducible() -> None:
    scores, returns = planted(0.1, dates=12, names=30, seed=2)
    one = rank_ic(scores, returns, n_resamples=500, seed=4).ci
    two = rank_ic(scores, returns, n_resamples=500, seed=4).ci
    other = rank_ic(scores, returns, n_resamples=500, seed=5).ci
    assert (one.low, one.high) == (two.low, two.high)
    assert (one.low, one.high) != (other.low, other.high)
    wide = rank_ic(scores, returns, n_resamples=500, seed=4, level=0.99).ci
    assert wide.low < one.low and wide.high > one.high


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"level": 1.5}, "level"), ({"min_names": 2}, "min_names")],
)
def test_bad_arguments_are_named(kwargs: dict[str, float], field: str) -> None:
    scores, returns = planted(0.1, dates=3, names=10, seed=1)
    with pytest.raises(EvaluationError) as info:
        rank_ic(scores, returns, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_no_common_tickers_or_no_usable_date_is_an_error() -> None:
    a = pd.Series([1.0, 2.0, 3.0], index=["A", "B", "C"])
    with pytest.raises(EvaluationError, match="share no tickers"):
        rank_ic(a, pd.Series([1.0, 2.0], index=["X", "Y"]))
    with pytest.raises(EvaluationError, match="no date has 5 or more names"):
        rank_ic(a, pd.Series([1.0, 2.0, 3.0], index=["A", "B", "C"]))
    with pytest.raises(EvaluationError, match="not numbers"):
        rank_ic(pd.Series(["x", "y"], index=["A", "B"]), a)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 3), st.floats(-1e3, 1e3)), min_size=3, max_size=25))
def test_vectorized_spearman_matches_scipy(pairs: list[tuple[int, float]]) -> None:
    x = np.array([p[0] for p in pairs], dtype=float)
    y = np.array([p[1] for p in pairs], dtype=float)
    got = float(spearman_along(x, y))
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        assert got == 0.0
    else:
        assert got == pytest.approx(float(stats.spearmanr(x, y).statistic), abs=1e-9)
