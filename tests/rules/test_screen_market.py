"""screen(..., market=provider): the valuation penalty uses market columns when present."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import thesis_lib as tl
from thesis_lib.market import FrameProvider, IncompleteDataWarning

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"


@pytest.fixture(scope="module")
def provider() -> FrameProvider:
    return FrameProvider.from_file(EXAMPLES / "prices.csv", snapshot=EXAMPLES / "snapshot.csv")


def _valuation(result: tl.ScreenResult, ticker: str) -> pd.Series:
    return result.explain(ticker).table.set_index("rule").loc["valuation"]


def test_valuation_penalty_applies_with_prices_and_is_skipped_without(
    provider: FrameProvider,
) -> None:
    universe = tl.load_universe()
    with pytest.warns(IncompleteDataWarning, match="not ok"):
        priced = tl.screen(universe, "one-layer-down", market=provider, since=dt.date(2026, 5, 7))
    offline = tl.screen(universe, "one-layer-down")

    pe = priced.frame.loc["NVDA", "pe_forward"]
    assert pe == pe  # the example snapshot has Nvidia's forward P/E
    row = _valuation(priced, "NVDA")
    expected = -1.0 * min(max((pe - 30) / 30, 0.0), 1.0)
    assert row["status"] == "ok"
    assert row["contribution"] == pytest.approx(expected)

    off = _valuation(offline, "NVDA")
    assert off["contribution"] == 0.0
    assert off["status"] == "missing: skipped (no column pe_forward)"

    # a listed company the price file does not cover: skipped, with the reason
    missing = priced.market.status.query("status == 'missing'").index[0]
    assert _valuation(priced, missing)["status"].startswith("missing: skipped (value missing")

    # private companies are never requested and get no market values
    status = priced.market.status
    assert (status.loc[["SPACEX", "ANTHROPIC"], "status"] == "private").all()
    assert priced.frame.loc[["SPACEX", "ANTHROPIC"], "price"].isna().all()


def test_market_columns_added_without_touching_the_rest(provider: FrameProvider) -> None:
    universe = tl.load_universe()
    with pytest.warns(IncompleteDataWarning):
        priced = tl.screen(universe, "one-layer-down", market=provider)
    base = universe.to_frame()
    pd.testing.assert_frame_equal(priced.frame[base.columns], base)
    assert set(tl.frame.MARKET_COLUMNS) <= set(priced.frame.columns)
