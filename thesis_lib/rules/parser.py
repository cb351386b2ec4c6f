"""Reading expression text into a checked tree: a whitelist of Python syntax, checked names and
types, constant folding, and every problem located by line and column."""

from __future__ import annotations

import ast
import math
import re
import warnings
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np

from thesis_lib._limits import NUMBER_LIMIT
from thesis_lib._suggest import did_you_mean
from thesis_lib._text import describe_char, first_unsafe_in_identifier
from thesis_lib.errors import Problem, ThesisError
from thesis_lib.rules.evaluator import _Evaluator
from thesis_lib.rules.functions import FUNCTIONS, LAYER_FUNCTIONS
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
    _columns_of,
)

MAX_LENGTH = 2_000
"""Longest expression text accepted, in characters."""
MAX_DEPTH = 64
"""Deepest nesting of the syntax tree accepted."""
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
    ``exposure_below()`` is an error. ``favoured(layer)`` returns the layers the
    chain marks as where value moves away from ``layer`` (see
    :meth:`~thesis_lib.SupplyChain.favoured`), for ``exposure_favoured()``.
    """

    columns: frozenset[str]
    string_columns: frozenset[str] = frozenset()
    layers: tuple[str, ...] = ()
    below: Callable[[str, int], Collection[str]] | None = None
    favoured: Callable[[str], Collection[str]] | None = None



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
        if parsed is None or not self._depth_ok(parsed) or not self._ascii_names(parsed):
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

    def _ascii_names(self, parsed: ast.Expression) -> bool:
        """Every name (column or function) is written in printable ASCII.

        Python folds names with NFKC, so ``listed`` in fullwidth or mathematical bold
        letters would silently read the column ``listed``; the text as written is checked
        instead, and each lookalike is reported with the character and its column.
        """
        ok = True
        for node in ast.walk(parsed):
            if not isinstance(node, ast.Name) or node.end_col_offset is None:
                continue
            line = node.lineno
            raw = self.lines[line - 1].encode("utf-8") if 0 < line <= len(self.lines) else b""
            start = len(raw[: node.col_offset].decode("utf-8", errors="replace"))
            written = raw[node.col_offset: node.end_col_offset].decode("utf-8", errors="replace")
            bad = first_unsafe_in_identifier(written)
            if bad is None:
                continue
            column = start + bad + 1
            hint = (f"type it in plain ASCII: {node.id}" if node.id.isascii()
                    else "names of columns and functions are plain ASCII")
            self._report(f"{describe_char(written[bad])} at column {column} in the name "
                         f"{written!r}: names must be ASCII", column, line, hint)
            ok = False
        return ok

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
        if isinstance(value, int | float):
            try:
                number = float(value)
            except OverflowError:
                number = math.inf
            if not abs(number) <= NUMBER_LIMIT:
                self._problem(node, f"number is too large (at most {NUMBER_LIMIT:g})",
                              hint="numbers in expressions lie within ±1e18")
                return None
            return Const(number)
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
                number = item.operand if isinstance(item, ast.UnaryOp) else item
                too_large = isinstance(number, ast.Constant) and isinstance(
                    number.value, int | float) and not isinstance(number.value, bool)
                self._problem(item, f"number is too large (at most {NUMBER_LIMIT:g})"
                              if too_large else
                              "items after 'in' must be literal numbers or strings")
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
        prefix, query = LAYER_FUNCTIONS[name]
        first = node.args[0]
        layer = self._layer(first, name)
        if query is None:
            return None if layer is None else Column(f"{prefix}{layer}")
        depth: int | None = None
        if query == "below":
            second = node.args[1]
            if (
                isinstance(second, ast.Constant)
                and isinstance(second.value, int)
                and not isinstance(second.value, bool)
                and second.value >= 1
            ):
                depth = second.value
            else:
                self._problem(second, f"the depth of {name}() must be a whole number >= 1")
        lookup = self.context.below if query == "below" else self.context.favoured
        if lookup is None:
            self._problem(
                node,
                f"{name}() needs a supply chain, and this context has none",
                hint=f"give the ParseContext a {query!r} function",
            )
            return None
        if layer is None or (query == "below" and depth is None):
            return None
        try:
            found = below_or_favoured(lookup, layer, depth)
            layers = sorted({str(item) for item in found})
        except ThesisError as error:
            for problem in error.problems:
                self._problem(first, problem.message, problem.hint)
            return None
        except (KeyError, ValueError, TypeError) as error:
            self._problem(first, f"cannot find the layers {query} {layer!r}: {error}")
            return None
        columns = tuple(f"{prefix}{item}" for item in layers)
        if not columns:
            return Const(0.0)
        if len(columns) == 1:
            return Column(columns[0])
        return LayerSum(columns)

    def _layer(self, node: ast.expr, function: str) -> str | None:
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            depth = ", 1" if LAYER_FUNCTIONS[function][1] == "below" else ""
            self._problem(
                node,
                f"the layer of {function}() must be a string literal",
                hint=f"e.g. {function}(\"hbm\"{depth})",
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
        return number if abs(number) <= NUMBER_LIMIT else None
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




def below_or_favoured(lookup: Callable[..., Collection[str]], layer: str,
                      depth: int | None) -> Collection[str]:
    """Call a chain query: ``below(layer, depth)`` or ``favoured(layer)``."""
    return lookup(layer) if depth is None else lookup(layer, depth)
