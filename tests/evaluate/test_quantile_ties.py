"""The quantile rule under ties: end quantiles populated, mirror symmetry, real causes.

Each case is one the issue reported broken: a large tied group at one end, a binary
score, 8 names tied at each end, 12 untied names in quintiles, and a negated score
whose spread was not the negated spread.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thesis_lib.evaluate import EvaluationError, QuantileResult, quantile_returns
from thesis_lib.evaluate.quantiles import quantile_of
from thesis_lib.evaluate.rowranks import quantile_rows


def sizes(scores: np.ndarray | list[float], q: int = 5) -> list[int]:
    buckets = quantile_of(np.asarray(scores, dtype=float), q)
    return np.bincount(buckets, minlength=q + 1)[1:].tolist()


def panel(score_rows: list[np.ndarray], seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores as given per date (names shuffled), returns ~ N(0.01 x score, 1)."""
    rng = np.random.default_rng(seed)
    names = len(score_rows[0])
    index = pd.date_range("2026-01-02", periods=len(score_rows), freq="W-FRI", name="date")
    scores = np.array([rng.permutation(row) for row in score_rows], dtype=float)
    returns = 0.01 * scores + rng.standard_normal(scores.shape)
    tickers = [f"T{i:03d}" for i in range(names)]
    return (pd.DataFrame(scores, index=index, columns=tickers),
            pd.DataFrame(returns, index=index, columns=tickers))


def assert_mirrored(up: QuantileResult, down: QuantileResult) -> None:
    """Negated scores: the exactly negated spread and the quantiles in mirror order."""
    assert down.spread == -up.spread
    assert down.n_dates == up.n_dates
    assert down.table["n"].tolist() == up.table["n"].tolist()[::-1]
    np.testing.assert_array_equal(down.table["mean_return"], up.table["mean_return"][::-1])
    np.testing.assert_array_equal(down.by_date["spread"], -up.by_date["spread"])
    assert down.t_stat == -up.t_stat


FORTY_FIVE_ZEROS = np.r_[np.zeros(45), np.linspace(0.1, 5.5, 55)]


def test_45_zeros_in_100_names_fill_the_bottom_quantile() -> None:
    # Before: average rank 23 put the 45 zeros in Q2, Q1 was empty, every date dropped out
    # and the call raised "no date has at least 10 names".
    assert sizes(FORTY_FIVE_ZEROS) == [45, 0, 15, 20, 20]
    assert sizes(-FORTY_FIVE_ZEROS) == [20, 20, 15, 0, 45]
    scores, returns = panel([FORTY_FIVE_ZEROS] * 6, seed=1)
    up = quantile_returns(scores, returns, n_resamples=200)
    assert up.n_dates == 6
    assert up.table["n"].tolist() == [6 * 45, 0, 6 * 15, 6 * 20, 6 * 20]
    assert up.by_date["Q1"].notna().all() and up.by_date["Q5"].notna().all()
    assert up.by_date["Q2"].isna().all()
    assert (up.by_date["note"] == "Q2 empty: a tied group spans it").all()
    assert "6 date(s): Q2 empty: a tied group spans it" in up.to_text()
    for date in scores.index:
        s, r = scores.loc[date], returns.loc[date]
        bottom = r[s == 0].mean()
        top = r[s.rank(method="first") > 80].mean()
        assert up.by_date.at[date, "spread"] == pytest.approx(top - bottom, abs=1e-15)
    assert_mirrored(up, quantile_returns(-scores, returns, n_resamples=200))


def test_binary_score_on_20_names_is_bottom_against_top() -> None:
    # Before: "no date has at least 10 names" with 20 names on every date.
    binary = np.r_[np.zeros(12), np.ones(8)]
    assert sizes(binary) == [12, 0, 0, 0, 8]
    assert sizes(1 - binary) == [8, 0, 0, 0, 12]
    scores, returns = panel([binary] * 4, seed=2)
    up = quantile_returns(scores, returns, n_resamples=200)
    for date in scores.index:
        s, r = scores.loc[date], returns.loc[date]
        assert up.by_date.at[date, "spread"] == pytest.approx(r[s == 1].mean() - r[s == 0].mean())
    assert up.by_date["note"].iloc[0] == "Q2, Q3, Q4 empty: a tied group spans them"
    assert_mirrored(up, quantile_returns(-scores, returns, n_resamples=200))
    one = quantile_returns(scores.iloc[0], returns.iloc[0])  # one date: Welch's test
    assert_mirrored(one, quantile_returns(-scores.iloc[0], returns.iloc[0]))
    assert one.ci.high == -quantile_returns(-scores.iloc[0], returns.iloc[0]).ci.low


def test_three_level_score_puts_the_middle_level_in_the_middle() -> None:
    assert sizes([-1.0] * 5 + [0.0] * 10 + [1.0] * 5) == [5, 0, 10, 0, 5]
    assert sizes([0.0] * 10 + [1.0] * 5 + [2.0] * 5) == [10, 0, 0, 5, 5]
    assert sizes([0.0] * 5 + [1.0] * 5 + [2.0] * 10) == [5, 5, 0, 0, 10]
    levels = np.r_[np.zeros(7), np.ones(9), np.full(4, 2.0)]
    scores, returns = panel([levels] * 3, seed=3)
    up = quantile_returns(scores, returns, n_resamples=200)
    assert up.table["n"].iloc[[0, -1]].tolist() == [21, 12]
    assert_mirrored(up, quantile_returns(-scores, returns, n_resamples=200))


def test_eight_tied_at_each_end_land_in_q1_and_q5() -> None:
    # Before: 8 tied lowest went to Q1 but 8 tied highest to Q4.
    scores_40 = np.r_[np.zeros(8), np.arange(1.0, 25.0), np.full(8, 99.0)]
    buckets = quantile_of(scores_40, 5)
    assert (buckets[:8] == 1).all() and (buckets[-8:] == 5).all()
    assert sizes(scores_40) == [8, 8, 8, 8, 8] == sizes(-scores_40)
    scores_30 = np.r_[np.zeros(8), np.arange(1.0, 15.0), np.full(8, 99.0)]
    assert sizes(scores_30) == [8, 4, 6, 4, 8]
    scores, returns = panel([scores_30] * 5, seed=4)
    up = quantile_returns(scores, returns, n_resamples=200)
    assert up.table["n"].tolist() == [40, 20, 30, 20, 40]
    assert_mirrored(up, quantile_returns(-scores, returns, n_resamples=200))


def test_twelve_untied_names_have_mirror_symmetric_sizes() -> None:
    # Before: [3, 2, 3, 2, 2]; alphalens (pandas.qcut) gives [3, 2, 2, 2, 3].
    assert sizes(np.arange(12.0)) == [3, 2, 2, 2, 3]
    assert sizes(np.arange(10.0)) == [2, 2, 2, 2, 2]
    assert sizes(np.arange(11.0)) == [2, 2, 3, 2, 2]
    scores, returns = panel([np.arange(12.0)] * 8, seed=5)
    up = quantile_returns(scores, returns, n_resamples=200)
    # Before: negating the score gave -1.0017 against +1.0883; now exactly the negation.
    assert_mirrored(up, quantile_returns(-scores, returns, n_resamples=200))


def test_a_group_on_the_middle_boundary_of_an_even_q_is_in_no_quantile() -> None:
    # 11 untied names, q = 2: the median would break the symmetry on either side.
    buckets = quantile_of(np.arange(11.0), 2)
    assert buckets.tolist() == [1] * 5 + [0] + [2] * 5
    scores, returns = panel([np.arange(11.0)] * 3, seed=6)
    up = quantile_returns(scores, returns, q=2, n_resamples=200)
    assert up.table["n"].tolist() == [15, 15]
    assert (up.by_date["note"] == "1 name(s) on the middle boundary, in no quantile").all()
    assert_mirrored(up, quantile_returns(-scores, returns, q=2, n_resamples=200))


def test_untied_quantiles_match_pandas_qcut_when_it_is_symmetric() -> None:
    rng = np.random.default_rng(7)
    for n in (10, 12, 13, 17, 25, 40, 101):
        for q in (3, 4, 5, 10):
            if n < 2 * q or np.gcd(q, n - 1) != 1:
                continue  # qcut puts a name on an inner edge on the lower side
            x = rng.standard_normal(n)
            expected = pd.qcut(x, q, labels=False) + 1
            assert quantile_of(x, q).tolist() == expected.tolist(), (n, q)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=2, max_size=40), st.integers(2, 7))
def test_negated_scores_get_mirrored_quantiles(values: list[int], q: int) -> None:
    x = np.asarray(values, dtype=float)
    up, down = quantile_of(x, q), quantile_of(-x, q)
    assert ((up == 0) == (down == 0)).all()
    assert (up[up > 0] == q + 1 - down[down > 0]).all()
    placed = up[np.argsort(x, kind="stable")]
    assert (np.diff(placed[placed > 0]) >= 0).all()  # higher score, never a lower quantile
    for value in np.unique(x):  # ties share one quantile
        assert len(np.unique(up[x == value])) == 1
    if len(np.unique(x)) >= 2:
        assert up[x == x.min()][0] == 1 and up[x == x.max()][0] == q
    else:
        assert (up == 0).all()


def rule_by_hand(x: np.ndarray, q: int) -> list[int]:
    """The documented rule, one group at a time in exact fractions (NaN: quantile 0)."""
    ok = [v for v in x.tolist() if np.isfinite(v)]
    n, levels = len(ok), sorted(set(ok))
    if len(levels) < 2:
        return [0] * len(x)
    by_level = {}
    start = 0
    for level in levels:
        size = ok.count(level)
        place = Fraction(2 * start + size - 1, 2) * q / (n - 1)  # u * q
        if place.denominator == 1 and 0 < place < q:
            k = int(place)
            by_level[level] = k + 1 if 2 * k < q else (k if 2 * k > q else 0)
        else:
            by_level[level] = max(1, -(-place.numerator // place.denominator))
        start += size
    by_level[levels[0]], by_level[levels[-1]] = 1, q
    return [by_level[v] if np.isfinite(v) else 0 for v in x.tolist()]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.integers(-3, 3).map(float), st.floats(-5, 5), st.just(np.nan)),
                min_size=0, max_size=40), st.integers(2, 8))
def test_quantiles_follow_the_documented_rule(values: list[float], q: int) -> None:
    x = np.asarray(values, dtype=float)
    assert quantile_of(x, q).tolist() == rule_by_hand(x, q)


def test_panel_rows_equal_one_row_at_a_time() -> None:
    rng = np.random.default_rng(8)
    values = rng.integers(0, 6, (30, 25)).astype(float)
    values[rng.random(values.shape) < 0.2] = np.nan
    found = quantile_rows(values, np.isfinite(values), 5, min_names=10)
    for row, expected in zip(values, found.bucket, strict=True):
        ok = np.isfinite(row)
        single = np.zeros(len(row), dtype=np.int64)
        if ok.sum() >= 10:
            single[ok] = quantile_of(row[ok], 5)
        assert single.tolist() == expected.tolist()


def test_errors_name_the_real_cause() -> None:
    index = pd.date_range("2026-01-02", periods=3, freq="W-FRI", name="date")
    tickers = [f"T{i}" for i in range(20)]
    returns = pd.DataFrame(np.random.default_rng(9).standard_normal((3, 20)), index=index,
                           columns=tickers)
    flat = pd.DataFrame(1.0, index=index, columns=tickers)
    with pytest.raises(EvaluationError, match="single distinct value on every date") as info:
        quantile_returns(flat, returns)
    assert info.value.field == "scores"
    with pytest.raises(EvaluationError, match="no date has at least 10 names") as info:
        quantile_returns(pd.Series(np.arange(8.0), index=tickers[:8]), returns)
    assert info.value.field == "forward_returns"
    mixed = flat.copy()
    mixed.iloc[0, 8:] = np.nan  # 8 names that date; the others are all tied
    mixed.iloc[0, :8] = np.arange(8.0)
    with pytest.raises(EvaluationError, match=r"1 date.* fewer than 10 names.* 2 date"):
        quantile_returns(mixed, returns)
    ok = mixed.copy()
    ok.iloc[2] = np.arange(20.0)
    result = quantile_returns(ok, returns, n_resamples=200)
    assert result.n_dates == 1
    assert result.by_date["note"].tolist() == [
        "fewer than 10 names", "scores all equal: no bottom or top quantile", ""]
