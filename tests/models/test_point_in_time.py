"""Dated knowledge: when each figure became known, and the history of revised figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thesis_lib import (
    Company,
    DataError,
    Evidence,
    Exposure,
    Financials,
    Forward,
    Link,
    Universe,
    load_chain,
    load_universe,
)
from thesis_lib.models import REPORTING_LAG, SHARE_TOLERANCE

FY24 = dt.date(2024, 12, 31)
FY25 = dt.date(2025, 12, 31)


def _exp(layer: str, share: float, as_of: dt.date = FY25, **kw: Any) -> dict[str, Any]:
    return {"layer": layer, "share": share, "as_of": as_of, "source": "annual report", **kw}


def _fin(revenue: float, as_of: dt.date = FY25, **kw: Any) -> dict[str, Any]:
    return {"revenue_usd": revenue, "period": f"FY{as_of.year}", "as_of": as_of,
            "basis": "reported", "source": "annual report", **kw}


def _company(ticker: str = "MU", **kw: Any) -> dict[str, Any]:
    return {"ticker": ticker, "name": ticker.title(), "country": "US", "currency": "USD", **kw}


def _link(**kw: Any) -> dict[str, Any]:
    return {"supplier": "MU", "customer": "NVDA", "layer": "hbm", "as_of": FY25,
            "source": "10-K", **kw}


# -- the known-date rule ----------------------------------------------------------------
def test_reporting_lag_is_ninety_days() -> None:
    assert dt.timedelta(days=90) == REPORTING_LAG


def test_a_period_figure_is_known_a_reporting_lag_after_the_period_ends() -> None:
    exposure = Exposure(**_exp("hbm", 0.3))
    assert exposure.known_on() == FY25 + REPORTING_LAG
    assert exposure.known_on(dt.timedelta(days=30)) == FY25 + dt.timedelta(days=30)
    assert Financials(**_fin(1e9)).known_on() == FY25 + REPORTING_LAG
    assert Link(**_link()).known_on() == FY25 + REPORTING_LAG


def test_known_from_when_given_is_the_known_date() -> None:
    published = dt.date(2026, 2, 11)
    assert Exposure(**_exp("hbm", 0.3, known_from=published)).known_on() == published
    assert Financials(**_fin(1e9, known_from=published)).known_on() == published
    assert Link(**_link(known_from=published)).known_on() == published


def test_a_forward_figure_and_a_claim_are_known_from_their_own_date() -> None:
    doc = dt.date(2026, 3, 2)
    forward = Forward(layer="power", kind="contracted", share=0.1, horizon=dt.date(2028, 1, 1),
                      as_of=doc, source="PPA press release")
    assert forward.known_on() == doc
    assert forward.model_copy(update={"known_from": dt.date(2026, 4, 1)}).known_on() \
        == dt.date(2026, 4, 1)
    claim = Evidence(id="c", claim="x", layers=("hbm",), direction="supports", source="s",
                     date=doc)
    assert claim.known_on() == doc


EARLY = dt.date(2025, 6, 30)


@pytest.mark.parametrize(("model", "data"), [
    (Exposure, _exp("hbm", 0.3, known_from=EARLY)),
    (Financials, _fin(1e9, known_from=EARLY)),
    (Link, _link(known_from=EARLY)),
    (Forward, {"layer": "power", "kind": "guided", "share": 0.1, "as_of": FY25,
               "horizon": dt.date(2028, 1, 1), "known_from": EARLY, "source": "guidance"}),
])
def test_known_from_before_as_of_is_an_error_naming_the_field(
    model: type[Any], data: dict[str, Any]
) -> None:
    with pytest.raises(DataError) as info:
        model(**data)
    assert info.value.field == "known_from"
    assert "before as_of" in str(info.value)
    assert info.value.hint


def test_known_from_in_a_company_file_names_the_company_and_the_field() -> None:
    with pytest.raises(DataError) as info:
        Company(**_company(exposure_history=[_exp("hbm", 0.3, known_from=dt.date(2025, 1, 1))]))
    assert info.value.field == "exposure_history[0].known_from"


# -- history ---------------------------------------------------------------------------
def test_history_holds_earlier_periods_and_revisions_of_the_same_layer() -> None:
    company = Company(**_company(
        exposures=[_exp("hbm", 0.3)],
        exposure_history=[_exp("hbm", 0.2, FY24), _exp("hbm", 0.25, FY24,
                                                       known_from=dt.date(2025, 8, 1))],
        financials=_fin(30e9), financials_history=[_fin(25e9, FY24)]))
    assert len(company.exposure_history) == 2
    assert company.exposure("hbm") == company.exposures[0]  # current figures unchanged


def test_an_exact_duplicate_in_history_is_an_error_naming_the_field() -> None:
    with pytest.raises(DataError) as info:
        Company(**_company(exposure_history=[_exp("hbm", 0.2, FY24), _exp("hbm", 0.25, FY24)]))
    assert info.value.field == "exposure_history[1]"
    assert "two figures for the period ending 2024-12-31" in str(info.value)
    with pytest.raises(DataError) as info:  # the same as a current figure
        Company(**_company(exposures=[_exp("hbm", 0.3)], exposure_history=[_exp("hbm", 0.2)]))
    assert info.value.field == "exposure_history[0]"
    with pytest.raises(DataError) as info:
        Company(**_company(financials=_fin(1e9), financials_history=[_fin(2e9)]))
    assert info.value.field == "financials_history[0]"


def test_shares_of_one_period_add_up_to_at_most_one_as_known_on_every_date() -> None:
    # FY2024 was 0.6 + 0.4; FY2025 is 0.7 + 0.3: each period is valid on its own.
    Company(**_company(exposures=[_exp("hbm", 0.7), _exp("dram", 0.3)],
                       exposure_history=[_exp("hbm", 0.6, FY24), _exp("dram", 0.4, FY24)]))
    # A revision of hbm to 0.8 while dram stays 0.4 for the same period: 1.2 of revenue.
    with pytest.raises(DataError) as info:
        Company(**_company(exposure_history=[
            _exp("hbm", 0.6, FY24), _exp("dram", 0.4, FY24),
            _exp("hbm", 0.8, FY24, known_from=dt.date(2025, 9, 1))]))
    assert info.value.field == "exposure_history[2].share"
    assert "period ending 2024-12-31, as known on 2025-09-01" in str(info.value)


def test_unknown_layers_in_history_are_reported_with_where() -> None:
    with pytest.raises(DataError) as info:
        Universe(chain=load_chain(), companies=[_company(
            exposures=[_exp("hbm", 0.3)], exposure_history=[_exp("hmb", 0.2, FY24)])])
    assert [(p.item, p.field) for p in info.value.problems] == \
        [("company 'MU'", "exposure_history[0].layer")]


def test_links_with_the_same_key_and_other_dates_are_the_links_history() -> None:
    companies = [_company("MU", exposures=[_exp("hbm", 0.3)]),
                 _company("NVDA", exposures=[_exp("accelerators", 0.8)])]
    universe = Universe(chain=load_chain(), companies=companies, links=[
        _link(revenue_share=0.6, as_of=FY24), _link(revenue_share=0.5)])
    assert universe.current_links == (universe.links[1],)
    assert universe.suppliers("NVDA") == (universe.links[1],)
    frame = universe.to_frame()
    assert frame.loc["MU", "sales_to_accelerators"] == pytest.approx(0.5)
    assert frame.loc["MU", "customers_in_accelerators"] == 1.0
    with pytest.raises(DataError, match="duplicate link"):
        Universe(chain=load_chain(), companies=companies,
                 links=[_link(revenue_share=0.2), _link(revenue_share=0.5)])


def test_the_builtin_universe_still_loads() -> None:
    assert len(load_universe()) > 10


def test_dated_fields_and_histories_round_trip_through_toml(tmp_path: Any) -> None:
    from thesis_lib import save_universe

    companies = [
        _company("MU", exposures=[_exp("hbm", 0.3, known_from=dt.date(2026, 2, 1))],
                 exposure_history=[_exp("hbm", 0.2, FY24),
                                   _exp("hbm", 0.25, FY24, known_from=dt.date(2025, 8, 1))],
                 financials=_fin(30e9, known_from=dt.date(2026, 2, 1)),
                 financials_history=[_fin(25e9, FY24)],
                 forward=[{"layer": "hbm", "kind": "guided", "share": 0.4, "as_of": FY25,
                           "known_from": dt.date(2026, 1, 5), "horizon": dt.date(2027, 12, 31),
                           "source": "guidance"}]),
        _company("NVDA", exposures=[_exp("accelerators", 0.8)]),
    ]
    universe = Universe(chain=load_chain(), companies=companies, links=[
        _link(revenue_share=0.6, as_of=FY24), _link(revenue_share=0.5,
                                                    known_from=dt.date(2026, 3, 1))])
    path = save_universe(universe, tmp_path / "u.toml")
    assert load_universe(path) == universe
    assert "known_from = 2026-02-01" in path.read_text()


# -- known_at ---------------------------------------------------------------------------
def _two(**mu: Any) -> Universe:
    return Universe(chain=load_chain(), companies=[
        _company("MU", **mu), _company("NVDA", exposures=[_exp("accelerators", 0.8)])])


def test_a_period_figure_counts_from_the_period_end_plus_the_lag() -> None:
    universe = _two(exposures=[_exp("hbm", 0.3)], financials=_fin(30e9))
    before = universe.known_at(FY25 + REPORTING_LAG - dt.timedelta(days=1))
    assert before.company("MU").exposures == ()
    assert before.company("MU").financials is None
    on = universe.known_at(FY25 + REPORTING_LAG)
    assert on.company("MU").share("hbm") == 0.3
    assert on.company("MU").revenue_usd == 30e9
    # another lag moves the date the same figure is known from
    assert universe.known_at(FY25 + dt.timedelta(days=30),
                             lag=dt.timedelta(days=30)).company("MU").share("hbm") == 0.3


def test_a_revision_counts_only_from_its_known_date() -> None:
    revised = dt.date(2026, 9, 1)
    universe = _two(exposures=[_exp("hbm", 0.35, known_from=revised)],
                    exposure_history=[_exp("hbm", 0.3)])
    assert universe.known_at(dt.date(2026, 8, 31)).company("MU").share("hbm") == 0.3
    assert universe.known_at(revised).company("MU").share("hbm") == 0.35


def test_a_later_period_replaces_the_earlier_one_only_once_known() -> None:
    universe = _two(exposures=[_exp("hbm", 0.3)], exposure_history=[_exp("hbm", 0.2, FY24)],
                    financials=_fin(30e9), financials_history=[_fin(25e9, FY24)])
    mid = universe.known_at(dt.date(2026, 1, 15))  # FY2025 not yet public
    assert mid.company("MU").share("hbm") == 0.2
    assert mid.company("MU").revenue_usd == 25e9
    late = universe.known_at(dt.date(2026, 6, 30))
    assert late.company("MU").share("hbm") == 0.3
    assert late.company("MU").revenue_usd == 30e9


def test_an_early_revision_of_an_old_period_never_beats_a_newer_period() -> None:
    universe = _two(exposures=[_exp("hbm", 0.3)], exposure_history=[
        _exp("hbm", 0.2, FY24), _exp("hbm", 0.22, FY24, known_from=dt.date(2026, 5, 1))])
    assert universe.known_at(dt.date(2026, 6, 30)).company("MU").share("hbm") == 0.3


def test_known_at_keeps_every_company_and_empties_the_histories() -> None:
    universe = _two(exposure_history=[_exp("hbm", 0.2, FY24)])
    early = universe.known_at(dt.date(2020, 1, 1))
    assert early.tickers == universe.tickers
    assert early.company("MU").exposures == ()
    assert early.as_of == dt.date(2020, 1, 1)
    later = universe.known_at("2026-06-30")
    assert later.company("MU").exposure_history == ()
    assert later.company("MU").financials_history == ()
    assert later.as_of == dt.date(2026, 6, 30)


def test_forward_figures_links_and_claims_after_the_date_are_left_out() -> None:
    forward = {"layer": "hbm", "kind": "contracted", "share": 0.2, "horizon": dt.date(2028, 1, 1),
               "as_of": dt.date(2026, 3, 1), "source": "contract"}
    claims = [
        {"id": "old", "claim": "HBM sold out", "layers": ["hbm"], "direction": "supports",
         "source": "call", "date": dt.date(2026, 1, 10)},
        {"id": "new", "claim": "HBM glut", "layers": ["hbm"], "direction": "undermines",
         "source": "call", "date": dt.date(2026, 8, 1), "supersedes": ["old"],
         "conflicts_with": ["old"]},
    ]
    universe = Universe(
        chain=load_chain(), evidence=claims,
        companies=[_company("MU", exposures=[_exp("hbm", 0.3)], forward=[forward]),
                   _company("NVDA", exposures=[_exp("accelerators", 0.8)])],
        links=[_link(revenue_share=0.2, as_of=FY24), _link(revenue_share=0.4)])
    at = universe.known_at(dt.date(2026, 2, 1))
    assert at.company("MU").forward == ()
    assert [lk.revenue_share for lk in at.links] == [0.2]  # FY2025's link not public yet
    assert [ev.id for ev in at.evidence] == ["old"]
    assert at.layer_evidence()["hbm"] > 0  # the claim superseding it is not known yet
    later = universe.known_at(dt.date(2026, 8, 1))
    assert len(later.company("MU").forward) == 1
    assert [lk.revenue_share for lk in later.links] == [0.4]
    assert [ev.id for ev in later.evidence] == ["old", "new"]
    assert later.layer_evidence()["hbm"] < 0


def test_figures_of_different_periods_never_add_up_past_one() -> None:
    # FY2024: hbm 0.3 + dram 0.6; FY2025: hbm 0.7 (public early) + dram 0.3 (public late).
    late = dt.date(2026, 9, 1)
    universe = Universe(chain=load_chain(), companies=[_company(
        "MU",
        exposures=[_exp("hbm", 0.7, known_from=dt.date(2026, 2, 1)),
                   _exp("foundry", 0.3, known_from=late)],
        exposure_history=[_exp("hbm", 0.3, FY24), _exp("foundry", 0.6, FY24)])])
    mid = universe.known_at(dt.date(2026, 3, 1)).company("MU")
    # 0.7 (FY2025) beside 0.6 (FY2024) would be 130% of revenue: the stale figure goes
    assert [(e.layer, e.share) for e in mid.exposures] == [("hbm", 0.7)]
    assert universe.known_at(late).company("MU").total_share == pytest.approx(1.0)
    assert universe.known_at(dt.date(2025, 6, 1)).company("MU").total_share == \
        pytest.approx(0.9)


def test_a_bad_date_or_lag_is_a_typed_error_naming_the_field() -> None:
    universe = _two()
    with pytest.raises(DataError) as info:
        universe.known_at("30/06/2026")
    assert info.value.field == "date"
    with pytest.raises(DataError) as info:
        universe.known_at(20260630)  # type: ignore[arg-type]
    assert info.value.field == "date"
    with pytest.raises(DataError) as info:
        universe.known_at(FY25, lag=90)  # type: ignore[arg-type]
    assert info.value.field == "lag"


# -- properties -------------------------------------------------------------------------
PERIODS = [dt.date(2023, 12, 31), dt.date(2024, 12, 31), dt.date(2025, 6, 30), FY25]
LAYERS = ["hbm", "foundry", "packaging"]


@st.composite
def _histories(draw: st.DrawFn) -> Universe:
    figures: list[dict[str, Any]] = []
    money: list[dict[str, Any]] = []
    for as_of in draw(st.lists(st.sampled_from(PERIODS), min_size=1, max_size=4, unique=True)):
        layers = draw(st.lists(st.sampled_from(LAYERS), min_size=1, max_size=3, unique=True))
        weights = [draw(st.floats(0.0, 1.0)) for _ in layers]
        scale = draw(st.floats(0.0, 1.0)) / max(1.0, sum(weights))
        for layer, weight in zip(layers, weights, strict=True):
            share = weight * scale
            delay = draw(st.none() | st.integers(0, 200))
            first = None if delay is None else as_of + dt.timedelta(days=delay)
            figures.append(_exp(layer, share, as_of, known_from=first))
            known = first or as_of + REPORTING_LAG
            for step in draw(st.lists(st.integers(1, 400), max_size=2, unique=True)):
                share *= draw(st.floats(0.0, 1.0))  # a revision down never breaks the sum
                figures.append(_exp(layer, share, as_of,
                                    known_from=known + dt.timedelta(days=step)))
        if draw(st.booleans()):
            money.append(_fin(draw(st.floats(0.0, 1e11)), as_of,
                              known_from=draw(st.none() | st.just(as_of + dt.timedelta(30)))))
    links = [_link(revenue_share=draw(st.none() | st.floats(0.0, 0.9)), as_of=as_of,
                   known_from=draw(st.none() | st.just(as_of + dt.timedelta(days=10))))
             for as_of in draw(st.lists(st.sampled_from(PERIODS), max_size=3, unique=True))]
    dates = draw(st.lists(st.dates(dt.date(2024, 1, 1), dt.date(2027, 6, 30)), max_size=3))
    claims = [{"id": f"c{i}", "claim": "x", "layers": ["hbm"], "source": "s", "date": day,
               "direction": draw(st.sampled_from(["supports", "undermines"])),
               "supersedes": [f"c{j}" for j in range(i) if draw(st.booleans())]}
              for i, day in enumerate(dates)]
    mu = _company("MU", exposure_history=figures, financials_history=money)
    return Universe(chain=load_chain(), links=links, evidence=claims, companies=[
        mu, _company("NVDA", exposures=[_exp("accelerators", 0.8)])])


_DAYS = st.dates(min_value=dt.date(2023, 6, 1), max_value=dt.date(2028, 1, 1))


@settings(max_examples=150, deadline=None)
@given(universe=_histories(), first=_DAYS, second=_DAYS)
def test_known_at_never_looks_ahead_and_never_goes_back(
    universe: Universe, first: dt.date, second: dt.date
) -> None:
    early, late = sorted((first, second))
    seen = {}
    for when in (early, late):
        at = universe.known_at(when)
        Universe.model_validate(at.model_dump())  # a valid universe, shares included
        mu = at.company("MU")
        assert all(e.known_on() <= when for e in mu.exposures)
        assert mu.financials is None or mu.financials.known_on() <= when
        assert all(lk.known_on() <= when for lk in at.links)
        assert all(ev.date <= when for ev in at.evidence)
        assert mu.total_share <= 1.0 + SHARE_TOLERANCE
        seen[when] = mu
    before, after = seen[early], seen[late]
    for exposure in before.exposures:
        # a later date never gives an older period for a layer (unless the older figure
        # was left out as stale beside a newer period, which is newer still)
        later = after.exposure(exposure.layer)
        if later is not None:
            assert (later.as_of, later.known_on()) >= (exposure.as_of, exposure.known_on())
    if before.financials is not None:
        assert after.financials is not None
        assert after.financials.as_of >= before.financials.as_of


def test_unknown_history_layers_are_reported_with_other_field_problems() -> None:
    data = {"chain": load_chain(), "companies": [_company(
        exposures=[_exp("hbm", 1.4)], exposure_history=[_exp("hmb", 0.2, FY24)])]}
    with pytest.raises(DataError) as info:
        Universe.parse(data, file="u.toml")
    found = {(p.item, p.field) for p in info.value.problems}
    assert ("company 'MU'", "exposures[0].share") in found
    assert ("company 'MU'", "exposure_history[0].layer") in found
