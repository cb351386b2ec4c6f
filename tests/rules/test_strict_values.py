"""Weights, numbers and figures are finite and within documented bounds; scores are
always finite, rank exactly however large, and no numpy warning escapes a screen."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thesis_lib import (
    DataError,
    MissingDataError,
    RuleError,
    RulePack,
    load_pack,
    load_universe,
    screen,
)
from thesis_lib._limits import FIGURE_LIMIT, NUMBER_LIMIT, VALUE_LIMIT, WEIGHT_LIMIT
from thesis_lib.models import Financials, Forward
from thesis_lib.models.scenario import FigureOverride
from thesis_lib.rules import Rule
from thesis_lib.rules.screen import ScreenResult, rank_key


def _pack(*rules: Rule, columns: tuple[str, ...] = ()) -> RulePack:
    return RulePack(id="t", rules=rules, columns=columns)


@pytest.mark.parametrize("weight", [1.7e308, 1.8e307, 1e7, WEIGHT_LIMIT * 1.0001])
def test_a_huge_weight_is_a_typed_error_naming_rule_and_field(weight: float) -> None:
    with pytest.raises(RuleError) as caught:
        Rule(id="hbm", expression='exposure("hbm")', weight=weight, why="w")
    assert caught.value.item == "rule 'hbm'"
    assert caught.value.field == "weight"


def test_the_largest_weight_is_accepted() -> None:
    assert Rule(id="hbm", expression="1", weight=WEIGHT_LIMIT, why="w").weight == WEIGHT_LIMIT


def test_a_huge_weight_in_a_pack_file_names_file_rule_and_field(tmp_path) -> None:
    path = tmp_path / "pack.toml"
    path.write_text('id = "p"\n[[rules]]\nid = "hbm"\nexpression = \'exposure("hbm")\'\n'
                    'weight = 1.7e308\nwhy = "w"\n', encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_pack(path)
    assert caught.value.item == "rule 'hbm'" and caught.value.field == "weight"
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("weight", [1.7e308, float("inf"), -1.0, float("nan")])
def test_with_weights_rejects_weights_out_of_bounds(weight: float) -> None:
    pack = load_pack("one-layer-down")
    rule = pack.rules[0].id
    with pytest.raises(RuleError) as caught:
        pack.with_weights({rule: weight})
    assert caught.value.item == f"rule {rule!r}" and caught.value.field == "weight"


@pytest.mark.parametrize("text", ["1e300 * x", "x > 1e19", "x in [1e30, 2]", "-1e300 + x",
                                  "1" + "0" * 19])
def test_numbers_beyond_the_bound_are_expression_errors(text: str) -> None:
    with pytest.raises(RuleError, match="number is too large") as caught:
        _pack(Rule(id="a", expression=text, why="w"), columns=("x",))
    assert caught.value.item == "rule 'a'" and caught.value.field == "expression"
    assert caught.value.position is not None


def test_numbers_at_the_bound_are_accepted() -> None:
    frame = load_universe().to_frame().assign(x=1.0)
    result = screen(frame, _pack(Rule(id="a", expression=f"x * {NUMBER_LIMIT:g} / 1e18",
                                      why="w"), columns=("x",)))
    assert (result.scores["score"] == 1.0).all()


def test_dollar_figures_are_bounded() -> None:
    day = dt.date(2025, 1, 1)
    with pytest.raises(DataError) as caught:
        Financials(revenue_usd=1.7e308, period="FY2024", as_of=day, basis="reported",
                   source="s")
    assert caught.value.field == "revenue_usd"
    with pytest.raises(DataError):
        Forward(layer="hbm", kind="guided", amount_usd=FIGURE_LIMIT * 10, horizon=day,
                as_of=day, source="s")
    with pytest.raises(DataError):
        Forward(layer="hbm", kind="guided", capacity_mw=float("inf"), horizon=day,
                as_of=day, source="s")
    with pytest.raises(DataError):
        FigureOverride(ticker="MU", revenue_usd=float("inf"))


def test_values_beyond_the_bound_count_as_missing_and_scores_stay_finite() -> None:
    frame = load_universe().to_frame()
    big = np.linspace(1e300, 1.7e308, len(frame))
    frame = frame.assign(big=big, small=np.arange(len(frame), dtype=float))
    pack = _pack(Rule(id="big", expression="big", weight=WEIGHT_LIMIT, why="w"),
                 Rule(id="small", expression="small", why="w"), columns=("big", "small"))
    result = screen(frame, pack)
    scores = result.scores
    assert np.isfinite(scores["score"]).all()
    assert result.values["big"].isna().all()
    assert (result.contributions["big"] == 0).all()
    # ranked by the finite rule alone, one rank each
    assert list(scores["rank"]) == list(range(1, len(frame) + 1))
    assert scores.index[0] == frame.index[-1]
    assert "beyond" in result.explain(str(frame.index[0])).table.set_index("rule").at[
        "big", "status"]
    strict = _pack(Rule(id="big", expression="big", missing="error", why="w"),
                   columns=("big",))
    with pytest.raises(MissingDataError, match="beyond"):
        screen(frame, strict)


def test_large_finite_values_rank_in_order() -> None:
    frame = load_universe().to_frame()
    n = len(frame)
    values = np.linspace(VALUE_LIMIT / 2, VALUE_LIMIT, n)
    frame = frame.assign(big=values[::-1])
    result = screen(frame, _pack(Rule(id="big", expression="big", weight=WEIGHT_LIMIT,
                                      why="w"), columns=("big",)))
    scores = result.scores
    assert list(scores["rank"]) == list(range(1, n + 1))
    assert list(scores.index) == list(frame.index)  # largest first, as given
    assert np.isfinite(scores["score"]).all()


@pytest.mark.parametrize("scale", [1e200, 1e296, 1e300, 1e307])
def test_ranks_are_exact_for_scores_near_the_float_limit(scale: float) -> None:
    # The ranking itself, on contributions far beyond what a screen can give: it must
    # neither overflow nor tie distinct scores.
    frame = load_universe().to_frame().iloc[:6]
    pack = _pack(Rule(id="a", expression="1", why="w"))
    score = scale * np.array([1.0, 1.5, 1.25, 1.75, 1.125, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = ScreenResult(frame=frame, pack=pack, contribution_matrix=score[:, None],
                              status=np.zeros((6, 1), dtype=np.int8),
                              excluded_mask=np.zeros(6, dtype=bool))
        scores = result.scores
    tickers = list(frame.index)
    assert list(scores.index) == [tickers[i] for i in (3, 1, 2, 4, *sorted((0, 5),
                                  key=lambda i: tickers[i]))]
    assert list(scores["rank"]) == [1, 2, 3, 4, 5, 5]


def test_rank_key_rounds_small_scores_and_keeps_large_ones() -> None:
    small = np.array([0.1 + 0.2, 0.3, -(0.1 + 0.2), -0.3])
    key = rank_key(small)
    assert key[0] == key[1] and key[2] == key[3]
    large = np.array([1e300, 1.7e308, -1.7e308, 2e15 + 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(rank_key(large)) == list(large)
    mixed = np.array([0.1 + 0.2, 1e300])
    assert list(rank_key(mixed)) == [0.3, 1e300]


# -- no numpy warning escapes a screen ------------------------------------------------
_PRONE = [
    "log(revenue_usd)", 'revenue_usd / exposure("hbm")', "sqrt(revenue_usd - 1)",
    "zscore(revenue_usd)", "pct_rank(revenue_usd)", "revenue_usd ** 2",
    "revenue_usd * revenue_usd * 1e18", "revenue_usd % 0", "zscore(revenue_usd * 1e18)",
    "clip(revenue_usd, 0, 1)", "fill(revenue_usd, 0) - revenue_usd",
    'exposure("hbm") / exposure("hbm")', "revenue_usd ** revenue_usd", "log(0 * revenue_usd)",
    'zscore(exposure("hbm") * 0)', "1e18 * 1e18 * revenue_usd", "-revenue_usd ** 0.5",
    "max(revenue_usd, -revenue_usd) - min(revenue_usd, 1e18)", "abs(revenue_usd) * -1e18",
    "pct_rank(zscore(revenue_usd)) / 0", "revenue_usd > 1e18 or revenue_usd < -1e18",
]


def _prone_frame() -> pd.DataFrame:
    frame = load_universe().to_frame()
    revenue = frame["revenue_usd"].to_numpy().copy()
    revenue[:8] = [np.inf, -np.inf, np.nan, 0.0, -1.0, 1.7e308, -1.7e308, 5e-324]
    return frame.assign(revenue_usd=revenue)


@pytest.mark.parametrize("missing", ["zero", "skip", "exclude"])
def test_no_numpy_warning_escapes_a_screen_of_hostile_values(missing: str) -> None:
    frame = _prone_frame()
    rules = [Rule(id=f"r{i}", expression=text, weight=WEIGHT_LIMIT, missing=missing,  # type: ignore[arg-type]
                  why="w") for i, text in enumerate(_PRONE)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = screen(frame, _pack(*rules))
        scores = result.scores
        result.to_frame()
        result.to_text(0)
        str(result.explain(str(frame.index[0])))
    assert np.isfinite(scores["score"]).all()
    assert np.isfinite(result.contribution_matrix).all()


def test_no_numpy_warning_escapes_a_screen_of_the_built_in_universe() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = screen(load_universe(), "one-layer-down")
        result.to_text(0)
        for ticker in result.scores.index:
            str(result.explain(str(ticker)))
    assert np.isfinite(result.scores["score"]).all()


def test_a_scenario_weight_beyond_the_bound_is_a_typed_error() -> None:
    from thesis_lib import Scenario

    with pytest.raises(DataError) as caught:
        Scenario(id="s", name="n", description="d", weights={"hbm": 1.7e308})
    assert caught.value.item == "scenario 's'" and caught.value.field == "weights.hbm"
    assert Scenario(id="s", name="n", description="d",
                    weights={"hbm": WEIGHT_LIMIT}).weights == {"hbm": WEIGHT_LIMIT}


_ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.0, -0.0, 1e-308, 5e-324, 1.7e308, -1.7e308, VALUE_LIMIT, -VALUE_LIMIT])


@given(values=st.lists(_ANY_FLOAT, min_size=6, max_size=6),
       weights=st.lists(st.floats(0.0, WEIGHT_LIMIT), min_size=3, max_size=3),
       kind=st.sampled_from(["score", "penalty"]),
       missing=st.sampled_from(["zero", "skip", "exclude"]))
def test_any_values_and_weights_give_finite_scores_in_rank_order(
        values: list[float], weights: list[float], kind: str, missing: str) -> None:
    frame = load_universe().to_frame().iloc[:6].assign(x=values)
    rules = [Rule(id=f"r{i}", kind=kind, expression=text, weight=w,  # type: ignore[arg-type]
                  missing=missing, why="w")  # type: ignore[arg-type]
             for i, (text, w) in enumerate(zip(["x", "x * x", "zscore(x) + log(x)"],
                                               weights, strict=True))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = screen(frame, _pack(*rules, columns=("x",))).scores
    assert np.isfinite(scores["score"]).all()
    ranked = scores[scores["passed"]]
    assert (np.diff(ranked["score"].to_numpy()) <= 1e-9).all()  # best first
    assert (np.diff(ranked["rank"].to_numpy()) >= 0).all()
