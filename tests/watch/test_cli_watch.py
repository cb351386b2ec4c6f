"""`thesis watch`: diffs between runs, alerts and exit codes, and snapshots that survive."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest
from support import edit_universe, run_subprocess

from thesis_lib.watch import SnapshotStore, load_watchlist
from thesis_lib.watch import snapshot as snapshot_module


def _store(watch_dir: Path) -> SnapshotStore:
    return SnapshotStore(watch_dir / "core-snapshots", "core")


def test_two_runs_with_a_modified_universe_show_entered_left_moved_and_alerts(watch_dir):
    first = run_subprocess("watch", "watchlist.toml", cwd=watch_dir)
    assert first.status == 0, first.err
    assert "first run: this snapshot is the baseline" in first.out
    assert "alerts fired" not in first.out
    assert len(_store(watch_dir).paths()) == 1

    # Samsung's HBM share rises tenfold; Siemens Energy (rank 10) goes private; Hitachi
    # (rank 9) leaves the universe.
    edit_universe(watch_dir / "universe.toml", shares={("005930.KS", "hbm"): 0.30},
                  private=("ENR.DE",), drop=("6501.T",))
    second = run_subprocess("watch", "watchlist.toml", cwd=watch_dir)
    assert second.status == 3, second.err
    out = second.out
    entered = out[out.index("entered the top 10:"):out.index("left the top 10:")]
    assert "+ 005930.KS" in entered and "rank 16 -> 7" in entered
    assert "+ HUBB" in entered and "rank 11 -> 10" in entered
    left = out[out.index("left the top 10:"):out.index("moved:")]
    assert "- ENR.DE" in left and "(excluded by listed)" in left
    assert "- 6501.T" in left and "(gone from the universe)" in left
    moved = out[out.index("moved:"):out.index("alerts fired")]
    assert "MRVL" in moved and "rank 7 -> 8" in moved
    assert "MU " in moved and "rank 8 -> 9" in moved
    assert "NVDA" in moved and "rank 45 -> 43" in moved   # always shown, so tracked
    assert "gone from the universe: 6501.T" in out
    alerts = out[out.index("alerts fired"):]
    assert "samsung-breaks-out: 005930.KS score rose through 6: +4.81 -> +7.42" in alerts
    assert "big-move: 005930.KS moved up 9 places: rank 16 -> 7" in alerts
    assert "went-private: ENR.DE is now excluded by 'listed' (was rank 10)" in alerts
    assert "dropped: ENR.DE left the top 10: was rank 10, excluded by listed" in alerts
    assert "dropped: 6501.T left the top 10: was rank 9, gone from the universe" in alerts
    assert "new-top-3" not in alerts  # Samsung enters at 7, not the top 3
    assert all(len(line) <= 100 for line in out.splitlines())
    assert len(_store(watch_dir).paths()) == 2


def test_no_fail_on_alert_and_json_output(watch_dir, cli, monkeypatch):
    monkeypatch.chdir(watch_dir)
    assert cli("watch", "watchlist.toml").status == 0
    edit_universe(watch_dir / "universe.toml", shares={("005930.KS", "hbm"): 0.30})
    ran = cli("watch", "watchlist.toml", "--format", "json", "--no-fail-on-alert")
    assert ran.status == 0
    doc = json.loads(ran.out)
    assert doc["exit_status"] == 0 and doc["baseline"] is False
    assert [c["ticker"] for c in doc["entered"]] == ["005930.KS"]
    assert doc["entered"][0]["old_rank"] == 16
    assert {a["id"] for a in doc["alerts"]} == {"samsung-breaks-out", "big-move", "dropped"}
    assert doc["previous"]["path"].endswith(".json")
    assert Path(doc["saved"]).is_file()
    assert {r["ticker"] for r in doc["shown"]} >= {"NVDA", "MU"}


def test_an_unchanged_run_exits_zero_and_says_so(watch_dir, cli, monkeypatch):
    monkeypatch.chdir(watch_dir)
    cli("watch", "watchlist.toml")
    ran = cli("watch", "watchlist.toml", "--format", "markdown")
    assert ran.status == 0
    assert "No changes in the top 10." in ran.out and "None fired." in ran.out


def test_a_corrupted_previous_snapshot_starts_a_new_baseline_and_is_kept(watch_dir, cli):
    wl = str(watch_dir / "watchlist.toml")
    cli("watch", wl)
    bad = _store(watch_dir).paths()[-1]
    bad.write_text('{"format": "thesis-watch-snapshot", "companies": [', encoding="utf-8")
    ran = cli("watch", wl)
    assert ran.status == 0
    assert "previous snapshot is unreadable" in ran.err and bad.name in ran.err
    assert "not valid JSON" in ran.err and "starting a new baseline" in ran.err
    assert "first run: this snapshot is the baseline" in ran.out
    assert "Traceback" not in ran.err
    paths = _store(watch_dir).paths()
    assert bad in paths and len(paths) == 2          # kept, and a new baseline beside it
    assert bad.read_text(encoding="utf-8").endswith("[")
    # The next run compares with the new baseline, not the damaged file.
    again = cli("watch", wl)
    assert again.status == 0 and "compared with" in again.out and "unreadable" not in again.err


def test_a_snapshot_that_is_valid_json_but_not_a_snapshot_is_reported(watch_dir, cli):
    wl = str(watch_dir / "watchlist.toml")
    cli("watch", wl)
    _store(watch_dir).paths()[-1].write_text('{"format": "thesis-watch-snapshot", '
                                             '"watchlist": "core"}', encoding="utf-8")
    ran = cli("watch", wl)
    assert ran.status == 0 and "unreadable" in ran.err and "taken_at" in ran.err


def test_an_unwritable_state_directory_is_an_error_and_nothing_runs(watch_dir):
    blocker = watch_dir / "not-a-folder"
    blocker.write_text("a file where the state folder should be", encoding="utf-8")
    ran = run_subprocess("watch", "watchlist.toml", "--state", str(blocker / "state"),
                         cwd=watch_dir)
    assert ran.status == 1
    assert ran.out == ""
    assert "cannot create the state directory" in ran.err and "--state" in ran.err
    assert "Traceback" not in ran.err and len(ran.err.strip().splitlines()) == 1


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0,
                    reason="needs POSIX permissions and a non-root user")
def test_a_read_only_state_directory_is_an_error(watch_dir, cli):  # pragma: no cover
    state = watch_dir / "state"
    state.mkdir()
    state.chmod(0o500)
    try:
        ran = cli("watch", str(watch_dir / "watchlist.toml"), "--state", str(state))
    finally:
        state.chmod(0o700)
    assert ran.status == 1 and "cannot write in the state directory" in ran.err


def test_a_write_failing_midway_leaves_the_previous_snapshot_intact(watch_dir, cli,
                                                                     monkeypatch):
    wl = str(watch_dir / "watchlist.toml")
    cli("watch", wl)
    store = _store(watch_dir)
    (previous,) = store.paths()
    before = previous.read_bytes()

    real = snapshot_module._write_temp

    def half_then_fail(directory: Path, base: str, text: str) -> Path:
        real(directory, base, text[: len(text) // 2])  # a partial temporary file...
        raise OSError(28, "No space left on device")  # ...then the disk fills up

    monkeypatch.setattr(snapshot_module, "_write_temp", half_then_fail)
    edit_universe(watch_dir / "universe.toml", shares={("MU", "hbm"): 0.60})
    ran = cli("watch", wl)
    assert ran.status == 1
    assert "cannot write the snapshot: No space left on device" in ran.err
    assert "previous snapshot is untouched" in ran.err
    assert store.paths() == [previous] and previous.read_bytes() == before
    # The next good run still compares with the last good snapshot.
    monkeypatch.setattr(snapshot_module, "_write_temp", real)
    ran = cli("watch", wl)
    assert ran.status == 3 and previous.name in ran.out


KILLER = textwrap.dedent("""\
    import os, signal, sys
    from thesis_lib.cli import main

    def killed(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)   # die between writing and publishing

    os.link = killed
    os.replace = killed
    sys.exit(main(sys.argv[1:]))
""")


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_a_run_killed_during_the_snapshot_write_leaves_the_last_one_readable(watch_dir, cli):
    wl = str(watch_dir / "watchlist.toml")
    cli("watch", wl)
    store = _store(watch_dir)
    (previous,) = store.paths()
    before = previous.read_bytes()
    edit_universe(watch_dir / "universe.toml", shares={("MU", "hbm"): 0.60})

    import subprocess

    proc = subprocess.run([sys.executable, "-c", KILLER, "watch", wl], capture_output=True,
                          text=True, timeout=60, check=False, env={**os.environ, "CI": "1"})
    assert proc.returncode == -9, proc.stderr
    assert store.paths() == [previous] and previous.read_bytes() == before
    assert store.load(previous).watchlist == "core"
    leftovers = [p for p in store.directory.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".core-")  # hidden, ignored

    ran = cli("watch", wl)
    assert ran.status == 3 and f"({previous.name})" in ran.out


def test_a_failed_run_writes_no_snapshot(watch_dir, cli):
    wl = watch_dir / "watchlist.toml"
    cli("watch", str(wl))
    wl.write_text(wl.read_text(encoding="utf-8").replace('pack = "one-layer-down"',
                                                         'pack = "one-layer-up"'),
                  encoding="utf-8")
    ran = cli("watch", str(wl))
    assert ran.status == 1
    assert "no built-in pack named 'one-layer-up'" in ran.err and "one-layer-down" in ran.err
    assert len(_store(watch_dir).paths()) == 1


def test_unknown_tickers_and_gates_in_a_watchlist_stop_the_run(watch_dir, cli):
    wl = watch_dir / "watchlist.toml"
    text = wl.read_text(encoding="utf-8").replace('["NVDA", "MU"]', '["NVDA", "MUU"]')
    wl.write_text(text.replace('gate = "listed"', 'gate = "lsited"'), encoding="utf-8")
    ran = cli("watch", str(wl))
    assert ran.status == 1
    assert "always_show[1]: unknown ticker 'MUU' (did you mean 'MU'?)" in ran.err
    assert "alert 'went-private': gate: unknown gate 'lsited' (did you mean 'listed'?)" \
        in ran.err
    assert not (watch_dir / "core-snapshots").exists() or not _store(watch_dir).paths()


def test_no_save_compares_without_writing(watch_dir, cli):
    wl = str(watch_dir / "watchlist.toml")
    cli("watch", wl)
    edit_universe(watch_dir / "universe.toml", shares={("MU", "hbm"): 0.60})
    ran = cli("watch", wl, "--no-save")
    assert ran.status == 3 and "saved" not in ran.out
    assert len(_store(watch_dir).paths()) == 1


def test_watch_with_a_price_file(watch_dir, cli, prices_csv):
    wl = watch_dir / "watchlist.toml"
    wl.write_text(wl.read_text(encoding="utf-8").replace(
        "top = 10", f'top = 10\nprices = "{prices_csv.name}"'), encoding="utf-8")
    (watch_dir / prices_csv.name).write_bytes(prices_csv.read_bytes())
    ran = cli("watch", str(wl))
    assert ran.status == 0, ran.err
    assert "note: market data from prices.csv" in ran.err
    snap = _store(watch_dir).load(_store(watch_dir).paths()[-1])
    assert snap.prices == "prices.csv"


def test_watch_help_documents_the_exit_status(cli):
    ran = cli("watch", "--help")
    assert ran.status == 0
    text = " ".join(ran.out.split())
    assert "0 ran, no alert fired" in text
    assert "3 ran, alerts fired (0 with --no-fail-on-alert)" in text
    assert "1 could not run" in text and "2 bad command-line usage" in text


def test_the_example_watchlist_runs(tmp_path, cli):
    example = Path(__file__).parents[2] / "examples" / "watchlist.toml"
    assert load_watchlist(example).id == "one-layer-down-top10"
    ran = cli("watch", str(example), "--state", str(tmp_path))
    assert ran.status == 0 and "baseline" in ran.out
    assert len(list(tmp_path.glob("one-layer-down-top10-*.json"))) == 1
