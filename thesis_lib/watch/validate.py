"""Checking what a watchlist refers to: the universe, pack, tickers, gates, prices and
basket it names (:func:`watchlist_problems`), and locating a failed basket build in the
watchlist's ``[basket]`` table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from thesis_lib._files import check_file, display_path
from thesis_lib.errors import Problem, ThesisError
from thesis_lib.watch.model import (
    BASKET_ITEM,
    Watchlist,
)
from thesis_lib.watch.parse import (
    load_watchlist,
)

__all__ = ["basket_build_problems", "excluding_rules", "validate_watchlist",
           "watchlist_problems"]


def excluding_rules(pack: Any) -> list[str]:
    """Rule ids of ``pack`` that can exclude a company: gates and ``missing = "exclude"``."""
    return [r.id for r in pack.rules if r.kind == "gate" or r.missing == "exclude"]


def watchlist_problems(path: str | Path) -> list[Problem]:
    """Every problem with a watchlist file, [] when it is valid.

    Checks the file's own fields, then loads the universe and the pack it names and
    checks the tickers (``always_show``, alert ``ticker``) and gates it refers to.
    """
    from thesis_lib.loading import load_universe
    from thesis_lib.rules.pack import load_pack

    try:
        watchlist = load_watchlist(path)
        problems: list[Problem] = []
    except ThesisError as exc:
        problems = list(exc.problems)
        # Check what the readable rest refers to as well, so one run lists everything.
        salvaged = _salvage(path, problems)
        if salvaged is None:
            return problems
        watchlist = salvaged
    universe = pack = None
    try:
        universe = load_universe(watchlist.universe_source())
    except ThesisError as exc:
        problems += [p.located(file=str(path), item="universe") for p in exc.problems]
    try:
        pack = load_pack(watchlist.pack_source())
    except ThesisError as exc:
        problems += [p.located(file=str(path), item="pack") for p in exc.problems]
    if watchlist.prices is not None:
        problems += _price_problems(watchlist)
    if universe is not None and pack is not None:
        problems += [p for p in pack.problems(universe) if p.field == "chain"]
    tickers = list(universe.tickers) if universe is not None else None
    rules = [r.id for r in pack.rules] if pack is not None else None
    if tickers is not None and rules is not None and pack is not None:
        problems += watchlist.reference_problems(tickers, rules, excluding_rules(pack))
    if universe is not None and watchlist.basket is not None:
        problems += watchlist.basket_problems([layer.id for layer in universe.chain])
        if not problems and pack is not None and watchlist.prices is None:
            problems += _trial_basket(watchlist, universe, pack)
    return problems


def _salvage(path: str | Path, problems: list[Problem]) -> Watchlist | None:
    """The watchlist without the fields and alerts ``problems`` are about (their defaults
    instead), or None if even that does not load."""
    import re

    from thesis_lib.loading import read_toml
    from thesis_lib.watch.model import _alert_item
    from thesis_lib.watch.parse import parse_watchlist

    try:
        data = dict(read_toml(Path(path)))
    except ThesisError:
        return None
    items = {p.item for p in problems}
    for p in problems:
        if p.item is None and p.field:
            data.pop(re.split(r"[.\[]", p.field)[0], None)
    if BASKET_ITEM in items:
        data.pop("basket", None)
    alerts = data.get("alerts")
    if isinstance(alerts, list):
        data["alerts"] = [a for i, a in enumerate(alerts)
                          if _alert_item(i, a.get("id") if isinstance(a, dict) else None)
                          not in items]
    try:
        return parse_watchlist(data, file=path)
    except ThesisError:
        return None


def _trial_basket(watchlist: Watchlist, universe: Any, pack: Any) -> list[Problem]:
    """Build the basket once on today's screen (offline only): can the rules be met?"""
    from thesis_lib.basket import build_basket
    from thesis_lib.pipeline import screen

    try:
        build_basket(screen(universe, pack), watchlist.basket)
    except ThesisError as exc:
        return basket_build_problems(exc, watchlist)
    return []


def basket_build_problems(exc: ThesisError, watchlist: Watchlist) -> list[Problem]:
    """The problems of a failed basket build, located in the watchlist's ``[basket]``."""
    file = str(watchlist.file) if watchlist.file else None
    out = []
    for p in exc.problems:
        item = BASKET_ITEM if p.item in (None, "basket rules") else f"{BASKET_ITEM}, {p.item}"
        out.append(Problem(p.message, file=p.file or file, item=item, field=p.field,
                           position=p.position, hint=p.hint))
    return out


def _file_problem(path: Path, *, what: str) -> tuple[str, str | None] | None:
    """(message, hint) if ``path`` is not a readable regular file (hint None when it is
    simply missing), else None."""
    try:
        check_file(path, what=what)
    except ThesisError as exc:
        if exc.problem.message == f"{what} not found":
            return exc.problem.message, None
        return f"{display_path(path)}: {exc.problem.message}", exc.problem.hint
    return None


def _price_problems(watchlist: Watchlist) -> list[Problem]:
    prices = watchlist.prices
    if prices is None:
        return []
    file = str(watchlist.file) if watchlist.file else None
    problems: list[Problem] = []
    if prices.source != "yfinance":
        source = Path(watchlist.resolve(prices.source))
        found = _file_problem(source, what="price file")
        if found is not None:
            message, hint = found
            problems.append(Problem(message, file=file, item="prices", field="source",
                                    hint=hint or f"no file at {display_path(source)}; use a "
                                    "CSV or Parquet file of prices, or \"yfinance\""))
    elif prices.snapshot is not None:
        problems.append(Problem("'snapshot' only applies to price files", file=file,
                                item="prices", field="snapshot",
                                hint="remove it when the source is yfinance"))
    if prices.snapshot is not None and prices.source != "yfinance":
        snap = Path(watchlist.resolve(prices.snapshot))
        found = _file_problem(snap, what="snapshot file")
        if found is not None:
            message, hint = found
            problems.append(Problem(message, file=file, item="prices", field="snapshot",
                                    hint=hint or f"no file at {display_path(snap)}"))
    return problems


def validate_watchlist(path: str | Path) -> list[Problem]:
    """Every problem with a watchlist file, [] when it is valid (the same as
    :func:`watchlist_problems`, named like ``validate_pack`` and ``validate_universe``)."""
    return watchlist_problems(path)
