"""`thesis screen --as-of DATE`, and the same option on explain and report."""

from __future__ import annotations

import json

import thesis_lib as tl


def test_screen_as_of_runs_on_the_builtin_universe_and_says_the_date(cli):
    ran = cli("screen", "--as-of", "2026-06-30", "--top", "5")
    assert ran.status == 0, ran.err
    lines = ran.out.splitlines()
    assert lines[0] == "As of 2026-06-30: only the figures public by then (no look-ahead)."
    assert lines[1].split()[:2] == ["#", "ticker"]
    assert "universe ai-compute-2026 as known on 2026-06-30." in ran.out
    expected = tl.screen(tl.load_universe(), as_of="2026-06-30")
    rows = [line.split()[1] for line in lines[2:7]]
    assert rows == [str(t) for t in expected.scores.index[:5]]


def test_screen_as_of_in_json_and_markdown(cli):
    ran = cli("screen", "--as-of", "2026-06-30", "--format", "json", "--top", "2")
    assert ran.status == 0
    assert json.loads(ran.out)["as_of"] == "2026-06-30"
    plain = cli("screen", "--format", "json", "--top", "2")
    assert "as_of" not in json.loads(plain.out)  # added on request only
    ran = cli("screen", "--as-of", "2026-06-30", "--format", "markdown", "--top", "2")
    assert ran.out.startswith("As of 2026-06-30")


def test_explain_as_of_uses_the_figures_known_then(cli):
    early = cli("explain", "MU", "--as-of", "2025-06-30", "--format", "json")
    late = cli("explain", "MU", "--as-of", "2026-06-30", "--format", "json")
    assert early.status == late.status == 0
    early_doc, late_doc = json.loads(early.out), json.loads(late.out)
    assert early_doc["as_of"] == "2025-06-30"
    assert early_doc["score"] != late_doc["score"]
    text = cli("explain", "MU", "--as-of", "2026-06-30")
    assert text.out.startswith("As of 2026-06-30")


def test_report_as_of(cli, tmp_path):
    target = tmp_path / "report.html"
    ran = cli("report", "-o", str(target), "--as-of", "2026-06-30", "--quiet")
    assert ran.status == 0, ran.err
    assert "2026-06-30" in target.read_text(encoding="utf-8")


def test_a_bad_date_is_a_usage_error(cli):
    for bad in ("2026-13-01", "30/06/2026", "soon"):
        ran = cli("screen", "--as-of", bad)
        assert ran.status == 2
        assert ran.out == ""
        assert f"argument --as-of: expected a date like 2026-05-07, got '{bad}'" in ran.err
        assert "Traceback" not in ran.err
