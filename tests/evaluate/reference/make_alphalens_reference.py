"""Make the alphalens reference numbers that tests/evaluate/test_alphalens_reference.py
checks thesis-lib against.

Run once, with alphalens-reloaded installed (it is not a thesis-lib dependency)::

    python -m venv /tmp/al && /tmp/al/bin/pip install alphalens-reloaded==0.5.1
    /tmp/al/bin/python tests/evaluate/reference/make_alphalens_reference.py

It builds a 40-name x 12-date panel from closes (a fixed seed), on which the two
conventions agree: no tied scores, nothing missing, and 40 names in quintiles give
alphalens' ``pandas.qcut`` buckets of 8 each. alphalens computes the 1-day forward
returns from the closes, then the Spearman IC per date, each date's quintile mean
return and the quintile means over all dates (not demeaned). Written beside this script:

- ``alphalens_panel.csv``: date, ticker, score, forward return and alphalens' quintile,
  one row per name and date (the inputs, so the test does not depend on a generator);
- ``alphalens_reference.json``: the versions used and alphalens' results.

Floats are written with ``repr`` precision, so the file round-trips exactly.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import alphalens as al
import numpy as np
import pandas as pd

HERE = Path(__file__).parent
NAMES, DATES, QUANTILES = 40, 12, 5


def main() -> None:
    rng = np.random.default_rng(20261130)
    index = pd.bdate_range("2026-05-04", periods=DATES + 1, name="date")
    tickers = [f"T{i:02d}" for i in range(NAMES)]
    score = pd.DataFrame(rng.standard_normal((DATES + 1, NAMES)), index=index,
                         columns=tickers)
    daily = 0.004 * score + 0.02 * rng.standard_normal(score.shape)
    closes = 100.0 * (1.0 + daily.shift(1).fillna(0.0)).cumprod()  # score leads the move
    factor = score.iloc[:-1].stack()
    factor.index.names = ["date", "asset"]
    data = al.utils.get_clean_factor_and_forward_returns(
        factor, closes, quantiles=QUANTILES, periods=(1,), max_loss=0.0)
    period = data.columns[0]
    ic = al.performance.factor_information_coefficient(data)[period]
    by_date, _ = al.performance.mean_return_by_quantile(data, by_date=True, demeaned=False)
    overall, _ = al.performance.mean_return_by_quantile(data, by_date=False, demeaned=False)
    panel = pd.DataFrame({
        "date": data.index.get_level_values("date").strftime("%Y-%m-%d"),
        "ticker": data.index.get_level_values("asset"),
        "score": data["factor"].to_numpy(),
        "forward_return": data[period].to_numpy(),
        "quantile": data["factor_quantile"].to_numpy().astype(int),
    })
    panel.to_csv(HERE / "alphalens_panel.csv", index=False, float_format="%.17g")
    quantile_by_date = by_date[period].unstack("factor_quantile")
    reference = {
        "made_by": "tests/evaluate/reference/make_alphalens_reference.py",
        "versions": {"alphalens-reloaded": al.__version__, "pandas": pd.__version__,
                     "numpy": np.__version__, "python": platform.python_version()},
        "quantiles": QUANTILES,
        "period": str(period),
        "ic_by_date": {f"{d:%Y-%m-%d}": float(v) for d, v in ic.items()},
        "mean_ic": float(ic.mean()),
        "quantile_mean_return": {str(int(k)): float(v) for k, v in overall[period].items()},
        "quantile_mean_return_by_date": {
            f"{d:%Y-%m-%d}": [float(v) for v in row] for d, row in quantile_by_date.iterrows()},
        "quantile_sizes": {str(int(k)): int(v)
                           for k, v in panel.groupby("quantile").size().items()},
    }
    (HERE / "alphalens_reference.json").write_text(json.dumps(reference, indent=1) + "\n")
    print(f"mean IC {reference['mean_ic']:+.6f}; quintile means "
          f"{[round(v, 6) for v in reference['quantile_mean_return'].values()]}")


if __name__ == "__main__":
    main()
