"""`thesis watch` with a [basket] table: trades and turnover between runs, old snapshots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import edit_universe

from thesis_lib.errors import DataError
from thesis_lib.watch import Snapshot, SnapshotStore, load_watchlist, parse_watchlist

BASKET = """
[basket]
top_n = 10
weighting = "score"
layer_cap = 0.35
buffer = 2
"""

WATCHLIST = """\
id = "core"
universe = "universe.toml"
pack = "one-layer-down"
top = 10
""" + BASKET


@pytest.fixture
def basket_dir(watch_dir: Path) -> Path:
    (watch_dir / "watchlist.toml").write_text(WATCHLIST, encoding="utf-8")
    return watch_dir


def _store(folder: Path) -> SnapshotStore:
    return SnapshotStore(folder / "core-snapshots", "core")


def _section(out: str, start: str, end: str | None = None) -> str:
    tail = out[out.index(start):]
    return tail[:tail.index(end)] if end else tail


def test_two_runs_show_the_trades_and_the_one_way_turnover(basket_dir, cli, monkeypatch):
    monkeypatch.chdir(basket_dir)
    first = cli("watch", "watchlist.toml")
    assert first.status == 0, first.err
    basket = _section(first.out, "basket: 10 names;", "saved ")
    assert "top 10, score-weighted, name cap 15%, layer cap 35%, buffer 2" in basket
    assert "first basket: no previous weights, so no trades yet" in basket
    for ticker in ("3661.TW", "APLD", "ENR.DE", "MU"):
        assert f" {ticker} " in basket
    assert " HUBB " not in basket  # rank 11
    old = _store(basket_dir).load_latest()[1].basket
    assert old is not None and len(old.weights) == 10
    assert sum(old.weights.values()) == pytest.approx(1.0)

    # Siemens Energy goes private, Applied Digital leaves the universe, Samsung's HBM
    # share rises tenfold.
    edit_universe(basket_dir / "universe.toml", shares={("005930.KS", "hbm"): 0.30},
                  private=("ENR.DE",), drop=("APLD",))
    text = cli("watch", "watchlist.toml", "--no-save")
    assert text.status == 0, text.err
    second = cli("watch", "watchlist.toml", "--format", "json")
    doc = json.loads(second.out)["basket"]
    trades = {t["ticker"]: t for t in doc["trades"]}
    added = {t for t, row in trades.items() if row["action"] == "added"}
    removed = {t for t, row in trades.items() if row["action"] == "removed"}
    assert added == {"005930.KS", "HUBB"} and removed == {"APLD", "ENR.DE"}
    assert trades["005930.KS"]["why"] == "buffer:entered"  # selection rank 6 <= N - k = 8
    assert trades["HUBB"]["why"] == "buffer:fill"          # rank 10: fills the 10th seat
    assert trades["ENR.DE"]["why"] == "gate:listed"
    assert trades["APLD"]["why"] == "gone from the universe"
    assert sum(row["action"] == "reweighted" for row in trades.values()) == 8
    assert doc["rebalanced"] is True and len(doc["members"]) == 10
    assert sum(m["weight"] for m in doc["members"]) == pytest.approx(1.0)

    # By hand: no cap binds (largest name 13.3% < 15%, largest layer 30.8% < 35%), so
    # weights are score / sum of the members' scores. First basket: 10.28, 9.38, 8.74,
    # 8.47, 7.96 (APLD), 7.78, 7.11, 7.04, 5.75, 5.73 (ENR.DE) sum to 78.24. The sells are
    # APLD and ENR.DE, (7.96 + 5.73) / 78.24 = 0.175, plus two kept names whose weight
    # dips slightly (the materiality percentiles shift when the cross-section changes).
    sells = sum(max(0.0, t["old_weight"] - t["new_weight"]) for t in doc["trades"])
    assert doc["turnover"] == pytest.approx(sells)
    assert doc["turnover"] == pytest.approx(0.1759, abs=5e-4)
    assert trades["APLD"]["old_weight"] + trades["ENR.DE"]["old_weight"] == \
        pytest.approx((7.96 + 5.73) / 78.24, abs=5e-4)
    assert trades["APLD"]["old_weight"] == pytest.approx(7.96 / 78.24, abs=5e-4)

    out = _section(text.out, "basket: 10 names;", "saved " if "saved " in text.out else None)
    assert "trades since the previous run: 2 added, 2 removed, 8 reweighted; one-way " \
           "turnover 17.5" in out
    lines = out.splitlines()
    trade_lines = [line for line in lines if line[:4] in ("  + ", "  - ", "  ~ ")]
    assert [line.split()[1] for line in trade_lines[:4]] == ["005930.KS", "HUBB", "APLD",
                                                             "ENR.DE"]
    assert "(gone from the universe)" in trade_lines[2] and "(gate:listed)" in trade_lines[3]
    assert all(len(line) <= 100 for line in text.out.splitlines())

    # The saved weights are the new basket; an unchanged third run trades nothing.
    saved = _store(basket_dir).load_latest()[1].basket
    assert saved is not None and set(saved.weights) == {m["ticker"] for m in doc["members"]}
    third = cli("watch", "watchlist.toml", "--format", "markdown")
    assert "### Basket (10 names)" in third.out
    assert "Trades since the previous run: none (one-way turnover 0.00%)." in third.out


def test_markdown_lists_the_trades(basket_dir, cli, monkeypatch):
    monkeypatch.chdir(basket_dir)
    cli("watch", "watchlist.toml")
    edit_universe(basket_dir / "universe.toml", private=("ENR.DE",))
    ran = cli("watch", "watchlist.toml", "--format", "markdown", "--no-save")
    basket = _section(ran.out, "### Basket")
    assert "| ticker | name | trade | weight | note |" in basket
    assert "| `ENR.DE` | Siemens Energy | removed |" in basket and "gate:listed" in basket
    assert "1 added, 1 removed" in basket


def test_an_old_snapshot_without_weights_means_no_previous_basket(basket_dir, cli,
                                                                  monkeypatch):
    monkeypatch.chdir(basket_dir)
    assert cli("watch", "watchlist.toml").status == 0
    # Make the snapshot look like one written before snapshots kept basket weights.
    path = _store(basket_dir).latest_path()
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["basket"]
    path.write_text(json.dumps(data), encoding="utf-8")
    assert Snapshot.from_json(path.read_text(encoding="utf-8")).basket is None

    ran = cli("watch", "watchlist.toml", "--format", "json")
    assert ran.status == 0, ran.err
    doc = json.loads(ran.out)
    assert doc["baseline"] is False                  # the screen diff still works
    assert doc["basket"]["rebalanced"] is False and doc["basket"]["trades"] is None
    assert doc["basket"]["turnover"] is None
    assert "previous snapshot has no basket weights" in ran.err
    assert "Traceback" not in ran.err
    assert _store(basket_dir).load_latest()[1].basket is not None   # saved this time

    text = cli("watch", "watchlist.toml", "--no-save")
    assert "trades since the previous run: none" in text.out


def test_a_watchlist_without_a_basket_has_no_basket_section(watch_dir, cli, monkeypatch):
    monkeypatch.chdir(watch_dir)
    ran = cli("watch", "watchlist.toml", "--format", "json")
    assert json.loads(ran.out)["basket"] is None
    path, snapshot = _store(watch_dir).load_latest()
    assert snapshot.basket is None
    assert "basket" not in json.loads(path.read_text(encoding="utf-8"))  # the old format
    assert "basket" not in cli("watch", "watchlist.toml", "--no-save").out


def test_a_bad_basket_field_names_the_file_the_table_and_the_field(basket_dir, cli):
    wl = basket_dir / "watchlist.toml"
    wl.write_text(WATCHLIST.replace("layer_cap = 0.35", "layer_cap = 1.5\nweigting = \"x\""),
                  encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_watchlist(wl)
    where = {(p.file, p.item, p.field) for p in caught.value.problems}
    assert where == {(str(wl), "[basket]", "layer_cap"), (str(wl), "[basket]", "weigting")}

    ran = cli("watch", str(wl))
    assert ran.status == 1 and ran.out == ""
    assert f"{wl}: [basket]: layer_cap: Input should be less than or equal to 1" in ran.err
    assert f"{wl}: [basket]: weigting: unknown field" in ran.err
    assert "did you mean 'weighting' or 'weighting_fallback'?" in ran.err
    assert not (basket_dir / "core-snapshots").exists() or not _store(basket_dir).paths()

    checked = cli("validate", str(wl))
    assert checked.status == 1
    assert f"{wl}: [basket]: layer_cap:" in checked.out and "weigting" in checked.out


def test_validate_checks_the_basket_against_the_data(basket_dir, cli):
    wl = basket_dir / "watchlist.toml"
    assert "basket of 10" in cli("validate", str(wl)).out
    wl.write_text(WATCHLIST.replace("layer_cap = 0.35", 'favoured_layers = ["hmb"]\n'
                                    "min_exposure = 0.2"), encoding="utf-8")
    ran = cli("validate", str(wl))
    assert ran.status == 1
    assert f"{wl}: [basket]: favoured_layers: unknown layer 'hmb' (did you mean 'hbm'?)" \
        in ran.out
    # Caps the screen cannot meet are found by building the basket once.
    wl.write_text(WATCHLIST.replace("top_n = 10", "top_n = 3").replace(
        "layer_cap = 0.35", "layer_cap = 0.2").replace("buffer = 2", "buffer = 1"),
        encoding="utf-8")
    ran = cli("validate", str(wl))
    assert ran.status == 1 and "[basket]" in ran.out and "layer_cap" in ran.out
    failed = cli("watch", str(wl), "--no-save")
    assert failed.status == 1 and f"{wl}: [basket]" in failed.err and "layer_cap" in failed.err


def test_a_basket_table_that_is_not_a_table():
    with pytest.raises(DataError) as caught:
        parse_watchlist({"id": "w", "basket": 5}, file="w.toml")
    problem = caught.value.problem
    assert (problem.file, problem.item, problem.field) == ("w.toml", "[basket]", None)
    assert problem.message == "'basket' must be a table"


def test_snapshot_basket_weights_are_checked():
    data = {"format": "thesis-watch-snapshot", "watchlist": "w",
            "taken_at": "2026-05-20T07:00:00Z", "top": 3,
            "basket": {"rules": "top 3", "weights": {"A": 1.5, "B": -0.5}}}
    with pytest.raises(DataError, match=r"weight of B is -0\.5"):
        Snapshot.from_json(json.dumps(data), file="s.json")
