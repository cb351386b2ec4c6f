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
    returns_currency,
    session_numbers,
    windows_text,
)
from thesis_lib.evaluate.results import QuantileResult
from thesis_lib.evaluate.rowranks import RowQuantiles, quantile_rows
from thesis_lib.rules.panel import PanelResult
from thesis_lib.rules.screen import ScreenResult


def quantile_of(scores: np.ndarray, q: int) -> np.ndarray:
    """Quantile 1..q of each score (1 = lowest; 0 = in no quantile) by the rule of
    :func:`quantile_returns`: ties share a quantile, the lowest and highest scores are
    always in quantiles 1 and ``q``, and negated scores get the mirrored quantiles.

    NaN scores, and every score when fewer than two are distinct, get 0.
    """
    values = np.asarray(scores, dtype=np.float64).reshape(1, -1)
    found = quantile_rows(values, np.isfinite(values), q, min_names=2)
    return np.asarray(found.bucket[0])


def _column_means(matrix: np.ndarray) -> np.ndarray:
    """Mean of each column's finite values, NaN for a column without any (no warning)."""
    finite = np.isfinite(matrix)
    total = np.where(finite, matrix, 0.0).sum(axis=0)
    count = finite.sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _notes(found: RowQuantiles, counts: np.ndarray, q: int, min_names: int) -> np.ndarray:
    """Why each date has no spread, or what its buckets lack ("" when nothing to say)."""
    note = np.full(len(found.n), "", dtype=object)
    for i in np.flatnonzero(found.usable_row):
        parts = []
        empty = [f"Q{k}" for k in range(2, q) if counts[i, k - 1] == 0]
        if empty:
            parts.append(f"{', '.join(empty)} empty: a tied group spans "
                         f"{'it' if len(empty) == 1 else 'them'}")
        left = int(found.n[i] - counts[i].sum())
        if left:
            parts.append(f"{left} name(s) on the middle boundary, in no quantile")
        note[i] = "; ".join(parts)
    note[found.all_equal] = "scores all equal: no bottom or top quantile"
    note[found.n < min_names] = f"fewer than {min_names} names"
    return note


def _no_date_error(found: RowQuantiles, q: int, min_names: int) -> EvaluationError:
    """The error when no date has a spread, naming the real cause."""
    few = int((found.n < min_names).sum())
    flat = int(((found.n >= min_names) & found.all_equal).sum())
    if flat and not few:
        return EvaluationError(
            f"the scores have a single distinct value on every date ({flat} date(s)), so "
            "there is no bottom or top quantile", field="scores",
            hint="use a score that tells the names apart (two levels are enough)")
    if few and not flat:
        return EvaluationError(
            f"no date has at least {min_names} names with both a score and a return "
            f"(the most on one date: {int(found.n.max(initial=0))})",
            field="forward_returns", hint=f"use fewer quantiles than q={q}, or more names")
    return EvaluationError(
        f"no date is usable: {few} date(s) have fewer than {min_names} names with both a "
        f"score and a return, {flat} date(s) have a single distinct score",
        field="scores", hint=f"use fewer quantiles than q={q}, more names, or a score that "
        "tells the names apart")


def quantile_returns(
    scores: ScreenResult | PanelResult | pd.Series | pd.DataFrame,
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
    both a score and a return into ``q`` quantiles by score; a date with fewer than
    ``2 * q`` such names, or whose scores are all equal, is left out and
    :attr:`~thesis_lib.evaluate.QuantileResult.by_date` says why in ``note``.

    **The quantile rule.** Sort a date's ``n`` names by score; names with equal scores
    form one group, and a group's place is ``u = m / (n - 1)`` where ``m`` is the mean of
    its 0-based positions (0 = lowest score, 1 = highest).

    1. Tied scores always share a quantile.
    2. A group goes to quantile ``ceil(u * q)`` (at least 1). Without ties this is
       :func:`pandas.qcut` (and alphalens): 10 names in quintiles fall ``[2, 2, 2, 2, 2]``,
       12 fall ``[3, 2, 2, 2, 3]``.
    3. A group exactly on an inner boundary (``u * q`` a whole number ``k``) goes to the
       side nearer the middle (quantile ``k + 1`` when ``k < q / 2``, ``k`` when
       ``k > q / 2``); with an even ``q``, a group on the middle boundary
       (``k = q / 2``) is in no quantile, since either side would break the symmetry
       (e.g. the median of 11 untied names with ``q = 2``). ``note`` counts them.
    4. The lowest-scoring group always goes to quantile 1 and the highest to ``q``, so
       both end quantiles are populated whenever a date has two distinct scores. A
       binary score puts its two groups in quantiles 1 and ``q``; a three-level score
       puts the middle level by rule 2 (quantile 3 of 5 when it sits in the middle).
       An inner quantile that a large tied group spans stays empty (``NaN`` that date,
       named in ``note``): 45 names tied at 0 among 100 fill quantile 1 and leave 2 empty.

    Every step treats the lowest and highest scores alike, so negating the scores
    mirrors the quantiles (``k`` becomes ``q + 1 - k``, with mirrored sizes) and negates
    the spread exactly.

    The spread is the top quantile's mean return minus the bottom one's. With several
    dates it is the mean of the dates' spreads, tested with a one-sample t-test and
    given a bootstrap interval (:func:`scipy.stats.bootstrap`, BCa, ``seed``) over
    dates. With one date it is the difference of the two quantiles' means, tested with
    Welch's t-test and given Welch's t interval: with the handful of names a quantile
    usually holds, a bootstrap interval would be too narrow. When the dates' windows
    overlap (``horizon``/``step`` as for :func:`~thesis_lib.evaluate.rank_ic`, read from
    :func:`~thesis_lib.evaluate.forward_returns`' frame by default), the spread's interval
    and t-test use a HAC standard error instead of the bootstrap.
    """
    level = check_level(level)
    stated_step = step
    horizon, step = horizon_of(forward_returns, horizon, step)
    if not isinstance(q, int) or isinstance(q, bool) or q < 2:
        raise EvaluationError(f"q={q!r} must be an integer of at least 2", field="q",
                              hint="use e.g. q=5 for quintiles")
    dates, s, r, _ = align_panels(as_panel(scores, field="scores"),
                                  as_panel(forward_returns, field="forward_returns"))
    min_names = 2 * q
    found = quantile_rows(s, np.isfinite(s) & np.isfinite(r), q, min_names=min_names)
    bucket = found.bucket
    rows = len(dates)
    slot = (np.arange(rows)[:, None] * (q + 1) + bucket).ravel()
    size = rows * (q + 1)
    inside = bucket > 0
    counts = np.bincount(slot, minlength=size).reshape(rows, q + 1)[:, 1:]
    sums = np.bincount(slot, weights=np.where(inside, r, 0.0).ravel(),
                       minlength=size).reshape(rows, q + 1)[:, 1:]
    score_sums = np.bincount(slot, weights=np.where(inside, s, 0.0).ravel(),
                             minlength=size).reshape(rows, q + 1)[:, 1:]
    filled = counts > 0
    means = np.where(filled, sums / np.maximum(counts, 1), np.nan)
    score_means = np.where(filled, score_sums / np.maximum(counts, 1), np.nan)
    means[~found.usable_row] = np.nan
    score_means[~found.usable_row] = np.nan
    spreads = means[:, -1] - means[:, 0]
    valid = found.usable_row
    if not valid.any():
        raise _no_date_error(found, q, min_names)
    used = means[valid]
    labels = pd.RangeIndex(1, q + 1, name="quantile")
    n_dates = int(valid.sum())
    if n_dates == 1:
        row = int(np.flatnonzero(valid)[0])
        top, bottom = r[row][bucket[row] == q], r[row][bucket[row] == 1]
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
            members = r[row][bucket[row] == k]
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
    by_date["n"] = np.where(valid, counts.sum(axis=1), 0).astype(np.int64)
    by_date["note"] = pd.array(_notes(found, counts, q, min_names), dtype="string")
    return QuantileResult(table=table, spread=spread, ci=ci, t_stat=t_stat, p_value=p_value,
                          q=q, n_dates=n_dates, test=test, by_date=by_date,
                          currency=returns_currency(forward_returns))
