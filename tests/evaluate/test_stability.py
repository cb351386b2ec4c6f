"""rank_stability: reproducible, equal to rescreening, and low for a fragile pack."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import thesis_lib as tl
from thesis_lib.evaluate import EvaluationError, rank_stability
from thesis_lib.evaluate.stability import kendall_tau_b


@pytest.fixture(scope="module")
def universe() -> tl.Universe:
    return tl.load_universe()


@pytest.fixture(scope="module")
def builtin(universe: tl.Universe) -> tl.evaluate.StabilityResult:
    return rank_stability("one-layer-down", universe, noise=0.1, n=200, seed=42)


def hinge_pack() -> tl.RulePack:
    """Two big rules that nearly cancel: the ranking is their small difference (confidence).

    score = 10 x (exposure_total + 0.1 x confidence) - 10 x exposure_total = confidence,
    so a 10% change in either weight moves scores by about exposure_total, far more
    than the confidence differences that set the order.
    """
    return tl.RulePack(id="hinge", rules=[
        tl.Rule(id="listed", kind="gate", expression="listed", missing="error",
                why="Only listed companies."),
        tl.Rule(id="big", expression="exposure_total + 0.1 * confidence", weight=10,
                missing="zero", why="Exposure plus a sliver of confidence."),
        tl.Rule(id="offset", kind="penalty", expression="exposure_total", weight=10,
                missing="zero", why="Takes the exposure back out again."),
    ])


def test_same_seed_same_result_other_seed_other_draws(
        universe: tl.Universe, builtin: tl.evaluate.StabilityResult) -> None:
    again = rank_stability("one-layer-down", universe, noise=0.1, n=200, seed=42)
    np.testing.assert_array_equal(again.taus, builtin.taus)
    assert again.companies.equals(builtin.companies)
    assert again.draws.equals(builtin.draws)
    other = rank_stability("one-layer-down", universe, noise=0.1, n=200, seed=43)
    assert not np.array_equal(other.taus, builtin.taus)


def test_builtin_pack_is_stable_and_hinge_pack_is_not(
        universe: tl.Universe, builtin: tl.evaluate.StabilityResult) -> None:
    hinge = rank_stability(hinge_pack(), universe, noise=0.1, n=200, seed=42)
    assert builtin.median_tau > 0.9
    assert hinge.median_tau < builtin.median_tau - 0.3
    assert hinge.tau_low < builtin.tau_low
    assert hinge.same_top_share < builtin.same_top_share
    # Either of the two cancelling weights alone is enough to scramble the order.
    assert hinge.by_rule["mean_tau"].max() < builtin.by_rule["mean_tau"].min()


def test_each_draw_equals_screening_the_perturbed_pack_again(
        universe: tl.Universe, builtin: tl.evaluate.StabilityResult) -> None:
    pack = tl.load_pack()
    base = tl.screen(universe, pack).scores
    ranked = base[base["passed"]].index
    for k in (0, 17, 199):
        draw = builtin.draws.iloc[k].to_dict()
        again = tl.screen(universe, pack.with_weights(draw)).scores.loc[ranked, "score"]
        expected = stats.kendalltau(np.round(base.loc[ranked, "score"], 12),
                                    np.round(again, 12)).statistic
        assert builtin.taus[k] == pytest.approx(float(expected), abs=1e-12)


def test_company_table(builtin: tl.evaluate.StabilityResult) -> None:
    table = builtin.companies
    assert list(table.columns) == ["name", "rank", "top_frequency", "mean_rank", "rank_low",
                                   "rank_high"]
    assert len(table) == 50  # the ranked companies; private ones are gated out
    assert table["rank"].is_monotonic_increasing
    assert table.loc["3661.TW", "top_frequency"] == 1.0  # rank 1 never leaves the top 10
    assert table.loc["NVDA", "top_frequency"] == 0.0
    assert ((table["top_frequency"] >= 0) & (table["top_frequency"] <= 1)).all()
    assert (table["rank_low"] <= table["rank_high"]).all()
    assert list(builtin.draws.columns) == [r.id for r in tl.load_pack().rules
                                           if r.kind != "gate"]


def test_zero_noise_changes_nothing(universe: tl.Universe) -> None:
    still = rank_stability("one-layer-down", universe, noise=0.0, n=5, seed=1)
    assert (still.taus == 1.0).all()
    assert still.same_top_share == 1.0


@pytest.mark.parametrize(
    ("kwargs", "field"), [({"noise": -0.1}, "noise"), ({"n": 0}, "n"), ({"top": 0}, "top")])
def test_bad_arguments(universe: tl.Universe, kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(EvaluationError) as info:
        rank_stability("one-layer-down", universe, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=2, max_size=30))
def test_vectorized_kendall_tau_matches_scipy(pairs: list[tuple[int, int]]) -> None:
    x = np.array([p[0] for p in pairs], dtype=float)
    y = np.array([p[1] for p in pairs], dtype=float)
    got = kendall_tau_b(x, y[:, None])[0]
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        assert np.isnan(got)
    else:
        assert got == pytest.approx(float(stats.kendalltau(x, y).statistic), abs=1e-12)
