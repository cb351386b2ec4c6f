"""Is the thesis working? Statistics on scores, forward returns and prices (scipy).

::

    from thesis_lib.evaluate import rank_ic, quantile_returns, basket_performance
    rank_ic(result, forward_returns)           # Spearman IC, CI, t-stat, IR, hit rate
    quantile_returns(result, forward_returns)  # mean return per score quintile, spread + CI
    basket_performance(result, prices, since="2026-05-07", benchmark="NVDA", top=10)
    basket_performance(panel_result, prices, since=...)  # rebalanced at each panel date
    rank_stability(pack, universe, noise=0.1, n=200, seed=0)
    factor_turnover(score_panel, quantiles=5, periods=(1, 5, 21))  # how fast ranks change

The data these take, one format each:

- **scores**: a :class:`~thesis_lib.ScreenResult` (its ranked companies' ``score``), a
  Series ticker -> score, or a DataFrame date x ticker of scores as of each date;
- **forward returns**: a Series ticker -> return over one period (e.g. from
  :func:`period_returns`), or a DataFrame date x ticker of the return from that date
  over a horizon (from :func:`forward_returns`, which records ``horizon`` and ``step``
  in ``attrs`` so that overlapping windows get HAC intervals); NaN where unknown;
- **prices**: a price table, date x ticker closes with NaN where a listing had no
  session, or a tidy ``date, ticker, close`` frame (see :mod:`thesis_lib.evaluate.prices`,
  which also says how different exchanges' calendars are aligned).

Every function returns a typed result with ``.to_frame()``, ``.to_text()`` and an HTML
rendering for notebooks; none prints or draws. Errors are :class:`EvaluationError`.

Returns are in US dollars by default, converted at each date's rate (the ``KRW=X``
columns of the prices, or ``fx=``); ``currency="local"`` keeps each listing's currency,
and every result says which (see :mod:`thesis_lib.evaluate.currency`). A listing whose
dollar rate is missing raises :class:`MissingFxError` (a basket passes it over and
lists it).
"""

from thesis_lib.errors import MissingFxError
from thesis_lib.evaluate._common import (
    ConfidenceInterval,
    DependentDatesWarning,
    EvaluationError,
)
from thesis_lib.evaluate.basket import HasWeights, PerformanceOptions, basket_performance
from thesis_lib.evaluate.currency import Currencies, Currency, FxSource
from thesis_lib.evaluate.ic import rank_ic
from thesis_lib.evaluate.prices import forward_returns, period_returns, price_table
from thesis_lib.evaluate.quantiles import quantile_returns
from thesis_lib.evaluate.results import (
    BasketPerformance,
    ICResult,
    PriceAlignment,
    QuantileResult,
    RebalancedPerformance,
    StabilityResult,
    TurnoverResult,
)
from thesis_lib.evaluate.stability import rank_stability
from thesis_lib.evaluate.turnover import factor_turnover

__all__ = [
    "BasketPerformance",
    "ConfidenceInterval",
    "Currencies",
    "Currency",
    "DependentDatesWarning",
    "EvaluationError",
    "FxSource",
    "HasWeights",
    "ICResult",
    "MissingFxError",
    "PerformanceOptions",
    "PriceAlignment",
    "QuantileResult",
    "RebalancedPerformance",
    "StabilityResult",
    "TurnoverResult",
    "basket_performance",
    "factor_turnover",
    "forward_returns",
    "period_returns",
    "price_table",
    "quantile_returns",
    "rank_ic",
    "rank_stability",
]
