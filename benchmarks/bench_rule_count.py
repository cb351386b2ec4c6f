"""Does screening time grow in proportion to the number of rules? Prints figures; asserts
nothing.

Screens the built-in universe with packs of 2,500, 5,000 and 10,000 simple rules (and
25 and 100 on a 100,000-row synthetic frame), in one run. Targets: 10k rules within
2.5x of 5k; 100 rules within 4x of 25.

Run: ``python benchmarks/bench_rule_count.py [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from thesis_lib import RulePack, load_universe, screen


def pack_of(n: int) -> RulePack:
    layers = ["hbm", "packaging", "foundry", "custom_asic", "grid", "power", "siting"]
    return RulePack(id=f"rules-{n}", rules=[
        {"id": f"r{i}", "expression": f'exposure("{layers[i % 7]}") * {i % 5 + 1}',
         "why": "scaling"} for i in range(n)])


def timed(frame: pd.DataFrame, pack: RulePack, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        screen(frame, pack).scores  # noqa: B018 - ranking is part of the cost
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frame = load_universe().to_frame()
    many = {n: timed(frame, pack_of(n), args.repeat) for n in (2500, 5000, 10_000)}
    big = pd.concat([frame] * (100_000 // len(frame) + 1)).iloc[:100_000].copy()
    big.index = pd.Index([f"T{i:06d}" for i in range(len(big))], dtype="string",
                         name="ticker")
    big["exposure_hbm"] = np.random.default_rng(0).uniform(0, 0.5, len(big))
    few = {n: timed(big, pack_of(n), args.repeat) for n in (25, 100)}
    for n, t in many.items():
        print(f"  {n:>6,} rules x {len(frame)} companies   median {t:7.3f} s")
    for n, t in few.items():
        print(f"  {n:>6,} rules x 100,000 companies median {t:7.3f} s")
    ratio = many[10_000] / many[5000]
    print(f"10k rules / 5k rules = {ratio:.2f}x (target <= 2.5x): "
          f"{'PASS' if ratio <= 2.5 else 'MISS'}")
    ratio = few[100] / few[25]
    print(f"100 rules / 25 rules = {ratio:.2f}x (target <= 4x): {'PASS' if ratio <= 4 else 'MISS'}")


if __name__ == "__main__":
    main()
