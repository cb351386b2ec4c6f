"""Running a compiled pack on DuckDB (the ``sql`` extra), embedded in this process.

Two ways in, both through :func:`thesis_lib.screen` with ``engine="duckdb"``:

- a screening DataFrame (or a universe, or a panel): the query runs on DuckDB over the
  frame and the answer comes back as the same :class:`~thesis_lib.ScreenResult` (or
  :class:`~thesis_lib.PanelResult`) the numpy engine gives, so everything downstream
  (explain, baskets, evaluation) works unchanged;
- data that does not live in pandas: a DuckDB relation, a Parquet file (or glob) or the
  name of a table or view in a DuckDB connection. Nothing is loaded: the answer is a
  :class:`SqlScreen`, a lazy DuckDB relation that streams when it is written out or
  fetched, so the data may be larger than memory.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from thesis_lib.errors import Problem, ScreenError
from thesis_lib.rules.pack import RulePack
from thesis_lib.rules.screen import _apply_missing
from thesis_lib.sql._optional import require
from thesis_lib.sql.compiler import MISSING_ERROR, CompiledPack, compile_pack, quote

if TYPE_CHECKING:
    import duckdb

__all__ = ["SqlScreen", "connect", "score_frame_duckdb", "screen_relation"]

_FRAME_VIEW = "__thesis_frame"


def _duckdb() -> Any:
    return require("duckdb", "engine='duckdb'")


def connect(database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (in memory unless ``database`` names a file)."""
    return _duckdb().connect(database)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------
# frames in memory


def score_frame_duckdb(
    frame: pd.DataFrame, pack: RulePack, *, by: str | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """Score a checked screening frame (a panel with ``by`` = its date level) on DuckDB.

    Returns the arrays of the numpy engine's result, in the frame's row order:
    ``(contributions (n, R), status (n, R) int8, excluded (n,), table)`` where ``table``
    is the query's own output (score, rank, passed, ... by row).
    """
    con = connection if connection is not None else connect()
    # A column named like an index level would clash with it (and no rule reads it).
    flat = frame.drop(columns=[c for c in frame.index.names if c in frame.columns]).reset_index()
    compiled = compile_pack(pack, table=quote(_FRAME_VIEW), by=by, columns=list(flat.columns))
    con.register(_FRAME_VIEW, flat)
    try:
        table: pd.DataFrame = con.sql(compiled.sql).df()
    finally:
        con.unregister(_FRAME_VIEW)
    keys = ["ticker"] if by is None else [by, "ticker"]
    table = table.set_index(keys)
    if by is not None:
        table.index = table.index.set_levels(
            pd.to_datetime(table.index.levels[0]), level=0)
    table = table.reindex(frame.index)
    contributions = table[list(compiled.contribution_columns)].to_numpy(dtype=np.float64)
    status = table[list(compiled.status_columns)].to_numpy(dtype=np.int64)
    _raise_missing(compiled, status, frame.index)
    excluded = ~table["passed"].to_numpy(dtype=bool)
    return contributions, status.astype(np.int8), excluded, table


def _raise_missing(compiled: CompiledPack, status: np.ndarray, index: pd.Index) -> None:
    """MissingDataError for the first rule (in pack order) with policy ``error`` that met
    missing data, worded as the numpy engine words it."""
    rules = compiled.pack.rules
    for j in compiled.error_rules:
        missing = status[:, j] == MISSING_ERROR
        if missing.any():
            columns = sorted(compiled.pack.expression(rules[j].id).columns & compiled.absent)
            scratch = np.zeros(len(index), dtype=np.int8)
            _apply_missing(rules[j], missing, scratch, np.zeros(len(index), dtype=bool),
                           _labels(index), columns)


def _labels(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return pd.Index([f"{t} on {pd.Timestamp(d).date()}" for d, t in index])
    return index


# ---------------------------------------------------------------------------
# data that stays where it is


@dataclass
class SqlScreen:
    """A screen computed by DuckDB where the data lives, not loaded into pandas.

    :attr:`relation` is the lazy DuckDB relation of the answer (one row per company and
    date: the columns of :class:`~thesis_lib.sql.CompiledPack`); nothing runs until it is
    fetched or written. :meth:`write_parquet` streams it to a file, :meth:`top` fetches the
    best ranked per date, :meth:`fetch` everything (as a DataFrame: mind the size).
    Rules with the missing policy ``error`` are checked before anything is returned.
    """

    compiled: CompiledPack
    run: Callable[[str], duckdb.DuckDBPyRelation] = field(repr=False)
    """Runs a query on the connection the data lives in."""

    @property
    def sql(self) -> str:
        """The query, in DuckDB's dialect."""
        return self.compiled.sql

    @property
    def relation(self) -> duckdb.DuckDBPyRelation:
        return self.run(self.compiled.sql)

    def check(self) -> None:
        """Raise :class:`~thesis_lib.errors.MissingDataError` if a rule with the missing
        policy ``error`` met missing data (one pass over the data; a no-op without such
        rules)."""
        compiled = self.compiled
        if not compiled.error_rules:
            return
        columns = [quote(compiled.status_columns[j]) for j in compiled.error_rules]
        keys = ([quote(compiled.by)] if compiled.by else []) + [quote("ticker")]
        hit = " OR ".join(f"{c} = {MISSING_ERROR}" for c in columns)
        rows = self.run(
            f"SELECT {', '.join(keys + columns)} FROM ({compiled.sql}) WHERE {hit} LIMIT 1000"
        ).df()
        if not len(rows):
            return
        index = (pd.MultiIndex.from_frame(rows[[compiled.by, "ticker"]]) if compiled.by
                 else pd.Index(rows["ticker"]))
        status = np.zeros((len(rows), len(compiled.pack.rules)), dtype=np.int64)
        for k, j in enumerate(compiled.error_rules):
            status[:, j] = rows.iloc[:, len(keys) + k].to_numpy()
        _raise_missing(compiled, status, index)

    def fetch(self) -> pd.DataFrame:
        """Every row of the answer as a DataFrame (in rank order per date)."""
        self.check()
        frame: pd.DataFrame = self.relation.df()
        return frame

    def top(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` best ranked companies (per date for a panel) that passed every gate."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ScreenError(f"n must be a whole number >= 1, got {n!r}", field="n")
        self.check()
        order = ([quote(self.compiled.by)] if self.compiled.by else []) + [quote("rank"),
                                                                          quote("ticker")]
        frame: pd.DataFrame = self.run(
            f"SELECT * FROM ({self.compiled.sql}) WHERE {quote('rank')} <= {n} "
            f"ORDER BY {', '.join(order)}").df()
        return frame

    def write_parquet(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Stream the answer to a Parquet file without holding it in memory; refuses to
        replace an existing file unless ``overwrite``."""
        target = Path(path)
        if target.exists() and not overwrite:
            raise ScreenError(f"{target} already exists", field="path",
                              hint="choose a new file, or pass overwrite=True")
        self.check()
        escaped = str(target).replace("'", "''")
        self.run(f"COPY ({self.compiled.sql}) TO '{escaped}' (FORMAT PARQUET)")
        return target

    def __repr__(self) -> str:
        by = f" by={self.compiled.by!r}" if self.compiled.by else ""
        return f"<SqlScreen pack={self.compiled.pack.id!r} table={self.compiled.table}{by}>"


def screen_relation(source: Any, pack: RulePack, *, by: str | None = None,
                    connection: duckdb.DuckDBPyConnection | None = None) -> SqlScreen:
    """Screen data DuckDB reads in place: a DuckDB relation, a Parquet path (or glob), or
    the name of a table or view in ``connection``."""
    duck = _duckdb()
    run: Callable[[str], Any]
    if isinstance(source, duck.DuckDBPyRelation):
        name = "__thesis_source"
        table = quote(name)

        def run(query: str) -> Any:
            return source.query(name, query)
    elif isinstance(source, os.PathLike) or (isinstance(source, str) and _is_parquet(source)):
        path = os.fspath(source)
        if not any(ch in path for ch in "*?[") and not Path(path).exists():
            raise ScreenError(f"no such file: {path}", field="data",
                              hint="give an existing Parquet file, or a glob: 'dir/*.parquet'")
        run = (connection if connection is not None else connect()).sql
        table = f"read_parquet('{path.replace(chr(39), chr(39) * 2)}')"
    elif isinstance(source, str):
        if connection is None:
            raise ScreenError(
                f"{source!r} is neither a Parquet path nor a table of a given connection",
                field="data", hint="pass connection=<a DuckDB connection> to screen a table")
        run = connection.sql
        table = source
    else:  # pragma: no cover - screen() routes only these types here
        raise ScreenError(f"cannot screen a {type(source).__name__} with DuckDB", field="data")
    try:
        columns = list(run(f"SELECT * FROM {table} LIMIT 0").columns)
    except duck.Error as error:
        raise ScreenError(f"DuckDB cannot read {table}: {str(error).splitlines()[0]}",
                          field="data", hint="check the path or table name") from error
    problems = []
    if "ticker" not in columns:
        problems.append(Problem("the data has no 'ticker' column", field="ticker",
                                hint="one row per company (per date), with a ticker column"))
    if by is not None and by not in columns:
        problems.append(Problem(f"the data has no date column {by!r}", field="by",
                                hint=f"columns are: {', '.join(columns[:12])}"))
    if problems:
        raise ScreenError(problems)
    return SqlScreen(compile_pack(pack, table=table, by=by, columns=columns), run)


def _is_parquet(text: str) -> bool:
    return text.lower().endswith((".parquet", ".parq", ".pq")) or "/" in text or "\\" in text

