"""The built-in universe, chain and evidence: complete, sourced and faithful to the thesis."""

from __future__ import annotations

import datetime as dt

import pytest

from thesis_lib import Universe, load_universe

NAMED_IN_ARTICLES = {
    "000660.KS": "SK hynix", "MU": "Micron", "TSM": "Taiwan Semiconductor", "AVGO": "Broadcom",
    "MRVL": "Marvell", "NVDA": "Nvidia", "AMZN": "Amazon", "GOOGL": "Alphabet",
    "MSFT": "Microsoft", "META": "Meta", "ORCL": "Oracle", "AMD": "Advanced Micro Devices",
    "AAPL": "Apple", "9984.T": "SoftBank",
}
PEERS = {"005930.KS", "AMKR", "ASX", "3661.TW", "3443.TW", "PWR", "ETN", "GEV", "VRT", "SU.PA",
         "ENR.DE", "CEG", "VST"}
PRIVATE = {"SPACEX", "ANTHROPIC", "OPENAI", "XAI", "MISTRAL", "COHERE"}


@pytest.fixture(scope="module")
def universe() -> Universe:
    return load_universe()


def test_at_least_forty_listed_companies(universe: Universe) -> None:
    assert sum(c.listed for c in universe.companies) >= 40


def test_every_layer_has_two_listed_companies(universe: Universe) -> None:
    for layer in universe.chain.ids:
        listed = [c.ticker for c in universe.companies_in(layer) if c.listed]
        assert len(listed) >= 2, (layer, listed)


def test_every_exposure_has_source_and_date(universe: Universe) -> None:
    for company in universe.companies:
        for exposure in company.exposures:
            assert exposure.source.strip(), company.ticker
            assert dt.date(2024, 1, 1) <= exposure.as_of <= dt.date(2026, 11, 23), company.ticker


def test_companies_the_articles_name_and_their_peers(universe: Universe) -> None:
    for ticker, name in NAMED_IN_ARTICLES.items():
        assert name.lower() in universe.company(ticker).name.lower()
    assert set(universe.tickers) >= PEERS
    assert {c.ticker for c in universe.companies if not c.listed} == PRIVATE


def test_evidence_is_dated_and_sourced_from_the_articles(universe: Universe) -> None:
    assert len(universe.evidence) >= 10
    for ev in universe.evidence:
        assert "seeds/" in ev.source, ev.id
        assert ev.date == dt.date(2026, 5, 7), ev.id
    claims = " ".join(ev.claim.lower() for ev in universe.evidence)
    for fact in ("2nm", "2028", "nuclear", "permitting", "priced"):
        assert fact in claims, fact
    net = universe.layer_evidence()
    assert net["accelerators"] < 0 < net["hbm"]
    assert net["frontier_labs"] < 0 < net["grid"]
