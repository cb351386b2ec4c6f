"""Score and return panels stamped differently align by day; anything else is named."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from thesis_lib.evaluate import EvaluationError, quantile_returns, rank_ic
from thesis_lib.evaluate._common import as_dates

from .helpers import planted

SCORES, RETURNS = planted(0.3, dates=6, names=40, seed=11)  # daily returns at midnight
DAYS = SCORES.index


def relabel(index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(SCORES.to_numpy(), index=index, columns=SCORES.columns)


CLOSE = DAYS + pd.Timedelta(hours=16)
STAMPS = {
    "16:00 timestamps": CLOSE,
    "tz-aware New York close": CLOSE.tz_localize("America/New_York"),
    "tz-aware Seoul morning": (DAYS + pd.Timedelta(hours=9)).tz_localize("Asia/Seoul"),
    "datetime.date": pd.Index([d.date() for d in DAYS], dtype=object),
    "datetime.datetime": pd.Index([d.to_pydatetime() for d in CLOSE], dtype=object),
    "ISO strings": pd.Index([f"{d:%Y-%m-%d}" for d in DAYS]),
    "ISO strings with offset": pd.Index(
        [d.isoformat() for d in CLOSE.tz_localize("America/New_York")]),
    "numpy datetime64": pd.Index(list(DAYS.to_numpy()), dtype=object),
    "daily periods": pd.PeriodIndex(DAYS, freq="D"),
}


@pytest.mark.parametrize("name", list(STAMPS))
def test_score_panels_stamped_any_way_align_with_daily_returns(name: str) -> None:
    # Before: every one of these raised "scores and forward returns share no dates".
    scores = relabel(STAMPS[name])
    ic = rank_ic(scores, RETURNS, n_resamples=100)
    baseline = rank_ic(SCORES, RETURNS, n_resamples=100)
    assert ic.n_dates == 6
    assert ic.by_date.index.equals(baseline.by_date.index)
    np.testing.assert_array_equal(ic.by_date["ic"], baseline.by_date["ic"])
    quantiles = quantile_returns(scores, RETURNS, n_resamples=100)
    assert quantiles.spread == quantile_returns(SCORES, RETURNS, n_resamples=100).spread


def test_returns_panels_are_normalised_too() -> None:
    returns = RETURNS.set_axis(pd.Index([f"{d:%Y-%m-%d}T16:00:00Z" for d in DAYS]), axis=0)
    ic = rank_ic(relabel(CLOSE.tz_localize("UTC")), returns, n_resamples=100)
    assert ic.n_dates == 6
    assert list(ic.by_date.index) == list(DAYS)


def test_tz_aware_times_are_converted_to_utc_before_the_day_is_taken() -> None:
    late = pd.DatetimeIndex(["2026-05-04 22:00"], tz="America/New_York")  # 02:00 UTC on 5th
    early = pd.DatetimeIndex(["2026-05-05 08:00"], tz="Asia/Tokyo")  # 23:00 UTC on the 4th
    assert as_dates(late, field="scores")[0] == pd.Timestamp("2026-05-05")
    assert as_dates(early, field="scores")[0] == pd.Timestamp("2026-05-04")
    assert as_dates(pd.Index([dt.date(2026, 5, 4)]), field="scores").name == "date"


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (["2026-05-04", "d2"], r"row 1 is labelled 'd2', which is not a date"),
        ([20260504, 20260505], r"row 0 is labelled 20260504 \(int\), not a date"),
        ([1.5, 2.5], r"row 0 is labelled 1.5 \(float\), not a date"),
        (["2026-05-04", None], r"row 1 has a missing date label"),
        ([dt.date(2026, 5, 4), None], r"row 1 has a missing date label"),
        (pd.DatetimeIndex(["2026-05-04", None]), r"missing date \(NaT\)"),
        (["2026-05-04 09:00", "2026-05-04 16:00"], r"two rows fall on 2026-05-04"),
        (["2026-02-30", "2026-03-01"], r"row 0 is labelled '2026-02-30'"),
    ],
)
def test_a_bad_date_is_a_typed_error_naming_the_field(labels: object, message: str) -> None:
    scores = pd.DataFrame(np.arange(20.0).reshape(2, 10), index=pd.Index(labels),
                          columns=[f"T{i}" for i in range(10)])
    returns = pd.DataFrame(1.0, index=pd.to_datetime(["2026-05-04", "2026-05-05"]),
                           columns=scores.columns)
    with pytest.raises(EvaluationError, match=message) as info:
        rank_ic(scores, returns)
    assert info.value.field == "scores"
    with pytest.raises(EvaluationError, match=message) as info:
        quantile_returns(returns, scores.set_axis(scores.columns, axis=1))
    assert info.value.field == "forward_returns"
