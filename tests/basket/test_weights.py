"""capped_weights: hand-checked cases, the exact bound conditions, and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thesis_lib import ThesisError
from thesis_lib.basket import BasketError, capped_weights

TOL = 1e-9


# -- hand-checked -----------------------------------------------------------------------------
def test_uncapped_weights_are_proportional():
    assert capped_weights([1.0, 3.0]) == pytest.approx([0.25, 0.75])


def test_cap_redistributes_in_proportion():
    # Base 6, 2, 1, 1 -> 0.6, 0.2, 0.1, 0.1. A 40% cap cuts the first by 0.2, which the
    # others share 2:1:1 -> 0.3, 0.15, 0.15.
    w = capped_weights([6.0, 2.0, 1.0, 1.0], cap=0.4)
    assert w == pytest.approx([0.4, 0.3, 0.15, 0.15])


def test_redistribution_that_breaks_a_second_cap_is_iterated():
    # Base 5, 4, 1 -> 0.5, 0.4, 0.1. Cap 0.4: 0.5 -> 0.4 and the 0.1 excess goes 4:1 ->
    # 0.48, 0.12: the second name now breaks the cap too, so both sit at 0.4 and the
    # third takes the rest, 0.2.
    w = capped_weights([5.0, 4.0, 1.0], cap=0.4)
    assert w == pytest.approx([0.4, 0.4, 0.2])


def test_floor_takes_weight_from_the_others_in_proportion():
    # Base 10, 8, 1, 1 -> 0.5, 0.4, 0.05, 0.05. A 10% floor lifts the two small names to
    # 0.1; the 0.1 they need comes from the others 10:8 -> 0.5 - 0.0556, 0.4 - 0.0444.
    w = capped_weights([10.0, 8.0, 1.0, 1.0], floor=0.1)
    assert w == pytest.approx([0.8 * 10 / 18, 0.8 * 8 / 18, 0.1, 0.1])


def test_group_cap_with_name_cap():
    # Layers a (base 4, 4, 2) and b (base 1, 1), layer cap 50%, name cap 30%.
    # Uncapped: a holds 10/12. Capped at 0.5, a's names share 0.5 as 4:4:2 = 0.2, 0.2, 0.1
    # (under the 30% cap); b gets the other 0.5, 0.25 each (under the cap).
    w = capped_weights([4.0, 4.0, 2.0, 1.0, 1.0], cap=0.3, groups=list("aaabb"), group_cap=0.5)
    assert w == pytest.approx([0.2, 0.2, 0.1, 0.25, 0.25])


def test_group_cap_leaves_the_rest_to_other_groups_within_their_name_caps():
    # Layer a (base 8) may hold 20%; b's names should share the other 80%, but with a 35%
    # name cap two names hold only 70%: 10% of the basket has nowhere to go.
    with pytest.raises(BasketError, match=r"at most 90% \(2 groups: a 20%, b 70%\)"):
        capped_weights([8.0, 1.0, 1.0], cap=0.35, groups=list("abb"), group_cap={"a": 0.2})
    # With a third name in b there is room: a 0.2, b's three share 0.8 = 0.2667 each.
    w = capped_weights([8.0, 1.0, 1.0, 1.0], cap=0.35, groups=list("abbb"),
                       group_cap={"a": 0.2})
    assert w == pytest.approx([0.2, 0.8 / 3, 0.8 / 3, 0.8 / 3])


def test_group_caps_by_mapping_leave_other_groups_uncapped():
    w = capped_weights([1.0, 1.0, 1.0, 1.0], groups=list("aaab"), group_cap={"a": 0.6})
    assert w == pytest.approx([0.2, 0.2, 0.2, 0.4])


def test_series_in_series_out():
    base = pd.Series([2.0, 1.0, 1.0], index=pd.Index(["X", "Y", "Z"], name="ticker"))
    w = capped_weights(base, cap=0.45)
    assert isinstance(w, pd.Series)
    assert list(w.index) == ["X", "Y", "Z"]
    assert w.to_numpy() == pytest.approx([0.45, 0.275, 0.275])


# -- infeasible and bad input -----------------------------------------------------------------
def test_ten_names_with_a_five_percent_cap_is_infeasible():
    with pytest.raises(BasketError) as info:
        capped_weights(np.ones(10), cap=0.05)
    error = info.value
    assert isinstance(error, ThesisError)
    assert "10 names with a 5% name cap can hold at most 50%" in str(error)
    assert error.field == "cap"
    assert "at least 20 names" in (error.hint or "")


def test_floor_that_needs_more_than_everything_is_infeasible():
    with pytest.raises(BasketError, match=r"4 names with a 30% floor need 120%"):
        capped_weights(np.ones(4), floor=0.3)


def test_floor_above_a_group_cap_is_infeasible():
    with pytest.raises(BasketError, match=r"group 'a': 3 names with a 20% floor need 60%"):
        capped_weights(np.ones(5), floor=0.2, groups=list("aaabb"), group_cap=0.5)


def test_too_few_groups_for_the_group_cap_is_infeasible():
    with pytest.raises(BasketError, match=r"at most 70% \(2 groups: a 35%, b 35%\)"):
        capped_weights(np.ones(6), groups=list("aaabbb"), group_cap=0.35)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"base": [1.0, 0.0]}, "base"),
        ({"base": [1.0, float("nan")]}, "base"),
        ({"base": [1.0, -2.0]}, "base"),
        ({"base": [[1.0]]}, "base"),
        ({"base": [1.0], "cap": 0.0}, "cap"),
        ({"base": [1.0], "cap": 1.5}, "cap"),
        ({"base": [1.0], "floor": -0.1}, "floor"),
        ({"base": [1.0, 1.0], "groups": ["a"]}, "groups"),
        ({"base": [1.0], "group_cap": 0.5}, "group_cap"),
    ],
)
def test_bad_arguments_raise_the_library_error(kwargs, field):
    base = kwargs.pop("base")
    with pytest.raises(BasketError) as info:
        capped_weights(base, **kwargs)
    assert info.value.field == field


# -- properties -------------------------------------------------------------------------------
@st.composite
def problems(draw, max_names: int = 20):
    n = draw(st.integers(1, max_names))
    base = draw(st.lists(st.floats(0.01, 1000.0), min_size=n, max_size=n))
    cap = draw(st.floats(0.02, 1.0))
    floor = draw(st.one_of(st.just(0.0), st.floats(0.0, 0.1)))
    grouped = draw(st.booleans())
    groups = draw(st.lists(st.sampled_from("abcde"), min_size=n, max_size=n)) if grouped \
        else None
    group_cap = draw(st.floats(0.1, 1.0)) if grouped else None
    return base, cap, floor, groups, group_cap


def feasible(n, cap, floor, groups, group_cap):
    """The exact conditions, written out independently of the library."""
    if floor > cap or n * floor > 1 + TOL or n * cap < 1 - TOL:
        return False
    if groups is None:
        return True
    counts = pd.Series(groups).value_counts()
    if (counts * floor > group_cap + TOL).any():
        return False
    return float(np.minimum(counts * cap, group_cap).sum()) >= 1 - TOL


def reference(base, cap, floor, groups, group_cap):
    """w_i = clip(min(s, s_g) * base_i, floor, cap) with sum 1, by bisection on s."""
    b = np.asarray(base)
    labels = np.zeros(len(b), dtype=int) if groups is None else \
        pd.factorize(pd.Series(groups))[0]
    limit = math.inf if group_cap is None else group_cap

    def group_sum(scale, g):
        return np.clip(scale * b[labels == g], floor, cap).sum()

    def bisect(f, target):
        lo, hi = 0.0, 2.0 * cap / b.min()
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if f(mid) > target else (mid, hi)
        return hi

    s_g = np.full(labels.max() + 1, np.inf)
    for g in range(len(s_g)):
        if group_sum(math.inf, g) > limit + TOL:
            s_g[g] = bisect(lambda s, g=g: group_sum(s, g), limit)
    scale = bisect(lambda s: np.clip(np.minimum(s, s_g[labels]) * b, floor, cap).sum(), 1.0)
    return np.clip(np.minimum(scale, s_g[labels]) * b, floor, cap)


@settings(max_examples=80, deadline=None)
@given(problems())
def test_weights_sum_to_one_and_respect_every_bound_or_raise(problem):
    base, cap, floor, groups, group_cap = problem
    if not feasible(len(base), cap, floor, groups, group_cap):
        with pytest.raises(BasketError):
            capped_weights(base, cap=cap, floor=floor, groups=groups, group_cap=group_cap)
        return
    w = capped_weights(base, cap=cap, floor=floor, groups=groups, group_cap=group_cap)
    assert w.sum() == pytest.approx(1.0, abs=TOL)
    assert (w <= cap + TOL).all()
    assert (w >= floor - TOL).all()
    if groups is not None:
        totals = pd.Series(w).groupby(pd.Series(groups)).sum()
        assert (totals <= group_cap + TOL).all()
    # ... and they are the proportional-redistribution solution, not just any weights.
    assert w == pytest.approx(reference(base, cap, floor, groups, group_cap), abs=1e-7)


@settings(max_examples=60, deadline=None)
@given(problems(), st.randoms(use_true_random=False))
def test_weights_do_not_depend_on_row_order(problem, rnd):
    base, cap, floor, groups, group_cap = problem
    if not feasible(len(base), cap, floor, groups, group_cap):
        return
    order = list(range(len(base)))
    rnd.shuffle(order)
    w = capped_weights(base, cap=cap, floor=floor, groups=groups, group_cap=group_cap)
    shuffled = capped_weights(
        [base[i] for i in order], cap=cap, floor=floor,
        groups=None if groups is None else [groups[i] for i in order], group_cap=group_cap)
    assert shuffled == pytest.approx(w[order], abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 60), st.data())
def test_a_name_cap_below_one_over_n_always_raises(n, data):
    cap = data.draw(st.floats(0.0001, (1.0 - 1e-9) / n))
    base = data.draw(st.lists(st.floats(0.01, 100.0), min_size=n, max_size=n))
    with pytest.raises(BasketError, match="name cap"):
        capped_weights(base, cap=cap)
