"""Running a pack's expectations like unit tests, with a report that explains every miss.

::

    from thesis_lib.testing import check_pack
    report = check_pack("my-thesis.pack.toml")
    report.ok            # True when every expectation holds
    print(report)        # PASS/FAIL per expectation; for each failure what was expected,
                         # what happened, the contributions behind it and the rule to look at
    report.to_frame()    # one row per expectation

Each expectation runs against its own universe (``universe = ...`` in the ``[[expect]]``
entry: a built-in universe name or a file, relative to the pack's folder); an expectation
that names none runs against the universe given to :func:`check_pack`, else the pack's own
(``universe = ...`` at the top of the pack), else the built-in one. Each distinct universe
is screened once. :func:`expectation_problems` checks, without screening, that every
ticker an expectation names is in the universe it runs against.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from thesis_lib._suggest import did_you_mean
from thesis_lib._text import plain_lines
from thesis_lib.errors import Problem, RuleError, ThesisError
from thesis_lib.loading import BUILTIN_UNIVERSES, DEFAULT_UNIVERSE, load_universe
from thesis_lib.models import Universe
from thesis_lib.pipeline import screen
from thesis_lib.rules.pack import Expectation, Rule, RulePack, load_pack
from thesis_lib.rules.screen import EXCLUDED, FAILED, STATUS_NAMES, ScreenResult, column_array

__all__ = ["ExpectationResult", "PackReport", "check_pack", "expectation_problems",
           "format_reports"]

_EPS = 1e-12


def _signed(value: float, digits: int = 2) -> str:
    """``+1.25`` / ``-0.40``; never ``-0.00``."""
    text = f"{value:+.{digits}f}"
    return f"{0.0:+.{digits}f}" if float(text) == 0 else text
_TOLERANCE = 1e-9
_SHOWN_RULES = 3


@dataclass(frozen=True)
class ExpectationResult:
    """The outcome of one expectation.

    ``expected`` states the expectation, ``actual`` what the screen produced;
    ``explanation`` (empty when it passed) lists the contributions that explain a miss,
    one per line, and ``rule_to_look_at`` names the rule most responsible for it
    (``None`` when no single rule is, e.g. for an unknown ticker).
    """

    expectation: Expectation
    index: int
    universe: str
    passed: bool
    expected: str
    actual: str
    explanation: str = ""
    rule_to_look_at: str | None = None

    @property
    def name(self) -> str:
        """The expectation's ``id``, or ``#n`` (its 1-based position in the pack)."""
        return self.expectation.id or f"#{self.index}"

    def to_text(self, pack: RulePack | None = None) -> str:
        """This result as report lines: one line if it passed, a block if it failed."""
        head = f"{'PASS' if self.passed else 'FAIL'}  {self.name}: {self.expected}"
        if self.passed:
            return plain_lines(head)
        lines = [head, f"      expected: {self.expected}", f"      actual:   {self.actual}"]
        explanation = self.explanation.splitlines()
        if explanation:
            lines.append(f"      because:  {explanation[0]}")
            lines += [f"                {line}" for line in explanation[1:]]
        if self.rule_to_look_at is not None:
            lines.append(f"      look at:  {_describe_rule(pack, self.rule_to_look_at)}")
        if self.expectation.why:
            lines.append(f"      (the expectation: {self.expectation.why})")
        return plain_lines("\n".join(lines))


@dataclass(frozen=True)
class PackReport:
    """Every expectation of one pack, checked: :attr:`ok` is True when all of them hold.

    ``str(report)`` is a readable report; :meth:`to_frame` a table with one row per
    expectation.
    """

    pack_id: str
    source: str | None
    results: tuple[ExpectationResult, ...]
    universes: tuple[str, ...] = ()
    pack: RulePack | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """True when every expectation passed (also when the pack has none)."""
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> tuple[ExpectationResult, ...]:
        """The expectations that did not hold, in pack order."""
        return tuple(r for r in self.results if not r.passed)

    def result(self, name: str) -> ExpectationResult:
        """The result of the expectation with this id (or ``#n``)."""
        for r in self.results:
            if r.name == name:
                return r
        raise RuleError(f"no expectation named {name!r}", item=f"pack {self.pack_id!r}",
                        hint=did_you_mean(name, [r.name for r in self.results],
                                          what="expectations"))

    def __str__(self) -> str:
        where = f" ({self.source})" if self.source else ""
        failed = len(self.failures)
        lines = [f"pack {self.pack_id!r}{where}"]
        if self.universes:
            lines.append(f"universe: {', '.join(self.universes)}")
        default = self.universes[0] if self.universes else None
        for r in self.results:
            text = r.to_text(self.pack)
            if r.universe != default:
                first, _, rest = text.partition("\n")
                text = f"{first}  [universe {r.universe}]" + (f"\n{rest}" if rest else "")
            lines.append(text)
        total = len(self.results)
        if not total:
            lines.append("no expectations: add [[expect]] entries to the pack")
        else:
            lines.append(f"{total} expectation{'s' if total != 1 else ''}: "
                         f"{total - failed} passed, {failed} failed")
        return plain_lines("\n".join(lines))

    def to_frame(self) -> pd.DataFrame:
        """One row per expectation: name, form, universe, passed, expected, actual, etc."""
        rows = [
            {
                "expectation": r.name,
                "form": r.expectation.form,
                "universe": r.universe,
                "passed": r.passed,
                "expected": r.expected,
                "actual": r.actual,
                "rule_to_look_at": r.rule_to_look_at,
                "explanation": r.explanation,
            }
            for r in self.results
        ]
        columns = ["expectation", "form", "universe", "passed", "expected", "actual",
                   "rule_to_look_at", "explanation"]
        frame = pd.DataFrame(rows, columns=columns)
        text = [c for c in columns if c != "passed"]
        frame[text] = frame[text].astype("string")
        frame["passed"] = frame["passed"].astype(bool)
        return frame


def format_reports(reports: Iterable[PackReport]) -> str:
    """Several reports one after the other, then a line totalling them."""
    reports = list(reports)
    parts = [str(r) for r in reports]
    total = sum(len(r.results) for r in reports)
    failed = sum(len(r.failures) for r in reports)
    bad = sum(not r.ok for r in reports)
    packs = f"{len(reports)} pack{'s' if len(reports) != 1 else ''}"
    parts.append(f"{packs}, {total} expectations: {total - failed} passed, {failed} failed"
                 + (f" (in {bad} pack{'s' if bad != 1 else ''})" if bad else ""))
    return "\n\n".join(parts)


# ---------------------------------------------------------------------------------------
# running


def check_pack(
    pack: RulePack | str | os.PathLike[str],
    universe: Universe | str | os.PathLike[str] | None = None,
) -> PackReport:
    """Check every expectation of ``pack`` and return a :class:`PackReport`.

    ``pack`` is a :class:`~thesis_lib.RulePack`, a built-in pack name or a pack file (a
    pack that does not load raises :class:`~thesis_lib.RuleError`). ``universe`` is the
    universe for expectations that do not name their own: a :class:`~thesis_lib.Universe`,
    a built-in universe name or a universe file; by default the pack's ``universe``
    (relative to the pack file), else the built-in universe.
    A universe that cannot be loaded or screened fails the expectations that use it,
    with the error as what happened, so the report still covers every expectation.
    """
    if not isinstance(pack, RulePack):
        pack = load_pack(pack)
    runner = _Runner(pack, universe)
    results = tuple(runner.check(i, exp) for i, exp in enumerate(pack.expect, start=1))
    return PackReport(pack_id=pack.id, source=pack.source, results=results,
                      universes=tuple(runner.labels), pack=pack)


@dataclass
class _Screened:
    label: str
    result: ScreenResult | None = None
    error: ThesisError | None = None
    scores: pd.DataFrame | None = None
    contributions: pd.DataFrame | None = None


def _key(path: Path) -> str:
    """The cache key of a universe file: its resolved path, or the path as written when it
    cannot be resolved (a NUL byte, a symbolic-link loop; loading it reports why)."""
    try:
        return str(path.resolve())
    except (OSError, ValueError, RuntimeError):
        return str(path.absolute())


def universe_spec(
    pack: RulePack, exp: Expectation, default: Universe | str | os.PathLike[str] | None = None
) -> tuple[str, str, Universe | str | Path]:
    """(cache key, label, what to load) of the universe ``exp`` runs against: its own
    ``universe``, else ``default``, else the pack's ``universe``, else the built-in one."""
    spec = exp.universe
    if spec is None and default is not None:
        if isinstance(default, Universe):
            return f"object:{id(default)}", default.id, default
        if isinstance(default, str) and default in BUILTIN_UNIVERSES:
            return f"builtin:{default}", default, default
        path = Path(default)
        return f"file:{_key(path)}", str(default), path
    if spec is None:
        spec = pack.universe
    if spec is None:
        return f"builtin:{DEFAULT_UNIVERSE}", DEFAULT_UNIVERSE, DEFAULT_UNIVERSE
    where = pack.universe_source(spec)
    if isinstance(where, Path):
        return f"file:{_key(where)}", spec, where
    return f"builtin:{spec}", spec, spec


def expectation_problems(
    pack: RulePack | str | os.PathLike[str],
    universe: Universe | str | os.PathLike[str] | None = None,
) -> list[Problem]:
    """Every ticker an expectation names that the universe it runs against lacks (with
    close matches), and every such universe that does not load; [] when all is well.

    The universes are chosen as :func:`check_pack` does (``universe`` for expectations
    without their own, by default the pack's ``universe``), loaded but not screened.
    """
    if not isinstance(pack, RulePack):
        pack = load_pack(pack)
    loaded: dict[str, Universe | ThesisError] = {}
    problems: list[Problem] = []
    for i, exp in enumerate(pack.expect, start=1):
        key, label, what = universe_spec(pack, exp, universe)
        if key not in loaded:
            try:
                loaded[key] = what if isinstance(what, Universe) else load_universe(what)
            except ThesisError as error:
                loaded[key] = error
                # Named by the expectation, by the pack, or given by the caller.
                item = _where(exp, i) if exp.universe is not None else None
                field = "universe" if exp.universe is not None or universe is None else None
                problems += [Problem(f"cannot load the universe: {p}", file=pack.source,
                                     item=item, field=field) for p in error.problems]
        found = loaded[key]
        if isinstance(found, ThesisError):
            continue
        tickers = set(found.tickers)
        for name, ticker in _named_tickers(exp):
            if ticker not in tickers:
                problems.append(Problem(
                    f"unknown ticker {ticker!r} in universe {label}", file=pack.source,
                    item=_where(exp, i),
                    field=name, hint=did_you_mean(ticker, tickers, what="tickers")
                    or f"the universe {label} has no such company; check the ticker or the "
                       "universe the expectation runs against"))
    return problems


def _where(exp: Expectation, index: int) -> str:
    return f"expectation {exp.id!r}" if exp.id else f"expectation #{index}"


def _named_tickers(exp: Expectation) -> list[tuple[str, str]]:
    """(field, ticker) for every ticker ``exp`` names, e.g. ``("above[1]", "NVDA")``."""
    out: list[tuple[str, str]] = []
    for name in ("above", "top", "not_top", "outrank"):
        for j, ticker in enumerate(getattr(exp, name) or ()):
            out.append((f"{name}[{j}]", ticker))
    if exp.ticker is not None:
        out.append(("ticker", exp.ticker))
    return out


class _Runner:
    def __init__(self, pack: RulePack, default: Universe | str | os.PathLike[str] | None):
        self.pack = pack
        self.default = default
        self.screened: dict[str, _Screened] = {}
        self.labels: list[str] = []

    # -- universes ----------------------------------------------------------------------
    def _spec(self, exp: Expectation) -> tuple[str, str, Universe | str | Path]:
        """(cache key, label, what to load) of the universe an expectation runs against."""
        return universe_spec(self.pack, exp, self.default)

    def _screen(self, exp: Expectation) -> _Screened:
        key, label, what = self._spec(exp)
        if key in self.screened:
            return self.screened[key]
        entry = _Screened(label)
        if label not in self.labels:
            self.labels.append(label)
        try:
            data = what if isinstance(what, Universe) else load_universe(what)
            entry.result = screen(data, self.pack)
            entry.scores = entry.result.scores
            entry.contributions = entry.result.contributions
        except ThesisError as error:
            entry.error = error
        self.screened[key] = entry
        return entry

    # -- one expectation ------------------------------------------------------------------
    def check(self, index: int, exp: Expectation) -> ExpectationResult:
        screened = self._screen(exp)
        expected = exp.describe()

        def fail(actual: str, explanation: str = "", rule: str | None = None
                 ) -> ExpectationResult:
            return ExpectationResult(exp, index, screened.label, False, expected, actual,
                                     explanation, rule)

        if screened.error is not None:
            return fail(f"could not screen universe {screened.label}: {screened.error}",
                        rule=_rule_in(screened.error))
        view = _View(self.pack, screened)
        unknown = [t for t in _tickers(exp) if t not in view.scores.index]
        if unknown:
            hint = did_you_mean(unknown[0], [str(t) for t in view.scores.index],
                                what="tickers")
            return fail(f"unknown ticker {unknown[0]!r} in universe {screened.label}"
                        + (f" ({hint})" if hint else ""))
        form = exp.form
        passed, actual, explanation, rule = _CHECKS[form](view, exp)
        return ExpectationResult(exp, index, screened.label, passed, expected, actual,
                                 "" if passed else explanation, None if passed else rule)


def _tickers(exp: Expectation) -> list[str]:
    out: list[str] = []
    for group in (exp.above, exp.top, exp.not_top, exp.outrank):
        if group:
            out += list(group)
    if exp.ticker is not None:
        out.append(exp.ticker)
    return list(dict.fromkeys(out))


def _rule_in(error: ThesisError) -> str | None:
    for problem in error.problems:
        match = re.fullmatch(r"rule '([^']+)'", problem.item or "")
        if match:
            return match.group(1)
    return None


def _describe_rule(pack: RulePack | None, rule_id: str) -> str:
    if pack is None:
        return f"rule {rule_id!r}"
    try:
        rule = pack.rule(rule_id)
    except ThesisError:
        return f"rule {rule_id!r}"
    how = "gate" if rule.kind == "gate" else f"{rule.kind}, weight {rule.weight:g}"
    return f"rule {rule.id!r} ({how}): {rule.expression}"


class _View:
    """Lookups on one screen result, for checking expectations."""

    def __init__(self, pack: RulePack, screened: _Screened) -> None:
        if screened.result is None or screened.scores is None or \
                screened.contributions is None:  # pragma: no cover - guarded by caller
            raise ThesisError("no screen result")
        self.pack = pack
        self.result: ScreenResult = screened.result
        self.scores: pd.DataFrame = screened.scores
        self.contributions: pd.DataFrame = screened.contributions
        self.ranked = self.scores[self.scores["passed"]]

    def rank(self, ticker: str) -> int | None:
        rank = self.scores.at[ticker, "rank"]
        return None if pd.isna(rank) else int(rank)

    def score(self, ticker: str) -> float:
        return float(self.scores.at[ticker, "score"])

    def gates_excluding(self, ticker: str) -> list[str]:
        text = self.scores.at[ticker, "excluded_by"]
        return [] if pd.isna(text) else [s.strip() for s in str(text).split(",")]

    def place(self, ticker: str) -> str:
        rank = self.rank(ticker)
        where = f"rank {rank} of {len(self.ranked)}" if rank is not None else \
            f"excluded by {', '.join(self.gates_excluding(ticker))}"
        return f"{ticker} {where}, score {_signed(self.score(ticker))}"

    def exclusion(self, ticker: str) -> tuple[str, str | None]:
        """Why ``ticker`` is excluded (one line per rule) and the first rule excluding it."""
        gates = self.gates_excluding(ticker)
        lines = []
        i = self._row(ticker)
        for gate_id in gates:
            j = self._col(gate_id)
            code = int(self.result.status[i, j])
            rule = self.pack.rule(gate_id)
            if code == FAILED:
                lines.append(f"{ticker} fails gate {gate_id!r}: {rule.expression} is false")
            else:
                lines.append(f"{ticker} excluded by rule {gate_id!r}: {STATUS_NAMES[code]}")
        return "\n".join(lines), (gates[0] if gates else None)

    def _row(self, ticker: str) -> int:
        return int(np.flatnonzero(self.result.frame.index == ticker)[0])

    def _col(self, rule_id: str) -> int:
        return [r.id for r in self.pack.rules].index(rule_id)

    def separation(self, first: str, second: str, *, lifts: bool) -> tuple[list[str], str | None]:
        """The rules that most separate ``first`` from ``second``.

        With ``lifts`` False: the rules holding ``first`` below ``second`` (most negative
        difference first); with True: the rules lifting ``first`` above ``second``.
        """
        a = self.contributions.loc[first]
        b = self.contributions.loc[second]
        gap = a - b
        sign = 1.0 if lifts else -1.0
        ordered = sorted(((sign * float(g), str(rule)) for rule, g in gap.items()
                          if sign * float(g) > _EPS), reverse=True)[:_SHOWN_RULES]
        width = max([len(r) for _, r in ordered] + [4])
        lines = [
            f"  {rule:<{width}} {_signed(sign * g)}  ({first} "
            f"{_signed(float(a[rule]))}, {second} {_signed(float(b[rule]))})"
            for g, rule in ordered
        ]
        return lines, (ordered[0][1] if ordered else None)

    def top_contributions(
        self, ticker: str, *, sign: float = 0.0
    ) -> tuple[list[str], str | None]:
        """``ticker``'s largest contributions (only those of ``sign`` if given), and the first."""
        row = self.contributions.loc[ticker]
        items = [(str(rule), float(v)) for rule, v in row.items() if abs(float(v)) > _EPS]
        if sign:
            items = [(r, v) for r, v in items if v * sign > 0]
        items.sort(key=lambda item: -abs(item[1]))
        items = items[:_SHOWN_RULES]
        width = max([len(r) for r, _ in items] + [4])
        lines = [f"  {rule:<{width}} {_signed(v)}" for rule, v in items]
        return lines, (items[0][0] if items else None)


_Outcome = tuple[bool, str, str, str | None]


def _check_above(view: _View, exp: Expectation) -> _Outcome:
    if exp.above is None:  # pragma: no cover - guarded by the form
        raise ThesisError("not an 'above' expectation")
    a, b = exp.above
    ra, rb = view.rank(a), view.rank(b)
    passed = ra is not None and (rb is None or ra < rb)
    actual = f"{view.place(a)}; {view.place(b)}"
    if passed:
        return True, actual, "", None
    if ra is None:
        why, rule = view.exclusion(a)
        return False, actual, why, rule
    lines, rule = view.separation(a, b, lifts=False)
    head = f"rules that most separate {a} from {b} ({a} minus {b}):" if lines else \
        f"{a} and {b} score the same on every rule"
    return False, actual, "\n".join([head, *lines]), rule


def _check_top(view: _View, exp: Expectation) -> _Outcome:
    tickers, n = exp.top or (), exp.n or 1
    misses = [t for t in tickers if (r := view.rank(t)) is None or r > n]
    actual = "; ".join(view.place(t) for t in tickers)
    if not misses:
        return True, actual, "", None
    cutoff = str(view.ranked.index[n - 1]) if len(view.ranked) >= n else None
    if cutoff is not None:
        actual += f"; the top {n} ends at {view.place(cutoff)}"
    lines: list[str] = []
    look: str | None = None
    for t in misses:
        if view.rank(t) is None:
            why, rule = view.exclusion(t)
            lines.append(why)
        elif cutoff is not None:
            sep, rule = view.separation(t, cutoff, lifts=False)
            lines += [f"rules holding {t} below {cutoff} ({t} minus {cutoff}):", *sep]
        else:  # pragma: no cover - a ranked ticker is always within a short ranking
            rule = None
        look = look or rule
    return False, actual, "\n".join(lines), look


def _check_not_top(view: _View, exp: Expectation) -> _Outcome:
    tickers, n = exp.not_top or (), exp.n or 1
    hits = [t for t in tickers if (r := view.rank(t)) is not None and r <= n]
    actual = "; ".join(view.place(t) for t in tickers)
    if not hits:
        return True, actual, "", None
    after = str(view.ranked.index[n]) if len(view.ranked) > n else None
    lines: list[str] = []
    look: str | None = None
    for t in hits:
        if after is not None:
            sep, rule = view.separation(t, after, lifts=True)
            lines += [f"rules lifting {t} above {after}, the first outside the top {n} "
                      f"({t} minus {after}):", *sep]
        else:
            sep, rule = view.top_contributions(t, sign=1.0)
            lines += [f"only {len(view.ranked)} companies are ranked; {t}'s largest "
                      "contributions:", *sep]
        look = look or rule
    return False, actual, "\n".join(lines), look


def _check_excluded_by(view: _View, exp: Expectation) -> _Outcome:
    gate_id, ticker = exp.excluded_by or "", exp.ticker or ""
    i, j = view._row(ticker), view._col(gate_id)
    code = int(view.result.status[i, j])
    if code in (FAILED, EXCLUDED):
        return True, f"{ticker} excluded by {gate_id}", "", None
    value = float(view.result.value_matrix[i, j])
    shown = "missing" if np.isnan(value) else f"{value:g}"
    others = [g for g in view.gates_excluding(ticker) if g != gate_id]
    actual = f"{ticker} passes gate {gate_id!r}" + (
        f" (it is excluded by {', '.join(others)} instead)" if others else
        f"; {view.place(ticker)}")
    rule = view.pack.rule(gate_id)
    note = "" if code == 0 else f" [{STATUS_NAMES[code]}]"
    why = f"gate {gate_id!r}: {rule.expression} = {shown} for {ticker}{note}, so it passes"
    return False, actual, why, gate_id


def _check_score_between(view: _View, exp: Expectation) -> _Outcome:
    low, high = exp.score_between or (0.0, 0.0)
    ticker = exp.ticker or ""
    score = view.score(ticker)
    actual = view.place(ticker)
    if low - _TOLERANCE <= score <= high + _TOLERANCE:
        return True, actual, "", None
    too_high = score > high
    lines, rule = view.top_contributions(ticker, sign=1.0 if too_high else -1.0)
    if lines:
        head = f"the contributions pushing {ticker} {'up' if too_high else 'down'}:"
    else:
        head = f"no rule pushes {ticker} {'up' if too_high else 'down'}; its contributions:"
        lines, rule = view.top_contributions(ticker)
    return False, actual, "\n".join([head, *lines]), rule


def _check_contribution(view: _View, exp: Expectation) -> _Outcome:
    rule_id, ticker = exp.rule or "", exp.ticker or ""
    i, j = view._row(ticker), view._col(rule_id)
    value = float(view.contributions.at[ticker, rule_id])
    sign = "positive" if value > _EPS else "negative" if value < -_EPS else "zero"
    rule: Rule = view.pack.rule(rule_id)
    raw = float(view.result.value_matrix[i, j])
    code = int(view.result.status[i, j])
    shown = "missing" if np.isnan(raw) else f"{raw:.3f}"
    note = "" if code == 0 else f" [{STATUS_NAMES[code]}]"
    actual = f"contribution {_signed(value, 3)} ({sign})"
    if sign == exp.contribution:
        return True, actual, "", None
    if rule.kind == "gate":
        why = f"{rule_id!r} is a gate: gates contribute 0, they only exclude"
    else:
        why = (f"{rule_id!r} = {rule.kind} {rule.weight:g} x {rule.expression} = "
               f"{rule.weight:g} x {shown} for {ticker}{note}")
    return False, actual, why, rule_id


def _check_where(view: _View, exp: Expectation) -> _Outcome:
    text, rivals = exp.where or "", exp.outrank or ()
    frame = view.result.frame
    expression = view.pack.condition(text)
    absent = sorted(c for c in expression.columns if c not in frame.columns)
    if absent:
        return (False, f"the screened data has no column {', '.join(absent)}",
                "the condition cannot be evaluated on this universe", None)
    env = {c: column_array(frame, c) for c in expression.columns}
    hold = expression.evaluate(env, len(frame), {}) == 1.0
    group = [str(t) for t, ok in zip(frame.index, hold, strict=True)
             if ok and view.rank(str(t)) is not None]
    ranked_rivals = [r for r in rivals if view.rank(r) is not None]
    best_rival = min(ranked_rivals, key=lambda r: view.rank(r) or 0, default=None)
    if not group:
        return True, f"no ranked company has {text}", "", None
    worst = max(group, key=lambda t: view.rank(t) or 0)
    actual = (f"{len(group)} compan{'y' if len(group) == 1 else 'ies'} where {text}, the lowest "
              f"{view.place(worst)}")
    if best_rival is not None:
        actual += f"; the best of {', '.join(rivals)}: {view.place(best_rival)}"
    if best_rival is None:
        return True, actual, "", None
    behind = [t for t in group if (view.rank(t) or 0) >= (view.rank(best_rival) or 0)]
    if not behind:
        return True, actual, "", None
    lines, rule = view.separation(behind[-1], best_rival, lifts=False)
    head = (f"{', '.join(behind)} rank{'s' if len(behind) == 1 else ''} at or below "
            f"{best_rival}; rules holding {behind[-1]} below ({behind[-1]} minus {best_rival}):")
    return False, actual, "\n".join([head, *lines]), rule


_CHECKS = {
    "where": _check_where,
    "above": _check_above,
    "top": _check_top,
    "not_top": _check_not_top,
    "excluded_by": _check_excluded_by,
    "score_between": _check_score_between,
    "contribution": _check_contribution,
}
