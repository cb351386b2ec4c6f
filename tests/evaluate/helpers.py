"""Hand-built inputs shared by the evaluation tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

NAN = np.nan
DATES = pd.to_datetime(["2026-05-04", "2026-05-05", "2026-05-06", "2026-05-07", "2026-05-08"])


def hand_prices() -> pd.DataFrame:
    """Seoul (A.KS), New York (X, N) and Taipei (U.TW) closes, each with its own holiday.

    ::

        date        A.KS   X     N     U.TW
        2026-05-04  100    50    200   40
        2026-05-05  NaN    55    210   42     Seoul closed (Children's Day)
        2026-05-06  110    55    220   NaN    Taipei closed
        2026-05-07  121    NaN   NaN   44     New York closed
        2026-05-08  110    60.5  198   44
    """
    return pd.DataFrame(
        {"A.KS": [100, NAN, 110, 121, 110], "X": [50, 55, 55, NAN, 60.5],
         "N": [200, 210, 220, NAN, 198], "U.TW": [40, 42, NAN, 44, 44]},
        index=pd.Index(DATES, name="date"))


WEIGHTS = pd.Series({"A.KS": 0.5, "X": 0.5})
UNIVERSE = ["A.KS", "X", "N", "U.TW"]



def planted(a: float, *, dates: int, names: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores ~ N(0, 1) and returns = a x score + N(0, 1) noise, date x ticker."""
    rng = np.random.default_rng(seed)
    tickers = [f"T{i:03d}" for i in range(names)]
    index = pd.date_range("2026-01-02", periods=dates, freq="W-FRI", name="date")
    score = rng.standard_normal((dates, names))
    returns = a * score + rng.standard_normal((dates, names))
    return (pd.DataFrame(score, index=index, columns=tickers),
            pd.DataFrame(returns, index=index, columns=tickers))
