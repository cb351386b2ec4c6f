"""Determinism: the order of exposures, forward figures, links, claims and companies
never changes a frame, a score or a primary layer, to the last bit.

Ties in the primary layer go to the layer first in the chain's order (then the smaller
layer id); sums over claims, exposures and links are exactly rounded; cross-sectional
functions sum in sorted order; ranks break ties by ticker.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from thesis_lib import (
    Company,
    Exposure,
    RulePack,
    Universe,
    load_chain,
    load_pack,
    load_universe,
    screen,
)
from thesis_lib.rules import Rule
from thesis_lib.rules.functions import zscore
from thesis_lib.testing import strategies as ts

CHAIN = load_chain()
BUILTIN = load_universe()
PACK = load_pack("one-layer-down")
CROSS = RulePack(id="cross", rules=(
    Rule(id="z_support", expression="zscore(evidence_support)", missing="zero", why="w"),
    Rule(id="z_dollars", expression="zscore(log(fill(ai_revenue_usd, 0) + 1))",
         missing="zero", why="w"),
    Rule(id="rank_conf", expression="pct_rank(confidence)", missing="zero", why="w"),
    Rule(id="below", expression='exposure_below("accelerators", 1) + sales_to("cloud")',
         missing="zero", why="w"),
    Rule(id="forward", expression='forward_exposure("power") * 3', missing="zero", why="w"),
))


def _rebuild(universe: Universe, **changes: object) -> Universe:
    fields = {name: getattr(universe, name) for name in Universe.model_fields}
    return Universe(**{**fields, **changes})


def _shuffled(universe: Universe, data: st.DataObject) -> Universe:
    """The same universe with every list in another order."""
    companies = [
        c.model_copy(update={
            "exposures": tuple(data.draw(st.permutations(c.exposures))),
            "forward": tuple(data.draw(st.permutations(c.forward))),
        })
        for c in universe.companies
    ]
    return _rebuild(
        universe,
        companies=tuple(data.draw(st.permutations(companies))),
        evidence=tuple(data.draw(st.permutations(universe.evidence))),
        links=tuple(data.draw(st.permutations(universe.links))),
    )


def _with_ties(universe: Universe, data: st.DataObject) -> Universe:
    """Some companies get two layers with the same (largest) share."""
    companies = []
    for company in universe.companies:
        exposures = list(company.exposures)
        if len(exposures) >= 2 and data.draw(st.booleans()):
            i, j = data.draw(st.lists(st.integers(0, len(exposures) - 1), min_size=2,
                                      max_size=2, unique=True))
            room = 1.0 - company.total_share + exposures[i].share + exposures[j].share
            same = min(max(e.share for e in exposures), room / 2)
            exposures = [e.model_copy(update={"share": same if k in (i, j)
                                              else min(e.share, same)})
                         for k, e in enumerate(exposures)]
        companies.append(Company(**{**{f: getattr(company, f) for f in Company.model_fields},
                                    "exposures": tuple(exposures)}))
    return _rebuild(universe, companies=tuple(companies))


def _same_frames(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.sort_index(), b.sort_index(), check_exact=True)


def _same_screens(universe: Universe, other: Universe, pack: RulePack) -> None:
    one, two = screen(universe, pack), screen(other, pack)
    # scores come sorted by rank (ties by ticker): the same table, row for row
    pd.testing.assert_frame_equal(one.scores, two.scores, check_exact=True)
    _same_frames(one.contributions, two.contributions)
    _same_frames(one.values, two.values)
    assert one.to_text(0) == two.to_text(0)


def _expected_primary(company: Company) -> str | None:
    if not company.exposures:
        return None
    best = max(e.share for e in company.exposures)
    return next(layer for layer in CHAIN.ids
                if any(e.layer == layer and e.share == best for e in company.exposures))


@given(universe=ts.universes(chain=CHAIN, min_companies=1, max_companies=8, max_evidence=6),
       data=st.data())
def test_reordering_a_generated_universe_changes_nothing(universe: Universe,
                                                         data: st.DataObject) -> None:
    universe = _with_ties(universe, data)
    other = _shuffled(universe, data)
    _same_frames(universe.to_frame(), other.to_frame())
    assert universe.layer_evidence() == other.layer_evidence()
    assert universe.company_evidence() == other.company_evidence()
    assert universe.primary_layers() == other.primary_layers()
    frame = universe.to_frame()
    for company in universe.companies:
        expected = _expected_primary(company)
        got = frame.at[company.ticker, "primary_layer"]
        assert (pd.isna(got) and expected is None) or got == expected, company.ticker
        pd.testing.assert_frame_equal(universe.claims_for(company.ticker),
                                      other.claims_for(company.ticker), check_exact=True)
    _same_screens(universe, other, PACK)
    _same_screens(universe, other, CROSS)


@given(data=st.data())
def test_reordering_the_built_in_universe_changes_nothing(data: st.DataObject) -> None:
    other = _shuffled(BUILTIN, data)
    _same_frames(BUILTIN.to_frame(), other.to_frame())
    _same_screens(BUILTIN, other, PACK)
    _same_screens(BUILTIN, other, CROSS)


@given(values=st.lists(st.floats(-1e6, 1e6) | st.sampled_from([np.nan, np.inf]),
                       min_size=1, max_size=40), data=st.data())
def test_zscore_does_not_depend_on_the_row_order(values: list[float],
                                                 data: st.DataObject) -> None:
    x = np.array(values)
    order = np.array(data.draw(st.permutations(range(len(x)))))
    np.testing.assert_array_equal(zscore(x)[order], zscore(x[order]))


def _exposure(layer: str, share: float) -> Exposure:
    return Exposure(layer=layer, share=share, source="s", as_of=dt.date(2026, 1, 1))


def test_a_tied_primary_layer_follows_the_chain_then_the_id() -> None:
    # hbm comes before foundry in the chain; "foundry" < "hbm" as text
    forward = [_exposure("foundry", 0.4), _exposure("hbm", 0.4), _exposure("grid", 0.1)]
    one = Company(ticker="X", name="X", country="US", currency="USD",
                  exposures=tuple(forward))
    two = one.model_copy(update={"exposures": tuple(reversed(forward))})
    for company in (one, two):
        assert company.primary_layer_in(CHAIN.ids) == "hbm"
        assert company.primary_layer == "foundry"          # no chain: by id
        assert company.total_share == 0.9
    assert one.primary_layer_in(["grid"]) == "foundry"     # not listed: by id
    universe = _rebuild(BUILTIN, companies=(one,), links=(), evidence=())
    assert universe.primary_layers() == {"X": "hbm"}
    assert universe.to_frame().at["X", "primary_layer"] == "hbm"


def test_evidence_sums_are_exact_whatever_the_order() -> None:
    from thesis_lib.models.evidence import support

    claims = BUILTIN.evidence
    forward, _ = support(claims)
    backward, _ = support(tuple(reversed(claims)))
    assert forward == backward
