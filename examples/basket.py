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

    # A later rebalance: say Hitachi's grid exposure is revised up to 90%, lifting it to
    # rank 5. It enters (rank 5 <= N-k = 12); SK hynix slips to rank 16 but stays
    # (<= N+k = 18), so the basket holds 16 names until SK hynix leaves the buffer.
    universe = tl.load_universe()
    frame = universe.to_frame()
    frame.loc["6501.T", "exposure_grid"] = 0.9
    later = build_basket(tl.screen(frame, tl.load_pack()), rules, previous=basket)
    print()
    print(later.trades.round(4).to_string() if later.trades is not None else "")
    print(f"one-way turnover: {later.turnover:.2%}")
    print(later.why("000660.KS"))
    print(later.why("6501.T"))


if __name__ == "__main__":
    main()
