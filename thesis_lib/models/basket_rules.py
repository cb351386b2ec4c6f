"""Basket rules as data: selection, eligibility, weighting, caps and the rebalancing buffer.

A ``[basket]`` table in TOML (a file of its own, a rule pack or a watchlist) or
:class:`BasketRules` in Python::

    [basket]
    top_n = 15                      # names in the basket
    min_score = 0.0                 # optional: score at least this
    favoured_layers = ["hbm", "packaging", "foundry", "custom_asic", "grid", "power", "siting"]
    relevance = "ai"                # "share": revenue share; "ai": its AI-driven part
    min_exposure = 0.25             # relevance in the favoured layers, at least
    pure_play = 0.5                 # pure plays (>= 50%) first ...
    fallback = 0.2                  # ... then names with >= 20% fill up to top_n
    listed = true                   # listed companies only
    min_market_cap_usd = 2e9        # checked only when market data is attached
    min_adv_usd = 2e7               # average daily traded value, likewise
    missing_market_data = "exclude" # or "keep": a name whose figure is unknown
    weighting = "score"             # equal | score | relevance_market_cap | market_cap
    weighting_fallback = "score"    # optional: used when the weighting needs market data
                                    # and none is attached
    name_cap = 0.10                 # default: 10%, or 1.5 / top_n below 15 names
    name_floor = 0.0
    layer_cap = 0.35                # by each member's primary layer
    buffer = 3                      # members stay within top_n + 3, newcomers enter
                                    # within top_n - 3 (default: top_n // 5)
    buffer_fill = true              # fill up to top_n when the buffer leaves the basket short

Every field has a default (:data:`DEFAULT_RULES`): the 15 best-ranked listed names,
score-weighted, at most 10% each, with a buffer of 3 (a fifth of ``top_n``). Read
:func:`~thesis_lib.basket.build_basket` for how the rules are applied, in order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from thesis_lib import _toml
from thesis_lib._format import pct
from thesis_lib.errors import BasketError
from thesis_lib.models._base import Model

__all__ = ["DEFAULT_RULES", "BasketRules", "Weighting", "default_buffer", "default_name_cap"]

Weighting = Literal["equal", "score", "relevance_market_cap", "market_cap"]

_WEIGHTING_TEXT: dict[str, str] = {
    "equal": "equal-weighted",
    "score": "score-weighted",
    "market_cap": "market-cap-weighted",
    "relevance_market_cap": "relevance x market-cap-weighted",
}

class BasketRules(Model):
    """How a screen becomes a basket. Every field has a thematic-index default.

    **Selection**: ``top_n`` names (by the screen's rank); ``min_score``: a score of at
    least this; ``favoured_layers``: the layer ids whose summed revenue share is a name's
    *relevance* to the theme (``relevance = "share"``, the default) or whose summed
    AI-driven revenue share is (``relevance = "ai"``, the ``ai_exposure_<layer>``
    columns); ``min_exposure``: relevance of at least this;
    ``pure_play``: names with relevance at least this are selected first (tier
    ``pure-play``) and, when ``fallback`` is set, names with relevance at least
    ``fallback`` fill the basket up to ``top_n`` (tier ``fallback``).

    **Eligibility**: ``listed`` keeps listed companies only; ``min_market_cap_usd`` and
    ``min_adv_usd`` (average daily traded value) apply when the screen's frame has the
    ``market_cap_usd`` / ``adv_usd`` columns and are reported "not checked" otherwise;
    ``missing_market_data`` says what happens to a name whose figure is unknown
    (``exclude`` it, or ``keep`` it unchecked).

    **Weighting**: ``equal``; ``score`` (proportional to the score, on positive scores
    only: a name scoring 0 or less cannot be score-weighted and is left out);
    ``market_cap`` (``market_cap_usd``); ``relevance_market_cap`` (relevance x
    ``market_cap_usd``); ``weighting_fallback`` (optional) is used instead when the
    weighting needs ``market_cap_usd`` and the screen has no market data, and the basket's
    checks say so. ``name_cap`` / ``name_floor`` bound every weight (a cap of 1
    means none; when not given, 10%, or 1.5 x an equal weight below 15 names); ``layer_cap``
    bounds the total weight of each primary layer (a member counts fully in its
    ``primary_layer``; members without one share the group ``unassigned``).

    **Buffer** (``top_n // 5`` unless given: 3 for the top 15): with a previous
    basket, a member stays while it ranks within
    ``top_n + buffer`` and a newcomer enters only within ``top_n - buffer``; when that
    leaves fewer than ``top_n`` names and ``buffer_fill`` is true, the best-ranked other
    names within ``top_n`` fill the gap.
    """

    error_class = BasketError

    # selection
    top_n: int = Field(default=15, ge=1)
    min_score: float | None = Field(default=None, allow_inf_nan=False)
    favoured_layers: tuple[str, ...] = ()
    relevance: Literal["share", "ai"] = "share"
    min_exposure: float = Field(default=0.0, ge=0.0, le=1.0, allow_inf_nan=False)
    pure_play: float | None = Field(default=None, gt=0.0, le=1.0, allow_inf_nan=False)
    fallback: float | None = Field(default=None, gt=0.0, le=1.0, allow_inf_nan=False)
    # eligibility
    listed: StrictBool = True
    min_market_cap_usd: float | None = Field(default=None, ge=0.0, allow_inf_nan=False)
    min_adv_usd: float | None = Field(default=None, ge=0.0, allow_inf_nan=False)
    missing_market_data: Literal["exclude", "keep"] = "exclude"
    # weighting
    weighting: Weighting = "score"
    weighting_fallback: Literal["equal", "score"] | None = None
    name_cap: float = Field(default=0.10, gt=0.0, le=1.0, allow_inf_nan=False)  # see below
    name_floor: float = Field(default=0.0, ge=0.0, lt=1.0, allow_inf_nan=False)
    layer_cap: float | None = Field(default=None, gt=0.0, le=1.0, allow_inf_nan=False)
    # rebalancing
    buffer: int = Field(default=3, ge=0)  # see below
    buffer_fill: StrictBool = True

    @model_validator(mode="before")
    @classmethod
    def _defaults_from_top_n(cls, data: Any) -> Any:
        # The buffer and the name cap follow top_n unless they are given.
        if not isinstance(data, Mapping):
            return data
        top_n = data.get("top_n", 15)
        if not isinstance(top_n, int) or isinstance(top_n, bool) or top_n < 1:
            return data
        data = dict(data)
        if data.get("buffer") is None:
            data["buffer"] = default_buffer(top_n)
        if data.get("name_cap") is None:
            data["name_cap"] = default_name_cap(top_n)
        return data

    @model_validator(mode="after")
    def _consistent(self) -> BasketRules:
        def fail(kind: str, message: str, field: str, hint: str) -> PydanticCustomError:
            return PydanticCustomError(kind, message, {"field": field, "hint": hint})

        if len(set(self.favoured_layers)) != len(self.favoured_layers):
            raise fail("duplicate_layer", "a layer is listed twice", "favoured_layers",
                       "list each layer once")
        needs_layers = [
            name for name, used in (
                ("min_exposure", self.min_exposure > 0),
                ("pure_play", self.pure_play is not None),
                ("weighting", self.weighting == "relevance_market_cap"),
            ) if used
        ]
        if needs_layers and not self.favoured_layers:
            raise fail("needs_layers", "needs favoured_layers to measure relevance",
                       needs_layers[0],
                       'name the favoured layers, e.g. favoured_layers = ["hbm", "grid"]')
        if self.fallback is not None:
            if self.pure_play is None:
                raise fail("fallback_alone", "a fallback tier needs a pure_play tier",
                           "fallback", "set pure_play (e.g. 0.5) or remove fallback")
            if self.fallback >= self.pure_play:
                raise fail("fallback_order", "fallback must be below pure_play", "fallback",
                           "e.g. pure_play = 0.5 and fallback = 0.2")
        if self.buffer >= self.top_n:
            raise fail("buffer_size", "buffer must be smaller than top_n", "buffer",
                       f"with top_n = {self.top_n} use a buffer of at most {self.top_n - 1}")
        cap = self.name_cap
        if self.name_floor > cap:
            raise fail("floor_above_cap", "name_floor is above name_cap", "name_floor",
                       "lower the floor or raise the cap")
        if self.top_n * cap < 1 - 1e-12:
            raise fail("cap_too_low",
                       f"{self.top_n} names with a {pct(cap)} name cap can hold at most "
                       f"{pct(self.top_n * cap)} of the basket", "name_cap",
                       f"raise name_cap to at least {pct(1 / self.top_n)} or top_n")
        if self.top_n * self.name_floor > 1 + 1e-12:
            raise fail("floor_too_high",
                       f"{self.top_n} names with a {pct(self.name_floor)} floor need "
                       f"{pct(self.top_n * self.name_floor)} of the basket", "name_floor",
                       f"lower name_floor to at most {pct(1 / self.top_n)} or top_n")
        return self

    # -- derived --------------------------------------------------------------------------
    @property
    def entry_rank(self) -> int:
        """The worst selection rank at which a newcomer enters (``top_n - buffer``)."""
        return self.top_n - self.buffer

    @property
    def exit_rank(self) -> int:
        """The worst selection rank at which a current member stays (``top_n + buffer``)."""
        return self.top_n + self.buffer

    def describe(self) -> str:
        """One line: ``top 15, score-weighted, name cap 10%, layer cap 35%, buffer 3``."""
        parts = [f"top {self.top_n}", _WEIGHTING_TEXT[self.weighting]]
        if self.name_cap < 1:
            parts.append(f"name cap {pct(self.name_cap)}")
        if self.name_floor:
            parts.append(f"floor {pct(self.name_floor)}")
        if self.layer_cap is not None:
            parts.append(f"layer cap {pct(self.layer_cap)}")
        if self.pure_play is not None:
            tier = f"pure play >= {pct(self.pure_play)}"
            if self.fallback is not None:
                tier += f", fallback >= {pct(self.fallback)}"
            parts.append(tier)
        elif self.min_exposure:
            parts.append(f"relevance >= {pct(self.min_exposure)}")
        parts.append(f"buffer {self.buffer}")
        return ", ".join(parts)

    def replace(self, **changes: Any) -> BasketRules:
        """A copy with some fields changed, validated again: ``rules.replace(top_n=20)``."""
        data = self.model_dump()
        if "top_n" in changes:  # defaults follow the new top_n
            if "buffer" not in changes and self.buffer == default_buffer(self.top_n):
                del data["buffer"]
            if "name_cap" not in changes and self.name_cap == default_name_cap(self.top_n):
                del data["name_cap"]
        data.update(changes)
        return BasketRules(**data)

    def to_toml(self) -> str:
        """The rules as a ``[basket]`` TOML table that :func:`load_basket_rules` reads back."""
        doc = self.model_dump(mode="python", exclude_none=True)
        doc["favoured_layers"] = list(self.favoured_layers)
        return _toml.dumps({"basket": doc})


def default_buffer(top_n: int) -> int:
    """The buffer when none is given: a fifth of ``top_n``, rounded down (3 for 15)."""
    return top_n // 5


def default_name_cap(top_n: int) -> float:
    """The name cap when none is given: 10%, or 1.5 x an equal weight in a basket of
    fewer than 15 names (so that the cap never forces equal weights), at most 100%."""
    return min(1.0, max(0.10, 1.5 / top_n))


DEFAULT_RULES = BasketRules()
"""The rules :func:`~thesis_lib.basket.build_basket` uses when given none."""
