"""The watchlist model, the diff and alert rules, and the snapshot store, without a screen."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from thesis_lib.errors import DataError
from thesis_lib.watch import (
    Snapshot,
    SnapshotRow,
    SnapshotStore,
    compare,
    parse_watchlist,
)

T0 = dt.datetime(2026, 5, 19, 7, 0, tzinfo=dt.UTC)


def snap(rows: dict[str, tuple[float, int | None, tuple[str, ...]]],
         when: dt.datetime = T0) -> Snapshot:
    """rows: ticker -> (score, rank or None, excluded_by)."""
    return Snapshot(watchlist="w", taken_at=when, top=3, companies=tuple(
        SnapshotRow(ticker=t, name=t.title(), score=s, rank=r, passed=r is not None,
                    excluded_by=ex) for t, (s, r, ex) in rows.items()))


def watchlist(alerts: list[dict[str, object]], **extra: object):
    return parse_watchlist({"id": "w", "top": 3, "alerts": alerts, **extra})


BEFORE = snap({"A": (9.0, 1, ()), "B": (8.0, 2, ()), "C": (7.0, 3, ()), "D": (4.0, 4, ()),
               "E": (1.0, 5, ()), "P": (0.5, None, ("listed",)), "GONE": (0.1, 6, ())})
AFTER = snap({"A": (9.0, 1, ()), "D": (8.5, 2, ()), "B": (8.0, 3, ()), "C": (7.0, None,
              ("listed",)), "E": (6.0, 4, ()), "P": (0.5, 5, ()), "NEW": (9.5, None,
                                                                       ("listed",))},
             when=T0 + dt.timedelta(days=1))


def test_compare_lists_entered_left_moved_added_removed():
    diff = compare(BEFORE, AFTER, watchlist([], always_show=["E"]))
    assert [c.ticker for c in diff.entered] == ["D"]
    assert (diff.entered[0].old_rank, diff.entered[0].new_rank) == (4, 2)
    assert [(c.ticker, c.note) for c in diff.left] == [("C", "excluded by listed")]
    assert [(c.ticker, c.old_rank, c.new_rank) for c in diff.moved] == [("B", 2, 3),
                                                                        ("E", 5, 4)]
    assert diff.added == ("NEW",) and diff.removed == ("GONE",)
    assert not diff.fired and not diff.baseline


def test_a_first_run_is_a_baseline_without_alerts():
    diff = compare(None, AFTER, watchlist([{"kind": "rank_moves", "min_change": 1}]))
    assert diff.baseline and not diff.fired and not diff.changed


@pytest.mark.parametrize(("alert", "expected"), [
    ({"kind": "score_crosses", "threshold": 5.0, "direction": "up"}, ["D", "E"]),
    ({"kind": "score_crosses", "threshold": 5.0, "direction": "down"}, []),
    ({"kind": "score_crosses", "threshold": 8.2, "ticker": "D"}, ["D"]),
    ({"kind": "rank_moves", "min_change": 2}, ["D"]),
    ({"kind": "rank_moves", "min_change": 1, "direction": "down"}, ["B"]),
    ({"kind": "enters_top", "n": 2}, ["D"]),
    ({"kind": "enters_top"}, ["D"]),
    ({"kind": "leaves_top"}, ["C"]),
    ({"kind": "leaves_top", "n": 1}, []),
    ({"kind": "gate_starts"}, ["C"]),
    ({"kind": "gate_starts", "gate": "other"}, []),
    ({"kind": "gate_stops", "gate": "listed"}, ["P"]),
    ({"kind": "gate_stops", "ticker": "C"}, []),
])
def test_each_alert_kind_fires_on_the_right_companies(alert, expected):
    diff = compare(BEFORE, AFTER, watchlist([alert]))
    assert [a.ticker for a in diff.alerts] == expected
    assert all(a.kind == alert["kind"] and a.id is None for a in diff.alerts)


def test_alert_messages_say_what_happened():
    diff = compare(BEFORE, AFTER, watchlist([
        {"id": "up", "kind": "score_crosses", "ticker": "E", "threshold": 5},
        {"kind": "gate_stops"}, {"kind": "leaves_top"}]))
    messages = [str(a) for a in diff.alerts]
    assert messages == [
        "up: E score rose through 5: +1.00 -> +6.00",
        "P is no longer excluded by 'listed' (now rank 5)",
        "C left the top 3: was rank 3, excluded by listed",
    ]


def test_watchlist_errors_name_the_alert_and_field():
    with pytest.raises(DataError) as info:
        parse_watchlist({"id": "w", "top": 0, "colour": "red", "alerts": [
            {"kind": "score_crosses", "id": "x"},
            {"kind": "rank_move", "min_change": 2},
            {"kind": "enters_top", "n": -1},
        ]}, file="w.toml")
    text = str(info.value)
    assert "w.toml: alert #2: kind: unknown alert kind 'rank_move' (did you mean " \
           "'rank_moves'?)" in text
    assert "w.toml: alert 'x': threshold: required field is missing" in text
    assert "w.toml: alert #3: n:" in text
    assert "w.toml: top: Input should be greater than or equal to 1" in text
    assert "w.toml: colour: unknown field" in text
    assert "shares and confidences" not in text


def test_prices_shorthand_and_relative_paths(tmp_path: Path):
    wl = parse_watchlist({"universe": "mine.toml", "prices": "yfinance"},
                         file=tmp_path / "My Watch.toml")
    assert wl.id == "My-Watch"
    assert wl.prices is not None and wl.prices.source == "yfinance"
    assert wl.universe_source() == str(tmp_path / "mine.toml")
    assert wl.pack_source() == "one-layer-down"


def test_the_store_orders_snapshots_and_never_overwrites(tmp_path: Path):
    store = SnapshotStore(tmp_path, "w")
    first = store.save(BEFORE)
    second = store.save(BEFORE)                 # the same second: a new name, not a clobber
    later = store.save(AFTER)
    assert first.name == "w-20260519T070000Z.json"
    assert second.name == "w-20260519T070000Z-2.json"
    assert store.paths() == [first, second, later]
    assert store.load(later) == AFTER
    (tmp_path / "other-20270101T000000Z.json").write_text("{}", encoding="utf-8")
    (tmp_path / ".w-20270101T000000Z.json.abc.tmp").write_text("{", encoding="utf-8")
    assert store.latest_path() == later
    found = store.load_latest()
    assert found is not None and found[1].taken_at == AFTER.taken_at


def test_a_damaged_snapshot_raises_a_data_error_naming_the_file(tmp_path: Path):
    store = SnapshotStore(tmp_path, "w")
    bad = tmp_path / "w-20260519T070000Z.json"
    bad.write_bytes(b"\xff\xfe garbage")
    with pytest.raises(DataError, match="not a text file"):
        store.load_latest()
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(DataError, match="not a thesis watch snapshot") as info:
        store.load_latest()
    assert info.value.file == str(bad)


def test_a_ticker_listed_twice_in_always_show_is_named():
    with pytest.raises(DataError, match="always_show: 'NVDA' is listed twice"):
        watchlist([], always_show=["NVDA", "NVDA"])


def test_snapshot_json_is_the_model_dump_and_reads_back_equal():
    import json

    text = AFTER.to_json()
    assert text.endswith("}\n")
    assert json.loads(text) == AFTER.model_dump(mode="json", exclude={"basket", "figures"})
    assert Snapshot.from_json(text) == AFTER
    # the slow path (a damaged file) still names the problem
    with pytest.raises(DataError, match="appears twice"):
        Snapshot.from_json(text.replace('"ticker": "D"', '"ticker": "A"'))
