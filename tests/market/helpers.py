"""Fakes, fixtures data and builders shared by the market-data tests."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from .yf_shapes import load_download, load_info


class FakeClock:
    """``clock()`` returns the fake time; ``sleep(s)`` records ``s`` and advances it."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


Step = pd.DataFrame | BaseException | tuple[pd.DataFrame, list[str]] | str


class ScriptedDownload:
    """A stand-in for ``yfinance.download`` that plays a script of answers.

    Each step is a recorded fixture name, a frame, ``(frame, log lines)`` or an
    exception to raise. Log lines are written to the ``yfinance`` logger, as
    yfinance itself does. The last step repeats when the script runs out.
    """

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.calls: list[dict[str, Any]] = []

    def __call__(self, tickers: list[str], *, start: dt.date, end: dt.date, interval: str
                 ) -> pd.DataFrame | None:
        self.calls.append({"tickers": list(tickers), "start": start, "end": end,
                           "interval": interval})
        step = self.steps[min(len(self.calls) - 1, len(self.steps) - 1)]
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, str):
            step = load_download(step)
        if isinstance(step, tuple):
            frame, lines = step
            logger = logging.getLogger("yfinance")
            for line in lines:
                logger.error(line)
            return frame
        return step


class FixtureQuotes:
    """A stand-in for ``Ticker(symbol).info`` answering from recorded info mappings."""

    def __init__(self, overrides: Mapping[str, Callable[[], Mapping[str, Any]] |
                                            BaseException] | None = None) -> None:
        self.overrides = dict(overrides or {})
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, symbol: str) -> Mapping[str, Any]:
        with self._lock:
            self.calls.append(symbol)
        override = self.overrides.get(symbol)
        if isinstance(override, BaseException):
            raise override
        if override is not None:
            return override()
        try:
            return load_info(symbol)
        except FileNotFoundError:
            return load_info("UNKNOWN1")


class YFRateLimitError(Exception):
    """Same name as yfinance's, which is all the adapter looks at."""

    def __init__(self) -> None:
        super().__init__("Too Many Requests. Rate limited. Try after a while.")


class Timeout(Exception):  # noqa: N818 - named like curl_cffi's, which is the point
    """Same name as curl_cffi's timeout."""


def frame_of_days(values: Mapping[str, list[float | None]], days: list[str],
                  volume: float | None = 1_000.0) -> pd.DataFrame:
    """Tidy prices for FrameProvider: one row per ticker and day, None skipped."""
    rows = []
    for ticker, series in values.items():
        for day, value in zip(days, series, strict=True):
            if value is not None:
                rows.append({"date": day, "ticker": ticker, "close": value, "volume": volume})
    return pd.DataFrame(rows)


def yf_like(closes: Mapping[str, list[float | None]], days: list[str]) -> pd.DataFrame:
    """A frame shaped like ``yfinance.download`` (auto_adjust=True) for made-up tickers."""
    index = pd.DatetimeIndex(pd.to_datetime(days), name="Date").as_unit("s")
    data: dict[tuple[str, str], pd.Series] = {}
    for ticker, values in closes.items():
        close = pd.Series([float("nan") if v is None else v for v in values], index=index)
        for field in ("Close", "High", "Low", "Open"):
            data[(field, ticker.upper())] = close
        data[("Volume", ticker.upper())] = pd.Series(1_000_000, index=index, dtype="int64")
    frame = pd.DataFrame(data)
    frame.columns = pd.MultiIndex.from_tuples(list(data), names=["Price", "Ticker"])
    return frame.sort_index(axis=1, level=0)
