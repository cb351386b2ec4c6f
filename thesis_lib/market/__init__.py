"""Market data for screening: providers, an on-disk cache, FX to dollars, and attachment.

::

    from thesis_lib.market import FrameProvider, CachedProvider, add_market_data
    provider = FrameProvider.from_file("prices.csv", snapshot="snapshot.csv")
    attached = add_market_data(frame, provider, since=date(2026, 5, 7))
    attached.frame        # the screening frame plus MARKET_COLUMNS
    attached.status       # ok / missing / stale / unavailable / failed / private, with reasons

``YFinanceProvider`` needs the ``market`` extra (``pip install "thesis-lib[market]"``);
yfinance is imported only when it fetches. The standard frames are drawn in
:mod:`thesis_lib.market.base`.
"""

from __future__ import annotations

from thesis_lib.frame import MARKET_COLUMNS, MARKET_TEXT_COLUMNS
from thesis_lib.market.attach import MarketAttachment, add_market_data
from thesis_lib.market.base import (
    SNAPSHOT_COLUMNS,
    STATUS_VALUES,
    BaseProvider,
    HistoryQuery,
    HistoryResult,
    MarketDataProvider,
    SnapshotQuery,
    SnapshotResult,
    TickerStatus,
)
from thesis_lib.market.cache import CachedProvider, default_cache_dir
from thesis_lib.market.frame import FrameProvider
from thesis_lib.market.fx import FxRate, FxTable, fx_symbol, normalise_currency
from thesis_lib.market.problems import (
    CacheWarning,
    DeadlineExceededError,
    IncompleteDataWarning,
    MarketDataWarning,
    SourceUnavailableError,
    SourceUnreachableError,
)
from thesis_lib.market.progress import ProgressBar
from thesis_lib.market.retry import RetryPolicy
from thesis_lib.market.sources import LIVE_SOURCES, collect_notes, price_provider
from thesis_lib.market.yfinance import YFinanceProvider

__all__ = [
    "LIVE_SOURCES",
    "MARKET_COLUMNS",
    "MARKET_TEXT_COLUMNS",
    "SNAPSHOT_COLUMNS",
    "STATUS_VALUES",
    "BaseProvider",
    "CacheWarning",
    "CachedProvider",
    "DeadlineExceededError",
    "FrameProvider",
    "FxRate",
    "FxTable",
    "HistoryQuery",
    "HistoryResult",
    "IncompleteDataWarning",
    "MarketAttachment",
    "MarketDataProvider",
    "MarketDataWarning",
    "ProgressBar",
    "RetryPolicy",
    "SnapshotQuery",
    "SnapshotResult",
    "SourceUnavailableError",
    "SourceUnreachableError",
    "TickerStatus",
    "YFinanceProvider",
    "add_market_data",
    "collect_notes",
    "default_cache_dir",
    "fx_symbol",
    "normalise_currency",
    "price_provider",
]
