"""Baskets: from a screen to weighted members, with thematic-index rules.

::

    import thesis_lib as tl
    from thesis_lib.basket import BasketRules, build_basket

    result = tl.screen(tl.load_universe(), tl.load_pack())
    basket = build_basket(result, BasketRules(top_n=15, layer_cap=0.35))
    basket.weights          # ticker -> weight, sums to 1
    basket.why("NVDA")      # which rule kept it out
    later = build_basket(new_result, basket.rules, previous=basket)
    later.trades, later.turnover

Rules (:class:`BasketRules`, or a ``[basket]`` TOML table read by
:func:`load_basket_rules`) cover selection (top N, minimum score, minimum exposure to the
favoured layers, pure-play and fallback tiers), eligibility (listed, minimum market cap
and traded value when market data is attached), weighting (equal, score, market cap,
relevance x market cap) with name and layer caps, and a rebalancing buffer.
:func:`capped_weights` is the weighting algorithm on its own.
"""

from __future__ import annotations

from thesis_lib.basket.build import build_basket
from thesis_lib.basket.errors import BasketError
from thesis_lib.basket.result import Basket
from thesis_lib.basket.rules import DEFAULT_RULES, BasketRules, Weighting, load_basket_rules
from thesis_lib.basket.weights import capped_weights

__all__ = [
    "DEFAULT_RULES",
    "Basket",
    "BasketError",
    "BasketRules",
    "Weighting",
    "build_basket",
    "capped_weights",
    "load_basket_rules",
]
