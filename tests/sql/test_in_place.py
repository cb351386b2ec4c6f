"""Data screened where it lives: Parquet files, DuckDB relations and tables, lazily."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import thesis_lib as tl
from thesis_lib.errors import MissingDataError, ScreenError
from thesis_lib.rules import Rule, RulePack

duckdb = pytest.importorskip("duckdb")

from thesis_lib.sql import SqlScreen  # noqa: E402


@pytest.fixture(scope="module")
def builtin() -> tuple[pd.DataFrame, tl.ScreenResult]:
    universe = tl.load_universe()
    return universe.to_frame(), tl.screen(universe)


def _same_as(answer: pd.DataFrame, expected: tl.ScreenResult) -> None:
    want = expected.scores
    assert answer["ticker"].tolist() == [str(t) for t in want.index]  # rank order, too
    np.testing.assert_allclose(answer["score"].to_numpy(float), want["score"].to_numpy(float),
                               rtol=1e-12)
    assert answer["rank"].astype("Int64").tolist() == want["rank"].tolist()


def test_parquet_path(tmp_path: Path, builtin: tuple[pd.DataFrame, tl.ScreenResult]) -> None:
    frame, expected = builtin
    path = tmp_path / "frame.parquet"
    duckdb.from_df(frame.reset_index()).write_parquet(str(path))  # no pyarrow needed
    result = tl.screen(path, engine="duckdb")
    assert isinstance(result, SqlScreen)
    _same_as(result.fetch(), expected)
    top = result.top(5)
    assert top["ticker"].tolist() == [str(t) for t in expected.scores.index[:5]]
    # A string path works too, and a glob.
    _same_as(tl.screen(str(path), engine="duckdb").fetch(), expected)
    _same_as(tl.screen(str(tmp_path / "*.parquet"), engine="duckdb").fetch(), expected)


def test_relation_and_table(builtin: tuple[pd.DataFrame, tl.ScreenResult]) -> None:
    frame, expected = builtin
    con = duckdb.connect()
    con.register("flat", frame.reset_index())
    con.execute("CREATE TABLE companies AS SELECT * FROM flat")
    _same_as(tl.screen("companies", engine="duckdb", connection=con).fetch(), expected)
    relation = con.sql("SELECT * FROM companies")
    _same_as(tl.screen(relation, engine="duckdb").fetch(), expected)


def test_write_parquet_streams_and_never_overwrites(
        tmp_path: Path, builtin: tuple[pd.DataFrame, tl.ScreenResult]) -> None:
    frame, expected = builtin
    con = duckdb.connect()
    con.register("companies", frame.reset_index())
    result = tl.screen("companies", engine="duckdb", connection=con)
    out = tmp_path / "scores.parquet"
    result.write_parquet(out)
    _same_as(duckdb.read_parquet(str(out)).df(), expected)
    before = out.read_bytes()
    with pytest.raises(ScreenError, match="already exists"):
        result.write_parquet(out)
    assert out.read_bytes() == before
    result.write_parquet(out, overwrite=True)


def test_a_panel_in_place_ranks_per_date() -> None:
    universe = tl.load_universe()
    frame = universe.to_frame().reset_index()
    second = frame.assign(ai_exposure_hbm=frame["ai_exposure_hbm"][::-1].to_numpy())
    panel = pd.concat([frame.assign(date=pd.Timestamp("2026-01-31")),
                       second.assign(date=pd.Timestamp("2026-02-28"))])
    con = duckdb.connect()
    con.register("panel", panel)
    answer = tl.screen("panel", engine="duckdb", connection=con, by="date").fetch()
    for date, part in (("2026-01-31", frame), ("2026-02-28", second)):
        expected = tl.screen(part.set_index("ticker"))
        rows = answer[answer["date"] == pd.Timestamp(date)]
        _same_as(rows.reset_index(drop=True), expected)


def test_missing_policy_error_is_raised_before_anything_is_returned() -> None:
    pack = RulePack(id="strict", columns=("x",), rules=[
        Rule(id="x", expression="x", missing="error", why="x must be known")])
    con = duckdb.connect()
    data = pd.DataFrame({"ticker": ["A", "B"], "x": [1.0, np.nan]})
    con.register("t", data)
    result = tl.screen("t", pack, engine="duckdb", connection=con)
    with pytest.raises(MissingDataError, match=r"rule 'x'.*for B"):
        result.fetch()
    with pytest.raises(MissingDataError):
        result.top(1)


def test_bad_sources_are_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(ScreenError, match="no such file"):
        tl.screen(tmp_path / "nothing.parquet", engine="duckdb")
    with pytest.raises(ScreenError, match="engine='duckdb'"):
        tl.screen(tmp_path / "nothing.parquet")
    with pytest.raises(ScreenError, match="connection"):
        tl.screen("companies", engine="duckdb")
    with pytest.raises(ScreenError, match="unknown engine"):
        tl.screen(tl.load_universe(), engine="spark")  # type: ignore[arg-type]
    with pytest.raises(ScreenError, match="cannot screen a list"):
        tl.screen([1, 2], engine="duckdb")  # type: ignore[call-overload]
    con = duckdb.connect()
    con.register("t", pd.DataFrame({"name": ["A"]}))
    with pytest.raises(ScreenError, match="no 'ticker' column"):
        tl.screen("t", engine="duckdb", connection=con)
    with pytest.raises(ScreenError, match="cannot read"):
        tl.screen("missing_table", engine="duckdb", connection=con)
    con.register("u", pd.DataFrame({"ticker": ["A"]}))
    with pytest.raises(ScreenError, match="no date column 'day'"):
        tl.screen("u", engine="duckdb", connection=con, by="day")
    with pytest.raises(ScreenError, match="whole number"):
        tl.screen("u", engine="duckdb", connection=con).top(0)


def test_absent_columns_are_missing_as_in_numpy() -> None:
    universe = tl.load_universe()
    frame = universe.to_frame().drop(columns=["evidence_support"])
    a, b = tl.screen(frame), tl.screen(frame, engine="duckdb")
    pd.testing.assert_frame_equal(a.scores, b.scores)
    assert b.absent == a.absent == frozenset({"evidence_support", "pe_forward"})
    con = duckdb.connect()
    con.register("t", frame.reset_index())
    compiled = tl.screen("t", engine="duckdb", connection=con).compiled
    assert compiled.absent == frozenset({"evidence_support", "pe_forward"})


def test_a_frame_column_named_ticker_does_not_clash_with_the_index() -> None:
    frame = tl.load_universe().to_frame()
    frame["ticker"] = frame.index
    pd.testing.assert_frame_equal(tl.screen(frame, engine="duckdb").scores,
                                  tl.screen(frame).scores)
