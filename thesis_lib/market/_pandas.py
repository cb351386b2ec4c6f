"""Small pandas helpers shared by the market-data modules."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

PANDAS_3 = int(pd.__version__.split(".")[0]) >= 3


def text(values: Iterable[Any] | pd.Series, index: pd.Index | None = None) -> pd.Series:
    """A string column with real missing values (pandas 3 ``str``; object before that)."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), index=index,
                                                                      dtype=object)
    if PANDAS_3:
        return series.astype("str")
    cleaned = series.astype(object)
    return cleaned.where(cleaned.notna(), None).map(lambda v: v if v is None else str(v))


def as_float(value: object) -> float:
    """``value`` as a finite float, or NaN (None, text, inf and NaN all become NaN)."""
    if isinstance(value, bool):
        return math.nan
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


def row_series(frame: pd.DataFrame | None, key: str) -> pd.Series | None:
    """One row of ``frame`` as a Series (the last one if the key repeats), or ``None``."""
    if frame is None:
        return None
    matches = frame.index == key
    if not matches.any():
        return None
    row: pd.Series = frame[matches].iloc[-1].copy()
    return row


def row_dict(frame: pd.DataFrame, key: str) -> dict[str, Any]:
    """One row of ``frame`` as a plain dict (empty when the key is absent)."""
    row = row_series(frame, key)
    return {} if row is None else {str(k): v for k, v in row.items()}


def datetime_index(index: pd.Index) -> pd.DatetimeIndex:
    """``index`` typed as the DatetimeIndex it is."""
    return index if isinstance(index, pd.DatetimeIndex) else pd.DatetimeIndex(index)
