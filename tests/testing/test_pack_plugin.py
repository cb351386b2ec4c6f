from __future__ import annotations

import shutil
from importlib import metadata
from pathlib import Path

import pytest

# Imported here so that in-process pytester runs find them loaded (numpy cannot be
# imported twice in one process, and pytester restores sys.modules after each run).
import thesis_lib.testing.expectations  # noqa: F401

pytest_plugins = ["pytester"]

ROOT = Path(__file__).parents[2]
EXAMPLE_PACKS = ROOT / "examples" / "packs"
WRONG = Path(__file__).parent / "fixtures" / "wrong-expectation.pack.toml"
ENABLE = 'pytest_plugins = ["thesis_lib.testing.plugin"]\n'


def _packs(pytester: pytest.Pytester) -> Path:
    folder = pytester.path / "packs"
    shutil.copytree(EXAMPLE_PACKS, folder)
    return folder


def test_enabled_plugin_collects_one_item_per_expectation(pytester: pytest.Pytester) -> None:
    _packs(pytester)
    pytester.makeconftest(ENABLE)
    collected = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    ids = [line for line in collected.outlines if "pack.toml::" in line]
    assert ids == [f"packs/memory-first.pack.toml::{name}" for name in (
        "hynix-over-nvidia", "micron-over-amazon", "memory-and-packaging-lead",
        "hyperscalers-trail", "openai-private", "nvidia-gets-no-hbm-credit",
        "micron-score-range", "toy-universe-order")]
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=8)


def test_plugin_does_nothing_unless_enabled(pytester: pytest.Pytester) -> None:
    _packs(pytester)
    result = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert "pack.toml" not in result.stdout.str()
    # and installing thesis-lib registers no auto-loaded pytest plugin
    entry_points = metadata.entry_points(group="pytest11")
    assert not [ep for ep in entry_points if ep.value.startswith("thesis_lib")]


def test_failing_expectation_shows_its_report(pytester: pytest.Pytester) -> None:
    shutil.copy(WRONG, pytester.path / WRONG.name)
    pytester.makeconftest(ENABLE)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*_ expectation nvidia-over-hynix _*",
        "FAIL  nvidia-over-hynix: NVDA ranks above 000660.KS",
        "      expected: NVDA ranks above 000660.KS",
        "      actual:   NVDA rank 50 of 50, score -2.25; 000660.KS rank 2 of 50, score +3.30",
        "      because:  rules that most separate NVDA from 000660.KS (NVDA minus 000660.KS):",
        "                  hbm *-3.30  (NVDA +0.00, 000660.KS +3.30)",
        "*look at:  rule 'hbm' (score, weight 10): exposure(\"hbm\")",
    ])
    result.stdout.fnmatch_lines(
        ["FAILED wrong-expectation.pack.toml::nvidia-over-hynix*"])
    assert "Traceback" not in result.stdout.str()
    assert "warning" not in result.stdout.str().lower()


def test_marker_selects_pack_items_and_fixtures_work(pytester: pytest.Pytester) -> None:
    _packs(pytester)
    pytester.makeconftest(ENABLE)
    pytester.makepyfile(test_fixtures="""
        from thesis_lib import RulePack, Universe

        def test_builtin_fixtures(builtin_universe, builtin_pack):
            assert isinstance(builtin_universe, Universe) and len(builtin_universe) > 40
            assert isinstance(builtin_pack, RulePack) and builtin_pack.id == "one-layer-down"
    """)
    everything = pytester.runpytest("-p", "no:cacheprovider")
    everything.assert_outcomes(passed=9)
    only_packs = pytester.runpytest("-p", "no:cacheprovider", "-m", "thesis_pack",
                                    "--strict-markers")
    only_packs.assert_outcomes(passed=8, deselected=1)


def test_a_broken_pack_is_a_collection_error_listing_its_problems(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(ENABLE)
    (pytester.path / "broken.pack.toml").write_text(
        'id = "broken"\n[[rules]]\nid = "a"\nexpression = "exposre_hbm"\nwhy = "w"\n'
        '[[expect]]\nabove = ["MU", "NVDA"]\n', encoding="utf-8")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting broken.pack.toml*",
                                 "cannot load the rule pack:",
                                 "*exposre_hbm*did you mean*"])
