"""Is the thesis working? Score the universe, then check the scores against saved prices.

Runs offline on `examples/data/prices.csv` (synthetic closes for the priced names, on
their own exchanges' calendars): `python examples/evaluation.py`.
"""

import datetime as dt
from pathlib import Path

import pandas as pd

import thesis_lib as tl
from thesis_lib.evaluate import (
    basket_performance,
    forward_returns,
    period_returns,
    quantile_returns,
    rank_ic,
    rank_stability,
)

PRICES = Path(__file__).parent / "data" / "prices.csv"
THESIS_DATE = dt.date(2026, 5, 7)  # the articles the thesis comes from are from early May 2026

universe = tl.load_universe()
pack = tl.load_pack("one-layer-down")
result = tl.screen(universe, pack)
prices = pd.read_csv(PRICES)  # tidy: date, ticker, close, volume

# 1. The top of the ranking as a basket, against Nvidia (the priced layer) and the
#    equal-weight universe, bought at the first close on or after the thesis date.
#    Returns are in US dollars, at the KRW=X, EUR=X, ... closes the price file carries;
#    currency="local" would keep each listing's own currency.
performance = basket_performance(result, prices, since=THESIS_DATE, top=5, benchmark="NVDA")
print(performance)
print(performance.holdings[["name", "currency", "weight", "local_return", "return",
                            "contribution"]].to_string(float_format=lambda v: f"{v:.4f}"))

# 2. Do higher scores go with higher returns since the thesis date? (one cross-section)
since_thesis = period_returns(prices, THESIS_DATE, tickers=list(result.scores.index))
print(rank_ic(result, since_thesis))
print(quantile_returns(result, since_thesis, q=3))

# 3. The same question month by month: 21-session forward returns, non-overlapping.
priced = [t for t in result.scores.index if t in set(prices["ticker"])]
monthly = forward_returns(prices, horizon=21, tickers=priced)
print(rank_ic(result, monthly))

# 3b. ... with no look-ahead: each window's scores use only the figures public on the
#     day it starts (a panel of what was known at each start date; step 3 used today's).
panel = tl.screen(universe.panel(monthly.index), pack)
print(panel)
print(rank_ic(panel, monthly))

# 4. Does the ranking rest on one fragile weight?
print(rank_stability(pack, universe, noise=0.1, n=200, seed=7, top=10))

print("Synthetic prices; illustrative exposure estimates. Not investment advice.")
