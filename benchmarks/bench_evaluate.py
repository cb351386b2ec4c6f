"""How fast is the information coefficient over a long panel? Prints figures; asserts
nothing.

Builds a synthetic panel of ``--names`` companies (default 3,000) over ``--dates`` dates
(default 2,500) with some missing returns, then measures in one run:

- ``rank_ic`` with a short bootstrap (``--resamples``, default 100: the per-date work
  dominates) and with the default 9,999 resamples;
- a matrix-form reference: every date ranked at once with ``scipy.stats.rankdata``
  (average ties, NaN kept apart) and correlated row by row, no p-values;
- ``quantile_returns`` (quintiles, same short bootstrap), which buckets every date from
  the same one sort (no target; printed for comparison).

Target: ``rank_ic`` on 3,000 x 2,500 within 1 s without bootstrap.

Run: ``python benchmarks/bench_evaluate.py [--names 3000] [--dates 2500] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from thesis_lib.evaluate import quantile_returns, rank_ic


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time in seconds over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def panel(names: int, dates: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2016-01-01", periods=dates, freq="D", name="date")
    columns = pd.Index([f"T{i:05d}" for i in range(names)], dtype="string", name="ticker")
    scores = rng.normal(size=(dates, names))
    returns = 0.05 * scores + rng.normal(size=(dates, names))
    returns[rng.random((dates, names)) < 0.05] = np.nan
    return (pd.DataFrame(scores, index=index, columns=columns),
            pd.DataFrame(returns, index=index, columns=columns))


def matrix_ic(scores: np.ndarray, returns: np.ndarray) -> np.ndarray:
    """Spearman per row: rank the rows (missing pairs left out), then Pearson per row."""
    ok = np.isfinite(scores) & np.isfinite(returns)
    x = stats.rankdata(np.where(ok, scores, np.nan), axis=1, nan_policy="omit")
    y = stats.rankdata(np.where(ok, returns, np.nan), axis=1, nan_policy="omit")
    x = x - np.nanmean(x, axis=1, keepdims=True)
    y = y - np.nanmean(y, axis=1, keepdims=True)
    num = np.nansum(x * y, axis=1)
    return num / np.sqrt(np.nansum(x * x, axis=1) * np.nansum(y * y, axis=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=3_000)
    parser.add_argument("--dates", type=int, default=2_500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--resamples", type=int, default=100)
    args = parser.parse_args()
    scores, returns = panel(args.names, args.dates)
    print(f"panel: {args.names:,} names x {args.dates:,} dates, 5% of returns missing")

    short = timed(lambda: rank_ic(scores, returns, n_resamples=args.resamples), args.repeat)
    full = timed(lambda: rank_ic(scores, returns), 1)
    quintiles = timed(lambda: quantile_returns(scores, returns, n_resamples=args.resamples),
                      args.repeat)
    reference = timed(lambda: matrix_ic(scores.to_numpy(), returns.to_numpy()), args.repeat)
    ours = rank_ic(scores, returns, n_resamples=args.resamples).by_date["ic"].to_numpy()
    agree = bool(np.allclose(ours, matrix_ic(scores.to_numpy(), returns.to_numpy())))
    print(f"  rank_ic, {args.resamples} resamples        median {short:7.3f} s")
    print(f"  rank_ic, default resamples     median {full:7.3f} s")
    print(f"  matrix-form reference (no p)   median {reference:7.3f} s   same ICs: {agree}")
    print(f"  quantile_returns, quintiles    median {quintiles:7.3f} s")
    print(f"rank_ic without bootstrap: {short:.2f} s (target <= 1 s): "
          f"{'PASS' if short <= 1.0 else 'MISS'}")


if __name__ == "__main__":
    main()
