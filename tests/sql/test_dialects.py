"""Every pack compiles to a query that parses back in each dialect; thesis sql prints it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings

import thesis_lib as tl
from thesis_lib.cli import main
from thesis_lib.errors import ScreenError
from thesis_lib.rules import RulePack
from thesis_lib.sql import DIALECTS, compile_pack, to_dialect

from .strategies import packs

sqlglot = pytest.importorskip("sqlglot")


@settings(deadline=None)
@given(packs(policies=("zero", "skip", "exclude", "error")))
def test_every_random_pack_parses_back_in_every_dialect(pack: RulePack) -> None:
    compiled = compile_pack(pack, table="frame", by="date")
    for dialect in DIALECTS:
        text = to_dialect(compiled.sql, dialect)
        assert sqlglot.parse_one(text, read=DIALECTS[dialect]) is not None


def test_the_dialects_differ_where_they_should() -> None:
    sql = compile_pack(tl.load_pack(), by="date").sql
    assert '"date"' in to_dialect(sql, "postgres")
    assert "`date`" in to_dialect(sql, "spark")
    assert "`date`" in to_dialect(sql, "bigquery")
    assert "FLOAT64" in to_dialect(sql, "bigquery")
    assert "DOUBLE PRECISION" in to_dialect(sql, "postgres")


def test_unknown_dialect_is_a_typed_error() -> None:
    with pytest.raises(ScreenError, match="unknown SQL dialect 'sparks'") as raised:
        to_dialect("SELECT 1", "sparks")
    assert "spark" in (raised.value.problems[0].hint or "")


def test_cli_prints_the_query(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql", "--dialect", "spark", "--by", "date"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("WITH") and out.rstrip().endswith(";")
    assert "PARTITION BY `date`" in out
    sqlglot.parse_one(out.rstrip().rstrip(";"), read="spark")
    assert main(["sql", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["dialect"] == "duckdb" and document["columns"][:3] == [
        "ticker", "score", "rank"]
    assert main(["sql", "no-such-pack"]) == 1
    assert "no built-in pack" in capsys.readouterr().err
