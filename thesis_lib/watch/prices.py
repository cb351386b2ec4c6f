"""Price sources by name, for the command line and watchlists: a thin layer over
:mod:`thesis_lib.market`.

A source is ``"yfinance"`` (live, cached on disk; needs the ``market`` extra) or the path
of a CSV or Parquet file of prices read offline by
:class:`~thesis_lib.market.FrameProvider` (optionally with a per-ticker snapshot table).
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from thesis_lib.errors import MarketDataError

__all__ = ["LIVE_SOURCES", "PricedFrame", "attach_prices", "price_provider"]

LIVE_SOURCES: tuple[str, ...] = ("yfinance",)
"""Source names that fetch over the network; anything else is a file path."""


@dataclass(frozen=True)
class PricedFrame:
    """A screening frame with market columns, the attachment it came from, and the
    warnings the market-data layer raised, as one-line notes."""

    frame: pd.DataFrame
    attachment: Any
    notes: tuple[str, ...]

    def summary(self) -> str:
        """E.g. ``market data from prices.csv as of 2026-05-19: 10 ok, 36 missing, 6 private``."""
        att = self.attachment
        counts = att.status["status"].value_counts()
        order = [*_market().STATUS_VALUES, *counts.index]
        parts = ", ".join(f"{int(counts[k])} {k}" for k in dict.fromkeys(order) if k in counts)
        return f"market data from {att.source} as of {att.as_of}: {parts}"


def _market() -> Any:
    try:
        import thesis_lib.market as market
    except ImportError as exc:  # pragma: no cover - the package ships with the library
        raise MarketDataError(f"market data support is not available ({exc})",
                              hint="reinstall thesis-lib") from None
    return market


def price_provider(source: str | os.PathLike[str], *,
                   snapshot: str | os.PathLike[str] | None = None) -> Any:
    """The market-data provider for ``source``: ``"yfinance"`` or a price file."""
    market = _market()
    if str(source) == "yfinance":
        if snapshot is not None:
            raise MarketDataError("a snapshot table only applies to price files",
                                  field="snapshot", hint="leave it out with yfinance")
        # Raises ProviderUnavailableError (with the install hint) without the extra.
        return market.CachedProvider(market.YFinanceProvider())
    path = Path(source)
    if not path.is_file():
        raise MarketDataError(
            "price file not found" if not path.exists() else "not a file", file=str(path),
            hint="give a CSV or Parquet file of prices (date, ticker, close[, volume]), "
                 "or \"yfinance\"")
    if snapshot is not None and not Path(snapshot).is_file():
        raise MarketDataError("snapshot file not found", file=str(snapshot),
                              hint="give a CSV of ticker, currency, shares, pe_forward, ...")
    return market.FrameProvider.from_file(path, snapshot=snapshot)


def attach_prices(
    frame: pd.DataFrame,
    source: str | os.PathLike[str],
    *,
    snapshot: str | os.PathLike[str] | None = None,
    since: dt.date | None = None,
    progress: bool | None = None,
) -> PricedFrame:
    """Add market columns to ``frame`` from ``source`` (see :func:`price_provider`).

    Calls :func:`thesis_lib.market.add_market_data`; its progress bar shows on a
    terminal outside CI unless ``progress`` says otherwise. Market-data warnings
    (tickers missing or stale, damaged cache entries) are returned as ``notes``
    instead of being shown; other warnings pass through.
    """
    market = _market()
    provider = price_provider(source, snapshot=snapshot)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        attachment = market.add_market_data(frame, provider, since=since, progress=progress)
    notes: list[str] = []
    for item in caught:
        if isinstance(item.message, market.MarketDataWarning):
            notes.append(str(item.message))
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
    return PricedFrame(frame=attachment.frame, attachment=attachment, notes=tuple(notes))
