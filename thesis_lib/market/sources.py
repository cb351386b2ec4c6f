"""Price sources by name, for the command line and watchlists.

A source is ``"yfinance"`` (live, cached on disk; needs the ``market`` extra) or the path
of a CSV or Parquet file of prices read offline by
:class:`~thesis_lib.market.FrameProvider` (optionally with a per-ticker snapshot table).
:func:`collect_notes` turns the market-data warnings raised while screening into
one-line notes for a report.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from thesis_lib._files import check_file
from thesis_lib.errors import MarketDataError
from thesis_lib.market.base import MarketDataProvider
from thesis_lib.market.cache import CachedProvider
from thesis_lib.market.frame import FrameProvider
from thesis_lib.market.problems import MarketDataWarning, gathered_warnings

__all__ = ["DEFAULT_RUN_DEADLINE", "LIVE_SOURCES", "collect_notes", "price_provider"]

LIVE_SOURCES: tuple[str, ...] = ("yfinance",)
"""Source names that fetch over the network; anything else is a file path."""

#: Seconds all the market data of one run (a screen, a watch) may take, unless told.
DEFAULT_RUN_DEADLINE = 300.0


def price_provider(source: str | os.PathLike[str], *,
                   snapshot: str | os.PathLike[str] | None = None,
                   timeout: float | None = None,
                   deadline: float | None = None) -> MarketDataProvider:
    """The market-data provider for ``source``: ``"yfinance"`` or a price file.

    For ``"yfinance"`` (a :class:`~thesis_lib.market.YFinanceProvider` behind a
    :class:`~thesis_lib.market.CachedProvider`): ``timeout`` is the per-call timeout
    in seconds (default 10) and ``deadline`` the total for every request of the run
    (default :data:`DEFAULT_RUN_DEADLINE`, 300 s); one request never gets more than
    the provider's own 120 s. Neither applies to price files, which are read locally.
    """
    if str(source) == "yfinance":
        if snapshot is not None:
            raise MarketDataError("a snapshot table only applies to price files",
                                  field="snapshot", hint="leave it out with yfinance")
        from thesis_lib.market.retry import check_seconds
        from thesis_lib.market.yfinance import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, YFinanceProvider

        run = DEFAULT_RUN_DEADLINE if deadline is None else check_seconds(deadline, "deadline")
        # Raises ProviderUnavailableError (with the install hint) without the extra.
        return CachedProvider(YFinanceProvider(
            timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
            deadline=min(DEFAULT_DEADLINE, run), total_deadline=run))
    path = Path(source)
    _check_table(path, "price file",
                 "give a CSV or Parquet file of prices (date, ticker, close[, volume]), "
                 "or \"yfinance\"")
    if snapshot is not None:
        _check_table(snapshot, "snapshot file",
                     "give a CSV of ticker, currency, shares, pe_forward, ...")
    return FrameProvider.from_file(path, snapshot=snapshot)


def _check_table(path: str | os.PathLike[str], what: str, hint: str) -> None:
    """A readable regular file, or a :class:`MarketDataError`; a missing one says what
    to give instead."""
    try:
        check_file(path, error=MarketDataError, what=what)
    except MarketDataError as exc:
        if exc.problem.message != f"{what} not found":
            raise
        raise MarketDataError(f"{what} not found", file=exc.file, hint=hint) from None


@contextlib.contextmanager
def collect_notes() -> Iterator[list[str]]:
    """Inside the block, market-data warnings become lines of the yielded list; any other
    warning passes through unchanged."""
    notes: list[str] = []
    with gathered_warnings(MarketDataWarning) as caught:
        yield notes
    notes.extend(str(warning) for warning in caught)
