"""Comparing two snapshots: who entered or left the top N, who moved, which alerts fired."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from thesis_lib.watch.model import (
    ANY,
    EntersTop,
    GateStarts,
    GateStops,
    LeavesTop,
    RankMoves,
    ScoreCrosses,
    Watchlist,
)
from thesis_lib.watch.snapshot import Snapshot, SnapshotRow

__all__ = ["Change", "FiredAlert", "WatchDiff", "compare"]

#: Score changes smaller than this (half the last printed decimal) do not count as moves.
SCORE_EPSILON = 0.005


@dataclass(frozen=True)
class Change:
    """One company's rank and score before and after (None where it had none)."""

    ticker: str
    name: str
    old_rank: int | None
    new_rank: int | None
    old_score: float | None
    new_score: float | None
    note: str = ""

    @property
    def places(self) -> int | None:
        """Places gained (positive: towards rank 1); None unless ranked both times."""
        if self.old_rank is None or self.new_rank is None:
            return None
        return self.old_rank - self.new_rank

    def to_dict(self) -> dict[str, object]:
        return {"ticker": self.ticker, "name": self.name, "old_rank": self.old_rank,
                "new_rank": self.new_rank, "old_score": self.old_score,
                "new_score": self.new_score, "note": self.note}


@dataclass(frozen=True)
class FiredAlert:
    """An alert that fired: its ``id`` (None if it has none), ``kind``, a description of
    the ``rule``, the company, and a ``message`` saying what happened."""

    id: str | None
    kind: str
    rule: str
    ticker: str
    message: str

    def __str__(self) -> str:
        return f"{self.id}: {self.message}" if self.id else self.message

    def to_dict(self) -> dict[str, str | None]:
        return {"id": self.id, "kind": self.kind, "rule": self.rule, "ticker": self.ticker,
                "message": self.message}


@dataclass(frozen=True)
class WatchDiff:
    """What changed between two snapshots of a watchlist.

    - ``entered`` / ``left``: companies that entered or left the top ``top``;
    - ``moved``: other tracked companies (in the top ``top`` before or now, or in
      ``always_show``) whose rank or score changed;
    - ``added`` / ``removed``: tickers new to, or gone from, the universe;
    - ``alerts``: every alert that fired, in the order of the watchlist's alerts.

    ``baseline`` is True when there was no previous snapshot to compare with.
    """

    top: int
    baseline: bool
    entered: tuple[Change, ...] = ()
    left: tuple[Change, ...] = ()
    moved: tuple[Change, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    alerts: tuple[FiredAlert, ...] = ()

    @property
    def fired(self) -> bool:
        """True when at least one alert fired."""
        return bool(self.alerts)

    @property
    def changed(self) -> bool:
        return bool(self.entered or self.left or self.moved or self.added or self.removed)

    def to_dict(self) -> dict[str, object]:
        return {
            "top": self.top, "baseline": self.baseline,
            "entered": [c.to_dict() for c in self.entered],
            "left": [c.to_dict() for c in self.left],
            "moved": [c.to_dict() for c in self.moved],
            "added": list(self.added), "removed": list(self.removed),
            "alerts": [a.to_dict() for a in self.alerts],
        }


def _in_top(row: SnapshotRow | None, n: int) -> bool:
    return row is not None and row.rank is not None and row.rank <= n


def _change(ticker: str, old: SnapshotRow | None, new: SnapshotRow | None,
            note: str = "") -> Change:
    either = new if new is not None else old
    name = either.name if either is not None else ""
    return Change(ticker=ticker, name=name,
                  old_rank=old.rank if old else None, new_rank=new.rank if new else None,
                  old_score=old.score if old else None, new_score=new.score if new else None,
                  note=note)


def _why_out(new: SnapshotRow | None) -> str:
    if new is None:
        return "gone from the universe"
    if not new.passed:
        return "excluded by " + ", ".join(new.excluded_by) if new.excluded_by else "excluded"
    return ""


def compare(previous: Snapshot | None, current: Snapshot, watchlist: Watchlist) -> WatchDiff:
    """The :class:`WatchDiff` from ``previous`` to ``current`` (a baseline if None)."""
    n = watchlist.top
    if previous is None:
        return WatchDiff(top=n, baseline=True)
    old_rows, new_rows = previous.rows, current.rows
    entered = [
        _change(t, old_rows.get(t), row, "" if t in old_rows else "new in the universe")
        for t, row in new_rows.items()
        if _in_top(row, n) and not _in_top(old_rows.get(t), n)
    ]
    left = [
        _change(t, row, new_rows.get(t), _why_out(new_rows.get(t)))
        for t, row in old_rows.items()
        if _in_top(row, n) and not _in_top(new_rows.get(t), n)
    ]
    done = {c.ticker for c in (*entered, *left)}
    tracked = {r.ticker for r in (*previous.in_top(n), *current.in_top(n))}
    tracked |= set(watchlist.always_show)
    moved = []
    for ticker in current.tickers:
        if ticker in done or ticker not in tracked:
            continue
        old, new = old_rows.get(ticker), new_rows.get(ticker)
        if old is None or new is None:
            continue
        if old.rank != new.rank or abs(old.score - new.score) >= SCORE_EPSILON:
            moved.append(_change(ticker, old, new, _why_out(new)))
    entered.sort(key=lambda c: (c.new_rank or 0, c.ticker))
    left.sort(key=lambda c: (c.old_rank or 0, c.ticker))
    return WatchDiff(
        top=n,
        baseline=False,
        entered=tuple(entered),
        left=tuple(left),
        moved=tuple(moved),
        added=tuple(t for t in new_rows if t not in old_rows),
        removed=tuple(t for t in old_rows if t not in new_rows),
        alerts=tuple(_fire_all(previous, current, watchlist)),
    )


@dataclass(frozen=True)
class _Pairs:
    """The companies in both snapshots, in the current one's order, with their old and
    new scores and ranks as arrays (NaN for no rank), for the alerts over every company."""

    tickers: list[str]
    old_score: np.ndarray
    new_score: np.ndarray
    old_rank: np.ndarray
    new_rank: np.ndarray

    @classmethod
    def of(cls, old_rows: Mapping[str, SnapshotRow],
           new_rows: Mapping[str, SnapshotRow]) -> _Pairs:
        both = [(t, old_rows[t], row) for t, row in new_rows.items() if t in old_rows]
        nan = math.nan
        return cls(
            tickers=[t for t, _, _ in both],
            old_score=np.array([o.score for _, o, _ in both], dtype=np.float64),
            new_score=np.array([n.score for _, _, n in both], dtype=np.float64),
            old_rank=np.array([nan if o.rank is None else o.rank for _, o, _ in both],
                              dtype=np.float64),
            new_rank=np.array([nan if n.rank is None else n.rank for _, _, n in both],
                              dtype=np.float64))

    def watched(self, alert: ScoreCrosses | RankMoves) -> np.ndarray:
        """A mask of the companies ``alert`` watches."""
        if alert.ticker == ANY:
            return np.ones(len(self.tickers), dtype=bool)
        return np.array([t == alert.ticker for t in self.tickers], dtype=bool)


def _score_crossings(alert: ScoreCrosses, pairs: _Pairs) -> list[tuple[str, str]]:
    x = alert.threshold
    old, new = pairs.old_score, pairs.new_score
    up = (old < x) & (x <= new)
    down = (new < x) & (x <= old)
    keep = np.zeros(len(old), dtype=bool)
    if alert.direction in ("up", "either"):
        keep |= up
    if alert.direction in ("down", "either"):
        keep |= down
    out = []
    for i in np.flatnonzero(keep & pairs.watched(alert)):
        t = pairs.tickers[i]
        way = "rose through" if up[i] else "fell through"
        out.append((t, f"{t} score {way} {x:g}: {old[i]:+.2f} -> {new[i]:+.2f}"))
    return out


def _rank_moves(alert: RankMoves, pairs: _Pairs) -> list[tuple[str, str]]:
    with np.errstate(invalid="ignore"):
        places = pairs.old_rank - pairs.new_rank
        ranked = ~np.isnan(places)
        wanted = {"up": places > 0, "down": places < 0, "either": places != 0}[alert.direction]
        keep = ranked & wanted & (np.abs(places) >= alert.min_change)
    out = []
    for i in np.flatnonzero(keep & pairs.watched(alert)):
        t = pairs.tickers[i]
        moved = int(places[i])
        way = "up" if moved > 0 else "down"
        out.append((t, f"{t} moved {way} {abs(moved)} places: rank {int(pairs.old_rank[i])} "
                       f"-> {int(pairs.new_rank[i])}"))
    return out


def _fire_all(previous: Snapshot, current: Snapshot, watchlist: Watchlist) -> list[FiredAlert]:
    fired: list[FiredAlert] = []
    old_rows, new_rows = previous.rows, current.rows
    pairs: _Pairs | None = None
    gate_changes: list[tuple[str, SnapshotRow, SnapshotRow]] | None = None
    for alert in watchlist.alerts:
        rule = alert.describe()
        if isinstance(alert, EntersTop | LeavesTop):
            rule = rule.replace("top N", f"top {watchlist.top_n(alert)}")

        def out(ticker: str, message: str, alert_id: str | None = alert.id,
                kind: str = alert.kind, rule: str = rule) -> None:
            fired.append(FiredAlert(id=alert_id, kind=kind, rule=rule, ticker=ticker,
                                    message=message))

        if isinstance(alert, EntersTop | LeavesTop):
            n = watchlist.top_n(alert)
            # Only a company in the (new or old) top n can enter or leave it.
            tops = current.in_top(n) if isinstance(alert, EntersTop) else previous.in_top(n)
            tickers: Iterable[str] = [row.ticker for row in tops]
            for t in tickers:
                old, new = old_rows.get(t), new_rows.get(t)
                if not alert.applies_to(t):
                    continue
                if isinstance(alert, EntersTop):
                    if new is None or not _in_top(new, n) or _in_top(old, n):
                        continue
                    was = ("new in the universe" if old is None
                           else f"was rank {old.rank}" if old.rank else "was excluded")
                    out(t, f"{t} entered the top {n} at rank {new.rank} ({was})")
                elif old is not None and _in_top(old, n) and not _in_top(new, n):
                    now = _why_out(new) or (f"now rank {new.rank}" if new else "")
                    out(t, f"{t} left the top {n}: was rank {old.rank}, {now}")
            continue
        if isinstance(alert, ScoreCrosses | RankMoves):
            # Over every company: computed on whole columns, reported in screen order.
            pairs = pairs or _Pairs.of(old_rows, new_rows)
            found = (_score_crossings(alert, pairs) if isinstance(alert, ScoreCrosses)
                     else _rank_moves(alert, pairs))
            for t, message in found:
                out(t, message)
            continue
        if gate_changes is None:  # companies whose gate outcome changed, in screen order
            gate_changes = [(t, old_rows[t], new) for t, new in new_rows.items()
                            if t in old_rows and old_rows[t].excluded_by != new.excluded_by]
        for t, old, new in gate_changes:
            if not alert.applies_to(t):
                continue
            if isinstance(alert, GateStarts | GateStops):
                starts = isinstance(alert, GateStarts)
                before, after = set(old.excluded_by), set(new.excluded_by)
                changed = sorted(after - before) if starts else sorted(before - after)
                if alert.gate != ANY:
                    changed = [g for g in changed if g == alert.gate]
                for gate in changed:
                    if starts:
                        out(t, f"{t} is now excluded by {gate!r} (was "
                               f"{'rank ' + str(old.rank) if old.rank else 'excluded'})")
                    else:
                        still = f"still excluded by {', '.join(sorted(after))}" if after \
                            else f"now rank {new.rank}"
                        out(t, f"{t} is no longer excluded by {gate!r} ({still})")
    return fired
