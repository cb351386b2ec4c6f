"""The watch diff over whole columns gives exactly what a company-by-company reference
gives: random snapshot pairs (companies added and gone, ties, gates, unranked rows) and
every alert kind."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thesis_lib.errors import DataError
from thesis_lib.watch import Snapshot, SnapshotRow, compare, parse_watchlist
from thesis_lib.watch.diff import SCORE_EPSILON, Change, FiredAlert

T0 = dt.datetime(2026, 5, 19, 7, 0, tzinfo=dt.UTC)
TICKERS = [f"T{i}" for i in range(12)]
GATES = [(), ("listed",), ("size",), ("listed", "size")]


@st.composite
def snapshots(draw: st.DrawFn) -> Snapshot:
    tickers = draw(st.lists(st.sampled_from(TICKERS), unique=True, min_size=1, max_size=12))
    gates = [draw(st.sampled_from(GATES)) for _ in tickers]
    scores = [draw(st.sampled_from([0.0, 1.0, 2.5, 2.503, 4.0, 7.0])) for _ in tickers]
    ranked = [t for t, g in zip(tickers, gates, strict=True) if not g]
    ranks = dict(zip(ranked, draw(st.permutations(range(1, len(ranked) + 1))), strict=True))
    rows = [SnapshotRow(ticker=t, name=t.lower(), score=s, rank=ranks.get(t),
                        passed=not g, excluded_by=g)
            for t, g, s in zip(tickers, gates, scores, strict=True)]
    return Snapshot(watchlist="w", taken_at=T0, top=3, companies=tuple(rows))


ALERTS = [
    {"kind": "score_crosses", "threshold": 2.5, "direction": "either"},
    {"kind": "score_crosses", "threshold": 4.0, "direction": "down", "ticker": "T3"},
    {"kind": "rank_moves", "min_change": 1},
    {"kind": "rank_moves", "min_change": 2, "direction": "up"},
    {"kind": "enters_top", "n": 2},
    {"kind": "leaves_top"},
    {"kind": "gate_starts"},
    {"kind": "gate_stops", "gate": "listed"},
]


def reference(previous: Snapshot, current: Snapshot, top: int, always: list[str],
              alerts: list[dict[str, object]]) -> tuple[object, ...]:
    """Company by company, with dictionaries: what the diff must say."""
    old = {r.ticker: r for r in previous.companies}
    new = {r.ticker: r for r in current.companies}

    def in_top(row: SnapshotRow | None, n: int) -> bool:
        return row is not None and row.rank is not None and row.rank <= n

    def why(row: SnapshotRow | None) -> str:
        if row is None:
            return "gone from the universe"
        return "excluded by " + ", ".join(row.excluded_by) if row.excluded_by else ""

    def change(t: str, o: SnapshotRow | None, n: SnapshotRow | None, note: str) -> Change:
        either = n or o
        return Change(t, either.name if either else "", o.rank if o else None,
                      n.rank if n else None, o.score if o else None, n.score if n else None,
                      note)

    entered = sorted((change(t, old.get(t), r, "" if t in old else "new in the universe")
                      for t, r in new.items() if in_top(r, top) and not in_top(old.get(t), top)),
                     key=lambda c: (c.new_rank or 0, c.ticker))
    left = sorted((change(t, r, new.get(t), why(new.get(t)))
                   for t, r in old.items() if in_top(r, top) and not in_top(new.get(t), top)),
                  key=lambda c: (c.old_rank or 0, c.ticker))
    done = {c.ticker for c in (*entered, *left)}
    tracked = {t for t, r in (*old.items(), *new.items()) if in_top(r, top)} | set(always)
    moved = [change(t, old[t], r, why(r)) for t, r in new.items()
             if t in tracked and t not in done and t in old
             and (old[t].rank != r.rank or abs(old[t].score - r.score) >= SCORE_EPSILON)]
    fired = []
    for spec in alerts:
        kind, who = spec["kind"], spec.get("ticker", "*")
        for t, r in new.items():
            o = old.get(t)
            if who not in ("*", t):
                continue
            if kind == "score_crosses" and o is not None:
                x = float(spec["threshold"])  # type: ignore[arg-type]
                up, down = o.score < x <= r.score, r.score < x <= o.score
                way = spec.get("direction", "either")
                if (up and way in ("up", "either")) or (down and way in ("down", "either")):
                    fired.append((kind, t))
            elif kind == "rank_moves" and o is not None and o.rank and r.rank:
                places = o.rank - r.rank
                way = spec.get("direction", "either")
                ok = {"up": places > 0, "down": places < 0, "either": places != 0}[way]
                if ok and abs(places) >= int(spec["min_change"]):  # type: ignore[call-overload]
                    fired.append((kind, t))
            elif kind in ("gate_starts", "gate_stops") and o is not None \
                    and o.excluded_by != r.excluded_by:
                before, after = set(o.excluded_by), set(r.excluded_by)
                changed = sorted(after - before if kind == "gate_starts" else before - after)
                gate = spec.get("gate", "*")
                fired.extend((kind, t) for g in changed if gate in ("*", g))
        if kind in ("enters_top", "leaves_top"):
            n = int(spec.get("n", top))  # type: ignore[call-overload]
            if kind == "enters_top":
                hits = [r for t, r in new.items() if in_top(r, n) and not in_top(old.get(t), n)]
            else:
                hits = [r for t, r in old.items() if in_top(r, n) and not in_top(new.get(t), n)]
            fired.extend((kind, r.ticker) for r in sorted(hits, key=lambda r: (r.rank, r.ticker)))
    return (entered, left, moved, [t for t in new if t not in old],
            [t for t in old if t not in new], fired)


@settings(max_examples=300, deadline=None)
@given(snapshots(), snapshots(), st.lists(st.sampled_from(TICKERS), max_size=3, unique=True))
def test_the_diff_equals_the_company_by_company_reference(
        previous: Snapshot, current: Snapshot, always: list[str]) -> None:
    watchlist = parse_watchlist({"id": "w", "top": 3, "always_show": always, "alerts": ALERTS})
    diff = compare(previous, current, watchlist)
    entered, left, moved, added, removed, fired = reference(previous, current, 3, always, ALERTS)
    assert list(diff.entered) == entered
    assert list(diff.left) == left
    assert list(diff.moved) == moved
    assert list(diff.added) == added and list(diff.removed) == removed
    assert [(a.kind, a.ticker) for a in diff.alerts] == fired
    assert all(isinstance(a, FiredAlert) and a.message for a in diff.alerts)


def test_rows_built_without_validation_equal_model_construct() -> None:
    columns = {"ticker": ["A", "B"], "name": ["a", ""], "layer": ["hbm", None],
               "score": [1.5, -2.0], "rank": [1, None], "passed": [True, False],
               "excluded_by": [(), ("listed",)]}
    rows = SnapshotRow.trusted_rows(columns)
    expected = [SnapshotRow.model_construct(**{k: v[i] for k, v in columns.items()})
                for i in range(2)]
    assert rows == expected
    assert [r.model_fields_set for r in rows] == [r.model_fields_set for r in expected]
    assert [r.model_dump() for r in rows] == [r.model_dump() for r in expected]
    del columns["layer"]
    with pytest.raises(ValueError, match="layer"):
        SnapshotRow.trusted_rows(columns)


def test_a_snapshot_keeps_one_row_per_ticker() -> None:
    row = SnapshotRow(ticker="A", score=1.0, rank=1, passed=True)
    with pytest.raises(DataError, match="ticker A appears twice"):
        Snapshot(watchlist="w", taken_at=T0, top=3, companies=(row, row))


def test_the_column_view_of_a_screened_snapshot_equals_the_one_rebuilt_from_rows() -> None:
    import thesis_lib as tl
    from thesis_lib.watch.snapshot import SnapshotColumns

    result = tl.screen(tl.load_universe(), tl.load_pack())
    snapshot = Snapshot.from_result(result, watchlist="w", top=10, taken_at=T0)
    built, rebuilt = snapshot.columns, SnapshotColumns.of_rows(snapshot.companies)
    assert built.tickers.equals(rebuilt.tickers)
    np.testing.assert_array_equal(built.score, rebuilt.score)
    np.testing.assert_array_equal(built.rank, rebuilt.rank)
    assert built.gates.tolist() == rebuilt.gates.tolist()
    assert snapshot == Snapshot.from_json(snapshot.to_json())
