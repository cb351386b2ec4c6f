"""Plain text out: control characters in ids, names, tickers and ``why`` never reach the
terminal raw, and identifiers are ASCII (a lookalike is an error naming the character)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from thesis_lib import (
    ExpressionError,
    RuleError,
    RulePack,
    load_universe,
    save_universe,
    screen,
)
from thesis_lib._text import describe_char, plain, plain_json, plain_lines
from thesis_lib.rules import Rule
from thesis_lib.rules.expression import ParseContext, compile_expression

# What a hostile file can put in a text field: a screen clear, a window title (OSC ... BEL),
# a carriage return that overwrites the line, a one-byte C1 CSI and a bidi override.
EVIL = "\x1b[2J\x1b]0;pwned\x07\rOVERWRITE\x9b31m\u202e"
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]")
FULLWIDTH_LISTED = "\uff4c\uff49\uff53\uff54\uff45\uff44"  # "listed" in fullwidth letters
BOLD_LISTED = "\U0001d425\U0001d422\U0001d42c\U0001d42d\U0001d41e\U0001d41d"  # in math bold


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A universe whose Micron is renamed with control characters, and a pack whose `why`
    texts carry them."""
    universe = load_universe()
    companies = tuple(c.model_copy(update={"name": f"Micron{EVIL}"}) if c.ticker == "MU" else c
                      for c in universe.companies)
    save_universe(universe.model_copy(update={"companies": companies}),
                  tmp_path / "universe.toml")
    toml_evil = EVIL.encode("unicode_escape").decode().replace("\\x", "\\u00")
    (tmp_path / "pack.toml").write_text(
        'id = "plain-pack"\n'
        "[[rules]]\n"
        'id = "hbm"\nexpression = \'exposure("hbm")\'\nweight = 10\n'
        f'why = "HBM matters{toml_evil}"\n'
        "[[rules]]\n"
        'id = "listed"\nkind = "gate"\nexpression = "listed"\n'
        f'why = "listed only{toml_evil}"\n', encoding="utf-8")
    return tmp_path


def _assert_plain(text: str) -> None:
    assert not RAW.search(text), repr(RAW.search(text))


# -- the helper ---------------------------------------------------------------------------
def test_plain_escapes_every_control_and_bidi_character() -> None:
    assert plain(EVIL) == "\\x1b[2J\\x1b]0;pwned\\x07\\rOVERWRITE\\x9b31m\\u202e"
    assert plain("a\nb\tc\x00\x7f") == "a\\nb\\tc\\x00\\x7f"
    assert plain("SK hynix 三星 Ünïcode") == "SK hynix 三星 Ünïcode"
    assert plain(42) == "42"


def test_plain_lines_keeps_line_breaks_only() -> None:
    assert plain_lines(f"one{EVIL}\ntwo\r\n") == f"one{plain(EVIL)}\ntwo\\r\n"
    text = "# ticker\n  1 MU  Micron  +1.00\n"
    assert plain_lines(text) is text


def test_plain_json_is_the_same_data() -> None:
    document = {"name": f"Micron{EVIL}"}
    text = plain_json(json.dumps(document, ensure_ascii=False))
    _assert_plain(text)
    assert json.loads(text) == document


def test_describe_char_names_the_character() -> None:
    assert describe_char("\uff4c") == "U+FF4C FULLWIDTH LATIN SMALL LETTER L"
    assert describe_char("\U0001d425") == "U+1D425 MATHEMATICAL BOLD SMALL L"
    assert describe_char("\x1b") == "U+001B (a control character)"


# -- the command line ---------------------------------------------------------------------
def test_thesis_screen_table_escapes_names_and_whys(cli, hostile: Path) -> None:
    ran = cli("screen", "--universe", str(hostile / "universe.toml"),
              "--pack", str(hostile / "pack.toml"), "--explain", "--top", "3")
    assert ran.status == 0, ran.err
    _assert_plain(ran.out)
    _assert_plain(ran.err)
    assert "Micron\\x1b[2J" in ran.out
    assert "HBM matters\\x1b[2J\\x1b]0;pwned\\x07\\rOVERWRITE\\x9b31m\\u202e" in ran.out


def test_thesis_explain_escapes_name_why_and_gate_why(cli, hostile: Path) -> None:
    args = ("--universe", str(hostile / "universe.toml"), "--pack", str(hostile / "pack.toml"))
    ran = cli("explain", "MU", *args)
    assert ran.status == 0, ran.err
    _assert_plain(ran.out)
    assert ran.out.startswith("MU (Micron\\x1b[2J\\x1b]0;pwned\\x07\\rOVERWRITE")
    assert "HBM matters\\x1b" in ran.out
    excluded = cli("explain", "ANTHROPIC", *args)
    assert excluded.status == 0
    _assert_plain(excluded.out)
    assert "listed only\\x1b[2J" in excluded.out


@pytest.mark.parametrize("fmt", ["markdown", "csv", "json"])
def test_every_screen_format_is_free_of_raw_controls(cli, hostile: Path, fmt: str) -> None:
    ran = cli("screen", "--universe", str(hostile / "universe.toml"),
              "--pack", str(hostile / "pack.toml"), "--format", fmt, "--explain")
    assert ran.status == 0, ran.err
    _assert_plain(ran.out)
    if fmt == "json":  # the data itself is kept, escaped the JSON way
        names = {c["ticker"]: c["name"] for c in json.loads(ran.out)["companies"]}
        assert names["MU"] == f"Micron{EVIL}"
    if fmt == "csv":  # one record per line, the name escaped
        rows = {r["ticker"]: r for r in csv.DictReader(io.StringIO(ran.out))}
        assert rows["MU"]["name"] == f"Micron{plain(EVIL)}"


def test_an_error_message_is_escaped(cli, tmp_path: Path) -> None:
    path = tmp_path / "pack.toml"
    path.write_text('id = "p"\n[[rules]]\nid = "a"\nexpression = "no_such_column\\u001b"\n'
                    'why = "w"\n', encoding="utf-8")
    ran = cli("validate", str(path))
    assert ran.status == 1
    _assert_plain(ran.out)
    _assert_plain(ran.err)


# -- the Python renderers -----------------------------------------------------------------
def test_to_text_and_str_explanation_are_escaped(hostile: Path) -> None:
    frame = load_universe(hostile / "universe.toml").to_frame()
    evil_ticker = f"EV{EVIL}"
    frame = pd.concat([frame, frame.loc[["MU"]].set_axis([evil_ticker])])
    result = screen(frame, RulePack(id="p", rules=[
        Rule(id="hbm", expression='exposure("hbm")', weight=10, why=f"HBM{EVIL}")]))
    text = result.to_text(0)
    _assert_plain(text)
    assert "EV\\x1b[2~" in text and "Micron\\x1b" in text  # escaped, then cut to fit
    for ticker in ("MU", evil_ticker):
        explained = str(result.explain(ticker))
        _assert_plain(explained)
        assert "HBM\\x1b[2J" in explained


# -- identifiers are ASCII ----------------------------------------------------------------
@pytest.mark.parametrize(("text", "char", "column"), [
    (FULLWIDTH_LISTED, "U+FF4C FULLWIDTH LATIN SMALL LETTER L", 1),
    (f"1 + {BOLD_LISTED}", "U+1D425 MATHEMATICAL BOLD SMALL L", 5),
    ("li\uff53ted", "U+FF53 FULLWIDTH LATIN SMALL LETTER S", 3),
    ("\uff4c\uff4f\uff47(revenue_usd)", "U+FF4C FULLWIDTH LATIN SMALL LETTER L", 1),
    ('exposure("hbm") + (1 if\n  li\U0001d42cted else 0)', "U+1D42C MATHEMATICAL BOLD SMALL S",
     5),
])
def test_a_lookalike_name_is_an_error_naming_the_character(text: str, char: str,
                                                           column: int) -> None:
    with pytest.raises(RuleError) as caught:
        RulePack(id="p", rules=[Rule(id="a", expression=text, why="w")])
    problem = caught.value.problem
    assert problem.item == "rule 'a'" and problem.field == "expression"
    assert f"{char} at column {column}" in problem.message
    assert problem.position == column
    context = ParseContext(columns=frozenset({"listed", "revenue_usd", "exposure_hbm"}),
                           layers=("hbm",))
    with pytest.raises(ExpressionError, match=re.escape(char)):
        compile_expression(text, context)


def test_a_lookalike_never_reads_the_real_column() -> None:
    # Before: NFKC folded the fullwidth name onto `listed`, so this gate passed silently.
    with pytest.raises(RuleError, match="U\\+FF4C"):
        screen(load_universe(), RulePack(id="p", rules=[
            Rule(id="g", kind="gate", expression=FULLWIDTH_LISTED, why="w"),
            Rule(id="s", expression="1", why="w")]))


def test_text_in_strings_may_be_any_unicode() -> None:
    frame = load_universe().to_frame()
    result = screen(frame, RulePack(id="p", rules=[
        Rule(id="a", expression="1 if country == '\uff2b\uff32' else 0", why="w")]))
    assert (result.scores["score"] == 0).all()


@pytest.mark.parametrize(("build", "field", "char"), [
    (lambda: Rule(id=FULLWIDTH_LISTED, expression="1", why="w"), "id",
     "U+FF4C FULLWIDTH LATIN SMALL LETTER L at column 1"),
    (lambda: RulePack(id=f"one-{BOLD_LISTED}", rules=[Rule(id="a", expression="1", why="w")]),
     "id", "U+1D425 MATHEMATICAL BOLD SMALL L at column 5"),
    (lambda: RulePack(id="p\x1b[31m", rules=[Rule(id="a", expression="1", why="w")]),
     "id", "U+001B (a control character) at column 2"),
    (lambda: RulePack(id="p", columns=("ok", FULLWIDTH_LISTED),
                      rules=[Rule(id="a", expression="1", why="w")]), "columns",
     "U+FF4C FULLWIDTH LATIN SMALL LETTER L at column 1"),
])
def test_rule_ids_pack_ids_and_declared_columns_must_be_ascii(build, field: str,
                                                               char: str) -> None:
    with pytest.raises(RuleError) as caught:
        build()
    assert caught.value.field == field
    assert char in str(caught.value)
    _assert_plain(str(caught.value))


@pytest.mark.parametrize("fmt", ["table", "markdown", "json"])
def test_thesis_watch_escapes_names(watch_dir: Path, cli, monkeypatch, fmt: str) -> None:
    universe = load_universe(watch_dir / "universe.toml")
    companies = tuple(c.model_copy(update={"name": f"Micron{EVIL}"}) if c.ticker == "MU" else c
                      for c in universe.companies)
    save_universe(universe.model_copy(update={"companies": companies}),
                  watch_dir / "universe.toml", overwrite=True)
    monkeypatch.chdir(watch_dir)
    for _ in range(2):  # a baseline, then a diff
        ran = cli("watch", "watchlist.toml", "--format", fmt)
        assert ran.status in (0, 3), ran.err
        _assert_plain(ran.out)
        _assert_plain(ran.err)
    assert "Micron\\x1b[2J" in ran.out or "Micron\\u001b[2J" in ran.out
