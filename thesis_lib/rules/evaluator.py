"""Evaluating a checked expression tree on whole numpy columns."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from thesis_lib.errors import ScreenError
from thesis_lib.rules.functions import FUNCTIONS, FloatArray, Value, infinite_mask, set_where
from thesis_lib.rules.tree import (
    Binary,
    Call,
    Column,
    Compare,
    Const,
    IfElse,
    LayerSum,
    Logic,
    Member,
    Node,
    Unary,
)

_NAN = math.nan


# ---------------------------------------------------------------------------
# vectorized evaluation
#
# Every node gives a float64 array of length n, or a plain float for a
# constant. Arrays the evaluator allocated itself are "owned": the next
# operation may overwrite them in place, and spent ones go back to a small
# pool of scratch buffers (kept in the cache, if there is one, so a screening
# of many rules allocates little). Columns and cached results are never
# written to. Truth values inside and/or/not/if are encoded 1.0 (true),
# 0.0 (false), 0.5 (unknown), so Kleene 'and'/'or' are just min/max.

_UNKNOWN = 0.5
_POOL_SIZE = 8
_Mask: TypeAlias = "np.ndarray[Any, np.dtype[np.bool_]]"


@dataclass(frozen=True, slots=True)
class _Text:
    """A text column, factorized: ``codes[i]`` indexes the distinct values (-1 = missing).

    Anything that is not a string (``None``, NaN) counts as missing.
    """

    raw: np.ndarray[Any, Any]
    codes: np.ndarray[Any, Any]
    index: dict[str, int]

    @classmethod
    def build(cls, array: np.ndarray[Any, Any]) -> _Text:
        raw = np.asarray(array, dtype=object)
        codes, uniques = pd.factorize(raw)
        codes = np.asarray(codes)
        index: dict[str, int] = {}
        other: list[int] = []
        for i, value in enumerate(uniques.tolist()):
            if isinstance(value, str):
                index[value] = i
            else:
                other.append(i)
        if other:
            codes = np.where(np.isin(codes, other), -1, codes)
        return cls(raw, codes, index)

    def equals(self, value: str) -> _Mask:
        code = self.index.get(value)
        if code is None:
            return np.zeros(self.codes.shape, dtype=bool)
        return cast(_Mask, np.equal(self.codes, code))

    def missing(self) -> _Mask:
        return cast(_Mask, np.less(self.codes, 0))


_Val: TypeAlias = FloatArray | float | str | _Text

_COMPARE_UFUNCS: dict[str, np.ufunc] = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}
_ARITHMETIC: dict[str, np.ufunc] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.true_divide,
    "%": np.remainder,
    "**": np.power,
}


def _nonfinite(*values: Value) -> _Mask | bool:
    """Where any of ``values`` is missing or infinite (True/False: everywhere/nowhere)."""
    mask: _Mask | None = None
    for x in values:
        if isinstance(x, np.ndarray):
            finite = np.isfinite(x)
            if mask is None:
                mask = np.logical_not(finite, out=finite)
            else:
                np.logical_or(mask, np.logical_not(finite, out=finite), out=mask)
        elif not math.isfinite(x):
            return True
    return False if mask is None else mask


def _select(out: FloatArray, mask: _Mask, then: Value, orelse: Value, scratch: FloatArray) -> None:
    """``out = then where mask else orelse``, branch-free (bitwise on the float patterns).

    ``scratch`` is a spare buffer (not ``out``) for the bit mask.
    """
    bits = out.view(np.int64)
    select = np.negative(mask.view(np.int8), dtype=np.int64, out=scratch.view(np.int64))
    orelse_bits = _bits(orelse)
    np.bitwise_xor(_bits(then), orelse_bits, out=bits)
    np.bitwise_and(bits, select, out=bits)
    np.bitwise_xor(bits, orelse_bits, out=bits)


def _bits(x: Value) -> np.ndarray[Any, Any] | np.int64:
    if isinstance(x, np.ndarray):
        return x.view(np.int64)
    return np.float64(x).view(np.int64)


class _Evaluator:
    """Evaluates a checked tree on whole columns; one instance per evaluation."""

    __slots__ = ("cache", "data", "fold", "n", "owned", "pool")

    def __init__(
        self,
        data: Mapping[str, np.ndarray[Any, Any]],
        n: int,
        cache: dict[object, Any] | None,
        fold: bool = False,
    ) -> None:
        self.data = data
        self.n = n
        self.cache = cache
        self.fold = fold
        self.owned: dict[int, FloatArray] = {}
        pool: list[FloatArray] | None = None
        if cache is not None:
            pool = cache.get(("scratch", n))
            if pool is None:
                pool = cache[("scratch", n)] = []
        self.pool: list[FloatArray] = [] if pool is None else pool

    # -- buffers ------------------------------------------------------------

    def _new(self) -> FloatArray:
        buffer = self.pool.pop() if self.pool else np.empty(self.n)
        self.owned[id(buffer)] = buffer
        return buffer

    def _is_owned(self, x: object) -> bool:
        return isinstance(x, np.ndarray) and id(x) in self.owned

    def _out(self, x: object) -> FloatArray:
        """A buffer for a result computed from ``x``: ``x`` itself if owned, else a new one."""
        return cast(FloatArray, x) if self._is_owned(x) else self._new()

    def _release(self, keep: object, *values: object) -> None:
        """Give the owned ``values`` (other than ``keep``) back to the pool."""
        for x in values:
            if x is not keep and isinstance(x, np.ndarray) and id(x) in self.owned:
                del self.owned[id(x)]
                if len(self.pool) < _POOL_SIZE:
                    self.pool.append(x)

    def result(self, node: Node) -> FloatArray:
        """The final value of ``node``: a new float64 array, infinite values made NaN."""
        raw = self.value(node)
        if isinstance(raw, np.ndarray):
            if id(raw) in self.owned:
                result = self.owned.pop(id(raw))  # handed to the caller, out of the pool
            else:
                result = np.array(raw, dtype=np.float64)
            if not isinstance(node, Compare):  # a comparison gives 1, 0 or NaN only
                np.copyto(result, _NAN, where=np.isinf(result))
        elif isinstance(raw, float):
            result = np.full(self.n, raw if math.isfinite(raw) else _NAN)
        else:  # pragma: no cover - the checker rules out text results
            raise ScreenError("an expression gave text, not a number")
        self._release(None, *list(self.owned.values()))
        return result

    # -- inputs -------------------------------------------------------------

    def value(self, node: Node) -> _Val:
        return _VISIT[type(node)](self, node)

    def number(self, node: Node) -> Value:
        return cast(Value, _VISIT[type(node)](self, node))

    def column(self, name: str) -> FloatArray:
        cache = self.cache
        key = ("column", name, self.n)
        if cache is not None:
            hit = cache.get(key)
            if hit is not None:
                return cast(FloatArray, hit)
        array = self._raw(name)
        if array.dtype != np.float64:
            try:
                array = array.astype(np.float64)
            except (TypeError, ValueError) as error:
                raise ScreenError(
                    f"column {name!r} does not hold numbers ({array.dtype})",
                    field=name,
                    hint="pass numbers as float64 (NaN for missing) and booleans as bool",
                ) from error
        if cache is not None:
            cache[key] = array
            # The column lives as long as the cache, so its id stays its own; its missing
            # mask is worked out the first time a comparison needs it.
            cache.setdefault(("column masks", self.n), {})[id(array)] = None
        return array

    @property
    def _column_masks(self) -> dict[int, _Mask | bool | None] | None:
        if self.cache is None:
            return None
        masks: dict[int, _Mask | bool | None] | None = self.cache.get(("column masks", self.n))
        return masks

    def text(self, name: str) -> _Text:
        cache = self.cache
        key = ("text", name, self.n)
        if cache is not None:
            hit = cache.get(key)
            if hit is not None:
                return cast(_Text, hit)
        result = _Text.build(self._raw(name))
        if cache is not None:
            cache[key] = result
        return result

    def _raw(self, name: str) -> np.ndarray[Any, Any]:
        try:
            array = np.asarray(self.data[name])
        except KeyError:
            raise ScreenError(f"column {name!r} is missing from the data", field=name) from None
        if array.shape != (self.n,):
            raise ScreenError(
                f"column {name!r} has shape {array.shape}, expected ({self.n},)", field=name
            )
        return array

    # -- truth values -------------------------------------------------------

    def truth(self, node: Node) -> FloatArray:
        """``node`` as an owned array of truth values 1.0 / 0.0 / 0.5 (unknown)."""
        if isinstance(node, Compare):
            return self._compare3(node)
        if isinstance(node, Logic):
            return self._logic3(node)
        if isinstance(node, Unary) and node.op == "not":
            t = self.truth(node.operand)
            return np.subtract(1.0, t, out=t)
        x = self.number(node)
        if not isinstance(x, np.ndarray):
            out = self._new()
            out.fill(_UNKNOWN if not math.isfinite(x) else float(x != 0.0))
            return out
        unknown = np.isfinite(x)
        np.logical_not(unknown, out=unknown)
        nonzero = np.not_equal(x, 0.0)
        out = self._out(x)
        np.copyto(out, nonzero)
        np.copyto(out, _UNKNOWN, where=unknown)
        return out

    @staticmethod
    def _from3(t: FloatArray) -> FloatArray:
        np.copyto(t, _NAN, where=np.equal(t, _UNKNOWN))
        return t

    # -- node types ---------------------------------------------------------

    def _const(self, node: Const) -> _Val:
        if self.fold:  # constant folding works on one-row arrays
            if isinstance(node.value, str):
                return _Text.build(np.array([node.value], dtype=object))
            return np.full(self.n, node.value)
        return node.value

    def _column(self, node: Column) -> _Val:
        return self.text(node.name) if node.text else self.column(node.name)

    def _layer_sum(self, node: LayerSum) -> _Val:
        out = self._new()
        np.add(self.column(node.columns[0]), self.column(node.columns[1]), out=out)
        for name in node.columns[2:]:
            np.add(out, self.column(name), out=out)
        return out

    def _unary(self, node: Unary) -> _Val:
        if node.op == "not":
            return self._from3(self.truth(node))
        x = self.number(node.operand)
        if node.op == "+":
            return x
        return np.negative(x, out=self._out(x))

    def _binary(self, node: Binary) -> _Val:
        left = self.number(node.left)
        right = self.number(node.right)
        op = node.op
        bad: _Mask | bool = False
        if op == "/" or op == "%":  # x / inf and x % inf would hide a missing divisor
            bad = infinite_mask(right)
        elif op == "**":  # pow(1, nan) and pow(nan, 0) are 1 in IEEE arithmetic
            bad = _nonfinite(left, right)
        out = self._out(left) if self._is_owned(left) else self._out(right)
        _ARITHMETIC[op](left, right, out=out)
        set_where(out, bad, _NAN)
        self._release(out, left, right)
        return out

    def _compare(self, node: Compare) -> _Val:
        if len(node.ops) == 1:  # one link: write NaN for unknown directly
            a, b = self.value(node.operands[0]), self.value(node.operands[1])
            out = self._compare_pair(node.ops[0], a, b, unknown=_NAN)
            self._release(out, a, b)
            return out
        return self._from3(self._compare3(node))

    def _compare3(self, node: Compare) -> FloatArray:
        values = [self.value(operand) for operand in node.operands]
        combined: FloatArray | None = None
        for i, op in enumerate(node.ops):
            link = self._compare_pair(op, values[i], values[i + 1])
            if combined is None:
                combined = link
            else:  # a < b <= c is (a < b) and (b <= c)
                np.minimum(combined, link, out=combined)
                self._release(combined, link)
        self._release(combined, *values)
        return cast(FloatArray, combined)

    def _compare_pair(self, op: str, a: _Val, b: _Val, unknown: float = _UNKNOWN) -> FloatArray:
        """``a op b`` as 1.0 / 0.0, or ``unknown`` where either side is missing."""
        out = self._new()
        if isinstance(a, (_Text, str)) or isinstance(b, (_Text, str)):
            if isinstance(a, str):
                a, b = b, a
            if isinstance(a, _Text) and isinstance(b, str):
                equal, missing = a.equals(b), a.missing()
            elif isinstance(a, _Text) and isinstance(b, _Text):
                equal = np.asarray(a.raw == b.raw, dtype=bool)
                missing = np.logical_or(a.missing(), b.missing())
            else:  # pragma: no cover - ruled out by the checker
                raise ScreenError(f"cannot compare {a!r} with {b!r}")
            np.copyto(out, equal if op == "==" else np.logical_not(equal))
            np.copyto(out, unknown, where=missing)
            return out
        _COMPARE_UFUNCS[op](a, b, out=out)  # 1.0 / 0.0, written straight into the buffer
        set_where(out, self._nonfinite(a, b), unknown)
        return out

    def _nonfinite(self, a: Value, b: Value) -> _Mask | bool:
        """Where ``a`` or ``b`` is missing or infinite; a column's own mask is worked out
        once per screen (rules comparing the same column share it)."""
        known = self._column_masks or {}
        mask: _Mask | bool = False
        for x in (a, b):
            if isinstance(x, np.ndarray) and id(x) in known:
                part = known[id(x)]
                if part is None:
                    bad = ~np.isfinite(x)
                    part = known[id(x)] = bad if bad.any() else False
            else:
                part = _nonfinite(x)
            if part is True:
                return True
            if part is not False:
                mask = part if mask is False else np.logical_or(mask, part)
        return mask

    def _logic(self, node: Logic) -> _Val:
        return self._from3(self._logic3(node))

    def _logic3(self, node: Logic) -> FloatArray:
        combine = np.minimum if node.op == "and" else np.maximum
        result = self.truth(node.operands[0])
        for operand in node.operands[1:]:
            t = self.truth(operand)
            combine(result, t, out=result)
            self._release(result, t)
        return result

    def _member(self, node: Member) -> _Val:
        operand = self.value(node.operand)
        if isinstance(operand, _Text):
            found = np.zeros(self.n, dtype=bool)
            for value in node.values:
                found |= operand.equals(cast(str, value))
            missing = operand.missing()
            out = self._new()
        else:
            x = operand
            numbers = [float(value) for value in node.values]
            if len(numbers) > 8:
                found = np.isin(x, numbers)
            else:
                found = np.zeros(self.n, dtype=bool)
                for number in numbers:
                    found |= np.equal(x, number)
            missing = np.isfinite(x)
            np.logical_not(missing, out=missing)
            out = self._out(x)
        np.copyto(out, np.logical_not(found) if node.negated else found)
        np.copyto(out, _NAN, where=missing)
        return out

    def _ifelse(self, node: IfElse) -> _Val:
        t = self.truth(node.cond)
        then = self.number(node.then)
        orelse = self.number(node.orelse)
        true = np.equal(t, 1.0)
        unknown = np.equal(t, _UNKNOWN)
        out = t if not self._is_owned(then) else cast(FloatArray, then)
        scratch = self._new()
        _select(out, true, then, orelse, scratch)
        np.copyto(out, _NAN, where=unknown)
        self._release(out, t, then, orelse, scratch)
        return out

    def _call(self, node: Call) -> _Val:
        spec = FUNCTIONS[node.name]
        impl = spec.impl
        if impl is None:  # pragma: no cover - parse-time functions never reach here
            raise ScreenError(f"{node.name}() cannot be evaluated")
        if spec.cross_sectional:
            return self._cross_sectional(node, impl)
        args = [self.value(arg) for arg in node.args]
        first = args[0]
        if isinstance(first, _Text):  # is_missing(text column)
            out = self._new()
            np.copyto(out, first.missing())
            return out
        out = self._out(first)
        impl(out, *args)
        self._release(out, *args)
        return out

    def _cross_sectional(self, node: Call, impl: Callable[..., FloatArray]) -> _Val:
        cache = self.cache
        key = (node.name, self.n, node.args)
        if cache is not None:
            hit = cache.get(key)
            if hit is not None:
                return cast(FloatArray, hit)
        arg = self.number(node.args[0])
        result = impl(arg if isinstance(arg, np.ndarray) else np.full(self.n, arg))
        self._release(None, arg)
        if cache is not None:
            cache[key] = result
        return result


_VISIT: dict[type[Node], Callable[[_Evaluator, Any], _Val]] = {
    Const: _Evaluator._const,
    Column: _Evaluator._column,
    LayerSum: _Evaluator._layer_sum,
    Unary: _Evaluator._unary,
    Binary: _Evaluator._binary,
    Compare: _Evaluator._compare,
    Logic: _Evaluator._logic,
    Member: _Evaluator._member,
    IfElse: _Evaluator._ifelse,
    Call: _Evaluator._call,
}

