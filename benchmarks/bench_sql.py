"""The SQL engine against the numpy engine, and a panel larger than a notebook's memory.

Prints figures; asserts nothing. In one run:

1. a panel of ``--names`` companies x ``--months`` month-ends (default 5,000 x 240 =
   1.2M rows) screened with the 25-rule pack of ``bench_engine.py`` (every function kind,
   ``pct_rank`` and ``zscore`` per date): the numpy engine (``screen(panel, pack)``)
   against DuckDB (``screen(panel, pack, engine="duckdb")``, the frame handed over from
   pandas) and against DuckDB reading the same panel from its own table (the data where
   it lives, answer fetched); the ranks of the three are checked equal;
2. a Parquet panel of ``--big-rows`` rows (default 50,000,000) written by DuckDB itself,
   then screened by DuckDB straight from the file into a new Parquet file, in a child
   process whose peak resident memory is printed next to the size the same columns would
   take as float64 in pandas. DuckDB is given ``--memory-limit`` (default 4GB) and spills
   to its temporary directory beyond it.

Run: ``python benchmarks/bench_sql.py [--names 5000] [--months 240] [--repeat 3]
[--big-rows 50000000] [--memory-limit 4GB] [--skip-big] [--workdir DIR]``. The big part
needs about 3 GB of free disk and takes minutes; ``--big-rows 5000000`` is a quick look.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import RULES, build_frame, build_pack

import thesis_lib as tl
from thesis_lib.sql import compile_pack, connect


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def build_panel(names: int, months: int) -> pd.DataFrame:
    """``names`` companies on each of ``months`` month-ends: one synthetic frame of
    names x months rows (bench_engine's columns), cut into dates."""
    frame = build_frame(names * months, seed=1)
    dates = pd.date_range("2007-01-31", periods=months, freq="ME")
    tickers = frame.index[:names]
    index = pd.MultiIndex.from_arrays(
        [np.repeat(dates, names), np.tile(tickers.to_numpy(dtype=object), months)],
        names=["date", "ticker"])
    return frame.set_axis(index)


def part_one(args: argparse.Namespace) -> None:
    pack = build_pack()
    print(f"1. panel {args.names:,} names x {args.months} months "
          f"({args.names * args.months:,} rows), {len(RULES)} rules")
    start = time.perf_counter()
    panel = build_panel(args.names, args.months)
    print(f"   built in {time.perf_counter() - start:.1f} s")
    t_numpy, numpy_result = timed(lambda: tl.screen(panel, pack).scores, args.repeat)
    t_duck, duck_result = timed(lambda: tl.screen(panel, pack, engine="duckdb").scores,
                                args.repeat)
    con = connect()
    flat = panel.reset_index()
    con.register("flat", flat)
    con.execute("CREATE TABLE panel AS SELECT * FROM flat")
    con.unregister("flat")
    query = compile_pack(pack, table="panel", by="date", columns=list(flat.columns)).sql
    t_table, table = timed(lambda: con.sql(query).fetchnumpy(), args.repeat)
    assert isinstance(numpy_result, pd.DataFrame) and isinstance(duck_result, pd.DataFrame)
    same = numpy_result["rank"].equals(duck_result["rank"])
    assert isinstance(table, dict)
    in_table = pd.Series(table["rank"], index=pd.MultiIndex.from_arrays(
        [pd.to_datetime(table["date"]), table["ticker"]])).reindex(numpy_result.index)
    same_table = bool((in_table.fillna(0).to_numpy(dtype=np.int64)
                       == numpy_result["rank"].fillna(0).to_numpy(dtype=np.int64)).all())
    print(f"   numpy engine (screen + scores)            {t_numpy:7.2f} s")
    print(f"   DuckDB, frame from pandas (same result)   {t_duck:7.2f} s  "
          f"({t_duck / t_numpy:.2f}x numpy)")
    print(f"   DuckDB, panel in a DuckDB table, fetched  {t_table:7.2f} s  "
          f"({t_table / t_numpy:.2f}x numpy)")
    print(f"   same ranks on every date: numpy vs DuckDB {same}; vs the table query {same_table}")


def write_big(path: Path, rows: int, names: int) -> None:
    """A Parquet panel of ``rows`` rows written by DuckDB from generated columns: the
    columns the 25-rule pack reads, values on a 1/1000 grid (so that Parquet compresses)."""
    con = connect()
    layers = tl.load_chain().ids
    numbers = [f"round(random() * 0.3, 3) AS exposure_{layer}" for layer in layers]
    numbers += [
        "round(random(), 3) AS exposure_total", "round(random(), 3) AS confidence",
        "round(random() - 0.3, 3) AS evidence_support",
        "CASE WHEN random() < 0.1 THEN NULL ELSE round(10 + random() * 60, 1) END AS pe_forward",
        "CASE WHEN random() < 0.1 THEN NULL ELSE round(10 + random() * 90, 1) END AS pe_trailing",
        "CASE WHEN random() < 0.15 THEN NULL ELSE round(random() * 20, 2) END AS ev_sales",
        "round(exp(18 + random() * 10), -6) AS market_cap_usd",
        "CASE WHEN random() < 0.05 THEN NULL ELSE round(exp(10 + random() * 10), -3) END "
        "AS adv_usd",
        "round(random() * 0.3 - 0.14, 3) AS return_1m",
        "round(random() * 0.6 - 0.27, 3) AS return_3m",
        "random() > 0.02 AS listed",
        "(['US', 'KR', 'TW', 'JP', 'DE', 'FR'])[1 + (i % 6)] AS country",
        f"({[str(x) for x in layers]})[1 + ((i // 7) % {len(layers)})] AS primary_layer",
    ]
    escaped = str(path).replace("'", "''")
    con.execute("SET preserve_insertion_order = false")
    con.execute(
        f"COPY (SELECT DATE '2000-01-31' + INTERVAL (i // {names}) MONTH AS date, "
        f"'T' || lpad(CAST(i % {names} AS VARCHAR), 7, '0') AS ticker, {', '.join(numbers)} "
        f"FROM range({rows}) t(i)) TO '{escaped}' (FORMAT PARQUET, ROW_GROUP_SIZE 1000000)")


def child_big(path: str, out: str, memory_limit: str, temp: str) -> None:
    """Screen the Parquet panel at ``path`` into ``out`` with DuckDB; print the time and
    this process's peak resident memory."""
    con = connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{temp}'")
    con.execute("SET preserve_insertion_order = false")
    start = time.perf_counter()
    result = tl.screen(path, build_pack(), engine="duckdb", by="date", connection=con)
    result.write_parquet(out)
    seconds = time.perf_counter() - start
    top = con.sql(f"SELECT count(*), count(DISTINCT date) FROM read_parquet('{out}') "
                  "WHERE rank = 1").fetchall()[0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    print(f"{seconds:.1f} {peak:.0f} {top[0] if top else 0} {top[1] if top else 0}")


def part_two(args: argparse.Namespace, workdir: Path) -> None:
    names = max(1, args.big_rows // args.months)
    rows = names * args.months
    path = workdir / "panel.parquet"
    print(f"\n2. Parquet panel of {rows:,} rows ({names:,} names x {args.months} months), "
          "screened by DuckDB from the file")
    start = time.perf_counter()
    write_big(path, rows, names)
    size = path.stat().st_size / 2**30
    print(f"   written by DuckDB in {time.perf_counter() - start:.0f} s: {size:.2f} GiB on disk")
    columns = len(tl.load_chain().ids) + 15
    in_pandas = rows * columns * 8 / 2**30
    out = workdir / "scores.parquet"
    child = subprocess.run(
        [sys.executable, __file__, "--child-big", str(path), str(out), args.memory_limit,
         str(workdir / "duckdb-temp")], capture_output=True, text=True, check=False)
    if child.returncode != 0:
        print("   the screen failed:\n" + child.stderr[-2000:])
        return
    seconds, peak, firsts, dates = child.stdout.split()
    print(f"   screened into {out.name} in {float(seconds):.0f} s "
          f"({rows / float(seconds) / 1e6:.2f}M rows/s); rank-1 rows {firsts} over "
          f"{dates} dates")
    print(f"   peak memory of the screening process: {float(peak) / 1024:.2f} GiB "
          f"(DuckDB memory_limit {args.memory_limit}); the same {columns} columns as "
          f"float64 in pandas: {in_pandas:.1f} GiB, before any screening")
    verdict = "PASS" if float(peak) / 1024 < in_pandas else "MISS"
    print(f"   {verdict}: screened without holding the panel in memory "
          "(peak below the panel's size in pandas)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=5_000)
    parser.add_argument("--months", type=int, default=240)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--big-rows", type=int, default=50_000_000)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--child-big", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_big:
        child_big(*args.child_big)
        return
    part_one(args)
    if args.skip_big:
        return
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        part_two(args, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="thesis-bench-") as tmp:
            part_two(args, Path(tmp))


if __name__ == "__main__":
    main()
