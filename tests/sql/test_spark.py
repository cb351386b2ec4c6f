"""The compiled Spark SQL, run on PySpark in local mode, gives the numpy engine's answer.

Needs pyspark (the ``spark`` extra, in ``dev``) and a Java runtime; ``.ci/run`` installs
Java from the system packages when it is missing. Scores to 1e-9, ranks, gate outcomes
and statuses exactly, on random packs and frames with NaN, infinities and ties, and on
a panel (ranks and cross-sectional functions per date).
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

import thesis_lib as tl
from thesis_lib.rules import RulePack
from thesis_lib.sql import compile_pack, to_dialect

from .spark_support import local_session, spark_table
from .strategies import frames, packs, panels

pytest.importorskip("pyspark")
pytest.importorskip("sqlglot")
if shutil.which("java") is None:  # pragma: no cover - CI installs Java
    pytest.skip("PySpark needs a Java runtime (java not on PATH)", allow_module_level=True)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    with warnings.catch_warnings():
        # pyspark warns that it has not yet been checked against pandas 3; no pandas
        # conversion of pyspark's is used here (rows are built and collected by hand).
        warnings.simplefilter("ignore")
        session = local_session()
        session.sparkContext.setLogLevel("ERROR")
        yield session


def run_spark(spark: Any, frame: pd.DataFrame, pack: RulePack, *,
              by: str | None = None) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spark_table(spark, frame, "frame")
    compiled = compile_pack(pack, table="frame", by=by,
                            columns=[*frame.index.names, *frame.columns])
    rows = spark.sql(to_dialect(compiled.sql, "spark")).collect()
    columns = ([by] if by else []) + ["ticker", "score", "rank", "passed", "excluded_by",
                                      *(c for pair in zip(compiled.contribution_columns,
                                                          compiled.status_columns, strict=True)
                                        for c in pair)]
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def assert_same(out: pd.DataFrame, expected: Any, keys: list[str]) -> None:
    out = out.set_index(keys)
    want = expected.scores
    out = out.reindex(want.index)
    np.testing.assert_allclose(out["score"].to_numpy(float), want["score"].to_numpy(float),
                               rtol=1e-9, atol=1e-9)
    assert [None if pd.isna(r) else int(r) for r in out["rank"]] == \
        [None if pd.isna(r) else int(r) for r in want["rank"]]
    assert out["passed"].astype(bool).tolist() == want["passed"].tolist()
    rule_ids = [r.id for r in expected.pack.rules]
    status = out[[f"status:{r}" for r in rule_ids]].to_numpy(dtype=np.int64)
    contributions = out[[f"contribution:{r}" for r in rule_ids]].to_numpy(dtype=np.float64)
    want_contrib = expected.contributions.reindex(want.index).to_numpy()
    np.testing.assert_allclose(contributions, want_contrib, rtol=1e-9, atol=1e-9)
    order = expected.frame.index.get_indexer(want.index)
    np.testing.assert_array_equal(status, expected.status[order])


def test_builtin_pack_on_builtin_universe(spark: Any) -> None:
    universe = tl.load_universe()
    expected = tl.screen(universe)
    assert_same(run_spark(spark, universe.to_frame(), expected.pack), expected, ["ticker"])


@settings(max_examples=25, deadline=None)
@given(frames(), packs())
def test_spark_equals_numpy_on_random_packs(spark: Any, frame: pd.DataFrame,
                                            pack: RulePack) -> None:
    expected = tl.screen(frame, pack)
    assert_same(run_spark(spark, frame, pack), expected, ["ticker"])


@settings(max_examples=10, deadline=None)
@given(panels(), packs())
def test_spark_equals_numpy_on_random_panels(spark: Any, panel: pd.DataFrame,
                                             pack: RulePack) -> None:
    expected = tl.screen(panel, pack)
    out = run_spark(spark, panel, pack, by="date")
    out["date"] = pd.to_datetime(out["date"])
    assert_same(out, expected, ["date", "ticker"])
