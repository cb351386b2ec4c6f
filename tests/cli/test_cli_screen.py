"""`thesis screen` and `thesis explain` through the real entry point."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import run_subprocess

import thesis_lib as tl
from thesis_lib import loading


@pytest.fixture(scope="module")
def builtin():
    return tl.screen(tl.load_universe(), tl.load_pack())


def test_default_screen_is_the_builtin_universe_and_pack_and_fits_100_columns(builtin):
    ran = run_subprocess("screen")
    assert ran.status == 0 and ran.err == ""
    lines = ran.out.splitlines()
    assert lines[0].split()[:6] == ["#", "ticker", "name", "layers", "score", "top"]
    assert all(len(line) <= 100 for line in lines)
    order = [str(t) for t in builtin.scores.index]
    rows = [line.split()[1] for line in lines[1:len(order) + 1]]
    assert rows == order
    assert "55 companies, 50 ranked, 5 excluded." in ran.out
    assert "excluded by listed" in ran.out and "illustrative estimates" in ran.out


def test_top_and_explain(cli, builtin):
    ran = cli("screen", "--top", "3", "--explain")
    assert ran.status == 0
    first = str(builtin.scores.index[0])
    table = ran.out.split("\n\n")[0].splitlines()
    assert len(table) == 4 and table[1].split()[1] == first
    assert ran.out.count("contributions, largest first:") == 3
    assert "showing 3" in ran.out


def test_csv_is_complete_and_adds_up(cli, builtin):
    ran = cli("screen", "--format", "csv")
    assert ran.status == 0
    rows = list(csv.DictReader(io.StringIO(ran.out)))
    assert len(rows) == 55
    rule_columns = [f"contribution_{r.id}" for r in builtin.pack.rules]
    assert set(rule_columns) <= set(rows[0])
    assert "exposure_hbm" in rows[0] and "primary_layer" in rows[0]
    for row in rows:
        total = sum(float(row[c]) for c in rule_columns)
        assert total == pytest.approx(float(row["score"]), abs=1e-8)
    private = next(r for r in rows if r["ticker"] == "OPENAI")
    assert private["rank"] == "" and private["passed"] == "False"
    assert private["excluded_by"] == "listed"
    assert not any(v.startswith("-0.0") and float(v) == 0 for r in rows for v in r.values()
                   if v and v[0] == "-" and v[1:].replace(".", "").isdigit())


def test_json_has_one_object_per_company_with_contributions(cli, builtin):
    ran = cli("screen", "--format", "json", "--top", "5", "--explain")
    doc = json.loads(ran.out)
    assert doc["pack"] == {"id": "one-layer-down", "version": builtin.pack.version}
    companies = doc["companies"]
    assert [c["ticker"] for c in companies] == [str(t) for t in builtin.scores.index[:5]]
    for company in companies:
        assert sum(company["contributions"].values()) == pytest.approx(company["score"])
        assert company["rank"] >= 1 and company["passed"] is True
        assert company["explanation"][0]["rule"] in company["contributions"]
    full = json.loads(cli("screen", "--format", "json").out)["companies"]
    openai = next(c for c in full if c["ticker"] == "OPENAI")
    assert openai["rank"] is None and openai["excluded_by"] == ["listed"]


def test_markdown_table(cli):
    out = cli("screen", "--format", "markdown", "--top", "4").out
    lines = out.splitlines()
    assert lines[0] == "| # | ticker | name | layers | score | top rules |"
    assert lines[1].startswith("|--:|")
    assert sum(line.startswith("| ") for line in lines) == 5


def test_output_writes_atomically_and_never_clobbers(cli, tmp_path: Path, monkeypatch):
    target = tmp_path / "ranked.csv"
    ran = cli("screen", "--format", "csv", "--output", str(target))
    assert ran.status == 0 and ran.out == "" and f"to {target}" in ran.err
    first = target.read_text(encoding="utf-8")
    assert first.startswith("rank,ticker,")

    ran = cli("screen", "--format", "json", "--output", str(target))
    assert ran.status == 1
    assert "file exists; not replacing it" in ran.err and "--force" in ran.err
    assert target.read_text(encoding="utf-8") == first

    def broken_replace(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(loading.os, "replace", broken_replace)
    ran = cli("screen", "--format", "json", "--output", str(target), "--force")
    assert ran.status == 1 and "No space left on device" in ran.err
    assert target.read_text(encoding="utf-8") == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ranked.csv"]  # no temp left
    monkeypatch.undo()

    ran = cli("screen", "--format", "json", "--output", str(target), "--force")
    assert ran.status == 0 and json.loads(target.read_text(encoding="utf-8"))["companies"]
    missing = cli("screen", "--output", str(tmp_path / "no" / "such" / "dir.txt"))
    assert missing.status == 1 and "no such directory" in missing.err


def test_unknown_pack_name_is_one_clear_line():
    ran = run_subprocess("screen", "--pack", "one-layer-dwn")
    assert ran.status == 1 and ran.out == ""
    assert ran.err.strip() == ("thesis screen: error: no built-in pack named 'one-layer-dwn' "
                               "and no such file (did you mean 'one-layer-down'?)")


def test_bad_universe_file_says_where_and_debug_shows_the_traceback(tmp_path: Path):
    bad = tmp_path / "u.toml"
    bad.write_text('id = "x"\n[[companies]\nticker = "A"\n', encoding="utf-8")
    ran = run_subprocess("screen", "--universe", str(bad))
    assert ran.status == 1 and "Traceback" not in ran.err
    assert f"{bad}: not valid TOML" in ran.err and "line 2" in ran.err
    debug = run_subprocess("--debug", "screen", "--universe", str(bad))
    assert debug.status == 1 and "Traceback (most recent call last)" in debug.err
    assert "DataError" in debug.err


def test_bad_usage_exits_2(cli):
    ran = cli("screen", "--top", "0")
    assert ran.status == 2 and "expected 1 or more" in ran.err
    assert cli("screen", "--format", "xml").status == 2
    assert cli("screen", "--since", "2026-05-07").status == 1  # --since needs --prices


def test_prices_from_a_csv_file(cli, prices_csv: Path):
    ran = cli("screen", "--prices", str(prices_csv), "--format", "json")
    assert ran.status == 0
    companies = {c["ticker"]: c for c in json.loads(ran.out)["companies"]}
    assert companies["MU"]["market"]["price"] == pytest.approx(100 * (1 + 0.002 * 95))
    assert companies["MU"]["market"]["return_1m"] > 0
    assert companies["AVGO"]["market"]["price"] is None
    assert "note: market data from prices.csv as of 2026-05-15: 3 ok," in ran.err
    assert "[#" not in ran.err  # no progress bar when stderr is not a terminal


def test_prices_yfinance_without_the_extra_says_what_to_install(cli, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "yfinance" else real(name, *a))
    ran = cli("screen", "--prices", "yfinance")
    assert ran.status == 1
    assert "needs the yfinance package, part of the 'market' extra" in ran.err
    assert 'pip install "thesis-lib[market]"' in ran.err


def test_missing_price_file(cli):
    ran = cli("screen", "--prices", "no-such-prices.csv")
    assert ran.status == 1 and "no-such-prices.csv: price file not found" in ran.err


def test_a_closed_pipe_is_not_an_error():
    with subprocess.Popen([sys.executable, "-m", "thesis_lib.cli", "screen"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # like `| head` exiting before we write
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception" not in err


# -- explain ------------------------------------------------------------------------------
def test_explain_gives_rank_score_and_reasons(cli, builtin):
    ran = cli("explain", "MU")
    assert ran.status == 0
    rank = int(builtin.scores.loc["MU", "rank"])
    assert ran.out.startswith(f"MU (Micron Technology): rank {rank} of 50, score +7.0")
    assert "materiality            score 5 x 0.821" in ran.out
    assert "intensity              score 12 x 0.077" in ran.out
    # the figures behind each rule, with their documents
    assert "via exposure hbm: share 0.140 x AI 1.00, FY2025" in ran.out
    assert "via financials FY2025 (year ended 2025-08-28): revenue $37.38bn" in ran.out
    assert "via claim value-migrates-to-hbm" in ran.out and "https://" in ran.out
    assert "gates passed: listed" in ran.out
    assert all(len(line) <= 100 for line in ran.out.splitlines() if "<http" not in line)
    assert cli("explain", "mu").out == ran.out  # tickers are case-insensitive


def test_explain_an_excluded_company_names_the_gate_and_why(cli):
    ran = cli("explain", "OPENAI")
    assert ran.status == 0
    assert "EXCLUDED, not ranked" in ran.out
    assert "excluded by gate 'listed': gate failed (expression: listed)" in ran.out
    assert "Only listed companies can be bought" in ran.out
    doc = json.loads(cli("explain", "OPENAI", "--format", "json").out)
    assert doc["passed"] is False and doc["rank"] is None
    assert doc["excluded_by"][0]["rule"] == "listed"


def test_explain_an_unknown_ticker_suggests_close_matches():
    ran = run_subprocess("explain", "NVDAA")
    assert ran.status == 1 and ran.out == ""
    assert ran.err.strip() == ("thesis explain: error: unknown ticker 'NVDAA' "
                               "(did you mean 'NVDA' (Nvidia)?)")


def test_explain_by_company_name_suggests_its_ticker(cli):
    ran = cli("explain", "micron")
    assert ran.status == 1 and "did you mean 'MU' (Micron Technology)" in ran.err


def test_screen_with_the_packs_basket(cli):
    ran = cli("screen", "--top", "3", "--basket")
    assert ran.status == 0, ran.err
    basket = ran.out[ran.out.index("Basket (one-layer-down): 15 names"):]
    assert "relevance x market-cap-weighted, name cap 8%, layer cap 35%, relevance >= 25%" \
        in basket
    # Offline there is no market cap: the pack's fallback (score weights) applies, and says so.
    assert "Fallback: weighting (relevance_market_cap needs market data, none attached: " \
           "score weights)" in basket
    assert "selection:min_exposure" in basket
    doc = json.loads(cli("screen", "--basket", "--format", "json").out)["basket"]
    assert len(doc["members"]) == 15
    assert sum(m["weight"] for m in doc["members"]) == pytest.approx(1.0)
    assert max(m["weight"] for m in doc["members"]) <= 0.08 + 1e-9
    refused = cli("screen", "--basket", "--format", "csv")
    assert refused.status == 1 and "not available as csv" in refused.err


def test_python_and_the_command_line_render_the_same_views(cli, builtin):
    table = cli("screen", "--top", "10").out
    assert builtin.to_text(10) in table  # the CLI adds only its footer
    for ticker in ("000660.KS", "042700.KS", "NVDA", "OPENAI"):
        assert cli("explain", ticker).out == str(builtin.explain(ticker)) + "\n"
    assert "-0.00" not in builtin.to_text(0) and "-0.000" not in str(builtin.explain("MU"))
