"""screen(..., as_of=): a screen as of a past date uses only what was known then."""

from __future__ import annotations

import datetime as dt

import pytest

from thesis_lib import ScreenError, Universe, load_pack, load_universe, screen
from thesis_lib.models import REPORTING_LAG

REVISED = dt.date(2026, 7, 15)


@pytest.fixture(scope="module")
def revised() -> Universe:
    """The built-in universe with Micron's HBM share revised up after the fact: the new
    figure (same period) is public from REVISED, the first one stays in the history."""
    universe = load_universe()
    mu = universe.company("MU")
    first = mu.exposure("hbm")
    assert first is not None and first.known_on() < REVISED
    revision = first.model_copy(update={"share": 0.5, "known_from": REVISED})
    changed = mu.model_copy(update={
        "exposures": tuple(revision if e.layer == "hbm" else e for e in mu.exposures),
        "exposure_history": (first,)})
    data = universe.model_dump()
    data["companies"] = [changed.model_dump() if c.ticker == "MU" else c.model_dump()
                         for c in universe.companies]
    return Universe.model_validate(data)


def test_a_screen_before_a_revision_ignores_it_and_after_it_uses_it(revised: Universe) -> None:
    pack = load_pack()
    first = revised.company("MU").exposure_history[0]
    before = screen(revised, pack, as_of=REVISED - dt.timedelta(days=1))
    after = screen(revised, pack, as_of=REVISED)
    assert before.frame.loc["MU", "exposure_hbm"] == first.share
    assert after.frame.loc["MU", "exposure_hbm"] == 0.5
    assert after.scores.loc["MU", "score"] > before.scores.loc["MU", "score"]
    # explain names the figure actually used
    sources_before = before.explain("MU").sources
    sources_after = after.explain("MU").sources
    assert sources_before is not None and sources_after is not None
    assert f"share {first.share:.3f}" in " ".join(sources_before["detail"])
    assert "share 0.500" in " ".join(sources_after["detail"])
    assert f"public {REVISED}" in " ".join(sources_after["detail"])
    assert before.universe is not None and before.universe.as_of == REVISED - dt.timedelta(1)


def test_the_latest_screen_is_unchanged_without_as_of() -> None:
    universe = load_universe()
    plain = screen(universe)
    assert plain.universe is universe


def test_evidence_after_the_date_is_ignored() -> None:
    universe = load_universe()
    newest = max(ev.date for ev in universe.evidence)
    day_before = newest - dt.timedelta(days=1)
    result = screen(universe, as_of=day_before)
    assert result.universe is not None
    assert all(ev.date <= day_before for ev in result.universe.evidence)
    assert len(result.universe.evidence) < len(universe.evidence)
    expected = universe.known_at(day_before).to_frame()["evidence_support"]
    assert (result.frame["evidence_support"] == expected).all()


def test_as_of_accepts_an_iso_string_and_a_date_alike() -> None:
    a = screen(load_universe(), as_of="2026-06-30")
    b = screen(load_universe(), as_of=dt.date(2026, 6, 30))
    assert a.scores.equals(b.scores)


def test_a_period_figure_counts_from_the_period_end_plus_the_lag() -> None:
    data = load_universe().model_dump()
    for company in data["companies"]:  # the current figures only
        company["exposure_history"] = ()
    universe = Universe.model_validate(data)
    first = universe.company("MU").exposures[0]
    known = first.as_of + REPORTING_LAG
    if first.known_from is not None:
        known = first.known_from
    column = f"exposure_{first.layer}"
    assert screen(universe, as_of=known - dt.timedelta(days=1)).frame.loc["MU", column] == 0.0
    assert screen(universe, as_of=known).frame.loc["MU", column] == first.share


@pytest.mark.parametrize("bad", ["30/06/2026", "yesterday", 20260630, 2026.5, ["2026-06-30"]])
def test_a_bad_as_of_is_a_screen_error_naming_the_field(bad: object) -> None:
    with pytest.raises(ScreenError) as info:
        screen(load_universe(), as_of=bad)  # type: ignore[arg-type]
    assert info.value.field == "as_of"
    assert info.value.hint


def test_as_of_with_a_plain_frame_asks_for_a_universe() -> None:
    frame = load_universe().to_frame()
    with pytest.raises(ScreenError) as info:
        screen(frame, as_of="2026-06-30")
    assert info.value.field == "as_of"
    assert "Universe" in str(info.value)
