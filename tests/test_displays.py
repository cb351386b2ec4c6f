"""Notebook displays: compact tables (top 20 and "n more"), text left and numbers right,
numbers formatted by what they mean, and a display for every object an analyst looks at."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from html_tables import read_page

import thesis_lib as tl
from thesis_lib._html import MAX_ROWS, TABLE_CSS, format_value, screen_html, table_html
from thesis_lib.evaluate import basket_performance, period_returns, rank_ic, rank_stability

NEGATIVE_ZERO = re.compile(r"-0(\.0+)?(%|\b)(?![.\d])")


@pytest.fixture(scope="module")
def universe() -> tl.Universe:
    return tl.load_universe()


@pytest.fixture(scope="module")
def result(universe: tl.Universe) -> tl.ScreenResult:
    return tl.screen(universe, tl.load_pack("one-layer-down"))


@pytest.mark.parametrize(("value", "spec", "text"), [
    (-0.0001, ".2f", "0.00"),
    (-1e-9, "+.2f", "0.00"),
    (0.0, "+.1%", "0.0%"),
    (-0.00004, ".1%", "0.0%"),
    (0.00004, ".1%", "<0.1%"),
    (0.004, ".0%", "<1%"),
    (0.1234, ".1%", "12.3%"),
    (0.1234, "+.1%", "+12.3%"),
    (-0.1234, ".1%", "-12.3%"),
    (4.55, ".0f", "5"),
    (np.int64(7), None, "7"),
    (float("nan"), ".2f", ""),
    (pd.NA, None, ""),
    (True, None, "yes"),
    ("TSMC", None, "TSMC"),
])
def test_format_value_by_meaning(value: object, spec: str | None, text: str) -> None:
    assert format_value(value, spec) == text


def test_table_shows_the_first_rows_and_how_many_more() -> None:
    frame = pd.DataFrame({"name": [f"company {i}" for i in range(52)],
                          "weight": np.linspace(0.0, 0.1, 52),
                          "ret": np.r_[-0.2, np.linspace(0.2, -0.2, 51)]})
    page = table_html(frame, percent=["weight", "ret"], signed=["ret"], bars=["ret"])
    read = read_page(page)
    (table,) = read.tables
    assert len(table.rows) == MAX_ROWS
    assert "32 more rows (52 in all)" in read.paragraphs
    names, weights, rets = (table.column(c) for c in ("name", "weight", "ret"))
    assert not any(c.numeric for c in names)  # text: left-aligned (the default)
    assert all(c.numeric for c in weights + rets)  # numbers: right-aligned
    assert all(c.text.endswith("%") and not c.text.startswith("+") for c in weights)
    assert rets[0].text == "-20.0%" and rets[1].text == "+20.0%"
    # bars start at the number's (right) edge, red for a loss, green for a gain
    assert rets[0].attrs["style"] == rets[1].attrs["style"].replace("#b7e1c1", "#f3b8b8")
    assert rets[0].attrs["style"].startswith("background:linear-gradient(270deg,#f3b8b8 100%")
    # the look is one small style sheet: text left and not wrapped, numbers right
    assert read.styles == [TABLE_CSS]
    assert "white-space:nowrap;text-align:left" in TABLE_CSS
    assert "td.n{text-align:right" in TABLE_CSS
    assert 'style="padding' not in page  # no per-cell inline layout


def test_screen_result_table_is_compact(result: tl.ScreenResult) -> None:
    page = result._repr_html_()
    assert len(page) < 12_000  # was 112 KB of inline styles for all 55 rows
    read = read_page(page)
    (table,) = read.tables
    assert len(table.rows) == MAX_ROWS
    assert f"{len(result.frame) - MAX_ROWS} more rows ({len(result.frame)} in all)" in \
        read.paragraphs
    assert table.header[:5] == ["ticker", "rank", "name", "layer", "score"]
    assert "excluded by" not in table.header  # no excluded company among the top 20
    assert "materiality" in table.header and "listed" not in table.header  # gates left out
    # a rule that adds nothing to any shown row is named under the table, not a column
    assert "valuation" not in table.header
    assert "0 in every row shown: equipment, consensus_layer, above_priced_layer, " \
        "valuation" in read.paragraphs
    assert [row[0].text for row in table.rows[:3]] == ["3661.TW", "000660.KS", "TSM"]
    names = table.column("name")
    assert not any(c.numeric for c in names)
    tsmc = names[2]
    assert tsmc.text == "Taiwan Semiconductor…"  # one line, the full name on hover
    assert tsmc.attrs["title"] == "Taiwan Semiconductor Manufacturing (ADR)"
    assert table.column("score")[0].text == "+10.28"
    assert not NEGATIVE_ZERO.search(page)
    wide = read_page(screen_html(result, max_rows=60)).tables[0]
    penalties = [c.text for c in wide.column("consensus_layer")]
    # a penalty shows with its minus sign, a zero penalty (stored as -0.0) as a blank
    assert "-2.14" in penalties and "" in penalties
    assert all(p == "" or (p.startswith("-") and p != "-0.00") for p in penalties)


def test_screen_table_names_the_gate_of_excluded_rows(result: tl.ScreenResult) -> None:
    (table,) = read_page(screen_html(result, max_rows=60)).tables
    excluded = {row[0].text: row for row in table.rows if row[1].text == ""}
    assert set(excluded) == {"ANTHROPIC", "OPENAI", "XAI", "MISTRAL", "COHERE"}
    gate = table.header.index("excluded by")
    assert {row[gate].text for row in excluded.values()} == {"listed"}


def test_excluded_company_explanation_names_the_gate(result: tl.ScreenResult) -> None:
    read = read_page(result.explain("ANTHROPIC")._repr_html_())
    assert read.paragraphs[0].startswith("ANTHROPIC (Anthropic): excluded, not ranked")
    assert read.paragraphs[1].startswith("excluded by gate 'listed': gate failed")
    assert "Only listed companies can be bought" in read.paragraphs[1]
    ranked = read_page(result.explain("000660.KS")._repr_html_())
    assert ranked.paragraphs[0] == "000660.KS (SK hynix): rank 2 of 50, score +9.376"
    (table,) = ranked.tables
    contributions = table.column("contribution")
    assert contributions[0].text == "+5.000"
    assert all(not NEGATIVE_ZERO.search(c.text) for c in contributions)
    assert table.column("why")[0].attrs["class"] == "w"  # a sentence may wrap


def test_universe_table_is_small_and_blank_where_zero(universe: tl.Universe) -> None:
    page = universe._repr_html_()
    assert len(page) < 12_000  # was 78 KB, mostly "0.00"
    read = read_page(page)
    (table,) = read.tables
    assert len(table.rows) == MAX_ROWS
    assert f"{len(universe.companies) - MAX_ROWS} more rows" in read.paragraphs[-1]
    layers = list(universe.chain.ids)
    cells = [c for layer in layers for c in table.column(layer)]
    assert not any(c.text in ("0%", "0.00", "0") for c in cells)  # zero is blank
    assert any(c.text == "<1%" for c in cells)  # a sliver is not zero
    hynix = dict(zip(table.header, table.rows[0], strict=True))
    assert table.rows[0][0].text == "000660.KS" and hynix["hbm"].text == "33%"


def test_rule_pack_displays_its_rules() -> None:
    pack = tl.load_pack("one-layer-down")
    read = read_page(pack._repr_html_())
    assert read.paragraphs[0].startswith(f"pack {pack.id} v{pack.version}: 8 rules (")
    (table,) = read.tables
    assert [c.text for c in table.column("rule")] == [r.id for r in pack.rules]
    assert [c.text for c in table.column("why")] == [r.why for r in pack.rules]
    assert [c.text for c in table.column("weight")] == [f"{r.weight:g}" for r in pack.rules]
    assert read.paragraphs[-1].startswith(f"{len(pack.expect)} expectations; "
                                          f"{len(pack.scenarios)} scenarios")
    assert "model_config" not in pack._repr_html_()


def test_links_display_as_a_table(universe: tl.Universe) -> None:
    links = universe.suppliers("NVDA")
    assert isinstance(links, tuple) and isinstance(links, tl.Links)
    read = read_page(links._repr_html_())
    (table,) = read.tables
    assert table.caption == f"{len(links)} link(s)"
    assert [c.text for c in table.column("supplier")] == [lk.supplier for lk in links]
    assert {c.text for c in table.column("customer")} == {"NVDA"}
    shares = [c.text for c in table.column("revenue_share") if c.text]
    assert shares and all(s.endswith("%") for s in shares)
    (one,) = read_page(links[0]._repr_html_()).tables
    assert len(one.rows) == 1 and one.rows[0][0].text == links[0].supplier


def test_scenario_run_and_report_display(universe: tl.Universe) -> None:
    run = tl.run_scenarios(universe, "one-layer-down")
    page = run._repr_html_()
    read = read_page(page)
    assert read.styles == [TABLE_CSS]  # the style sheet once, not once per table
    summary = read.tables[0]
    assert [row[0].text for row in summary.rows] == [r.scenario.id for r in run.reports]
    report = run.report("hbm-oversupply-2027")
    one = read_page(report._repr_html_())
    assert one.paragraphs[0].startswith("hbm-oversupply-2027: HBM oversupply in 2027")
    assert one.paragraphs[1] == "changes: adds scenario-hbm-oversupply; exposure x hbm 0.7"
    movers = next(t for t in one.tables if t.caption == "biggest movers")
    assert movers.column("ticker")[0].text == "000660.KS"
    assert movers.column("change")[0].text == "-2"
    assert not NEGATIVE_ZERO.search(page)


PRICES = Path(__file__).resolve().parents[1] / "examples" / "data" / "prices.csv"


def test_evaluation_numbers_by_meaning(result: tl.ScreenResult,
                                       universe: tl.Universe) -> None:
    """Returns carry a sign; volatility, drawdown, hit rate and weights do not; a single
    cross-section's date is not "None"; ranks are whole numbers."""
    prices = pd.read_csv(PRICES)
    since = dt.date(2026, 5, 7)
    performance = basket_performance(result, prices, since=since, top=5, benchmark="NVDA")
    summary, holdings = read_page(performance._repr_html_()).tables
    assert all(c.text.startswith(("+", "-")) for c in summary.column("cumulative_return"))
    for column in ("volatility", "hit_rate"):
        values = [c.text for c in summary.column(column) if c.text]
        assert values and all(v[0].isdigit() and v.endswith("%") for v in values), column
    assert {c.text for c in holdings.column("weight")} == {"20.00%"}
    assert all(c.text[0] in "+-" for c in holdings.column("return"))

    returns = period_returns(prices, since, tickers=list(result.scores.index))
    (_, by_date) = read_page(rank_ic(result, returns)._repr_html_()).tables
    assert [row[0].text for row in by_date.rows] == ["one period"]

    stability = rank_stability("one-layer-down", universe, noise=0.1, n=30, seed=7, top=10)
    companies = read_page(stability._repr_html_()).tables[0]
    for column in ("rank", "rank_low", "rank_high"):
        assert all(c.text.isdigit() for c in companies.column(column)), column
    assert all(re.fullmatch(r"\d+\.\d", c.text) for c in companies.column("mean_rank"))
    assert all(c.text.endswith("%") for c in companies.column("top_frequency"))


def test_basket_display_weights_as_percent(result: tl.ScreenResult) -> None:
    basket = tl.build_basket(result)
    (table,) = read_page(basket._repr_html_()).tables
    weights = [c.text for c in table.column("weight")]
    assert len(weights) == len(basket.members)
    assert all(re.fullmatch(r"\d+\.\d%", w) for w in weights)
