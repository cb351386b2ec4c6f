"""The built-in universe, chain, links and evidence: complete, sourced, one basis, faithful."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from thesis_lib import Universe, load_universe

TODAY = dt.date(2026, 11, 29)
NAMED_IN_ARTICLES = {
    "000660.KS": "SK hynix", "MU": "Micron", "TSM": "Taiwan Semiconductor", "AVGO": "Broadcom",
    "MRVL": "Marvell", "NVDA": "Nvidia", "AMZN": "Amazon", "GOOGL": "Alphabet",
    "MSFT": "Microsoft", "META": "Meta", "ORCL": "Oracle", "AMD": "Advanced Micro Devices",
    "AAPL": "Apple", "9984.T": "SoftBank", "SPCX": "SpaceX",
}
PEERS = {"005930.KS", "AMKR", "ASX", "3661.TW", "3443.TW", "PWR", "ETN", "GEV", "VRT", "SU.PA",
         "ENR.DE", "CEG", "VST", "ANET", "ASML.AS", "042700.KS", "BESI.AS"}
PRIVATE = {"ANTHROPIC", "OPENAI", "XAI", "MISTRAL", "COHERE"}
# A year or a date in the source: "SK hynix FY2025 earnings release, 2026-01-28".
DATED = re.compile(r"(19|20)\d\d")
VAGUE = ("estimate", "segment reporting", "company filings", "various")

# Every claim the evidence encodes, by the seed it comes from.
CLAIMS_BY_SEED = {
    "000": [
        "anthropic-spacex-third-compute-lane", "lab-cloud-alliance-map-2025",
        "xai-solo-on-colossus", "hyperscaler-capex-1-1t-2027", "hyperscaler-capex-divisible",
        "aws-capacity-shared-anthropic-bedrock", "gcp-capacity-shared-gemini-vertex-tpu",
        "tsmc-2nm-fully-allocated", "tsmc-2nm-queue-holders", "spacex-119b-fab-proposal",
        "constraint-moved-to-power-and-fab-slots", "gpu-allocation-no-longer-binding",
        "hyperscaler-nuclear-ppas", "us-permitting-tail-5-7-years",
        "orbital-siting-permitting-arbitrage", "claude-agent-evals-revenue-signal",
        "agent-revenue-compounds-token-spend", "aws-gcp-no-multi-gw-commitment",
        "steelman-aws-gcp-lanes-real", "anthropic-amazon-8b-investment",
        "hyperscalers-declined-forward-commit", "openai-microsoft-tie-may-become-ceiling",
        "openai-reading-same-constraint", "meta-owns-compute-fleet",
        "labs-without-third-lane-marked-down", "nvidia-is-priced", "value-migrates-to-hbm",
        "value-migrates-to-packaging", "value-migrates-to-grid-interconnect",
        "value-migrates-to-custom-asic", "value-migrates-to-siting",
    ],
    "001": [
        "anthropic-spacex-deal-claude-compute", "spacex-starlink-orbital-compute-pathway",
        "earth-energy-ceiling-nuclear-talks", "power-adjacent-siting-is-a-moat",
        "orbital-compute-if-viable", "orbital-hedge-early-mover-anthropic",
    ],
    "002": [
        "spacex-colossus-cluster-deal", "anthropic-primary-backers-google-amazon",
        "chips-power-datacentres-all-scarce", "spacex-expanding-datacentre-footprint",
    ],
    "003": [
        "anthropic-adds-spacex-strategic-cloud-provider", "anthropic-seven-compute-suppliers",
        "anthropic-backers-amazon-4b-google-2b", "anthropic-multi-provider-hedge",
        "anthropic-broadcom-nvidia-chip-collaboration", "spacex-deal-includes-space-development",
        "anthropic-compute-coalition-advantage", "deal-reinforces-amazon-google-theses",
        "deal-pressures-microsoft-openai",
    ],
    "004": [
        "anthropic-spacex-compute-partnership-rundown", "spacex-engineering-gpu-clusters-extended",
        "google-amazon-multibillion-backers", "two-hyperscaler-concentration-risk",
        "gpu-reservation-holders-gain-leverage",
    ],
}


@pytest.fixture(scope="module")
def universe() -> Universe:
    return load_universe()


def test_at_least_forty_listed_companies(universe: Universe) -> None:
    assert sum(c.listed for c in universe.companies) >= 40


def test_every_layer_has_two_companies_with_revenue_in_it(universe: Universe) -> None:
    for layer in universe.chain.ids:
        exposed = [c for c in universe.companies_in(layer)]
        listed = [c.ticker for c in exposed if c.listed]
        if layer == "frontier_labs":  # labs are private; a listed company's stake is a link
            assert len(exposed) >= 4, (layer, [c.ticker for c in exposed])
        else:
            assert len(listed) >= 2, (layer, listed)


def _check_source(where: str, source: str, url: str | None) -> None:
    assert DATED.search(source), f"{where}: the source names no year or date: {source!r}"
    assert not source.lower().startswith(VAGUE), f"{where}: not a specific document: {source!r}"
    assert url or "seeds/" in source, f"{where}: no URL for a public document"


def test_every_exposure_has_one_basis_a_period_and_a_specific_source(universe: Universe) -> None:
    count = 0
    for company in universe.companies:
        for exposure in company.exposures:
            where = f"{company.ticker} {exposure.layer}"
            assert exposure.basis in ("reported", "derived", "estimate"), where
            assert exposure.period, where
            assert exposure.ai_share is not None, f"{where}: ai_share not stated"
            assert exposure.estimated_on is not None, where
            assert exposure.as_of <= exposure.estimated_on <= TODAY, where
            assert dt.date(2024, 1, 1) <= exposure.as_of <= TODAY, where
            _check_source(where, exposure.source, exposure.url)
            if exposure.basis != "reported":
                assert exposure.note, f"{where}: a derived or estimated figure says how in note"
            count += 1
    assert count >= 59


def test_history_figures_are_held_to_the_same_sources(universe: Universe) -> None:
    """Earlier periods and revised figures (exposure_history, financials_history) state
    their basis and period and name a specific, dated document, like the current ones."""
    for company in universe.companies:
        for exposure in company.exposure_history:
            where = f"{company.ticker} {exposure.layer} (history, to {exposure.as_of})"
            assert exposure.basis in ("reported", "derived", "estimate"), where
            assert exposure.period and exposure.ai_share is not None, where
            assert exposure.as_of <= TODAY, where
            _check_source(where, exposure.source, exposure.url)
            if exposure.basis != "reported":
                assert exposure.note, f"{where}: a derived or estimated figure says how in note"
        for fin in company.financials_history:
            where = f"{company.ticker} financials (history, to {fin.as_of})"
            assert fin.as_of <= TODAY, where
            _check_source(where, fin.source, fin.url)
            if fin.basis != "reported":
                assert fin.note, f"{where}: say the rate or the arithmetic in note"


def test_every_listed_company_has_sourced_financials(universe: Universe) -> None:
    for company in universe.companies:
        fin = company.financials
        if not company.listed:
            continue
        assert fin is not None, company.ticker
        assert fin.period and dt.date(2024, 1, 1) <= fin.as_of <= TODAY, company.ticker
        _check_source(f"{company.ticker} financials", fin.source, fin.url)
        if fin.basis != "reported":
            assert fin.note, f"{company.ticker}: say the rate or the arithmetic in note"
    # Dollar materiality is computable offline for every listed company.
    frame = universe.to_frame()
    listed = frame[frame["listed"]]
    assert listed["revenue_usd"].notna().all()
    assert frame.loc["000660.KS", "ai_revenue_usd"] > 20 * frame.loc["042700.KS",
                                                                    "ai_revenue_usd"]


def test_forward_figures_are_dated_and_sourced(universe: Universe) -> None:
    found = 0
    for company in universe.companies:
        for fwd in company.forward:
            where = f"{company.ticker} forward {fwd.layer}"
            assert fwd.as_of <= TODAY, where
            _check_source(where, fwd.source, fwd.url)
            found += 1
    assert found >= 20


def test_figures_corrected_on_their_own_terms(universe: Universe) -> None:
    hynix = universe.company("000660.KS").exposure("hbm")
    assert hynix is not None and 0.32 <= hynix.share <= 0.35
    assert 0.25 <= universe.company("4062.T").ai_share("packaging") <= 0.35
    assert 0.05 <= universe.company("AMKR").share("packaging") <= 0.12
    assert 0.10 <= universe.company("ABBN.SW").share("grid") <= 0.15
    oklo = universe.company("OKLO")
    assert oklo.share("power") == 0.0
    assert [f.kind for f in oklo.forward if f.layer == "power"] == ["pre-revenue"]


def test_today_share_and_data_centre_part_are_separate(universe: Universe) -> None:
    # Generators count all power sales in share; today's data-centre part is small and the
    # data-centre PPAs starting later are forward figures.
    for ticker in ("CEG", "VST", "TLN"):
        company = universe.company(ticker)
        assert company.share("power") >= 0.8
        assert company.ai_share("power") <= 0.1, ticker
        assert any(f.kind == "contracted" and f.layer == "power" for f in company.forward)
    tsmc = universe.company("TSM")
    assert tsmc.ai_share("foundry") < tsmc.share("foundry") / 2  # phone wafers excluded


def test_companies_are_filed_where_their_revenue_comes_from(universe: Universe) -> None:
    primary = {c.ticker: c.primary_layer for c in universe.companies}
    assert primary["042700.KS"] == primary["BESI.AS"] == "equipment"
    assert primary["VRT"] == "dc_power"
    assert primary["GEV"] == "generation_equipment"
    # Stakes are links, never revenue shares.
    for ticker in ("AMZN", "GOOGL", "MSFT", "META", "9984.T", "RKLB"):
        assert universe.company(ticker).share("frontier_labs") == 0.0, ticker
    assert {(lk.supplier, lk.customer) for lk in universe.links if lk.kind == "stake"} >= {
        ("AMZN", "ANTHROPIC"), ("GOOGL", "ANTHROPIC"), ("MSFT", "OPENAI"), ("9984.T", "OPENAI")}


def test_companies_the_articles_name_and_their_peers(universe: Universe) -> None:
    for ticker, name in NAMED_IN_ARTICLES.items():
        assert name.lower() in universe.company(ticker).name.lower()
    assert set(universe.tickers) >= PEERS
    assert {c.ticker for c in universe.companies if not c.listed} == PRIVATE


def test_links_cover_the_chain_the_articles_describe(universe: Universe) -> None:
    assert len(universe.links) >= 30
    pairs = {(lk.supplier, lk.customer, lk.kind) for lk in universe.links}
    required = [
        ("000660.KS", "NVDA"), ("MU", "NVDA"), ("005930.KS", "NVDA"), ("TSM", "NVDA"),
        ("TSM", "AMD"), ("TSM", "AVGO"), ("TSM", "AAPL"), ("AVGO", "GOOGL"), ("AVGO", "META"),
        ("MRVL", "AMZN"), ("3661.TW", "AMZN"), ("042700.KS", "000660.KS"),
        ("AMZN", "ANTHROPIC"), ("GOOGL", "ANTHROPIC"), ("SPCX", "ANTHROPIC"),
    ]
    for supplier, customer in required:
        assert (supplier, customer, "supplies") in pairs, (supplier, customer)
    for link in universe.links:
        _check_source(f"link {link.supplier}->{link.customer}", link.source, link.url)


def test_evidence_encodes_every_seed_claim(universe: Universe) -> None:
    ids = {ev.id for ev in universe.evidence}
    for seed, claims in CLAIMS_BY_SEED.items():
        for claim_id in claims:
            assert claim_id in ids, (seed, claim_id)
            assert f"seeds/{seed}_" in universe.claim(claim_id).source, (seed, claim_id)
    for ev in universe.evidence:
        assert dt.date(2026, 5, 1) <= ev.date <= dt.date(2026, 5, 7), ev.id
    claims = " ".join(ev.claim.lower() for ev in universe.evidence)
    for fact in ("2nm", "2028", "nuclear", "permitting", "priced", "colossus"):
        assert fact in claims, fact


def test_the_two_seed_conflicts_are_recorded_with_both_sides(universe: Universe) -> None:
    pairs = {frozenset((a.id, b.id)) for a, b in universe.conflicts()}
    assert frozenset(("anthropic-amazon-8b-investment",
                      "anthropic-backers-amazon-4b-google-2b")) in pairs
    assert frozenset(("xai-solo-on-colossus", "spacex-colossus-cluster-deal")) in pairs
    for a, b in universe.conflicts():
        assert b.id in a.conflicts_with and a.id in b.conflicts_with
    assert "$8" in universe.claim("anthropic-amazon-8b-investment").claim
    assert "$4" in universe.claim("anthropic-backers-amazon-4b-google-2b").claim


def test_net_evidence_says_what_the_thesis_says(universe: Universe) -> None:
    net = universe.layer_evidence()
    for favoured in ("hbm", "packaging", "foundry", "custom_asic", "grid", "siting"):
        assert net[favoured] > net["accelerators"], favoured
        assert net[favoured] > net["cloud"], favoured
    direct = universe.company_evidence()
    assert direct["NVDA"] < 0 < direct["000660.KS"]
    assert direct["MISTRAL"] < 0 and direct["COHERE"] < 0
