"""pytest fixtures for the market-data tests (helpers live in helpers.py)."""

from __future__ import annotations

import random

import pytest

from thesis_lib.market.retry import RetryPolicy

from .helpers import (
    FakeClock,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def policy(clock: FakeClock) -> RetryPolicy:
    """Four attempts, 1 s base delay, 60 s budget, fake time, seeded jitter."""
    return RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=20.0, total_budget=60.0,
                       sleep=clock.sleep, clock=clock, rng=random.Random(7))
