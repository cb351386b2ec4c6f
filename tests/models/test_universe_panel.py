"""Universe.panel: a (date, ticker) panel of what was known at each date, screened in one call."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import thesis_lib as tl
from thesis_lib.errors import DataError, ScreenError

DATES = ["2025-03-31", "2024-06-30", "2026-06-30", "2025-03-31"]


@pytest.fixture(scope="module")
def universe() -> tl.Universe:
    return tl.load_universe()


def test_each_date_is_the_frame_known_then(universe: tl.Universe) -> None:
    panel = universe.panel(DATES)
    dates = panel.index.get_level_values("date").unique()
    assert list(dates) == [pd.Timestamp(d) for d in ("2024-06-30", "2025-03-31", "2026-06-30")]
    for date in dates:
        alone = universe.known_at(date.date()).to_frame()
        pd.testing.assert_frame_equal(panel.xs(date, level="date"), alone)


def test_a_panel_screen_equals_screens_as_of_each_date(universe: tl.Universe) -> None:
    result = tl.screen(universe.panel(DATES))
    assert isinstance(result, tl.PanelResult)
    for date in result.dates:
        as_of = tl.screen(universe, as_of=date.date()).scores
        pd.testing.assert_frame_equal(result.at(date).scores, as_of)


def test_no_look_ahead_a_figure_enters_when_it_became_public(universe: tl.Universe) -> None:
    """Nvidia's FY2025 accelerator share (public 2025-02-26) is not in the frame before."""
    panel = universe.panel(["2025-02-25", "2025-02-26"])
    before = panel.loc[(pd.Timestamp("2025-02-25"), "NVDA"), "exposure_accelerators"]
    after = panel.loc[(pd.Timestamp("2025-02-26"), "NVDA"), "exposure_accelerators"]
    assert before == 0.0 and after > 0.5


@pytest.mark.parametrize(("dates", "message"), [
    ([], "no dates given"),
    ("2025-01-01", "several dates"),
    (dt.date(2025, 1, 1), "several dates"),
    (["2025-13-01"], "dates"),
])
def test_bad_dates_are_typed_errors(universe: tl.Universe, dates: object, message: str) -> None:
    with pytest.raises(DataError, match=message):
        universe.panel(dates)  # type: ignore[arg-type]


def test_as_of_is_refused_where_the_data_has_no_dated_figures(universe: tl.Universe) -> None:
    panel = universe.panel(["2025-06-30", "2026-06-30"])
    with pytest.raises(ScreenError, match="as_of needs dated figures") as raised:
        tl.screen(panel, as_of="2026-01-01")
    assert "Universe.panel" in (raised.value.problems[0].hint or "")
    with pytest.raises(ScreenError, match="as_of"):
        tl.screen(universe.to_frame(), as_of="2026-01-01")
