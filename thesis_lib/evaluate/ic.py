"""Rank information coefficient: do higher scores go with higher forward returns?"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from thesis_lib.evaluate._common import (
    DEFAULT_RESAMPLES,
    EvaluationError,
    align_panels,
    as_panel,
    bootstrap_ci,
    check_level,
)
from thesis_lib.evaluate.results import ICResult
from thesis_lib.evaluate.rowranks import spearman_rows
from thesis_lib.rules.screen import ScreenResult


def spearman_along(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """Spearman's rho along ``axis`` (average ranks for ties), for many samples at once.

    Where either side is constant the correlation is undefined; it counts as 0 here.
    """
    rx = stats.rankdata(x, axis=axis)
    ry = stats.rankdata(y, axis=axis)
    rx = rx - rx.mean(axis=axis, keepdims=True)
    ry = ry - ry.mean(axis=axis, keepdims=True)
    num = (rx * ry).sum(axis=axis)
    den = np.sqrt((rx * rx).sum(axis=axis) * (ry * ry).sum(axis=axis))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    return np.asarray(rho)


def _mean(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(np.mean(x, axis=axis))


def rank_ic(
    scores: ScreenResult | pd.Series | pd.DataFrame,
    forward_returns: pd.Series | pd.DataFrame,
    *,
    level: float = 0.95,
    seed: int | None = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
    min_names: int = 5,
) -> ICResult:
    """Spearman rank correlation between scores and forward returns, per date.

    ``scores``: a :class:`~thesis_lib.ScreenResult` (its ranked companies), a Series
    ticker -> score, or a DataFrame date x ticker. ``forward_returns``: a Series ticker ->
    return (one period) or a DataFrame date x ticker (see
    :func:`~thesis_lib.evaluate.forward_returns`). Scores given once are used for every
    return date. Each date uses the names with both a finite score and a finite return;
    ties get average ranks (as :func:`scipy.stats.spearmanr` does). A date with fewer
    than ``min_names`` such names, or whose scores or returns are all equal, gets no IC
    and says why.

    The mean IC's confidence interval at ``level`` comes from
    :func:`scipy.stats.bootstrap` (BCa) with ``seed``: over dates when there are several,
    over names (pairs resampled together) when there is one; with a dozen names or fewer
    that interval is rough, so read it with the test's p-value. The t-test over dates
    takes them as independent: use non-overlapping windows (as :func:`forward_returns`
    gives by default). Returns an :class:`ICResult`.
    """
    level = check_level(level)
    if min_names < 3:
        raise EvaluationError(f"min_names={min_names} is below 3", field="min_names",
                              hint="a rank correlation needs at least 3 names")
    dates, s, r, _ = align_panels(as_panel(scores, field="scores"),
                                  as_panel(forward_returns, field="forward_returns"))
    found = spearman_rows(s, r, min_names=min_names)
    note = np.full(len(dates), "", dtype=object)
    note[found.y_constant] = "returns all equal"
    note[found.x_constant] = "scores all equal"
    note[found.n < min_names] = f"fewer than {min_names} names"
    by_date = pd.DataFrame(
        {"ic": found.rho, "p_value": found.p_value, "n": found.n.astype(np.int64),
         "note": pd.array(note, dtype="string")},
        index=pd.Index(dates, name="date"))
    ics = by_date["ic"].to_numpy()
    valid = ics[np.isfinite(ics)]
    if not len(valid):
        raise EvaluationError(
            f"no date has {min_names} or more names with both a score and a return "
            "(and some spread in each)", field="forward_returns",
            hint="check that the tickers match and the returns cover the scored names")
    if len(valid) == 1:
        row = int(np.flatnonzero(np.isfinite(ics))[0])
        ok = np.isfinite(s[row]) & np.isfinite(r[row])
        x, y = s[row][ok], r[row][ok]
        mean_ic = float(valid[0])
        n = len(x)
        room = 1.0 - mean_ic**2
        t_stat = float(mean_ic * np.sqrt((n - 2) / room)) if room > 0 else \
            float(np.copysign(np.inf, mean_ic))
        p_value = float(by_date["p_value"].dropna().iloc[0])
        ci = bootstrap_ci((x, y), spearman_along, level=level, seed=seed,
                          n_resamples=n_resamples, paired=True, what="names (paired)")
        test = f"Spearman's test, t with {n - 2} df"
    else:
        mean_ic = float(valid.mean())
        if np.ptp(valid) == 0:
            t_stat, p_value = np.nan, np.nan
        else:
            test_result = stats.ttest_1samp(valid, 0.0)
            t_stat, p_value = float(test_result.statistic), float(test_result.pvalue)
        ci = bootstrap_ci((valid,), _mean, level=level, seed=seed, n_resamples=n_resamples,
                          what="dates")
        test = f"one-sample t-test of the {len(valid)} dates' ICs against 0"
    return ICResult(by_date=by_date, mean_ic=mean_ic, t_stat=t_stat, p_value=p_value, ci=ci,
                    n_dates=len(valid), test=test)
