"""Scripted watchlists: screen on a schedule, compare with the last run, alert on changes.

A watchlist is a TOML file::

    # my-watchlist.toml
    id = "core"                       # names the snapshot files (default: the file name)
    description = "One layer down, top 10"
    universe = "ai-compute-2026"      # a built-in universe, or a file (relative to this one)
    pack = "one-layer-down"           # a built-in pack, or a file (relative to this one)
    top = 10                          # how many names to track
    always_show = ["NVDA", "MU"]      # shown (and tracked for moves) wherever they rank
    keep = 100                        # snapshots to keep (the newest; default 100)

    [prices]                          # optional; `prices = "yfinance"` is short for this
    source = "data/prices.csv"        # "yfinance" (needs the market extra) or a price file
    snapshot = "data/snapshot.csv"    # optional, files only: currency, shares, P/E per ticker
    since = 2026-05-07                # optional: start date of the return_since column

    [[alerts]]
    id = "micron-breaks-out"          # optional; shown when the alert fires
    kind = "score_crosses"            # the score crosses `threshold`
    ticker = "MU"                     # a ticker, or "any" (the default)
    threshold = 5.0
    direction = "up"                  # up | down | either (default)

    [[alerts]]
    kind = "rank_moves"               # the rank changes by at least `min_change` places
    min_change = 5
    direction = "either"              # up (towards rank 1) | down | either

    [[alerts]]
    kind = "enters_top"               # a name enters the top `n` (default: `top`)
    n = 5

    [[alerts]]
    kind = "leaves_top"               # a name leaves the top `n` (dropped, excluded, gone)

    [[alerts]]
    kind = "gate_starts"              # gate `gate` (a rule id, or "any") starts excluding
    gate = "listed"

    [[alerts]]
    kind = "gate_stops"               # ... or stops excluding a name

    [basket]                          # optional: a basket built from the screen each run
    top_n = 10                        # the fields of thesis_lib.basket.BasketRules
    layer_cap = 0.35
    buffer = 2

Every alert takes an optional ``id`` and ``ticker``. Unknown keys are errors, and so
are tickers and gates the universe and pack do not have (``thesis validate`` lists
every problem at once).

A run (:func:`run_watch`, or ``thesis watch FILE``) screens, compares with the newest
snapshot in the state folder (``<id>-snapshots`` next to the file unless told
otherwise), and saves a new snapshot (:class:`SnapshotStore`: one JSON file per run,
named by its UTC time, written atomically and never overwritten; a failed run writes
nothing). After saving, it removes the watchlist's oldest snapshots beyond the newest
``keep`` (``thesis watch --keep N`` overrides the file): never the one just saved, an
unreadable one it reported, one dated in the future, or another watchlist's files.
The first run is a baseline: nothing to compare, no alerts. A damaged newest
snapshot is reported, left in place, and the run starts a new baseline. The newest
snapshot is the one with the latest recorded time (the UTC time in its name, its
``taken_at``); a snapshot dated after the run (by more than five minutes) was written
with a clock ahead: it is reported in the run's notes, left in place, and never used as
the baseline, neither for the diff nor for the basket's rebalance.

With a ``[basket]`` table (the schema of :class:`~thesis_lib.basket.BasketRules`) each run
also builds the basket from the screen, rebalancing from the weights saved in the previous
snapshot (so the buffer applies and the run reports the trades, added, removed and
reweighted names, and the one-way turnover), and saves the new weights in its snapshot.
A previous snapshot without weights (an older file, or one taken before the table was
added) means there is no previous basket: the new one is a fresh start.

The diff (:class:`WatchDiff`) lists who **entered** and **left** the top N, who
**moved** (other tracked names whose rank or score changed, old -> new), tickers added
to or removed from the universe, and the **alerts** that fired.

``thesis watch`` exits with status 0 when it ran and no alert fired, 3 when it ran and
alerts fired (``--no-fail-on-alert`` makes that 0 too), 1 when it could not run (a bad
file, an unwritable state folder, failed market data) and 2 for bad command-line usage.
"""

from thesis_lib.watch.diff import Change, FiredAlert, WatchDiff, compare
from thesis_lib.watch.model import (
    ALERT_KINDS,
    Alert,
    EntersTop,
    GateStarts,
    GateStops,
    LeavesTop,
    PriceSource,
    RankMoves,
    ScoreCrosses,
    Watchlist,
)
from thesis_lib.watch.parse import load_watchlist, parse_watchlist
from thesis_lib.watch.run import WatchRun, default_state_dir, run_watch, screen_watchlist
from thesis_lib.watch.snapshot import (
    DEFAULT_KEEP,
    Baseline,
    Pruned,
    Snapshot,
    SnapshotBasket,
    SnapshotRow,
    SnapshotStore,
)
from thesis_lib.watch.validate import validate_watchlist, watchlist_problems

__all__ = [
    "ALERT_KINDS",
    "DEFAULT_KEEP",
    "Alert",
    "Baseline",
    "Change",
    "EntersTop",
    "FiredAlert",
    "GateStarts",
    "GateStops",
    "LeavesTop",
    "PriceSource",
    "Pruned",
    "RankMoves",
    "ScoreCrosses",
    "Snapshot",
    "SnapshotBasket",
    "SnapshotRow",
    "SnapshotStore",
    "WatchDiff",
    "WatchRun",
    "Watchlist",
    "compare",
    "default_state_dir",
    "load_watchlist",
    "parse_watchlist",
    "run_watch",
    "screen_watchlist",
    "validate_watchlist",
    "watchlist_problems",
]
