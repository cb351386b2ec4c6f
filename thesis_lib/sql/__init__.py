"""Rule packs as SQL: compile a pack to one query, run it on DuckDB, emit other dialects.

::

    compile_pack(pack, table="frame", by="date")   -> CompiledPack (.sql: DuckDB's dialect)
    to_dialect(sql, "spark")                       -> the same query in Spark SQL (sqlglot)
    screen(data, pack, engine="duckdb")            -> ScreenResult / PanelResult / SqlScreen

The compiler needs nothing beyond the core; running on DuckDB and translating to other
dialects need the ``sql`` extra (``pip install "thesis-lib[sql]"``), imported only when
used. See ``docs/engines.md`` for when to use which engine.
"""

from thesis_lib.sql.compiler import MISSING_ERROR, CompiledPack, compile_pack
from thesis_lib.sql.dialects import DIALECTS, to_dialect
from thesis_lib.sql.engine import SqlScreen, connect

__all__ = [
    "DIALECTS",
    "MISSING_ERROR",
    "CompiledPack",
    "SqlScreen",
    "compile_pack",
    "connect",
    "to_dialect",
]
