"""A clock ahead never wins: the baseline is the newest snapshot by recorded time that is
not dated after the run; one from the future is reported and never compared with."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from thesis_lib.watch import Snapshot, SnapshotRow, SnapshotStore, load_watchlist, run_watch
from thesis_lib.watch.snapshot import FUTURE_TOLERANCE

T0 = dt.datetime(2026, 5, 19, 7, 0, tzinfo=dt.UTC)
AHEAD = dt.datetime(2027, 1, 4, 7, 0, tzinfo=dt.UTC)

BASKET_WATCHLIST = """\
id = "core"
universe = "universe.toml"
pack = "one-layer-down"
top = 10

[basket]
top_n = 10
weighting = "score"
buffer = 2
"""


def _snap(when: dt.datetime, score: float = 1.0) -> Snapshot:
    return Snapshot(watchlist="w", taken_at=when, top=1, companies=(
        SnapshotRow(ticker="A", name="A", score=score, rank=1, passed=True),))


def test_the_baseline_skips_snapshots_dated_after_the_run(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path, "w")
    old = store.save(_snap(T0))
    good = store.save(_snap(T0 + dt.timedelta(days=1), 2.0))
    ahead = store.save(_snap(AHEAD, 99.0))
    now = T0 + dt.timedelta(days=2)
    assert store.paths() == [old, good, ahead]     # the file is kept, in time order
    found = store.baseline(now)
    assert found.path == good and found.snapshot is not None
    assert found.snapshot.row("A").score == 2.0    # type: ignore[union-attr]
    assert found.future == (ahead,)
    assert store.latest_path(now) == good
    loaded = store.load_latest(now)
    assert loaded is not None and loaded[0] == good
    # a run after the clock caught up takes it, as it is then the newest
    assert store.baseline(AHEAD + dt.timedelta(hours=1)).path == ahead


def test_the_tolerance_allows_small_clock_skew(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path, "w")
    slightly = store.save(_snap(T0 + FUTURE_TOLERANCE - dt.timedelta(seconds=1)))
    assert store.baseline(T0).path == slightly
    beyond = store.save(_snap(T0 + FUTURE_TOLERANCE + dt.timedelta(seconds=1)))
    found = store.baseline(T0)
    assert found.path == slightly and found.future == (beyond,)
    assert store.baseline(T0, tolerance=dt.timedelta(0)).path is None


def test_the_taken_at_inside_counts_too(tmp_path: Path) -> None:
    # A future snapshot renamed to look old is still from the future.
    store = SnapshotStore(tmp_path, "w")
    good = store.save(_snap(T0))
    renamed = tmp_path / "w-20260520T070000Z.json"
    renamed.write_text(_snap(AHEAD, 99.0).to_json(), encoding="utf-8")
    found = store.baseline(T0 + dt.timedelta(days=2))
    assert found.path == good and found.future == (renamed,)


def test_only_future_snapshots_means_a_new_baseline(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path, "w")
    ahead = store.save(_snap(AHEAD))
    found = store.baseline(T0)
    assert found.path is None and found.snapshot is None and found.future == (ahead,)
    assert store.load_latest(T0) is None and store.latest_path(T0) is None


def test_the_default_now_is_the_clock(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path, "w")
    past = store.save(_snap(dt.datetime.now(dt.UTC) - dt.timedelta(days=1)))
    store.save(_snap(dt.datetime.now(dt.UTC) + dt.timedelta(days=400)))
    assert store.latest_path() == past
    assert store.baseline().path == past


def test_a_run_does_not_diff_or_rebalance_against_a_future_snapshot(watch_dir: Path) -> None:
    from support import edit_universe

    (watch_dir / "watchlist.toml").write_text(BASKET_WATCHLIST, encoding="utf-8")
    watchlist = load_watchlist(watch_dir / "watchlist.toml")
    state = watch_dir / "core-snapshots"
    first = run_watch(watchlist, state, now=T0)
    assert first.basket is not None and first.future == ()
    # One run on a machine whose clock is in 2027, on a different universe.
    original = (watch_dir / "universe.toml").read_text(encoding="utf-8")
    edit_universe(watch_dir / "universe.toml", shares={("005930.KS", "hbm"): 0.30},
                  private=("ENR.DE",))
    ahead = run_watch(watchlist, state, now=AHEAD)
    assert ahead.diff.entered  # that run did see changes
    (watch_dir / "universe.toml").write_text(original, encoding="utf-8")

    # The next run, back on time, on the first run's universe.
    later = run_watch(watchlist, state, now=T0 + dt.timedelta(days=1))
    assert later.previous_path == first.saved_path
    assert later.future == (ahead.saved_path,)
    assert later.previous is not None and later.previous.taken_at == T0
    assert not later.diff.baseline
    assert not later.diff.entered and not later.diff.left and not later.diff.alerts
    assert later.basket is not None and later.basket.turnover == pytest.approx(0.0)
    future_notes = [n for n in later.notes if "later than this run" in n]
    assert len(future_notes) == 1
    assert ahead.saved_path is not None and ahead.saved_path.name in future_notes[0]
    assert "2027-01-04 07:00:00 UTC" in future_notes[0]
    assert ahead.saved_path.exists()                # reported, left in place


def test_thesis_watch_reports_a_snapshot_from_the_future(watch_dir: Path, cli, monkeypatch
                                                         ) -> None:
    monkeypatch.chdir(watch_dir)
    assert cli("watch", "watchlist.toml").status == 0
    store = SnapshotStore(watch_dir / "core-snapshots", "core")
    (real,) = store.paths()
    genuine = store.load(real)
    # A snapshot from a clock ahead, in which everybody scored 100 more.
    rows = tuple(r.model_copy(update={"score": r.score + 100}) for r in genuine.companies)
    future = store.save(genuine.model_copy(update={
        "taken_at": dt.datetime.now(dt.UTC) + dt.timedelta(days=365), "companies": rows}))
    ran = cli("watch", "watchlist.toml", "--format", "json")
    assert ran.status == 0, ran.err
    assert f"note: the snapshot {future.name} is dated" in ran.err
    assert "not used as the baseline" in ran.err
    document = json.loads(ran.out)
    assert any(future.name in note for note in document["notes"])
    assert document["previous"]["path"].endswith(real.name)
    assert document["alerts"] == [] and document["moved"] == []
    text = cli("watch", "watchlist.toml")
    assert "first run" not in text.out and "score rose" not in text.out
    assert future.name in text.err
