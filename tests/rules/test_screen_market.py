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

    # Every priced company with a forward P/E gets the valuation rule, not only Nvidia.
    with_pe = priced.frame.index[priced.frame["pe_forward"].notna()]
    assert len(with_pe) >= 10 and "NVDA" in with_pe
    penalised = []
    for ticker in with_pe:
        pe = priced.frame.loc[ticker, "pe_forward"]
        row = _valuation(priced, str(ticker))
        assert row["status"] == "ok", ticker
        assert row["contribution"] == pytest.approx(-3.0 * min(max((pe - 25) / 25, 0.0), 1.0))
        if row["contribution"] < 0:
            penalised.append(str(ticker))
    assert {"NVDA", "AVGO"} <= set(penalised) and "MU" not in penalised

    off = _valuation(offline, "NVDA")
    assert off["contribution"] == 0.0
    assert off["status"] == "missing: skipped (no column pe_forward)"

    # a listed company the price file does not cover: skipped, with the reason
    missing = priced.market.status.query("status == 'missing'").index[0]
    assert _valuation(priced, missing)["status"].startswith("missing: skipped (value missing")

    # private companies are never requested and get no market values
    status = priced.market.status
    assert (status.loc[["OPENAI", "ANTHROPIC"], "status"] == "private").all()
    assert priced.frame.loc[["OPENAI", "ANTHROPIC"], "price"].isna().all()


def test_market_columns_added_without_touching_the_rest(provider: FrameProvider) -> None:
    universe = tl.load_universe()
    with pytest.warns(IncompleteDataWarning):
        priced = tl.screen(universe, "one-layer-down", market=provider)
    base = universe.to_frame()
    pd.testing.assert_frame_equal(priced.frame[base.columns], base)
    assert set(tl.frame.MARKET_COLUMNS) <= set(priced.frame.columns)
