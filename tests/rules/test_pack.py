from __future__ import annotations

from pathlib import Path

import pytest

from thesis_lib import RuleError, RulePack, load_pack
from thesis_lib.rules import Rule, validate_pack

GOOD = '''
id = "mine"
version = "0.1.0"

[[rules]]
id = "hbm"
expression = 'exposure("hbm")'
weight = 2
why = "HBM is the bottleneck."
'''

FIVE_MISTAKES = '''
id = "broken"

[[rules]]
id = "typo"
expression = "exposure_hbm + exposre_packaging"
why = "misspelt column"

[[rules]]
id = "bad_kind"
kind = "bonus"
expression = "exposure_hbm"
why = "kind is not one of score, penalty, gate"

[[rules]]
id = "escape"
expression = "__import__('os').system('echo hi')"
why = "tries to run code"

[[rules]]
id = "no_why"
expression = "exposure_grid"

[[rules]]
id = "typo"
expression = "exposure_hbm *"
why = "duplicate id and a syntax error"
'''


def _write(tmp_path: Path, text: str, name: str = "pack.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_pack_loads_by_name() -> None:
    pack = load_pack("one-layer-down")
    assert pack.id == "one-layer-down"
    assert {r.kind for r in pack.rules} == {"score", "penalty", "gate"}
    assert all(r.why for r in pack.rules)
    assert len(pack.expect) >= 8
    assert pack.source is not None and pack.source.endswith("one-layer-down.toml")


def test_pack_from_file_and_python_are_equal(tmp_path: Path) -> None:
    from_file = load_pack(_write(tmp_path, GOOD))
    in_python = RulePack(
        id="mine", version="0.1.0",
        rules=(
            Rule(id="hbm", expression='exposure("hbm")', weight=2, why="HBM is the bottleneck."),
        ),
    )
    assert from_file == in_python
    assert in_python.expression("hbm").columns == frozenset({"exposure_hbm"})


def test_five_mistakes_reported_at_once(tmp_path: Path) -> None:
    path = _write(tmp_path, FIVE_MISTAKES)
    with pytest.raises(RuleError) as info:
        load_pack(path)
    problems = info.value.problems
    assert all(p.file == str(path) for p in problems)
    by_item: dict[str | None, list[str]] = {}
    for p in problems:
        by_item.setdefault(p.item, []).append(str(p))
    text = str(info.value)
    # 1. unknown column, with its position and a suggestion
    typo = next(p for p in problems if p.item == "rule 'typo'" and p.position == 16)
    assert "exposure_packaging" in (typo.hint or "")
    # 2. bad kind
    assert any(p.item == "rule 'bad_kind'" and p.field == "kind" for p in problems)
    # 3. code injection refused, with a position
    escape = [p for p in problems if p.item == "rule 'escape'"]
    assert escape and all(p.position is not None for p in escape)
    # 4. missing why
    assert any(p.item == "rule 'no_why'" and p.field == "why" for p in problems)
    # 5. duplicate id and 6. syntax error in the same rule
    assert any("duplicate rule id" in str(p) for p in problems)
    syntax = [p for p in problems if p.item == "rule 'typo'" and "syntax" in p.message]
    assert syntax and syntax[0].position == len("exposure_hbm *") + 1
    assert len(by_item) >= 4, text


def test_validate_pack_returns_problems_instead_of_raising(tmp_path: Path) -> None:
    assert validate_pack(_write(tmp_path, GOOD)) == []
    assert len(validate_pack(_write(tmp_path, FIVE_MISTAKES, "bad.toml"))) >= 5


def test_unknown_pack_name_suggests() -> None:
    with pytest.raises(RuleError, match="did you mean 'one-layer-down'"):
        load_pack("one-layer-dwn")


def test_with_weights_changes_only_named_rules() -> None:
    pack = load_pack()
    heavier = pack.with_weights({"intensity": 20})
    assert heavier.rule("intensity").weight == 20
    assert heavier.rule("materiality").weight == pack.rule("materiality").weight
    assert pack.rule("intensity").weight == 12  # the original is unchanged
    # Weights do not change expressions: the copy reuses the compiled ones.
    assert heavier.expression("intensity") is pack.expression("intensity")
    with pytest.raises(RuleError, match="unknown rule"):
        pack.with_weights({"nope": 1})
    with pytest.raises(RuleError, match="weight must be a finite number >= 0, got -1"):
        pack.with_weights({"intensity": -1})


def test_expectation_needs_its_companion_fields(tmp_path: Path) -> None:
    text = GOOD + '\n[[expect]]\ntop = ["MU"]\n'
    with pytest.raises(RuleError, match="'top' needs 'n'"):
        load_pack(_write(tmp_path, text))


def test_pack_round_trips_through_toml(tmp_path: Path) -> None:
    pack = load_pack()
    again = load_pack(_write(tmp_path, pack.to_toml()))
    assert again == pack


def test_why_must_be_one_line() -> None:
    with pytest.raises(RuleError, match="one line"):
        Rule(id="x", expression="exposure_hbm", why="two\nlines")


def test_pack_may_carry_a_basket_table(tmp_path: Path) -> None:
    good = load_pack(_write(tmp_path, GOOD + "\n[basket]\ntop_n = 10\nlayer_cap = 0.35\n"))
    rules = good.basket_rules
    assert rules.top_n == 10
    assert rules.layer_cap == 0.35
    with pytest.raises(RuleError, match=r"\[basket\]: weigting: unknown field"):
        load_pack(_write(tmp_path, GOOD + "\n[basket]\nweigting = 'equal'\n", "bad.toml"))
