"""Price tables, calendar alignment and forward returns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from thesis_lib.evaluate import EvaluationError, forward_returns, period_returns, price_table
from thesis_lib.evaluate.prices import align

from .helpers import NAN, hand_prices


def test_price_table_pivots_tidy_rows_and_sorts_dates() -> None:
    tidy = pd.DataFrame({"date": ["2026-05-05", "2026-05-04", "2026-05-04"],
                         "ticker": ["MU", "MU", "NVDA"], "close": [11.0, 10.0, 20.0],
                         "volume": [1, 2, 3]})
    table = price_table(tidy)
    assert list(table.index.strftime("%m-%d")) == ["05-04", "05-05"]
    assert table.loc["2026-05-04", "NVDA"] == 20.0
    assert np.isnan(table.loc["2026-05-05", "NVDA"])
    with pytest.raises(EvaluationError, match="twice on one date"):
        price_table(pd.concat([tidy, tidy]))
    with pytest.raises(EvaluationError, match="not dates"):
        price_table(pd.DataFrame({"MU": [1.0]}, index=["yesterday"]))


def test_align_fills_short_holes_only_and_never_before_the_first_close() -> None:
    table = pd.DataFrame({"A": [NAN, 1.0, NAN, NAN, 2.0, NAN],
                          "B": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]},
                         index=pd.bdate_range("2026-05-04", periods=6, name="date"))
    one = align(table, ["A", "B"], max_fill=1).table["A"].tolist()
    assert np.isnan(one[0])  # before A's first close: never filled
    assert np.isnan(one[2]) and np.isnan(one[3])  # a two-session hole > 1: left empty
    assert one[5] == 2.0  # a one-session hole at the end: filled
    two = align(table, ["A", "B"], max_fill=2)
    assert two.table["A"].tolist()[1:] == [1.0, 1.0, 1.0, 2.0, 2.0]
    assert len(two.filled) == 3


def test_forward_returns_do_not_overlap_by_default() -> None:
    dates = pd.bdate_range("2026-01-05", periods=10, name="date")
    prices = pd.DataFrame({"A": np.arange(1.0, 11.0)}, index=dates)
    fwd = forward_returns(prices, horizon=3)
    # Rows every 3 sessions while 3 sessions remain: closes 1 -> 4, 4 -> 7, 7 -> 10.
    assert fwd["A"].tolist() == pytest.approx([3.0, 0.75, 3 / 7])
    assert list(fwd.index) == [dates[0], dates[3], dates[6]]
    daily = forward_returns(prices, horizon=3, step=1)
    assert len(daily) == 7
    with pytest.raises(EvaluationError, match="horizon"):
        forward_returns(prices, horizon=0)


def test_period_returns_across_calendars() -> None:
    out = period_returns(hand_prices(), "2026-05-04", tickers=["A.KS", "X", "N", "ZZZ"],
                         currency="local")
    # A.KS 100 -> 110, X 50 -> 60.5, N 200 -> 198; ZZZ has no prices.
    assert out[["A.KS", "X", "N"]].tolist() == pytest.approx([0.10, 0.21, -0.01])
    assert np.isnan(out["ZZZ"])
    until = period_returns(hand_prices(), "2026-05-04", "2026-05-07", currency="local")
    # On 05-07 New York is shut: X and N carry their 05-06 closes (55 and 220).
    assert until[["A.KS", "X", "N"]].tolist() == pytest.approx([0.21, 0.10, 0.10])
