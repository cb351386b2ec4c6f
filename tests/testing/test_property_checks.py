from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import thesis_lib.testing.properties as properties_module
from thesis_lib import RuleError, RulePack, load_pack, load_universe
from thesis_lib.testing import (
    PackPropertyError,
    assert_bounded,
    assert_deterministic,
    assert_gate_excludes,
    assert_monotone,
)
from thesis_lib.testing import strategies as ts


@pytest.fixture(scope="module")
def builtin() -> RulePack:
    return load_pack()


def _pack(*rules: dict[str, Any]) -> RulePack:
    return RulePack(id="made-up", rules=[{"why": "a test rule", **r} for r in rules])


def test_builtin_pack_is_monotone_in_hbm(builtin: RulePack) -> None:
    assert_monotone(builtin, "hbm", universe=load_universe(), max_examples=40)


def test_builtin_pack_never_rewards_the_priced_layer(builtin: RulePack) -> None:
    assert_monotone(builtin, "accelerators", increasing=False, max_examples=30)
    assert_monotone(builtin, "pe_forward", increasing=False, max_examples=30)


def test_monotone_finds_a_minimal_counterexample() -> None:
    cliff = _pack({"id": "hbm_low", "expression": "exposure_hbm if exposure_hbm < 0.3 else 0",
                   "weight": 5})
    with pytest.raises(PackPropertyError) as caught:
        assert_monotone(cliff, "hbm", max_examples=150)
    error = caught.value
    message = str(error)
    assert message.startswith(
        "pack 'made-up' is not monotone increasing in exposure_hbm: raising exposure_hbm of ")
    assert "hbm_low" in message and "-> +0.0000" in message
    frame = error.counterexample
    assert frame is not None and len(frame) == 1  # minimised to one company
    assert error.ticker == str(frame.index[0])
    assert 0 < float(frame.loc[error.ticker, "exposure_hbm"]) < 0.3
    assert isinstance(error, AssertionError)


def test_monotone_decreasing_catches_a_rising_score(builtin: RulePack) -> None:
    with pytest.raises(PackPropertyError, match="not monotone decreasing in exposure_hbm"):
        assert_monotone(builtin, "hbm", increasing=False, max_examples=30)


def test_monotone_names_unknown_columns(builtin: RulePack) -> None:
    with pytest.raises(RuleError, match="unknown layer or numeric column 'hmb'") as caught:
        assert_monotone(builtin, "hmb")
    assert caught.value.hint is not None and "'hbm'" in caught.value.hint
    with pytest.raises(RuleError, match="'country'"):
        assert_monotone(builtin, "country")
    with pytest.raises(ValueError, match="max_examples=0 must be a positive integer"):
        assert_monotone(builtin, "hbm", max_examples=0)


def test_builtin_pack_scores_are_bounded(builtin: RulePack) -> None:
    # Best case 10 + 1 + 3 (all revenue one layer below the accelerators, strong
    # evidence); worst case -4 - 3 - 1.
    assert_bounded(builtin, -8, 14, universe="ai-compute-2026", max_examples=40)


def test_bounded_reports_the_score_and_its_contributions(builtin: RulePack) -> None:
    with pytest.raises(PackPropertyError) as caught:
        assert_bounded(builtin, 0, 14, max_examples=40)
    message = str(caught.value)
    assert "outside [0, 14]" in message
    assert "penalty" in message  # the explanation of the score, rule by rule
    frame = caught.value.counterexample
    assert frame is not None and len(frame) == 1
    assert caught.value.ticker == str(frame.index[0])
    with pytest.raises(ValueError, match="low=2 must not be above high=1"):
        assert_bounded(builtin, 2, 1)


def test_builtin_pack_is_deterministic(builtin: RulePack) -> None:
    assert_deterministic(builtin, universe=load_universe(), max_examples=25)


def test_deterministic_catches_row_order_dependence(
    builtin: RulePack, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = properties_module.screen

    def order_sensitive(data: Any, pack: Any) -> Any:
        # A broken engine whose evidence depends on the row's position.
        position = np.arange(len(data), dtype=float) / 10
        return real(data.assign(evidence_support=position), pack)

    monkeypatch.setattr(properties_module, "screen", order_sensitive)
    with pytest.raises(PackPropertyError,
                       match="not deterministic: screening its rows in another order"):
        assert_deterministic(builtin, max_examples=25)


def test_listed_gate_excludes_private_companies(builtin: RulePack) -> None:
    frame = load_universe().to_frame()
    assert_gate_excludes(builtin, "listed", frame[~frame["listed"]])
    unlisted = ts.screening_frames(max_rows=4).map(lambda f: f.assign(listed=False))
    assert_gate_excludes(builtin, "listed", unlisted, max_examples=20)


def test_gate_excludes_names_the_companies_let_through(builtin: RulePack) -> None:
    frame = load_universe().to_frame().loc[["MU", "OPENAI", "NVDA"]]
    with pytest.raises(PackPropertyError) as caught:
        assert_gate_excludes(builtin, "listed", frame)
    assert str(caught.value).startswith(
        "gate 'listed' of pack 'one-layer-down' does not exclude 2 of 3 companies: "
        "MU (listed = 1), NVDA (listed = 1)")
    assert caught.value.ticker == "MU"


def test_gate_excludes_with_a_strategy_shrinks_to_one_row(builtin: RulePack) -> None:
    with pytest.raises(PackPropertyError) as caught:
        assert_gate_excludes(builtin, "listed", ts.screening_frames(max_rows=4),
                             max_examples=30)
    frame = caught.value.counterexample
    assert frame is not None and len(frame) == 1
    assert bool(frame.loc[caught.value.ticker, "listed"])


def test_gate_excludes_counts_missing_values_by_policy() -> None:
    pack = _pack({"id": "cheap", "kind": "gate", "expression": "pe_forward < 40",
                  "missing": "exclude"},
                 {"id": "soft", "kind": "gate", "expression": "pe_forward < 40",
                  "missing": "skip"})
    frame = pd.DataFrame({"pe_forward": [np.nan, 80.0]},
                         index=pd.Index(["A", "B"], dtype="string", name="ticker"))
    assert_gate_excludes(pack, "cheap", frame)
    with pytest.raises(PackPropertyError, match=r"A \(pe_forward < 40 = missing\)"):
        assert_gate_excludes(pack, "soft", frame)


def test_gate_excludes_needs_a_gate(builtin: RulePack) -> None:
    with pytest.raises(RuleError, match="rule 'consensus_layer' is a penalty rule, not a gate"):
        assert_gate_excludes(builtin, "consensus_layer", load_universe())
    with pytest.raises(RuleError, match="unknown rule 'lsted'"):
        assert_gate_excludes(builtin, "lsted", load_universe())
