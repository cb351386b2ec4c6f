from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from support import WATCHLIST, Ran

from thesis_lib import load_universe, save_universe
from thesis_lib.cli import main

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# The full run over untrusted input (tests/fuzz): 10,000 examples each, e.g.
#   HYPOTHESIS_PROFILE=fuzz python -m pytest tests/fuzz -q
settings.register_profile(
    "fuzz", max_examples=10_000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# -- fixtures shared by the command-line and watchlist tests -------------------------------
@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Call ``main(argv)`` in this process and capture what it prints."""
    def run(*args: str) -> Ran:
        status = main(list(args))
        captured = capsys.readouterr()
        return Ran(status, captured.out, captured.err)

    return run


@pytest.fixture
def watch_dir(tmp_path: Path) -> Path:
    """A folder with a copy of the built-in universe and a watchlist that uses it."""
    universe = load_universe()
    save_universe(universe, tmp_path / "universe.toml")
    (tmp_path / "watchlist.toml").write_text(WATCHLIST, encoding="utf-8")
    return tmp_path


@pytest.fixture
def prices_csv(tmp_path: Path) -> Path:
    """A small offline price file (tidy: date, ticker, close, volume) for three US tickers."""
    import pandas as pd

    days = pd.bdate_range("2026-01-02", "2026-05-15")
    rows = ["date,ticker,close,volume"]
    for ticker, start in (("MU", 100.0), ("NVDA", 180.0), ("TSM", 250.0)):
        for i, day in enumerate(days):
            rows.append(f"{day.date()},{ticker},{start * (1 + 0.002 * i):.4f},1000000")
    path = tmp_path / "prices-data" / "prices.csv"
    path.parent.mkdir()
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path
