"""Every data-printing command prints text, JSON with its documented top-level keys, and
CSV with a header; the JSON shapes are the ones docs/command-line.md documents."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from thesis_lib.cli import build_parser
from thesis_lib.loading import data_path

DOC = Path(__file__).resolve().parents[2] / "docs" / "command-line.md"


def _documented() -> dict[str, tuple[set[str], set[str]]]:
    """command -> (keys always there, keys added on request), from the docs' table."""
    shapes = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\| `thesis (\w+)` \| (.*?) \| (.*?) \|", line)
        if match:
            command, always, extra = match.groups()
            shapes[command] = (set(re.findall(r"`(\w+)`", always)),
                               set(re.findall(r"`(\w+)`", extra)))
    return shapes


def _commands(watch_dir: Path) -> dict[str, list[str]]:
    watchlist = str(watch_dir / "watchlist.toml")
    return {
        "screen": ["screen", "--top", "3"],
        "explain": ["explain", "MU"],
        "validate": ["validate", str(data_path("universe.toml")), str(watch_dir / "nope.toml")],
        "layers": ["layers"],
        "links": ["links", "NVDA"],
        "scenarios": ["scenarios", "--only", "permitting-reform"],
        "watch": ["watch", watchlist, "--state", str(watch_dir / "state")],
        "test": ["test", "one-layer-down"],
    }


def test_every_data_command_is_documented_and_offers_text_json_and_csv(watch_dir):
    shapes = _documented()
    commands = _commands(watch_dir)
    assert set(shapes) == set(commands)
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in commands:
        fmt = next(a for a in sub.choices[name]._actions if a.dest == "format")
        assert {"text", "json", "csv"} <= set(fmt.choices), name
        assert fmt.default == "text", name


@pytest.mark.parametrize("command", ["screen", "explain", "validate", "layers", "links",
                                     "scenarios", "watch", "test"])
def test_json_has_the_documented_keys_and_csv_parses(cli, watch_dir, command):
    always, extra = _documented()[command]
    argv = _commands(watch_dir)[command]
    ran = cli(*argv, "--format", "json")
    assert ran.status in (0, 1, 3), ran.err
    document = json.loads(ran.out)
    assert always <= set(document) <= always | extra, command
    # the same run as CSV: one table, a header, every row as wide as the header
    ran_csv = cli(*argv, "--format", "csv", *(["--no-save"] if command == "watch" else []))
    assert ran_csv.status == ran.status or command == "watch", ran_csv.err
    rows = list(csv.reader(io.StringIO(ran_csv.out)))
    assert len(rows) >= 2, ran_csv.out
    header = rows[0]
    assert header and len(set(header)) == len(header) and all(header)
    assert all(len(row) == len(header) for row in rows[1:])
    # and as text, which is not JSON and not the CSV
    text = cli(*argv, *(["--no-save"] if command == "watch" else []))
    assert text.out and text.out != ran_csv.out
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.out)


def test_the_optional_keys_come_when_asked(cli):
    ran = cli("screen", "--top", "2", "--basket", "--format", "json")
    assert "basket" in json.loads(ran.out)


def test_csv_contents_match_the_json(cli, watch_dir):
    explain = cli("explain", "MU", "--format", "json")
    rules = [r["rule"] for r in json.loads(explain.out)["rules"]]
    rows = list(csv.DictReader(io.StringIO(cli("explain", "MU", "--format", "csv").out)))
    assert [r["rule"] for r in rows] == rules and {r["ticker"] for r in rows} == {"MU"}
    links = json.loads(cli("links", "NVDA", "--format", "json").out)
    rows = list(csv.DictReader(io.StringIO(cli("links", "NVDA", "--format", "csv").out)))
    assert [r["supplier"] for r in rows if r["direction"] == "supplier"] == \
        [lk["supplier"] for lk in links["suppliers"]]
    assert sum(r["direction"] == "stake" for r in rows) == len(links["stakes"])


def test_watch_csv_has_sections_and_notes_the_saved_snapshot(cli, watch_dir):
    watchlist = str(watch_dir / "watchlist.toml")
    first = cli("watch", watchlist, "--format", "csv")
    assert first.status == 0
    assert "note: saved " in first.err
    rows = list(csv.DictReader(io.StringIO(first.out)))
    shown = [r["ticker"] for r in rows if r["section"] == "top"]
    assert shown[:1] and "NVDA" in shown and "MU" in shown  # always_show
    assert {r["section"] for r in rows} <= {"entered", "left", "moved", "alert", "top",
                                            "basket", "trade"}


def test_validate_and_test_formats_keep_the_exit_status(cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "p"\n[[rules]]\nid = "a"\nexpression = "listed"\nweight = -1\n'
                   'why = "x"\n', encoding="utf-8")
    ran = cli("validate", str(bad), "--format", "json")
    assert ran.status == 1
    document = json.loads(ran.out)
    assert document["invalid"] == 1 and document["valid"] == 0
    problem = document["files"][0]["problems"][0]
    assert set(problem) == {"message", "file", "item", "field", "position", "hint"}
    assert (problem["item"], problem["field"]) == ("rule 'a'", "weight")
    rows = list(csv.DictReader(io.StringIO(cli("validate", str(bad), "--format", "csv").out)))
    assert [(r["valid"], r["item"], r["field"]) for r in rows] == [("False", "rule 'a'",
                                                                    "weight")]
    failed = cli("test", "one-layer-down", "no-such-pack", "--format", "json")
    assert failed.status == 1
    doc = json.loads(failed.out)
    assert (doc["passed"], doc["failed"]) == (1, 1)
    assert doc["packs"][1]["pack"] is None and doc["packs"][1]["problems"]


def test_table_is_still_accepted_for_text(cli):
    assert cli("layers", "--format", "table").out == cli("layers").out


def test_the_documented_csv_example_is_what_validate_prints(cli, tmp_path, monkeypatch):
    company = ('[[companies]]\nticker = "{0}"\nname = "{0} Co"\ncountry = "US"\n'
               'currency = "USD"\nlisted = true\n')
    (tmp_path / "my-universe.toml").write_text(
        'id = "my-universe"\n' + company.format("MOD") + company.format("GPU"),
        encoding="utf-8")
    (tmp_path / "my-pack.toml").write_text(
        'id = "my-pack"\nuniverse = "my-universe.toml"\n[[rules]]\nid = "listed"\n'
        'kind = "gate"\nexpression = "listed"\nwhy = "Only listed companies."\n'
        '[[expect]]\nid = "mod-first"\ntop = ["MDO"]\nn = 1\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    text = DOC.read_text(encoding="utf-8")
    marker = "$ thesis validate my-pack.toml --format csv\n"
    start = text.index(marker) + len(marker)
    shown = text[start:text.index("```", start)]
    ran = cli("validate", "my-pack.toml", "--format", "csv")
    assert ran.status == 1
    assert ran.out == shown
