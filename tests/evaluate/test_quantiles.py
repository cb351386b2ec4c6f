"""quantile_returns: planted spreads recovered, noise gives ~0, groups checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from thesis_lib.evaluate import EvaluationError, quantile_returns
from thesis_lib.evaluate.quantiles import quantile_of

from .helpers import planted


def normal_spread(a: float, q: int) -> float:
    """a x (E[Z | top 1/q] - E[Z | bottom 1/q]) for Z ~ N(0, 1): a x 2 q phi(z_{1-1/q})."""
    z = stats.norm.ppf(1.0 - 1.0 / q)
    return float(a * 2.0 * q * stats.norm.pdf(z))


def test_planted_spread_is_recovered_over_dates() -> None:
    a = 0.3
    scores, returns = planted(a, dates=40, names=200, seed=21)
    result = quantile_returns(scores, returns, q=5, n_resamples=2000)
    expected = normal_spread(a, 5)  # 0.3 x 2.80 = 0.84
    assert result.ci.contains(expected), (result.ci, expected)
    assert result.ci.low > 0.6
    means = result.table["mean_return"].to_numpy()
    assert (np.diff(means) > 0).all()  # returns rise with the score quintile
    assert result.table["n"].tolist() == [40 * 40] * 5
    assert result.p_value < 1e-10
    assert result.by_date["spread"].mean() == pytest.approx(result.spread)


def test_planted_spread_is_recovered_on_one_date() -> None:
    a = 0.5
    scores, returns = planted(a, dates=1, names=2000, seed=22)
    result = quantile_returns(scores.iloc[0], returns.iloc[0], q=5)
    expected = normal_spread(a, 5)
    assert result.ci.contains(expected), (result.ci, expected)
    assert result.n_dates == 1 and "Welch" in result.ci.method
    top = returns.iloc[0][scores.iloc[0].rank() > 1600]
    bottom = returns.iloc[0][scores.iloc[0].rank() <= 400]
    assert result.spread == pytest.approx(top.mean() - bottom.mean())
    welch = stats.ttest_ind(top, bottom, equal_var=False)
    assert result.p_value == pytest.approx(float(welch.pvalue))


def test_noise_gives_a_spread_near_zero() -> None:
    scores, returns = planted(0.0, dates=40, names=200, seed=23)
    result = quantile_returns(scores, returns, q=5, n_resamples=2000)
    assert result.ci.contains(0.0)
    assert abs(result.spread) < 0.1


def test_groups_by_hand() -> None:
    # Ten names, q = 5: two names per group by score rank.
    scores = pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], index=list("ABCDEFGHIJ"), dtype=float)
    returns = pd.Series([-0.04, -0.02, 0.0, 0.01, 0.01, 0.03, 0.02, 0.05, 0.06, 0.10],
                        index=list("ABCDEFGHIJ"))
    result = quantile_returns(scores, returns, q=5)
    # Q1 = A, B: (-0.04 - 0.02) / 2 = -0.03;  Q5 = I, J: (0.06 + 0.10) / 2 = 0.08
    assert result.table["mean_return"].tolist() == pytest.approx(
        [-0.03, 0.005, 0.02, 0.035, 0.08])
    assert result.spread == pytest.approx(0.11)  # 0.08 - (-0.03)
    assert result.table["mean_score"].tolist() == pytest.approx([1.5, 3.5, 5.5, 7.5, 9.5])


def test_tied_scores_share_a_group() -> None:
    buckets = quantile_of(np.array([1, 1, 1, 1, 2, 2, 3, 3, 4, 5], dtype=float), 5)
    # Mean 0-based positions 1.5 x4, 4.5 x2, 6.5 x2, 8, 9 -> u = m / 9 -> ceil(5u):
    # 0.83 -> 1, 2.5 -> 3, 3.61 -> 4, 4.44 -> 5, and the top name in 5
    assert buckets.tolist() == [1, 1, 1, 1, 3, 3, 4, 4, 5, 5]


def test_dates_with_too_few_names_are_left_out() -> None:
    scores, returns = planted(0.2, dates=4, names=30, seed=3)
    returns.iloc[1, 5:] = np.nan  # 5 names left that date: fewer than 2 x q = 10
    result = quantile_returns(scores, returns, q=5, n_resamples=200)
    assert result.n_dates == 3
    assert np.isnan(result.by_date["spread"].iloc[1])
    with pytest.raises(EvaluationError, match="at least 10 names"):
        quantile_returns(scores.iloc[:, :8], returns.iloc[:, :8], q=5)
    with pytest.raises(EvaluationError) as info:
        quantile_returns(scores, returns, q=1)
    assert info.value.field == "q"
