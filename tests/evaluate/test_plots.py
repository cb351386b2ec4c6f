"""Plots: figures built without pyplot, PNGs with content, a clear error without matplotlib."""

from __future__ import annotations

import io
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
    for name, fig in made.items():
        assert isinstance(fig, Figure)
        assert fig.axes and all(ax.figure is fig for ax in fig.axes)
        path = tmp_path / f"{name}.png"
        fig.savefig(path, dpi=60)
        check_png(path, min_width=250, min_height=200)


def test_figures_carry_the_data(result: tl.ScreenResult) -> None:
    ax = plots.exposure_heatmap(tl.load_universe()).axes[0]
    image = ax.get_images()[0].get_array()
    assert image.shape == (55, 14)
    ax = plots.contribution_waterfall(result, "000660.KS").axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[:2] == ["materiality", "evidence"] and labels[-1] == "score"
    heights = [p.get_height() for p in ax.patches]
    assert heights[-1] == pytest.approx(result.explain("000660.KS").score)
    performance = basket_performance(WEIGHTS, hand_prices(), since="2026-05-04",
                                     benchmark="N", universe=UNIVERSE, currency="local")
    ax = plots.basket_chart(performance).axes[0]
    lines = ax.get_lines()
    assert lines[0].get_ydata()[-1] == pytest.approx(15.5)  # basket +15.5%


def test_a_figure_displays_itself_as_a_png(result: tl.ScreenResult) -> None:
    """A notebook shows the returned figure as an image with no pyplot and no
    ``%matplotlib inline``: it has a PNG representation of the drawing."""
    fig = plots.contribution_waterfall(result, "000660.KS")
    png = fig._repr_png_()  # type: ignore[attr-defined]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    w_in, h_in = fig.get_size_inches()
    assert (width, height) == (round(w_in * 100), round(h_in * 100))
    image = imread(io.BytesIO(png))
    assert image[..., :3].std() > 0.05  # drawn on


def test_drawing_into_given_axes(result: tl.ScreenResult) -> None:
    """``ax=`` draws into the caller's Axes and returns the caller's figure."""
    fig = Figure()
    left, right = fig.subplots(1, 2)
    got = plots.contribution_waterfall(result, "NVDA", ax=right)
    assert got is fig and len(fig.axes) == 2
    assert right.patches and not left.patches
    assert plots.exposure_heatmap(result, ax=left) is fig
    assert left.get_images()
    performance = basket_performance(WEIGHTS, hand_prices(), since="2026-05-04",
                                     benchmark="N", universe=UNIVERSE, currency="local")
    other = Figure()
    ax = other.add_subplot()
    assert plots.basket_chart(performance, ax=ax) is other and ax.get_lines()
    stability = rank_stability("one-layer-down", tl.load_universe(), n=20, seed=3)
    pair = Figure()
    axes = pair.subplots(1, 2)
    assert plots.stability_chart(stability, ax=(axes[0], axes[1])) is pair
    assert axes[0].patches and axes[1].patches and len(pair.axes) == 2


def test_pyplot_is_never_imported(result: tl.ScreenResult) -> None:
    if "matplotlib.pyplot" in sys.modules:
        pytest.skip("pyplot was imported by something else in this process")
    plots.exposure_heatmap(result)
    assert "matplotlib.pyplot" not in sys.modules
