from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from thesis_lib import MissingDataError, RulePack, load_chain, load_pack, screen, validate_pack
from thesis_lib.frame import MARKET_COLUMNS, check_frame, frame_columns
from thesis_lib.rules.screen import EXCLUDED, FAILED, SKIPPED, ZERO_FILLED
from thesis_lib.testing import strategies as ts

CHAIN = load_chain()
EXPOSURES = [f"exposure_{layer}" for layer in CHAIN.ids]


@given(ts.screening_frames(max_rows=6))
def test_frames_are_valid_and_consistent(frame: pd.DataFrame) -> None:
    assert check_frame(frame) is frame  # valid as it is: string 'ticker' index, no copy
    assert list(frame.columns) == list(frame_columns(CHAIN.ids))
    assert frame.index.is_unique and frame.index.name == "ticker"
    assert frame["listed"].dtype == bool
    shares = frame[EXPOSURES].to_numpy()
    assert ((shares >= 0) & (shares <= 1)).all()
    assert np.allclose(frame["exposure_total"], shares.sum(axis=1))
    assert (frame["exposure_total"] <= 1).all()
    for ticker, row in frame.iterrows():
        if pd.isna(row["primary_layer"]):  # no exposure at all, as Universe.to_frame()
            assert row["exposure_total"] == 0 and math.isnan(row["confidence"]), ticker
        else:  # the largest share (a company may list a layer with share 0)
            assert row[f"exposure_{row['primary_layer']}"] == row[EXPOSURES].max(), ticker
            assert 0 <= row["confidence"] <= 1
    assert (frame["evidence_support"].abs() <= frame["exposure_total"] + 1e-12).all()
    result = screen(frame, "one-layer-down")  # the built-in pack screens it without error
    assert len(result.scores) == len(frame)


@given(ts.screening_frames(layers=["hbm", "grid"], market_columns=True,
                           extra_columns=["capex_growth"], min_rows=2, max_rows=4))
def test_frame_options(frame: pd.DataFrame) -> None:
    check_frame(frame)
    assert 2 <= len(frame) <= 4
    others = [c for c in EXPOSURES if c not in ("exposure_hbm", "exposure_grid")]
    assert (frame[others] == 0).all().all()
    assert set(MARKET_COLUMNS) | {"quote_currency", "market_as_of", "capex_growth"} <= set(
        frame.columns)
    assert np.isfinite(frame[list(MARKET_COLUMNS)].to_numpy()).all()
    assert (frame["market_cap_usd"] > 0).all()


def test_missing_values_reach_every_missing_data_policy() -> None:
    packs = {policy: RulePack(id=policy, rules=[
        {"id": "valuation", "expression": "pe_forward", "missing": policy, "why": "w"},
        {"id": "gate", "kind": "gate", "expression": "name != 'x'", "missing": policy,
         "why": "w"},
    ]) for policy in ("zero", "skip", "exclude", "error")}
    expected_status = {"zero": ZERO_FILLED, "skip": SKIPPED, "exclude": EXCLUDED}
    # A gate whose value is missing: 'zero' fails it, 'skip' lets it pass, 'exclude' excludes.
    gate_status = {"zero": FAILED, "skip": SKIPPED, "exclude": EXCLUDED}
    seen: set[str] = set()

    @settings(max_examples=60, deadline=None, derandomize=True, database=None)
    @given(ts.screening_frames(allow_missing=True, market_columns=True, max_rows=4))
    def run(frame: pd.DataFrame) -> None:
        check_frame(frame)  # holes never make a frame invalid
        assert frame["listed"].dtype == "boolean"
        no_name = frame["name"].isna().to_numpy()
        for policy, code in expected_status.items():
            status = screen(frame, packs[policy]).status
            if (status[:, 0] == code).any():
                seen.add(f"{policy}: score rule")
            assert (status[no_name, 1] == gate_status[policy]).all()
            if no_name.any():
                seen.add(f"{policy}: gate")
        try:
            screen(frame, packs["error"])
        except MissingDataError:
            seen.add("error")
        numbers = frame.select_dtypes("number")
        values = numbers.to_numpy()
        seen.update(kind for kind, hit in (("nan", np.isnan(values).any()),
                                           ("inf", np.isposinf(values).any()),
                                           ("-inf", np.isneginf(values).any())) if hit)
        if frame[EXPOSURES].isna().any().any():
            seen.add("exposure nan")
        if frame["listed"].isna().any():
            seen.add("listed <NA>")
        if frame[["name", "country", "primary_layer"]].isna().any().any():
            seen.add("text <NA>")
        assert not np.isinf(frame[[*EXPOSURES, "exposure_total"]].to_numpy()).any()

    run()
    assert seen >= {"zero: score rule", "skip: score rule", "exclude: score rule",
                    "zero: gate", "skip: gate", "exclude: gate", "error", "nan", "inf",
                    "-inf", "exposure nan", "listed <NA>", "text <NA>"}, seen


@settings(max_examples=25)
@given(pack=ts.rule_packs(max_rules=5), frame=ts.screening_frames(max_rows=4))
def test_rule_packs_are_valid_and_screen(pack: RulePack, frame: pd.DataFrame) -> None:
    assert validate_pack(pack.model_dump()) == []
    assert 1 <= len(pack.rules) <= 5
    assert len({r.id for r in pack.rules}) == len(pack.rules)
    for expectation in pack.expect:
        if expectation.rule is not None:
            assert expectation.rule in {r.id for r in pack.rules}
        if expectation.excluded_by is not None:
            assert expectation.excluded_by in {g.id for g in pack.gates}
    try:
        result = screen(frame, pack)
    except MissingDataError:
        assert any(r.missing == "error" for r in pack.rules)
    else:
        scores = result.scores
        total = result.contributions.sum(axis=1).loc[scores.index]
        assert np.allclose(total.to_numpy(), scores["score"].to_numpy())


@settings(max_examples=10)
@given(ts.rule_packs(kinds=["gate", "penalty"], min_rules=2, max_rules=3))
def test_rule_packs_round_trip_through_toml(pack: RulePack) -> None:
    assert {r.kind for r in pack.rules} <= {"gate", "penalty"}
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "generated.pack.toml"
        file.write_text(pack.to_toml(), encoding="utf-8")
        assert load_pack(file) == pack


def test_strategies_work_on_a_chain_file(tmp_path: Path) -> None:
    source = Path(load_pack().source or "").parent.parent / "chain.toml"
    chain_file = tmp_path / "chain.toml"
    chain_file.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")

    @settings(max_examples=5, deadline=None, database=None)
    @given(ts.rule_packs(chain=chain_file, max_rules=2),
           ts.screening_frames(chain=chain_file, max_rows=2))
    def run(pack: RulePack, frame: pd.DataFrame) -> None:
        assert pack.chain == str(chain_file.resolve())
        check_frame(frame)

    run()


BAD_ARGUMENTS: list[tuple[Callable[[], Any], str]] = [
    (lambda: ts.screening_frames(min_rows=3, max_rows=2), "Cannot have max_rows=2 < min_rows=3"),
    (lambda: ts.screening_frames(min_rows=-1), "min_rows=-1 must be at least 0"),
    (lambda: ts.screening_frames(max_rows=2.5), "max_rows=2.5 must be an integer"),
    (lambda: ts.screening_frames(allow_missing="yes"),
     "allow_missing='yes' must be True or False"),
    (lambda: ts.screening_frames(market_columns=1), "market_columns=1 must be True or False"),
    (lambda: ts.screening_frames(layers=[]),
     "layers=[] must be a non-empty sequence of layer ids"),
    (lambda: ts.screening_frames(layers="hbm"),
     "layers='hbm' must be a non-empty sequence of layer ids"),
    (lambda: ts.screening_frames(layers=["hbm", "gpu"]),
     "layers=['hbm', 'gpu'] names layers that are not in chain 'ai-compute': gpu"),
    (lambda: ts.screening_frames(chain=42),
     "chain=42 must be a SupplyChain, a built-in chain name or a chain file"),
    (lambda: ts.screening_frames(chain="ai-compte"),
     "chain='ai-compte' cannot be loaded: no built-in chain named 'ai-compte' and no such "
     "file (did you mean 'ai-compute'?)"),
    (lambda: ts.screening_frames(extra_columns=["pe_forward", "mine"]),
     "extra_columns=['pe_forward', 'mine'] repeats columns the frame already has: "
     "pe_forward"),
    (lambda: ts.screening_frames(extra_columns="mine"),
     "extra_columns='mine' must be a sequence of column names"),
    (lambda: ts.rule_packs(min_rules=0), "min_rules=0 must be at least 1"),
    (lambda: ts.rule_packs(min_rules=4, max_rules=3), "Cannot have max_rules=3 < min_rules=4"),
    (lambda: ts.rule_packs(max_expectations=-1), "max_expectations=-1 must be at least 0"),
    (lambda: ts.rule_packs(kinds=["bonus"]),
     "kinds=['bonus'] must be a non-empty sequence of score, penalty, gate"),
    (lambda: ts.rule_packs(kinds=()),
     "kinds=() must be a non-empty sequence of score, penalty, gate"),
    (lambda: ts.rule_packs(chain=CHAIN),
     f"chain={CHAIN!r} must be a built-in chain name or a chain file"),
]


@pytest.mark.parametrize(("build", "message"), BAD_ARGUMENTS)
def test_bad_arguments_have_exact_messages(build: Callable[[], Any], message: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        build()
    assert str(caught.value) == message


def test_options_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        ts.screening_frames(CHAIN)  # type: ignore[misc]
    with pytest.raises(TypeError):
        ts.rule_packs("ai-compute")  # type: ignore[misc]


def test_strategies_compose() -> None:
    @settings(max_examples=10, deadline=None, database=None)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        pack = data.draw(ts.rule_packs(kinds=["score"], max_rules=2, max_expectations=0))
        frame = data.draw(ts.screening_frames(max_rows=3, market_columns=True))
        assert pack.expect == ()
        # A company without exposures has no confidence (NaN, as in Universe.to_frame);
        # every other value is present, so with no gates every company passes.
        assume(frame["confidence"].notna().all())
        assert (screen(frame, pack).scores["passed"]).all()

    run()
