"""Hostile expressions are rejected at parse time, and nothing in them ever runs."""

from __future__ import annotations

import ast
import builtins
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from thesis_lib.errors import ExpressionError, ThesisError
from thesis_lib.rules.expression import ParseContext, check_expression, compile_expression

CONTEXT = ParseContext(
    columns=frozenset({"exposure_hbm", "x", "y", "country"}),
    string_columns=frozenset({"country"}),
    layers=("hbm",),
)

HOSTILE = [
    "__import__('os').system('x')",
    "__import__('this')",
    "().__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "exposure_hbm.__class__",
    "x.real",
    "open('f')",
    "[x for x in y]",
    "{x: 1 for x in y}",
    "(x for x in y)",
    "lambda: 1",
    "(lambda: 1)()",
    "x[0]",
    "x[1:2]",
    'f"{x}"',
    "exposure_hbm := 1",
    "(exposure_hbm := 1)",
    'eval("1")',
    "exec('import os')",
    "compile('1', 'f', 'eval')",
    "getattr(x, 'y')",
    "globals()",
    "vars()",
    "__builtins__",
    "_",
    "min(*x)",
    "min(**x)",
    "clip(x, lo=0, hi=1)",
    "exposure_hbm if __import__('os') else 1",
    "exposure('hbm').real",
    "'%s' % x",
    "'a' * 1000000000",
    "[1] * 1000000000",
    "await x",
    "(yield x)",
    "x if (y := 2) else 1",
    "print(x)",
    "type(x)",
    "...",
    "1j",
    "x is not None",
    "{'a'}",
    "-" * 1998 + "x",
    "not " * 450 + "x",
    "(" * 300 + "x" + ")" * 300,
    "(" * 10_000 + "1" + ")" * 10_000,
    "[" * 10_000,
    "x" + " + x" * 70,
    "min(" * 100 + "x" + ", x)" * 100,
    '"' + "a" * 100_000 + '"',
    "a" * 100_000,
    "1" * 100_000,
    "exposure_hbm\x00",
    "\x00",
    "x + '\x00'",
    "\ud800",
    "x + '\ud800'",
    "9" * 1500,
    "1e400",
    "x\n+ 1",
    "x; import os",
    "import os",
    "x if y",
]


@pytest.fixture
def spies(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """Record every call of eval/exec/open and every compile that is not AST-only."""
    calls: list[str] = []
    real_compile = builtins.compile

    def spy(name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise AssertionError(f"{name} was called")

        return record

    def checked_compile(source: Any, filename: Any, mode: str, flags: int = 0, *a: Any,
                        **k: Any) -> Any:
        if not flags & ast.PyCF_ONLY_AST:
            calls.append("compile")
            raise AssertionError("compile to code was called")
        return real_compile(source, filename, mode, flags, *a, **k)

    monkeypatch.setattr(builtins, "eval", spy("eval"))
    monkeypatch.setattr(builtins, "exec", spy("exec"))
    monkeypatch.setattr(builtins, "open", spy("open"))
    monkeypatch.setattr(builtins, "compile", checked_compile)
    monkeypatch.chdir(tmp_path)
    return calls


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:40]))
def test_hostile_text_is_rejected_without_running_anything(
    text: str, spies: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    had_this = "this" in sys.modules
    with pytest.raises(ExpressionError) as raised:
        compile_expression(text, CONTEXT)
    assert isinstance(raised.value, ThesisError)
    problems = raised.value.problems
    assert problems
    assert all(p.field == "expression" for p in problems)
    assert check_expression(text, CONTEXT) == list(problems)
    assert spies == []
    assert ("this" in sys.modules) == had_this  # nothing got imported
    assert capsys.readouterr().out == ""
    assert list(Path.cwd().iterdir()) == []  # nothing got written


@pytest.mark.parametrize("text", [None, b"x", 3, ["x"]])
def test_non_text_is_rejected(text: Any) -> None:
    with pytest.raises(ExpressionError, match="must be text"):
        compile_expression(text, CONTEXT)


def test_limits_are_reported_with_a_reason() -> None:
    with pytest.raises(ExpressionError, match="too long"):
        compile_expression("x + " * 600 + "x", CONTEXT)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        compile_expression("-" * 100 + "x", CONTEXT)
    with pytest.raises(ExpressionError, match="null byte") as raised:
        compile_expression("x + \x00", CONTEXT)
    assert raised.value.position == 5


def test_limits_leave_room_for_real_rules() -> None:
    text = " + ".join(f"min(x, {i})" for i in range(40))  # 40 terms, depth 41
    assert check_expression(text, CONTEXT) == []
    assert check_expression("-" * 60 + "x", CONTEXT) == []


def test_valid_expressions_evaluate_without_eval_or_exec(spies: list[str]) -> None:
    n = 4
    data = {
        "exposure_hbm": np.array([0.1, 0.5, np.nan, 0.7]),
        "x": np.array([1.0, 2.0, 3.0, 4.0]),
        "y": np.array([0.0, 1.0, np.inf, -1.0]),
        "country": np.array(["KR", None, "TW", "US"], dtype=object),
    }
    for text in [
        'exposure("hbm") * 2 if country in ["KR", "TW"] else pct_rank(x)',
        "zscore(y) + clip(x / y, 0, 1) - fill(exposure_hbm, 0) ** 2 % 3",
        "not (x > 1 or y < 0) and is_missing(country)",
    ]:
        result = compile_expression(text, CONTEXT).evaluate(data, n)
        assert result.shape == (n,)
    assert spies == []
