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
    horizon_of,
    mean_test,
    nonoverlapping_t,
    overlap_in,
    overlap_lags,
    returns_currency,
    session_numbers,
    windows_text,
)
from thesis_lib.evaluate.results import ICResult
from thesis_lib.evaluate.rowranks import spearman_rows
from thesis_lib.rules.panel import PanelResult
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


def rank_ic(
    scores: ScreenResult | PanelResult | pd.Series | pd.DataFrame,
    forward_returns: pd.Series | pd.DataFrame,
    *,
    level: float = 0.95,
    seed: int | None = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
    min_names: int = 5,
    horizon: int | None = None,
    step: int | None = None,
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

    The mean IC's confidence interval at ``level``:

    - one date: :func:`scipy.stats.bootstrap` (BCa, ``seed``) over names, pairs resampled
      together (rough with a dozen names or fewer: read it with Spearman's p-value);
    - several dates whose windows do not overlap: the same bootstrap over dates, and a
      one-sample t-test over dates;
    - several dates whose windows overlap (``step < horizon``, e.g. 21-session returns
      on every session): neighbouring ICs share most of their returns, so dates are not
      independent; the interval and the t-test use a HAC standard error with lags up to
      the overlap and ``K - 1`` degrees of freedom, ``K`` the number of non-overlapping
      windows (see ``ci.method`` and ``test``).

    ``horizon`` and ``step`` (sessions) say how the returns were made; by default they are
    read from the frame :func:`~thesis_lib.evaluate.forward_returns` returned (its
    ``attrs``, with the dates of its rows, so that taking some of its rows afterwards is
    allowed for); a horizon given alone means one row per session (``step=1``), and a
    stated step counts overlap in rows of the evaluated dates. Unknown means not
    overlapping (with a warning when the ICs look dependent).

    The result also summarises the ICs: standard deviation, IR (mean / std), hit rate
    (share of dates with IC > 0) and a t-statistic on non-overlapping windows only (every
    ``ceil(horizon / step)``-th date). Returns an :class:`ICResult`.
    """
    level = check_level(level)
    if min_names < 3:
        raise EvaluationError(f"min_names={min_names} is below 3", field="min_names",
                              hint="a rank correlation needs at least 3 names")
    stated_step = step
    horizon, step = horizon_of(forward_returns, horizon, step)
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
    hit_rate = float((valid > 0).mean())
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
        return ICResult(by_date=by_date, mean_ic=mean_ic, t_stat=t_stat, p_value=p_value,
                        ci=ci, n_dates=1, test=test, std_ic=np.nan, hit_rate=hit_rate,
                        t_nonoverlap=np.nan, n_nonoverlap=1, horizon=horizon, step=step,
                        currency=returns_currency(forward_returns))
    used = [date for date, ok in zip(dates, np.isfinite(ics), strict=True) if ok]
    sessions = None if stated_step is not None else session_numbers(forward_returns, used)
    lags = overlap_lags(horizon, step) if sessions is None else overlap_in(sessions, horizon)
    windows = windows_text(horizon, step)
    tested = mean_test(valid, lags=lags, level=level, seed=seed, n_resamples=n_resamples,
                       what="dates", of="ICs", windows=windows,
                       check_dependence=horizon is None)
    t_nonoverlap, n_nonoverlap = nonoverlapping_t(valid, lags, sessions, horizon)
    return ICResult(by_date=by_date, mean_ic=tested.mean, t_stat=tested.t_stat,
                    p_value=tested.p_value, ci=tested.ci, n_dates=len(valid), test=tested.test,
                    std_ic=float(valid.std(ddof=1)), hit_rate=hit_rate,
                    t_nonoverlap=t_nonoverlap, n_nonoverlap=n_nonoverlap, horizon=horizon,
                    step=step, currency=returns_currency(forward_returns))
