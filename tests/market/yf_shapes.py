"""Exact (de)serialisation of the frames yfinance returns, for the test fixtures.

A fixture file keeps everything that makes the frame what it is: the column
tuples and level names, the index values, unit, timezone and name, each
column's dtype, the data (NaN as null) and the log lines yfinance wrote while
producing it. ``load_download`` rebuilds the frame so that
``pandas.testing.assert_frame_equal`` holds against a live yfinance call.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FIXTURES = Path(__file__).parent / "fixtures"
DOWNLOADS = FIXTURES / "yf_download"
INFOS = FIXTURES / "yf_info"
YAHOO = FIXTURES / "yahoo"


def _plain(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def dump_download(frame: pd.DataFrame, log: list[str], call: dict[str, Any]) -> dict[str, Any]:
    """The JSON-ready description of a ``yfinance.download`` result."""
    index = frame.index
    assert isinstance(index, pd.DatetimeIndex)
    multi = isinstance(frame.columns, pd.MultiIndex)
    return {
        "call": call,
        "columns": [list(c) for c in frame.columns] if multi else list(frame.columns),
        "column_names": list(frame.columns.names),
        "index": [stamp.isoformat() for stamp in index],
        "index_name": index.name,
        "index_tz": str(index.tz) if index.tz is not None else None,
        "index_unit": index.unit,
        "dtypes": [str(d) for d in frame.dtypes],
        "data": [[_plain(v) for v in frame.iloc[:, i].tolist()] for i in range(frame.shape[1])],
        "log": log,
    }


def frame_from(spec: dict[str, Any]) -> pd.DataFrame:
    """Rebuild the frame described by :func:`dump_download`."""
    if spec["index_tz"] is None:
        index = pd.DatetimeIndex(pd.to_datetime(spec["index"]) if spec["index"] else [],
                                 dtype=f"datetime64[{spec['index_unit']}]")
    else:
        index = pd.DatetimeIndex(pd.to_datetime(spec["index"], utc=True)).tz_convert(
            spec["index_tz"]).as_unit(spec["index_unit"])
    index.name = spec["index_name"]
    columns: pd.Index
    if spec["columns"] and isinstance(spec["columns"][0], list):
        columns = pd.MultiIndex.from_tuples([tuple(c) for c in spec["columns"]],
                                            names=spec["column_names"])
    else:
        columns = pd.Index(spec["columns"], name=spec["column_names"][0])
    data = {}
    for i, (values, dtype) in enumerate(zip(spec["data"], spec["dtypes"], strict=True)):
        clean = [np.nan if v is None else v for v in values]
        data[i] = pd.Series(clean, index=index, dtype=dtype)
    frame = pd.DataFrame(data, index=index)
    frame.columns = columns
    return frame


def load_download(name: str) -> tuple[pd.DataFrame, list[str]]:
    """A recorded ``yfinance.download`` result and the log lines written with it."""
    spec = json.loads((DOWNLOADS / f"{name}.json").read_text())
    return frame_from(spec), list(spec["log"])


def download_call(name: str) -> dict[str, Any]:
    """The arguments the recorded download was made with."""
    spec = json.loads((DOWNLOADS / f"{name}.json").read_text())
    call: dict[str, Any] = spec["call"]
    return call


def load_info(symbol: str) -> dict[str, Any]:
    """A recorded ``yfinance.Ticker(symbol).info`` mapping."""
    info: dict[str, Any] = json.loads((INFOS / f"{symbol}.json").read_text())
    return info
