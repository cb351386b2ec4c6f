"""The expression language: operators, functions, missing values, parse-time checks."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from thesis_lib.errors import ChainError, ExpressionError, Problem, ScreenError, ThesisError
from thesis_lib.rules._rowwise import evaluate_rowwise
from thesis_lib.rules.expression import (
    Call,
    Column,
    Const,
    Expression,
    LayerSum,
    ParseContext,
    check_expression,
    compile_expression,
)
from thesis_lib.rules.functions import FUNCTIONS

NAN = math.nan
INF = math.inf

LAYERS = ("accelerators", "hbm", "packaging", "grid", "power")
BELOW = {
    ("accelerators", 1): ["packaging", "hbm"],
    ("accelerators", 2): ["power"],
    ("hbm", 1): [],
}


def below(layer: str, depth: int) -> list[str]:
    return BELOW.get((layer, depth), [])


COLUMNS = frozenset(
    {f"exposure_{layer}" for layer in LAYERS}
    | {"x", "y", "z", "listed", "country", "currency", "pe_forward", "market_cap_usd"}
)
CONTEXT = ParseContext(
    columns=COLUMNS,
    string_columns=frozenset({"country", "currency"}),
    layers=LAYERS,
    below=below,
)
N = 6
DATA: dict[str, np.ndarray] = {
    "x": np.array([1.0, -2.0, 0.0, NAN, INF, 0.5]),
    "y": np.array([2.0, 2.0, 0.0, 1.0, 1.0, NAN]),
    "z": np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
    "listed": np.array([True, False, True, True, False, True]),
    "country": np.array(["KR", "TW", None, "US", "KR", "JP"], dtype=object),
    "currency": np.array(["KRW", "TWD", "USD", None, "KRW", "JPY"], dtype=object),
    "pe_forward": np.array([20.0, 40.0, NAN, 60.0, 25.0, 10.0]),
    "market_cap_usd": np.array([1e9, NAN, 5e10, 2e12, 0.0, 1e8]),
    "exposure_accelerators": np.array([0.9, 0.0, 0.0, 0.1, 0.0, 0.0]),
    "exposure_hbm": np.array([0.0, 0.5, 0.2, 0.0, NAN, 0.7]),
    "exposure_packaging": np.array([0.0, 0.1, 0.3, 0.0, 0.2, 0.0]),
    "exposure_grid": np.array([0.0, 0.3, 0.1, 0.3, 0.0, 0.6]),
    "exposure_power": np.array([0.1, 0.0, 0.0, 0.0, 0.9, 0.0]),
}


def rows() -> list[dict[str, object]]:
    return [{name: values[i].item() if isinstance(values[i], np.generic) else values[i]
             for name, values in DATA.items()} for i in range(N)]


def run(text: str, context: ParseContext = CONTEXT) -> np.ndarray:
    """Evaluate vectorized, and check the row-wise reference agrees."""
    expression = compile_expression(text, context)
    result = expression.evaluate(DATA, N)
    reference = evaluate_rowwise(expression, rows())
    np.testing.assert_allclose(result, reference, rtol=1e-12, equal_nan=True)
    assert result.dtype == np.float64
    assert result.shape == (N,)
    assert not np.isinf(result).any()
    return result


def same(actual: np.ndarray, expected: list[float]) -> None:
    np.testing.assert_allclose(actual, np.array(expected, dtype=float), equal_nan=True)


def problems_of(text: str, context: ParseContext = CONTEXT) -> list[Problem]:
    problems = check_expression(text, context)
    with pytest.raises(ExpressionError) as raised:
        compile_expression(text, context)
    assert list(raised.value.problems) == problems
    return problems


# -- arithmetic ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x + y", [3.0, 0.0, 0.0, NAN, NAN, NAN]),
        ("x - y", [-1.0, -4.0, 0.0, NAN, NAN, NAN]),
        ("x * y", [2.0, -4.0, 0.0, NAN, NAN, NAN]),
        ("x / y", [0.5, -1.0, NAN, NAN, NAN, NAN]),
        ("y ** 2", [4.0, 4.0, 0.0, 1.0, 1.0, NAN]),
        ("x % y", [1.0, 0.0, NAN, NAN, NAN, NAN]),
        ("-x", [-1.0, 2.0, 0.0, NAN, NAN, -0.5]),
        ("+x", [1.0, -2.0, 0.0, NAN, NAN, 0.5]),
        ("-y + 2 * z", [-1.0, -1.0, 1.0, 0.0, 0.0, NAN]),
        ("(x + 1) * 2 ** 2", [8.0, -4.0, 4.0, NAN, NAN, 6.0]),
    ],
)
def test_arithmetic(text: str, expected: list[float]) -> None:
    same(run(text), expected)


def test_division_and_modulo_by_zero_are_missing() -> None:
    same(run("y / x"), [2.0, -1.0, NAN, NAN, NAN, NAN])
    same(run("1 / (y - y)"), [NAN, NAN, NAN, NAN, NAN, NAN])
    same(run("y % 0"), [NAN] * 6)


def test_dividing_by_infinity_is_missing_not_zero() -> None:
    # IEEE gives 1 / inf == 0; here an infinite divisor is missing data.
    same(run("1 / x"), [1.0, -0.5, NAN, NAN, NAN, 2.0])
    same(run("3 % x"), [0.0, -1.0, NAN, NAN, NAN, 0.0])


def test_power_propagates_missing_even_where_ieee_gives_one() -> None:
    # pow(nan, 0) and pow(1, nan) are 1.0 in IEEE arithmetic, missing here.
    same(run("x ** 0"), [1.0, 1.0, 1.0, NAN, NAN, 1.0])
    same(run("1 ** x"), [1.0, 1.0, 1.0, NAN, NAN, 1.0])
    same(run("x ** 0.5"), [1.0, NAN, 0.0, NAN, NAN, math.sqrt(0.5)])


def test_overflow_counts_as_missing() -> None:
    same(run("10 ** (y * 400)"), [NAN, NAN, 1.0, NAN, NAN, NAN])
    same(run("y" + " * 1e18" * 18), [NAN, NAN, 0.0, NAN, NAN, NAN])  # past 1.8e308


def test_infinite_input_is_missing_in_the_result() -> None:
    same(run("x"), [1.0, -2.0, 0.0, NAN, NAN, 0.5])
    same(run("abs(x)"), [1.0, 2.0, 0.0, NAN, NAN, 0.5])


# -- comparisons and logic ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x < y", [1, 1, 0, NAN, NAN, NAN]),
        ("x <= 0", [0, 1, 1, NAN, NAN, 0]),
        ("x > 0", [1, 0, 0, NAN, NAN, 1]),
        ("x >= 0.5", [1, 0, 0, NAN, NAN, 1]),
        ("y == 2", [1, 1, 0, 0, 0, NAN]),
        ("y != 2", [0, 0, 1, 1, 1, NAN]),
        ("0 <= y < 2", [0, 0, 1, 1, 1, NAN]),
        ("-3 < x < y <= 2", [1, 1, 0, NAN, NAN, NAN]),
        ("0.1 < exposure_hbm <= 0.6", [0, 1, 1, 0, NAN, 0]),
        ("True == listed", [1, 0, 1, 1, 0, 1]),
    ],
)
def test_comparisons(text: str, expected: list[float]) -> None:
    same(run(text), expected)


def test_chain_is_false_when_one_link_is_false_even_if_another_is_missing() -> None:
    # 5 < x fails for every finite x here; the x < y link may be missing.
    same(run("5 < x < y"), [0, 0, 0, NAN, NAN, 0])


KLEENE_A = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, NAN, NAN, NAN])
KLEENE_B = np.array([1.0, 0.0, NAN, 1.0, 0.0, NAN, 1.0, 0.0, NAN])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a and b", [1, 0, NAN, 0, 0, 0, NAN, 0, NAN]),
        ("a or b", [1, 1, 1, 1, 0, NAN, 1, NAN, NAN]),
        ("not a", [0, 0, 0, 1, 1, 1, NAN, NAN, NAN]),
        ("not (a and b)", [0, 1, NAN, 1, 1, 1, NAN, 1, NAN]),
        ("a and b or not a", [1, 0, NAN, 1, 1, 1, NAN, NAN, NAN]),
    ],
)
def test_kleene_logic(text: str, expected: list[float]) -> None:
    context = ParseContext(columns=frozenset({"a", "b"}))
    expression = compile_expression(text, context)
    data = {"a": KLEENE_A, "b": KLEENE_B}
    same(expression.evaluate(data, 9), expected)
    pairs = zip(KLEENE_A, KLEENE_B, strict=True)
    reference = evaluate_rowwise(expression, [{"a": float(a), "b": float(b)} for a, b in pairs])
    same(np.array(reference), expected)


def test_truthiness_of_numbers_and_infinity() -> None:
    # non-zero is true; an infinite value is missing, so its truth is unknown
    same(run("x and True"), [1, 1, 0, NAN, NAN, 1])
    same(run("x or False"), [1, 1, 0, NAN, NAN, 1])
    same(run("not x"), [0, 0, 1, NAN, NAN, 0])


def test_boolean_column() -> None:
    same(run("listed"), [1, 0, 1, 1, 0, 1])
    same(run("not listed"), [0, 1, 0, 0, 1, 0])
    same(run("listed and pe_forward < 30"), [1, 0, NAN, 0, 0, 1])


def test_membership_numbers() -> None:
    same(run("y in [1, 2]"), [1, 1, 0, 1, 1, NAN])
    same(run("y not in (1, 2)"), [0, 0, 1, 0, 0, NAN])
    same(run("x in [-2, 0.5]"), [0, 1, 0, NAN, NAN, 1])
    same(run("x in []"), [0, 0, 0, NAN, NAN, 0])
    many = "[" + ", ".join(str(i) for i in range(-3, 20)) + "]"
    same(run(f"x in {many}"), [1, 1, 1, NAN, NAN, 0])


def test_membership_and_equality_of_text_with_missing_values() -> None:
    same(run('country in ["KR", "TW"]'), [1, 1, NAN, 0, 1, 0])
    same(run('country not in ["KR", "TW"]'), [0, 0, NAN, 1, 0, 1])
    same(run('country == "KR"'), [1, 0, NAN, 0, 1, 0])
    same(run('"KR" != country'), [0, 1, NAN, 1, 0, 1])
    same(run('country == "XX"'), [0, 0, NAN, 0, 0, 0])
    same(run("country == currency"), [0, 0, NAN, NAN, 0, 0])
    # unknown and false is false
    same(run('country in ["KR"] and not is_missing(pe_forward)'), [1, 0, 0, 0, 1, 0])


def test_text_column_passed_as_all_nan_floats_is_missing() -> None:
    # the screen passes a column absent from the frame as all-NaN floats
    expression = compile_expression('country == "KR" or is_missing(country)', CONTEXT)
    data = {**DATA, "country": np.full(N, NAN)}
    same(expression.evaluate(data, N), [1.0] * N)
    data = {**DATA, "country": np.array(["KR", 3, NAN, None, "KR", "TW"], dtype=object)}
    same(expression.evaluate(data, N), [1, 1, 1, 1, 1, 0])


def test_if_else() -> None:
    same(run("x if y > 1 else z"), [1.0, -2.0, 0.5, 0.5, 0.5, NAN])
    same(run("1 if x > 0 else 0"), [1, 0, 0, NAN, NAN, 1])
    same(run("y if listed else -y"), [2.0, -2.0, 0.0, 1.0, -1.0, NAN])
    same(run("(x if listed else y) if z else 7"), [1.0, 2.0, 0.0, NAN, 1.0, 0.5])


# -- functions ----------------------------------------------------------------


def test_min_max_are_elementwise_and_propagate_missing() -> None:
    same(run("min(x, y)"), [1.0, -2.0, 0.0, NAN, NAN, NAN])
    same(run("max(x, y, z)"), [2.0, 2.0, 0.5, NAN, NAN, NAN])
    same(run("min(x, 5)"), [1.0, -2.0, 0.0, NAN, NAN, 0.5])  # not 5 where x is inf
    same(run("max(0, z, 0.25)"), [0.5] * 6)


def test_abs_log_sqrt() -> None:
    same(run("abs(x)"), [1.0, 2.0, 0.0, NAN, NAN, 0.5])
    same(run("log(y)"), [math.log(2), math.log(2), NAN, 0.0, 0.0, NAN])
    same(run("log(x)"), [0.0, NAN, NAN, NAN, NAN, math.log(0.5)])
    same(run("sqrt(x)"), [1.0, NAN, 0.0, NAN, NAN, math.sqrt(0.5)])
    same(
        run("log(1 + fill(market_cap_usd, 0) / 1e9)"),
        [math.log(2), 0.0, math.log(51), math.log(2001), 0.0, math.log(1.1)],
    )


def test_clip() -> None:
    same(run("clip((pe_forward - 25) / 25, 0, 2)"), [0.0, 0.6, NAN, 1.4, 0.0, 0.0])
    same(run("clip(x, -1, 0.75)"), [0.75, -1.0, 0.0, NAN, NAN, 0.5])
    same(run("clip(0.25, z, y)"), [0.5, 0.5, 0.0, 0.5, 0.5, NAN])  # lo and hi as columns


def test_pct_rank_averages_ties_and_keeps_missing() -> None:
    # finite y: 2, 2, 0, 1, 1 -> ranks 4.5, 4.5, 1, 2.5, 2.5 of 5
    same(run("pct_rank(y)"), [0.9, 0.9, 0.2, 0.5, 0.5, NAN])
    # inf counts as missing: finite x are 1, -2, 0, 0.5
    same(run("pct_rank(x)"), [1.0, 0.25, 0.5, NAN, NAN, 0.75])
    same(run("pct_rank(z)"), [7 / 12] * 6)
    same(run("pct_rank(-0.0 * z)"), [7 / 12] * 6)  # -0.0 and 0.0 tie


def test_pct_rank_is_computed_over_the_whole_frame_inside_if_else() -> None:
    same(
        run("pct_rank(exposure_grid) if exposure_grid > 0 else 0"),
        [0.0, 4.5 / 6, 3 / 6, 4.5 / 6, 0.0, 1.0],
    )


def test_pct_rank_of_large_frames_matches_a_sort() -> None:
    rng = np.random.default_rng(7)
    values = np.round(rng.normal(size=5000), 2)  # many ties, negatives and zeros
    values[::37] = NAN
    values[5] = -0.0
    context = ParseContext(columns=frozenset({"v"}))
    ranks = compile_expression("pct_rank(v)", context).evaluate({"v": values}, values.size)
    finite = values[np.isfinite(values)]
    below_count = np.searchsorted(np.sort(finite), finite, side="left")
    equal_count = np.searchsorted(np.sort(finite), finite, side="right") - below_count
    expected = (below_count + (equal_count + 1) / 2) / finite.size
    np.testing.assert_allclose(ranks[np.isfinite(values)], expected, rtol=1e-12)
    assert np.isnan(ranks[~np.isfinite(values)]).all()


def test_zscore() -> None:
    finite = np.array([2.0, 2.0, 0.0, 1.0, 1.0])
    expected = (finite - finite.mean()) / finite.std()
    same(run("zscore(y)"), [*expected, NAN])
    same(run("zscore(z)"), [0.0] * 6)  # std 0
    same(run("zscore(x / 0)"), [NAN] * 6)  # nothing finite


def test_is_missing_never_missing() -> None:
    same(run("is_missing(x)"), [0, 0, 0, 1, 1, 0])
    same(run("is_missing(x / y)"), [0, 0, 1, 1, 1, 1])
    same(run("is_missing(country)"), [0, 0, 1, 0, 0, 0])
    same(run("is_missing(1)"), [0] * 6)


def test_fill() -> None:
    same(run("fill(x, 0)"), [1.0, -2.0, 0.0, 0.0, 0.0, 0.5])
    same(run("fill(x, y)"), [1.0, -2.0, 0.0, 1.0, 1.0, 0.5])
    same(run("fill(y, x)"), [2.0, 2.0, 0.0, 1.0, 1.0, 0.5])
    same(run("fill(y, 1 / 0)"), [2.0, 2.0, 0.0, 1.0, 1.0, NAN])
    same(run("fill(2, x)"), [2.0] * 6)


def test_every_function_is_documented_and_tested_here() -> None:
    assert set(FUNCTIONS) == {
        "exposure", "exposure_below", "exposure_favoured", "ai_exposure", "ai_exposure_below",
        "ai_exposure_favoured", "forward_exposure", "forward_exposure_favoured",
        "sales_to", "customers_in", "min", "max", "abs", "log", "sqrt", "clip",
        "pct_rank", "zscore", "is_missing", "fill",
    }
    for name, spec in FUNCTIONS.items():
        assert spec.name == name
        assert spec.doc
        assert "\n" not in spec.doc
        assert spec.signature.startswith(name + "(")
        assert spec.min_args >= 1
        assert (spec.impl is None) == spec.parse_time


# -- exposure() and exposure_below() --------------------------------------------


def test_exposure_reads_the_layer_column() -> None:
    expression = compile_expression('exposure("hbm") + exposure("packaging")', CONTEXT)
    assert expression.columns == {"exposure_hbm", "exposure_packaging"}
    same(run('exposure("hbm") + exposure("packaging")'), [0.0, 0.6, 0.5, 0.0, NAN, 0.7])


def test_exposure_below_sums_the_layers_below() -> None:
    expression = compile_expression('exposure_below("accelerators", 1)', CONTEXT)
    assert expression.columns == {"exposure_hbm", "exposure_packaging"}
    assert expression.tree == LayerSum(("exposure_hbm", "exposure_packaging"))
    same(run('exposure_below("accelerators", 1)'), [0.0, 0.6, 0.5, 0.0, NAN, 0.7])
    assert compile_expression('exposure_below("accelerators", 2)', CONTEXT).tree == Column(
        "exposure_power"
    )


@pytest.mark.parametrize(("text", "columns"), [
    ('ai_exposure("hbm")', {"ai_exposure_hbm"}),
    ('forward_exposure("power")', {"forward_exposure_power"}),
    ('sales_to("accelerators")', {"sales_to_accelerators"}),
    ('customers_in("hbm")', {"customers_in_hbm"}),
    ('ai_exposure_below("accelerators", 1)', {"ai_exposure_hbm", "ai_exposure_packaging"}),
    ('ai_exposure_below("accelerators", 2)', {"ai_exposure_power"}),
])
def test_layer_functions_resolve_to_their_column_family(text: str, columns: set[str]) -> None:
    assert compile_expression(text, CONTEXT).columns == columns


@pytest.mark.parametrize(("text", "words"), [
    ('ai_exposure("hmb")', "unknown layer 'hmb'"),
    ('sales_to(hbm)', "the layer of sales_to() must be a string literal"),
    ('ai_exposure_below("hbm", 0)', "the depth of ai_exposure_below() must be a whole number"),
    ('forward_exposure("power", 1)', "forward_exposure() takes exactly 1 argument"),
])
def test_layer_function_mistakes_name_the_function(text: str, words: str) -> None:
    assert any(words in p.message for p in problems_of(text, CONTEXT)), problems_of(text, CONTEXT)


def test_exposure_below_nothing_is_zero() -> None:
    expression = compile_expression('exposure_below("hbm", 1)', CONTEXT)
    assert expression.columns == frozenset()
    same(run('exposure_below("hbm", 1) + 1'), [1.0] * 6)


def test_exposure_without_layer_list_uses_the_columns() -> None:
    context = ParseContext(columns=frozenset({"exposure_hbm", "x"}))
    assert compile_expression('exposure("hbm")', context).columns == {"exposure_hbm"}
    (problem,) = problems_of('exposure("hmb")', context)
    assert problem.hint is not None
    assert "'hbm'" in problem.hint


def test_exposure_below_needs_a_chain() -> None:
    context = dataclasses.replace(CONTEXT, below=None)
    (problem,) = problems_of('exposure_below("accelerators", 1)', context)
    assert "supply chain" in problem.message
    assert problem.position == 1


def test_exposure_below_reports_chain_errors() -> None:
    def broken(layer: str, depth: int) -> list[str]:
        raise ChainError(f"layer {layer!r} is not connected")

    context = dataclasses.replace(CONTEXT, below=broken)
    (problem,) = problems_of('exposure_below("grid", 1)', context)
    assert "not connected" in problem.message
    assert problem.position == 16


@pytest.mark.parametrize(
    ("text", "words", "position"),
    [
        ('exposure("hmb")', "unknown layer 'hmb'", 10),
        ("exposure(hbm)", "string literal", 10),
        ('exposure("hbm", 1)', "exactly 1 argument", 1),
        ('exposure_below("hbm")', "exactly 2 arguments", 1),
        ('exposure_below("hbm", 0)', "whole number >= 1", 23),
        ('exposure_below("hbm", 1.5)', "whole number >= 1", 23),
        ('exposure_below("hbm", True)', "whole number >= 1", 23),
        ('exposure_below("hbm", x)', "whole number >= 1", 23),
        ('exposure_below("hbx", 1)', "unknown layer 'hbx'", 16),
    ],
)
def test_exposure_argument_errors(text: str, words: str, position: int) -> None:
    problems = problems_of(text)
    assert any(words in p.message and p.position == position for p in problems), problems


# -- constant folding ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2 * 3", 6.0),
        ("2 * 3 + 1", 7.0),
        ("-(4 ** 0.5)", -2.0),
        ("1 < 2 <= 2", 1.0),
        ('"a" == "a"', 1.0),
        ('"KR" in ["KR", "TW"]', 1.0),
        ("True and not False", 1.0),
        ("max(1, 2, 3) if 0 else clip(5, 0, 2)", 2.0),
        ("is_missing(1 / 0)", 1.0),
        ("fill(log(0), 3)", 3.0),
    ],
)
def test_constant_folding(text: str, value: float) -> None:
    expression = compile_expression(text, CONTEXT)
    assert expression.tree == Const(value)
    assert expression.columns == frozenset()
    same(expression.evaluate({}, 3), [value] * 3)


def test_folded_missing_constant() -> None:
    tree = compile_expression("log(0)", CONTEXT).tree
    assert isinstance(tree, Const)
    assert isinstance(tree.value, float)
    assert math.isnan(tree.value)
    same(run("x + log(0)"), [NAN] * 6)


def test_folding_stops_at_columns_and_cross_sectional_functions() -> None:
    tree = compile_expression("x * (2 + 3)", CONTEXT).tree
    assert Const(5.0) in tree.children()
    assert isinstance(compile_expression("pct_rank(1 + 1)", CONTEXT).tree, Call)
    same(run("pct_rank(1 + 1)"), [3.5 / 6] * 6)


def test_huge_powers_fold_quickly_to_missing() -> None:
    tree = compile_expression("10 ** 10 ** 10", CONTEXT).tree
    assert isinstance(tree, Const)
    assert math.isnan(float(tree.value))


# -- the Expression object and evaluate() ---------------------------------------


def test_expression_object() -> None:
    text = "clip((pe_forward - 25) / 25, 0, 2)"
    expression = compile_expression(text, CONTEXT)
    assert isinstance(expression, Expression)
    assert expression.text == text
    assert str(expression) == text
    assert repr(expression) == f"Expression({text!r})"
    assert expression.columns == {"pe_forward"}
    assert expression == compile_expression(text, CONTEXT)
    assert hash(expression) == hash(compile_expression(text, CONTEXT))
    with pytest.raises(dataclasses.FrozenInstanceError):
        expression.text = "x"  # type: ignore[misc]


def test_evaluate_returns_a_new_array_and_leaves_inputs_alone() -> None:
    data = {name: values.copy() for name, values in DATA.items()}
    for text in ["x", "+y", "pct_rank(y)", "-x", "fill(x, 0)", "x if listed else y"]:
        expression = compile_expression(text, CONTEXT)
        cache: dict[object, np.ndarray] = {}
        first = expression.evaluate(data, N, cache)
        first[:] = 99.0
        second = expression.evaluate(data, N, cache)
        assert not (second == 99.0).any(), text
        for name, values in DATA.items():
            np.testing.assert_array_equal(data[name], values)


def test_shared_cache_computes_each_cross_sectional_term_once() -> None:
    texts = [
        "pct_rank(y)",
        "pct_rank(y) * 2",
        "pct_rank(y) if x > 0 else zscore(y)",
        "zscore(y) + pct_rank(x)",
        "x + y",
        "x if listed else -y",
        "clip(x, 0, y) * 3",
    ]
    cache: dict[object, np.ndarray] = {}
    shared = [compile_expression(t, CONTEXT).evaluate(DATA, N, cache) for t in texts]
    alone = [compile_expression(t, CONTEXT).evaluate(DATA, N) for t in texts]
    for a, b in zip(shared, alone, strict=True):
        np.testing.assert_array_equal(a, b)
    names = [key[0] for key in cache if isinstance(key, tuple) and key[0] in FUNCTIONS]
    assert sorted(names) == ["pct_rank", "pct_rank", "zscore"]  # y, x for pct_rank; y zscore
    again = [compile_expression(t, CONTEXT).evaluate(DATA, N, cache) for t in texts]
    for a, b in zip(again, alone, strict=True):
        np.testing.assert_array_equal(a, b)


def test_evaluate_reports_bad_data() -> None:
    expression = compile_expression("x + y", CONTEXT)
    with pytest.raises(ScreenError, match="'y' is missing"):
        expression.evaluate({"x": DATA["x"]}, N)
    with pytest.raises(ScreenError, match="shape"):
        expression.evaluate({"x": DATA["x"], "y": np.zeros(3)}, N)
    with pytest.raises(ScreenError, match="does not hold numbers"):
        expression.evaluate({"x": DATA["x"], "y": np.array(["a"] * N, dtype=object)}, N)


def test_integer_and_boolean_arrays_are_accepted() -> None:
    expression = compile_expression("x + y", CONTEXT)
    result = expression.evaluate({"x": np.arange(3), "y": np.array([True, False, True])}, 3)
    same(result, [1.0, 1.0, 3.0])


def test_empty_frame() -> None:
    for text in ["x + 1", "pct_rank(x)", "zscore(x)", "x if y else z", "2"]:
        result = compile_expression(text, CONTEXT).evaluate(
            {name: values[:0] for name, values in DATA.items()}, 0
        )
        assert result.shape == (0,)


# -- parse-time errors ----------------------------------------------------------


def test_unknown_name_position_and_hint() -> None:
    with pytest.raises(ExpressionError) as raised:
        compile_expression("exposure_hbm + exposre_packaging", CONTEXT)
    error = raised.value
    assert isinstance(error, ThesisError)
    assert error.position == 16
    assert error.field == "expression"
    assert error.hint is not None
    assert "exposure_packaging" in error.hint
    assert "exposre_packaging" in str(error)


def test_unknown_function_hint() -> None:
    (problem,) = problems_of("clamp(x, 0, 1)")
    assert "not an allowed function" in problem.message
    assert problem.hint is not None
    assert "'clip'" in problem.hint
    (problem,) = problems_of("pct_rnk(x)")
    assert problem.hint == "did you mean 'pct_rank'?"


def test_function_used_as_a_name() -> None:
    (problem,) = problems_of("log + 1")
    assert "is a function" in problem.message
    assert problem.hint == "call it: log(x)"


@pytest.mark.parametrize(
    ("text", "words", "position"),
    [
        ("country + 1", "arithmetic ('+') on text", 1),
        ('x * "a"', "arithmetic ('*') on text", 1),
        ('"a" + "b"', "arithmetic ('+') on text", 1),
        ("-country", "unary '-' needs a number", 1),
        ("country > 3", "cannot compare text with a number", 1),
        ("3 == country", "cannot compare text with a number", 6),
        ('x == "KR"', "cannot compare text with a number", 6),
        ('country < "KR"', "only be compared with '==' or '!='", 1),
        ('country in ["KR", 1]', "mixes text and numbers", 12),
        ("country in [1, 2]", "cannot look for text", 1),
        ('x in ["KR"]', "cannot look for a number", 1),
        ("x in [y]", "literal numbers or strings", 7),
        ("x in y", "needs a list of literals", 6),
        ("x in [1] in [2]", "cannot be chained", 1),
        ("country and x", "'and' needs numbers or booleans", 1),
        ("not country", "'not' needs a number", 1),
        ("x if country else y", "condition of 'if' cannot be text", 6),
        ("country if x else currency", "both branches", 1),
        ("country", "gives text", 1),
        ("log(country)", "needs numbers, not text", 5),
        ("min(x)", "2 or more arguments, got 1", 1),
        ("clip(x, 1)", "exactly 3 arguments, got 2", 1),
        ("clip(x, lo=0, hi=1)", "no keyword arguments", 12),
        ("x is None", "'is' is not supported", 1),
        ("None", "None is not allowed", 1),
        ("x // 2", "'//' is not supported", 1),
        ("x & y", "bitwise '&'", 1),
        ("~x", "bitwise '~'", 1),
        ("x @ y", "'@' is not supported", 1),
        ("1e999 + x", "too large", 1),
        ("9" * 400, "too large", 1),
        ("b'abc' == x", "bytes literals", 1),
        ("_x + 1", "starting with '_'", 1),
        ("{1: 2}", "dicts are not allowed", 1),
        ("{1, 2}", "sets are not allowed", 1),
        ("[1, 2]", "lists are only allowed after 'in'", 1),
        ("", "empty", None),
        ("   ", "empty", None),
        ("x +", "syntax error", 4),
        ("x = 1", "syntax error", 3),
        ("x + * y", "syntax error", 5),
        ('"abc', "unterminated string", 1),
        ('country == "\\d"', "invalid escape sequence", 12),
    ],
)
def test_parse_errors(text: str, words: str, position: int | None) -> None:
    problems = problems_of(text)
    assert any(words in p.message for p in problems), problems
    assert all(p.field == "expression" for p in problems)
    assert problems[0].position == position, problems


def test_positions_count_characters_not_bytes() -> None:
    (problem,) = problems_of('country == "Köln" and foo')
    assert problem.position == 23


def test_multi_line_positions_name_the_line() -> None:
    (problem,) = problems_of("(x +\n  y +\n  bogus)")
    assert problem.position == 3
    assert "line 3" in problem.message
    (problem,) = problems_of("(x +\n  y +)")
    assert problem.message.startswith("line 2: syntax error")


def test_check_expression_collects_every_problem() -> None:
    text = 'exposre_hbm + log(country) + exposure("hmb") + clip(x) + y.real'
    problems = check_expression(text, CONTEXT)
    assert len(problems) == 5
    messages = " | ".join(p.message for p in problems)
    for words in [
        "unknown name 'exposre_hbm'",
        "log() needs numbers",
        "unknown layer 'hmb'",
        "clip() takes exactly 3",
        "attribute access",
    ]:
        assert words in messages
    assert [p.position for p in problems] == [1, 19, 39, 48, 58]
    with pytest.raises(ExpressionError) as raised:
        compile_expression(text, CONTEXT)
    assert len(raised.value.problems) == 5
    assert str(raised.value).startswith("5 problems:")


def test_check_expression_is_empty_for_valid_text() -> None:
    for text in [
        'exposure("hbm") + exposure("packaging")',
        'exposure_below("accelerators", 1)',
        "clip((pe_forward - 25) / 25, 0, 2)",
        "listed",
        "0.1 < exposure_hbm <= 0.6",
        'country in ["KR", "TW"] and not is_missing(pe_forward)',
        "pct_rank(exposure_grid) if exposure_grid > 0 else 0",
        "log(1 + fill(market_cap_usd, 0) / 1e9)",
        "(x +\n y)",
    ]:
        assert check_expression(text, CONTEXT) == [], text
