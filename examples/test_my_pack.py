"""Testing a custom rule pack like code: run with `pytest examples/`.

conftest.py next to this file enables thesis-lib's pytest plugin, which gives the
`builtin_universe` and `builtin_pack` fixtures used below and also collects every
`[[expect]]` entry of packs/*.pack.toml as a test of its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from thesis_lib import RulePack, Universe, load_pack, screen
from thesis_lib.testing import (
    assert_bounded,
    assert_deterministic,
    assert_gate_excludes,
    assert_monotone,
    check_pack,
)
from thesis_lib.testing import strategies as ts

PACK = Path(__file__).parent / "packs" / "memory-first.pack.toml"


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_pack(PACK)


def test_every_expectation_holds(pack: RulePack) -> None:
    report = check_pack(pack)
    assert report.ok, str(report)


def test_more_hbm_never_lowers_a_score(pack: RulePack, builtin_universe: Universe) -> None:
    assert_monotone(pack, "hbm", universe=builtin_universe, max_examples=25)


def test_a_richer_valuation_never_raises_a_score(pack: RulePack) -> None:
    assert_monotone(pack, "pe_forward", increasing=False, max_examples=25)


def test_scores_stay_within_what_the_weights_allow(pack: RulePack) -> None:
    # At most 10 (all revenue from HBM) + 2 (evidence); at least -3 - 2 - 2.
    assert_bounded(pack, -7, 12, max_examples=25)


def test_ranking_ignores_row_order(pack: RulePack) -> None:
    assert_deterministic(pack, max_examples=15)


def test_private_companies_are_gated_out(pack: RulePack, builtin_universe: Universe) -> None:
    frame = builtin_universe.to_frame()
    assert_gate_excludes(pack, "listed", frame[~frame["listed"]])
    unlisted = ts.screening_frames(max_rows=4).map(lambda f: f.assign(listed=False))
    assert_gate_excludes(pack, "listed", unlisted, max_examples=15)


def test_custom_pack_agrees_with_the_builtin_one_on_hynix(
    pack: RulePack, builtin_pack: RulePack, builtin_universe: Universe
) -> None:
    for rules in (pack, builtin_pack):
        ranks = screen(builtin_universe, rules).scores["rank"]
        assert ranks["000660.KS"] < ranks["NVDA"]
