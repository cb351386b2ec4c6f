"""BasketRules: defaults, validation with located errors, and the [basket] TOML table."""

from __future__ import annotations

import pytest

from thesis_lib import ThesisError
from thesis_lib.basket import DEFAULT_RULES, BasketError, BasketRules, load_basket_rules

FAVOURED = ("hbm", "packaging", "foundry", "custom_asic", "grid", "power", "siting")


def test_defaults_are_a_thematic_index_setup():
    rules = BasketRules()
    assert rules == DEFAULT_RULES
    assert (rules.top_n, rules.weighting, rules.name_cap, rules.buffer) == (15, "score", 0.1, 3)
    assert rules.listed and rules.layer_cap is None and rules.name_floor == 0.0
    assert (rules.entry_rank, rules.exit_rank) == (12, 18)
    assert rules.describe() == "top 15, score-weighted, name cap 10%, buffer 3"


def test_rules_are_frozen_and_replace_revalidates():
    rules = BasketRules()
    with pytest.raises(Exception, match="frozen"):
        rules.top_n = 3  # type: ignore[misc]
    assert rules.replace(top_n=20).top_n == 20
    with pytest.raises(BasketError, match="buffer must be smaller than top_n"):
        rules.replace(top_n=3, buffer=3)


def test_the_default_buffer_and_cap_follow_top_n_unless_given():
    sizes = (1, 4, 5, 10, 15, 25)
    assert [BasketRules(top_n=n).buffer for n in sizes] == [0, 0, 1, 2, 3, 5]
    assert [BasketRules(top_n=n).name_cap for n in sizes] == \
        pytest.approx([1.0, 0.375, 0.3, 0.15, 0.1, 0.1])
    assert BasketRules(top_n=25, buffer=2, name_cap=0.05).buffer == 2
    assert BasketRules().replace(top_n=3).buffer == 0
    assert BasketRules().replace(top_n=3).name_cap == pytest.approx(0.5)
    assert BasketRules(buffer=1, name_cap=0.2).replace(top_n=30).buffer == 1
    assert BasketRules(buffer=1, name_cap=0.2).replace(top_n=30).name_cap == 0.2


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"top_n": 10, "name_cap": 0.05}, "name_cap", "10 names with a 5% name cap"),
        ({"top_n": 10, "name_floor": 0.2, "name_cap": 0.5}, "name_floor",
         "10 names with a 20% floor"),
        ({"name_floor": 0.2, "name_cap": 0.1}, "name_floor", "above name_cap"),
        ({"fallback": 0.2}, "fallback", "needs a pure_play tier"),
        ({"favoured_layers": ("hbm",), "pure_play": 0.2, "fallback": 0.5}, "fallback",
         "below pure_play"),
        ({"min_exposure": 0.25}, "min_exposure", "needs favoured_layers"),
        ({"weighting": "relevance_market_cap"}, "weighting", "needs favoured_layers"),
        ({"favoured_layers": ("hbm", "hbm")}, "favoured_layers", "listed twice"),
        ({"weighting": "cap"}, "weighting", "Input should be"),
        ({"layer_cap": 0.0}, "layer_cap", "greater than 0"),
        ({"top_n": 0}, "top_n", "greater than or equal to 1"),
        ({"buffer": 15}, "buffer", "smaller than top_n"),
        ({"top_n_names": 3}, "top_n_names", "unknown field"),
    ],
)
def test_bad_rules_raise_basket_errors_naming_the_field(fields, field, text):
    with pytest.raises(BasketError) as info:
        BasketRules(**fields)
    assert isinstance(info.value, ThesisError)
    assert info.value.field == field
    assert text in str(info.value)


def test_load_reads_only_the_basket_table(tmp_path):
    path = tmp_path / "watch.toml"
    path.write_text(
        'universe = "ai-compute-2026"\npack = "one-layer-down"\ntop = 10\n\n'
        "[basket]\ntop_n = 20\nweighting = \"equal\"\nlayer_cap = 0.35\n"
        f"favoured_layers = {list(FAVOURED)!r}\nmin_exposure = 0.25\n".replace("'", '"'),
        encoding="utf-8")
    rules = load_basket_rules(path)
    assert rules == BasketRules(top_n=20, weighting="equal", layer_cap=0.35,
                                favoured_layers=FAVOURED, min_exposure=0.25)


def test_load_reports_every_problem_with_file_item_and_field(tmp_path):
    path = tmp_path / "pack.toml"
    path.write_text('[basket]\ntop_n = 10\nweighting = "scor"\nlayer_capp = 0.3\n',
                    encoding="utf-8")
    with pytest.raises(BasketError) as info:
        load_basket_rules(path)
    problems = {p.field: p for p in info.value.problems}
    assert set(problems) == {"weighting", "layer_capp"}
    assert all(p.file == str(path) and p.item == "[basket]" for p in problems.values())
    assert "did you mean 'layer_cap'" in (problems["layer_capp"].hint or "")


def test_load_without_a_basket_table(tmp_path):
    path = tmp_path / "pack.toml"
    path.write_text('id = "x"\n', encoding="utf-8")
    with pytest.raises(BasketError, match=r"no \[basket\] table") as info:
        load_basket_rules(path)
    assert info.value.file == str(path)


def test_load_a_missing_or_broken_file(tmp_path):
    with pytest.raises(BasketError, match="file not found"):
        load_basket_rules(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[basket\n", encoding="utf-8")
    with pytest.raises(BasketError, match="not valid TOML"):
        load_basket_rules(bad)
    scalar = tmp_path / "scalar.toml"
    scalar.write_text("basket = 3\n", encoding="utf-8")
    with pytest.raises(BasketError, match="must be a table"):
        load_basket_rules(scalar)


@pytest.mark.parametrize(
    "rules",
    [
        BasketRules(),
        BasketRules(top_n=20, weighting="relevance_market_cap", favoured_layers=FAVOURED,
                    pure_play=0.5, fallback=0.2, min_market_cap_usd=2e9, min_adv_usd=2e7,
                    missing_market_data="keep", name_cap=0.08, name_floor=0.01,
                    layer_cap=0.35, buffer=0, buffer_fill=False, min_score=0.5,
                    listed=False),
    ],
)
def test_toml_round_trip(tmp_path, rules):
    path = tmp_path / "basket.toml"
    path.write_text(rules.to_toml(), encoding="utf-8")
    assert load_basket_rules(path) == rules
