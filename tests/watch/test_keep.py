"""Watch keeps the last N snapshots: `keep = N` in the watchlist, `thesis watch --keep N`
(the flag wins), 100 by default. After a successful save the oldest of THIS watchlist's
snapshots beyond N are removed: never the one just written, an unreadable one the run
reported, a snapshot from the future, or another watchlist's files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from thesis_lib.errors import DataError
from thesis_lib.watch import (
    DEFAULT_KEEP,
    Snapshot,
    SnapshotRow,
    SnapshotStore,
    Watchlist,
    load_watchlist,
    run_watch,
)

T0 = dt.datetime(2026, 5, 19, 7, 0, tzinfo=dt.UTC)
AHEAD = dt.datetime(2027, 1, 4, 7, 0, tzinfo=dt.UTC)


def _snap(watchlist: str, when: dt.datetime) -> Snapshot:
    return Snapshot(watchlist=watchlist, taken_at=when, top=1, companies=(
        SnapshotRow(ticker="A", name="A", score=1.0, rank=1, passed=True),))


def _days(n: int) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def _names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


# -- the store -----------------------------------------------------------------------------
def test_prune_removes_exactly_the_oldest_beyond_n_of_this_watchlist_only(tmp_path: Path):
    store = SnapshotStore(tmp_path, "core")
    mine = [store.save(_snap("core", _days(i))) for i in range(6)]
    twin = store.save(_snap("core", _days(5)))            # same second: core-...Z-2.json
    assert twin.name.endswith("Z-2.json")
    others = [SnapshotStore(tmp_path, name).save(_snap(name, _days(i)))
              for name in ("core-b", "other") for i in range(3)]
    odd = tmp_path / "core-20261301T000000Z.json"           # no real time: not ours
    odd.write_text("{}", encoding="utf-8")
    (tmp_path / "notes.json").write_text("{}", encoding="utf-8")
    before = _names(tmp_path)

    pruned = store.prune(3, now=_days(10), protect=[twin])

    assert pruned.removed == tuple(mine[:4]) and pruned.failed == ()
    assert store.paths() == [mine[4], mine[5], twin, odd]
    assert _names(tmp_path) == before - {p.name for p in mine[:4]}
    assert all(p.exists() for p in others)
    # Nothing more to do the second time.
    assert store.prune(3, now=_days(10)).removed == ()


def test_prune_never_removes_or_counts_snapshots_from_the_future(tmp_path: Path):
    store = SnapshotStore(tmp_path, "core")
    old = [store.save(_snap("core", _days(i))) for i in range(4)]
    ahead = store.save(_snap("core", AHEAD))
    pruned = store.prune(2, now=_days(5))
    assert pruned.removed == tuple(old[:2])
    assert ahead.exists() and old[2].exists() and old[3].exists()
    # keep 1 leaves the newest dated one and the future one.
    assert store.prune(1, now=_days(5)).removed == (old[2],)
    assert store.paths() == [old[3], ahead]


def test_protected_files_are_kept_and_count_among_the_kept(tmp_path: Path):
    store = SnapshotStore(tmp_path, "core")
    paths = [store.save(_snap("core", _days(i))) for i in range(5)]
    pruned = store.prune(2, now=_days(9), protect=[paths[0]])
    assert pruned.removed == (paths[1], paths[2], paths[3])
    assert store.paths() == [paths[0], paths[4]]


def test_a_file_that_cannot_be_removed_is_reported_not_raised(tmp_path: Path, monkeypatch):
    store = SnapshotStore(tmp_path, "core")
    paths = [store.save(_snap("core", _days(i))) for i in range(3)]
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self == paths[0]:
            raise PermissionError(13, "Permission denied")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    pruned = store.prune(1, now=_days(5))
    assert pruned.removed == (paths[1],)
    assert pruned.failed == ((paths[0], "Permission denied"),)
    assert paths[0].exists() and paths[2].exists()


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "3", None])
def test_a_bad_keep_is_a_data_error(tmp_path: Path, bad: object):
    store = SnapshotStore(tmp_path, "core")
    path = store.save(_snap("core", T0))
    with pytest.raises(DataError) as caught:
        store.prune(bad, now=_days(1))  # type: ignore[arg-type]
    assert caught.value.field == "keep" and "1 or more" in (caught.value.hint or "")
    assert path.exists()


# -- the watchlist file ----------------------------------------------------------------------
def test_the_default_is_documented_and_100():
    assert DEFAULT_KEEP == 100 and Watchlist(id="w").keep == 100
    docs = (Path(__file__).resolve().parents[2] / "docs" / "command-line.md").read_text(
        encoding="utf-8")
    assert "--keep N" in docs and "keep = " in docs and "100" in docs


def _watchlist(watch_dir: Path, keep: str) -> Path:
    path = watch_dir / "watchlist.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("top = 10\n", f"top = 10\nkeep = {keep}\n"), encoding="utf-8")
    return path


@pytest.mark.parametrize(("value", "message"), [("0", "greater than or equal to 1"),
                                                ("-3", "greater than or equal to 1"),
                                                ('"3"', "integer"), ("2.5", "integer")])
def test_a_bad_keep_in_the_file_is_located_with_a_hint(watch_dir: Path, value: str,
                                                      message: str):
    path = _watchlist(watch_dir, value)
    with pytest.raises(DataError) as caught:
        load_watchlist(path)
    problem = caught.value.problem
    assert problem.field == "keep" and problem.file == str(path)
    assert message in problem.message
    assert problem.hint in ("how many snapshots to keep: a whole number, 1 or more "
                            "(default 100)", "write a whole number")


# -- runs --------------------------------------------------------------------------------
def test_runs_keep_the_newest_n_and_leave_other_watchlists_alone(watch_dir: Path):
    wl = load_watchlist(_watchlist(watch_dir, "2"))
    state = watch_dir / "state"
    other = SnapshotStore(state, "other")
    theirs = [other.save(_snap("other", _days(-10 + i))) for i in range(4)]
    runs = [run_watch(wl, state, now=_days(i)) for i in range(4)]
    assert [len(r.pruned) for r in runs] == [0, 0, 1, 1]
    assert runs[2].pruned == (runs[0].saved_path,)
    assert runs[3].pruned == (runs[1].saved_path,)
    assert all(r.keep == 2 for r in runs)
    assert SnapshotStore(state, "core").paths() == [runs[2].saved_path, runs[3].saved_path]
    assert all(p.exists() for p in theirs)
    # The baseline of the last run was the previous snapshot, still there when compared.
    assert runs[3].previous_path == runs[2].saved_path


def test_keep_argument_overrides_the_file_and_no_save_prunes_nothing(watch_dir: Path):
    wl = load_watchlist(_watchlist(watch_dir, "5"))
    state = watch_dir / "state"
    for i in range(3):
        run_watch(wl, state, now=_days(i))
    unsaved = run_watch(wl, state, now=_days(3), keep=1, save=False)
    assert unsaved.pruned == () and len(SnapshotStore(state, "core").paths()) == 3
    run = run_watch(wl, state, now=_days(4), keep=1)
    assert len(run.pruned) == 3 and SnapshotStore(state, "core").paths() == [run.saved_path]
    with pytest.raises(DataError, match="keep must be 1 or more"):
        run_watch(wl, state, now=_days(5), keep=0)
    assert SnapshotStore(state, "core").paths() == [run.saved_path]  # nothing written


def test_a_run_keeps_snapshots_from_the_future(watch_dir: Path):
    wl = load_watchlist(watch_dir / "watchlist.toml")
    state = watch_dir / "state"
    store = SnapshotStore(state, "core")
    first = run_watch(wl, state, now=_days(0)).saved_path
    # A snapshot from the future renamed to look old: found by its taken_at.
    renamed = state / "core-20260519T080000Z.json"
    renamed.write_text(_snap("core", AHEAD).to_json(), encoding="utf-8")
    second = run_watch(wl, state, now=_days(1)).saved_path
    run = run_watch(wl, state, now=_days(3), keep=1)
    # The baseline (day 1) is newer by name, so only pruning reads the renamed file.
    assert run.previous_path == second and run.future == ()
    assert run.pruned == (first, second)
    assert store.paths() == [renamed, run.saved_path]


def test_a_run_keeps_unreadable_snapshots_and_future_ones_it_could_not_see(watch_dir: Path):
    wl = load_watchlist(watch_dir / "watchlist.toml")
    state = watch_dir / "state"
    store = SnapshotStore(state, "core")
    first = run_watch(wl, state, now=_days(0)).saved_path
    renamed = state / "core-20260519T080000Z.json"
    renamed.write_text(_snap("core", AHEAD).to_json(), encoding="utf-8")
    old_damaged = state / "core-20260518T070000Z.json"
    old_damaged.write_text("{", encoding="utf-8")
    damaged = state / "core-20260521T070000Z.json"
    damaged.write_text('{"format": "thesis-watch-snapshot", "broken', encoding="utf-8")
    foreign = state / "core-20260520T070000Z.json"          # named as ours, is another's
    foreign.write_text(_snap("other", _days(1)).to_json(), encoding="utf-8")
    run = run_watch(wl, state, now=_days(3), keep=1)
    assert any("unreadable" in note for note in run.notes)
    assert run.pruned == (first,)
    assert store.paths() == [old_damaged, renamed, foreign, damaged, run.saved_path]


# -- the command line --------------------------------------------------------------------------
def test_cli_keep_flag_overrides_the_file_and_says_how_many(cli, watch_dir: Path):
    path = _watchlist(watch_dir, "3")
    state = watch_dir / "state"
    for _ in range(3):
        ran = cli("watch", str(path), "--state", str(state), "--no-fail-on-alert")
        assert ran.status == 0, ran.err
        assert "removed" not in ran.out
    store = SnapshotStore(state, "core")
    assert len(store.paths()) == 3
    ran = cli("watch", str(path), "--state", str(state), "--keep", "1",
              "--no-fail-on-alert")
    assert ran.status == 0, ran.err
    assert "removed 3 old snapshots of core (keeping the newest 1)" in ran.out
    assert len(store.paths()) == 1
    ran = cli("watch", str(path), "--state", str(state), "--keep", "1", "--format", "json",
              "--no-fail-on-alert")
    doc = json.loads(ran.out)
    assert doc["keep"] == 1 and len(doc["pruned"]) == 1
    assert store.paths() == [Path(doc["saved"])]
    assert not Path(doc["pruned"][0]).exists()


@pytest.mark.parametrize("bad", ["0", "-2", "many"])
def test_cli_bad_keep_is_a_usage_error(cli, watch_dir: Path, bad: str):
    state = watch_dir / "state"
    ran = cli("watch", str(watch_dir / "watchlist.toml"), "--state", str(state),
              "--keep", bad)
    assert ran.status == 2
    assert "--keep" in ran.err
    assert not state.exists()
