"""A pack names the universe its expectations run against; checking reports every problem
in one pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import thesis_lib as tl
from thesis_lib.testing import check_pack
from thesis_lib.testing.expectations import expectation_problems

pytest_plugins = ["pytester"]

COMPANY = """
[[companies]]
ticker = "{ticker}"
name = "{name}"
country = "US"
currency = "USD"
listed = true
[[companies.exposures]]
layer = "{layer}"
share = {share}
confidence = 0.8
as_of = 2025-08-28
source = "test data"
"""

PACK = """id = "mod-pack"
version = "0.1.0"
universe = "{universe}"

[[rules]]
id = "hbm"
expression = 'exposure("hbm")'
weight = 10
why = "HBM earns the margin."

[[expect]]
id = "mod-over-gpu"
above = ["MOD", "GPU"]

[[expect]]
id = "mod-first"
top = ["MOD"]
n = 1
"""


def _universe(path: Path) -> Path:
    path.write_text('id = "mod-universe"\nchain = "ai-compute"\n'
                    + COMPANY.format(ticker="MOD", name="Modular Memory", layer="hbm",
                                     share=0.6)
                    + COMPANY.format(ticker="GPU", name="GPU Co", layer="accelerators",
                                     share=0.9), encoding="utf-8")
    return path


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "packs"
    folder.mkdir()
    _universe(folder / "mod-universe.toml")
    (folder / "mod.pack.toml").write_text(PACK.format(universe="mod-universe.toml"),
                                          encoding="utf-8")
    return folder


def test_a_pack_names_its_universe_relative_to_the_pack_file(pack_dir, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # not the pack's folder: the path resolves next to the pack
    pack = tl.load_pack(pack_dir / "mod.pack.toml")
    assert pack.universe == "mod-universe.toml"
    assert pack.universe_source() == pack_dir / "mod-universe.toml"
    report = check_pack(pack)
    assert report.ok, str(report)
    assert report.universes == ("mod-universe.toml",)
    assert "PASS  mod-over-gpu: MOD ranks above GPU" in str(report)
    # an explicit universe still wins over the pack's own
    other = check_pack(pack, universe="ai-compute-2026")
    assert not other.ok
    assert "unknown ticker 'MOD' in universe ai-compute-2026" in other.results[0].actual


def test_a_built_in_universe_name_and_round_trip(tmp_path):
    text = PACK.format(universe="ai-compute-2026").replace('"MOD", "GPU"', '"MU", "NVDA"')
    text = text.replace('top = ["MOD"]', 'top = ["MU"]').replace("n = 1", "n = 60")
    path = tmp_path / "builtin.pack.toml"
    path.write_text(text, encoding="utf-8")
    pack = tl.load_pack(path)
    assert pack.universe_source() == "ai-compute-2026"
    assert check_pack(pack).ok
    assert 'universe = "ai-compute-2026"' in pack.to_toml()


def test_thesis_test_passes_on_a_pack_with_its_own_universe(cli, pack_dir):
    ran = cli("test", str(pack_dir / "mod.pack.toml"))
    assert ran.status == 0, ran.out + ran.err
    assert "universe: mod-universe.toml" in ran.out
    assert "2 expectations: 2 passed, 0 failed" in ran.out


def test_screen_and_scenarios_use_the_packs_universe_unless_told_otherwise(cli, pack_dir):
    pack = str(pack_dir / "mod.pack.toml")
    ran = cli("screen", "--pack", pack, "--format", "json")
    assert ran.status == 0, ran.err
    import json

    shown = json.loads(ran.out)
    assert [c["ticker"] for c in shown["companies"]] == ["MOD", "GPU"]
    assert shown["universe"] == "mod-universe.toml"
    told = json.loads(cli("screen", "--pack", pack, "--universe", "ai-compute-2026",
                          "--format", "json").out)
    assert "MOD" not in {c["ticker"] for c in told["companies"]}
    ran = cli("scenarios", pack)  # the pack has no scenarios: says so, on its own universe
    assert ran.status == 1 and "has no [[scenarios]]" in ran.err


def test_the_plugin_runs_against_the_packs_universe(pytester: pytest.Pytester, pack_dir):
    shutil.copytree(pack_dir, pytester.path / "packs")
    pytester.makeconftest('pytest_plugins = ["thesis_lib.testing.plugin"]\n')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_validate_checks_expectation_tickers_against_the_packs_universe(cli, pack_dir):
    path = pack_dir / "mod.pack.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('top = ["MOD"]', 'top = ["MDO"]'),
                    encoding="utf-8")
    ran = cli("validate", str(path))
    assert ran.status == 1
    assert ("expectation 'mod-first': top[0]: unknown ticker 'MDO' in universe "
            "mod-universe.toml (did you mean 'MOD'?)") in ran.out
    problems = expectation_problems(path)
    assert [(p.file, p.item, p.field) for p in problems] == [
        (str(path), "expectation 'mod-first'", "top[0]")]


def test_validate_reports_a_missing_pack_universe(cli, tmp_path):
    path = tmp_path / "p.pack.toml"
    path.write_text(PACK.format(universe="nowhere.toml"), encoding="utf-8")
    ran = cli("validate", str(path))
    assert ran.status == 1
    assert "1 problem" in ran.out  # once for the pack, not once per expectation
    assert f"{path}: universe: cannot load the universe: " in ran.out
    assert "nowhere.toml: file not found" in ran.out


def test_validate_says_ok_for_a_good_pack_and_its_universe(cli, pack_dir):
    ran = cli("validate", str(pack_dir / "mod.pack.toml"))
    assert ran.status == 0, ran.out
    assert "2 expectations against mod-universe.toml" in ran.out


def test_a_universe_reports_a_field_problem_and_an_unknown_layer_together(tmp_path):
    path = tmp_path / "my-universe.toml"
    path.write_text('id = "my-universe"\n' + COMPANY.format(
        ticker="MU", name="Micron Technology", layer="hmb", share=1.4), encoding="utf-8")
    with pytest.raises(tl.DataError) as info:
        tl.load_universe(path)
    assert [(p.item, p.field) for p in info.value.problems] == [
        ("company 'MU'", "exposures[0].layer"), ("company 'MU'", "exposures[0].share")]
    assert "did you mean 'hbm'?" in str(info.value)


def test_a_universe_reports_duplicates_and_unknown_link_tickers_beside_field_problems(
        tmp_path):
    path = tmp_path / "u.toml"
    path.write_text('id = "u"\n' + COMPANY.format(ticker="A", name="A", layer="hbm", share=2)
                    + COMPANY.format(ticker="A", name="A again", layer="hbm", share=0.5)
                    + '[[links]]\nsupplier = "A"\ncustomer = "B"\nlayer = "hbm"\n'
                      'as_of = 2025-01-01\nsource = "s"\n', encoding="utf-8")
    messages = [p.message for p in tl.validate_universe(path)]
    assert any("less than or equal to 1" in m for m in messages)
    assert "duplicate ticker" in messages
    assert "unknown ticker 'B'" in messages


def test_a_pack_whose_only_rule_is_bad_has_no_cascading_message(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('id = "p"\n[[rules]]\nid = "a"\nexpression = "listed"\nweight = -1\n'
                    'why = "x"\n', encoding="utf-8")
    problems = tl.validate_pack(path)
    assert [(p.item, p.field) for p in problems] == [("rule 'a'", "weight")]
    # an empty list of rules is still its own problem
    empty = tl.validate_pack({"id": "p", "rules": []})
    assert [p.field for p in empty] == ["rules"]
