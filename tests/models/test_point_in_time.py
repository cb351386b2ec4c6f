"""Dated knowledge: when each figure became known, and the history of revised figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

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
from thesis_lib.models import REPORTING_LAG

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
