"""The checked expression tree: immutable nodes shared by both evaluators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

Kind: TypeAlias = Literal["num", "text"]


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


