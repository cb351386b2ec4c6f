"""Without the plot extra, asking for a plot says which extra to install."""

from __future__ import annotations

import sys

import pytest

import thesis_lib as tl
from thesis_lib import plots


@pytest.fixture(scope="module")
def result() -> tl.ScreenResult:
    return tl.screen(tl.load_universe(), tl.load_pack())


def test_without_matplotlib_the_error_names_the_extra(
        result: tl.ScreenResult, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(plots.PlotUnavailableError) as info:
        plots.exposure_heatmap(result)
    assert 'pip install "thesis-lib[plot]"' in str(info.value)
    assert isinstance(info.value, tl.ThesisError)
