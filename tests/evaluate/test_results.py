"""Result objects: frames, text, notebook HTML, and nothing printed on the way."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import pytest

import thesis_lib as tl
from thesis_lib._html import screen_html, table_html, universe_html
from thesis_lib.evaluate import (
    basket_performance,
    factor_turnover,
    quantile_returns,
    rank_ic,
    rank_stability,
)

from .helpers import UNIVERSE, WEIGHTS, hand_prices, planted


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    scores, returns = planted(0.2, dates=8, names=30, seed=9)
    return {
        "ic": rank_ic(scores, returns, n_resamples=300),
        "quantiles": quantile_returns(scores, returns, n_resamples=300),
        "basket": basket_performance(WEIGHTS, hand_prices(), since="2026-05-04",
                                     benchmark="N", universe=UNIVERSE, currency="local"),
        "stability": rank_stability("one-layer-down", tl.load_universe(), n=20, seed=1),
        "turnover": factor_turnover(scores, quantiles=3, periods=(1, 2)),
    }


def test_nothing_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    scores, returns = planted(0.2, dates=4, names=20, seed=1)
    rank_ic(scores, returns, n_resamples=100)
    quantile_returns(scores, returns, n_resamples=100)
    basket_performance(WEIGHTS, hand_prices(), since="2026-05-04", benchmark="N", currency="local")
    rank_stability("one-layer-down", tl.load_universe(), n=5)
    factor_turnover(scores, periods=(1,))
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize("key", ["ic", "quantiles", "basket", "stability", "turnover"])
def test_every_result_has_a_frame_text_and_html(results: dict[str, object], key: str) -> None:
    result = results[key]
    frame = result.to_frame()  # type: ignore[attr-defined]
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    frame.iloc[0, -1] = None  # a copy: changing it changes nothing inside
    assert result.to_frame().shape == frame.shape  # type: ignore[attr-defined]
    text = str(result)
    assert text == result.to_text()  # type: ignore[attr-defined]
    assert len(text.splitlines()) >= 2
    page = result._repr_html_()  # type: ignore[attr-defined]
    assert page.count("<table") >= 1 and page.count("<tr>") >= 2
    assert "<script" not in page
    assert repr(result).startswith("<")


def test_texts_carry_the_figures(results: dict[str, object]) -> None:
    ic = results["ic"]
    assert f"{ic.mean_ic:+.4f}" in str(ic)  # type: ignore[attr-defined]
    assert "bootstrap BCa over dates" in str(ic)
    assert f"IR {ic.ir:+.2f}, hit rate {ic.hit_rate:.0%}" in str(ic)  # type: ignore[attr-defined]
    assert "IC summary" in ic._repr_html_()  # type: ignore[attr-defined]
    basket = str(results["basket"])
    assert "+15.50%" in basket and "-1.00%" in basket and "excess +16.50%" in basket
    assert "t-test of the daily excess returns" in basket
    assert "4 cell(s) filled" in basket
    stability = str(results["stability"])
    assert "20 draws" in stability and "Kendall tau" in stability


def test_table_html_escapes_and_draws_bars_and_heat() -> None:
    frame = pd.DataFrame({"name": ["<b>x</b>", "y & z"], "score": [2.0, -1.0],
                          "share": [0.0, 1.0]}, index=pd.Index(["A", "B"], name="ticker"))
    page = table_html(frame, bars=["score"], heat=["share"], heat_range=(0.0, 1.0))
    assert html.escape("<b>x</b>") in page and "<b>x</b>" not in page
    assert "y &amp; z" in page
    assert "linear-gradient" in page  # score bars
    assert "rgb(66,133,244)" in page  # a share of 1 at the dark end of the heat scale
    assert "3 more rows (5 in all)" in table_html(
        pd.DataFrame({"v": np.arange(5.0)}), max_rows=2)


def test_universe_and_screen_result_render_for_notebooks() -> None:
    universe = tl.load_universe()
    page = universe_html(universe)
    assert "SK hynix" in page and "hbm" in page and "rgb(" in page
    assert page.count("<tr>") == 20 + 1  # the first 20, then how many more
    assert f"{len(universe.companies) - 20} more rows" in page
    result = tl.screen(universe, tl.load_pack())
    page = screen_html(result)
    assert "intensity" in page and "linear-gradient" in page
    assert "5 excluded" in page
