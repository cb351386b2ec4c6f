"""How fast is a watchlist run on a large universe? Prints figures; asserts nothing.

Screens a synthetic frame of ``--companies`` rows (default 100,000) twice (the second time
with scores perturbed, a few companies gated out and a few gone), then times the parts of
a watch run that grow with the universe: building the snapshot from the result
(``Snapshot.from_result``), its JSON round trip, and ``compare`` (the diff and every
alert of the example watchlist). Target: snapshot plus compare within 0.5 s.

Run: ``python benchmarks/bench_watch.py [--companies 100000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from thesis_lib import load_pack, screen
from thesis_lib.frame import LAYER_PREFIXES, frame_columns
from thesis_lib.watch import Snapshot, load_watchlist
from thesis_lib.watch.diff import compare

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "watchlist.toml"


def synthetic_frame(n: int, seed: int) -> pd.DataFrame:
    pack = load_pack("one-layer-down")
    layers = pack.supply_chain.ids
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {
        "name": pd.array([f"Company {i}" for i in range(n)], dtype="string"),
        "country": pd.array(["US"] * n, dtype="string"),
        "currency": pd.array(["USD"] * n, dtype="string"),
        "listed": rng.uniform(size=n) < 0.97,
        "primary_layer": pd.array(rng.choice(layers, n), dtype="string"),
    }
    for prefix in LAYER_PREFIXES:
        for layer in layers:
            data[f"{prefix}{layer}"] = rng.uniform(0, 1.0 / len(layers), n)
    for column in frame_columns(layers):
        if column not in data:
            data[column] = rng.uniform(0, 1, n)
    data["revenue_usd"] = 10 ** rng.uniform(8, 11, n)
    tickers = pd.Index([f"T{i:06d}" for i in range(n)], dtype="string", name="ticker")
    return pd.DataFrame(data, index=tickers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    watchlist = load_watchlist(EXAMPLE)
    pack = load_pack("one-layer-down")
    first = synthetic_frame(args.companies, 1)
    second = first.copy()
    second["evidence_support"] = second["evidence_support"] * 0.5
    second.loc[second.index[:50], "listed"] = False
    second = second.iloc[100:]
    results = [screen(first, pack), screen(second, pack)]
    when = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)

    def snapshots() -> list[Snapshot]:
        return [Snapshot.from_result(r, watchlist=watchlist.id, top=watchlist.top,
                                     taken_at=when) for r in results]

    timings: dict[str, list[float]] = {"snapshot (x1)": [], "compare": [],
                                       "JSON round trip (x1)": []}
    for _ in range(args.repeat):
        start = time.perf_counter()
        old, new = snapshots()
        timings["snapshot (x1)"].append((time.perf_counter() - start) / 2)
        start = time.perf_counter()
        compare(old, new, watchlist)
        timings["compare"].append(time.perf_counter() - start)
        start = time.perf_counter()
        Snapshot.from_json(new.to_json())
        timings["JSON round trip (x1)"].append(time.perf_counter() - start)
    print(f"watchlist {watchlist.id!r} on {args.companies:,} companies")
    for name, times in timings.items():
        print(f"  {name:<24} median {statistics.median(times):7.3f} s  best {min(times):7.3f} s")
    total = statistics.median(timings["snapshot (x1)"]) + statistics.median(timings["compare"])
    print(f"snapshot + compare: {total:.3f} s (target <= 0.5 s): "
          f"{'PASS' if total <= 0.5 else 'MISS'}")


if __name__ == "__main__":
    main()
