"""Helpers shared by the command-line and watchlist tests (imported as ``support``)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from thesis_lib import load_universe, save_universe
from thesis_lib.models import Universe


@dataclass
class Ran:
    status: int
    out: str
    err: str


def run_subprocess(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
                   timeout: float = 60) -> Ran:
    """``python -m thesis_lib.cli ARGS`` in a child process, as a user would run it."""
    full_env = {**os.environ, "CI": "1", **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "thesis_lib.cli", *args], cwd=cwd,
                          capture_output=True, text=True, env=full_env, timeout=timeout,
                          check=False)
    return Ran(proc.returncode, proc.stdout, proc.stderr)


def edit_universe(path: Path, *, shares: dict[tuple[str, str], float] | None = None,
                  private: tuple[str, ...] = (), drop: tuple[str, ...] = ()) -> None:
    """Rewrite a universe file: change (ticker, layer) shares, make tickers private, drop some."""
    universe = load_universe(path)
    companies = []
    for company in universe.companies:
        if company.ticker in drop:
            continue
        update: dict[str, object] = {}
        if company.ticker in private:
            update["listed"] = False
        exposures = []
        for exposure in company.exposures:
            key = (company.ticker, exposure.layer)
            if shares and key in shares:
                exposure = exposure.model_copy(update={"share": shares[key]})
            exposures.append(exposure)
        update["exposures"] = tuple(exposures)
        companies.append(company.model_copy(update=update))
    data = universe.model_dump()
    data["companies"] = [c.model_dump() for c in companies]
    # A dropped company takes its links and its mentions in claims with it.
    data["links"] = [lk for lk in data["links"]
                     if lk["supplier"] not in drop and lk["customer"] not in drop]
    for claim in data["evidence"]:
        claim["companies"] = [t for t in claim["companies"] if t not in drop]
        if not claim["companies"] and not claim["layers"]:
            claim["layers"] = ["frontier_labs"]
    save_universe(Universe.parse(data), path, overwrite=True)


WATCHLIST = """\
id = "core"
universe = "universe.toml"
pack = "one-layer-down"
top = 10
always_show = ["NVDA", "MU"]

[[alerts]]
id = "samsung-breaks-out"
kind = "score_crosses"
ticker = "005930.KS"
threshold = 6.0
direction = "up"

[[alerts]]
id = "big-move"
kind = "rank_moves"
min_change = 5

[[alerts]]
id = "new-top-3"
kind = "enters_top"
n = 3

[[alerts]]
id = "dropped"
kind = "leaves_top"

[[alerts]]
id = "went-private"
kind = "gate_starts"
gate = "listed"
"""
