"""Every priced path goes through ``screen(..., market=...)``: the result carries the
market attachment with its per-ticker status, whichever way the screen was asked for."""

from __future__ import annotations

import argparse
from pathlib import Path

import thesis_lib as tl
from thesis_lib.cli._screen import run_screen
from thesis_lib.market import FrameProvider
from thesis_lib.watch import load_watchlist, run_watch, screen_watchlist


def _expect_status(result: tl.ScreenResult) -> None:
    assert result.market is not None
    status = result.market.status
    assert set(status.index) == set(result.frame.index)
    assert status.loc[["MU", "NVDA", "TSM"], "status"].eq("ok").all()
    assert status.loc["ANTHROPIC", "status"] == "private"
    assert (status.loc["000660.KS", "status"] == "missing"
            and status.loc["000660.KS", "reason"])  # not in the small price file
    assert result.frame.loc["MU", "price"] > 0  # the frame the rules saw had the prices


def test_the_python_api(prices_csv: Path) -> None:
    provider = FrameProvider.from_file(prices_csv)
    with tl.market.collect_notes() as notes:
        result = tl.screen(tl.load_universe(), market=provider)
    _expect_status(result)
    assert result.universe is not None  # explain still names the figures
    assert any("000660.KS" in line for line in notes)


def test_the_command_line(prices_csv: Path, capsys) -> None:
    args = argparse.Namespace(universe=None, pack="one-layer-down", prices=str(prices_csv),
                              snapshot=None, since=None)
    screened = run_screen(args)
    _expect_status(screened.result)
    assert screened.priced and screened.result.universe is not None
    err = capsys.readouterr().err
    assert err.startswith("note: market data from ") and ": 3 ok," in err


def test_a_watchlist_with_prices(watch_dir: Path, prices_csv: Path) -> None:
    text = (watch_dir / "watchlist.toml").read_text(encoding="utf-8")
    (watch_dir / "watchlist.toml").write_text(
        text.replace("top = 10", f'top = 10\nprices = "{prices_csv.name}"'), encoding="utf-8")
    (watch_dir / prices_csv.name).write_bytes(prices_csv.read_bytes())
    watchlist = load_watchlist(watch_dir / "watchlist.toml")
    screened = screen_watchlist(watchlist, progress=False)
    _expect_status(screened.result)
    assert screened.market is screened.result.market
    assert screened.notes[0].startswith("market data from ")
    run = run_watch(watchlist, watch_dir / "state", save=False, progress=False)
    _expect_status(run.result)
    assert run.market is run.result.market


def test_the_attachment_carries_its_own_notes(prices_csv: Path) -> None:
    provider = FrameProvider.from_file(prices_csv)
    with tl.market.collect_notes():
        result = tl.screen(tl.load_universe(), market=provider)
    assert result.market is not None
    (note,) = result.market.notes
    assert "000660.KS" in note and "not ok" in note
    assert result.market.summary().startswith("market data from prices.csv as of ")
