"""From screen to basket: select, weight and rebalance the built-in thesis, offline.

Run: python examples/basket.py
"""

from __future__ import annotations

import thesis_lib as tl
from thesis_lib.basket import BasketRules, build_basket

# The thesis favours the layers below the priced accelerators and below the hyperscalers.
FAVOURED = ("hbm", "packaging", "foundry", "custom_asic", "grid", "power", "siting")


def main() -> None:
    result = tl.screen(tl.load_universe(), tl.load_pack())

    # Top 15 by thesis score, score-weighted, at most 10% per name and 35% per layer;
    # only names earning at least 25% of revenue in the favoured layers.
    rules = BasketRules(top_n=15, favoured_layers=FAVOURED, min_exposure=0.25, layer_cap=0.35)
    basket = build_basket(result, rules)
    print(basket)
    print()
    for ticker in ("NVDA", "AMZN", "MU", "BE"):
        print(basket.why(ticker))

    # A later rebalance: say Micron's HBM share is revised from 14% to 30% of revenue when
    # its next annual report comes out. It now passes the 25% minimum and ranks high
    # enough to enter (within N-k = 12); the name it displaces leaves, and names that slip
    # stay while they rank within N+k = 18.
    universe = tl.load_universe()
    frame = universe.to_frame()
    frame.loc["MU", ["exposure_hbm", "ai_exposure_hbm"]] = 0.30
    later = build_basket(tl.screen(frame, tl.load_pack()), rules, previous=basket)
    print()
    print(later.trades.round(4).to_string() if later.trades is not None else "")
    print(f"one-way turnover: {later.turnover:.2%}")
    print(later.why("MU"))
    print(later.why("VST"))


if __name__ == "__main__":
    main()
