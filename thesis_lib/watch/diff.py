"""Comparing two snapshots: who entered or left the top N, who moved, which alerts fired."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from thesis_lib._bulk import collection_paused
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
from thesis_lib.watch.snapshot import FIGURE_SEPARATOR, Snapshot, SnapshotRow

__all__ = ["Change", "FiredAlert", "WatchDiff", "compare", "figure_changes"]

#: Score changes smaller than this (half the last printed decimal) do not count as moves.
SCORE_EPSILON = 0.005


@dataclass(frozen=True)
class Change:
    """One company's rank and score before and after (None where it had none).

    ``figures`` says which of its figures changed between the two snapshots (an exposure
    or the financials revised or for a new period, a claim that now counts or no longer
    does), when both snapshots kept the figures (:attr:`Snapshot.figures`); empty
    otherwise, or when only other companies' figures or the weights moved it."""

    ticker: str
    name: str
    old_rank: int | None
    new_rank: int | None
    old_score: float | None
    new_score: float | None
    note: str = ""
    figures: tuple[str, ...] = ()

    @property
    def places(self) -> int | None:
        """Places gained (positive: towards rank 1); None unless ranked both times."""
        if self.old_rank is None or self.new_rank is None:
            return None
        return self.old_rank - self.new_rank

    def to_dict(self) -> dict[str, object]:
        return {"ticker": self.ticker, "name": self.name, "old_rank": self.old_rank,
                "new_rank": self.new_rank, "old_score": self.old_score,
                "new_score": self.new_score, "note": self.note,
                "figures": list(self.figures)}


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
            note: str = "", figures: tuple[str, ...] = ()) -> Change:
    either = new if new is not None else old
    name = either.name if either is not None else ""
    return Change(ticker=ticker, name=name,
                  old_rank=old.rank if old else None, new_rank=new.rank if new else None,
                  old_score=old.score if old else None, new_score=new.score if new else None,
                  note=note, figures=figures)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _period_change(what: str, old: list[str], new: list[str], amount: str) -> str:
    """``hbm exposure revised for the period to 2025-08-28: share 0.140 -> 0.160``."""
    if new[0] > old[0]:
        return f"{what}: new period to {new[0]}, {amount}"
    if new[0] == old[0]:
        return f"{what} revised for the period to {new[0]}: {amount}"
    return f"{what}: period to {new[0]} (was to {old[0]}), {amount}"


def figure_changes(old: dict[str, str] | None, new: dict[str, str] | None) -> tuple[str, ...]:
    """What changed between two sets of a company's figures (:func:`company_figures`),
    one line each: exposures, then financials, then claims. Empty when either is None."""
    if old is None or new is None or old == new:
        return ()
    sep = FIGURE_SEPARATOR
    lines: list[str] = []
    keys = sorted(set(old) | set(new), key=lambda k: (
        0 if k.startswith("exposure ") else 1 if k == "financials" else 2, k))
    for key in keys:
        was, now = old.get(key), new.get(key)
        if was == now:
            continue
        a = was.split(sep) if was is not None else []
        b = now.split(sep) if now is not None else []
        if key.startswith("exposure "):
            layer = key[len("exposure "):]
            if not a:
                lines.append(f"{layer} exposure new: share {_fmt(b[2])} (period to {b[0]})")
            elif not b:
                lines.append(f"{layer} exposure gone (was share {_fmt(a[2])})")
            else:
                amount = f"share {_fmt(a[2])} -> {_fmt(b[2])}"
                if a[3] != b[3]:
                    amount += f", AI part {_fmt(a[3])} -> {_fmt(b[3])}"
                lines.append(_period_change(f"{layer} exposure", a, b, amount))
        elif key == "financials":
            if not a:
                lines.append(f"financials new: revenue {_usd(b[2])} (period to {b[0]})")
            elif not b:
                lines.append(f"financials gone (was revenue {_usd(a[2])})")
            else:
                lines.append(_period_change("revenue", a, b,
                                            f"{_usd(a[2])} -> {_usd(b[2])}"))
        elif key.startswith("claim "):
            claim = key[len("claim "):]
            if not a:
                lines.append(f"new claim {claim} ({b[1]} {_fmt(b[2], 2)}, {b[0]})")
            elif not b:
                lines.append(f"claim {claim} no longer counts")
            else:
                lines.append(f"claim {claim} changed ({a[1]} {_fmt(a[2], 2)} -> "
                             f"{b[1]} {_fmt(b[2], 2)})")
    return tuple(lines)


def _fmt(text: str, digits: int = 3) -> str:
    value = _number(text)
    return text if value is None else f"{value:.{digits}f}"


def _usd(text: str) -> str:
    value = _number(text)
    return text if value is None else f"${value / 1e9:,.2f}bn"


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
    with collection_paused():
        return _compare(previous, current, watchlist)


def _compare(previous: Snapshot, current: Snapshot, watchlist: Watchlist) -> WatchDiff:
    n = watchlist.top
    pairs = _Pairs(previous, current)
    old_rows, new_rows = previous.companies, current.companies
    old_top, new_top = pairs.old_in_top(n), pairs.new_in_top(n)
    old_figures, new_figures = previous.figures, current.figures

    def figures(ticker: str) -> tuple[str, ...]:
        if old_figures is None or new_figures is None:
            return ()
        return figure_changes(old_figures.get(ticker), new_figures.get(ticker))

    entered = [
        _change(new_rows[i].ticker, pairs.old_row(i), new_rows[i],
                "" if pairs.old_at[i] >= 0 else "new in the universe",
                figures(new_rows[i].ticker))
        for i in np.flatnonzero(new_top & ~pairs.on_new(old_top, False)).tolist()
    ]
    left = [
        _change(old_rows[j].ticker, old_rows[j], pairs.new_row(j), _why_out(pairs.new_row(j)),
                figures(old_rows[j].ticker))
        for j in np.flatnonzero(old_top & ~pairs.on_old(new_top, False)).tolist()
    ]
    done = {c.ticker for c in (*entered, *left)}
    tracked = {r.ticker for r in (*previous.in_top(n), *current.in_top(n))}
    tracked |= set(watchlist.always_show)
    moved = []
    found = pairs.new_cols.tickers.get_indexer(sorted(tracked))
    for i in np.sort(found[found >= 0]):
        new, old = new_rows[i], pairs.old_row(i)
        if new.ticker in done or old is None:
            continue
        if old.rank != new.rank or abs(old.score - new.score) >= SCORE_EPSILON:
            moved.append(_change(new.ticker, old, new, _why_out(new), figures(new.ticker)))
    entered.sort(key=lambda c: (c.new_rank or 0, c.ticker))
    left.sort(key=lambda c: (c.old_rank or 0, c.ticker))
    return WatchDiff(
        top=n,
        baseline=False,
        entered=tuple(entered),
        left=tuple(left),
        moved=tuple(moved),
        added=tuple(pairs.new_cols.tickers[pairs.old_at < 0].tolist()),
        removed=tuple(pairs.old_cols.tickers[pairs.new_at < 0].tolist()),
        alerts=tuple(_fire_all(previous, current, watchlist, pairs)),
    )


class _Pairs:
    """Two snapshots lined up: where each company of one sits in the other (-1 where it
    is absent), and the companies in both, in the current one's order, with their old
    and new scores and ranks as arrays (NaN for no rank), for alerts over every company."""

    def __init__(self, previous: Snapshot, current: Snapshot) -> None:
        self.previous, self.current = previous, current
        self.old_cols, self.new_cols = previous.columns, current.columns
        self.old_at = self.old_cols.tickers.get_indexer(self.new_cols.tickers)
        self.new_at = self.new_cols.tickers.get_indexer(self.old_cols.tickers)
        self.both = np.flatnonzero(self.old_at >= 0)  # positions in the current snapshot
        self.tickers = self.new_cols.tickers[self.both].to_numpy(dtype=object)
        self.old_score = self.old_cols.score[self.old_at[self.both]]
        self.new_score = self.new_cols.score[self.both]
        self.old_rank = self.old_cols.rank[self.old_at[self.both]]
        self.new_rank = self.new_cols.rank[self.both]

    def old_row(self, i: int) -> SnapshotRow | None:
        """The previous row of the company at position ``i`` of the current snapshot."""
        j = self.old_at[i]
        return None if j < 0 else self.previous.companies[j]

    def new_row(self, j: int) -> SnapshotRow | None:
        """The current row of the company at position ``j`` of the previous snapshot."""
        i = self.new_at[j]
        return None if i < 0 else self.current.companies[i]

    def old_in_top(self, n: int) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.asarray(self.old_cols.rank <= n)

    def new_in_top(self, n: int) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.asarray(self.new_cols.rank <= n)

    def on_new(self, old_values: np.ndarray, missing: object) -> np.ndarray:
        """A per-company array of the previous snapshot, lined up with the current one."""
        out = np.full(len(self.old_at), missing, dtype=old_values.dtype)
        out[self.both] = old_values[self.old_at[self.both]]
        return out

    def on_old(self, new_values: np.ndarray, missing: object) -> np.ndarray:
        """A per-company array of the current snapshot, lined up with the previous one."""
        there = np.flatnonzero(self.new_at >= 0)
        out = np.full(len(self.new_at), missing, dtype=new_values.dtype)
        out[there] = new_values[self.new_at[there]]
        return out

    def gate_changes(self) -> np.ndarray:
        """Positions (in the current snapshot) of companies whose gate outcome changed."""
        old = self.old_cols.gates[self.old_at[self.both]]
        return np.asarray(self.both[old != self.new_cols.gates[self.both]])

    def watched(self, alert: ScoreCrosses | RankMoves) -> np.ndarray:
        """A mask of the companies ``alert`` watches."""
        if alert.ticker == ANY:
            return np.ones(len(self.tickers), dtype=bool)
        return np.asarray(self.tickers == alert.ticker, dtype=bool)


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
    hits = np.flatnonzero(keep & pairs.watched(alert))
    return [
        (t, f"{t} score {'rose through' if rose else 'fell through'} {x:g}: "
            f"{was:+.2f} -> {now:+.2f}")
        for t, rose, was, now in zip(pairs.tickers[hits].tolist(), up[hits].tolist(),
                                     old[hits].tolist(), new[hits].tolist(), strict=True)
    ]


def _rank_moves(alert: RankMoves, pairs: _Pairs) -> list[tuple[str, str]]:
    with np.errstate(invalid="ignore"):
        places = pairs.old_rank - pairs.new_rank
        ranked = ~np.isnan(places)
        wanted = {"up": places > 0, "down": places < 0, "either": places != 0}[alert.direction]
        keep = ranked & wanted & (np.abs(places) >= alert.min_change)
    hits = np.flatnonzero(keep & pairs.watched(alert))
    return [
        (t, f"{t} moved {'up' if was > now else 'down'} {abs(was - now)} places: "
            f"rank {was} -> {now}")
        for t, was, now in zip(pairs.tickers[hits].tolist(),
                               pairs.old_rank[hits].astype(np.int64).tolist(),
                               pairs.new_rank[hits].astype(np.int64).tolist(), strict=True)
    ]


def _fire_all(previous: Snapshot, current: Snapshot, watchlist: Watchlist,
              pairs: _Pairs) -> list[FiredAlert]:
    fired: list[FiredAlert] = []
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
                old, new = previous.row(t), current.row(t)
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
            found = (_score_crossings(alert, pairs) if isinstance(alert, ScoreCrosses)
                     else _rank_moves(alert, pairs))
            fired.extend(FiredAlert(alert.id, alert.kind, rule, t, message)
                         for t, message in found)
            continue
        if gate_changes is None:  # companies whose gate outcome changed, in screen order
            gate_changes = []
            for i in pairs.gate_changes():
                new = current.companies[i]
                old = pairs.old_row(i)
                assert old is not None  # a company in both snapshots
                gate_changes.append((new.ticker, old, new))
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
