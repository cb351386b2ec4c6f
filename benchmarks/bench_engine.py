"""How fast is the rule engine? Prints figures; asserts nothing.

Builds a synthetic screening frame (default 100,000 companies on the built-in chain, with
market columns and missing values) and a pack of 25 rules that mixes every function kind,
then measures in one run:

- parse: building the pack (every expression parsed, checked and compiled);
- score: ``screen(frame, pack)`` -- every rule on whole columns, with the contributions
  matrix and the missing-data policies -- and, separately, ranking (``result.scores``);
- baseline: the same rules evaluated one company at a time in plain Python (the
  reference evaluator), on a sample of rows, scaled to the full frame;
- a threshold pack (25 ``column > t`` rules) against a tuned numpy floor that computes
  the same contributions, totals and stable order;
- scaling to ``--big-rows`` (default 1,000,000) and the peak memory a screen allocates
  there, next to the frame's own size;
- the tables around the engine: ``result.excluded`` and ``result.to_frame()``.

Each target of the speed work is printed with PASS or MISS.

Run: ``python benchmarks/bench_engine.py [--rows 100000] [--repeat 15] [--sample 2000]
[--big-rows 1000000]``.
Timings on shared machines are noisy: the script reports the median and the best of
``--repeat`` runs. Where two timings are compared as a ratio (threshold pack against the
numpy floor, 1M rows against 100k), the two are run alternately and the ratio is the
median of the pairs' ratios, so that a change in the machine's load between two separate
timing loops does not show up as a difference between them.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import pandas as pd

from thesis_lib import RulePack, load_chain, screen
from thesis_lib.frame import exposure_column
from thesis_lib.rules import Rule
from thesis_lib.rules._rowwise import evaluate_rowwise

RULES: list[tuple[str, str, str]] = [
    # (kind, expression, missing policy)
    ("gate", "listed", "error"),
    ("gate", "adv_usd > 1e6", "skip"),
    ("score", 'exposure_below("accelerators", 1)', "zero"),
    ("score", 'exposure("custom_asic")', "zero"),
    ("score", 'exposure("grid") + exposure("siting")', "zero"),
    ("score", 'exposure("power") * 0.5', "zero"),
    ("score", "evidence_support", "zero"),
    ("score", 'exposure_below("cloud", 1) >= 0.5', "zero"),
    ("penalty", 'exposure("accelerators")', "zero"),
    ("penalty", 'exposure("cloud") + exposure("frontier_labs")', "zero"),
    ("penalty", "clip((pe_forward - 30) / 30, 0, 1)", "skip"),
    ("score", "pct_rank(exposure_hbm + exposure_packaging)", "zero"),
    ("score", "zscore(log(fill(market_cap_usd, 1e9)))", "zero"),
    ("score", "pct_rank(return_3m)", "skip"),
    ("score", "sqrt(exposure_total) * confidence", "zero"),
    ("score", "max(exposure_hbm, exposure_packaging, exposure_foundry)", "zero"),
    ("penalty", "min(abs(return_1m), 0.5)", "skip"),
    ("score", "1 if country in ['KR', 'TW', 'JP'] else 0", "zero"),
    ("score", "0.1 < exposure_grid <= 0.6", "zero"),
    ("score", "is_missing(pe_forward) * 0.1", "zero"),
    ("penalty", "(pe_trailing > 60) and not is_missing(ev_sales)", "zero"),
    ("score", "exposure_hbm ** 2 + exposure_packaging % 0.5", "zero"),
    ("score", "zscore(evidence_support) if exposure_total > 0.2 else -1", "zero"),
    ("score", "log(1 + fill(adv_usd, 0) / 1e6)", "zero"),
    ("score", 'primary_layer == "hbm" or primary_layer == "packaging"', "zero"),
]


def build_pack() -> RulePack:
    rules = tuple(
        Rule(id=f"r{i:02d}", kind=kind, expression=expr, weight=1.0 + i % 5, missing=missing,
             why="benchmark rule")
        for i, (kind, expr, missing) in enumerate(RULES)
    )
    return RulePack(id="bench", version="1", rules=rules)


def build_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    chain = load_chain()
    layers = chain.ids
    raw = rng.dirichlet(np.full(len(layers) + 1, 0.3), size=n)[:, : len(layers)]
    data: dict[str, object] = {
        "name": pd.array([f"Company {i}" for i in range(n)], dtype="string"),
        "country": pd.array(rng.choice(["US", "KR", "TW", "JP", "DE", "FR"], n), dtype="string"),
        "currency": pd.array(rng.choice(["USD", "KRW", "TWD", "JPY", "EUR"], n), dtype="string"),
        "listed": rng.random(n) > 0.02,
        "primary_layer": pd.array(np.array(layers)[raw.argmax(axis=1)], dtype="string"),
    }
    for j, layer in enumerate(layers):
        data[exposure_column(layer)] = raw[:, j]
    data["exposure_total"] = raw.sum(axis=1)
    data["confidence"] = rng.uniform(0.2, 0.9, n)
    data["evidence_support"] = raw @ rng.uniform(-0.5, 0.8, len(layers))

    def with_gaps(values: np.ndarray, share: float) -> np.ndarray:
        values = values.astype(np.float64)
        values[rng.random(n) < share] = np.nan
        return values

    data["pe_forward"] = with_gaps(rng.lognormal(3.2, 0.5, n), 0.1)
    data["pe_trailing"] = with_gaps(rng.lognormal(3.4, 0.6, n), 0.1)
    data["ev_sales"] = with_gaps(rng.lognormal(1.5, 0.7, n), 0.15)
    data["market_cap_usd"] = with_gaps(rng.lognormal(23, 1.5, n), 0.05)
    data["adv_usd"] = with_gaps(rng.lognormal(16, 1.5, n), 0.05)
    data["return_1m"] = with_gaps(rng.normal(0.01, 0.08, n), 0.05)
    data["return_3m"] = with_gaps(rng.normal(0.03, 0.15, n), 0.05)
    index = pd.Index([f"T{i:06d}" for i in range(n)], dtype="string", name="ticker")
    return pd.DataFrame(data, index=index)


THRESHOLD_COLUMNS = ["exposure_hbm", "exposure_packaging", "exposure_custom_asic",
                     "exposure_grid", "exposure_siting", "confidence", "evidence_support",
                     "pe_forward", "adv_usd", "return_3m"]


def threshold_rules() -> list[tuple[str, float, str, float]]:
    """(column, threshold, kind, weight) for 25 threshold rules over numeric columns."""
    out = []
    for i in range(25):
        column = THRESHOLD_COLUMNS[i % len(THRESHOLD_COLUMNS)]
        threshold = {"pe_forward": 25.0, "adv_usd": 1e7, "return_3m": 0.0}.get(
            column, 0.05 * (1 + i // len(THRESHOLD_COLUMNS)))
        out.append((column, threshold, "penalty" if i % 6 == 5 else "score", 1.0 + i % 4))
    return out


def threshold_pack() -> RulePack:
    return RulePack(id="thresholds", version="1", rules=tuple(
        Rule(id=f"t{i:02d}", kind=kind, expression=f"{column} > {threshold!r}",
             weight=weight, missing="zero", why="threshold")
        for i, (column, threshold, kind, weight) in enumerate(threshold_rules())))


def numpy_floor(frame: pd.DataFrame) -> Callable[[], np.ndarray]:
    """The tuned floor: columns taken out once, then contributions, totals and the order
    (score descending, ties by ticker: the synthetic index is already in ticker order)."""
    rules = threshold_rules()
    columns = {c: frame[c].to_numpy(dtype=np.float64) for c in THRESHOLD_COLUMNS}

    def run() -> np.ndarray:
        contributions = np.empty((len(frame), len(rules)))
        for j, (column, threshold, kind, weight) in enumerate(rules):
            np.multiply(columns[column] > threshold, weight if kind == "score" else -weight,
                        out=contributions[:, j])
        total = contributions.sum(axis=1)
        return np.argsort(-total, kind="stable")

    return run


def peak_mib(fn: Callable[[], object]) -> float:
    """Peak memory allocated while ``fn`` runs (numpy and Python objects), in MiB."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, best) wall time in milliseconds over ``repeat`` runs, after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def paired(first: Callable[[], object], second: Callable[[], object],
           repeat: int) -> tuple[float, float, float]:
    """Run ``first`` and ``second`` alternately ``repeat`` times (after one warm-up each):
    (median ms of first, median ms of second, median of the pairs' ratios first/second)."""
    first()
    second()
    a, b = [], []
    for _ in range(repeat):
        for fn, out in ((first, a), (second, b)):
            start = time.perf_counter()
            fn()
            out.append((time.perf_counter() - start) * 1000)
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    return statistics.median(a), statistics.median(b), statistics.median(ratios)


def rowwise_score(pack: RulePack, rows: list[dict[str, object]]) -> list[float]:
    """The baseline: every rule one company at a time in plain Python, then weighted sums."""
    totals = [0.0] * len(rows)
    for rule in pack.rules:
        values = evaluate_rowwise(pack.expression(rule.id), rows)
        for i, value in enumerate(values):
            if rule.kind != "gate" and value == value:
                totals[i] += rule.sign * rule.weight * value
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--sample", type=int, default=2_000,
                        help="rows for the one-at-a-time baseline (scaled to --rows)")
    parser.add_argument("--big-rows", type=int, default=1_000_000,
                        help="rows for the scaling and memory figures (0 to skip)")
    args = parser.parse_args()

    frame = build_frame(args.rows)
    pack = build_pack()
    print(f"frame: {len(frame):,} companies x {frame.shape[1]} columns; "
          f"pack: {len(pack.rules)} rules")

    parse_med, parse_best = timed(build_pack, max(3, args.repeat // 3))
    score_med, score_best = timed(lambda: screen(frame, pack), args.repeat)
    result = screen(frame, pack)
    rank_med, rank_best = timed(lambda: result._build_scores(), max(3, args.repeat // 3))

    sample = frame.head(args.sample)
    rows = [
        {c: (None if pd.isna(v) else v) for c, v in zip(sample.columns, rec, strict=True)}
        for rec in sample.itertuples(index=False)
    ]
    start = time.perf_counter()
    baseline = rowwise_score(pack, rows)
    per_row_ms = (time.perf_counter() - start) * 1000 / len(rows)
    baseline_ms = per_row_ms * len(frame)

    # The baseline must agree with the engine on the same rows (row-local rules only,
    # since the cross-sectional ones see a different population in the sample).
    local = [r.id for r in pack.rules if "pct_rank" not in r.expression
             and "zscore" not in r.expression]
    sample_result = screen(sample, pack)
    local_sum = sample_result.contributions[local].sum(axis=1).to_numpy()
    local_rows = rowwise_score(
        pack.model_copy(update={"rules": tuple(pack.rule(i) for i in local)}), rows)
    agree = bool(np.allclose(local_sum, local_rows))
    _ = baseline

    def screen_and_rank(data: pd.DataFrame, rules: RulePack) -> pd.DataFrame:
        return screen(data, rules).scores

    both_med, both_best = timed(lambda: screen_and_rank(frame, pack), args.repeat)
    for label, med, best in [("parse 25 rules", parse_med, parse_best),
                             ("score with contributions (screen)", score_med, score_best),
                             ("rank (result.scores)", rank_med, rank_best),
                             ("screen(...).scores", both_med, both_best)]:
        print(f"{label + ':':<35} median {med:8.2f} ms   best {best:8.2f} ms")
    print(f"one company at a time (plain Python, {len(rows):,}-row sample scaled): "
          f"{baseline_ms:,.0f} ms")
    print(f"speed-up of vectorized scoring:    {baseline_ms / score_med:,.0f}x (median), "
          f"{baseline_ms / score_best:,.0f}x (best)")
    ratio = baseline_ms / both_med
    print(f"speed-up with ranks, screen(...).scores: {ratio:,.0f}x (target >= 500x): "
          f"{verdict(ratio >= 500)}")
    print(f"baseline agrees with the engine on row-local rules: {agree}")

    # -- the threshold pack against a tuned numpy floor ---------------------------------
    thresholds = threshold_pack()
    floor = numpy_floor(frame)
    engine_order = screen(frame, thresholds).scores.index
    floor_order = frame.index.take(floor())
    same = bool(engine_order.equals(floor_order))
    t_med, f_med, ratio = paired(lambda: screen_and_rank(frame, thresholds), floor,
                                 args.repeat)
    print(f"threshold pack x 25, screen(...).scores: median {t_med:8.2f} ms; numpy floor "
          f"{f_med:.2f} ms; same order: {same}")
    print(f"threshold pack / numpy floor = {ratio:.2f}x (median of paired runs; target "
          f"<= 1.3x): "
          f"{verdict(ratio <= 1.3)}")

    # -- the tables around the engine ----------------------------------------------------
    result = screen(frame, pack)
    ex_med, _ = timed(lambda: result.excluded, max(3, args.repeat // 3))
    tf_med, _ = timed(result.to_frame, max(3, args.repeat // 3))
    print(f"result.excluded ({len(result.excluded):,} rows): median {ex_med:.2f} ms; "
          f"result.to_frame(): median {tf_med:.2f} ms")

    # -- scaling and memory ----------------------------------------------------------------
    if args.big_rows:
        big = build_frame(args.big_rows, seed=1)
        big_med, _, ratio = paired(lambda: screen_and_rank(big, pack),
                                   lambda: screen_and_rank(frame, pack),
                                   max(3, args.repeat // 5))
        allowed = args.big_rows / args.rows * 1.1
        print(f"{args.big_rows:,} rows: screen(...).scores median {big_med:.0f} ms; "
              f"{ratio:.2f}x the {args.rows:,}-row time (target <= {allowed:.0f}x): "
              f"{verdict(ratio <= allowed)}")
        own = big.memory_usage(deep=True).sum() / 2**20
        peak = peak_mib(lambda: screen_and_rank(big, pack))
        print(f"peak memory of screen(...).scores at {args.big_rows:,} rows: {peak:,.0f} MiB; "
              f"the frame itself {own:,.0f} MiB (target: no more): {verdict(peak <= own)}")

if __name__ == "__main__":
    main()
