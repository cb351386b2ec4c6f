"""A plain-Python, one-row-at-a-time reference evaluator for rule expressions.

It walks the same checked tree as :meth:`Expression.evaluate` and gives the
same results, but computes every value of every row with Python floats and
the :mod:`math` module. It exists to check the vectorized evaluator (property
tests compare the two) and to measure how much faster that one is; never use
it for screening.

Its semantics are written in the simplest form: every number that is not
finite is replaced by NaN (missing) as soon as it is computed. Cross-sectional
functions (``pct_rank``, ``zscore``) first compute their argument for every
row, then their statistics over all rows, then pick each row's value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from thesis_lib.errors import ScreenError
from thesis_lib.rules.expression import (
    Binary,
    Call,
    Column,
    Compare,
    Const,
    Expression,
    IfElse,
    LayerSum,
    Logic,
    Member,
    Node,
    Unary,
)

__all__ = ["evaluate_rowwise"]

_NAN = math.nan
_Cell = float | str | None
_Truth = bool | None  # None = unknown


def evaluate_rowwise(expression: Expression, rows: Sequence[Mapping[str, object]]) -> list[float]:
    """Evaluate ``expression`` on each row in turn; ``float('nan')`` where missing.

    Each row maps column names to a number, a bool, a string or ``None``.
    """
    walker = _Walker(rows)
    return [_number(walker.value(expression.tree, i)) for i in range(len(rows))]


def _clean(x: float) -> float:
    return x if math.isfinite(x) else _NAN


def _number(value: _Cell) -> float:
    if isinstance(value, float):
        return _clean(value)
    raise ScreenError(f"expected a number, got {value!r}")  # pragma: no cover


def _missing_text(value: object) -> bool:
    """Text is missing unless it is a string (``None``, NaN, or anything else)."""
    return not isinstance(value, str)


def _truth(x: float) -> _Truth:
    return None if math.isnan(x) else x != 0.0


def _from_truth(t: _Truth) -> float:
    return _NAN if t is None else (1.0 if t else 0.0)


def _and(a: _Truth, b: _Truth) -> _Truth:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def _or(a: _Truth, b: _Truth) -> _Truth:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def _compare(op: str, a: _Cell, b: _Cell) -> _Truth:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return None
    elif _missing_text(a) or _missing_text(b):
        return None
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    x, y = float(a), float(b)  # type: ignore[arg-type]
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    return x >= y


def _arithmetic(op: str, a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return _NAN
    if op == "+":
        return _clean(a + b)
    if op == "-":
        return _clean(a - b)
    if op == "*":
        return _clean(a * b)
    if op == "/":
        return _NAN if b == 0.0 else _clean(a / b)
    if op == "%":
        return _NAN if b == 0.0 else _clean(a % b)
    try:
        return _clean(math.pow(a, b))
    except (ValueError, OverflowError):
        return _NAN


def _pct_rank(values: list[float]) -> list[float]:
    valid = sorted((x, i) for i, x in enumerate(values) if not math.isnan(x))
    k = len(valid)
    out = [_NAN] * len(values)
    start = 0
    while start < k:
        end = start
        while end < k and valid[end][0] == valid[start][0]:
            end += 1
        rank = (start + end + 1) / (2.0 * k)
        for _, i in valid[start:end]:
            out[i] = rank
        start = end
    return out


def _zscore(values: list[float]) -> list[float]:
    valid = [x for x in values if not math.isnan(x)]
    if not valid:
        return [_NAN] * len(values)
    if max(valid) == min(valid):
        return [_NAN if math.isnan(x) else 0.0 for x in values]
    mean = sum(valid) / len(valid)
    std = math.sqrt(sum((x - mean) * (x - mean) for x in valid) / len(valid))
    if not math.isfinite(std):
        return [_NAN] * len(values)
    if std == 0.0:
        return [_NAN if math.isnan(x) else 0.0 for x in values]
    return [_NAN if math.isnan(x) else (x - mean) / std for x in values]


def _call(name: str, args: list[_Cell]) -> float:
    if name == "is_missing":
        arg = args[0]
        if isinstance(arg, float):
            return 1.0 if math.isnan(arg) else 0.0
        return 1.0 if _missing_text(arg) else 0.0
    numbers = [_number(arg) for arg in args]
    if name == "fill":
        return numbers[1] if math.isnan(numbers[0]) else numbers[0]
    if any(math.isnan(x) for x in numbers):
        return _NAN
    x = numbers[0]
    if name == "min":
        return min(numbers)
    if name == "max":
        return max(numbers)
    if name == "abs":
        return abs(x)
    if name == "log":
        return math.log(x) if x > 0.0 else _NAN
    if name == "sqrt":
        return math.sqrt(x) if x >= 0.0 else _NAN
    if name == "clip":
        return min(max(x, numbers[1]), numbers[2])
    raise ScreenError(f"the reference evaluator does not know {name}()")  # pragma: no cover


class _Walker:
    def __init__(self, rows: Sequence[Mapping[str, object]]) -> None:
        self.rows = rows
        self.columns: dict[Node, list[float]] = {}

    def value(self, node: Node, i: int) -> _Cell:
        if isinstance(node, Const):
            return node.value
        if isinstance(node, Column):
            return self._cell(node, i)
        if isinstance(node, LayerSum):
            total = self._read(node.columns[0], i)
            for name in node.columns[1:]:
                total = _arithmetic("+", total, self._read(name, i))
            return total
        if isinstance(node, Unary):
            x = self.number(node.operand, i)
            if node.op == "-":
                return -x
            if node.op == "+":
                return x
            t = _truth(x)
            return _from_truth(None if t is None else not t)
        if isinstance(node, Binary):
            return _arithmetic(node.op, self.number(node.left, i), self.number(node.right, i))
        if isinstance(node, Compare):
            values = [self.value(operand, i) for operand in node.operands]
            result: _Truth = True
            for k, op in enumerate(node.ops):
                result = _and(result, _compare(op, values[k], values[k + 1]))
            return _from_truth(result)
        if isinstance(node, Logic):
            combine = _and if node.op == "and" else _or
            truth: _Truth = _truth(self.number(node.operands[0], i))
            for operand in node.operands[1:]:
                truth = combine(truth, _truth(self.number(operand, i)))
            return _from_truth(truth)
        if isinstance(node, Member):
            cell = self.value(node.operand, i)
            if node.operand.kind == "text" and _missing_text(cell):
                return _NAN
            if isinstance(cell, float) and math.isnan(cell):
                return _NAN
            found = any(cell == value for value in node.values)
            return 1.0 if found != node.negated else 0.0
        if isinstance(node, IfElse):
            cond = _truth(self.number(node.cond, i))
            if cond is None:
                return _NAN
            return self.number(node.then if cond else node.orelse, i)
        if isinstance(node, Call):
            if node.name in ("pct_rank", "zscore"):
                return self._cross_sectional(node)[i]
            return _call(node.name, [self.value(arg, i) for arg in node.args])
        raise ScreenError(f"unknown node {node!r}")  # pragma: no cover

    def number(self, node: Node, i: int) -> float:
        return _number(self.value(node, i))

    def _cross_sectional(self, node: Call) -> list[float]:
        known = self.columns.get(node)
        if known is None:
            values = [self.number(node.args[0], i) for i in range(len(self.rows))]
            known = _pct_rank(values) if node.name == "pct_rank" else _zscore(values)
            self.columns[node] = known
        return known

    def _raw(self, name: str, i: int) -> object:
        try:
            return self.rows[i][name]
        except KeyError:
            raise ScreenError(f"row {i} has no column {name!r}", field=name) from None

    def _read(self, name: str, i: int) -> float:
        raw = self._raw(name, i)
        if raw is None:
            return _NAN
        if isinstance(raw, (bool, int, float)):
            return _clean(float(raw))
        try:
            return _clean(float(raw))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ScreenError(f"column {name!r} does not hold a number: {raw!r}") from None

    def _cell(self, node: Column, i: int) -> _Cell:
        if not node.text:
            return self._read(node.name, i)
        raw = self._raw(node.name, i)
        return raw if isinstance(raw, str) else None
