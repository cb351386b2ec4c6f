"""Warnings and the one extra error class of the market-data package.

::

    UserWarning
    └── MarketDataWarning            anything worth knowing about market data
        ├── IncompleteDataWarning    some tickers are missing, failed or stale
        └── CacheWarning             a cache entry was unreadable and is being refetched

    MarketDataError                  (thesis_lib.errors)
    └── SourceUnavailableError       the source timed out or dropped the connection, even
        │                            after retries
        ├── SourceUnreachableError   the source's host could not be resolved or connected
        │                            to at all (offline?); nothing more is tried
        └── DeadlineExceededError    the request ran past its total deadline (a server that
                                     accepts connections and never answers, say)

A result with tickers that are not ``ok`` always says so twice: once as an
:class:`IncompleteDataWarning`, and once in its status table.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TypeVar

from thesis_lib.errors import SourceUnavailableError

W = TypeVar("W", bound=Warning)

__all__ = [
    "CacheWarning",
    "DeadlineExceededError",
    "IncompleteDataWarning",
    "MarketDataWarning",
    "SourceUnavailableError",
    "SourceUnreachableError",
]


class SourceUnreachableError(SourceUnavailableError):
    """The source's host could not be resolved or connected to (no network, DNS down,
    firewall refusing). Raised at the first such failure: the other tickers are not tried."""


class DeadlineExceededError(SourceUnavailableError):
    """A request did not finish within its total deadline (calls in flight included)."""


class MarketDataWarning(UserWarning):
    """Base of every warning the market-data package emits."""


class IncompleteDataWarning(MarketDataWarning):
    """Some requested tickers came back missing, failed or stale (see the status table)."""


class CacheWarning(MarketDataWarning):
    """A cache entry could not be read (corrupt, partial or foreign); it is fetched again."""


@contextmanager
def gathered_warnings(category: type[W]) -> Iterator[list[W]]:
    """Collect the warnings of ``category`` raised inside the block instead of showing them.

    Every other warning is re-emitted unchanged when the block ends, so nothing
    else is hidden.
    """
    gathered: list[W] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield gathered
    for item in caught:
        if isinstance(item.message, category):
            gathered.append(item.message)
        else:
            warnings.warn_explicit(
                item.message,
                item.category,
                item.filename,
                item.lineno,
                source=item.source,
            )


def gathered_incomplete_warnings() -> AbstractContextManager[list[IncompleteDataWarning]]:
    """Collect :class:`IncompleteDataWarning` raised inside the block (see
    :func:`gathered_warnings`). Used where several results are combined into one, so that
    the caller sees a single warning for the whole request."""
    return gathered_warnings(IncompleteDataWarning)


def describe_tickers(tickers: Sequence[str], limit: int = 8) -> str:
    """``'A', 'B', 'C'`` or ``'A', 'B' and 5 more`` for messages."""
    shown = ", ".join(repr(t) for t in tickers[:limit])
    if len(tickers) > limit:
        shown += f" and {len(tickers) - limit} more"
    return shown
