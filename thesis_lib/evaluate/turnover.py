"""How fast does the ranking change? Quantile turnover and rank autocorrelation by lag."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from thesis_lib.evaluate._common import EvaluationError, as_panel
from thesis_lib.evaluate.results import TurnoverResult
from thesis_lib.evaluate.rowranks import quantile_rows, spearman_rows
from thesis_lib.rules.panel import PanelResult


def factor_turnover(
    scores: PanelResult | pd.DataFrame,
    quantiles: int = 5,
    periods: Sequence[int] = (1, 5, 21),
) -> TurnoverResult:
    """Share of the top and bottom score quantile that is new, and the scores' rank
    autocorrelation, ``period`` dates apart.

    ``scores``: a :class:`~thesis_lib.PanelResult` (its
    :meth:`~thesis_lib.PanelResult.score_table`) or a DataFrame date x ticker of scores as
    of each date, dates in order (lags
    are counted in its rows: with daily rows, ``periods=(1, 5, 21)`` is a day, a week and
    a month). Each date splits the names with a finite score into ``quantiles`` groups by
    the rule of :func:`~thesis_lib.evaluate.quantile_returns` (ties share a group; the
    lowest and highest scores are always in the bottom and top groups); a date with fewer
    names than ``quantiles``, or a single distinct score, has no groups.

    - turnover of the top (bottom) quantile at date ``t`` and lag ``p``: the share of the
      names in it at ``t`` that were not in it at ``t - p`` (a name unscored at ``t - p``
      counts as new); NaN for the first ``p`` dates and where either date has no groups;
    - rank autocorrelation at ``t`` and lag ``p``: Spearman's rho between the scores at
      ``t`` and at ``t - p`` over the names scored on both (at least 3, with some spread
      on each side; NaN otherwise). 1 means the same order, -1 the reverse.

    Ranks come from one sort of the whole panel (:mod:`thesis_lib.evaluate.rowranks`).
    Returns a :class:`TurnoverResult`.
    """
    if isinstance(scores, PanelResult):
        scores = scores.score_table()
    if isinstance(scores, pd.Series) or not isinstance(scores, pd.DataFrame):
        raise EvaluationError(
            f"factor turnover needs scores over time, got {type(scores).__name__}",
            field="scores", hint="pass a DataFrame date x ticker of scores, dates in order")
    if not isinstance(quantiles, int) or isinstance(quantiles, bool) or quantiles < 2:
        raise EvaluationError(f"quantiles={quantiles!r} must be an integer of at least 2",
                              field="quantiles", hint="use e.g. quantiles=5 for quintiles")
    panel = as_panel(scores, field="scores")
    lags = _periods(periods, len(panel))
    if not _in_order(panel.index):
        raise EvaluationError("the score panel's dates are not in ascending order",
                              field="scores", hint="sort it first: scores.sort_index()")
    values = panel.to_numpy()
    usable = np.isfinite(values)
    found = quantile_rows(values, usable, quantiles, min_names=quantiles)
    grouped = found.usable_row
    top = (found.bucket == quantiles) & grouped[:, None]
    bottom = (found.bucket == 1) & grouped[:, None]
    index = pd.Index(panel.index, name="date")
    columns = pd.Index(lags, name="period")
    frames = {name: np.full((len(panel), len(lags)), np.nan)
              for name in ("top", "bottom", "autocorrelation")}
    for j, lag in enumerate(lags):
        both = grouped[lag:] & grouped[:-lag]
        for name, member in (("top", top), ("bottom", bottom)):
            now, before = member[lag:], member[:-lag]
            size = now.sum(axis=1)
            new = (now & ~before).sum(axis=1)
            ok = both & (size > 0)
            frames[name][lag:, j] = np.where(ok, new / np.maximum(size, 1), np.nan)
        frames["autocorrelation"][lag:, j] = spearman_rows(values[lag:], values[:-lag],
                                                           min_names=3).rho
    top_frame, bottom_frame, auto_frame = (
        pd.DataFrame(frames[name], index=index, columns=columns)
        for name in ("top", "bottom", "autocorrelation"))
    table = pd.DataFrame({
        "top_turnover": top_frame.mean(axis=0).to_numpy(),
        "bottom_turnover": bottom_frame.mean(axis=0).to_numpy(),
        "autocorrelation": auto_frame.mean(axis=0).to_numpy(),
        "n_dates": auto_frame.notna().sum(axis=0).to_numpy().astype(np.int64),
    }, index=columns)
    return TurnoverResult(table=table, top=top_frame, bottom=bottom_frame,
                          autocorrelation=auto_frame, quantiles=quantiles,
                          n_dates=len(panel))


def _periods(periods: Sequence[int], n_dates: int) -> list[int]:
    if isinstance(periods, int | str) or not isinstance(periods, Sequence) or not periods:
        raise EvaluationError(f"periods={periods!r} must be a non-empty sequence of lags",
                              field="periods", hint="e.g. periods=(1, 5, 21), in dates")
    lags: list[int] = []
    for period in periods:
        if not isinstance(period, int | np.integer) or isinstance(period, bool) or period < 1:
            raise EvaluationError(f"period {period!r} must be a whole number of dates >= 1",
                                  field="periods", hint="e.g. periods=(1, 5, 21)")
        if period >= n_dates:
            raise EvaluationError(
                f"period {period} needs more than the {n_dates} date(s) in the scores",
                field="periods", hint=f"use lags below {n_dates}, or a longer score panel")
        if int(period) not in lags:
            lags.append(int(period))
    return sorted(lags)


def _in_order(index: pd.Index) -> bool:
    try:
        return bool(index.is_monotonic_increasing)
    except TypeError:  # mixed labels that do not compare
        return False
