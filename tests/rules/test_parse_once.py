"""A pack is parsed and compiled exactly once per load, and not again by a weight change."""

from __future__ import annotations

from pathlib import Path

import pytest

import thesis_lib.rules.pack as pack_module
from thesis_lib import RuleError, RulePack, load_pack


@pytest.fixture
def compilations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = pack_module.compile_expression

    def counting(text: str, context: object) -> object:
        seen.append(text)
        return real(text, context)  # type: ignore[arg-type]

    monkeypatch.setattr(pack_module, "compile_expression", counting)
    return seen


def test_one_compilation_per_rule_per_load(compilations: list[str]) -> None:
    pack = load_pack("one-layer-down")
    conditions = [e.where for e in pack.expect if e.where is not None]
    assert sorted(compilations) == sorted([r.expression for r in pack.rules] + conditions)
    compilations.clear()
    RulePack.model_validate(pack.model_dump())
    assert len(compilations) == len(pack.rules) + len(conditions)
    compilations.clear()
    RulePack(**pack.model_dump())
    assert len(compilations) == len(pack.rules) + len(conditions)
    compilations.clear()
    pack.with_weights({"intensity": 1.0})
    assert compilations == []


def test_a_broken_pack_still_reports_every_mistake(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('id = "p"\n[[rules]]\nid = "a"\nexpression = \'exposure("hbmm")\'\n'
                    'why = "w"\n[[rules]]\nid = "b"\nkind = "scroe"\nexpression = "1 +"\n'
                    'why = "w"\n', encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_pack(path)
    fields = sorted((p.item, p.field) for p in caught.value.problems)
    assert fields == [("rule 'a'", "expression"), ("rule 'b'", "expression"),
                      ("rule 'b'", "kind")]
