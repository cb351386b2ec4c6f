"""Overlapping return windows: honest intervals and tests; the IC summary by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from thesis_lib.evaluate import (
    DependentDatesWarning,
    EvaluationError,
    forward_returns,
    quantile_returns,
    rank_ic,
)
from thesis_lib.evaluate._common import hac_variance, mean_test, overlap_lags

from .helpers import planted

HORIZON = 21


def persistent_panel(rng: np.random.Generator, *, names: int, days: int, phi: float,
                     a: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores following an AR(1) with persistence ``phi`` per name, and closes whose daily
    log return (in %) is ``a x score + N(0, 1)``: date x ticker, business days."""
    total = days + HORIZON
    score = np.empty((total, names))
    score[0] = rng.standard_normal(names)
    shocks = rng.standard_normal((total, names)) * np.sqrt(1.0 - phi * phi)
    for t in range(1, total):
        score[t] = phi * score[t - 1] + shocks[t]
    daily = a * score + rng.standard_normal((total, names))
    closes = 100.0 * np.exp(0.01 * np.cumsum(np.vstack([np.zeros(names), daily[:-1]]), axis=0))
    index = pd.bdate_range("2020-01-01", periods=total, name="date")
    tickers = [f"T{i:02d}" for i in range(names)]
    return (pd.DataFrame(score, index=index, columns=tickers),
            pd.DataFrame(closes, index=index, columns=tickers))


def expected_ic(*, names: int, phi: float, a: float) -> float:
    """The expected sample Spearman IC of a score with its 21-session forward return.

    The forward return is monotone in the sum of 21 daily draws ``a x s_{t+k} + e``, so
    (score, sum) is bivariate normal with Pearson correlation ``rho``; the expected
    sample Spearman of ``n`` such pairs is ``6 / (pi (n + 1)) [asin rho + (n - 2)
    asin(rho / 2)]`` (Moran, 1948).
    """
    lags = np.arange(HORIZON)
    cov = a * float((phi ** lags).sum())
    var = a * a * float((phi ** np.abs(lags[:, None] - lags[None, :])).sum()) + HORIZON
    rho = cov / np.sqrt(var)
    return float(6.0 / (np.pi * (names + 1)) * (np.arcsin(rho) + (names - 2)
                                                 * np.arcsin(rho / 2.0)))


def test_overlapping_21_session_returns_get_intervals_that_hold_the_true_ic() -> None:
    rng = np.random.default_rng(20261130)
    names, phi, a = 40, 0.97, 0.08
    truth = expected_ic(names=names, phi=phi, a=a)
    honest = naive = 0
    runs = 200
    for run in range(runs):
        scores, closes = persistent_panel(rng, names=names, days=320, phi=phi, a=a)
        returns = forward_returns(closes, HORIZON, step=1)
        result = rank_ic(scores, returns, n_resamples=200)
        honest += result.ci.contains(truth)
        if run < 50:  # the same dates taken as independent (what rank_ic did before)
            plain = returns.copy()
            plain.attrs = {}
            with pytest.warns(DependentDatesWarning, match="horizon is unknown"):
                naive += rank_ic(scores, plain, n_resamples=200).ci.contains(truth)
    assert "HAC interval over overlapping dates" in result.ci.method
    assert result.ci.method == ("HAC interval over overlapping dates (21-session windows "
                                "every session: Hansen-Hodrick, 20 lags), t with 15 df")
    assert result.test == ("HAC t-test of the mean of the dates' ICs against 0 (320 "
                           "overlapping dates, 16 non-overlapping windows, t with 15 df)")
    assert honest / runs >= 0.90, honest / runs
    assert naive / 50 < 0.70, naive / 50  # the case the interval has to be honest about


def test_non_overlapping_windows_keep_the_plain_bootstrap_and_t_test() -> None:
    rng = np.random.default_rng(5)
    scores, closes = persistent_panel(rng, names=30, days=420, phi=0.9, a=0.1)
    returns = forward_returns(closes, HORIZON)  # step defaults to the horizon
    assert (returns.attrs["horizon"], returns.attrs["step"]) == (HORIZON, HORIZON)
    assert (returns.attrs["dates"] == returns.index.to_numpy()).all()
    result = rank_ic(scores, returns, n_resamples=300)
    assert result.ci.method.startswith("bootstrap BCa over dates")
    assert result.test == f"one-sample t-test of the {result.n_dates} dates' ICs against 0"
    ics = result.by_date["ic"].dropna().to_numpy()
    expected = stats.ttest_1samp(ics, 0.0)
    assert result.t_stat == pytest.approx(float(expected.statistic))
    assert result.p_value == pytest.approx(float(expected.pvalue))
    assert result.t_nonoverlap == pytest.approx(result.t_stat)  # no overlap: the same t
    assert not result.overlapping and "non-overlapping" in str(result)


def test_the_recorded_horizon_survives_selecting_tickers_and_can_be_stated() -> None:
    rng = np.random.default_rng(8)
    scores, closes = persistent_panel(rng, names=12, days=120, phi=0.95, a=0.1)
    returns = forward_returns(closes, HORIZON, step=1)
    picked = returns[list(returns.columns[:10])]
    assert (picked.attrs["horizon"], picked.attrs["step"]) == (HORIZON, 1)
    assert "HAC" in rank_ic(scores, picked, n_resamples=100).ci.method
    bare = pd.DataFrame(returns.to_numpy(), index=returns.index, columns=returns.columns)
    assert bare.attrs == {}
    with pytest.warns(DependentDatesWarning) as caught:
        assert rank_ic(scores, bare, n_resamples=100).ci.method.startswith("bootstrap")
    assert caught[0].filename == __file__  # pointed at the caller's line
    assert "the 120 dates' ICs are autocorrelated (lag 1: 0." in str(caught[0].message)
    assert "pass horizon= and step=" in str(caught[0].message)
    stated = rank_ic(scores, bare, n_resamples=100, horizon=HORIZON)  # one row per session
    assert "every session: Hansen-Hodrick, 20 lags" in stated.ci.method and stated.step == 1
    spaced = rank_ic(scores, bare, n_resamples=100, horizon=HORIZON, step=7)
    assert "every 7 sessions: Hansen-Hodrick, 2 lags" in spaced.ci.method  # ceil(21/7) - 1
    apart = rank_ic(scores, bare, n_resamples=100, horizon=HORIZON, step=HORIZON)
    assert apart.ci.method.startswith("bootstrap")
    spread = quantile_returns(scores, returns, n_resamples=100)
    assert "HAC interval over overlapping dates" in spread.ci.method
    assert spread.test.startswith("HAC t-test of the mean of the dates' spreads against 0")
    q1 = spread.by_date["Q1"].dropna().to_numpy()
    assert spread.table.loc[1, "stderr"] == pytest.approx(
        np.sqrt(hac_variance(q1, 20)[0] / len(q1)))
    with pytest.warns(DependentDatesWarning, match="dates' spreads are autocorrelated"):
        unstated = quantile_returns(scores, bare, n_resamples=100)
    assert unstated.ci.method.startswith("bootstrap")


def test_independent_dates_do_not_warn() -> None:
    scores, returns = planted(0.2, dates=60, names=30, seed=3)
    result = rank_ic(scores, returns, n_resamples=100)  # warnings are errors in the suite
    assert result.ci.method.startswith("bootstrap")
    quantile_returns(scores, returns, n_resamples=100)


def test_rows_taken_out_of_the_frame_are_still_counted_in_sessions() -> None:
    rng = np.random.default_rng(9)
    scores, closes = persistent_panel(rng, names=20, days=400, phi=0.95, a=0.1)
    daily = forward_returns(closes, HORIZON, step=1)
    monthly = daily.iloc[::HORIZON]  # every 21st session: the windows no longer overlap
    result = rank_ic(scores, monthly, n_resamples=200)
    assert result.ci.method.startswith("bootstrap BCa over dates")
    assert result.n_nonoverlap == result.n_dates == len(monthly)
    weekly = scores.iloc[::5]  # scores every 5 sessions against daily 21-session returns
    result = rank_ic(weekly, daily, n_resamples=200)
    assert "Hansen-Hodrick, 4 lags" in result.ci.method  # +5, +10, +15, +20 sessions
    assert result.n_nonoverlap == len(range(0, result.n_dates, 5))  # 25 sessions apart
    spread = quantile_returns(weekly, daily, n_resamples=200)
    assert "Hansen-Hodrick, 4 lags" in spread.ci.method
    stated = rank_ic(weekly, daily, n_resamples=200, step=1)  # a stated step counts rows
    assert "Hansen-Hodrick, 20 lags" in stated.ci.method


@pytest.mark.parametrize("kwargs", [{"horizon": 0}, {"horizon": 2.5}, {"step": -1},
                                    {"horizon": True}])
def test_a_bad_horizon_or_step_is_named(kwargs: dict[str, object]) -> None:
    scores, returns = planted(0.1, dates=4, names=10, seed=1)
    field = next(iter(kwargs))
    with pytest.raises(EvaluationError, match=f"{field}=") as info:
        rank_ic(scores, returns, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    with pytest.raises(EvaluationError) as info:
        quantile_returns(scores, returns, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_overlap_is_counted_in_dates() -> None:
    assert overlap_lags(None, None) == 0
    assert overlap_lags(21, 1) == 20
    assert overlap_lags(21, 21) == 0
    assert overlap_lags(21, 10) == 2  # dates 0, 10, 20 share session 20
    assert overlap_lags(5, 30) == 0


def test_hac_variance_by_hand() -> None:
    x = np.array([0.3, 0.1, 0.4, 0.2, 0.5, 0.3, 0.6, 0.2])
    d = x - x.mean()
    n = len(x)
    g0, g1 = d @ d / n, d[1:] @ d[:-1] / n
    variance, kernel = hac_variance(x, 1)
    assert g0 + 2 * g1 > 0
    assert variance == pytest.approx((g0 + 2 * g1) * n / (n - 3))
    assert kernel == "Hansen-Hodrick, 1 lag"
    alternating = np.array([1.0, -1.0] * 6)  # strongly negative lag-1 autocovariance
    variance, kernel = hac_variance(alternating, 1)
    d = alternating - alternating.mean()
    g = [d[k:] @ d[: len(d) - k] / len(d) for k in range(3)]
    bartlett = g[0] + 2 * (2 / 3 * g[1] + 1 / 3 * g[2])
    assert kernel == "Newey-West Bartlett, 2 lags"
    assert variance == pytest.approx(max(bartlett, 0.0) * 12 / 9)


def test_mean_test_by_hand_and_its_edges() -> None:
    x = np.array([0.3, 0.1, 0.4, 0.2, 0.5, 0.3, 0.6, 0.2])
    found = mean_test(x, lags=1, level=0.9, seed=0, n_resamples=100, what="dates", of="ICs")
    se = np.sqrt(hac_variance(x, 1)[0] / len(x))
    q = stats.t.ppf(0.95, 3)  # 8 dates, 4 non-overlapping windows of 2
    assert found.ci.low == pytest.approx(x.mean() - q * se)
    assert found.ci.high == pytest.approx(x.mean() + q * se)
    assert found.t_stat == pytest.approx(x.mean() / se)
    assert found.p_value == pytest.approx(2 * stats.t.sf(x.mean() / se, 3))
    flat = mean_test(np.full(6, 0.2), lags=2, level=0.95, seed=0, n_resamples=100,
                     what="dates", of="ICs")
    assert flat.ci.low == flat.ci.high == pytest.approx(0.2) and np.isnan(flat.t_stat)
    short = mean_test(np.array([0.1, 0.2, 0.3]), lags=5, level=0.95, seed=0,
                      n_resamples=100, what="dates", of="ICs")
    assert np.isnan(short.ci.low) and "fewer than 2 non-overlapping windows" in short.ci.method


def hand_panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Five names, four dates with Spearman ICs 1, -1, 0.9 and 0.8 (by 1 - 6 sum d^2 /
    (n (n^2 - 1)) with n = 5: sum d^2 = 0, 40, 2, 4)."""
    index = pd.Index(pd.bdate_range("2026-01-05", periods=4), name="date")
    scores = pd.DataFrame([[1.0, 2, 3, 4, 5]] * 4, index=index, columns=list("ABCDE"))
    returns = pd.DataFrame([[1.0, 2, 3, 4, 5], [5.0, 4, 3, 2, 1], [1.0, 2, 4, 3, 5],
                            [2.0, 1, 3, 5, 4]], index=index, columns=list("ABCDE"))
    return scores, returns


def test_ic_summary_by_hand() -> None:
    scores, returns = hand_panel()
    result = rank_ic(scores, returns, n_resamples=200)
    assert result.by_date["ic"].tolist() == pytest.approx([1.0, -1.0, 0.9, 0.8])
    mean = (1.0 - 1.0 + 0.9 + 0.8) / 4  # 0.425
    std = np.sqrt(((1 - mean) ** 2 + (-1 - mean) ** 2 + (0.9 - mean) ** 2
                   + (0.8 - mean) ** 2) / 3)
    assert result.mean_ic == pytest.approx(0.425)
    assert result.std_ic == pytest.approx(std)
    assert result.ir == pytest.approx(0.425 / std)
    assert result.hit_rate == 0.75
    assert result.n_dates == 4 and result.n_nonoverlap == 4
    assert result.t_nonoverlap == pytest.approx(0.425 / (std / 2.0))
    overlapping = rank_ic(scores, returns, n_resamples=200, horizon=2, step=1)
    # every other date: ICs 1 and 0.9, mean 0.95, std 0.1 / sqrt(2), t = 0.95 / 0.05
    assert overlapping.t_nonoverlap == pytest.approx(19.0)
    assert overlapping.n_nonoverlap == 2
    assert overlapping.std_ic == pytest.approx(std) and overlapping.hit_rate == 0.75
    summary = overlapping.summary()
    assert summary["mean"] == pytest.approx(0.425) and summary["n_dates"] == 4
    assert summary["t_nonoverlap"] == pytest.approx(19.0)


def test_text_and_html_show_the_summary() -> None:
    scores, returns = hand_panel()
    result = rank_ic(scores, returns, n_resamples=200, horizon=2, step=1)
    text = result.to_text()
    assert "IC mean +0.4250, std 0.9535, IR +0.45, hit rate 75%" in text
    assert "t on 2 non-overlapping date(s) 19.00, 4 date(s)" in text
    assert "2-session returns every session, overlapping" in text
    assert "HAC interval over overlapping dates" in text
    page = result._repr_html_()
    assert "IC summary" in page and "hit_rate" in page and "t_nonoverlap" in page
    # the hit rate as a percent, the t statistic with its sign, counts as whole numbers
    assert ">75%<" in page and ">+19.00<" in page and ">4<" in page
    single = rank_ic(scores.iloc[0], returns.iloc[2], n_resamples=200)
    assert "IR n/a" in single.to_text() and "hit rate 100%" in single.to_text()
