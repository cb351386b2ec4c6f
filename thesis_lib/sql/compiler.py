"""Compiling a rule pack to one SQL query: the same screen, run where the data lives.

The query reads a table (or view, or Parquet scan) with the screening-frame columns, a
``ticker`` column and, for a panel, a date column, and returns one row per company (per
date) with its score, rank, gate outcome, the ids of the rules that excluded it, and each
rule's contribution and status. It follows the expression language exactly as the numpy
engine does (``thesis_lib.rules``), in its simplest form (the one of the one-row-at-a-time
reference evaluator): every number that is not finite is missing (SQL ``NULL``) as soon as
it is computed; comparisons and ``and``/``or``/``not`` are three-valued; ``pct_rank`` and
``zscore`` see every row of the same date.

How the query is laid out::

    WITH s0 AS (SELECT date, ticker, <each column read, cast and made finite-or-NULL>),
         s1 AS (SELECT *, <every sub-expression whose operands are in s0>  FROM s0),
         s2 AS (SELECT *, <every sub-expression whose operands are in s1>  FROM s1),
         ...
         scored AS (<contribution and status of each rule, score, passed>),
         scaled, floored, keyed AS (<the rank key>), ranked AS (<rank per date>)
    SELECT ... ORDER BY date, passed DESC, key DESC, ticker

Each distinct sub-expression is computed once, as a column of the stage after its
operands (so nothing is written twice and the text grows linearly with the pack).
Numbers are written as ``CAST('<shortest repr>' AS DOUBLE)`` so that every engine reads
the same float64; integer arithmetic is used only for counts and ranks.

The query is written in DuckDB's dialect; :func:`thesis_lib.sql.to_dialect` translates
it for Spark SQL, Snowflake, BigQuery or Postgres.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from thesis_lib._limits import VALUE_LIMIT
from thesis_lib.errors import ScreenError
from thesis_lib.rules.expression import (
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
from thesis_lib.rules.pack import RulePack
from thesis_lib.rules.screen import EXCLUDED, FAILED, OK, SKIPPED, ZERO_FILLED

__all__ = ["MISSING_ERROR", "CompiledPack", "compile_pack"]

MISSING_ERROR = 9
"""Status code the query gives a cell of a rule whose missing policy is ``error`` where
the value is missing: the engine that runs the query raises
:class:`~thesis_lib.errors.MissingDataError` when any row has it."""

_POLICY_CODE = {"zero": ZERO_FILLED, "skip": SKIPPED, "exclude": EXCLUDED,
                "error": MISSING_ERROR}
_RANK_ROUND_BELOW = 1e15  # as thesis_lib.rules.screen.rank_key


@dataclass(frozen=True)
class CompiledPack:
    """A pack compiled to SQL: :attr:`sql` (DuckDB dialect) and how to read its output.

    Output columns, in order: the date column (panels only), ``ticker``, ``score``,
    ``rank`` (1 = best per date; NULL when excluded), ``passed``, ``excluded_by`` (rule
    ids joined by ``", "``, NULL when passed), then for each rule, in pack order,
    ``contribution:<rule id>`` (signed; they add up to ``score``) and ``status:<rule id>``
    (the codes of :data:`thesis_lib.rules.screen.STATUS_NAMES`, and
    :data:`MISSING_ERROR`).
    """

    pack: RulePack
    sql: str
    table: str
    by: str | None
    absent: frozenset[str] = frozenset()
    """Columns the pack reads that the table lacks: read as all missing."""
    contribution_columns: tuple[str, ...] = field(default=())
    status_columns: tuple[str, ...] = field(default=())
    error_rules: tuple[int, ...] = ()
    """Positions of the rules whose missing policy is ``error``."""

    def __str__(self) -> str:
        return self.sql


def contribution_column(rule_id: str) -> str:
    return f"contribution:{rule_id}"


def status_column(rule_id: str) -> str:
    return f"status:{rule_id}"


def compile_pack(
    pack: RulePack,
    *,
    table: str = "frame",
    by: str | None = None,
    columns: Collection[str] | None = None,
    ticker: str = "ticker",
) -> CompiledPack:
    """Compile ``pack`` to one SQL query (DuckDB dialect) over ``table``.

    ``table`` is inserted as written (a table or view name, or any table expression such
    as ``read_parquet('x.parquet')``); ``by`` names the date column of a panel (scores,
    ranks and cross-sectional functions are then per date); ``columns`` lists the columns
    the table has (those the pack reads but the table lacks are read as missing, as the
    numpy engine does; None: assume it has them all). ``ticker`` is the ticker column.
    """
    if not table.strip():
        raise ScreenError("the table to read is empty", field="table",
                          hint="give a table or view name, or a table expression")
    absent = pack.read_columns - set(columns) if columns is not None else frozenset()
    builder = _Builder(by)
    values = [builder.ref(pack.expression(rule.id).tree) for rule in pack.rules]
    sql = _assemble(pack, builder, values, table=table, ticker=ticker, absent=absent)
    rules = pack.rules
    return CompiledPack(
        pack=pack, sql=sql, table=table, by=by, absent=absent,
        contribution_columns=tuple(contribution_column(r.id) for r in rules),
        status_columns=tuple(status_column(r.id) for r in rules),
        error_rules=tuple(j for j, r in enumerate(rules) if r.missing == "error"),
    )


# ---------------------------------------------------------------------------
# text helpers


def quote(name: str) -> str:
    """An identifier, double-quoted (DuckDB, Postgres, Snowflake; translated for others)."""
    return '"' + name.replace('"', '""') + '"'


def number(value: float) -> str:
    """A float64 literal every engine reads back bit for bit; NULL for NaN."""
    if math.isnan(value):
        return "CAST(NULL AS DOUBLE)"
    return f"CAST('{value!r}' AS DOUBLE)"


def text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _finite(expr: str) -> str:
    """``expr`` where it is finite, NULL where it is NaN or infinite (``x - x`` is 0 only
    for finite ``x``, in every SQL engine that has IEEE doubles)."""
    return f"CASE WHEN ({expr}) - ({expr}) = 0 THEN {expr} END"


def _bool_number(condition: str) -> str:
    """A SQL truth value as the expression language's number: 1.0, 0.0 or NULL."""
    return f"CASE ({condition}) WHEN TRUE THEN {number(1.0)} WHEN FALSE THEN {number(0.0)} END"


def _truth(ref: str) -> str:
    return f"({ref} <> 0)"


# ---------------------------------------------------------------------------
# sub-expressions as stage columns


@dataclass(frozen=True)
class _Ref:
    sql: str  # a column reference or a literal
    level: int  # the stage after which it can be read (0: the first stage or a literal)
    name: str | None = None  # the column it refers to (None for a literal)


class _Builder:
    """Gives each distinct sub-expression a column in the stage after its operands."""

    def __init__(self, by: str | None) -> None:
        self.by = by
        self.read: dict[str, bool] = {}  # table column -> is it text, in first-read order
        self.stages: list[list[tuple[str, str]]] = []  # stage k (1-based) -> [(name, sql)]
        self.uses: dict[str, set[str]] = {}  # stage column -> the columns it reads
        self.known: dict[Node, _Ref] = {}
        self.count = 0

    # -- naming -------------------------------------------------------------------------
    def _new(self, level: int, sql: str, *reads: _Ref) -> _Ref:
        while len(self.stages) < level:
            self.stages.append([])
        name = f"_e{self.count}"
        self.count += 1
        self.stages[level - 1].append((name, sql))
        self.uses[name] = {r.name for r in reads if r.name is not None}
        return _Ref(quote(name), level, name)

    def sources(self, absent: Collection[str]) -> dict[str, str]:
        """The first stage's columns: each table column read, cast to DOUBLE (finite or
        NULL) or VARCHAR, or missing everywhere when the table lacks it."""
        out = {}
        for name, is_text in self.read.items():
            if name in absent:
                source = "CAST(NULL AS VARCHAR)" if is_text else number(math.nan)
            elif is_text:
                source = f"CAST({quote(name)} AS VARCHAR)"
            else:
                source = _finite(f"CAST({quote(name)} AS DOUBLE)")
            out[_column_key(name)] = source
        return out

    @property
    def partition(self) -> str:
        return f"PARTITION BY {quote(self.by)}" if self.by is not None else ""

    # -- nodes --------------------------------------------------------------------------
    def ref(self, node: Node) -> _Ref:
        found = self.known.get(node)
        if found is None:
            found = self._build(node)
            self.known[node] = found
        return found

    def _read(self, name: str, *, is_text: bool) -> _Ref:
        self.read.setdefault(name, is_text)
        key = _column_key(name)
        return _Ref(quote(key), 0, key)

    def _build(self, node: Node) -> _Ref:
        if isinstance(node, Const):
            if isinstance(node.value, str):
                return _Ref(text(node.value), 0)
            return _Ref(number(node.value), 0)
        if isinstance(node, Column):
            return self._read(node.name, is_text=node.text)
        if isinstance(node, LayerSum):
            parts = [self._read(name, is_text=False) for name in node.columns]
            total = parts[0].sql
            for part in parts[1:]:
                total = f"({total} + {part.sql})"
            return self._new(1, _finite(total), *parts)
        if isinstance(node, Call) and node.name in ("pct_rank", "zscore"):
            return self._cross_sectional(node)
        children = [self.ref(child) for child in node.children()]
        level = 1 + max((c.level for c in children), default=0)
        return self._new(level, self._expression(node, [c.sql for c in children]), *children)

    def _expression(self, node: Node, args: Sequence[str]) -> str:
        if isinstance(node, Unary):
            (x,) = args
            if node.op == "-":
                return f"-({x})"
            if node.op == "+":
                return x
            return _bool_number(f"NOT {_truth(x)}")
        if isinstance(node, Binary):
            a, b = args
            if node.op in ("+", "-", "*"):
                return _finite(f"{a} {node.op} {b}")
            if node.op == "/":
                return f"CASE WHEN {b} <> 0 THEN {_finite(f'{a} / {b}')} END"
            if node.op == "%":
                # Python's remainder takes the divisor's sign; SQL's (C's fmod) the
                # dividend's: add the divisor once where the signs differ.
                r = f"({a} % {b})"
                fixed = f"CASE WHEN {r} <> 0 AND ({r} < 0) <> ({b} < 0) THEN {r} + {b} ELSE {r} END"
                return f"CASE WHEN {b} <> 0 THEN {_finite(fixed)} END"
            return _finite(f"POWER({a}, {b})")
        if isinstance(node, Compare):
            parts = [f"{args[k]} {'=' if op == '==' else '<>' if op == '!=' else op} {args[k + 1]}"
                     for k, op in enumerate(node.ops)]
            return _bool_number(" AND ".join(f"({p})" for p in parts))
        if isinstance(node, Logic):
            joiner = " AND " if node.op == "and" else " OR "
            return _bool_number(joiner.join(_truth(a) for a in args))
        if isinstance(node, Member):
            (x,) = args
            if not node.values:
                absent = number(1.0 if node.negated else 0.0)
                return f"CASE WHEN {x} IS NULL THEN NULL ELSE {absent} END"
            items = ", ".join(text(v) if isinstance(v, str) else number(v) for v in node.values)
            return _bool_number(f"{x} {'NOT IN' if node.negated else 'IN'} ({items})")
        if isinstance(node, IfElse):
            cond, then, orelse = args
            return f"CASE WHEN {cond} <> 0 THEN {then} WHEN {cond} = 0 THEN {orelse} END"
        if isinstance(node, Call):
            return self._call(node.name, args)
        raise ScreenError(f"the SQL compiler does not know {type(node).__name__} nodes")

    def _call(self, name: str, args: Sequence[str]) -> str:
        if name == "is_missing":
            return f"CASE WHEN {args[0]} IS NULL THEN {number(1.0)} ELSE {number(0.0)} END"
        if name == "fill":
            return f"COALESCE({args[0]}, {args[1]})"
        any_null = " OR ".join(f"{a} IS NULL" for a in args)
        if name in ("min", "max"):
            # LEAST/GREATEST skip NULLs in most engines; the language says missing.
            function = "LEAST" if name == "min" else "GREATEST"
            return f"CASE WHEN {any_null} THEN NULL ELSE {function}({', '.join(args)}) END"
        if name == "abs":
            return f"ABS({args[0]})"
        if name == "log":
            return f"CASE WHEN {args[0]} > 0 THEN LN({args[0]}) END"
        if name == "sqrt":
            return f"CASE WHEN {args[0]} >= 0 THEN SQRT({args[0]}) END"
        if name == "clip":
            x, lo, hi = args
            return f"CASE WHEN {any_null} THEN NULL ELSE LEAST(GREATEST({x}, {lo}), {hi}) END"
        raise ScreenError(f"the SQL compiler does not know the function {name}()",
                          hint="every function of the rule language should compile")

    def _cross_sectional(self, node: Call) -> _Ref:
        arg = self.ref(node.args[0])
        x, level = arg.sql, arg.level
        over = f"OVER ({self.partition})"
        if node.name == "pct_rank":
            # Average rank among the non-missing values (ties share it), over their count:
            # rank + (how many are <= this one) = 2 x start + size + 1 for a run of ties
            # that starts after `start` smaller values. One window order serves all three
            # (`x + 0` makes -0.0 and 0.0 one value, as numpy's comparison does).
            # Missing values are ordered last by a flag, so they never count as smaller
            # (NULLS FIRST is every dialect's default or accepted, where NULLS LAST is not).
            key = f"({x} + {number(0.0)})"
            order = (f"{self.partition} ORDER BY CASE WHEN {x} IS NULL THEN 1 ELSE 0 END "
                     f"ASC NULLS FIRST, {key} ASC NULLS FIRST")
            whole = "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
            expr = (f"CASE WHEN {x} IS NULL THEN NULL ELSE "
                    f"CAST(RANK() OVER ({order}) + COUNT({x}) OVER ({order}) AS DOUBLE) / "
                    f"CAST(2 * COUNT({x}) OVER ({order} {whole}) AS DOUBLE) END")
            return self._new(level + 1, expr, arg)
        # zscore, in two passes as numpy computes it: the mean, then the mean square
        # deviation from it; 0 where every value is equal, missing if the spread overflows.
        mean = self._new(level + 1, f"SUM({x}) {over} / CAST(COUNT({x}) {over} AS DOUBLE)", arg)
        low = self._new(level + 1, f"MIN({x}) {over}", arg)
        high = self._new(level + 1, f"MAX({x}) {over}", arg)
        dev = f"({x} - {mean.sql})"
        spread = self._new(level + 2, f"SQRT(SUM({dev} * {dev}) {over} / "
                                      f"CAST(COUNT({x}) {over} AS DOUBLE))", arg, mean)
        s = spread.sql
        expr = (f"CASE WHEN {x} IS NULL THEN NULL "
                f"WHEN {high.sql} = {low.sql} THEN {number(0.0)} "
                f"WHEN NOT ({s} - {s} = 0) THEN NULL "
                f"WHEN {s} > 0 THEN {_finite(f'({x} - {mean.sql}) / {s}')} "
                f"ELSE {number(0.0)} END")
        return self._new(level + 3, expr, arg, mean, low, high, spread)


# ---------------------------------------------------------------------------
# the query


def _column_key(name: str) -> str:
    """The first stage's name for a table column (never clashes with a stage column)."""
    return f"_c:{name}"


def _assemble(pack: RulePack, builder: _Builder, values: Sequence[_Ref], *, table: str,
              ticker: str, absent: Collection[str]) -> str:
    by = builder.by
    sources = builder.sources(absent)
    keys = ([quote(by)] if by is not None else []) + [f"{quote(ticker)} AS {quote('ticker')}"]
    first = ", ".join(keys + [f"{source} AS {quote(name)}"
                              for name, source in sources.items()])
    ctes = [f"s0 AS (SELECT {first} FROM {table})"]
    # Each stage carries on only the columns a later stage still reads (the window
    # functions of a stage hold every column they are given, so fewer is faster).
    final = len(builder.stages) + 1
    last_use: dict[str, int] = {v.name: final for v in values if v.name is not None}
    for k, stage in enumerate(builder.stages, start=1):
        for name, _ in stage:
            for used in builder.uses[name]:
                last_use[used] = max(last_use.get(used, 0), k)
    carried = [quote(by)] if by is not None else []
    carried.append(quote("ticker"))
    defined = list(sources)
    for k, stage in enumerate(builder.stages, start=1):
        live = [quote(name) for name in defined if last_use.get(name, 0) > k]
        columns = [f"{sql} AS {quote(name)}" for name, sql in stage]
        ctes.append(f"s{k} AS (SELECT {', '.join(carried + live + columns)} FROM s{k - 1})")
        defined = [name for name in defined if last_use.get(name, 0) > k]
        defined += [name for name, _ in stage]
    last = f"s{len(builder.stages)}"

    outputs: list[str] = []
    contributions: list[str] = []
    statuses: list[str] = []
    for rule, value in zip(pack.rules, values, strict=True):
        v = value.sql
        c_name, s_name = quote(contribution_column(rule.id)), quote(status_column(rule.id))
        missing_code = _POLICY_CODE[rule.missing]
        if rule.kind == "gate":
            failed_if_missing = rule.missing == "zero"
            status = (f"CASE WHEN {v} IS NULL THEN "
                      f"{FAILED if failed_if_missing else missing_code} "
                      f"WHEN {v} = 0 THEN {FAILED} ELSE {OK} END")
            contribution = number(0.0)
        else:
            weight = rule.sign * rule.weight
            unusable = f"{v} IS NULL OR ABS({v}) > {number(VALUE_LIMIT)}"
            status = f"CASE WHEN {unusable} THEN {missing_code} ELSE {OK} END"
            contribution = (f"CASE WHEN {unusable} THEN {number(0.0)} "
                            f"ELSE {v} * {number(weight)} END")
        outputs += [f"{contribution} AS {c_name}", f"CAST({status} AS INTEGER) AS {s_name}"]
        contributions.append(c_name)
        statuses.append(s_name)
    head = ([quote(by)] if by is not None else []) + [quote("ticker")]
    ctes.append(f"rules AS (SELECT {', '.join(head + outputs)} FROM {last})")

    # Summed in rule order, left to right, as the numpy engine sums them.
    score = contributions[0] if contributions else number(0.0)
    for c in contributions[1:]:
        score = f"({score} + {c})"
    out_codes = f"({EXCLUDED}, {FAILED})"
    excluded = " OR ".join(f"{s} IN {out_codes}" for s in statuses) or "FALSE"
    # ", id" for each rule that excluded the row, joined, without the first ", ": plain
    # concatenation, because CONCAT_WS skips NULLs in some dialects and not in others.
    reasons = " || ".join(f"CASE WHEN {s} IN {out_codes} THEN {text(', ' + r.id)} ELSE '' END"
                          for s, r in zip(statuses, pack.rules, strict=True))
    excluded_by = (f"NULLIF(SUBSTRING({reasons}, 3), '')" if reasons
                   else "CAST(NULL AS VARCHAR)")
    ctes.append(f"scored AS (SELECT *, {score} AS {quote('score')}, NOT ({excluded}) AS "
                f"{quote('passed')}, {excluded_by} AS {quote('excluded_by')} FROM rules)")
    # The rank key of thesis_lib.rules.screen.rank_key: the score rounded to 12 decimals
    # as numpy rounds (times 1e12, to the nearest whole number with halves to even,
    # divided by 1e12), written out so that every engine's ROUND gives way to the same.
    y, f = quote("_y"), quote("_f")
    ctes.append(f"scaled AS (SELECT *, {quote('score')} * {number(1e12)} AS {y} FROM scored)")
    ctes.append(f"floored AS (SELECT *, CASE WHEN ABS({y}) < {number(2.0 ** 52)} THEN "
                f"CAST(FLOOR({y}) AS DOUBLE) END AS {f} FROM scaled)")
    half = number(0.5)
    even = f"{f} - {number(2.0)} * CAST(FLOOR({f} / {number(2.0)}) AS DOUBLE) = 0"
    nearest = (f"CASE WHEN {f} IS NULL THEN {y} WHEN {y} - {f} > {half} THEN {f} + {number(1.0)} "
               f"WHEN {y} - {f} < {half} THEN {f} WHEN {even} THEN {f} "
               f"ELSE {f} + {number(1.0)} END")
    limit = number(_RANK_ROUND_BELOW)
    ctes.append(f"keyed AS (SELECT *, CASE WHEN ABS({quote('score')}) < {limit} THEN "
                f"({nearest}) / {number(1e12)} ELSE {quote('score')} END AS {quote('_key')} "
                "FROM floored)")
    group = ", ".join(([quote(by)] if by is not None else []) + [quote("passed")])
    ctes.append(f"ranked AS (SELECT *, CASE WHEN {quote('passed')} THEN RANK() OVER "
                f"(PARTITION BY {group} ORDER BY {quote('_key')} DESC) END AS {quote('rank')} "
                "FROM keyed)")
    select = ", ".join(head + [quote(c) for c in ("score", "rank", "passed", "excluded_by")]
                       + [x for pair in zip(contributions, statuses, strict=True) for x in pair])
    order = ", ".join(([quote(by)] if by is not None else [])
                      + [f"{quote('passed')} DESC", f"{quote('_key')} DESC", quote("ticker")])
    return "WITH " + ",\n".join(ctes) + f"\nSELECT {select} FROM ranked ORDER BY {order}"
