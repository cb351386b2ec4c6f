"""Properties: any text either compiles or raises ExpressionError; the vectorized
evaluator agrees with the one-row-at-a-time reference on random well-formed trees."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thesis_lib.errors import ExpressionError
from thesis_lib.rules._rowwise import evaluate_rowwise
from thesis_lib.rules.expression import (
    Expression,
    ParseContext,
    check_expression,
    compile_expression,
)

NUMBER_COLUMNS = ("a", "b", "c")
CONTEXT = ParseContext(
    columns=frozenset({*NUMBER_COLUMNS, "flag", "s", "exposure_hbm", "exposure_grid"}),
    string_columns=frozenset({"s"}),
    layers=("hbm", "grid", "power"),
    below=lambda layer, depth: ["hbm", "grid"] if (layer, depth) == ("power", 1) else [],
)
# "Nice" values keep sums and products exact, so both evaluators must agree to the bit
# on everything but the last digits of log/sqrt/zscore, whatever the evaluation order.
VALUES = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, math.nan, math.inf, -math.inf]
TEXTS = ["KR", "TW", "US", None]
LITERALS = ["0", "1", "2", "0.5", "1.5", "(-1)", "True", "False", "3"]



text_atoms = st.sampled_from(
    [
        's == "KR"',
        '"TW" != s',
        's in ["KR", "TW"]',
        's not in ["US"]',
        "is_missing(s)",
        's == "XX"',
    ]
).map(lambda t: f"({t})")

number_atoms = st.one_of(
    st.sampled_from([*NUMBER_COLUMNS, "flag", 'exposure("hbm")', 'exposure_below("power", 1)']),
    st.sampled_from(LITERALS),
    text_atoms,
)


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(inner, inner)
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "%"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(inner, st.sampled_from(["0", "1", "2", "3", "0.5"])).map(
            lambda t: f"({t[0]} ** {t[1]})"
        ),
        inner.map(lambda x: f"(-{x})"),
        inner.map(lambda x: f"(not {x})"),
        st.tuples(inner, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} < {t[1]} <= {t[2]})"),
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        st.tuples(inner, st.lists(st.sampled_from(LITERALS), max_size=3)).map(
            lambda t: f"({t[0]} in [{', '.join(t[1])}])"
        ),
        st.sampled_from(["abs", "log", "sqrt", "is_missing", "pct_rank", "zscore"]).flatmap(
            lambda f: inner.map(lambda x: f"{f}({x})")
        ),
        st.tuples(st.sampled_from(["min", "max"]), st.lists(inner, min_size=2, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
        st.tuples(inner, inner, inner).map(lambda t: f"clip({t[0]}, {t[1]}, {t[2]})"),
        pair.map(lambda t: f"fill({t[0]}, {t[1]})"),
    )


expressions = st.recursive(number_atoms, _extend, max_leaves=12)


@st.composite
def frames(draw: st.DrawFn) -> tuple[dict[str, np.ndarray], int]:
    n = draw(st.integers(min_value=1, max_value=10))
    column = st.lists(st.sampled_from(VALUES), min_size=n, max_size=n)
    data: dict[str, np.ndarray] = {
        name: np.array(draw(column)) for name in (*NUMBER_COLUMNS, "exposure_hbm", "exposure_grid")
    }
    data["flag"] = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    data["s"] = np.array(
        draw(st.lists(st.sampled_from(TEXTS), min_size=n, max_size=n)), dtype=object
    )
    return data, n


def _rows(data: dict[str, np.ndarray], n: int) -> list[dict[str, object]]:
    return [
        {name: values[i].item() if isinstance(values[i], np.generic) else values[i]
         for name, values in data.items()}
        for i in range(n)
    ]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_compiles_or_raises_expression_error(text: str) -> None:
    problems = check_expression(text, CONTEXT)
    if problems:
        with pytest.raises(ExpressionError) as raised:
            compile_expression(text, CONTEXT)
        assert list(raised.value.problems) == problems
    else:
        assert isinstance(compile_expression(text, CONTEXT), Expression)


GRAMMAR_CHARS = "abcs()[]+-*/%<>=!., '\"0123456789_\n" + "ifelsnotadrmxpugh"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=GRAMMAR_CHARS, max_size=40))
def test_grammar_like_text_compiles_or_raises_expression_error(text: str) -> None:
    problems = check_expression(text, CONTEXT)
    assert all(p.field == "expression" for p in problems)
    if problems:
        return
    expression = compile_expression(text, CONTEXT)
    data = {name: np.array([1.0, math.nan, math.inf]) for name in expression.columns}
    if "s" in data:
        data["s"] = np.array(["KR", None, "TW"], dtype=object)
    result = expression.evaluate(data, 3)
    assert result.shape == (3,)
    assert not np.isinf(result).any()


@settings(max_examples=200, deadline=None)
@given(expressions, frames())
def test_vectorized_matches_rowwise(text: str, frame: tuple[dict[str, np.ndarray], int]) -> None:
    data, n = frame
    expression = compile_expression(text, CONTEXT)
    result = expression.evaluate(data, n)
    assert result.dtype == np.float64
    assert result.shape == (n,)
    assert not np.isinf(result).any()
    reference = np.array(evaluate_rowwise(expression, _rows(data, n)), dtype=np.float64)
    np.testing.assert_allclose(result, reference, rtol=1e-9, atol=1e-12, equal_nan=True)
    # a shared cache gives the same answer, twice
    cache: dict[object, np.ndarray] = {}
    for _ in range(2):
        again = expression.evaluate(data, n, cache)
        np.testing.assert_array_equal(again, result)


@settings(max_examples=100, deadline=None)
@given(expressions)
def test_well_formed_trees_round_trip_through_their_text(text: str) -> None:
    expression = compile_expression(text, CONTEXT)
    assert expression.text == text
    assert compile_expression(str(expression), CONTEXT) == expression
    assert expression.columns <= CONTEXT.columns
