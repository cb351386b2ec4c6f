"""The SQL engine gives the numpy engine's answer: random packs over random frames (NaN,
infinities and ties), run on DuckDB, equal to 1e-9 on scores and contributions and exactly
on ranks, gate outcomes and every cell's status."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import thesis_lib as tl
from thesis_lib.errors import MissingDataError
from thesis_lib.rules import RulePack

from .strategies import frames, packs, panels

pytest.importorskip("duckdb")

from thesis_lib.sql.engine import score_frame_duckdb


def assert_same_screen(frame: pd.DataFrame, pack: RulePack) -> None:
    try:
        expected = tl.screen(frame, pack)
    except MissingDataError as error:
        message = str(error)
    else:
        message = None
    if message is not None:
        with pytest.raises(MissingDataError) as raised:
            tl.screen(frame, pack, engine="duckdb")
        assert str(raised.value) == message
        return
    assert_same_answer(frame, pack, expected, by=None)


def assert_same_answer(data: pd.DataFrame, pack: RulePack, expected: tl.ScreenResult
                       | tl.PanelResult, *, by: str | None) -> None:
    """DuckDB's result arrays equal numpy's, and so do the query's own score, rank,
    passed and excluded_by columns (not only what the result makes of its arrays)."""
    got = tl.screen(data, pack, engine="duckdb")
    assert type(got) is type(expected)
    np.testing.assert_array_equal(got.status, expected.status)
    np.testing.assert_array_equal(got.excluded_mask, expected.excluded_mask)
    np.testing.assert_allclose(got.contribution_matrix, expected.contribution_matrix,
                               rtol=1e-9, atol=1e-9)
    *_, table = score_frame_duckdb(expected.frame, pack, by=by)
    want = expected.scores
    table = table.reindex(want.index)
    np.testing.assert_allclose(table["score"].to_numpy(float), want["score"].to_numpy(float),
                               rtol=1e-9, atol=1e-9)
    assert table["rank"].astype("Int64").tolist() == want["rank"].tolist()
    assert table["passed"].tolist() == want["passed"].tolist()
    assert table["excluded_by"].astype(object).where(table["excluded_by"].notna(), None).tolist() \
        == want["excluded_by"].astype(object).where(want["excluded_by"].notna(), None).tolist()


@settings(deadline=None)
@given(frames(), packs())
def test_duckdb_equals_numpy_on_random_packs(frame: pd.DataFrame, pack: RulePack) -> None:
    assert_same_screen(frame, pack)


@settings(deadline=None)
@given(frames(), packs(policies=("error", "skip")))
def test_missing_data_errors_are_the_same(frame: pd.DataFrame, pack: RulePack) -> None:
    assert_same_screen(frame, pack)


@settings(deadline=None)
@given(st.data())
def test_ties_rank_alike(data: st.DataObject) -> None:
    """Many equal rows: rank ties and pct_rank ties are shared the same way."""
    frame = data.draw(frames(max_rows=10))
    frame = pd.concat([frame, frame.set_axis(frame.index + "x")])
    assert_same_screen(frame, data.draw(packs()))


def test_builtin_pack_on_builtin_universe() -> None:
    universe = tl.load_universe()
    a, b = tl.screen(universe), tl.screen(universe, engine="duckdb")
    pd.testing.assert_frame_equal(a.scores, b.scores)
    assert a.explain("MU").table.equals(b.explain("MU").table)


def test_rank_keys_round_halves_to_even_as_numpy() -> None:
    """-0.3 + 5e-13 is a half at the 12th decimal: numpy rounds it to even (a tie with
    -0.3); a ROUND that takes halves up would rank it first."""
    pack = RulePack(id="halves", columns=("a", "b"), rules=[
        tl.Rule(id="a", expression="a", why="a"), tl.Rule(id="b", expression="b", why="b")])
    frame = pd.DataFrame({"a": [-0.3, -0.3, -0.3], "b": [0.0, 5e-13, -5e-13]},
                         index=pd.Index(["X", "Y", "Z"], dtype="string", name="ticker"))
    assert_same_screen(frame, pack)
    assert tl.screen(frame, pack, engine="duckdb").scores["rank"].tolist() == [1, 1, 1]


@settings(deadline=None)
@given(panels(), packs())
def test_duckdb_equals_numpy_on_random_panels(panel: pd.DataFrame, pack: RulePack) -> None:
    """Per date: cross-sectional functions, ranks and gates, as the numpy engine's panel."""
    expected = tl.screen(panel, pack)
    assert isinstance(expected, tl.PanelResult)
    assert_same_answer(panel, pack, expected, by="date")


@settings(deadline=None)
@given(panels(), packs())
def test_a_duckdb_table_screened_in_place_equals_numpy(panel: pd.DataFrame,
                                                       pack: RulePack) -> None:
    """The same random panels, as a table inside DuckDB (not a pandas frame), screened in
    place: the lazy answer's rows equal the numpy engine's, date by date."""
    import duckdb

    expected = tl.screen(panel, pack)
    assert isinstance(expected, tl.PanelResult)
    con = duckdb.connect()
    con.register("incoming", panel.reset_index())
    con.execute("CREATE TABLE panel AS SELECT * FROM incoming")
    con.unregister("incoming")
    answer = tl.screen("panel", pack, engine="duckdb", connection=con, by="date").fetch()
    answer["date"] = pd.to_datetime(answer["date"])
    answer = answer.set_index(["date", "ticker"]).reindex(expected.scores.index)
    want = expected.scores
    np.testing.assert_allclose(answer["score"].to_numpy(float), want["score"].to_numpy(float),
                               rtol=1e-9, atol=1e-9)
    assert answer["rank"].astype("Int64").tolist() == want["rank"].tolist()
    assert answer["passed"].tolist() == want["passed"].tolist()
    status = answer[[f"status:{r.id}" for r in pack.rules]].to_numpy(dtype=np.int64)
    order = expected.frame.index.get_indexer(want.index)
    np.testing.assert_array_equal(status, expected.status[order])
