"""Rule expressions: parsed once into a checked tree, evaluated on whole columns.

An expression is Python expression syntax read with :func:`ast.parse` and a
whitelist of node types; nothing in it is ever executed as Python code.

::

    compile_expression(text, ParseContext(...))     -> Expression (or ExpressionError)
    check_expression(text, ParseContext(...))       -> [Problem, ...] ([] when valid)
    Expression.evaluate({column: array}, n, cache)  -> float64 array of length n

Values are float64 columns; NaN means missing. Infinite values count as
missing: they become NaN at the end of evaluation and wherever they could
otherwise turn into an ordinary number (comparisons, truth tests, ``min``,
``max``, ``clip``, ``fill``, ``/``, ``%``, ``**``, cross-sectional functions).
Comparisons, ``in``, ``and``/``or``/``not`` give 1.0/0.0, or NaN when unknown
(three-valued Kleene logic: ``False and missing`` is False, ``True or
missing`` is True). Text columns hold Python strings, ``None`` when missing,
and can only be compared with ``==``/``!=``, tested with ``in`` or passed to
``is_missing``.

The tree node classes (:class:`Const`, :class:`Column`, :class:`Unary`, ...)
are shared with the one-row-at-a-time reference evaluator in
``thesis_lib.rules._rowwise``.
"""

from __future__ import annotations

import ast
import math
import re
import warnings
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, cast

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from thesis_lib._suggest import did_you_mean
from thesis_lib.errors import ExpressionError, Problem, ScreenError, ThesisError
from thesis_lib.rules.functions import FUNCTIONS, FloatArray, Value, infinite_mask, set_where

__all__ = [
    "Binary",
    "Call",
    "Column",
    "Compare",
    "Const",
    "Expression",
    "IfElse",
    "LayerSum",
    "Logic",
    "Member",
    "Node",
    "ParseContext",
    "Unary",
    "check_expression",
    "compile_expression",
]

MAX_LENGTH = 2_000
"""Longest expression text accepted, in characters."""
MAX_DEPTH = 64
"""Deepest nesting of the syntax tree accepted."""

Kind: TypeAlias = Literal["num", "text"]
_NAN = math.nan


# ---------------------------------------------------------------------------
# context


@dataclass(frozen=True)
class ParseContext:
    """What an expression may refer to.

    ``columns`` are the names it may read; ``string_columns`` the subset that
    holds text. ``layers`` are the layer ids ``exposure()`` and
    ``exposure_below()`` accept (if empty, ``exposure("x")`` is accepted when
    the column ``exposure_x`` is known). ``below(layer, depth)`` returns the
    layer ids exactly ``depth`` supply steps below ``layer``; without it
    ``exposure_below()`` is an error.
    """

    columns: frozenset[str]
    string_columns: frozenset[str] = frozenset()
    layers: tuple[str, ...] = ()
    below: Callable[[str, int], Collection[str]] | None = None


# ---------------------------------------------------------------------------
# the checked tree


class Node:
    """A node of a checked expression tree (immutable, hashable, compared by structure)."""

    __slots__ = ()
    kind: Kind = "num"

    def children(self) -> tuple[Node, ...]:
        """The sub-expressions this node reads."""
        return ()


@dataclass(frozen=True, slots=True)
class Const(Node):
    """A literal, or a folded literal-only sub-expression. Numbers are floats (NaN = missing)."""

    value: float | str

    @property
    def kind(self) -> Kind:  # type: ignore[override]
        return "text" if isinstance(self.value, str) else "num"


@dataclass(frozen=True, slots=True)
class Column(Node):
    """A column of the screening frame."""

    name: str
    text: bool = False

    @property
    def kind(self) -> Kind:  # type: ignore[override]
        return "text" if self.text else "num"


@dataclass(frozen=True, slots=True)
class LayerSum(Node):
    """``exposure_below(...)`` resolved: the sum of several exposure columns, in this order."""

    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unary(Node):
    """``-x``, ``+x`` or ``not x``."""

    op: Literal["-", "+", "not"]
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """Arithmetic: ``+ - * / ** %``."""

    op: Literal["+", "-", "*", "/", "**", "%"]
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Compare(Node):
    """A comparison, possibly chained: ``a < b <= c`` means ``a < b and b <= c``."""

    ops: tuple[str, ...]
    operands: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.operands


@dataclass(frozen=True, slots=True)
class Logic(Node):
    """``a and b and ...`` or ``a or b or ...`` (Kleene three-valued logic)."""

    op: Literal["and", "or"]
    operands: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.operands


@dataclass(frozen=True, slots=True)
class Member(Node):
    """``x in [literals]`` (or ``not in`` when ``negated``)."""

    operand: Node
    values: tuple[float | str, ...]
    negated: bool = False

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class IfElse(Node):
    """``then if cond else orelse``; missing where ``cond`` is missing."""

    cond: Node
    then: Node
    orelse: Node

    def children(self) -> tuple[Node, ...]:
        return (self.cond, self.then, self.orelse)


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A call of a whitelisted function (see ``thesis_lib.rules.functions.FUNCTIONS``)."""

    name: str
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args


def _columns_of(node: Node) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Column):
            found.add(current.name)
        elif isinstance(current, LayerSum):
            found.update(current.columns)
        stack.extend(current.children())
    return found


# ---------------------------------------------------------------------------
# the compiled expression


@dataclass(frozen=True, slots=True, repr=False)
class Expression:
    """A checked, compiled expression: immutable, evaluated many times.

    ``text`` is the source (the source of truth when serialised), ``columns``
    every column it reads (``exposure()``/``exposure_below()`` resolved) and
    ``tree`` the checked tree. Build one with :func:`compile_expression`.
    """

    text: str
    columns: frozenset[str]
    tree: Node

    def evaluate(
        self,
        data: Mapping[str, np.ndarray[Any, Any]],
        n: int,
        cache: dict[object, np.ndarray[Any, Any]] | None = None,
    ) -> FloatArray:
        """Evaluate on whole columns.

        ``data`` maps each name in :attr:`columns` to a 1-D array of length
        ``n`` (float64 for numbers, bool for booleans, object with ``None``
        for missing text). Returns a new float64 array of length ``n``:
        booleans as 1.0/0.0, NaN where the result is missing.

        ``cache``, shared by all expressions evaluated on the same frame,
        remembers converted columns and cross-sectional results
        (``pct_rank``, ``zscore``) so identical sub-expressions are computed
        once, and keeps a few scratch buffers so that evaluating many
        expressions allocates little. Never reuse one cache across frames.

        Raises :class:`~thesis_lib.errors.ScreenError` if a column is absent
        or has the wrong shape or type.
        """
        with np.errstate(all="ignore"):
            return _Evaluator(data, n, cache).result(self.tree)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


def compile_expression(text: str, context: ParseContext) -> Expression:
    """Parse and check ``text`` against ``context``.

    Raises :class:`~thesis_lib.errors.ExpressionError` listing every problem
    found (each with ``field="expression"`` and a 1-based ``position``).
    """
    tree, columns, problems = _Checker(text, context).run()
    if problems or tree is None:
        raise ExpressionError(problems or [Problem("invalid expression", field="expression")])
    return Expression(text=text, columns=frozenset(columns), tree=tree)


def check_expression(text: str, context: ParseContext) -> list[Problem]:
    """Every problem in ``text`` (``[]`` if it compiles)."""
    tree, _, problems = _Checker(text, context).run()
    if tree is None and not problems:  # pragma: no cover - the checker always explains
        return [Problem("invalid expression", field="expression")]
    return problems


# ---------------------------------------------------------------------------
# parsing and checking

_BINARY_OPS: dict[type[ast.operator], Literal["+", "-", "*", "/", "**", "%"]] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.Mod: "%",
}
_BAD_BINARY: dict[type[ast.operator], tuple[str, str | None]] = {
    ast.FloorDiv: ("'//' is not supported", "use '/'"),
    ast.MatMult: ("'@' is not supported", None),
    ast.BitAnd: ("bitwise '&' is not supported", "use 'and'"),
    ast.BitOr: ("bitwise '|' is not supported", "use 'or'"),
    ast.BitXor: ("bitwise '^' is not supported", "use '**' for powers"),
    ast.LShift: ("'<<' is not supported", None),
    ast.RShift: ("'>>' is not supported", None),
}
_COMPARE_OPS: dict[type[ast.cmpop], str] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
}
_FORBIDDEN: dict[type[ast.AST], tuple[str, str | None]] = {
    ast.Attribute: ("attribute access ('.name') is not allowed", None),
    ast.Subscript: ("indexing ('x[...]') is not allowed", None),
    ast.Lambda: ("lambda is not allowed", None),
    ast.ListComp: ("comprehensions are not allowed", None),
    ast.SetComp: ("comprehensions are not allowed", None),
    ast.DictComp: ("comprehensions are not allowed", None),
    ast.GeneratorExp: ("comprehensions are not allowed", None),
    ast.JoinedStr: ("f-strings are not allowed", "write a plain string"),
    ast.FormattedValue: ("f-strings are not allowed", "write a plain string"),
    ast.Starred: ("starred arguments ('*x') are not allowed", None),
    ast.NamedExpr: ("assignment (':=') is not allowed", "use '==' to compare"),
    ast.Set: ("sets are not allowed", "use a list after 'in', e.g. x in [1, 2]"),
    ast.Dict: ("dicts are not allowed", None),
    ast.List: ("lists are only allowed after 'in'", None),
    ast.Tuple: ("tuples are only allowed after 'in'", None),
    ast.Slice: ("slices are not allowed", None),
    ast.Await: ("'await' is not allowed", None),
    ast.Yield: ("'yield' is not allowed", None),
    ast.YieldFrom: ("'yield' is not allowed", None),
}
_FOLDABLE = (Unary, Binary, Compare, Logic, Member, IfElse, Call)
_NEWLINES = re.compile(r"\r\n|\r|\n")


class _Checker:
    """Turns text into a checked tree, collecting every problem on the way."""

    def __init__(self, text: object, context: ParseContext) -> None:
        self.text = text
        self.context = context
        self.problems: list[Problem] = []
        self.lines: list[str] = []

    # -- reporting ----------------------------------------------------------

    def _report(
        self, message: str, position: int | None, line: int = 1, hint: str | None = None
    ) -> None:
        if len(self.lines) > 1:
            message = f"line {line}: {message}"
        self.problems.append(Problem(message, field="expression", position=position, hint=hint))

    def _problem(self, node: ast.AST, message: str, hint: str | None = None) -> None:
        line = getattr(node, "lineno", 1)
        offset = getattr(node, "col_offset", 0)
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        # ast offsets count UTF-8 bytes; positions count characters
        column = len(text.encode("utf-8")[:offset].decode("utf-8", errors="replace")) + 1
        self._report(message, column, line, hint)

    # -- entry point --------------------------------------------------------

    def run(self) -> tuple[Node | None, set[str], list[Problem]]:
        text = self.text
        if not isinstance(text, str):
            self._report(f"an expression must be text, not {type(text).__name__}", None)
            return None, set(), self.problems
        self.lines = _NEWLINES.split(text)
        if len(text) > MAX_LENGTH:
            self._report(
                f"expression is too long ({len(text)} characters, at most {MAX_LENGTH})",
                None,
                hint="split it into several rules",
            )
            return None, set(), self.problems
        if "\x00" in text:
            self._report("expression contains a null byte", text.index("\x00") + 1)
            return None, set(), self.problems
        if not text.strip():
            self._report("expression is empty", None)
            return None, set(), self.problems
        parsed = self._parse(text)
        if parsed is None or not self._depth_ok(parsed):
            return None, set(), self.problems
        tree = self._node(parsed.body)
        if tree is not None and tree.kind == "text":
            self._problem(
                parsed.body,
                "the expression gives text, not a number",
                hint="compare it, e.g. country == 'KR'",
            )
            tree = None
        if self.problems:
            return None, set(), self.problems
        return tree, _columns_of(tree) if tree is not None else set(), self.problems

    def _parse(self, text: str) -> ast.Expression | None:
        try:
            with warnings.catch_warnings():
                # e.g. an invalid escape sequence: an error here, never printed
                warnings.simplefilter("error")
                return ast.parse(text, mode="eval")
        except SyntaxError as error:
            line = error.lineno or 1
            width = len(self.lines[line - 1]) + 1 if 0 < line <= len(self.lines) else 1
            # offset 0 (or none) means "at the end of the input"
            column = min(error.offset or width, width)
            self._report(f"syntax error: {error.msg}", column, line)
        except (ValueError, RecursionError, MemoryError, OverflowError, Warning) as error:
            self._report(f"expression cannot be parsed ({type(error).__name__})", None)
        return None

    def _depth_ok(self, parsed: ast.Expression) -> bool:
        stack: list[tuple[ast.AST, int]] = [(parsed.body, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_DEPTH:
                self._problem(
                    node,
                    f"expression is nested too deeply (more than {MAX_DEPTH} levels)",
                    hint="split it into several rules",
                )
                return False
            stack.extend(
                (child, depth + 1)
                for child in ast.iter_child_nodes(node)
                if isinstance(child, ast.expr)
            )
        return True

    # -- conversion ---------------------------------------------------------

    def _node(self, node: ast.expr) -> Node | None:
        method = _HANDLERS.get(type(node))
        if method is None:
            message, hint = _FORBIDDEN.get(
                type(node), (f"'{type(node).__name__}' syntax is not allowed", None)
            )
            self._problem(node, message, hint)
            return None
        converted = method(self, node)
        if converted is not None and _can_fold(converted):
            return _fold(converted)
        return converted

    def _constant(self, node: ast.Constant) -> Node | None:
        value = node.value
        if isinstance(value, bool):
            return Const(1.0 if value else 0.0)
        if isinstance(value, int):
            try:
                return Const(float(value))
            except OverflowError:
                self._problem(node, "number is too large")
                return None
        if isinstance(value, float):
            if not math.isfinite(value):
                self._problem(node, "number is too large")
                return None
            return Const(value)
        if isinstance(value, str):
            return Const(value)
        if value is None:
            self._problem(node, "None is not allowed", hint="use is_missing(x) to test for missing")
            return None
        self._problem(node, f"{type(value).__name__} literals are not allowed")
        return None

    def _name(self, node: ast.Name) -> Node | None:
        name = node.id
        context = self.context
        if name.startswith("_"):
            self._problem(node, f"names starting with '_' are not allowed ({name!r})")
            return None
        if name in context.columns:
            return Column(name, text=name in context.string_columns)
        if name in FUNCTIONS:
            spec = FUNCTIONS[name]
            self._problem(node, f"{name!r} is a function", hint=f"call it: {spec.signature}")
            return None
        candidates = [*context.columns, *FUNCTIONS]
        self._problem(node, f"unknown name {name!r}", hint=did_you_mean(name, candidates))
        return None

    def _unary(self, node: ast.UnaryOp) -> Node | None:
        if isinstance(node.op, ast.Invert):
            self._problem(node, "bitwise '~' is not supported", hint="use 'not'")
            return None
        operand = self._node(node.operand)
        if operand is None:
            return None
        if isinstance(node.op, ast.Not):
            if operand.kind == "text":
                self._problem(node, "'not' needs a number or boolean, not text", _TEXT_TRUTH)
                return None
            return Unary("not", operand)
        op: Literal["-", "+"] = "-" if isinstance(node.op, ast.USub) else "+"
        if operand.kind == "text":
            self._problem(node, f"unary '{op}' needs a number, not text")
            return None
        return Unary(op, operand)

    def _binary(self, node: ast.BinOp) -> Node | None:
        bad = _BAD_BINARY.get(type(node.op))
        if bad is not None:
            self._problem(node, bad[0], hint=bad[1])
            return None
        left = self._node(node.left)
        right = self._node(node.right)
        if left is None or right is None:
            return None
        op = _BINARY_OPS[type(node.op)]
        if left.kind == "text" or right.kind == "text":
            self._problem(node, f"arithmetic ('{op}') on text is not allowed")
            return None
        return Binary(op, left, right)

    def _boolop(self, node: ast.BoolOp) -> Node | None:
        op: Literal["and", "or"] = "and" if isinstance(node.op, ast.And) else "or"
        operands = [self._node(value) for value in node.values]
        ok = True
        for value, operand in zip(node.values, operands, strict=True):
            if operand is not None and operand.kind == "text":
                self._problem(value, f"'{op}' needs numbers or booleans, not text", _TEXT_TRUTH)
                ok = False
        if not ok or any(operand is None for operand in operands):
            return None
        return Logic(op, tuple(cast(Node, operand) for operand in operands))

    def _compare(self, node: ast.Compare) -> Node | None:
        if any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            return self._member(node)
        for op in node.ops:
            if isinstance(op, (ast.Is, ast.IsNot)):
                self._problem(node, "'is' is not supported", hint="use '==' or is_missing(x)")
                return None
        raw = [node.left, *node.comparators]
        operands = [self._node(item) for item in raw]
        if any(operand is None for operand in operands):
            return None
        checked = [cast(Node, operand) for operand in operands]
        ops = tuple(_COMPARE_OPS[type(op)] for op in node.ops)
        ok = True
        for i, symbol in enumerate(ops):
            left, right = checked[i], checked[i + 1]
            if left.kind != right.kind:
                self._problem(
                    raw[i + 1] if left.kind == "num" else raw[i],
                    f"cannot compare text with a number using '{symbol}'",
                    hint="compare text with text, e.g. country == 'KR'",
                )
                ok = False
            elif left.kind == "text" and symbol not in ("==", "!="):
                self._problem(
                    raw[i], f"text can only be compared with '==' or '!=', not '{symbol}'"
                )
                ok = False
        return Compare(ops, tuple(checked)) if ok else None

    def _member(self, node: ast.Compare) -> Node | None:
        if len(node.ops) != 1:
            self._problem(node, "'in' cannot be chained with other comparisons")
            return None
        negated = isinstance(node.ops[0], ast.NotIn)
        container = node.comparators[0]
        operand = self._node(node.left)
        if not isinstance(container, (ast.List, ast.Tuple)):
            self._problem(
                container,
                "'in' needs a list of literals",
                hint="e.g. country in ['KR', 'TW']",
            )
            return None
        values: list[float | str] = []
        ok = True
        for item in container.elts:
            value = _literal(item)
            if value is None:
                self._problem(item, "items after 'in' must be literal numbers or strings")
                ok = False
            else:
                values.append(value)
        if not ok or operand is None:
            return None
        kinds = {"text" if isinstance(value, str) else "num" for value in values}
        if len(kinds) > 1:
            self._problem(container, "the list after 'in' mixes text and numbers")
            return None
        if kinds and operand.kind not in kinds:
            self._problem(
                node.left,
                f"cannot look for {'text' if operand.kind == 'text' else 'a number'} "
                f"in a list of {'numbers' if operand.kind == 'text' else 'text'}",
            )
            return None
        return Member(operand, tuple(values), negated)

    def _ifexp(self, node: ast.IfExp) -> Node | None:
        cond = self._node(node.test)
        then = self._node(node.body)
        orelse = self._node(node.orelse)
        if cond is None or then is None or orelse is None:
            return None
        ok = True
        if cond.kind == "text":
            self._problem(node.test, "the condition of 'if' cannot be text", _TEXT_TRUTH)
            ok = False
        for branch, checked in ((node.body, then), (node.orelse, orelse)):
            if checked.kind == "text":
                self._problem(branch, "both branches of 'if ... else' must be numbers")
                ok = False
        return IfElse(cond, then, orelse) if ok else None

    def _call(self, node: ast.Call) -> Node | None:
        if not isinstance(node.func, ast.Name):
            self._problem(node, "only whitelisted functions can be called, by name")
            return None
        name = node.func.id
        spec = FUNCTIONS.get(name)
        if spec is None:
            self._problem(
                node,
                f"{name!r} is not an allowed function",
                hint=did_you_mean(name, FUNCTIONS, what="functions"),
            )
            return None
        if node.keywords:
            self._problem(node.keywords[0].value, f"{name}() takes no keyword arguments")
            return None
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self._problem(arg, "starred arguments ('*x') are not allowed")
                return None
        count = len(node.args)
        if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
            self._problem(
                node,
                f"{name}() takes {spec.arity()}, got {count}",
                hint=f"use {spec.signature}",
            )
            return None
        if spec.parse_time:
            return self._exposure(node, name)
        args = [self._node(arg) for arg in node.args]
        if any(arg is None for arg in args):
            return None
        checked = tuple(cast(Node, arg) for arg in args)
        ok = True
        for raw, checked_arg in zip(node.args, checked, strict=True):
            if checked_arg.kind == "text" and not spec.accepts_text:
                self._problem(raw, f"{name}() needs numbers, not text")
                ok = False
        return Call(name, checked) if ok else None

    def _exposure(self, node: ast.Call, name: str) -> Node | None:
        first = node.args[0]
        layer = self._layer(first, name)
        if name == "exposure":
            return None if layer is None else Column(f"exposure_{layer}")
        second = node.args[1]
        depth: int | None = None
        if (
            isinstance(second, ast.Constant)
            and isinstance(second.value, int)
            and not isinstance(second.value, bool)
            and second.value >= 1
        ):
            depth = second.value
        else:
            self._problem(second, "the depth of exposure_below() must be a whole number >= 1")
        below = self.context.below
        if below is None:
            self._problem(
                node,
                "exposure_below() needs a supply chain, and this context has none",
                hint="give the ParseContext a 'below' function",
            )
            return None
        if layer is None or depth is None:
            return None
        try:
            found = below(layer, depth)
            layers = sorted({str(item) for item in found})
        except ThesisError as error:
            for problem in error.problems:
                self._problem(first, problem.message, problem.hint)
            return None
        except (KeyError, ValueError, TypeError) as error:
            self._problem(first, f"cannot find the layers below {layer!r}: {error}")
            return None
        columns = tuple(f"exposure_{item}" for item in layers)
        if not columns:
            return Const(0.0)
        if len(columns) == 1:
            return Column(columns[0])
        return LayerSum(columns)

    def _layer(self, node: ast.expr, function: str) -> str | None:
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            self._problem(
                node,
                f"the layer of {function}() must be a string literal",
                hint=f"e.g. {function}(\"hbm\"{', 1' if function == 'exposure_below' else ''})",
            )
            return None
        layer = node.value
        context = self.context
        if context.layers:
            known = list(context.layers)
        else:
            known = sorted(
                column[len("exposure_") :]
                for column in context.columns
                if column.startswith("exposure_")
            )
        if layer not in known:
            hint = did_you_mean(layer, known, what="layers")
            self._problem(node, f"unknown layer {layer!r}", hint=hint)
            return None
        return layer


_HANDLERS: dict[type[ast.AST], Callable[[_Checker, Any], Node | None]] = {
    ast.Constant: _Checker._constant,
    ast.Name: _Checker._name,
    ast.UnaryOp: _Checker._unary,
    ast.BinOp: _Checker._binary,
    ast.BoolOp: _Checker._boolop,
    ast.Compare: _Checker._compare,
    ast.IfExp: _Checker._ifexp,
    ast.Call: _Checker._call,
}
_TEXT_TRUTH = "text has no truth value; compare it, e.g. country == 'KR'"


def _literal(node: ast.expr) -> float | str | None:
    """The value of a literal list item (a string, a number, a signed number, a bool)."""
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        node = node.operand
        if not (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))):
            return None
    if not isinstance(node, ast.Constant):
        return None
    value = node.value
    if isinstance(value, str) and sign == 1.0:
        return value
    if isinstance(value, (bool, int, float)):
        try:
            number = sign * float(value)
        except OverflowError:
            return None
        return number if math.isfinite(number) else None
    return None


def _can_fold(node: Node) -> bool:
    if not isinstance(node, _FOLDABLE):
        return False
    if isinstance(node, Call) and FUNCTIONS[node.name].cross_sectional:
        return False
    children = node.children()
    return bool(children) and all(isinstance(child, Const) for child in children)


def _fold(node: Node) -> Node:
    with np.errstate(all="ignore"):
        value = float(_Evaluator({}, 1, None, fold=True).result(node)[0])
    return Const(_NAN if math.isnan(value) else value)  # one NaN object: equal trees compare equal


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
        return array

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
        np.copyto(out, _COMPARE_UFUNCS[op](a, b))
        set_where(out, _nonfinite(a, b), unknown)
        return out

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
