"""Rule packs: a thesis as data, with rules and expectations, loaded from TOML or built in Python.

A pack file looks like::

    id = "one-layer-down"
    version = "1.0.0"
    description = "..."
    thesis = "..."
    chain = "ai-compute"          # the chain exposure()/exposure_below() resolve against
    universe = "my-universe.toml" # optional: what its expectations run against (a built-in
                                  # name or a path relative to the pack file)

    [[rules]]
    id = "hbm"
    kind = "score"                # score | penalty | gate
    expression = 'exposure("hbm")'
    weight = 10
    missing = "skip"              # zero | skip | exclude | error
    why = "one line tying the rule to the thesis"

    [[expect]]
    above = ["MU", "NVDA"]

Every expression is compiled when the pack is built, so a bad pack fails at load time,
with every problem reported at once (file, rule id, field and column).
"""

from __future__ import annotations

import functools
import math
import os
import unicodedata
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from thesis_lib._limits import WEIGHT_LIMIT
from thesis_lib._suggest import did_you_mean
from thesis_lib._text import describe_char, first_unsafe_in_identifier
from thesis_lib.errors import ExpressionError, Problem, RuleError, ThesisError
from thesis_lib.frame import (
    MARKET_COLUMNS,
    MARKET_STRING_COLUMNS,
    STRING_COLUMNS,
    frame_columns,
)
from thesis_lib.loading import BUILTIN_CHAINS, data_path, load_chain, read_toml
from thesis_lib.models import Scenario, SupplyChain
from thesis_lib.models._base import Model
from thesis_lib.rules.expression import (
    Expression,
    ParseContext,
    check_expression,
    compile_expression,
)

RuleKind = Literal["score", "penalty", "gate"]
MissingPolicy = Literal["zero", "skip", "exclude", "error"]

RuleId = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_\-]*$", min_length=1, max_length=64)
]

# The file a pack is being built from, so a relative `chain` path resolves next to it.
_SOURCE: ContextVar[str | None] = ContextVar("thesis_lib_pack_source", default=None)

BUILTIN_PACKS: dict[str, str] = {"one-layer-down": "packs/one-layer-down.toml"}
"""Built-in packs by name -> file inside ``thesis_lib/data``."""


class Rule(Model):
    """One rule of a pack.

    ``kind``: ``score`` adds ``weight x value`` to the company's score, ``penalty``
    subtracts it, ``gate`` excludes companies for which the expression is false (they are
    reported in :attr:`ScreenResult.excluded`, never silently dropped).

    ``missing`` says what happens where the value is missing or not finite (NaN, inf, a
    column the data does not have): ``zero`` counts it as 0, ``skip`` leaves the rule out
    for that company (a gate then lets it pass), ``exclude`` excludes the company, and
    ``error`` raises :class:`~thesis_lib.errors.MissingDataError`. A score or penalty
    value beyond ±1e18 (:data:`thesis_lib._limits.VALUE_LIMIT`) counts as missing too.
    """

    error_class = RuleError
    item_label = ("rule", "id")

    id: RuleId
    """Lowercase ASCII letters, digits, ``_`` and ``-``, starting with a letter."""
    kind: RuleKind = "score"
    expression: str = Field(min_length=1)
    weight: float = Field(default=1.0, ge=0.0, le=WEIGHT_LIMIT, allow_inf_nan=False)
    """How much one unit of the rule's value adds to (or takes from) a score: a finite
    number in ``[0, 1e6]`` (:data:`thesis_lib._limits.WEIGHT_LIMIT`), so that scores stay
    finite and rank exactly."""
    missing: MissingPolicy = "skip"
    why: str = Field(min_length=1, max_length=240)

    @field_validator("id", mode="before")
    @classmethod
    def _ascii_id(cls, value: Any) -> Any:
        return _ascii_identifier(value, "rule")

    @model_validator(mode="after")
    def _one_line_why(self) -> Rule:
        if "\n" in self.why:
            raise PydanticCustomError(
                "why_lines", "'why' must be one line",
                {"field": "why",
                 "hint": "keep it to one sentence that ties the rule to the thesis"},
            )
        return self

    @property
    def sign(self) -> float:
        """+1 for scores, -1 for penalties, 0 for gates."""
        return {"score": 1.0, "penalty": -1.0, "gate": 0.0}[self.kind]


class Expectation(Model):
    """A statement a pack makes about its own results, checked like a unit test.

    Exactly one of these forms:

    - ``above = ["MU", "NVDA"]``: the first ticker ranks above the second;
    - ``top = ["MU", "000660.KS"]`` with ``n``: every ticker is within the top ``n``;
    - ``not_top = ["AMZN", "MSFT"]`` with ``n``: no ticker is within the top ``n``;
    - ``excluded_by = "listed"`` with ``ticker``: that gate excludes the ticker;
    - ``score_between = [0.0, 5.0]`` with ``ticker``: its score lies within the bounds;
    - ``contribution = "positive" | "negative" | "zero"`` with ``rule`` and ``ticker``;
    - ``where = 'ai_exposure("hbm") >= 0.5'`` with ``outrank = ["NVDA", "AMZN"]``: every
      ranked company for which the expression (in the rule language) is true ranks above
      every ticker in ``outrank``.

    ``universe`` names the universe it runs against (a built-in name or a file; the
    built-in universe by default). ``why`` says what the expectation stands for.
    """

    error_class = RuleError
    item_label = ("expectation", "id")

    id: str | None = None
    why: str | None = None
    universe: str | None = None
    above: tuple[str, str] | None = None
    top: tuple[str, ...] | None = None
    not_top: tuple[str, ...] | None = None
    n: int | None = Field(default=None, ge=1)
    excluded_by: str | None = None
    score_between: tuple[float, float] | None = None
    contribution: Literal["positive", "negative", "zero"] | None = None
    rule: str | None = None
    ticker: str | None = None
    where: str | None = Field(default=None, min_length=1)
    outrank: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Expectation:
        forms = [f for f in _FORMS if getattr(self, f) is not None]
        if len(forms) != 1:
            raise PydanticCustomError(
                "expectation_form",
                "an expectation needs exactly one of {forms}, got {got}",
                {"forms": ", ".join(_FORMS), "got": ", ".join(forms) or "none"},
            )
        needs = {"top": ("n",), "not_top": ("n",), "excluded_by": ("ticker",),
                 "score_between": ("ticker",), "contribution": ("rule", "ticker"),
                 "where": ("outrank",)}
        for extra in needs.get(forms[0], ()):
            if getattr(self, extra) is None:
                raise PydanticCustomError(
                    "expectation_companion", "'{form}' needs '{extra}'",
                    {"form": forms[0], "extra": extra, "field": extra},
                )
        if self.score_between is not None and self.score_between[0] > self.score_between[1]:
            raise PydanticCustomError(
                "bounds", "score_between lower bound is above the upper bound",
                {"field": "score_between"},
            )
        return self

    @property
    def form(self) -> str:
        """Which kind of expectation this is (``above``, ``top``, …)."""
        return next(f for f in _FORMS if getattr(self, f) is not None)

    def describe(self) -> str:
        """A one-line statement of the expectation."""
        form = self.form
        if form == "above" and self.above:
            return f"{self.above[0]} ranks above {self.above[1]}"
        if form == "top" and self.top:
            return f"{', '.join(self.top)} within the top {self.n}"
        if form == "not_top" and self.not_top:
            return f"{', '.join(self.not_top)} outside the top {self.n}"
        if form == "excluded_by":
            return f"{self.ticker} excluded by gate {self.excluded_by!r}"
        if form == "score_between" and self.score_between:
            low, high = self.score_between
            return f"score of {self.ticker} within [{low:g}, {high:g}]"
        if form == "where" and self.outrank:
            return f"every company where {self.where} ranks above {', '.join(self.outrank)}"
        return f"contribution of rule {self.rule!r} to {self.ticker} is {self.contribution}"


_FORMS = ("above", "top", "not_top", "excluded_by", "score_between", "contribution", "where")


class RulePack(Model):
    """A thesis as data: rules that score companies and expectations that test them.

    Building one compiles every expression against the pack's chain (``chain``, the
    built-in ``ai-compute`` by default) and the known columns of the screening frame
    (see :meth:`thesis_lib.Universe.to_frame`), the market columns, and any extra
    ``columns`` the pack declares for data users bring themselves.
    """

    error_class = RuleError

    id: str = Field(min_length=1)
    """Printable ASCII (a lookalike or a control character is an error naming it)."""
    version: str = "0.0.0"
    description: str = ""
    thesis: str = ""
    chain: str = "ai-compute"
    universe: str | None = Field(default=None, min_length=1)
    """The universe the pack's expectations run against unless one names its own: a
    built-in universe name or a universe file, relative to the pack file (see
    :meth:`universe_source`). Unset, the built-in universe."""
    columns: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = Field(min_length=1)
    expect: tuple[Expectation, ...] = ()
    basket: dict[str, Any] | None = None
    """An optional ``[basket]`` table (see :class:`thesis_lib.basket.BasketRules`)."""
    scenarios: tuple[Scenario, ...] = ()
    """Named scenarios shipped with the pack (``[[scenarios]]``; see
    :mod:`thesis_lib.scenarios`)."""

    @field_validator("id", mode="before")
    @classmethod
    def _ascii_id(cls, value: Any) -> Any:
        return _ascii_identifier(value, "pack")

    @field_validator("columns", mode="before")
    @classmethod
    def _ascii_columns(cls, values: Any) -> Any:
        if isinstance(values, list | tuple):
            for value in values:
                _ascii_identifier(value, "column")
        return values

    _compiled: dict[str, Expression] = PrivateAttr(default_factory=dict)
    _conditions: dict[str, Expression] = PrivateAttr(default_factory=dict)
    _positions: dict[str, int] = PrivateAttr(default_factory=dict)
    _source: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _compile(self) -> RulePack:
        # Every expression is parsed exactly once, here; its problems (if any) are
        # collected with the others so that one build reports every mistake.
        chain = _chain_for(self.chain, _SOURCE.get())
        context = parse_context(chain, self.columns)
        problems = _duplicate_rule_problems(self.rules)
        compiled: dict[str, Expression] = {}
        for rule in self.rules:
            try:
                compiled[rule.id] = compile_expression(rule.expression, context)
            except ExpressionError as error:
                problems += [p.located(item=f"rule {rule.id!r}") for p in error.problems]
        conditions: dict[str, Expression] = {}
        for i, exp in enumerate(self.expect):
            if exp.where is None:
                continue
            try:
                conditions[exp.where] = compile_expression(exp.where, context)
            except ExpressionError as error:
                where = f"expectation {exp.id!r}" if exp.id else f"expectation #{i + 1}"
                problems += [Problem(p.message, item=where, field="where",
                                     position=p.position, hint=p.hint) for p in error.problems]
        problems += _expectation_problems(self)
        problems += _basket_problems(self.basket)
        problems += _scenario_problems(self)
        if problems:
            raise RuleError(problems)
        self._compiled = compiled
        self._conditions = conditions
        # Positions do not change in copies (with_weights keeps the rules' order).
        self._positions = {rule.id: i for i, rule in enumerate(self.rules)}
        return self

    def condition(self, text: str) -> Expression:
        """The compiled ``where`` expression of an expectation."""
        return self._conditions[text]

    def __eq__(self, other: object) -> bool:
        # Equal when the data is equal; where it was loaded from and the compiled trees
        # (derived from the data) do not count.
        if not isinstance(other, RulePack):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    def __hash__(self) -> int:
        return hash(self.model_dump_json())

    def _repr_html_(self) -> str:
        from thesis_lib._html import pack_html

        return pack_html(self)

    # -- access -------------------------------------------------------------------------
    def rule(self, rule_id: str) -> Rule:
        """The rule with this id; :class:`RuleError` with close matches if unknown."""
        position = self._positions.get(rule_id)
        if position is not None:
            return self.rules[position]
        raise RuleError(
            f"unknown rule {rule_id!r}", item=f"pack {self.id!r}",
            hint=did_you_mean(rule_id, [r.id for r in self.rules], what="rules"),
        )

    def expression(self, rule_id: str) -> Expression:
        """The compiled expression of a rule."""
        compiled = self._compiled.get(rule_id)
        if compiled is None:
            self.rule(rule_id)  # raises with close matches
        return self._compiled[rule_id]

    @property
    def read_columns(self) -> frozenset[str]:
        """Every column the rules' expressions read (``exposure()`` and the other layer
        functions resolved), whichever engine scores them."""
        return frozenset().union(*(self._compiled[r.id].columns for r in self.rules))

    @property
    def gates(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.kind == "gate")

    @property
    def supply_chain(self) -> SupplyChain:
        """The supply chain the pack's expressions resolve layers against."""
        return _chain_for(self.chain, self._source)

    @property
    def source(self) -> str | None:
        """The file this pack was loaded from, if any."""
        return self._source

    def universe_source(self, spec: str | None = None) -> str | Path | None:
        """Where the universe ``spec`` (the pack's own ``universe`` by default) is loaded
        from: a built-in universe name as is, a relative path next to the pack file;
        None when the pack names no universe."""
        from thesis_lib.loading import BUILTIN_UNIVERSES

        spec = self.universe if spec is None else spec
        if spec is None:
            return None
        if spec in BUILTIN_UNIVERSES:
            return spec
        path = Path(spec)
        if not path.is_absolute() and self._source:
            path = Path(self._source).parent / path
        return path

    def with_weights(self, weights: Mapping[str, float]) -> RulePack:
        """A copy with some rule weights changed, e.g. ``pack.with_weights({"hbm": 5})``.

        Expressions do not depend on weights, so the copy reuses this pack's compiled
        expressions: changing weights costs no parsing (scenarios and stability draws rely
        on it). An unknown rule id, or a weight that is not a finite number in ``[0, 1e6]``
        (:data:`thesis_lib._limits.WEIGHT_LIMIT`), is an error.
        """
        problems = []
        for rule_id, weight in weights.items():
            self.rule(rule_id)
            if isinstance(weight, bool) or not isinstance(weight, int | float) \
                    or not math.isfinite(weight) or weight < 0:
                problems.append(Problem(f"weight must be a finite number >= 0, got {weight!r}",
                                        item=f"rule {rule_id!r}", field="weight"))
            elif weight > WEIGHT_LIMIT:
                problems.append(Problem(
                    f"weight must be at most {WEIGHT_LIMIT:g}, got {weight!r}",
                    item=f"rule {rule_id!r}", field="weight",
                    hint="weights are relative: scale them all down together"))
        if problems:
            raise RuleError(problems)
        rules = tuple(
            r.model_copy(update={"weight": float(weights[r.id])}) if r.id in weights else r
            for r in self.rules
        )
        return self.model_copy(update={"rules": rules})

    def problems(self, data: Any = None) -> list[Problem]:
        """Every problem with using this pack on ``data`` (a Universe or frame), [] if none.

        Checks that the data's chain matches the pack's and that every column the rules
        read is either in the data or a known optional column (market data) that the
        rules' missing-data policies then handle.
        """
        from thesis_lib.models import Universe

        out: list[Problem] = []
        if isinstance(data, Universe):
            chain = _chain_for(self.chain, self._source)
            if set(chain.ids) != set(data.chain.ids):
                out.append(Problem(
                    f"the universe's chain {data.chain.id!r} has other layers than the "
                    f"pack's chain {self.chain!r}", item=f"pack {self.id!r}", field="chain",
                    hint="screen a universe built on the pack's chain, or set the pack's chain",
                ))
            columns = set(frame_columns(data.chain.ids))
        elif data is not None:
            columns = {str(c) for c in getattr(data, "columns", ())}
        else:
            return out
        optional = set(MARKET_COLUMNS) | MARKET_STRING_COLUMNS
        for rule in self.rules:
            for column in sorted(self._compiled[rule.id].columns - columns - optional):
                if rule.missing == "error":
                    out.append(Problem(
                        f"reads column {column!r}, which the data does not have",
                        item=f"rule {rule.id!r}", field="expression",
                        hint="add the column to the data or change the rule's missing policy",
                    ))
        return out

    @property
    def basket_rules(self) -> Any:
        """The pack's ``[basket]`` table as :class:`thesis_lib.basket.BasketRules` (or None)."""
        if self.basket is None:
            return None
        from thesis_lib.models.basket_rules import BasketRules

        return BasketRules.parse(self.basket, file=self._source)

    def is_valid(self, data: Any = None) -> bool:
        """True when :meth:`problems` finds nothing."""
        return not self.problems(data)

    def to_toml(self) -> str:
        """The pack as TOML text that :func:`load_pack` reads back."""
        from thesis_lib import _toml

        doc = self.model_dump(mode="python", exclude_none=True)
        doc["expect"] = [e.model_dump(exclude_none=True) for e in self.expect]
        if not doc["expect"]:
            del doc["expect"]
        return _toml.dumps(doc)


def parse_context(chain: SupplyChain, columns: Sequence[str] = ()) -> ParseContext:
    """What an expression may name: the frame's columns for ``chain``, market columns, extras."""
    known = frozenset(frame_columns(chain.ids)) | frozenset(MARKET_COLUMNS)
    known |= MARKET_STRING_COLUMNS | frozenset(columns)
    return ParseContext(
        columns=known,
        string_columns=STRING_COLUMNS | MARKET_STRING_COLUMNS,
        layers=chain.ids,
        below=chain.below,
        favoured=chain.favoured,
    )


@functools.lru_cache(maxsize=16)
def _builtin_chain(name: str) -> SupplyChain:
    return load_chain(name)


def _chain_for(spec: str, source: str | None) -> SupplyChain:
    if spec in BUILTIN_CHAINS:
        return _builtin_chain(spec)
    path = Path(spec)
    if not path.is_absolute() and source:
        path = Path(source).parent / path
    return load_chain(path)


def _rule_problems(
    rules: Sequence[Any], chain: SupplyChain, columns: Sequence[str]
) -> list[Problem]:
    """Expression and duplicate-id problems of raw rule tables, every one of them."""
    context = parse_context(chain, columns)
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, raw in enumerate(rules):
        if not isinstance(raw, Mapping):
            continue
        rule_id = raw.get("id")
        where = f"rule {rule_id!r}" if isinstance(rule_id, str) and rule_id else f"rule #{i + 1}"
        if isinstance(rule_id, str):
            if rule_id in seen:
                problems.append(Problem("duplicate rule id", item=where, field="id",
                                        hint="give every rule a unique id"))
            seen.add(rule_id)
        expression = raw.get("expression")
        if isinstance(expression, str) and expression.strip():
            problems += [p.located(item=where) for p in check_expression(expression, context)]
    return problems


def _scenario_problems(pack: RulePack) -> list[Problem]:
    """Scenarios must have unique ids and change only rules the pack has."""
    problems: list[Problem] = []
    seen: set[str] = set()
    ids = {r.id for r in pack.rules}
    for scenario in pack.scenarios:
        where = f"scenario {scenario.id!r}"
        if scenario.id in seen:
            problems.append(Problem("duplicate scenario id", item=where, field="id",
                                    hint="give every scenario its own id"))
        seen.add(scenario.id)
        for rule_id in scenario.weights:
            if rule_id not in ids:
                problems.append(Problem(f"unknown rule {rule_id!r}", item=where,
                                        field=f"weights.{rule_id}",
                                        hint=did_you_mean(rule_id, ids, what="rules")))
    return problems


def _basket_problems(table: Mapping[str, Any] | None) -> list[Problem]:
    if table is None:
        return []
    from thesis_lib.models.basket_rules import BasketRules

    try:
        BasketRules.parse(table)
    except ThesisError as exc:
        return [Problem(p.message, item="[basket]", field=p.field, hint=p.hint)
                for p in exc.problems]
    return []


def _ascii_identifier(value: Any, what: str) -> Any:
    """``value`` unchanged if it is not text or is printable ASCII; else a pydantic error
    naming the first other character (``U+FF4C FULLWIDTH LATIN SMALL LETTER L at column 3``)."""
    if not isinstance(value, str):
        return value
    bad = first_unsafe_in_identifier(value)
    if bad is None:
        return value
    folded = unicodedata.normalize("NFKC", value)
    hint = (f"type it in plain ASCII: {folded!r}" if folded.isascii() and folded.isprintable()
            else f"write the {what} name in printable ASCII")
    raise PydanticCustomError(
        "ascii_identifier", "{what} {value} must be printable ASCII: {char} at column {column}",
        {"what": what, "value": repr(value), "char": describe_char(value[bad]),
         "column": bad + 1, "hint": hint},
    )


def _duplicate_rule_problems(rules: Sequence[Rule]) -> list[Problem]:
    seen: set[str] = set()
    problems: list[Problem] = []
    for rule in rules:
        if rule.id in seen:
            problems.append(Problem("duplicate rule id", item=f"rule {rule.id!r}", field="id",
                                    hint="give every rule a unique id"))
        seen.add(rule.id)
    return problems


def _expectation_problems(pack: RulePack) -> list[Problem]:
    ids = {r.id for r in pack.rules}
    gates = {r.id for r in pack.rules if r.kind == "gate"}
    problems: list[Problem] = []
    for i, exp in enumerate(pack.expect):
        where = f"expectation {exp.id!r}" if exp.id else f"expectation #{i + 1}"
        if exp.rule is not None and exp.rule not in ids:
            problems.append(Problem(f"unknown rule {exp.rule!r}", item=where, field="rule",
                                    hint=did_you_mean(exp.rule, ids, what="rules")))
        if exp.excluded_by is not None and exp.excluded_by not in gates:
            problems.append(Problem(f"{exp.excluded_by!r} is not a gate of this pack",
                                    item=where, field="excluded_by",
                                    hint=did_you_mean(exp.excluded_by, gates, what="gates")))
    return problems


def pack_problems(data: Mapping[str, Any], *, file: str | None = None) -> list[Problem]:
    """Every problem in a raw pack (e.g. parsed TOML), without raising. [] if it is valid.

    Field errors in any rule, unknown fields, bad kinds and policies, and every
    expression's errors are all collected, so one run lists every mistake.
    """
    problems: list[Problem] = []
    try:
        _build(data, file)
    except ThesisError as exc:
        problems += exc.problems
    else:
        return []
    # Field errors stop pydantic before expressions are compiled: check those on their own.
    chain_spec = data.get("chain", "ai-compute")
    try:
        chain = _chain_for(chain_spec if isinstance(chain_spec, str) else "ai-compute", file)
    except ThesisError:
        chain = _builtin_chain("ai-compute")
    columns = data.get("columns", ())
    if not isinstance(columns, list | tuple) or not all(isinstance(c, str) for c in columns):
        columns = ()
    rules = data.get("rules", ())
    if isinstance(rules, list | tuple):
        problems += [p.located(file=file) for p in _rule_problems(rules, chain, columns)]
    unique: dict[str, Problem] = {}
    for p in problems:
        unique.setdefault(str(p), p)
    return list(unique.values())


def _build(data: Mapping[str, Any], file: str | None) -> RulePack:
    token = _SOURCE.set(file)
    try:
        try:
            pack: RulePack = RulePack.parse(data, file=file)
        except ThesisError as exc:
            raise type(exc)([p.located(file=file) for p in exc.problems]) from None
    finally:
        _SOURCE.reset(token)
    pack._source = file
    return pack


def load_pack(source: str | os.PathLike[str] = "one-layer-down") -> RulePack:
    """Load a rule pack: a built-in by name (``"one-layer-down"``) or a TOML file.

    Raises :class:`~thesis_lib.errors.RuleError` listing every problem in the file.
    """
    if isinstance(source, str) and source in BUILTIN_PACKS:
        path = data_path(BUILTIN_PACKS[source])
    else:
        path = Path(source)
        if (isinstance(source, str) and not source.endswith(".toml") and "\x00" not in source
                and not os.path.lexists(path)):
            raise RuleError(
                f"no built-in pack named {source!r} and no such file",
                hint=did_you_mean(source, BUILTIN_PACKS, what="packs"),
            )
    data = read_toml(path, error=RuleError)
    try:
        return _build(data, str(path))  # parses and compiles every expression once
    except ThesisError as error:
        # A field error stops pydantic before the expressions are compiled: look again,
        # collecting every problem in the file, so one run lists every mistake.
        problems = pack_problems(data, file=str(path))
        raise RuleError(problems or list(error.problems)) from None


def validate_pack(source: str | os.PathLike[str] | Mapping[str, Any]) -> list[Problem]:
    """Every problem in a pack file, built-in name or raw mapping; [] when it is valid."""
    if isinstance(source, Mapping):
        return pack_problems(source)
    try:
        load_pack(source)
    except ThesisError as exc:
        return list(exc.problems)
    return []
