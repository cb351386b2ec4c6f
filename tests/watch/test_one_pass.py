"""A watchlist with field problems still has the tickers and gates it names checked."""

from __future__ import annotations

from pathlib import Path

from thesis_lib.watch import watchlist_problems


def test_field_problems_and_unknown_tickers_are_reported_together(tmp_path: Path):
    path = tmp_path / "wl.toml"
    path.write_text(
        'id = "wl"\ntop = 0\nalways_show = ["NVDAA"]\ncolour = "red"\n'
        '[[alerts]]\nid = "typo"\nkind = "score_crosses"\nticker = "MUU"\nthreshold = 5.0\n'
        'direction = "up"\n'
        '[[alerts]]\nid = "broken"\nkind = "score_crosses"\nticker = "NOPE"\n'
        'threshold = "high"\ndirection = "up"\n', encoding="utf-8")
    found = [(p.item, p.field, p.message) for p in watchlist_problems(path)]
    assert (None, "top", "Input should be greater than or equal to 1, got 0") in found
    assert (None, "colour", "unknown field") in found
    assert (None, "always_show[0]", "unknown ticker 'NVDAA'") in found
    assert ("alert 'typo'", "ticker", "unknown ticker 'MUU'") in found
    broken = [f for f in found if f[0] == "alert 'broken'"]
    # the broken alert's own problem is reported; its ticker is not checked on top of it
    assert [f[1] for f in broken] == ["threshold"]
