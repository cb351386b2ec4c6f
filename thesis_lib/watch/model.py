"""The watchlist file: what to screen, how many names to track, and which changes to alert on.

The format is described in :mod:`thesis_lib.watch`. This module is the schema;
:mod:`thesis_lib.watch.parse` reads a file (and puts each error where the user wrote it),
:mod:`thesis_lib.watch.validate` checks what it refers to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, StrictInt, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from thesis_lib._suggest import did_you_mean
from thesis_lib.basket.rules import BasketRules
from thesis_lib.errors import Problem
from thesis_lib.models._base import Model
from thesis_lib.watch.snapshot import DEFAULT_KEEP

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

    ``keep`` is how many of its snapshots the state folder keeps (the newest; 100 by
    default): after saving, a run removes this watchlist's oldest beyond that number.

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
    keep: StrictInt = Field(default=DEFAULT_KEEP, ge=1)
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
                    "duplicate", "'{ticker}' is listed twice", {"ticker": ticker,
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
"""How errors name a watchlist's ``[basket]`` table."""
