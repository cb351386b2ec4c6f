"""Retries with exponential backoff, full jitter and a total time budget.

A :class:`RetryPolicy` says how hard to try; :meth:`RetryPolicy.start` opens a
:class:`RetryBudget` for one request (shared by every chunk and thread of that
request, so a throttled source cannot make a run take longer than the budget).
``sleep``, ``clock`` and ``rng`` are injectable, so tests never really sleep.

Failures are sorted into five kinds by :func:`classify_exception` (by type, and
by class name and message for the vendor libraries that are not imported here):

``rate_limit``   the source throttled us (retried; :class:`RateLimitError` when given up)
``transient``    timeout, dropped connection, 5xx (retried; :class:`SourceUnavailableError`)
``unreachable``  the host cannot be resolved or connected to: offline, DNS down, connection
                 refused (never retried, and nothing more is tried:
                 :class:`~thesis_lib.market.problems.SourceUnreachableError`)
``missing``      the source does not know the symbol (never retried; :class:`SymbolNotFoundError`)
``fatal``        anything else (never retried; :class:`MarketDataError`)

Deadlines
---------

Retries alone do not bound a run: a server that accepts a connection and never
answers keeps a call in flight for as long as the transport allows (yfinance's
cookie and quote requests wait 30 s each, whatever timeout was asked for). So
every network call runs through :func:`call_with_timeout`, which gives up on it
after the per-call ``timeout`` (a ``transient`` failure, retried) or when the
request's total deadline (a :class:`Deadline`) is reached
(:class:`~thesis_lib.market.problems.DeadlineExceededError`). A call given up on
is left to finish in a daemon thread and its answer is dropped; it never blocks
the caller or the interpreter's exit. :func:`run_deadline` shares one deadline
between every request made inside it (e.g. all the batches of one screen).
"""

from __future__ import annotations

import contextvars
import math
import random
import re
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
from thesis_lib.market.problems import (
    DeadlineExceededError,
    SourceUnavailableError,
    SourceUnreachableError,
)

__all__ = [
    "CallTimeoutError",
    "Deadline",
    "FailureKind",
    "RetryBudget",
    "RetryPolicy",
    "call_with_timeout",
    "classify_exception",
    "to_market_error",
]

T = TypeVar("T")

FailureKind = Literal["rate_limit", "transient", "unreachable", "missing", "fatal"]
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
        "IncompleteRead",
        "JSONDecodeError",
        "CallTimeoutError",
    }
)
_UNREACHABLE_NAMES = frozenset(
    {"DNSError", "NameResolutionError", "gaierror", "ConnectTimeout", "ConnectionRefusedError",
     "NewConnectionError"}
)
#: What resolver and connect failures say (curl codes 5, 6, 7; getaddrinfo; connect(2)).
UNREACHABLE_TEXT = re.compile(
    r"curl: \((5|6|7)\)|Could not resolve (host|proxy)|Failed to connect|Couldn't connect"
    r"|Connection refused|Connection timed out after|Temporary failure in name resolution"
    r"|Name or service not known|nodename nor servname|getaddrinfo failed|No address associated"
    r"|Network is unreachable|No route to host|Failed to resolve",
    re.I,
)
#: What a server in trouble answers (HTTP 5xx pages, Yahoo's "will be right back").
SERVER_TROUBLE_TEXT = re.compile(
    r"\b50[0234]\b|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Time-?out"
    r"|CURRENTLY DOWN|Will be right back",
    re.I,
)
_MISSING_NAMES = frozenset(
    {"YFTickerMissingError", "YFTzMissingError", "YFPricesMissingError"}
)

RATE_LIMIT_HINT = (
    "the source is throttling requests: wait a few minutes, request fewer tickers, "
    "or wrap the provider in CachedProvider so repeated runs do not refetch"
)
TRANSIENT_HINT = "check the network connection and try again later"
UNREACHABLE_HINT = (
    "check the internet connection, DNS and any proxy or firewall; cached prices are "
    "used where fresh, and a price file (--prices FILE.csv) works offline"
)
DEADLINE_HINT = (
    "the source (or a proxy or firewall in between) accepted the connection but did not "
    "answer in time: check the network, or allow more time with a longer deadline "
    "(YFinanceProvider(deadline=...), --deadline SECONDS)"
)
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
    if isinstance(exc, SourceUnreachableError) or names & _UNREACHABLE_NAMES:
        return "unreachable"
    if isinstance(exc, DeadlineExceededError):
        return "fatal"  # the request is over: nothing to retry
    text = str(exc)
    if not isinstance(exc, MarketDataError) and UNREACHABLE_TEXT.search(text):
        return "unreachable"
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
    if "Too Many Requests" in text or "Rate limited" in text:
        return "rate_limit"
    if SERVER_TROUBLE_TEXT.search(text):
        return "transient"
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
    if kind == "unreachable":
        return unreachable_error(source, what)
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


_CURL_DETAIL = re.compile(r"curl: \(\d+\)\s*(.+?)(?:\.?\s+See https?://\S+.*)?['\")]*$", re.S)


def unreachable_error(source: str, what: str) -> SourceUnreachableError:
    """The one error for "the source's host cannot be reached" (``what``: the first cause)."""
    label = "Yahoo Finance" if source == "yfinance" else source
    match = _CURL_DETAIL.search(what)
    cause = match.group(1).strip() if match else what
    return SourceUnreachableError(
        f"cannot reach {label} (offline?): {cause}; no further tickers were tried",
        hint=UNREACHABLE_HINT)


# --------------------------------------------------------------------------- deadlines


class CallTimeoutError(TimeoutError):
    """One network call did not return within its per-call timeout (a transient failure)."""


def check_seconds(value: object, name: str) -> float:
    """``value`` as positive finite seconds, or a :class:`MarketDataError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value) or value <= 0:
        raise MarketDataError(f"{name} must be a positive number of seconds, got {value!r}",
                              field=name, hint=f"e.g. {name}=30")
    return float(value)


class Deadline:
    """The moment a request must be over by (monotonic seconds), and how it is described.

    ``seconds`` from now, or ``run_expiry`` (the end of a longer run this request is
    part of, on the same clock) if that is sooner.
    """

    def __init__(self, seconds: float, *, run_expiry: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        expiry = clock() + seconds
        self.from_run = run_expiry is not None and run_expiry < expiry
        self.expiry = run_expiry if run_expiry is not None and self.from_run else expiry

    def remaining(self) -> float:
        """Seconds left (0 when past)."""
        return max(0.0, self.expiry - self.clock())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def error(self, source: str, what: str) -> DeadlineExceededError:
        """The error for running past this deadline while doing ``what``."""
        budget = ("the run's total deadline" if self.from_run
                  else f"the {self.seconds:g} s deadline")
        return DeadlineExceededError(
            f"{source} did not finish {what} within {budget}; a server, proxy or firewall "
            "accepted the connection but did not answer", hint=DEADLINE_HINT)


def call_with_timeout(fn: Callable[[], T], *, timeout: float, deadline: Deadline,
                      source: str, what: str) -> T:
    """``fn()`` in a daemon thread, given up on after ``timeout`` or at ``deadline``.

    Past the per-call timeout: :class:`CallTimeoutError` (retryable). Past the deadline:
    :class:`~thesis_lib.market.problems.DeadlineExceededError`. An exception ``fn``
    raises is raised here unchanged.
    """
    remaining = deadline.remaining()
    if remaining <= 0:
        raise deadline.error(source, what)
    outcome: list[tuple[bool, object]] = []
    done = threading.Event()
    context = contextvars.copy_context()

    def target() -> None:
        try:
            outcome.append((True, context.run(fn)))
        except BaseException as exc:  # handed over to the caller
            outcome.append((False, exc))
        finally:
            done.set()

    thread = threading.Thread(target=target, name="thesis-market-call", daemon=True)
    thread.start()
    wait = min(timeout, remaining)
    if not done.wait(wait):
        if wait < timeout:
            raise deadline.error(source, what)
        raise CallTimeoutError(f"no answer within the {timeout:g} s per-call timeout ({what})")
    ok, value = outcome[0]
    if ok:
        return value  # type: ignore[return-value]
    assert isinstance(value, BaseException)
    raise value


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

    def start(self, deadline: Deadline | None = None) -> RetryBudget:
        """Open the time budget for one request (no retry waits past ``deadline``)."""
        return RetryBudget(self, deadline)

    def call(self, fn: Callable[[], T], *, source: str, item: str | None = None) -> T:
        """Call ``fn`` with retries under a fresh budget; see :meth:`RetryBudget.call`."""
        return self.start().call(fn, source=source, item=item)


class RetryBudget:
    """The time left for retries in one request; safe to share between threads."""

    def __init__(self, policy: RetryPolicy, hard: Deadline | None = None) -> None:
        self.policy = policy
        self.deadline = policy.clock() + policy.total_budget
        self.hard = hard
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
        if self.hard is not None and delay >= self.hard.remaining():
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
