"""``thesis sql``: a pack compiled to one SQL query, in the dialect of the engine that runs it."""

from __future__ import annotations

import argparse
import json

from thesis_lib.cli._output import Output


def sql_command(args: argparse.Namespace) -> Output:
    from thesis_lib.errors import EngineUnavailableError
    from thesis_lib.rules import load_pack
    from thesis_lib.sql import compile_pack, to_dialect

    pack = load_pack(args.pack)
    compiled = compile_pack(pack, table=args.table, by=args.by)
    try:
        query = to_dialect(compiled.sql, args.dialect, pretty=not args.compact)
    except EngineUnavailableError:
        if args.dialect != "duckdb":
            raise
        query = compiled.sql  # DuckDB's own dialect: printed as compiled, one line a stage
    if args.format == "json":
        return Output(json.dumps({"pack": pack.id, "version": pack.version,
                                  "dialect": args.dialect, "table": args.table, "by": args.by,
                                  "columns": ["ticker", "score", "rank", "passed", "excluded_by",
                                              *(c for pair in zip(compiled.contribution_columns,
                                                                  compiled.status_columns,
                                                                  strict=True) for c in pair)],
                                  "sql": query}, indent=2) + "\n")
    return Output(query.rstrip() + ";\n")
