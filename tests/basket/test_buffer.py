"""The rebalancing buffer, as properties over random rankings and previous baskets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from thesis_lib.basket import BasketRules, build_basket

from .helpers import make_screen


@st.composite
def rebalances(draw):
    """A ranking of n names (T000 ranks first), top_n, k, a previous basket, fill on/off."""
    n = draw(st.integers(2, 30))
    top_n = draw(st.integers(1, min(n, 12)))
    k = draw(st.integers(0, top_n - 1))
    tickers = [f"T{i:03d}" for i in range(n)]
    held = draw(st.lists(st.sampled_from([*tickers, "GONE1", "GONE2"]), unique=True,
                         max_size=top_n + k))
    fill = draw(st.booleans())
    order = draw(st.permutations(range(n)))  # the row order of the frame
    return n, top_n, k, held, fill, order


def rank_of(ticker: str) -> int:
    return int(ticker[1:]) + 1


@settings(max_examples=80, deadline=None)
@given(rebalances())
def test_buffer_never_evicts_within_n_plus_k_nor_admits_beyond_n_minus_k(case):
    n, top_n, k, held, fill, order = case
    signal = [float(n - i) for i in order]  # distinct scores: T000 best
    tickers = [f"T{i:03d}" for i in order]
    result = make_screen(signal, tickers=tickers)
    rules = BasketRules(top_n=top_n, buffer=k, buffer_fill=fill, weighting="equal",
                        name_cap=1.0)
    previous = {t: 1 / len(held) for t in held} if held else {}
    basket = build_basket(result, rules, previous=previous)
    members = set(basket.tickers)
    held_set = set(held)

    assert basket.weights.sum() == 1.0 or abs(basket.weights.sum() - 1.0) < 1e-12
    for ticker in held_set & {f"T{i:03d}" for i in range(n)}:
        if rank_of(ticker) <= top_n + k:
            assert ticker in members, f"{ticker} evicted at rank {rank_of(ticker)}"
        else:
            assert ticker not in members
    newcomers = members - held_set
    for ticker in newcomers:
        if fill:
            assert rank_of(ticker) <= top_n
        else:
            assert rank_of(ticker) <= top_n - k, f"{ticker} admitted at {rank_of(ticker)}"
    # Everyone within N - k is in, whatever the previous basket.
    assert {f"T{i:03d}" for i in range(min(n, top_n - k))} <= members
    if fill:
        # Newcomers beyond N - k come in only to reach N, and then the basket has N names.
        late = [t for t in newcomers if rank_of(t) > top_n - k]
        if late:
            assert len(members) == top_n
        assert len(members) >= min(top_n, n)
    assert len(members) <= top_n + k
    # Every decision names the buffer rule that made it.
    rules_used = set(basket.decisions["rule"])
    assert rules_used <= {"buffer:kept", "buffer:entered", "buffer:fill", "buffer:evicted",
                          "buffer:not admitted", "selection:top_n"}
    # Trades add up: every ticker's change is new minus old, and turnover is half of |change|.
    assert basket.trades is not None and basket.turnover is not None
    assert abs(basket.turnover - basket.trades["change"].abs().sum() / 2) < 1e-12


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 25), st.data())
def test_without_a_previous_basket_the_top_n_are_selected(n, data):
    top_n = data.draw(st.integers(1, n))
    signal = [float(n - i) for i in range(n)]
    result = make_screen(signal)
    basket = build_basket(result, BasketRules(top_n=top_n, weighting="equal", name_cap=1.0))
    assert basket.tickers == tuple(f"T{i:03d}" for i in range(top_n))
    assert (basket.decisions["rule"] == "selection:top_n").all()
