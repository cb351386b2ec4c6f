"""The compiled query in other SQL dialects, by a well-kept SQL transpiler (sqlglot).

The compiler writes DuckDB's dialect; Spark SQL, Snowflake, BigQuery and Postgres get
the same query translated by sqlglot (the ``sql`` extra), and every translation is parsed
back in its own dialect before it is returned, so a query that would not parse there is
an error here rather than on the warehouse.
"""

from __future__ import annotations

from typing import Any

from thesis_lib._suggest import did_you_mean
from thesis_lib.errors import ScreenError
from thesis_lib.sql._optional import require

__all__ = ["DIALECTS", "to_dialect"]

DIALECTS: dict[str, str] = {
    "duckdb": "duckdb",
    "spark": "spark",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "postgres": "postgres",
}
"""Dialect names accepted by :func:`to_dialect` -> sqlglot's names."""


def _sqlglot() -> Any:
    return require("sqlglot", "SQL in dialects other than DuckDB's")


def to_dialect(sql: str, dialect: str, *, pretty: bool = False) -> str:
    """``sql`` (DuckDB's dialect, as :func:`~thesis_lib.sql.compile_pack` writes it) in
    ``dialect``, checked to parse back in that dialect."""
    if dialect not in DIALECTS:
        raise ScreenError(f"unknown SQL dialect {dialect!r}", field="dialect",
                          hint=did_you_mean(dialect, DIALECTS, what="dialects"))
    if dialect == "duckdb" and not pretty:
        return sql
    sqlglot = _sqlglot()
    name = DIALECTS[dialect]
    try:
        (out,) = sqlglot.transpile(sql, read="duckdb", write=name, pretty=pretty,
                                   unsupported_level=sqlglot.ErrorLevel.RAISE)
        sqlglot.parse_one(out, read=name)
    except sqlglot.errors.SqlglotError as error:
        raise ScreenError(f"the query cannot be written in {dialect}: "
                          f"{str(error).splitlines()[0]}", field="dialect") from error
    text: str = out
    return text
