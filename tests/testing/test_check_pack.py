from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import thesis_lib.testing.expectations as expectations_module
from thesis_lib import RuleError, RulePack, Universe, load_pack, load_universe
from thesis_lib.testing import PackReport, check_pack, format_reports

FIXTURES = Path(__file__).parent / "fixtures"
WRONG = FIXTURES / "wrong-expectation.pack.toml"


def _with_expectations(expect: list[dict[str, Any]], base: str = "one-layer-down") -> RulePack:
    data = load_pack(base).model_dump()
    data["expect"] = expect
    return RulePack.model_validate(data)


def test_builtin_pack_states_the_thesis_and_passes_it() -> None:
    report = check_pack("one-layer-down")
    assert len(report.results) >= 8
    assert report.ok, str(report)
    assert report.failures == ()
    forms = {r.expectation.form for r in report.results}
    assert {"top", "not_top", "excluded_by", "contribution", "where"} <= forms
    names = {r.name for r in report.results}
    assert {"hynix-top-10", "tsmc-top-10", "broadcom-top-10", "micron-top-15",
            "marvell-top-15", "hyperscalers-outside-top-10", "nvidia-outside-top-10",
            "ai-pure-plays-above-the-priced-and-hyperscalers", "anthropic-private"} <= names
    assert str(report).endswith(f"{len(report.results)} expectations: "
                                f"{len(report.results)} passed, 0 failed")


def test_a_wrong_expectation_fails_and_names_the_rules_behind_it() -> None:
    report = check_pack(WRONG)
    assert not report.ok
    assert [r.name for r in report.failures] == ["nvidia-over-hynix"]
    failure = report.failures[0]
    assert failure.rule_to_look_at == "hbm"
    assert failure.actual == ("NVDA rank 50 of 50, score -2.25; "
                              "000660.KS rank 2 of 50, score +3.30")
    lines = failure.explanation.splitlines()
    assert lines[0] == "rules that most separate NVDA from 000660.KS (NVDA minus 000660.KS):"
    assert lines[1].split() == ["hbm", "-3.30", "(NVDA", "+0.00,", "000660.KS", "+3.30)"]
    assert lines[2].split()[:2] == ["priced_compute", "-2.25"]
    text = str(report)
    assert "PASS  micron-over-amazon: MU ranks above AMZN" in text
    assert "FAIL  nvidia-over-hynix: NVDA ranks above 000660.KS" in text
    assert "expected: NVDA ranks above 000660.KS" in text
    assert "look at:  rule 'hbm' (score, weight 10): exposure(\"hbm\")" in text
    assert text.endswith("3 expectations: 2 passed, 1 failed")
    assert report.source == str(WRONG)
    assert report.pack_id == "wrong-expectation"


def test_fixing_the_wrong_expectation_makes_it_pass(tmp_path: Path) -> None:
    fixed = WRONG.read_text(encoding="utf-8").replace(
        'above = ["NVDA", "000660.KS"]', 'above = ["000660.KS", "NVDA"]')
    path = tmp_path / "fixed.pack.toml"
    path.write_text(fixed, encoding="utf-8")
    report = check_pack(path)
    assert report.ok, str(report)
    assert report.result("nvidia-over-hynix").passed


@pytest.mark.parametrize(
    ("expectation", "passed", "rule", "actual"),
    [
        ({"above": ["MU", "AMZN"]}, True, None, None),
        ({"above": ["OPENAI", "MU"]}, False, "listed", "OPENAI excluded by listed"),
        ({"above": ["MU", "OPENAI"]}, True, None, None),
        ({"top": ["3661.TW", "000660.KS"], "n": 2}, True, None, None),
        ({"top": ["MU"], "n": 5}, False, "intensity", "the top 5 ends at APLD"),
        ({"not_top": ["NVDA", "OPENAI"], "n": 10}, True, None, None),
        ({"not_top": ["TSM"], "n": 10}, False, "materiality", "TSM rank 3 of 50"),
        ({"excluded_by": "listed", "ticker": "OPENAI"}, True, None, None),
        ({"excluded_by": "listed", "ticker": "MU"}, False, "listed", "MU passes gate 'listed'"),
        ({"score_between": [7.0, 7.1], "ticker": "MU"}, True, None, None),
        ({"score_between": [0.0, 1.0], "ticker": "TSM"}, False, "materiality",
         "score +8.74"),
        ({"score_between": [0.0, 1.0], "ticker": "NVDA"}, False, "consensus_layer",
         "score -1.49"),
        ({"contribution": "negative", "rule": "consensus_layer", "ticker": "NVDA"}, True,
         None, None),
        ({"contribution": "zero", "rule": "consensus_layer", "ticker": "MU"}, True, None,
         None),
        ({"contribution": "positive", "rule": "consensus_layer", "ticker": "NVDA"}, False,
         "consensus_layer", "contribution -2.137 (negative)"),
        ({"where": 'exposure("hbm") >= 0.3', "outrank": ["NVDA"]}, True, None,
         "1 company where exposure(\"hbm\") >= 0.3, the lowest 000660.KS rank 2"),
        ({"where": 'ai_exposure("equipment") > 0.2', "outrank": ["AVGO", "NVDA"]}, False,
         "materiality", "the best of AVGO, NVDA: AVGO rank 4 of 50"),
        ({"where": 'exposure("hbm") > 0.9', "outrank": ["NVDA"]}, True, None,
         "no ranked company"),
    ],
)
def test_every_form_of_expectation(
    expectation: dict[str, Any], passed: bool, rule: str | None, actual: str | None
) -> None:
    report = check_pack(_with_expectations([expectation]))
    (result,) = report.results
    assert result.passed is passed, str(report)
    assert result.rule_to_look_at == rule
    if actual is not None:
        assert actual in result.actual
    assert bool(result.explanation) is not passed


def test_unknown_ticker_fails_with_a_suggestion() -> None:
    report = check_pack(_with_expectations([{"above": ["MUU", "NVDA"]}]))
    (result,) = report.results
    assert not result.passed
    assert result.actual == ("unknown ticker 'MUU' in universe ai-compute-2026 "
                             "(did you mean 'MU'?)")


def test_universes_resolve_next_to_the_pack_and_each_is_screened_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toy = Path(__file__).parents[2] / "examples" / "packs" / "toy-universe.toml"
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "toy.toml").write_text(toy.read_text(encoding="utf-8"),
                                                 encoding="utf-8")
    pack = load_pack("one-layer-down").model_copy()
    text = pack.to_toml() + "\n" + "\n".join([
        "[[expect]]", 'above = ["HBMCO", "GPUCO"]', 'universe = "data/toy.toml"', "",
        "[[expect]]", 'excluded_by = "listed"', 'ticker = "LABCO"',
        'universe = "data/toy.toml"', "",
        "[[expect]]", 'above = ["HBMCO", "GPUCO"]', 'universe = "data/missing.toml"', "",
    ])
    path = tmp_path / "mine.pack.toml"
    path.write_text(text, encoding="utf-8")
    calls: list[int] = []
    real = expectations_module.screen

    def counting(data: Any, pack: Any) -> Any:
        calls.append(1)
        return real(data, pack)

    monkeypatch.setattr(expectations_module, "screen", counting)
    report = check_pack(path)
    assert len(calls) == 2  # the built-in universe and the toy one; the missing one fails
    by_universe = {(r.universe, r.passed) for r in report.results}
    assert ("data/toy.toml", True) in by_universe
    missing = report.results[-1]
    assert not missing.passed
    assert missing.universe == "data/missing.toml"
    assert "could not screen universe data/missing.toml" in missing.actual
    assert "file not found" in missing.actual
    assert "[universe data/toy.toml]" in str(report)


def test_the_universe_argument_is_the_default() -> None:
    universe = load_universe()
    smaller = Universe(
        id="no-micron", chain=universe.chain,
        companies=tuple(c for c in universe if c.ticker != "MU"),
        links=tuple(lk for lk in universe.links if "MU" not in (lk.supplier, lk.customer)),
        evidence=tuple(ev.model_copy(update={"companies": tuple(
            t for t in ev.companies if t != "MU")}) for ev in universe.evidence))
    pack = _with_expectations([{"above": ["MU", "AMZN"]}])
    report = check_pack(pack, smaller)
    assert report.universes == ("no-micron",)
    assert not report.results[0].passed
    assert "unknown ticker 'MU'" in report.results[0].actual
    assert check_pack(pack, "ai-compute-2026").ok


def test_a_screen_error_fails_every_expectation_and_names_the_rule() -> None:
    data = load_pack("one-layer-down").model_dump()
    data["rules"] = [*data["rules"], {"id": "needs_prices", "expression": "pe_forward",
                                      "missing": "error", "why": "needs market data"}]
    data["expect"] = [{"above": ["MU", "NVDA"]}, {"top": ["TSM"], "n": 5}]
    report = check_pack(RulePack.model_validate(data))
    assert len(report.failures) == 2
    for result in report.failures:
        assert result.actual.startswith("could not screen universe ai-compute-2026:")
        assert result.rule_to_look_at == "needs_prices"


def test_a_pack_without_expectations_is_ok_and_says_so() -> None:
    report = check_pack(_with_expectations([]))
    assert report.ok
    assert "no expectations" in str(report)


def test_bad_pack_raises_rule_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.pack.toml"
    path.write_text('id = "x"\n[[rules]]\nid = "a"\nexpression = "exposre_hbm"\nwhy = "w"\n',
                    encoding="utf-8")
    with pytest.raises(RuleError, match="exposre_hbm"):
        check_pack(path)


def test_report_table_and_combined_text() -> None:
    good, bad = check_pack("one-layer-down"), check_pack(WRONG)
    frame = bad.to_frame()
    assert list(frame.columns) == ["expectation", "form", "universe", "passed", "expected",
                                   "actual", "rule_to_look_at", "explanation"]
    assert frame["passed"].tolist() == [True, False, True]
    assert frame.loc[1, "rule_to_look_at"] == "hbm"
    assert frame["expectation"].dtype == "string"
    text = format_reports([good, bad])
    assert text.splitlines()[-1] == (f"2 packs, {len(good.results) + 3} expectations: "
                                     f"{len(good.results) + 2} passed, 1 failed (in 1 pack)")
    with pytest.raises(RuleError, match="did you mean 'nvidia-over-hynix'"):
        bad.result("nvidia-over-hynx")
    assert isinstance(good, PackReport)


def test_the_builtin_ranking_is_stable_under_weight_noise() -> None:
    from thesis_lib.evaluate import rank_stability

    stability = rank_stability("one-layer-down", load_universe(), noise=0.2, n=200, seed=0)
    assert float(np.median(stability.taus)) >= 0.9


def test_a_where_expectation_with_a_bad_condition_names_the_expectation() -> None:
    with pytest.raises(RuleError) as caught:
        _with_expectations([{"id": "bad", "where": 'ai_exposure("hmb") > 0.5',
                             "outrank": ["NVDA"]}])
    (problem,) = caught.value.problems
    assert (problem.item, problem.field, problem.position) == ("expectation 'bad'", "where", 13)
    assert "unknown layer 'hmb'" in problem.message and "'hbm'" in (problem.hint or "")
    with pytest.raises(RuleError, match="'where' needs 'outrank'"):
        _with_expectations([{"where": "listed"}])
