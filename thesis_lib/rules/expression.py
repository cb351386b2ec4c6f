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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from thesis_lib.errors import ExpressionError, Problem
from thesis_lib.rules.evaluator import _Evaluator
from thesis_lib.rules.functions import FloatArray
from thesis_lib.rules.parser import MAX_DEPTH, MAX_LENGTH, ParseContext, _Checker
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

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
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


