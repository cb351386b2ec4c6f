"""Version 2 of the thesis model: exposure basis, forward figures, financials, links,
evidence that adds up, and the files users wrote before any of it existed."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thesis_lib import (
    Company,
    DataError,
    Evidence,
    Link,
    Universe,
    load_chain,
    load_links,
    load_universe,
)
from thesis_lib.models import recency_weight

D = dt.date(2026, 5, 7)


def _company(ticker: str, **kw: Any) -> dict[str, Any]:
    return {"ticker": ticker, "name": ticker.title(), "country": "US", "currency": "USD", **kw}


def _exp(layer: str, share: float, **kw: Any) -> dict[str, Any]:
    return {"layer": layer, "share": share, "source": "doc 2025", "as_of": D, **kw}


def _universe(**kw: Any) -> Universe:
    companies = kw.pop("companies", [
        _company("HYNIX", exposures=[_exp("hbm", 0.33, ai_share=1.0)],
                 financials={"revenue_usd": 68e9, "period": "FY2025", "as_of": D,
                             "basis": "converted", "source": "release 2026"}),
        _company("HANMI", exposures=[_exp("equipment", 0.8, ai_share=0.9)],
                 financials={"revenue_usd": 0.4e9, "period": "FY2025", "as_of": D,
                             "basis": "converted", "source": "release 2026"}),
        _company("NVDA", exposures=[_exp("accelerators", 0.75, ai_share=0.95)]),
        _company("LAB", listed=False, exposures=[_exp("frontier_labs", 1.0)]),
        _company("CLOUD", exposures=[_exp("cloud", 0.2, ai_share=0.3)]),
    ])
    return Universe(chain=load_chain(), companies=companies, **kw)


def _link(supplier: str, customer: str, layer: str, **kw: Any) -> dict[str, Any]:
    return {"supplier": supplier, "customer": customer, "layer": layer, "as_of": D,
            "source": "doc 2026", **kw}


# -- exposures, forward figures, financials --------------------------------------------
def test_ai_share_is_the_data_centre_part_of_the_layer_revenue() -> None:
    frame = _universe().to_frame()
    assert frame.loc["NVDA", "exposure_accelerators"] == 0.75
    assert frame.loc["NVDA", "ai_exposure_accelerators"] == pytest.approx(0.75 * 0.95)
    assert frame.loc["CLOUD", "ai_exposure_total"] == pytest.approx(0.06)
    # Unstated ai_share (files written before it existed) counts the whole layer revenue.
    assert frame.loc["LAB", "ai_exposure_frontier_labs"] == 1.0


def test_dollar_exposure_tells_a_large_business_from_a_small_one() -> None:
    frame = _universe().to_frame()
    assert frame.loc["HYNIX", "ai_revenue_usd"] == pytest.approx(68e9 * 0.33)
    assert frame.loc["HANMI", "ai_revenue_usd"] == pytest.approx(0.4e9 * 0.72)
    assert math.isnan(frame.loc["NVDA", "revenue_usd"])  # no financials: missing, not 0
    assert frame.loc["HANMI", "exposure_equipment"] > frame.loc["HYNIX", "exposure_hbm"]


def test_forward_figures_stay_out_of_todays_share() -> None:
    forward = {"layer": "power", "kind": "pre-revenue", "share": 0.9, "ai_share": 1.0,
               "horizon": dt.date(2030, 1, 1), "as_of": D, "source": "deal 2026"}
    universe = _universe(companies=[_company("OKLO", exposures=[_exp("power", 0.0)],
                                             forward=[forward])])
    frame = universe.to_frame()
    assert frame.loc["OKLO", "exposure_power"] == 0.0
    assert frame.loc["OKLO", "forward_exposure_power"] == pytest.approx(0.9)


@pytest.mark.parametrize(("forward", "field", "message"), [
    ({"horizon": dt.date(2030, 1, 1)}, "forward[0].share", "needs a share, an amount_usd or"),
    ({"share": 0.1, "starts": dt.date(2031, 1, 1), "horizon": dt.date(2030, 1, 1)},
     "forward[0].starts", "is after horizon"),
    ({"share": 0.1, "horizon": dt.date(2030, 1, 1), "kind": "hoped"}, "forward[0].kind",
     "Input should be"),
])
def test_a_bad_forward_figure_names_company_and_field(forward: dict[str, Any], field: str,
                                                      message: str) -> None:
    entry = {"layer": "power", "kind": "contracted", "as_of": D, "source": "s", **forward}
    with pytest.raises(DataError) as info:
        Company(**_company("X", forward=[entry]))
    problem = info.value.problems[0]
    assert (problem.item, problem.field) == ("company 'X'", field)
    assert message in problem.message


def test_financials_and_urls_are_checked() -> None:
    with pytest.raises(DataError) as info:
        Company(**_company("X", financials={"revenue_usd": -1.0, "period": "FY2025",
                                            "as_of": D, "basis": "guess", "source": "s",
                                            "url": "www.example.com"}))
    fields = sorted(str(p.field) for p in info.value.problems)
    assert fields == ["financials.basis", "financials.revenue_usd", "financials.url"]
    assert "https://" in str(info.value)


def test_a_file_in_the_old_format_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "old.toml"
    path.write_text(
        'id = "mine"\nchain = "ai-compute"\n\n[[companies]]\nticker = "MU"\nname = "Micron"\n'
        'country = "US"\ncurrency = "USD"\n\n[[companies.exposures]]\nlayer = "hbm"\n'
        'share = 0.25\nconfidence = 0.6\nsource = "estimate"\nas_of = 2026-05-07\n\n'
        '[[evidence]]\nid = "e1"\nclaim = "c"\nlayers = ["hbm"]\ndirection = "supports"\n'
        'strength = 0.5\nsource = "s"\ndate = 2026-05-07\n', encoding="utf-8")
    universe = load_universe(path)
    exposure = universe.company("MU").exposure("hbm")
    assert exposure is not None and exposure.ai_share is None and exposure.ai_fraction == 1.0
    frame = universe.to_frame()
    assert frame.loc["MU", "ai_exposure_hbm"] == 0.25
    assert frame.loc["MU", "evidence_support"] == pytest.approx(math.tanh(0.125))
    assert universe.links == ()


# -- links ------------------------------------------------------------------------------
def _linked() -> Universe:
    return _universe(links=[
        _link("HYNIX", "NVDA", "hbm", revenue_share=0.27),
        _link("HANMI", "HYNIX", "equipment"),
        _link("NVDA", "CLOUD", "accelerators"),
        _link("CLOUD", "LAB", "cloud"),
        _link("CLOUD", "LAB", "frontier_labs", kind="stake", amount_usd=8e9),
    ])


def test_suppliers_and_customers_follow_links_to_a_depth() -> None:
    universe = _linked()
    assert [lk.supplier for lk in universe.suppliers("NVDA")] == ["HYNIX"]
    assert [lk.supplier for lk in universe.suppliers("NVDA", depth=2)] == ["HYNIX", "HANMI"]
    assert [lk.customer for lk in universe.customers("HYNIX", depth=3)] == [
        "NVDA", "CLOUD", "LAB"]
    assert [(s, lk.supplier) for s, lk in universe.link_path("LAB", 4)] == [
        (1, "CLOUD"), (2, "NVDA"), (3, "HYNIX"), (4, "HANMI")]
    # A stake is not a supply link: it shows only among the stakes.
    assert [lk.kind for lk in universe.stakes("LAB")] == ["stake"]
    assert all(lk.kind == "supplies" for lk in universe.suppliers("LAB", depth=4))
    with pytest.raises(DataError, match="depth must be a whole number"):
        universe.suppliers("NVDA", depth=0)
    with pytest.raises(DataError, match="unknown ticker 'NVDX'"):
        universe.customers("NVDX")


def test_sales_to_customers_in_a_layer_reach_the_frame() -> None:
    frame = _linked().to_frame()
    assert frame.loc["HYNIX", "sales_to_accelerators"] == pytest.approx(0.27)
    assert frame.loc["HYNIX", "customers_in_accelerators"] == 1.0
    assert frame.loc["HANMI", "customers_in_hbm"] == 1.0
    assert frame.loc["HANMI", "sales_to_hbm"] == 0.0  # no reported share
    assert frame.loc["CLOUD", "customers_in_frontier_labs"] == 1.0  # the stake is not counted


def test_link_mistakes_are_all_reported_with_where() -> None:
    with pytest.raises(DataError) as info:
        _universe(links=[
            _link("HYNIX", "NVDX", "hbm"),
            _link("HYNIX", "NVDA", "hmb"),
            _link("HYNIX", "NVDA", "hbm", revenue_share=0.7),
            _link("HYNIX", "NVDA", "hbm", revenue_share=0.6),
        ])
    found = [(p.item, p.field, p.message) for p in info.value.problems]
    assert ("link #1 (HYNIX -> NVDX)", "customer", "unknown ticker 'NVDX'") in found
    assert ("link #2 (HYNIX -> NVDA)", "layer", "unknown layer 'hmb'") in found
    assert any(item == "link #4 (HYNIX -> NVDA)" and "duplicate link" in msg
               for item, _, msg in found)
    assert any(field == "revenue_share" and "add up to 1.3" in msg for _, field, msg in found)


@pytest.mark.parametrize(("entry", "message"), [
    (_link("A", "A", "hbm"), "cannot link to itself"),
    (_link("A", "B", "hbm", kind="stake", revenue_share=0.1), "a stake is not revenue"),
    (_link("A", "B", "hbm", kind="loan"), "Input should be 'supplies' or 'stake'"),
])
def test_a_bad_link_says_why(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(DataError, match=message):
        Link(**entry)


def test_a_links_file_reports_every_mistake(tmp_path: Path) -> None:
    path = tmp_path / "links.toml"
    path.write_text('[[links]]\nsupplier = "A"\ncustomer = "B"\nlayer = "hbm"\n'
                    'as_of = 2026-05-07\nsource = "s"\nrevenue_share = 1.5\n\n'
                    '[[links]]\nsupplier = "A"\ncustomer = "C"\nlayer = "hbm"\n'
                    'source = "s"\n', encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_links(path)
    where = [(p.file, p.item, p.field) for p in info.value.problems]
    assert where == [(str(path), "link #1 (A -> B)", "revenue_share"),
                     (str(path), "link #2 (A -> C)", "as_of")]


# -- evidence ---------------------------------------------------------------------------
def _claim(cid: str, **kw: Any) -> Evidence:
    base = {"id": cid, "claim": "c", "layers": ("hbm",), "direction": "supports",
            "strength": 0.5, "source": "s", "date": D}
    return Evidence(**{**base, **kw})


def test_support_is_a_recency_weighted_sum_not_an_average() -> None:
    year_old = D - dt.timedelta(days=365)
    universe = _universe(evidence=[
        _claim("new", strength=0.6), _claim("old", strength=0.4, date=year_old),
        _claim("against", direction="undermines", strength=0.2),
        _claim("fact", direction="neutral", strength=0.9),
    ])
    assert universe.layer_evidence()["hbm"] == pytest.approx(0.6 + 0.4 * 0.5 - 0.2)
    # as of a date before the newest claim, it is not known yet
    assert universe.layer_evidence(as_of=year_old)["hbm"] == pytest.approx(0.4)
    assert recency_weight(D, D - dt.timedelta(days=1)) == 0.0


def test_a_superseded_claim_stops_counting_but_is_kept() -> None:
    old = _claim("old", strength=0.9, date=D - dt.timedelta(days=30))
    new = _claim("new", strength=0.3, supersedes=("old",))
    universe = _universe(evidence=[old, new])
    assert universe.layer_evidence()["hbm"] == pytest.approx(0.3)
    assert universe.layer_evidence(as_of=old.date)["hbm"] == pytest.approx(0.9)
    assert universe.claim("old").claim == "c"


def test_claims_naming_a_company_count_for_it_and_say_so() -> None:
    universe = _universe(evidence=[
        _claim("priced", layers=(), companies=("NVDA",), direction="undermines", strength=0.5),
        _claim("hbm-wins", companies=("HYNIX",), strength=0.6),
    ])
    assert universe.company_evidence() == pytest.approx(
        {"HYNIX": 0.6, "HANMI": 0.0, "NVDA": -0.5, "LAB": 0.0, "CLOUD": 0.0})
    frame = universe.to_frame()
    assert frame.loc["NVDA", "evidence_support"] == pytest.approx(math.tanh(-0.5))
    assert frame.loc["HYNIX", "evidence_support"] == pytest.approx(math.tanh(0.6 + 0.33 * 0.6))
    claims = universe.claims_for("HYNIX")
    assert claims["id"].tolist() == ["hbm-wins"]
    assert claims.loc[0, "via"] == "HYNIX, hbm"
    assert claims.loc[0, "effect"] == pytest.approx(0.6 * 1.33)


def test_evidence_mistakes_name_the_claim_and_field() -> None:
    with pytest.raises(DataError) as info:
        _universe(evidence=[_claim("a", conflicts_with=("b",), companies=("NVDX",)),
                            _claim("a")])
    found = {(p.item, p.field) for p in info.value.problems}
    assert found == {("evidence 'a'", "conflicts_with[0]"), ("evidence 'a'", "companies[0]"),
                     ("evidence 'a'", "id")}
    with pytest.raises(DataError, match="at least one layer or company"):
        _claim("x", layers=())
    with pytest.raises(DataError, match="cannot refer to itself"):
        _claim("x", supersedes=("x",))


def test_conflicting_claims_are_paired_once_with_both_sides() -> None:
    universe = _universe(evidence=[_claim("a", conflicts_with=("b",)),
                                   _claim("b", conflicts_with=("a",), direction="undermines")])
    ((left, right),) = universe.conflicts()
    assert {left.id, right.id} == {"a", "b"}


_CLAIMS = st.lists(
    st.builds(lambda i, layer, direction, strength, age: _claim(
        f"c{i}", layers=(layer,), direction=direction, strength=strength,
        date=D - dt.timedelta(days=age)),
        st.integers(0, 10**6), st.sampled_from(["hbm", "grid", "accelerators"]),
        st.sampled_from(["supports", "undermines", "neutral"]), st.floats(0, 1),
        st.integers(0, 2000)),
    max_size=8, unique_by=lambda ev: ev.id)


@given(claims=_CLAIMS, strength=st.floats(0, 1), age=st.integers(0, 2000),
       layer=st.sampled_from(["hbm", "grid", "accelerators"]))
def test_adding_a_supporting_claim_never_lowers_support(claims: list[Evidence], strength: float,
                                                        age: int, layer: str) -> None:
    # At a fixed as-of date (the universe's), support only ever rises with a supporting claim,
    # for every layer and every company's evidence_support.
    before = _universe(evidence=claims, as_of=D)
    extra = _claim("added", layers=(layer,), strength=strength, date=D - dt.timedelta(days=age),
                   companies=("HYNIX",))
    after = _universe(evidence=[*claims, extra], as_of=D)
    for lid, value in after.layer_evidence().items():
        assert value >= before.layer_evidence()[lid] - 1e-12, lid
    for ticker, value in after.company_evidence().items():
        assert value >= before.company_evidence()[ticker] - 1e-12, ticker
    old = before.to_frame()["evidence_support"].to_numpy()
    new = after.to_frame()["evidence_support"].to_numpy()
    assert (new >= old - 1e-12).all()
    assert np.isfinite(new).all() and (np.abs(new) < 1).all()


def test_without_an_as_of_date_the_newest_claim_sets_it() -> None:
    old = _claim("old", strength=0.8, date=D - dt.timedelta(days=365))
    assert _universe(evidence=[old]).layer_evidence()["hbm"] == pytest.approx(0.8)
    newer = _claim("newer", layers=("grid",), strength=0.1)
    # The newer claim moves the reference date: the old one is now a year old.
    assert _universe(evidence=[old, newer]).layer_evidence()["hbm"] == pytest.approx(0.4)
    # Fixing the date keeps every claim's weight where it was.
    fixed = _universe(evidence=[old, newer], as_of=D)
    assert fixed.layer_evidence()["hbm"] == pytest.approx(0.4)
    assert _universe(evidence=[old], as_of=D - dt.timedelta(days=365)).layer_evidence()[
        "hbm"] == pytest.approx(0.8)


def test_a_frame_whose_shares_round_past_one_still_screens() -> None:
    import thesis_lib as tl

    # Shares may add up to 1 + 1e-3 (rounding); the frame built from them is valid.
    universe = _universe(companies=[_company("X", exposures=[
        _exp("hbm", 0.6005), _exp("packaging", 0.4)])])
    frame = universe.to_frame()
    assert frame.loc["X", "exposure_total"] > 1.0
    assert tl.screen(frame, "one-layer-down").scores.loc["X", "passed"]
