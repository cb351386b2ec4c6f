"""Untrusted input finds only the library's own errors, or correct results.

Four kinds of input a scheduled run may be handed: rule expressions, rule pack files,
universe files and watchlist files. Each is generated from the real schema with every
field free to take a wrong type, an out-of-range number, hostile text (control
characters, Unicode lookalikes, huge or non-finite numbers), or unknown keys, and pack
files are also mutated byte by byte from the built-in pack. Whatever comes in, the
library either raises a :class:`~thesis_lib.errors.ThesisError` or gives a result whose
scores are finite; any other exception fails the test.

The suite runs a few dozen examples of each (the ``ci`` profile). The full run, 10,000
examples each, uses the ``fuzz`` profile registered in ``tests/conftest.py``::

    HYPOTHESIS_PROFILE=fuzz python -m pytest tests/fuzz -q
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

import thesis_lib as tl
from thesis_lib._toml import dumps
from thesis_lib.errors import ThesisError
from thesis_lib.loading import data_path
from thesis_lib.rules import Rule, RulePack
from thesis_lib.watch import load_watchlist

UNIVERSE = tl.load_universe()
FRAME = UNIVERSE.to_frame()
PACK = tl.load_pack()
LAYERS = list(UNIVERSE.chain.ids)
COLUMNS = [str(c) for c in FRAME.columns]
FUNCTIONS = ["exposure", "exposure_below", "ai_exposure", "ai_exposure_favoured", "pct_rank",
             "zscore", "log", "sqrt", "abs", "clip", "fill", "is_missing", "min", "max",
             "sales_to", "customers_in", "forward_exposure", "__import__", "eval", "open"]
# control characters, bidi override, lookalikes (fullwidth, mathematical bold), quoting
HOSTILE_TEXT = [
    "\x1b[31m", "\r", "\x00", "\u202e",
    "\uff4c\uff49\uff53\uff54\uff45\uff44",  # "listed" in fullwidth letters
    "\U0001d425\U0001d422\U0001d42c\U0001d42d\U0001d41e\U0001d41d",  # mathematical bold
    "\u00e9", "'", '"', "\\", "{", "}", "[", "]", "=", "\n", "#", "$(rm)", "%s", "{0}",
]
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 1.8e308, 5e-324, 1e296, 2**63, -(2**63)]),
    st.integers(-(2**70), 2**70),
)
TEXT = st.one_of(st.text(max_size=12), st.sampled_from(HOSTILE_TEXT),
                 st.sampled_from(COLUMNS + LAYERS + FUNCTIONS))
# What TOML can hold (no None); nested a little.
SCALARS = st.one_of(TEXT, NUMBERS, st.booleans(), st.dates(), st.datetimes())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6)


def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A valid value nine times in ten, anything at all otherwise."""
    return st.integers(0, 9).flatmap(lambda i: VALUES if i == 0 else valid)


def table(fields: dict[str, st.SearchStrategy[Any]],
          required: tuple[str, ...] = ()) -> st.SearchStrategy[dict[str, Any]]:
    """A TOML table: the ``required`` fields nearly always there, the others sometimes,
    each valid or not, and now and then a stray key (a typo, a lookalike)."""
    optional = {k: maybe(v) for k, v in fields.items() if k not in required}
    body = st.fixed_dictionaries({k: maybe(fields[k]) for k in required}, optional=optional)
    stray = st.dictionaries(st.sampled_from(["stray", "Weight", "\uff49\uff44"]), VALUES,
                            max_size=1)
    drop = st.sets(st.sampled_from(required), max_size=1) if required else st.just(set())
    return st.builds(
        lambda d, extra, gone, keep: {**{k: v for k, v in d.items() if k not in gone or keep},
                                      **extra},
        body, st.integers(0, 9).flatmap(lambda i: stray if i == 0 else st.just({})),
        drop, st.integers(0, 9).map(lambda i: i > 0))


# -- expressions --------------------------------------------------------------------------
TOKENS = st.one_of(
    st.sampled_from(COLUMNS), st.sampled_from(FUNCTIONS), st.sampled_from(LAYERS).map(repr),
    NUMBERS.map(repr), st.sampled_from(HOSTILE_TEXT), st.text(max_size=4),
    st.sampled_from(["+", "-", "*", "/", "%", "**", "(", ")", ",", "<", "<=", "==", "!=",
                     ">", "and", "or", "not", "if", "else", "in", "[", "]", "lambda", ".",
                     "__class__", "1e999", "-1e999", "nan", "inf", "True", "None"]),
)
# Expressions that parse: columns, layer functions, arithmetic, comparisons, hostile numbers.
OPERAND = st.one_of(
    st.sampled_from(COLUMNS),
    st.builds(lambda f, layer: f"{f}({layer!r})",
              st.sampled_from(["exposure", "ai_exposure", "ai_exposure_favoured",
                               "exposure_below", "forward_exposure", "sales_to"]),
              st.sampled_from(LAYERS)),
    st.builds(lambda f, c: f"{f}({c})", st.sampled_from(["pct_rank", "zscore", "log", "sqrt",
                                                       "abs", "is_missing"]),
              st.sampled_from(COLUMNS)),
    NUMBERS.map(repr),
)
WELL_FORMED = st.recursive(OPERAND, lambda inner: st.one_of(
    st.builds(lambda a, op, b: f"({a} {op} {b})", inner,
              st.sampled_from(["+", "-", "*", "/", "%", "**", "<", ">=", "==", "and", "or"]),
              inner),
    st.builds(lambda a, b, c: f"({a} if {b} else {c})", inner, inner, inner),
    st.builds(lambda a, b: f"fill({a}, {b})", inner, inner),
    st.builds(lambda a: f"clip({a}, 0, 1)", inner),
), max_leaves=6)
EXPRESSIONS = st.one_of(
    WELL_FORMED, WELL_FORMED, WELL_FORMED,
    st.lists(TOKENS, min_size=1, max_size=14).map(" ".join),
    st.text(max_size=40),
)


def scores_are_finite(result: tl.ScreenResult) -> bool:
    event("screened")  # the statistics show how many examples got this far
    return bool(np.isfinite(result.scores["score"].to_numpy(dtype=float)).all())


def refused(error: ThesisError) -> None:
    event(f"refused: {type(error).__name__}")


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(EXPRESSIONS, st.sampled_from(["score", "penalty", "gate"]),
       st.one_of(st.floats(0, 20), st.floats(0, 20), NUMBERS),
       st.sampled_from(["zero", "zero", "skip", "exclude", "error"]))
def test_any_expression_gives_a_thesis_error_or_finite_scores(
        expression: str, kind: str, weight: float, missing: str) -> None:
    try:
        rule = Rule(id="r", kind=kind, expression=expression, weight=weight, missing=missing,
                    why="fuzz")
        result = tl.screen(FRAME, RulePack(id="fuzz", version="1", rules=(rule,)))
        assert scores_are_finite(result), expression
    except ThesisError as error:
        refused(error)


# -- files ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """A fresh file name for each example (the folder is shared by the module)."""
    folder = tmp_path_factory.mktemp("fuzz")
    counter = itertools.count()

    def new(suffix: str = ".toml") -> Path:
        return folder / f"input-{next(counter)}{suffix}"

    return new


def write(path: Path, document: dict[str, Any]) -> Path:
    try:
        text = dumps(document)
    except (TypeError, ValueError):  # not representable as TOML: not a file a user has
        assume(False)
    path.write_text(text, encoding="utf-8")
    return path


RULES = table(required=("id", "expression", "why"), fields={
    "id": st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True),
    "kind": st.sampled_from(["score", "penalty", "gate"]),
    "expression": EXPRESSIONS,
    "weight": st.one_of(st.floats(0, 20), NUMBERS),
    "missing": st.sampled_from(["zero", "skip", "exclude", "error"]),
    "why": TEXT,
})
PACKS = table(required=("id", "version", "rules"), fields={
    "id": st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True),
    "version": st.just("1.0.0"),
    "description": TEXT,
    "chain": st.sampled_from(["ai-compute", "ai-compute", "nope", "/dev/zero", "."]),
    "rules": st.lists(RULES, min_size=1, max_size=4),
    "expect": st.lists(table({"id": TEXT, "kind": TEXT, "ticker": TEXT, "top": NUMBERS}),
                       max_size=2),
})


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
@given(PACKS)
def test_any_pack_file_gives_a_thesis_error_or_finite_scores(files: Any,
                                                             document: dict[str, Any]) -> None:
    path = write(files(), document)
    try:
        result = tl.screen(FRAME, tl.load_pack(path))
        assert scores_are_finite(result)
    except ThesisError as error:
        refused(error)


BUILTIN_PACK = data_path("packs/one-layer-down.toml").read_bytes()


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, len(BUILTIN_PACK) - 1), st.binary(max_size=3),
                          st.integers(0, 3)), min_size=1, max_size=6))
def test_the_builtin_pack_edited_byte_by_byte_gives_a_thesis_error_or_finite_scores(
        files: Any, edits: list[tuple[int, bytes, int]]) -> None:
    text = bytearray(BUILTIN_PACK)
    for at, insert, remove in edits:
        at = min(at, len(text))
        text[at:at + remove] = insert
    path = files()
    path.write_bytes(bytes(text))
    try:
        result = tl.screen(FRAME, tl.load_pack(path))
        assert scores_are_finite(result)
    except ThesisError as error:
        refused(error)


EXPOSURES = table(required=("layer", "share", "as_of", "source"), fields={
    "layer": st.sampled_from([*LAYERS, "nope", "HBM"]),
    "share": st.one_of(st.floats(0, 1), NUMBERS),
    "ai_share": st.one_of(st.floats(0, 1), NUMBERS),
    "as_of": st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)),
    "source": TEXT,
    "basis": TEXT,
})
COMPANIES = table(required=("ticker", "name", "country", "currency", "exposures"), fields={
    "ticker": st.from_regex(r"[A-Z0-9.]{1,8}", fullmatch=True),
    "name": TEXT,
    "country": st.sampled_from(["US", "KR", "TW", "JP", "??"]),
    "currency": st.sampled_from(["USD", "KRW", "TWD", "JPY", "XXX"]),
    "listed": st.booleans(),
    "exposures": st.lists(EXPOSURES, max_size=3),
})
UNIVERSES = table(required=("companies",), fields={
    "id": st.just("fuzz"),
    "name": TEXT,
    "chain": st.sampled_from(["ai-compute", "ai-compute", "nope", "/dev/null"]),
    "companies": st.lists(COMPANIES, min_size=1, max_size=4),
})


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
@given(UNIVERSES)
def test_any_universe_file_gives_a_thesis_error_or_finite_scores(
        files: Any, document: dict[str, Any]) -> None:
    path = write(files(), document)
    try:
        result = tl.screen(tl.load_universe(path), PACK)
        assert scores_are_finite(result)
    except ThesisError as error:
        refused(error)


ALERTS = table(required=("kind",), fields={
    "id": TEXT,
    "kind": st.sampled_from(["score_crosses", "rank_moves", "enters_top", "leaves_top",
                             "gate_starts", "gate_stops", "nope"]),
    "ticker": st.sampled_from(["NVDA", "MU", "*", "nope"]),
    "threshold": NUMBERS,
    "direction": st.sampled_from(["up", "down", "either", "sideways"]),
    "min_change": NUMBERS,
    "n": NUMBERS,
    "gate": TEXT,
})
WATCHLISTS = table(required=("id",), fields={
    "id": st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True),
    "universe": st.sampled_from(["ai-compute-2026", "nope.toml", "/dev/zero"]),
    "pack": st.sampled_from(["one-layer-down", "nope.toml"]),
    "top": st.one_of(st.integers(1, 60), NUMBERS),
    "always_show": st.lists(TEXT, max_size=3),
    "prices": st.sampled_from(["yfinance", "prices.csv"]),
    "alerts": st.lists(ALERTS, max_size=3),
    "basket": table({"top_n": NUMBERS, "weighting": TEXT, "max_weight": NUMBERS}),
})


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
@given(WATCHLISTS)
def test_any_watchlist_file_gives_a_thesis_error_or_a_watchlist(
        files: Any, document: dict[str, Any]) -> None:
    path = write(files(), document)
    try:
        watchlist = load_watchlist(path)
    except ThesisError as error:
        refused(error)
        return
    event("loaded")
    assert watchlist.top >= 1 and math.isfinite(watchlist.top)
