"""build_basket on the built-in screen and on small hand-made screens."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import thesis_lib as tl
from thesis_lib.basket import Basket, BasketError, BasketRules, build_basket

from .helpers import SIGNAL_PACK, make_frame, make_screen

HYPERSCALERS = ("AMZN", "GOOGL", "MSFT", "META", "ORCL")
FAVOURED = ("hbm", "packaging", "foundry", "custom_asic", "grid", "power", "siting")


@pytest.fixture(scope="module")
def builtin():
    return tl.screen(tl.load_universe(), tl.load_pack())


# -- the built-in screen ----------------------------------------------------------------------
def test_layer_cap_of_35_percent_holds_and_nvidia_and_hyperscalers_are_explained(builtin):
    rules = BasketRules(top_n=15, weighting="equal", layer_cap=0.2)
    uncapped = build_basket(builtin, rules.replace(layer_cap=None))
    assert uncapped.layer_weights.max() > 0.2  # the cap has work to do: grid holds 4 of 15
    basket = build_basket(builtin, rules)
    layers = basket.layer_weights
    assert layers.max() <= 0.2 + 1e-9
    assert layers["grid"] == pytest.approx(0.2)
    assert basket.weights.sum() == pytest.approx(1.0)
    capped = basket.members[basket.members["layer"] == "grid"]
    assert (capped["bound"] == "layer cap (grid)").all()
    decisions = basket.decisions
    for ticker in ("NVDA", *HYPERSCALERS):
        row = decisions.loc[ticker]
        assert not row["member"] and row["weight"] == 0.0
        assert row["rule"] == "selection:top_n"
        assert row["reason"].startswith("not in the top 15: rank ")
        assert str(int(row["rank"])) in row["reason"]


def test_with_favoured_layers_nvidia_and_hyperscalers_fail_min_exposure(builtin):
    rules = BasketRules(top_n=20, favoured_layers=FAVOURED, min_exposure=0.25, layer_cap=0.35)
    basket = build_basket(builtin, rules)
    assert basket.layer_weights.max() <= 0.35 + 1e-9
    for ticker in ("NVDA", *HYPERSCALERS):
        assert basket.decisions.at[ticker, "rule"] == "selection:min_exposure"
        assert "below min exposure: 0% of revenue in the favoured layers" in \
            basket.why(ticker)
    assert basket.decisions.at["MU", "relevance"] == pytest.approx(0.14)
    assert (basket.members["relevance"] >= 0.25).all()


def test_default_basket_is_the_top_15_score_weighted_and_capped(builtin):
    basket = build_basket(builtin)
    assert len(basket) == 15
    assert list(basket.members["selection_rank"]) == list(range(1, 16))
    top15 = builtin.scores[builtin.scores["passed"]].head(15).index
    assert list(basket.tickers) == [str(t) for t in top15]
    w = basket.weights
    assert w.sum() == pytest.approx(1.0) and w.max() <= 0.10 + 1e-12
    scores = basket.members["score"]
    assert (w / w.sum()).to_numpy() == pytest.approx((scores / scores.sum()).to_numpy())
    decisions = basket.decisions
    assert len(decisions) == len(builtin.frame)
    assert decisions["member"].sum() == 15
    for private in ("XAI", "ANTHROPIC", "OPENAI"):
        assert decisions.at[private, "rule"] == "gate:listed"
    assert decisions.at["NVDA", "rule"] == "weighting:score"
    assert "not positive" in decisions.at["NVDA", "reason"]
    assert basket.trades is None and basket.turnover is None
    assert basket.checks.at["min_market_cap_usd", "status"] == "off"


def test_pure_plays_come_before_the_fallback_tier(builtin):
    rules = BasketRules(top_n=15, weighting="equal", favoured_layers=FAVOURED,
                        pure_play=0.5, fallback=0.2)
    basket = build_basket(builtin, rules)
    d = basket.decisions
    pure = d[d["tier"] == "pure-play"]
    fallback_in = basket.members[basket.members["tier"] == "fallback"]
    assert len(pure) < 15 < len(pure) + len(d[d["tier"] == "fallback"])
    assert pure["member"].all()  # every pure play is in, the fallback tier fills to 15
    assert len(basket) == 15 and len(fallback_in) == 15 - len(pure)
    assert (basket.members["tier"].iloc[: len(pure)] == "pure-play").all()
    out_fallback = d[(d["tier"] == "fallback") & ~d["member"]]
    assert out_fallback["reason"].str.contains("fallback tier, after the pure plays").all()
    assert d.at["NVDA", "rule"] == "selection:tier"


def test_text_and_html_views(builtin):
    basket = build_basket(builtin, BasketRules(layer_cap=0.35))
    text = str(basket)
    assert text.splitlines()[0] == ("Basket (one-layer-down): 15 names; top 15, "
                                    "score-weighted, name cap 10%, layer cap 35%, buffer 3")
    assert "000660.KS" in text and "Layers: grid 23.22%" in text
    assert "Out (40): selection:top_n 24, weighting:score 11, gate:listed 5" in text
    assert repr(basket).startswith("<Basket pack='one-layer-down' names=15")
    page = basket._repr_html_()
    assert page.startswith("<p><b>Basket (one-layer-down)") and "<table" in page
    frame = basket.to_frame()
    assert frame.loc["NVDA", "weight"] == 0.0 and "NVDA" not in basket
    assert list(basket) == list(basket.tickers)
    with pytest.raises(BasketError, match="unknown ticker 'NVDAA'") as info:
        basket.why("NVDAA")
    assert "NVDA" in (info.value.hint or "")


@settings(max_examples=15, deadline=None)
@given(st.permutations(range(55)))
def test_basket_does_not_depend_on_row_order(order):
    universe = tl.load_universe()
    frame = universe.to_frame()
    rules = BasketRules(layer_cap=0.35, favoured_layers=FAVOURED, pure_play=0.5, fallback=0.2)
    base = build_basket(tl.screen(frame, tl.load_pack()), rules)
    shuffled = build_basket(tl.screen(frame.iloc[list(order)], tl.load_pack()), rules)
    assert shuffled.tickers == base.tickers
    pd.testing.assert_series_equal(shuffled.weights, base.weights, rtol=0, atol=1e-12)
    pd.testing.assert_frame_equal(
        shuffled.decisions.loc[base.decisions.index, ["member", "rule", "reason"]],
        base.decisions[["member", "rule", "reason"]])


# -- small screens ----------------------------------------------------------------------------
def test_turnover_and_trades_checked_by_hand():
    # Screen A 4, B 3, C 9 (not listed), D 2, E 1. Score-weighted top 4, no name cap,
    # buffer 1 (newcomers enter within rank 3, members stay within rank 5).
    #   Eligible ranks: A 1, B 2, D 3, E 4. Previous basket: A 0.5, B 0.3, C 0.2.
    #   A, B kept (members, ranks <= 5); D enters (rank 3 <= N-k = 3); E (rank 4) is
    #   a newcomer beyond N-k, admitted only to fill the basket to 4 names.
    #   New weights: scores 4, 3, 2, 1 over 10 -> A 0.4, B 0.3, D 0.2, E 0.1.
    #   Changes: A -0.1, B 0, C -0.2 (removed), D +0.2, E +0.1 (added).
    #   One-way turnover = (0.1 + 0 + 0.2 + 0.2 + 0.1) / 2 = 0.3.
    result = make_screen([4, 3, 9, 2, 1], tickers=list("ABCDE"),
                         listed=[True, True, False, True, True])
    rules = BasketRules(top_n=4, name_cap=1.0, buffer=1)
    basket = build_basket(result, rules, previous={"A": 0.5, "B": 0.3, "C": 0.2})
    assert basket.weights.to_dict() == pytest.approx({"A": 0.4, "B": 0.3, "D": 0.2, "E": 0.1})
    assert basket.turnover == pytest.approx(0.3)
    trades = basket.trades
    assert trades is not None
    assert trades["action"].to_dict() == {"A": "reweighted", "C": "removed", "D": "added",
                                          "E": "added"}  # B did not move: no trade
    assert trades.loc["A", ["old_weight", "new_weight", "change"]].tolist() == \
        pytest.approx([0.5, 0.4, -0.1])
    assert trades["change"].sum() == pytest.approx(0.0)
    rule = basket.decisions["rule"].to_dict()
    assert rule == {"C": "gate:listed", "A": "buffer:kept", "B": "buffer:kept",
                    "D": "buffer:entered", "E": "buffer:fill"}
    assert basket.decisions.at["E", "reason"] == \
        "new: rank 4 > N-k = 3, added to fill the basket to 4"
    assert "Turnover (one-way): 30%; 2 added, 1 removed, 1 reweighted" in str(basket)


def test_previous_basket_object_and_full_replacement():
    first = build_basket(make_screen([4, 3, 2, 1], tickers=list("ABCD")),
                         BasketRules(top_n=2, name_cap=1.0, buffer=0, weighting="equal"))
    assert first.tickers == ("A", "B")
    second = build_basket(make_screen([1, 2, 3, 4], tickers=list("ABCD")),
                          first.rules, previous=first)
    # Everything sold and bought: one-way turnover 1.
    assert second.tickers == ("D", "C")
    assert second.turnover == pytest.approx(1.0)
    assert second.decisions.at["A", "rule"] == "buffer:evicted"
    assert second.decisions.at["A", "reason"] == "member dropped: rank 4 > N+k = 2"


def test_buffer_keeps_a_member_and_blocks_a_newcomer():
    # top 3, buffer 1: members stay within rank 4, newcomers enter within rank 2.
    previous = {"A": 0.4, "B": 0.3, "C": 0.3}
    result = make_screen([5, 4, 1, 3, 2], tickers=list("ABCDE"))  # ranks A B D E C
    rules = BasketRules(top_n=3, name_cap=1.0, buffer=1, weighting="equal",
                        buffer_fill=False)
    basket = build_basket(result, rules, previous=previous)
    assert basket.tickers == ("A", "B")  # C evicted (rank 5 > 4), D not admitted (rank 3 > 2)
    assert basket.decisions.at["D", "rule"] == "buffer:not admitted"
    assert basket.decisions.at["D", "reason"] == "new: rank 3 > N-k = 2 and buffer_fill is off"
    kept = build_basket(make_screen([5, 4, 2, 3, 1], tickers=list("ABCDE")), rules,
                        previous=previous)  # ranks A B D C E: C at 4 stays
    assert kept.tickers == ("A", "B", "C")
    assert kept.decisions.at["C", "reason"] == "member kept: rank 4 <= N+k = 4"


def test_buffer_lets_the_basket_grow_rather_than_evict_a_buffered_member():
    # top 3, buffer 1. Previous A, B, C; now a newcomer D ranks first and C ranks 4:
    # D enters (rank 1 <= 2) and C stays (rank 4 <= 4): four names until C drops out.
    result = make_screen([4, 3, 2, 5], tickers=list("ABCD"))
    rules = BasketRules(top_n=3, name_cap=1.0, buffer=1, weighting="equal")
    basket = build_basket(result, rules, previous={"A": 0.4, "B": 0.3, "C": 0.3})
    assert basket.tickers == ("D", "A", "B", "C")
    assert basket.weights.tolist() == pytest.approx([0.25] * 4)


def test_market_data_eligibility_and_market_cap_weighting():
    caps = [5e9, 1e9, np.nan, 3e9, 2e9]
    adv = [1e8, 1e8, 1e8, 1e6, 1e8]
    result = make_screen([5, 4, 3, 2, 1], tickers=list("ABCDE"),
                         extra={"market_cap_usd": caps, "adv_usd": adv})
    rules = BasketRules(top_n=5, name_cap=1.0, weighting="market_cap",
                        min_market_cap_usd=1.5e9, min_adv_usd=1e7)
    basket = build_basket(result, rules)
    assert basket.tickers == ("A", "E")
    assert basket.weights.tolist() == pytest.approx([5 / 7, 2 / 7])
    d = basket.decisions
    assert d.at["B", "rule"] == "eligibility:min_market_cap_usd"
    assert d.at["B", "reason"] == "market cap $1bn is below the minimum $1.5bn"
    assert d.at["C", "reason"] == "market cap unknown (missing_market_data = exclude)"
    assert d.at["D", "rule"] == "eligibility:min_adv_usd"
    assert basket.checks.at["min_market_cap_usd", "status"] == "applied"
    assert basket.checks.at["min_market_cap_usd", "detail"] == \
        "1 excluded, 1 more with no figure"
    keep = build_basket(result, rules.replace(missing_market_data="keep", weighting="equal"))
    assert "C" in keep and keep.decisions.at["C", "rule"] == "selection:top_n"


def test_market_checks_are_reported_not_checked_without_the_columns():
    result = make_screen([3, 2, 1])
    rules = BasketRules(top_n=3, name_cap=0.5, min_market_cap_usd=1e9, min_adv_usd=1e7)
    basket = build_basket(result, rules)
    assert len(basket) == 3
    checks = basket.checks
    assert checks.loc[["min_market_cap_usd", "min_adv_usd"], "status"].tolist() == \
        ["not checked", "not checked"]
    assert "Not checked: min_market_cap_usd (the screen has no market_cap_usd column" in \
        str(basket)
    with pytest.raises(BasketError, match="needs the market_cap_usd column") as info:
        build_basket(result, rules.replace(weighting="market_cap"))
    assert info.value.field == "weighting"


def test_a_market_column_that_is_not_numeric_is_reported():
    frame = make_frame([2.0, 1.0])
    frame["market_cap_usd"] = pd.array(["big", "small"], dtype="string")
    result = tl.screen(frame, SIGNAL_PACK)
    with pytest.raises(BasketError, match="has dtype") as info:
        build_basket(result, BasketRules(top_n=2, min_market_cap_usd=1e9))
    assert info.value.field == "market_cap_usd"


def test_relevance_times_market_cap_weighting():
    # Relevance (hbm + grid): A 0.8, B 0.4, C 0.1; market caps 1, 2, 10 ($bn).
    # Base = relevance x cap = 0.8, 0.8, 1.0 -> weights 0.8/2.6, 0.8/2.6, 1/2.6.
    result = make_screen(
        [3, 2, 1], tickers=list("ABC"),
        exposures=[{"hbm": 0.8}, {"hbm": 0.2, "grid": 0.2}, {"grid": 0.1}],
        extra={"market_cap_usd": [1e9, 2e9, 10e9]})
    rules = BasketRules(top_n=3, name_cap=1.0, weighting="relevance_market_cap",
                        favoured_layers=("hbm", "grid"))
    basket = build_basket(result, rules)
    assert basket.weights.to_dict() == pytest.approx({"A": 0.8 / 2.6, "B": 0.8 / 2.6,
                                                      "C": 1 / 2.6})


def test_score_weighting_leaves_out_non_positive_scores_and_still_fills():
    result = make_screen([5, 0, -1, 3, 2], tickers=list("ABCDE"))
    basket = build_basket(result, BasketRules(top_n=3, name_cap=1.0))
    assert basket.tickers == ("A", "D", "E")
    assert basket.decisions.at["B", "rule"] == "weighting:score"
    assert basket.weights.to_dict() == pytest.approx({"A": 0.5, "D": 0.3, "E": 0.2})


def test_min_score_and_rules_as_a_mapping():
    result = make_screen([5, 4, 3, 2, 1], tickers=list("ABCDE"))
    basket = build_basket(result, {"top_n": 4, "name_cap": 0.5, "min_score": 3.5,
                                   "weighting": "equal"})
    assert basket.tickers == ("A", "B")
    assert basket.decisions.at["C", "reason"] == "score +3.000 is below the minimum +3.5"


def test_caps_the_selected_names_cannot_meet_raise():
    # Only three listed names for a top 15 with a 10% cap: at most 30%.
    result = make_screen([3, 2, 1, 5], listed=[True, True, True, False])
    with pytest.raises(BasketError, match="3 names with a 10% name cap") as info:
        build_basket(result)
    assert info.value.field == "name_cap"
    # Two layers with a 35% layer cap can hold only 70%.
    two_layers = make_screen([6, 5, 4, 3, 2, 1], layers=["grid", "hbm"] * 3)
    with pytest.raises(BasketError, match=r"at most 70% \(2 layers: grid 35%, hbm 35%\)") \
            as info:
        build_basket(two_layers, BasketRules(top_n=6, name_cap=0.5, layer_cap=0.35))
    assert info.value.field == "layer_cap"


def test_members_without_a_layer_share_the_unassigned_group_and_floors_bind():
    # Equal base; three grid names, then two without a primary layer, which form the
    # group "unassigned" (capped like a layer). Layer cap 50%: grid holds 3/5 = 60%
    # uncapped, so it is cut to 50% (16.67% each) and the two unassigned names share the
    # other 50% -> 25% each, under the 35% name cap and exactly at their group's cap.
    result = make_screen([5, 4, 3, 2, 1], layers=["grid", "grid", "grid", None, None])
    rules = BasketRules(top_n=5, weighting="equal", layer_cap=0.5, name_cap=0.35)
    basket = build_basket(result, rules)
    assert basket.layer_weights.to_dict() == pytest.approx({"unassigned": 0.5, "grid": 0.5})
    assert basket.weights.tolist() == pytest.approx([1 / 6] * 3 + [0.25] * 2)
    assert basket.members["bound"].tolist() == ["layer cap (grid)"] * 3 + ["", ""]
    with pytest.raises(BasketError, match=r"grid 40%, unassigned 40%"):
        build_basket(result, rules.replace(layer_cap=0.4))
    # Score weights 5:4:3:2:1 with a 10% floor: the last name is lifted to the floor.
    floored = build_basket(make_screen([5, 4, 3, 2, 1]),
                           BasketRules(top_n=5, name_cap=1.0, name_floor=0.1))
    assert floored.members["bound"].tolist() == ["", "", "", "", "name floor"]
    assert floored.weights.iloc[-1] == pytest.approx(0.1)
    assert floored.weights.iloc[:4].to_numpy() == pytest.approx(
        [0.9 * s / 14 for s in (5, 4, 3, 2)])


def test_no_eligible_company_raises():
    result = make_screen([-1.0, -2.0])
    with pytest.raises(BasketError, match=r"no company is left .*weighting:score 2"):
        build_basket(result)


def test_unknown_favoured_layer_is_named_with_a_suggestion():
    with pytest.raises(BasketError) as info:
        build_basket(make_screen([1.0]), BasketRules(favoured_layers=("hbmm",),
                                                     min_exposure=0.1))
    assert info.value.field == "favoured_layers"
    assert "unknown layer 'hbmm'" in str(info.value)
    assert "did you mean 'hbm'" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("previous", "text"),
    [
        ({"A": -0.1, "B": 1.1}, "weight of A is -0.1"),
        ({"A": 0.5, "B": 0.2}, "sum to 0.7, not 1"),
        ({1: 1.0}, "is not a string"),
        ({"A": "x"}, "weight of A is 'x'"),
        (["A", "B"], "expected a previous Basket or a mapping"),
    ],
)
def test_bad_previous_baskets(previous, text):
    with pytest.raises(BasketError, match=text) as info:
        build_basket(make_screen([2.0, 1.0], tickers=list("AB")),
                     BasketRules(top_n=2, name_cap=1.0, buffer=0), previous=previous)
    assert info.value.field == "previous"


def test_wrong_inputs():
    with pytest.raises(BasketError, match="expected a ScreenResult"):
        build_basket(pd.DataFrame())  # type: ignore[arg-type]
    with pytest.raises(BasketError, match="expected BasketRules"):
        build_basket(make_screen([1.0]), rules=3)  # type: ignore[arg-type]


def test_basket_is_a_frozen_value():
    basket = build_basket(make_screen([2.0, 1.0]), BasketRules(top_n=2, name_cap=1.0))
    assert isinstance(basket, Basket)
    with pytest.raises(AttributeError):
        basket.turnover = 1.0  # type: ignore[misc]
