"""The watch diff says which of a company's figures changed when its score moved."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from thesis_lib import load_universe, save_universe
from thesis_lib.watch import Snapshot, load_watchlist, run_watch
from thesis_lib.watch.diff import figure_changes

T1 = dt.datetime(2026, 11, 1, 7, tzinfo=dt.UTC)
T2 = dt.datetime(2026, 11, 2, 7, tzinfo=dt.UTC)


def _revise(path: Path, ticker: str, layer: str, share: float, *, new_period: bool = False,
            claim: bool = False) -> None:
    """Revise a company's exposure (keeping the first figure in its history), or replace
    it by a later period's; optionally add a claim naming the company."""
    universe = load_universe(path)
    data = universe.model_dump()
    for company in data["companies"]:
        if company["ticker"] != ticker:
            continue
        for exposure in company["exposures"]:
            if exposure["layer"] != layer:
                continue
            company["exposure_history"] = [*company["exposure_history"], dict(exposure)]
            exposure["share"] = share
            if new_period:
                exposure["as_of"] = exposure["as_of"] + dt.timedelta(days=365)
                exposure["known_from"] = None
            else:
                exposure["known_from"] = exposure["as_of"] + dt.timedelta(days=200)
    if claim:
        data["evidence"] = [*data["evidence"], {
            "id": "test-new-claim", "claim": "A new order.", "companies": [ticker],
            "direction": "supports", "strength": 0.9, "source": "a test",
            "date": max(ev.date for ev in universe.evidence)}]
    save_universe(type(universe).parse(data), path, overwrite=True)


def test_a_revised_exposure_is_named_under_the_company_that_moved(watch_dir, cli,
                                                                  monkeypatch):
    watchlist = load_watchlist(watch_dir / "watchlist.toml")
    state = watch_dir / "state"
    first = run_watch(watchlist, state, now=T1)
    assert first.snapshot.figures is not None
    assert "exposure hbm" in first.snapshot.figures["MU"]
    _revise(watch_dir / "universe.toml", "MU", "hbm", 0.30, claim=True)
    second = run_watch(load_watchlist(watch_dir / "watchlist.toml"), state, now=T2)
    changes = {c.ticker: c for c in (*second.diff.entered, *second.diff.moved)}
    mu = changes["MU"]
    assert mu.new_score is not None and mu.old_score is not None
    assert mu.new_score > mu.old_score
    assert mu.figures[0].startswith("hbm exposure revised for the period to ")
    assert mu.figures[0].endswith("share 0.140 -> 0.300")
    assert "new claim test-new-claim (supports 0.90" in mu.figures[1]
    # companies whose own figures did not change say nothing about figures
    assert all(not c.figures for t, c in changes.items() if t != "MU")
    # the text output puts each figure on its own line under the company
    monkeypatch.chdir(watch_dir)
    _revise(watch_dir / "universe.toml", "MU", "hbm", 0.35, new_period=True)
    ran = cli("watch", "watchlist.toml", "--state", str(state), "--no-save")
    lines = ran.out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.lstrip(" +").startswith("MU "))
    assert lines[at + 1].strip().startswith("hbm exposure: new period to ")
    assert lines[at + 1].strip().endswith("share 0.300 -> 0.350")
    assert all(len(line) <= 100 for line in lines)
    doc = json.loads(cli("watch", "watchlist.toml", "--state", str(state), "--no-save",
                         "--format", "json").out)
    moved = {c["ticker"]: c for c in (*doc["entered"], *doc["moved"])}
    assert moved["MU"]["figures"][0].startswith("hbm exposure: new period to ")


def test_figure_changes_line_by_line() -> None:
    old = {"exposure hbm": "2025-08-28|2025-11-26|0.14|1.0|FY2025",
           "exposure foundry": "2025-08-28|2025-11-26|0.1|1.0|FY2025",
           "financials": "2025-08-28|2025-11-26|37380000000.0|FY2025",
           "claim gone": "2026-01-01|supports|0.5"}
    new = {"exposure hbm": "2026-08-27|2026-11-25|0.2|0.9|FY2026",
           "exposure packaging": "2026-08-27|2026-11-25|0.05|1.0|FY2026",
           "financials": "2025-08-28|2026-02-01|38000000000.0|FY2025",
           "claim fresh": "2026-05-01|undermines|0.4"}
    assert figure_changes(old, new) == (
        "foundry exposure gone (was share 0.100)",
        "hbm exposure: new period to 2026-08-27, share 0.140 -> 0.200, AI part 1.000 -> 0.900",
        "packaging exposure new: share 0.050 (period to 2026-08-27)",
        "revenue revised for the period to 2025-08-28: $37.38bn -> $38.00bn",
        "new claim fresh (undermines 0.40, 2026-05-01)",
        "claim gone no longer counts",
    )
    assert figure_changes(old, old) == ()
    assert figure_changes(None, new) == ()


def test_a_snapshot_without_figures_reads_and_diffs_as_before(watch_dir) -> None:
    watchlist = load_watchlist(watch_dir / "watchlist.toml")
    state = watch_dir / "state"
    first = run_watch(watchlist, state, now=T1)
    assert first.saved_path is not None
    data = json.loads(first.saved_path.read_text(encoding="utf-8"))
    del data["figures"]  # a file written before figures were kept
    first.saved_path.write_text(json.dumps(data), encoding="utf-8")
    assert Snapshot.from_json(first.saved_path.read_text(encoding="utf-8")).figures is None
    _revise(watch_dir / "universe.toml", "MU", "hbm", 0.30)
    second = run_watch(load_watchlist(watch_dir / "watchlist.toml"), state, now=T2)
    assert all(not c.figures for c in (*second.diff.entered, *second.diff.moved))
    assert any(c.ticker == "MU" for c in (*second.diff.entered, *second.diff.moved))
