"""Scenarios: overrides applied to the prepared frame and compiled pack, and their reports."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import thesis_lib as tl
from thesis_lib import DataError, RuleError
from thesis_lib.cli import main
from thesis_lib.loading import load_scenarios
from thesis_lib.scenarios import Scenario, apply_scenario, run_scenarios


@pytest.fixture(scope="module")
def universe() -> tl.Universe:
    return tl.load_universe()


@pytest.fixture(scope="module")
def pack() -> tl.RulePack:
    return tl.load_pack("one-layer-down")


def test_a_weight_change_moves_ranks_as_computed_by_hand(universe, pack) -> None:
    base = tl.screen(universe, pack)
    # By hand: without the evidence rule every score loses exactly its evidence contribution.
    expected = (base.scores["score"] - base.contributions["evidence"]).loc[
        base.scores["passed"]]
    order = sorted(expected.index, key=lambda t: (-round(float(expected[t]), 12), str(t)))
    hand_rank = {t: i + 1 for i, t in enumerate(order)}
    assert hand_rank["SPCX"] > int(base.scores.at["SPCX", "rank"])  # SpaceX scored on claims
    scenario = Scenario(id="no-evidence", name="No evidence", description="Ignore the claims.",
                        weights={"evidence": 0})
    run = run_scenarios(universe, pack, [scenario], top=10)
    report = run.report("no-evidence")
    scores = report.result.scores
    for ticker in ("SPCX", "000660.KS", "NVDA", "CEG"):
        assert scores.at[ticker, "score"] == pytest.approx(expected[ticker])
        assert int(scores.at[ticker, "rank"]) == hand_rank[ticker]
    movers = report.movers.set_index("ticker")
    spcx = movers.loc["SPCX"] if "SPCX" in movers.index else None
    if spcx is not None:
        assert spcx["rules"].startswith("evidence -")
    entered = set(report.entered["ticker"])
    base_top = {t for t, r in base.scores["rank"].items() if pd.notna(r) and r <= 10}
    new_top = {t for t, r in hand_rank.items() if r <= 10}
    assert entered == new_top - base_top
    assert set(report.left["ticker"]) == base_top - new_top
    assert pack.rule("evidence").weight == 3  # the pack itself is untouched


def test_the_builtin_scenarios_say_what_would_change_the_ranking(universe, pack) -> None:
    assert [s.id for s in pack.scenarios] == [
        "orbital-siting-fails", "hbm-oversupply-2027", "permitting-reform",
        "hyperscaler-capex-minus-20", "fourth-lab-own-lane"]
    run = run_scenarios(universe, pack)
    base_rank = run.base.scores["rank"]
    hbm = run.report("hbm-oversupply-2027")
    assert int(hbm.result.scores.at["000660.KS", "rank"]) > int(base_rank["000660.KS"])
    assert hbm.movers.iloc[0]["ticker"] == "000660.KS"
    assert "intensity -" in hbm.movers.iloc[0]["rules"]
    reform = run.report("permitting-reform")
    assert "6501.T" in set(reform.left["ticker"])          # a grid name leaves the top 10
    assert reform.result.scores.at["PWR", "score"] < run.base.scores.at["PWR", "score"]
    orbital = run.report("orbital-siting-fails")
    assert orbital.result.scores.at["APLD", "score"] < run.base.scores.at["APLD", "score"]
    capex = run.report("hyperscaler-capex-minus-20")
    assert (capex.result.scores.loc[["000660.KS", "TSM", "AVGO"], "score"]
            < run.base.scores.loc[["000660.KS", "TSM", "AVGO"], "score"]).all()
    lane = run.report("fourth-lab-own-lane")
    assert lane.result.scores.at["CRWV", "score"] < run.base.scores.at["CRWV", "score"]
    assert hbm.basket_changes is not None and "removed" in set(hbm.basket_changes["action"])
    text = str(run)
    assert text.startswith("5 scenario(s) against pack one-layer-down v2.0.0, top 10 of 50")
    assert all(len(line) <= 100 for line in text.splitlines())
    summary = run.to_frame()
    assert list(summary.index) == [s.id for s in pack.scenarios]


def test_applying_a_scenario_leaves_the_base_alone_and_keeps_shares_valid(universe, pack):
    frame = universe.to_frame()
    before = frame.copy()
    scenario = Scenario(
        id="s", name="s", description="d", scale_exposure={"grid": 3.0},
        figures=[{"ticker": "000660.KS", "layer": "hbm", "share": 0.5},
                 {"ticker": "MU", "revenue_usd": 50e9}])
    out, scenario_pack = apply_scenario(universe, frame, pack, scenario)
    pd.testing.assert_frame_equal(frame, before)
    assert scenario_pack is pack  # no weight changed: the same compiled pack
    assert out.at["000660.KS", "exposure_hbm"] == 0.5
    assert out.at["000660.KS", "ai_exposure_hbm"] == 0.5  # its AI fraction (1.0) kept
    assert out.at["MU", "ai_revenue_usd"] == pytest.approx(50e9 * 0.14)
    # Quanta: grid 0.75 x 3 would be 225% of revenue; capped at 1 and the row rescaled.
    assert out.at["PWR", "exposure_grid"] == pytest.approx(1.0)
    assert (out["exposure_total"] <= 1.0 + 1e-12).all()
    tl.frame.check_frame(out)
    # Siemens Energy: grid and generation equipment both scaled back together.
    ratio = out.at["ENR.DE", "exposure_generation_equipment"] / out.at["ENR.DE", "exposure_grid"]
    assert ratio == pytest.approx(0.33 / 0.9)
    assert np.isclose(out.loc["ENR.DE", [c for c in out.columns if c.startswith(
        "exposure_") and c != "exposure_total"]].sum(), 1.0)


def test_mistakes_name_the_scenario_and_field(universe, pack) -> None:
    bad = Scenario(id="typos", name="t", description="d", flip_claims=["nvidia-is-prized"],
                   scale_ai={"hmb": 0.5}, weights={"intensty": 1.0},
                   figures=[{"ticker": "NVDX", "revenue_usd": 1.0}])
    with pytest.raises(RuleError) as caught:
        run_scenarios(universe, pack, [bad])
    found = {(p.item, p.field): p for p in caught.value.problems}
    assert set(found) == {("scenario 'typos'", "flip_claims[0]"),
                          ("scenario 'typos'", "scale_ai.hmb"),
                          ("scenario 'typos'", "weights.intensty"),
                          ("scenario 'typos'", "figures[0].ticker")}
    assert "'nvidia-is-priced'" in (found[("scenario 'typos'", "flip_claims[0]")].hint or "")
    assert "'intensity'" in (found[("scenario 'typos'", "weights.intensty")].hint or "")
    with pytest.raises(RuleError, match="scenario 'x' appears twice"):
        run_scenarios(universe, pack, [Scenario(id="x", name="x", description="d")] * 2)


def test_a_scenario_file_with_mistakes_reports_file_scenario_and_field(tmp_path: Path) -> None:
    path = tmp_path / "what-if.toml"
    path.write_text(
        '[[scenarios]]\nid = "ok"\nname = "Fine"\ndescription = "d"\nweights = { evidence = 0 }\n'
        '\n[[scenarios]]\nid = "broken"\nname = "Broken"\ndescription = "d"\n'
        'scale_ai = { hbm = -0.5 }\nremove_claim = ["x"]\n\n'
        '[[scenarios.add_claims]]\nid = "c"\nclaim = "c"\ndirection = "support"\n'
        'source = "s"\ndate = 2026-05-07\nlayers = ["hbm"]\n', encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_scenarios(path)
    where = sorted((p.file, p.item, p.field) for p in caught.value.problems)
    assert where == [(str(path), "scenario 'broken'", "add_claims[0].direction"),
                     (str(path), "scenario 'broken'", "remove_claim"),
                     (str(path), "scenario 'broken'", "scale_ai")]
    assert "did you mean 'remove_claims'" in str(caught.value)
    good = tmp_path / "good.toml"
    good.write_text('[[scenarios]]\nid = "ok"\nname = "Fine"\ndescription = "d"\n'
                    'weights = { evidence = 0 }\n', encoding="utf-8")
    (scenario,) = load_scenarios(good)
    assert scenario.weights == {"evidence": 0.0}


def test_the_command_runs_the_packs_scenarios_and_files(tmp_path: Path, capsys) -> None:
    assert main(["scenarios", "--only", "hbm-oversupply-2027"]) == 0
    out = capsys.readouterr().out
    assert "hbm-oversupply-2027: HBM oversupply in 2027" in out
    assert "000660.KS  SK hynix                 rank  2 ->" in out
    assert main(["scenarios", "--format", "json", "--top", "5"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["top"] == 5 and len(doc["scenarios"]) == 5
    path = tmp_path / "mine.toml"
    path.write_text('[[scenarios]]\nid = "no-evidence"\nname = "No evidence"\n'
                    'description = "d"\nweights = { evidence = 0 }\n', encoding="utf-8")
    assert main(["scenarios", "--file", str(path)]) == 0
    assert "no-evidence: No evidence" in capsys.readouterr().out
    assert main(["scenarios", "--only", "nope"]) == 1
    assert "unknown scenario 'nope'" in capsys.readouterr().err
