"""The watchlist file: what to screen, how many names to track, and which changes to alert on.

The format is described in :mod:`thesis_lib.watch`. :func:`load_watchlist` reads a file;
:func:`watchlist_problems` lists every problem in one (its own fields, and whether the
universe, pack, tickers and gates it names exist) without raising.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from thesis_lib._suggest import did_you_mean
from thesis_lib.basket.rules import BasketRules
from thesis_lib.errors import DataError, Problem, ThesisError
from thesis_lib.models._base import Model

__all__ = [
    "ALERT_KINDS",
    "Alert",
    "EntersTop",
    "GateStarts",
    "GateStops",
    "LeavesTop",
    "PriceSource",
    "RankMoves",
    "ScoreCrosses",
    "Watchlist",
    "load_watchlist",
    "parse_watchlist",
    "watchlist_problems",
]

ANY = "any"
"""The ``ticker`` (or ``gate``) value that makes an alert apply to every company (or gate)."""

Direction = Literal["up", "down", "either"]
WatchlistId = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=64)
]
AlertId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
                                           max_length=64)]


class PriceSource(Model):
    """Where market data comes from: ``yfinance`` or a CSV/Parquet file of prices.

    ``snapshot`` (files only) is a per-ticker table with currency, shares and P/E;
    ``since`` is the start date of the ``return_since`` column. Relative paths are
    resolved against the watchlist file's folder.
    """

    source: str = Field(min_length=1)
    snapshot: str | None = None
    since: dt.date | None = None


class _Alert(Model):
    """Fields every alert has: an optional ``id`` (shown when it fires) and a ``ticker``."""

    item_label = ("alert", "id")

    id: AlertId | None = None
    ticker: str = Field(default=ANY, min_length=1)

    def applies_to(self, ticker: str) -> bool:
        """Whether this alert watches ``ticker``."""
        return self.ticker == ANY or self.ticker == ticker

    @property
    def subject(self) -> str:
        return "any company" if self.ticker == ANY else self.ticker

    def describe(self) -> str:  # pragma: no cover - every kind overrides it
        raise NotImplementedError


class ScoreCrosses(_Alert):
    """Fires when a score crosses ``threshold``: ``up`` (from below to at or above it),
    ``down`` (from at or above to below) or ``either``."""

    kind: Literal["score_crosses"]
    threshold: float = Field(allow_inf_nan=False)
    direction: Direction = "either"

    def describe(self) -> str:
        way = {"up": "rises through", "down": "falls through", "either": "crosses"}
        return f"score of {self.subject} {way[self.direction]} {self.threshold:g}"


class RankMoves(_Alert):
    """Fires when a ranked company's rank changes by at least ``min_change`` places
    (``up`` means towards rank 1)."""

    kind: Literal["rank_moves"]
    min_change: int = Field(ge=1)
    direction: Direction = "either"

    def describe(self) -> str:
        way = {"up": " up", "down": " down", "either": ""}[self.direction]
        return f"rank of {self.subject} moves{way} by {self.min_change}+ places"


class EntersTop(_Alert):
    """Fires when a company enters the top ``n`` (the watchlist's ``top`` by default)."""

    kind: Literal["enters_top"]
    n: int | None = Field(default=None, ge=1)

    def describe(self) -> str:
        return f"{self.subject} enters the top {self.n or 'N'}"


class LeavesTop(_Alert):
    """Fires when a company leaves the top ``n`` (dropped, excluded or gone)."""

    kind: Literal["leaves_top"]
    n: int | None = Field(default=None, ge=1)

    def describe(self) -> str:
        return f"{self.subject} leaves the top {self.n or 'N'}"


class GateStarts(_Alert):
    """Fires when ``gate`` (a rule id; ``any`` by default) starts excluding a company."""

    kind: Literal["gate_starts"]
    gate: str = Field(default=ANY, min_length=1)

    def describe(self) -> str:
        gate = "a gate" if self.gate == ANY else f"gate {self.gate!r}"
        return f"{gate} starts excluding {self.subject}"


class GateStops(_Alert):
    """Fires when ``gate`` (a rule id; ``any`` by default) stops excluding a company."""

    kind: Literal["gate_stops"]
    gate: str = Field(default=ANY, min_length=1)

    def describe(self) -> str:
        gate = "a gate" if self.gate == ANY else f"gate {self.gate!r}"
        return f"{gate} stops excluding {self.subject}"


Alert = Annotated[
    ScoreCrosses | RankMoves | EntersTop | LeavesTop | GateStarts | GateStops,
    Field(discriminator="kind"),
]
"""One ``[[alerts]]`` entry; ``kind`` says which of the six it is."""

_ALERT_TYPES: dict[str, type[_Alert]] = {
    "score_crosses": ScoreCrosses,
    "rank_moves": RankMoves,
    "enters_top": EntersTop,
    "leaves_top": LeavesTop,
    "gate_starts": GateStarts,
    "gate_stops": GateStops,
}
ALERT_KINDS: tuple[str, ...] = tuple(_ALERT_TYPES)
"""Every alert ``kind`` a watchlist may use."""


class Watchlist(Model):
    """A watchlist: a universe and a pack to screen, the top ``top`` names to track,
    tickers to always show, alert rules, an optional price source and optional basket
    rules (a ``[basket]`` table: :class:`~thesis_lib.basket.BasketRules`; each run then
    builds the basket and rebalances it from the previous run's weights).

    ``universe`` and ``pack`` are built-in names or paths relative to the watchlist
    file. Build one with :func:`load_watchlist` (or directly, with ``base_dir`` unset,
    in which case relative paths are taken from the working directory).
    """

    id: WatchlistId
    description: str = ""
    universe: str = Field(default="ai-compute-2026", min_length=1)
    pack: str = Field(default="one-layer-down", min_length=1)
    top: int = Field(default=10, ge=1, le=1000)
    always_show: tuple[str, ...] = ()
    prices: PriceSource | None = None
    alerts: tuple[Alert, ...] = ()
    basket: BasketRules | None = None

    _file: Path | None = PrivateAttr(default=None)

    @field_validator("prices", mode="before")
    @classmethod
    def _prices_shorthand(cls, value: Any) -> Any:
        # `prices = "yfinance"` is short for `[prices] source = "yfinance"`.
        return {"source": value} if isinstance(value, str) else value

    @field_validator("always_show")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        seen: set[str] = set()
        for ticker in value:
            if ticker in seen:
                raise PydanticCustomError(
                    "duplicate", "{ticker!r} is listed twice", {"ticker": ticker,
                                                                "hint": "list it once"})
            seen.add(ticker)
        return value

    # -- where things are -----------------------------------------------------------
    @property
    def file(self) -> Path | None:
        """The file this watchlist was loaded from, if any."""
        return self._file

    @property
    def base_dir(self) -> Path:
        """The folder relative paths are resolved against."""
        return self._file.parent if self._file is not None else Path.cwd()

    def resolve(self, value: str, builtins: Mapping[str, str] | Sequence[str] = ()) -> str:
        """``value`` unchanged if it is a built-in name, else as a path next to the file."""
        if value in builtins:
            return value
        path = Path(value).expanduser()
        resolved = path if path.is_absolute() else self.base_dir / path
        if not resolved.exists() and len(path.parts) == 1 and not path.suffix:
            return value  # a misspelt built-in name: the loader suggests the right one
        return str(resolved)

    def universe_source(self) -> str:
        """What to pass to :func:`thesis_lib.load_universe`."""
        from thesis_lib.loading import BUILTIN_UNIVERSES

        return self.resolve(self.universe, BUILTIN_UNIVERSES)

    def pack_source(self) -> str:
        """What to pass to :func:`thesis_lib.load_pack`."""
        from thesis_lib.rules.pack import BUILTIN_PACKS

        return self.resolve(self.pack, BUILTIN_PACKS)

    def top_n(self, alert: EntersTop | LeavesTop) -> int:
        """The ``n`` of an enters/leaves alert (the watchlist's ``top`` by default)."""
        return alert.n if alert.n is not None else self.top

    def basket_problems(self, layers: Sequence[str]) -> list[Problem]:
        """Problems with the ``[basket]`` table that the data can tell, [] if none.

        ``layers`` are the layer ids of the universe's chain: every favoured layer must be
        one. Market-cap weighting needs market data, so a ``[prices]`` table.
        """
        rules = self.basket
        if rules is None:
            return []
        file = str(self._file) if self._file else None
        known = list(layers)
        problems = [
            Problem(f"unknown layer {layer!r}", file=file, item=BASKET_ITEM,
                    field="favoured_layers",
                    hint=did_you_mean(layer, known, what="layers")
                    or "use layer ids of the universe's chain: " + ", ".join(known))
            for layer in rules.favoured_layers if layer not in known
        ]
        if self.prices is None and rules.weighting in ("market_cap", "relevance_market_cap"):
            problems.append(Problem(
                f"weighting {rules.weighting!r} needs market caps, and the watchlist has no "
                "[prices]", file=file, item=BASKET_ITEM, field="weighting",
                hint="add a [prices] table with a snapshot file (or yfinance), or use "
                     "weighting = \"score\""))
        return problems

    # -- checks against the data ----------------------------------------------------
    def reference_problems(self, tickers: Sequence[str], rule_ids: Sequence[str],
                           excluding_rules: Sequence[str]) -> list[Problem]:
        """Problems with the tickers and gates this watchlist names, [] if none.

        ``tickers`` are the universe's; ``excluding_rules`` the pack's rules that can
        exclude a company (gates, and rules whose missing policy is ``exclude``).
        """
        file = str(self._file) if self._file else None
        known = set(tickers)
        problems: list[Problem] = []
        for i, ticker in enumerate(self.always_show):
            if ticker not in known:
                problems.append(Problem(
                    f"unknown ticker {ticker!r}", file=file, field=f"always_show[{i}]",
                    hint=did_you_mean(ticker, known, what="tickers")
                    or "use a ticker of the watchlist's universe"))
        for i, alert in enumerate(self.alerts):
            where = _alert_item(i, alert.id)
            if alert.ticker != ANY and alert.ticker not in known:
                problems.append(Problem(
                    f"unknown ticker {alert.ticker!r}", file=file, item=where, field="ticker",
                    hint=did_you_mean(alert.ticker, known, what="tickers")
                    or "use a ticker of the universe, or \"any\""))
            if isinstance(alert, GateStarts | GateStops) and alert.gate != ANY \
                    and alert.gate not in excluding_rules:
                what = "a rule that cannot exclude" if alert.gate in rule_ids else "unknown gate"
                problems.append(Problem(
                    f"{what} {alert.gate!r}", file=file, item=where, field="gate",
                    hint=did_you_mean(alert.gate, excluding_rules, what="gates")
                    or "name a gate of the pack, or \"any\""))
        return problems


def _alert_item(index: int, alert_id: object) -> str:
    return f"alert {alert_id!r}" if isinstance(alert_id, str) and alert_id else \
        f"alert #{index + 1}"


BASKET_ITEM = "[basket]"
"""How problems with a watchlist's ``[basket]`` table name it."""

_ALERT_FIELD = re.compile(r"^alerts\[(\d+)\](?:\.(?:" + "|".join(ALERT_KINDS) + r"))?\.?(.*)$")


_SHARE_HINT = "shares and confidences"
_FIELD_HINTS = {
    "top": "how many names to track: a whole number from 1 to 1000",
    "n": "a whole number of names, 1 or more (default: the watchlist's top)",
    "min_change": "a whole number of places, 1 or more",
    "threshold": "a score, e.g. 5.0",
}


def _relocate(problem: Problem, data: Mapping[str, Any],
              indices: Sequence[int] | None = None) -> Problem:
    """Turn ``alerts[2].score_crosses.threshold`` into item ``alert 'x'``, field ``threshold``.

    ``indices`` maps positions in a filtered alert list back to the file's positions.
    """
    hint = problem.hint
    if hint and hint.startswith(_SHARE_HINT):  # the generic hint is about universe files
        hint = None
    if problem.field == "basket" or (problem.field or "").startswith("basket."):
        field = (problem.field or "")[len("basket."):] or None
        message = problem.message
        if field is None and "valid dictionary" in message:
            message = "'basket' must be a table"
            hint = "write it as a [basket] table (see thesis_lib.basket.BasketRules)"
        return Problem(message, file=problem.file, item=BASKET_ITEM, field=field,
                       position=problem.position, hint=hint)
    match = _ALERT_FIELD.match(problem.field or "")
    if hint is None:
        last = (match.group(2) if match else problem.field) or ""
        hint = _FIELD_HINTS.get(last)
    if not match:
        return Problem(problem.message, file=problem.file, item=problem.item,
                       field=problem.field, position=problem.position, hint=hint)
    index = int(match.group(1))
    if indices is not None and index < len(indices):
        index = indices[index]
    alerts = data.get("alerts")
    raw = alerts[index] if isinstance(alerts, list) and index < len(alerts) else None
    item = _alert_item(index, raw.get("id") if isinstance(raw, Mapping) else None)
    return Problem(problem.message, file=problem.file, item=item,
                   field=match.group(2) or None, position=problem.position, hint=hint)


def _kind_problems(data: Mapping[str, Any], file: str | None) -> list[Problem]:
    """Clear messages for alerts without a known ``kind`` (pydantic's are cryptic)."""
    alerts = data.get("alerts", [])
    if not isinstance(alerts, list):
        return [Problem("'alerts' must be a list of tables", file=file, field="alerts",
                        hint="write each alert as an [[alerts]] table")]
    problems: list[Problem] = []
    for i, raw in enumerate(alerts):
        if not isinstance(raw, Mapping):
            problems.append(Problem("each alert must be a table", file=file,
                                    item=f"alert #{i + 1}", hint="write it as [[alerts]]"))
            continue
        kind = raw.get("kind")
        where = _alert_item(i, raw.get("id"))
        if kind is None:
            problems.append(Problem("required field is missing", file=file, item=where,
                                    field="kind", hint="one of " + ", ".join(ALERT_KINDS)))
        elif kind not in _ALERT_TYPES:
            problems.append(Problem(
                f"unknown alert kind {kind!r}", file=file, item=where, field="kind",
                hint=did_you_mean(str(kind), ALERT_KINDS, what="kinds")))
    return problems


def _default_id(path: Path) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.\-]+", "-", path.stem).strip("-._") or "watchlist"
    return slug[:64]


def parse_watchlist(data: Mapping[str, Any], *, file: str | Path | None = None) -> Watchlist:
    """Build a :class:`Watchlist` from parsed TOML, reporting every problem at once."""
    where = str(file) if file is not None else None
    raw = dict(data)
    if "id" not in raw and file is not None:
        raw["id"] = _default_id(Path(file))
    problems = _kind_problems(raw, where)
    if problems:
        # Validate the rest too, so one run lists everything; drop pydantic's kind noise.
        alerts = raw.get("alerts")
        indices = [i for i, a in enumerate(alerts)
                   if isinstance(a, Mapping) and a.get("kind") in _ALERT_TYPES] \
            if isinstance(alerts, list) else []
        keep = [alerts[i] for i in indices] if isinstance(alerts, list) else []
        try:
            Watchlist.parse({**raw, "alerts": keep}, file=where)
        except ThesisError as exc:
            problems += [_relocate(p, raw, indices) for p in exc.problems
                         if p.field != "alerts"]
        raise DataError(problems)
    try:
        watchlist: Watchlist = Watchlist.parse(raw, file=where)
    except ThesisError as exc:
        raise DataError([_relocate(p, raw) for p in exc.problems]) from None
    if file is not None:
        watchlist._file = Path(file)
    return watchlist


def load_watchlist(path: str | Path) -> Watchlist:
    """Read a watchlist TOML file (see :mod:`thesis_lib.watch` for the format).

    Raises :class:`~thesis_lib.errors.DataError` listing every problem in the file.
    Whether the universe, pack, tickers and gates it names exist is checked when it
    runs, or all at once by :func:`watchlist_problems`.
    """
    from thesis_lib.loading import read_toml

    file = Path(path)
    return parse_watchlist(read_toml(file), file=file)


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
    except ThesisError as exc:
        return list(exc.problems)
    problems: list[Problem] = []
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


def _price_problems(watchlist: Watchlist) -> list[Problem]:
    prices = watchlist.prices
    if prices is None:
        return []
    file = str(watchlist.file) if watchlist.file else None
    problems: list[Problem] = []
    if prices.source != "yfinance":
        source = Path(watchlist.resolve(prices.source))
        if not source.is_file():
            problems.append(Problem("price file not found", file=file, item="prices",
                                    field="source", hint=f"no file at {source}; use a CSV or "
                                    "Parquet file of prices, or \"yfinance\""))
    elif prices.snapshot is not None:
        problems.append(Problem("'snapshot' only applies to price files", file=file,
                                item="prices", field="snapshot",
                                hint="remove it when the source is yfinance"))
    if prices.snapshot is not None and prices.source != "yfinance":
        snap = Path(watchlist.resolve(prices.snapshot))
        if not snap.is_file():
            problems.append(Problem("snapshot file not found", file=file, item="prices",
                                    field="snapshot", hint=f"no file at {snap}"))
    return problems
