"""Plots: figures built without pyplot, PNGs with content, a clear error without matplotlib."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import thesis_lib as tl
from thesis_lib import plots
from thesis_lib.evaluate import basket_performance, rank_stability

from .helpers import UNIVERSE, WEIGHTS, hand_prices

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import imread  # noqa: E402


def check_png(path: Path, *, min_width: int, min_height: int) -> None:
    """The PNG has at least this size and real content: many colours, not one flat fill."""
    image = imread(path)
    height, width = image.shape[:2]
    assert width >= min_width and height >= min_height, (width, height)
    pixels = image[..., :3].reshape(-1, 3)
    assert pixels.std() > 0.05
    assert len(np.unique(np.round(pixels, 2), axis=0)) > 20
    background = np.all(pixels > 0.97, axis=1).mean()
    assert 0.05 < background < 0.99  # drawn on, but not a solid block


@pytest.fixture(scope="module")
def result() -> tl.ScreenResult:
    return tl.screen(tl.load_universe(), tl.load_pack())


def test_every_plot_returns_a_figure_and_saves_a_png(result: tl.ScreenResult,
                                                     tmp_path: Path) -> None:
    performance = basket_performance(WEIGHTS, hand_prices(), since="2026-05-04",
                                     benchmark="N", universe=UNIVERSE, currency="local")
    stability = rank_stability("one-layer-down", tl.load_universe(), n=50, seed=3)
    made = {
        "heat": plots.exposure_heatmap(result),
        "waterfall": plots.contribution_waterfall(result, "000660.KS"),
        "basket": plots.basket_chart(performance),
        "stability": plots.stability_chart(stability),
    }
    for name, (fig, axes) in made.items():
        assert isinstance(fig, Figure)
        assert (axes if isinstance(axes, tuple) else (axes,))[0].figure is fig
        path = tmp_path / f"{name}.png"
        fig.savefig(path, dpi=60)
        check_png(path, min_width=250, min_height=200)


def test_figures_carry_the_data(result: tl.ScreenResult) -> None:
    _, ax = plots.exposure_heatmap(tl.load_universe())
    image = ax.get_images()[0].get_array()
    assert image.shape == (55, 14)
    _, ax = plots.contribution_waterfall(result, "000660.KS")
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[:2] == ["materiality", "evidence"] and labels[-1] == "score"
    heights = [p.get_height() for p in ax.patches]
    assert heights[-1] == pytest.approx(result.explain("000660.KS").score)
    performance = basket_performance(WEIGHTS, hand_prices(), since="2026-05-04",
                                     benchmark="N", universe=UNIVERSE, currency="local")
    _, ax = plots.basket_chart(performance)
    lines = ax.get_lines()
    assert lines[0].get_ydata()[-1] == pytest.approx(15.5)  # basket +15.5%


def test_drawing_into_given_axes(result: tl.ScreenResult) -> None:
    fig = Figure()
    ax = fig.add_subplot()
    got_fig, got_ax = plots.contribution_waterfall(result, "NVDA", ax=ax)
    assert got_fig is fig and got_ax is ax


def test_pyplot_is_never_imported(result: tl.ScreenResult) -> None:
    if "matplotlib.pyplot" in sys.modules:
        pytest.skip("pyplot was imported by something else in this process")
    plots.exposure_heatmap(result)
    assert "matplotlib.pyplot" not in sys.modules
