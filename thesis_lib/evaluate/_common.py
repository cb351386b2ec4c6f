"""What the evaluation modules share: their error, input coercion and the bootstrap wrapper."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from thesis_lib.errors import EvaluationError as EvaluationError
from thesis_lib.rules.screen import ScreenResult

DEFAULT_RESAMPLES = 9999
"""Bootstrap resamples used unless a function is told otherwise."""


@dataclass(frozen=True)
class ConfidenceInterval:
    """A two-sided confidence interval and how it was made.

    ``method`` names the procedure (e.g. ``"bootstrap BCa over dates, 9999 resamples"``);
    ``low``/``high`` are NaN when there was too little data to make one.
    """

    low: float
    high: float
    level: float
    method: str

    def contains(self, value: float) -> bool:
        """True when ``low <= value <= high``."""
        return bool(self.low <= value <= self.high)

    def text(self, spec: str = "+.4f") -> str:
        """``95% CI [low, high]`` with both bounds formatted by ``spec`` (e.g. ``"+.2%"``)."""
        if not (np.isfinite(self.low) and np.isfinite(self.high)):
            return f"{self.level:.0%} CI n/a"
        return f"{self.level:.0%} CI [{self.low:{spec}}, {self.high:{spec}}]"

    def __str__(self) -> str:
        return self.text()


def check_level(level: float) -> float:
    """A confidence level strictly between 0 and 1, or an :class:`EvaluationError`."""
    if not 0.0 < float(level) < 1.0:
        raise EvaluationError(f"confidence level {level!r} is not between 0 and 1",
                              field="level", hint="use e.g. level=0.95")
    return float(level)


def bootstrap_ci(
    samples: tuple[np.ndarray, ...],
    statistic: Callable[..., Any],
    *,
    level: float,
    seed: int | None,
    n_resamples: int,
    paired: bool = False,
    what: str,
) -> ConfidenceInterval:
    """A confidence interval from :func:`scipy.stats.bootstrap` (BCa, percentile fallback).

    ``statistic`` must be vectorized (take ``axis``). A sample whose values are all equal
    gives the degenerate interval ``[v, v]``; BCa falls back to the percentile method
    when it cannot be computed (it is then named in ``method``).
    """
    if any(len(s) < 2 for s in samples):
        return ConfidenceInterval(np.nan, np.nan, level, f"bootstrap over {what}: too few")
    if all(np.ptp(s) == 0.0 for s in samples):
        value = float(statistic(*samples, axis=-1))
        return ConfidenceInterval(value, value, level, f"all {what} equal: no spread")
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stats.bootstrap(
                samples, statistic, n_resamples=n_resamples, vectorized=True, paired=paired,
                confidence_level=level, method=method, rng=np.random.default_rng(seed),
            )
        low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
        if np.isfinite(low) and np.isfinite(high):
            return ConfidenceInterval(
                low, high, level, f"bootstrap {method} over {what}, {n_resamples} resamples, "
                f"seed {seed}")
    return ConfidenceInterval(np.nan, np.nan, level, f"bootstrap over {what}: undefined")


def as_timestamp(value: dt.date | str | pd.Timestamp, *, field: str) -> pd.Timestamp:
    """A naive midnight timestamp from a date, an ISO string or a timestamp."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise EvaluationError(f"{value!r} is not a date", field=field,
                              hint="pass a datetime.date or an ISO date like '2026-05-07'"
                              ) from None
    if stamp is pd.NaT:
        raise EvaluationError("the date is missing", field=field)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.normalize()


def score_series(scores: ScreenResult | pd.Series) -> pd.Series:
    """Scores by ticker: a Series as given, or a ScreenResult's ranked companies' scores."""
    if isinstance(scores, ScreenResult):
        table = scores.scores
        series = table.loc[table["passed"], "score"]
    elif isinstance(scores, pd.Series):
        series = scores
    else:
        raise EvaluationError(
            f"expected a ScreenResult or a pandas Series of scores, got {type(scores).__name__}",
            field="scores", hint="pass tl.screen(...) or a Series indexed by ticker")
    return _numeric_series(series, field="scores")


def _numeric_series(series: pd.Series, *, field: str) -> pd.Series:
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise EvaluationError(f"{field} has dtype {series.dtype}, not numbers", field=field)
    if not series.index.is_unique:
        dupes = sorted({str(t) for t in series.index[series.index.duplicated()]})[:5]
        raise EvaluationError(f"duplicate tickers in {field}: {', '.join(dupes)}", field=field,
                              hint="keep one value per ticker")
    out = pd.Series(series.to_numpy(dtype=np.float64, na_value=np.nan),
                    index=pd.Index([str(t) for t in series.index], name="ticker"), name=field)
    return out


def as_panel(data: ScreenResult | pd.Series | pd.DataFrame, *, field: str) -> pd.DataFrame:
    """Scores or returns as a date x ticker float frame (one row ``None`` for a Series)."""
    if isinstance(data, ScreenResult | pd.Series):
        series = score_series(data) if field == "scores" else _numeric_series(data, field=field)
        return pd.DataFrame([series.to_numpy()], index=pd.Index([None], name="date"),
                            columns=series.index)
    if not isinstance(data, pd.DataFrame):
        raise EvaluationError(
            f"expected a Series or a DataFrame for {field}, got {type(data).__name__}",
            field=field, hint="index a Series by ticker, or a DataFrame by date x ticker")
    bad = [str(c) for c, dtype in data.dtypes.items()
           if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)]
    if bad:
        raise EvaluationError(f"non-numeric columns in {field}: {', '.join(bad[:5])}",
                              field=field, hint="one float column per ticker")
    if not data.index.is_unique or not data.columns.is_unique:
        raise EvaluationError(f"{field} has duplicate dates or tickers", field=field,
                              hint="one row per date and one column per ticker")
    out = pd.DataFrame(data.to_numpy(dtype=np.float64, na_value=np.nan),
                       index=as_dates(data.index, field=field),
                       columns=pd.Index([str(c) for c in data.columns], name="ticker"))
    return out


def as_dates(index: pd.Index, *, field: str) -> pd.DatetimeIndex:
    """A panel's row labels as naive midnight dates, so that panels stamped differently
    align by day.

    Each label becomes what :func:`as_timestamp` makes of it: a timestamp (any time of
    day), a tz-aware timestamp (converted to UTC first, then its time dropped), a
    :class:`datetime.date` or an ISO string like ``"2026-05-07"`` or
    ``"2026-05-07T16:00:00-04:00"``. Any other label (a number, text that is not a date,
    a missing date), or two labels on the same day, is an :class:`EvaluationError`
    naming ``field``.
    """
    hint = ("index the rows by date: timestamps, datetime.date or ISO strings like "
            "'2026-05-07'")
    if isinstance(index, pd.PeriodIndex):
        index = index.to_timestamp()
    if isinstance(index, pd.DatetimeIndex):
        if index.hasnans:
            raise EvaluationError("a row label is a missing date (NaT)",
                                  field=field, hint=hint)
        stamps = index if index.tz is None else index.tz_convert("UTC").tz_localize(None)
        dates = stamps.normalize()
    else:
        values = []
        for position, label in enumerate(index):
            if label is None or label is pd.NaT or (isinstance(label, float | np.floating)
                                                    and np.isnan(label)):
                raise EvaluationError(f"row {position} has a missing date label",
                                      field=field, hint=hint)
            if not isinstance(label, dt.date | str | np.datetime64):
                raise EvaluationError(
                    f"row {position} is labelled {label!r} "
                    f"({type(label).__name__}), not a date", field=field, hint=hint)
            try:
                values.append(as_timestamp(label, field=field))
            except EvaluationError:
                raise EvaluationError(
                    f"row {position} is labelled {label!r}, which is not a date",
                    field=field, hint=hint) from None
        dates = pd.DatetimeIndex(values)
    if not dates.is_unique:
        day = dates[dates.duplicated()][0]
        raise EvaluationError(
            f"two rows fall on {day:%Y-%m-%d} once times of day are dropped "
            "(and time zones converted to UTC)", field=field,
            hint="keep one row per day, e.g. the last: panel.groupby(panel.index.date).last()")
    return pd.DatetimeIndex(dates, name="date")


def align_panels(
    scores: pd.DataFrame, returns: pd.DataFrame
) -> tuple[list[Any], np.ndarray, np.ndarray, pd.Index]:
    """Dates, score matrix and return matrix on common tickers (and common dates).

    A one-row score panel (scores from a Series) is used for every return date.
    """
    tickers = scores.columns.intersection(returns.columns, sort=False)
    if len(tickers) == 0:
        raise EvaluationError(
            "scores and forward returns share no tickers", field="forward_returns",
            hint="index both by the same ticker symbols (e.g. '000660.KS')")
    if len(scores) == 1 and scores.index[0] is None:
        dates = list(returns.index)
        s = np.repeat(scores[tickers].to_numpy(), len(dates), axis=0)
        r = _cells(returns, None, tickers)
    else:
        common = scores.index.intersection(returns.index, sort=False)
        if len(common) == 0:
            raise EvaluationError(
                "scores and forward returns share no dates", field="forward_returns",
                hint="pass scores as a Series (one cross-section) or index both by date")
        dates = list(common)
        s, r = _cells(scores, common, tickers), _cells(returns, common, tickers)
    return dates, s, r, tickers


def _cells(panel: pd.DataFrame, dates: pd.Index | None, tickers: pd.Index) -> np.ndarray:
    """The panel's values on ``dates`` (all when None) x ``tickers``, without a copy by
    label when they are the panel's own."""
    same_dates = dates is None or panel.index.equals(dates)
    if same_dates and panel.columns.equals(tickers):
        chosen = panel
    elif dates is None:
        chosen = panel[tickers]
    else:
        chosen = panel.loc[dates, tickers]
    return np.asarray(chosen.to_numpy(dtype=np.float64))
