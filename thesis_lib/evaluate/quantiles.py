"""Mean forward return per score quantile, and the top-minus-bottom spread."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from thesis_lib.evaluate._common import (
    DEFAULT_RESAMPLES,
    ConfidenceInterval,
    EvaluationError,
    align_panels,
    as_panel,
    check_level,
    hac_variance,
    horizon_of,
    mean_test,
    overlap_in,
    overlap_lags,
    session_numbers,
    windows_text,
)
from thesis_lib.evaluate.results import QuantileResult
from thesis_lib.rules.screen import ScreenResult


def quantile_of(scores: np.ndarray, q: int) -> np.ndarray:
    """Quantile 1..q of each score (1 = lowest), from average ranks so ties share one."""
    ranks = stats.rankdata(scores)
    buckets = np.floor((ranks - 1.0) * q / len(scores)).astype(np.int64) + 1
    return np.asarray(np.clip(buckets, 1, q))


def _column_means(matrix: np.ndarray) -> np.ndarray:
    """Mean of each column's finite values, NaN for a column without any (no warning)."""
    finite = np.isfinite(matrix)
    total = np.where(finite, matrix, 0.0).sum(axis=0)
    count = finite.sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def quantile_returns(
    scores: ScreenResult | pd.Series | pd.DataFrame,
    forward_returns: pd.Series | pd.DataFrame,
    q: int = 5,
    *,
    level: float = 0.95,
    seed: int | None = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
    horizon: int | None = None,
    step: int | None = None,
) -> QuantileResult:
    """Mean forward return of each score quantile and the top-minus-bottom spread.

    Inputs as for :func:`~thesis_lib.evaluate.rank_ic`. Each date splits the names with
    both a score and a return into ``q`` groups by score rank (tied scores share a
    group); a date with fewer than ``2 * q`` names is left out. The spread is the top
    group's mean return minus the bottom group's.

    With several dates the spread is the mean of the dates' spreads, tested with a
    one-sample t-test and given a bootstrap interval (:func:`scipy.stats.bootstrap`, BCa,
    ``seed``) over dates. With one date it is the difference of the two groups' means,
    tested with Welch's t-test and given Welch's t interval: with the handful of names a
    quantile usually holds, a bootstrap interval would be too narrow. When the dates'
    windows overlap (``horizon``/``step`` as for :func:`~thesis_lib.evaluate.rank_ic`,
    read from :func:`~thesis_lib.evaluate.forward_returns`' frame by default), the spread's
    interval and t-test use a HAC standard error instead of the bootstrap.
    """
    level = check_level(level)
    stated_step = step
    horizon, step = horizon_of(forward_returns, horizon, step)
    if not isinstance(q, int) or q < 2:
        raise EvaluationError(f"q={q!r} must be an integer of at least 2", field="q",
                              hint="use e.g. q=5 for quintiles")
    dates, s, r, _ = align_panels(as_panel(scores, field="scores"),
                                  as_panel(forward_returns, field="forward_returns"))
    means = np.full((len(dates), q), np.nan)
    score_means = np.full((len(dates), q), np.nan)
    counts = np.zeros((len(dates), q), dtype=np.int64)
    groups: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for i, (x, y) in enumerate(zip(s, r, strict=True)):
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.sum() < 2 * q:
            continue
        x, y = x[ok], y[ok]
        bucket = quantile_of(x, q)
        counts[i] = np.bincount(bucket, minlength=q + 1)[1:]
        sums = np.bincount(bucket, weights=y, minlength=q + 1)[1:]
        score_sums = np.bincount(bucket, weights=x, minlength=q + 1)[1:]
        with np.errstate(invalid="ignore", divide="ignore"):
            means[i] = np.where(counts[i] > 0, sums / np.maximum(counts[i], 1), np.nan)
            score_means[i] = np.where(counts[i] > 0, score_sums / np.maximum(counts[i], 1),
                                      np.nan)
        groups[i] = (y[bucket == q], y[bucket == 1])
    spreads = means[:, -1] - means[:, 0]
    valid = np.isfinite(spreads)
    if not valid.any():
        raise EvaluationError(
            f"no date has at least {2 * q} names with both a score and a return",
            field="forward_returns", hint=f"use fewer quantiles than q={q}, or more names")
    used = means[valid]
    labels = pd.RangeIndex(1, q + 1, name="quantile")
    n_dates = int(valid.sum())
    if n_dates == 1:
        row = int(np.flatnonzero(valid)[0])
        top, bottom = groups[row]
        spread = float(top.mean() - bottom.mean())
        if len(top) < 2 or len(bottom) < 2 or (np.ptp(top) == 0 and np.ptp(bottom) == 0):
            t_stat, p_value = np.nan, np.nan
            ci = ConfidenceInterval(np.nan, np.nan, level, "Welch t interval: too few names")
        else:
            welch = stats.ttest_ind(top, bottom, equal_var=False)
            t_stat, p_value = float(welch.statistic), float(welch.pvalue)
            bounds = welch.confidence_interval(confidence_level=level)
            ci = ConfidenceInterval(float(bounds.low), float(bounds.high), level,
                                    f"Welch t interval, {len(top)} top and {len(bottom)} "
                                    "bottom names")
        stderr = []
        for k in range(1, q + 1):
            x, y = s[row], r[row]
            ok = np.isfinite(x) & np.isfinite(y)
            members = y[ok][quantile_of(x[ok], q) == k]
            stderr.append(members.std(ddof=1) / np.sqrt(len(members))
                          if len(members) > 1 else np.nan)
        test = "Welch's t-test, top group against bottom group"
    else:
        used_dates = [date for date, ok in zip(dates, valid, strict=True) if ok]
        sessions = None if stated_step is not None else \
            session_numbers(forward_returns, used_dates)
        lags = overlap_lags(horizon, step) if sessions is None else \
            overlap_in(sessions, horizon)
        tested = mean_test(spreads[valid], lags=lags, level=level, seed=seed,
                           n_resamples=n_resamples, what="dates", of="spreads",
                           windows=windows_text(horizon, step),
                           check_dependence=horizon is None)
        spread, ci, t_stat, p_value = tested.mean, tested.ci, tested.t_stat, tested.p_value
        stderr = []
        for column in used.T:
            present = column[np.isfinite(column)]
            if len(present) > lags + 1 and lags:  # overlapping dates: HAC standard error
                stderr.append(np.sqrt(hac_variance(present, lags)[0] / len(present)))
            else:
                stderr.append(present.std(ddof=1) / np.sqrt(len(present))
                              if len(present) > 1 else np.nan)
        test = tested.test
    table = pd.DataFrame({
        "mean_return": _column_means(used),
        "stderr": np.asarray(stderr, dtype=float),
        "n": counts[valid].sum(axis=0),
        "mean_score": _column_means(score_means[valid]),
    }, index=labels)
    by_date = pd.DataFrame(means, index=pd.Index(dates, name="date"),
                           columns=[f"Q{k}" for k in range(1, q + 1)])
    by_date["spread"] = spreads
    by_date["n"] = counts.sum(axis=1)
    return QuantileResult(table=table, spread=spread, ci=ci, t_stat=t_stat, p_value=p_value,
                          q=q, n_dates=n_dates, test=test, by_date=by_date)
