"""Retries with exponential backoff, full jitter and a total time budget.

A :class:`RetryPolicy` says how hard to try; :meth:`RetryPolicy.start` opens a
:class:`RetryBudget` for one request (shared by every chunk and thread of that
request, so a throttled source cannot make a run take longer than the budget).
``sleep``, ``clock`` and ``rng`` are injectable, so tests never really sleep.

Failures are sorted into four kinds by :func:`classify_exception` (by type, and
by class name for the vendor libraries that are not imported here):

``rate_limit``  the source throttled us (retried; :class:`RateLimitError` when given up)
``transient``   timeout, dropped connection, 5xx (retried; :class:`SourceUnavailableError`)
``missing``     the source does not know the symbol (never retried; :class:`SymbolNotFoundError`)
``fatal``       anything else (never retried; :class:`MarketDataError`)
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from thesis_lib.errors import (
    MarketDataError,
    RateLimitError,
    SymbolNotFoundError,
)
from thesis_lib.market.problems import SourceUnavailableError

__all__ = ["FailureKind", "RetryBudget", "RetryPolicy", "classify_exception", "to_market_error"]

T = TypeVar("T")

FailureKind = Literal["rate_limit", "transient", "missing", "fatal"]
RETRYABLE: frozenset[str] = frozenset({"rate_limit", "transient"})

_RATE_LIMIT_NAMES = frozenset({"YFRateLimitError", "TooManyRequests"})
_TRANSIENT_NAMES = frozenset(
    {
        "Timeout",
        "TimeoutError",
        "ConnectTimeout",
        "ReadTimeout",
        "ConnectionError",
        "ChunkedEncodingError",
        "RemoteDisconnected",
        "ProxyError",
        "DNSError",
        "IncompleteRead",
    }
)
_MISSING_NAMES = frozenset(
    {"YFTickerMissingError", "YFTzMissingError", "YFPricesMissingError"}
)

RATE_LIMIT_HINT = (
    "the source is throttling requests: wait a few minutes, request fewer tickers, "
    "or wrap the provider in CachedProvider so repeated runs do not refetch"
)
TRANSIENT_HINT = "check the network connection and try again later"
MISSING_HINT = "check the symbol and its exchange suffix (e.g. '000660.KS' for SK Hynix)"


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def classify_exception(exc: BaseException) -> FailureKind:
    """Which kind of failure ``exc`` is (see the module docstring)."""
    names = _class_names(exc)
    if isinstance(exc, RateLimitError) or names & _RATE_LIMIT_NAMES:
        return "rate_limit"
    if isinstance(exc, SymbolNotFoundError) or names & _MISSING_NAMES:
        return "missing"
    if isinstance(exc, SourceUnavailableError | TimeoutError | ConnectionError):
        return "transient"
    if names & _TRANSIENT_NAMES:
        return "transient"
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(status, int):
        if status == 429:
            return "rate_limit"
        if status == 404:
            return "missing"
        if status >= 500:
            return "transient"
    if isinstance(exc, MarketDataError):
        return "fatal"
    text = str(exc)
    if "Too Many Requests" in text or "Rate limited" in text:
        return "rate_limit"
    return "fatal"


def describe_exception(exc: BaseException) -> str:
    """A one-line description such as ``Timeout: operation timed out``."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def to_market_error(
    exc: BaseException, *, source: str, item: str | None = None, attempts: int = 1
) -> MarketDataError:
    """The library error for ``exc`` (already a library error: returned unchanged)."""
    if isinstance(exc, MarketDataError):
        return exc
    kind = classify_exception(exc)
    what = describe_exception(exc)
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    if kind == "rate_limit":
        return RateLimitError(
            f"{source} rate-limited the request{tries} ({what})", item=item, hint=RATE_LIMIT_HINT
        )
    if kind == "transient":
        return SourceUnavailableError(
            f"{source} did not answer{tries} ({what})", item=item, hint=TRANSIENT_HINT
        )
    if kind == "missing":
        return SymbolNotFoundError(f"{source} does not know this symbol ({what})", item=item,
                                   hint=MISSING_HINT)
    return MarketDataError(f"{source} failed ({what})", item=item)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry rate limits and transient failures.

    Delays follow "full jitter": before attempt ``n + 1`` the wait is uniform in
    ``[0, min(max_delay, base_delay * 2**n)]``. No retry starts if it would end
    after ``total_budget`` seconds from the start of the request.
    """

    max_attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 20.0
    total_budget: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    rng: random.Random | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise MarketDataError("max_attempts must be at least 1", field="max_attempts")
        if self.base_delay < 0 or self.max_delay < 0 or self.total_budget < 0:
            raise MarketDataError(
                "delays and the time budget cannot be negative", field="RetryPolicy"
            )

    def start(self) -> RetryBudget:
        """Open the time budget for one request."""
        return RetryBudget(self)

    def call(self, fn: Callable[[], T], *, source: str, item: str | None = None) -> T:
        """Call ``fn`` with retries under a fresh budget; see :meth:`RetryBudget.call`."""
        return self.start().call(fn, source=source, item=item)


class RetryBudget:
    """The time left for retries in one request; safe to share between threads."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.deadline = policy.clock() + policy.total_budget
        self._rng = policy.rng if policy.rng is not None else random.Random()
        self._lock = threading.Lock()

    def next_delay(self, attempt: int) -> float | None:
        """The wait before retrying after failed attempt number ``attempt`` (0-based).

        ``None`` means give up: no attempts left, or the wait would overrun the budget.
        """
        policy = self.policy
        if attempt + 1 >= policy.max_attempts:
            return None
        cap = min(policy.max_delay, policy.base_delay * (2.0**attempt))
        with self._lock:
            delay = self._rng.uniform(0.0, cap)
        if policy.clock() + delay > self.deadline:
            return None
        return delay

    def wait(self, attempt: int) -> bool:
        """Sleep before the next attempt; ``False`` (without sleeping) if we should give up."""
        delay = self.next_delay(attempt)
        if delay is None:
            return False
        self.policy.sleep(delay)
        return True

    def call(self, fn: Callable[[], T], *, source: str, item: str | None = None) -> T:
        """Call ``fn``, retrying rate limits and transient failures within this budget.

        Gives up with the library error for the last failure (see :func:`to_market_error`).
        """
        attempt = 0
        while True:
            try:
                return fn()
            except Exception as exc:
                kind = classify_exception(exc)
                if kind in RETRYABLE and self.wait(attempt):
                    attempt += 1
                    continue
                raise to_market_error(
                    exc, source=source, item=item, attempts=attempt + 1
                ) from exc
