"""``thesis screen --prices ... --status``, ``--quiet``, ``--timeout``/``--deadline``, and
what a run without network prints."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest

from thesis_lib.cli import main


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_status_prints_the_per_ticker_table(prices_csv: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", "--prices", str(prices_csv), "--status", "--top", "3"]) == 0
    out = capsys.readouterr().out
    table = out.split("Market data status:\n", 1)[1]
    lines = table.splitlines()
    assert re.match(r"ticker\s+status\s+as of\s+reason", lines[0])
    assert any(re.match(r"MU\s+ok\s+2026-05-15", line) for line in lines)
    assert any(re.match(r"ANTHROPIC\s+private\s+not listed", line) for line in lines)
    assert any(re.match(r"000660\.KS\s+missing\s+\S", line) for line in lines)
    companies = re.search(r"^(\d+) companies", out, re.M)
    assert companies is not None
    assert len(lines) == 1 + int(companies.group(1))  # the header, then one line per company


def test_status_in_json_and_csv(prices_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", "--prices", str(prices_csv), "--status", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    rows = {row["ticker"]: row for row in document["market_status"]}
    assert rows["MU"]["status"] == "ok" and rows["MU"]["as_of"] == "2026-05-15"
    assert rows["ANTHROPIC"]["status"] == "private"

    assert main(["screen", "--prices", str(prices_csv), "--status", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("rank,ticker,")
    assert "status" not in captured.out.splitlines()[-1]  # stdout stays one CSV table
    assert "market data status:" in captured.err
    assert re.search(r"^MU\s+ok", captured.err, re.M)


def test_explain_with_status(prices_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "MU", "--prices", str(prices_csv), "--status"]) == 0
    assert re.search(r"^MU\s+ok\s+2026-05-15", capsys.readouterr().out, re.M)


@pytest.mark.parametrize("flag", [["--status"], ["--timeout", "5"], ["--deadline", "60"]])
def test_market_flags_need_prices(flag: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", *flag]) == 1
    err = capsys.readouterr().err
    assert f"{flag[0]} needs --prices" in err


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_bad_seconds_are_usage_errors(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", "--prices", "yfinance", "--deadline", value]) == 2
    assert "seconds" in capsys.readouterr().err


def test_progress_shows_on_a_terminal_and_quiet_silences_it(
        prices_csv: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("CI", raising=False)
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["screen", "--prices", str(prices_csv), "--top", "1"]) == 0
    assert "market data [" in terminal.getvalue()
    assert "note: market data from" in terminal.getvalue()

    quiet = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", quiet)
    assert main(["screen", "--prices", str(prices_csv), "--top", "1", "--quiet"]) == 0
    assert quiet.getvalue() == ""
    assert "with market data" in capsys.readouterr().out


def test_progress_is_silent_when_stderr_is_not_a_terminal(
        prices_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", "--prices", str(prices_csv), "--top", "1"]) == 0
    assert "market data [" not in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_offline_run_prints_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                            capfd: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("yfinance")
    from tests.market.yahoo_stub import YahooStub, install, symbols_requested

    monkeypatch.setenv("THESIS_LIB_CACHE_DIR", str(tmp_path))
    stub = YahooStub(offline=True)
    install(monkeypatch, stub)
    assert main(["screen", "--prices", "yfinance", "--status"]) == 1
    captured = capfd.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("thesis screen: error: cannot reach Yahoo Finance (offline?): "
                               "Could not resolve host")
    assert len(set(symbols_requested(stub))) <= 4  # at most the quotes already in flight
