"""One watchlist run: screen, compare with the last snapshot, save the new one."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from thesis_lib.errors import DataError, ThesisError
from thesis_lib.watch.diff import WatchDiff, compare
from thesis_lib.watch.model import Watchlist
from thesis_lib.watch.snapshot import (
    DEFAULT_KEEP,
    FUTURE_TOLERANCE,
    Pruned,
    Snapshot,
    SnapshotStore,
    check_keep,
)
from thesis_lib.watch.validate import basket_build_problems, excluding_rules

if TYPE_CHECKING:
    from thesis_lib.basket import Basket
    from thesis_lib.market import MarketAttachment
    from thesis_lib.rules import ScreenResult

__all__ = ["ScreenedWatchlist", "WatchRun", "default_state_dir", "run_watch",
           "screen_watchlist"]


@dataclass(frozen=True)
class WatchRun:
    """What :func:`run_watch` did.

    ``result`` is the screen, ``snapshot`` what was saved (at ``saved_path``, None when
    not saved), ``previous`` the snapshot compared with (at ``previous_path``), ``diff``
    the comparison, ``notes`` things worth telling the user (a damaged previous snapshot,
    a snapshot from the future, a changed pack, incomplete market data), one line each.
    ``future`` lists the snapshots dated later than this run (beyond
    :data:`~thesis_lib.watch.snapshot.FUTURE_TOLERANCE`), newest first: written with a
    clock ahead, they were not used as the baseline, neither for the diff nor for the
    basket's rebalance.

    ``keep`` is how many snapshots of this watchlist the run kept (the newest, this one
    included); ``pruned`` lists the older ones it removed after saving, oldest first.

    ``basket`` is the :class:`~thesis_lib.basket.Basket` built from the screen when the
    watchlist has a ``[basket]`` table (None otherwise); it was rebalanced from the
    previous snapshot's weights when that snapshot had some, and then has
    :attr:`~thesis_lib.basket.Basket.trades` and :attr:`~thesis_lib.basket.Basket.turnover`.
    """

    watchlist: Watchlist
    result: ScreenResult
    snapshot: Snapshot
    diff: WatchDiff
    previous: Snapshot | None
    previous_path: Path | None
    saved_path: Path | None
    notes: tuple[str, ...]
    market: MarketAttachment | None = None
    basket: Basket | None = None
    future: tuple[Path, ...] = ()
    keep: int = DEFAULT_KEEP
    pruned: tuple[Path, ...] = ()

    @property
    def fired(self) -> bool:
        return self.diff.fired


def default_state_dir(watchlist: Watchlist) -> Path:
    """``<watchlist folder>/<id>-snapshots``: where snapshots go unless told otherwise."""
    return watchlist.base_dir / f"{watchlist.id}-snapshots"


@dataclass(frozen=True)
class ScreenedWatchlist:
    """A watchlist's screen: the result (with ``.market`` when it names prices) and the
    notes on its market data (a summary and the warnings), one line each."""

    result: ScreenResult
    notes: tuple[str, ...] = ()

    @property
    def market(self) -> MarketAttachment | None:
        return self.result.market


def screen_watchlist(watchlist: Watchlist, *, progress: bool | None = None
                     ) -> ScreenedWatchlist:
    """Screen a watchlist's universe with its pack (and prices, if it names a source).

    Raises if the universe or the pack cannot be loaded, or if the watchlist names
    tickers or gates they lack.
    """
    from thesis_lib.loading import load_universe
    from thesis_lib.pipeline import screen
    from thesis_lib.rules import load_pack

    file = str(watchlist.file) if watchlist.file else None
    try:
        universe = load_universe(watchlist.universe_source())
    except ThesisError as exc:
        raise type(exc)([p.located(file=file, item="universe") for p in exc.problems]) \
            from None
    try:
        pack = load_pack(watchlist.pack_source())
    except ThesisError as exc:
        raise type(exc)([p.located(file=file, item="pack") for p in exc.problems]) from None
    problems = watchlist.reference_problems(universe.tickers, [r.id for r in pack.rules],
                                            excluding_rules(pack))
    if problems:
        raise DataError(problems)
    if watchlist.prices is None:
        return ScreenedWatchlist(screen(universe, pack))
    from thesis_lib.market import collect_notes, price_provider

    spec = watchlist.prices
    source = spec.source if spec.source == "yfinance" else watchlist.resolve(spec.source)
    snapshot = watchlist.resolve(spec.snapshot) if spec.snapshot else None
    provider = price_provider(source, snapshot=snapshot)
    with collect_notes() as notes:
        result = screen(universe, pack, market=provider, since=spec.since, progress=progress)
    summary = [result.market.summary()] if result.market is not None else []
    return ScreenedWatchlist(result, (*summary, *notes))


def run_watch(
    watchlist: Watchlist,
    state_dir: str | os.PathLike[str] | None = None,
    *,
    now: dt.datetime | None = None,
    save: bool = True,
    progress: bool | None = None,
    keep: int | None = None,
) -> WatchRun:
    """Screen ``watchlist``, compare with its newest snapshot and save a new one.

    - ``state_dir``: the snapshot folder (:func:`default_state_dir` by default). It is
      checked for writing before any work, and nothing is written if the run fails.
    - A damaged newest snapshot is reported in ``notes`` and left in place; the run
      then starts a new baseline (no diff, no alerts).
    - The baseline is the newest snapshot by recorded time that is not dated after the
      run (``now``, the current UTC time by default); snapshots from the future are
      reported in ``notes`` and ``future`` and left in place, never compared with.
    - ``save=False`` compares without saving; ``now`` sets the snapshot's time.
    - ``keep`` (the watchlist's ``keep`` by default, 100 unless it says otherwise): after a
      successful save, this watchlist's oldest snapshots beyond the newest ``keep`` are
      removed (:meth:`SnapshotStore.prune`); never the one just saved, an unreadable
      snapshot, a snapshot from the future, or another watchlist's files. A bad
      ``keep`` (0, negative, not a whole number) raises :class:`DataError` before any work.
    """
    file = str(watchlist.file) if watchlist.file else None
    keep = check_keep(watchlist.keep, file=file) if keep is None else check_keep(keep)
    store = SnapshotStore(state_dir if state_dir is not None else default_state_dir(watchlist),
                          watchlist.id)
    if save:
        store.ensure_writable()
    screened = screen_watchlist(watchlist, progress=progress)
    result, market, notes = screened.result, screened.market, list(screened.notes)
    taken_at = now if now is not None else dt.datetime.now(dt.UTC)
    if taken_at.tzinfo is None:
        taken_at = taken_at.replace(tzinfo=dt.UTC)
    previous: Snapshot | None = None
    previous_path: Path | None = None
    future: tuple[Path, ...] = ()
    unreadable: list[Path] = []
    try:
        found = store.baseline(taken_at)
    except ThesisError as exc:
        previous_path = store.latest_path(taken_at)
        unreadable += [previous_path] if previous_path is not None else []
        future = tuple(p for p in reversed(store.paths()) if p != previous_path
                       and _after(store.time_of(p), taken_at))
        notes.append(f"the previous snapshot is unreadable and was left in place ({exc}); "
                     "starting a new baseline")
    else:
        previous_path, previous, future = found.path, found.snapshot, found.future
    notes += [_future_note(store, path, taken_at) for path in future]
    basket = _build_basket(watchlist, result, previous, notes)
    snapshot = Snapshot.from_result(
        result, watchlist=watchlist.id, top=watchlist.top, taken_at=taken_at,
        universe=watchlist.universe,
        prices=watchlist.prices.source if watchlist.prices else None, basket=basket)
    if previous is not None:
        if (previous.pack, previous.pack_version) != (snapshot.pack, snapshot.pack_version):
            notes.append(f"the pack changed since the previous snapshot ({previous.pack} "
                         f"v{previous.pack_version} -> {snapshot.pack} "
                         f"v{snapshot.pack_version}); some moves may come from that")
        if previous.universe != snapshot.universe:
            notes.append(f"the universe changed since the previous snapshot "
                         f"({previous.universe} -> {snapshot.universe})")
    diff = compare(previous, snapshot, watchlist)
    saved = store.save(snapshot) if save else None
    pruned = Pruned()
    if saved is not None:
        pruned = store.prune(keep, now=taken_at, protect=[saved, *future, *unreadable])
        notes += [f"could not remove the old snapshot {path.name} ({why}); it is left in "
                  f"place" for path, why in pruned.failed]
    return WatchRun(watchlist=watchlist, result=result, snapshot=snapshot, diff=diff,
                    previous=previous, previous_path=previous_path, saved_path=saved,
                    notes=tuple(notes), market=market, basket=basket, future=future,
                    keep=keep, pruned=pruned.removed)


def _after(when: dt.datetime | None, now: dt.datetime) -> bool:
    return when is not None and when > now + FUTURE_TOLERANCE


def _future_note(store: SnapshotStore, path: Path, now: dt.datetime) -> str:
    when = store.time_of(path)
    dated = (f"is dated {when:%Y-%m-%d %H:%M:%S} UTC" if when is not None
             and _after(when, now) else "records a taken_at")
    return (f"the snapshot {path.name} {dated}, later than this run "
            f"({now.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC): written with a clock ahead, "
            f"it was not used as the baseline; check the clock, then move it out of "
            f"{store.directory}")


def _build_basket(watchlist: Watchlist, result: ScreenResult, previous: Snapshot | None,
                  notes: list[str]) -> Basket | None:
    """The watchlist's basket (None without a ``[basket]`` table), rebalanced from the
    previous snapshot's weights when it has some. A failed build raises, located in the
    watchlist's ``[basket]`` table."""
    rules = watchlist.basket
    if rules is None:
        return None
    from thesis_lib.basket import build_basket

    held = previous.basket if previous is not None else None
    if previous is not None and held is None:
        notes.append("the previous snapshot has no basket weights; this basket is a new "
                     "start, with no trades to report")
    elif held is not None and held.rules and held.rules != rules.describe():
        notes.append(f"the basket rules changed since the previous snapshot ({held.rules} "
                     f"-> {rules.describe()}); some trades may come from that")
    try:
        return build_basket(result, rules, previous=held.weights if held else None)
    except ThesisError as exc:
        raise type(exc)(basket_build_problems(exc, watchlist)) from None
