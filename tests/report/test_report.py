"""The HTML report: what it contains, that it escapes the data, and that it never clobbers."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import thesis_lib as tl
from thesis_lib.basket import BasketRules, build_basket
from thesis_lib.market import FrameProvider, MarketDataWarning
from thesis_lib.report import DISCLAIMER, ReportError, report_html, write_report


class Page(HTMLParser):
    """Every start tag with its attributes, the ids, and the text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def ids(self) -> set[str]:
        return {str(a["id"]) for _, a in self.tags if a.get("id")}

    def rows(self, cls: str) -> list[str]:
        return [str(a["data-ticker"]) for t, a in self.tags
                if t == "details" and a.get("class") == cls]


@pytest.fixture(scope="module")
def universe() -> tl.Universe:
    return tl.load_universe()


@pytest.fixture(scope="module")
def result(universe):
    return tl.screen(universe, "one-layer-down")


def test_every_section_and_one_row_per_ranked_company(result):
    page = Page(report_html(result))
    ranked = [str(t) for t in result.scores.index if result.scores.at[t, "passed"]]
    excluded = [str(t) for t in result.scores.index if not result.scores.at[t, "passed"]]
    assert page.rows("company") == ranked  # in rank order
    assert page.rows("excluded") == excluded
    assert {"thesis", "ranking", "chain", "evidence", "market", "disclaimer",
            "chain-graph", "evidence-timeline"} <= page.ids()
    assert "basket" not in page.ids()
    assert f"company-{ranked[0]}" in page.ids() and "company-000660.KS" in page.ids()
    text = "".join(page.text)
    for rule in result.pack.rules:
        assert rule.why.split("[")[0].strip() in text
    assert DISCLAIMER in text
    assert "offline, on the universe's own figures" in text


def test_explanations_sit_inside_their_company_details(result):
    page = report_html(result)
    start = page.index('id="company-MU"')
    block = page[start:page.index("</details>", start)]
    assert "MU (Micron Technology): rank" in block and "contributions, largest first:" in block


def test_supply_chain_graph_has_every_layer_and_the_company_links(result, universe):
    page = Page(report_html(result))
    layers = [a["data-layer"] for t, a in page.tags if t == "g" and a.get("class") == "layer"]
    assert sorted(layers) == sorted(universe.chain.ids)
    edges = sum(1 for t, a in page.tags if t == "line" and a.get("class") == "edge")
    assert edges == sum(len(layer.supplies) for layer in universe.chain.layers)
    assert any(a.get("class") == "company-link" for t, a in page.tags if t == "path")
    dots = sum(1 for t, _ in page.tags if t == "circle")
    assert dots == len(universe.evidence)


def test_self_contained_nothing_to_fetch(result):
    page = Page(report_html(result))
    for tag, attrs in page.tags:
        assert "src" not in attrs, tag
        assert tag not in {"link", "img", "iframe", "object", "embed", "base"}
        href = attrs.get("href")
        assert href is None or href.startswith("#"), href
    assert sum(1 for t, _ in page.tags if t == "script") == 1
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", report_html(result))


def test_markup_and_control_characters_in_the_data_are_escaped(universe):
    evil = "<script>alert(1)</script>\x1b[31mEvil & Co"
    mu = universe.company("MU").model_copy(update={"name": evil})
    hostile = universe.model_copy(update={"companies": tuple(
        mu if c.ticker == "MU" else c for c in universe.companies)})
    pack = tl.load_pack()
    rules = tuple(r.model_copy(update={"why": '<img src=x onerror="alert(2)"> why'})
                  if r.id == "evidence" else r for r in pack.rules)
    result = tl.screen(hostile, pack.model_copy(update={"rules": rules}))
    text = report_html(result)
    page = Page(text)
    assert sum(1 for t, _ in page.tags if t == "script") == 1
    assert not any(t == "img" for t, _ in page.tags)
    assert "\x1b" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[31mEvil &amp; Co" in text
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt; why" in text


def test_market_status_and_basket_when_given(universe, prices_csv: Path):
    provider = FrameProvider.from_file(prices_csv)
    with pytest.warns(MarketDataWarning):
        priced = tl.screen(universe, market=provider)
    page = Page(report_html(priced, title="Morning <note>"))
    text = "".join(page.text)
    assert "market data from prices.csv as of 2026-05-15: 3 ok" in text
    assert "Morning <note>" in text  # shown as text, not a tag
    assert not any(t == "note" for t, _ in page.tags)
    assert "basket" not in page.ids()

    offline = tl.screen(universe)
    basket = build_basket(offline, offline.pack.basket_rules or BasketRules())
    page = Page(report_html(offline, basket=basket))
    assert "basket" in page.ids()
    section = report_html(offline, basket=basket).split('id="basket"')[1]
    for ticker in basket.tickers:
        assert f">{ticker}<" in section


def test_write_report_never_replaces_a_file_unless_forced(result, tmp_path: Path):
    target = tmp_path / "report.html"
    target.write_text("mine", encoding="utf-8")
    with pytest.raises(ReportError, match="file exists") as info:
        write_report(result, target)
    assert "force" in str(info.value)
    assert target.read_text(encoding="utf-8") == "mine"
    assert write_report(result, target, force=True) == target
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(ReportError, match="no such folder"):
        write_report(result, tmp_path / "missing" / "r.html")
    with pytest.raises(ReportError, match="is a folder"):
        write_report(result, tmp_path)
    assert isinstance(ReportError("x"), tl.ThesisError)


def test_cli_report_writes_one_file_and_refuses_to_replace_it(cli, tmp_path: Path,
                                                             prices_csv: Path):
    target = tmp_path / "report.html"
    ran = cli("report", "-o", str(target))
    assert ran.status == 0 and ran.out == ""
    assert f"wrote the report of 55 companies to {target}" in ran.err
    first = target.read_text(encoding="utf-8")
    assert 'id="ranking-table"' in first
    ran = cli("report", "-o", str(target), "--basket")
    assert ran.status == 1 and "file exists; not replacing it" in ran.err
    assert target.read_text(encoding="utf-8") == first
    ran = cli("report", "-o", str(target), "--basket", "--force", "--quiet")
    assert ran.status == 0 and ran.err == ""
    assert "basket" in Page(target.read_text(encoding="utf-8")).ids()
    ran = cli("report", "-o", str(target), "--force", "--quiet", "--prices", str(prices_csv))
    assert ran.status == 0 and ran.err == ""
    page = Page(target.read_text(encoding="utf-8"))
    assert "basket" not in page.ids()
    assert "3 ok" in "".join(page.text)


def test_cli_report_needs_an_output_file(cli):
    ran = cli("report")
    assert ran.status == 2 and "-o/--output" in ran.err


def test_the_data_disclaimer_goes_with_the_builtin_data_only() -> None:
    import html

    builtin = tl.load_universe()
    own = builtin.model_copy(update={"id": "my-universe", "name": "My universe"})
    assert own.disclaimer is None
    mine = report_html(tl.screen(own, tl.load_pack()))
    theirs = report_html(tl.screen(builtin, tl.load_pack()))
    assert html.escape(DISCLAIMER) in theirs
    assert html.escape(DISCLAIMER) not in mine
    assert "not investment advice" in mine
