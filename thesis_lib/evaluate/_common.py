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
from thesis_lib.rules.panel import PanelResult
from thesis_lib.rules.screen import ScreenResult

DEFAULT_RESAMPLES = 9999
"""Bootstrap resamples used unless a function is told otherwise."""


class DependentDatesWarning(UserWarning):
    """Per-date values are strongly autocorrelated while the returns' horizon is unknown:
    if their windows overlap, an interval that takes the dates as independent is too
    narrow. Pass ``horizon=``/``step=`` (or use :func:`~thesis_lib.evaluate.forward_returns`,
    which records them)."""


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


@dataclass(frozen=True)
class MeanTest:
    """The mean of a series of per-date values, its interval and its test against 0.

    ``t_stat``/``p_value`` are NaN when the values have no spread; ``test`` names the test.
    """

    mean: float
    ci: ConfidenceInterval
    t_stat: float
    p_value: float
    test: str


def overlap_lags(horizon: int | None, step: int | None) -> int:
    """How many following dates share part of a date's window: ``ceil(horizon / step) - 1``.

    0 when the horizon is unknown or the windows do not overlap (``step >= horizon``).
    """
    if horizon is None:
        return 0
    return max(-(-horizon // (step or 1)) - 1, 0)


def hac_variance(values: np.ndarray, lags: int) -> tuple[float, str]:
    """Long-run variance of ``values`` with lags up to ``lags`` (heteroskedasticity and
    autocorrelation consistent), and the kernel used.

    Overlapping windows make a moving-average dependence of known length, so every
    autocovariance up to ``lags`` counts in full (the truncated kernel of Hansen and
    Hodrick); should that sum come out non-positive, Newey and West's Bartlett weights over
    ``2 * lags`` are used instead. Scaled by ``n / (n - 2 * lags - 1)`` for the bias of
    estimating the mean and the autocovariances from the same short sample.
    """
    n = len(values)
    x = values - values.mean()
    gammas = np.array([x[lag:] @ x[: n - lag] / n for lag in range(min(lags, n - 1) + 1)])
    kernel = f"Hansen-Hodrick, {lags} lag{'s' if lags != 1 else ''}"
    variance = gammas[0] + 2.0 * gammas[1:].sum()
    if variance <= 0.0:
        wide = min(2 * lags, n - 1)
        more = np.array([x[lag:] @ x[: n - lag] / n for lag in range(len(gammas), wide + 1)])
        gammas = np.concatenate([gammas, more])
        weights = 1.0 - np.arange(1, wide + 1) / (wide + 1.0)
        variance = gammas[0] + 2.0 * float(weights @ gammas[1:])
        kernel = f"Newey-West Bartlett, {wide} lag{'s' if wide != 1 else ''}"
    if n > 2 * lags + 1:
        variance *= n / (n - 2.0 * lags - 1.0)
    return float(max(variance, 0.0)), kernel


def mean_test(
    values: np.ndarray,
    *,
    lags: int,
    level: float,
    seed: int | None,
    n_resamples: int,
    what: str,
    of: str,
    windows: str = "",
    check_dependence: bool = False,
) -> MeanTest:
    """Interval and test for the mean of per-date ``values``, honest when dates overlap.

    ``lags == 0`` (independent dates): a bootstrap interval over dates (:func:`bootstrap_ci`)
    and a one-sample t-test. ``lags > 0`` (each date's window overlaps the next ``lags``
    dates'): a HAC standard error (:func:`hac_variance`), the interval ``mean +- t * se``
    and the t-test ``mean / se``, both with ``K - 1`` degrees of freedom where ``K`` is the
    number of non-overlapping windows the dates span. ``what`` names the dates and ``of``
    the values (e.g. ``"ICs"``) in the test's description; ``windows`` describes the windows
    (:func:`windows_text`) for the interval's method. ``check_dependence`` (for when the
    horizon is unknown): warn with :class:`DependentDatesWarning` when 30 or more
    independent-looking dates have a lag-1 autocorrelation above 0.5.
    """
    n = len(values)
    mean = float(values.mean())
    if lags == 0:
        if check_dependence:
            _warn_if_dependent(values, what=what, of=of)
        ci = bootstrap_ci((values,), _mean_along, level=level, seed=seed,
                          n_resamples=n_resamples, what=what)
        if np.ptp(values) == 0:
            t_stat, p_value = np.nan, np.nan
        else:
            result = stats.ttest_1samp(values, 0.0)
            t_stat, p_value = float(result.statistic), float(result.pvalue)
        return MeanTest(mean, ci, t_stat, p_value,
                        f"one-sample t-test of the {n} {what}' {of} against 0")
    windows_k = -(-n // (lags + 1))
    dof = windows_k - 1
    about = f"{windows}: " if windows else ""
    if np.ptp(values) == 0:
        ci = ConfidenceInterval(mean, mean, level, f"all {what} equal: no spread")
        return MeanTest(mean, ci, np.nan, np.nan, f"HAC t-test: all {what} equal")
    if dof < 1:
        ci = ConfidenceInterval(np.nan, np.nan, level,
                                f"HAC interval over overlapping {what}: fewer than 2 "
                                "non-overlapping windows")
        return MeanTest(mean, ci, np.nan, np.nan, f"HAC t-test: too few {what}")
    variance, kernel = hac_variance(values, lags)
    se = float(np.sqrt(variance / n))
    quantile = float(stats.t.ppf(0.5 + level / 2.0, dof))
    ci = ConfidenceInterval(mean - quantile * se, mean + quantile * se, level,
                            f"HAC interval over overlapping {what} ({about}{kernel}), t with "
                            f"{dof} df")
    if se > 0:
        t_stat = mean / se
        p_value = float(min(2.0 * stats.t.sf(abs(t_stat), dof), 1.0))
    else:
        t_stat, p_value = np.nan, np.nan
    return MeanTest(mean, ci, float(t_stat), p_value,
                    f"HAC t-test of the mean of the {what}' {of} against 0 ({n} overlapping "
                    f"{what}, {windows_k} non-overlapping windows, t with {dof} df)")


def windows_text(horizon: int | None, step: int | None) -> str:
    """``"21-session windows every session"`` (or ``"every 5 sessions"``); empty when the
    horizon is unknown."""
    if horizon is None:
        return ""
    every = "session" if step in (None, 1) else f"{step} sessions"
    return f"{horizon}-session windows every {every}"


def _warn_if_dependent(values: np.ndarray, *, what: str, of: str) -> None:
    if len(values) < 30 or np.ptp(values) == 0:
        return
    x = values - values.mean()
    lag1 = float(x[1:] @ x[:-1] / (x @ x))
    if lag1 > 0.5:
        warnings.warn(
            f"the {len(values)} {what}' {of} are autocorrelated (lag 1: {lag1:.2f}) and the "
            "returns' horizon is unknown; if their windows overlap, the bootstrap interval "
            "and t-test that take the dates as independent are too narrow: pass horizon= and "
            "step= (in sessions), or make the returns with forward_returns(), which records "
            "them", DependentDatesWarning, stacklevel=4)


def session_numbers(returns: object, dates: list[Any]) -> np.ndarray | None:
    """Session numbers of ``dates`` on the calendar :func:`~thesis_lib.evaluate.forward_returns`
    recorded (``attrs["dates"]``, its rows ``attrs["step"]`` sessions apart), so that rows
    taken out of its frame afterwards (every 21st, or only the dates the scores have) are
    still counted in sessions. None when the frame recorded none or a date is not on it."""
    attrs = getattr(returns, "attrs", None)
    if not isinstance(attrs, dict):
        return None
    recorded, step = attrs.get("dates"), attrs.get("step")
    if not isinstance(recorded, np.ndarray) or not isinstance(step, int) or not dates:
        return None
    try:
        wanted = pd.DatetimeIndex(dates)
    except (TypeError, ValueError):
        return None
    rows = pd.DatetimeIndex(recorded).get_indexer(wanted)
    if (rows < 0).any() or not (np.diff(rows) > 0).all():
        return None
    return np.asarray(rows * step, dtype=np.int64)


def overlap_in(sessions: np.ndarray, horizon: int | None) -> int:
    """The most following dates any date's ``horizon``-session window reaches, given the
    dates' session numbers (ascending)."""
    if horizon is None or len(sessions) < 2:
        return 0
    reach = np.searchsorted(sessions, sessions + horizon, side="left")
    return int((reach - np.arange(len(sessions)) - 1).max())


def nonoverlapping_t(
    values: np.ndarray, lags: int, sessions: np.ndarray | None = None,
    horizon: int | None = None,
) -> tuple[float, int]:
    """One-sample t-statistic on non-overlapping windows only, and how many there are:
    from the first date, each next date whose window starts after the last one kept ends
    (by ``sessions`` and ``horizon`` when known), else every ``lags + 1``-th value. NaN
    with fewer than 2 or no spread."""
    if sessions is not None and horizon is not None:
        keep = [0]
        for i in range(1, len(sessions)):
            if sessions[i] >= sessions[keep[-1]] + horizon:
                keep.append(i)
        kept = values[keep]
    else:
        kept = values[:: lags + 1]
    if len(kept) < 2 or np.ptp(kept) == 0:
        return np.nan, len(kept)
    return float(kept.mean() / (kept.std(ddof=1) / np.sqrt(len(kept)))), len(kept)


def _mean_along(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(np.mean(x, axis=axis))


def horizon_of(
    returns: object, horizon: int | None, step: int | None
) -> tuple[int | None, int | None]:
    """The forward returns' horizon and step in sessions: as given, else as
    :func:`~thesis_lib.evaluate.forward_returns` recorded them on the frame
    (``frame.attrs``), else unknown. A horizon given without a step takes the recorded
    step, or 1 (one row per session)."""
    for name, value in (("horizon", horizon), ("step", step)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < 1):
            raise EvaluationError(f"{name}={value!r} must be a whole number of sessions >= 1",
                                  field=name, hint="e.g. horizon=21, step=1 for daily rows "
                                  "of 21-session returns")
    attrs = getattr(returns, "attrs", None)
    recorded = attrs if isinstance(attrs, dict) else {}
    seen_h, seen_s = recorded.get("horizon"), recorded.get("step")
    if horizon is None:
        horizon = seen_h if isinstance(seen_h, int) else None
    if step is None:
        step = seen_s if isinstance(seen_s, int) else (1 if horizon is not None else None)
    return horizon, step


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
    if isinstance(scores, PanelResult):
        raise EvaluationError(
            "a PanelResult holds scores for several dates, not one cross-section",
            field="scores", hint="pass one date's screen, panel.at(date), or use a function "
            "that takes a date x ticker panel (rank_ic, quantile_returns)")
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


def as_panel(data: ScreenResult | PanelResult | pd.Series | pd.DataFrame, *,
             field: str) -> pd.DataFrame:
    """Scores or returns as a date x ticker float frame (one row ``None`` for a Series).

    A :class:`~thesis_lib.PanelResult` gives its :meth:`~thesis_lib.PanelResult.score_table`:
    each date's scores of the companies that passed, NaN elsewhere."""
    if isinstance(data, PanelResult):
        if field != "scores":
            raise EvaluationError(f"a PanelResult holds scores, not {field}", field=field)
        data = data.score_table()
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


def returns_currency(returns: object) -> str | None:
    """The currency a returns frame says it is in (``attrs["currency"]``, as
    :func:`~thesis_lib.evaluate.forward_returns` records it), or None."""
    attrs = getattr(returns, "attrs", None)
    found = attrs.get("currency") if isinstance(attrs, dict) else None
    return str(found) if found is not None else None
