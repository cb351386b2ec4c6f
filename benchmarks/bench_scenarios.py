"""How fast are scenarios? Prints figures; asserts nothing.

Builds a synthetic universe (default 5,000 companies on the built-in chain: the built-in
companies, links and evidence, and synthetic companies with financials and exposures)
and 100 scenarios (the built-in pack's five, repeated with varied factors and weights),
then measures in one run:

- scenarios: ``run_scenarios(universe, pack, scenarios, baskets=False)``, which builds
  the screening frame once and reuses it and the compiled pack for every scenario
  (applying the overrides, screening, and the report of entries, exits and movers);
- separate screens: 100 calls of ``screen(universe, pack)``, each building the frame from
  the universe as a standalone run does (the pack compiled once), with no report;
- separate screens, pack loaded each time: 100 calls of
  ``screen(universe, load_pack("one-layer-down"))``, as 100 scripted runs would;
- and the same two ways with the pack's basket built for every screen
  (``run_scenarios(...)`` against ``build_basket(screen(universe, pack), rules)``).

Run: ``python benchmarks/bench_scenarios.py [--companies 5000] [--scenarios 100]
[--repeat 3]``. Timings on shared machines are noisy: the median and best are reported.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from thesis_lib import (
    Company,
    Universe,
    build_basket,
    load_pack,
    load_universe,
    run_scenarios,
    screen,
)
from thesis_lib.models import Scenario


def synthetic_universe(n: int, seed: int = 0) -> Universe:
    base = load_universe()
    rng = np.random.default_rng(seed)
    layers = [layer for layer in base.chain.ids if layer != "frontier_labs"]
    companies = list(base.companies)  # the built-in companies, which the claims name
    for i in range(n - len(companies)):
        chosen = rng.choice(len(layers), size=int(rng.integers(1, 4)), replace=False)
        shares = rng.dirichlet(np.ones(len(chosen) + 1))[:-1]
        exposures = [{"layer": layers[j], "share": float(s), "ai_share": float(rng.uniform()),
                      "confidence": float(rng.uniform(0.2, 0.9)), "source": "synthetic 2026",
                      "as_of": base.evidence[0].date} for j, s in zip(chosen, shares,
                                                                       strict=True)]
        companies.append(Company(
            ticker=f"C{i:05d}", name=f"Company {i}", country="US", currency="USD",
            listed=bool(rng.uniform() < 0.95), exposures=exposures,
            financials={"revenue_usd": float(10 ** rng.uniform(8, 11.5)), "period": "FY2025",
                        "as_of": base.evidence[0].date, "basis": "estimate",
                        "source": "synthetic 2026"}))
    return Universe(id="synthetic", chain=base.chain, companies=tuple(companies),
                    links=base.links, evidence=base.evidence)


def scenarios(count: int) -> list[Scenario]:
    builtin = load_pack("one-layer-down").scenarios
    out = []
    for k in range(count):
        template = builtin[k % len(builtin)]
        factor = 0.5 + 0.5 * (k / max(count - 1, 1))
        update = {"id": f"{template.id}-{k}",
                  "weights": {"materiality": 5 * factor, "intensity": 12 / factor}}
        if template.scale_ai:
            update["scale_ai"] = {layer: factor for layer in template.scale_ai}
        if template.scale_exposure:
            update["scale_exposure"] = {layer: factor for layer in template.scale_exposure}
        out.append(template.model_copy(update=update))
    return out


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=5000)
    parser.add_argument("--scenarios", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    universe = synthetic_universe(args.companies)
    built = time.perf_counter() - start
    pack = load_pack("one-layer-down")
    chosen = scenarios(args.scenarios)
    n = args.scenarios
    print(f"universe: {len(universe)} companies ({built:.1f} s to build), "
          f"{len(chosen)} scenarios, pack {pack.id} v{pack.version}")
    rules = pack.basket_rules
    groups = {
        "without baskets": {
            "run_scenarios (one frame, one compiled pack)":
                lambda: run_scenarios(universe, pack, chosen, baskets=False),
            f"{n} x screen(universe, pack)":
                lambda: [screen(universe, pack) for _ in range(n)],
            f"{n} x screen(universe, load_pack(...))":
                lambda: [screen(universe, load_pack("one-layer-down")) for _ in range(n)],
        },
        "with the pack's basket": {
            "run_scenarios (one frame, one compiled pack)":
                lambda: run_scenarios(universe, pack, chosen),
            f"{n} x build_basket(screen(universe, pack))":
                lambda: [build_basket(screen(universe, pack), rules) for _ in range(n)],
        },
    }
    for title, runs in groups.items():
        print(f"{title}:")
        results = {name: timed(fn, args.repeat) for name, fn in runs.items()}
        base = statistics.median(results[next(iter(results))])
        for name, times in results.items():
            median = statistics.median(times)
            print(f"  {name:<48} median {median:7.2f} s  best {min(times):7.2f} s  "
                  f"{median / base:5.2f}x run_scenarios")


if __name__ == "__main__":
    main()
