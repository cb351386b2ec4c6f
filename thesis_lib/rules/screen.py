"""Scoring a screening frame with a rule pack, and the result that explains every score.

This is the engine: it reads a checked frame and a compiled pack and knows nothing of
market data or where the frame came from; :func:`thesis_lib.screen` is the way in.

Each rule is evaluated once on whole columns (numpy arrays), never one company at a
time. Cross-sectional functions (``pct_rank``, ``zscore``) see every row of the frame
being screened, gated-out rows included, so a gate never changes another company's
value; missing values take no part in them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from thesis_lib._limits import VALUE_LIMIT
from thesis_lib._suggest import did_you_mean
from thesis_lib.errors import MissingDataError, ScreenError
from thesis_lib.rules.pack import Rule, RulePack

if TYPE_CHECKING:
    from thesis_lib.market import MarketAttachment
    from thesis_lib.models import Universe

# Per-cell status codes of ScreenResult.status.
OK, ZERO_FILLED, SKIPPED, EXCLUDED, FAILED = 0, 1, 2, 3, 4
STATUS_NAMES = {OK: "ok", ZERO_FILLED: "missing: counted as 0", SKIPPED: "missing: skipped",
                EXCLUDED: "missing: excluded", FAILED: "gate failed"}


def column_array(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A frame column as the expressions read it: float64 (NaN where missing) for numbers
    and booleans, objects (None where missing) for text."""
    series = frame[name]
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        numbers: np.ndarray = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return numbers
    texts: np.ndarray = series.to_numpy(dtype=object, na_value=None)
    return texts


def score_frame(frame: pd.DataFrame, pack: RulePack) -> ScreenResult:
    """Score a checked screening ``frame`` with ``pack``: the rule engine itself.

    Callers go through :func:`thesis_lib.screen`, which checks the data, attaches market
    data and then calls this. Each rule's raw values are read once here and not kept:
    :attr:`ScreenResult.value_matrix` evaluates them again, the same way, when asked.
    """
    n = len(frame)
    rules = pack.rules
    env, absent = _environment(frame, pack)
    # One row per rule, so that each rule writes contiguous memory.
    contributions = np.empty((len(rules), n), dtype=np.float64)
    status = np.zeros((len(rules), n), dtype=np.int8)
    excluded = np.zeros(n, dtype=bool)
    cache: dict[object, np.ndarray] = {}
    tickers = frame.index
    beyond: set[str] = set()
    for j, rule in enumerate(rules):
        expression = pack.expression(rule.id)
        value = np.broadcast_to(expression.evaluate(env, n, cache), (n,))
        row = contributions[j]
        if rule.kind == "gate":
            row.fill(0.0)
            missing = _nonfinite_cells(value)
        else:
            weight = rule.sign * rule.weight
            # Only a value past the bound can overflow here: it is missing, zeroed below.
            with np.errstate(over="ignore", invalid="ignore"):
                np.multiply(value, weight, out=row)
            missing = _unusable_cells(value, row, weight)
        if missing is not None:
            if rule.kind != "gate" and (missing & np.isfinite(value)).any():
                beyond.add(rule.id)
            _apply_missing(rule, missing, status[j], excluded, tickers,
                           sorted(expression.columns & absent), rule.id in beyond)
        if rule.kind == "gate":
            failed = value == 0.0
            if missing is not None and rule.missing == "zero":
                failed |= missing
            status[j, failed] = FAILED
            excluded |= failed
        elif missing is not None:
            row[missing] = 0.0
    return ScreenResult(frame=frame, pack=pack, contribution_matrix=contributions.T,
                        status=status.T, excluded_mask=excluded, absent=frozenset(absent),
                        beyond=frozenset(beyond))


def _nonfinite_cells(value: np.ndarray) -> np.ndarray | None:
    """Where ``value`` is NaN or infinite; None when nowhere (one reduction settles the
    usual case: the sum is finite only if every value is)."""
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow only means "look"
        if len(value) == 0 or math.isfinite(np.add.reduce(value)):
            return None
    missing = ~np.isfinite(value)
    return missing if missing.any() else None


def _unusable_cells(value: np.ndarray, product: np.ndarray, weight: float) -> np.ndarray | None:
    """Where a score or penalty value is missing, not finite or past the documented bound
    (:data:`~thesis_lib._limits.VALUE_LIMIT`), all of which count as missing; None when
    nowhere. ``product`` is ``value * weight``: two reductions over it settle the usual
    case (a NaN makes both comparisons fail, and then every cell is looked at)."""
    if len(value) == 0:
        return None
    if weight != 0.0:
        bound = VALUE_LIMIT * abs(weight) * _SURELY_WITHIN
        if product.max() <= bound and product.min() >= -bound:
            return None
    missing = ~(np.abs(value) <= VALUE_LIMIT)
    return missing if missing.any() else None


# A product this far inside the bound times the weight comes from a value inside the bound,
# whatever the rounding of the product.
_SURELY_WITHIN = 1.0 - 1e-12


def rank_key(score: np.ndarray) -> np.ndarray:
    """Scores as ranks compare them: rounded to 12 decimals, so that sums differing only
    in the last bits tie.

    Scores of 1e15 or more are whole numbers in float64 already and are taken as they
    are (rounding them would overflow past about 1e296 and turn them into infinity).
    """
    small = np.abs(score) < _ROUND_BELOW
    if small.all():
        return np.round(score, 12)
    key = score.copy()
    key[small] = np.round(score[small], 12)
    return key


_ROUND_BELOW = 1e15


def _environment(frame: pd.DataFrame, pack: RulePack) -> tuple[dict[str, np.ndarray], set[str]]:
    """The columns the pack's expressions read, as arrays (all-NaN for a column the frame
    lacks), and the names of those absent columns."""
    needed = pack.read_columns
    absent = {c for c in needed if c not in frame.columns}
    n = len(frame)
    env = {column: np.full(n, np.nan) if column in absent else column_array(frame, column)
           for column in needed}
    return env, absent


def rule_values(frame: pd.DataFrame, pack: RulePack) -> np.ndarray:
    """Ticker x rule: every rule's raw value over ``frame``, NaN where missing or not
    finite; the values :func:`score_frame` scored with (same expressions, same inputs)."""
    n = len(frame)
    env, _ = _environment(frame, pack)
    values = np.empty((n, len(pack.rules)), dtype=np.float64, order="F")
    cache: dict[object, np.ndarray] = {}
    for j, rule in enumerate(pack.rules):
        values[:, j] = pack.expression(rule.id).evaluate(env, n, cache)
        if rule.kind != "gate":  # past the bound counts as missing, as in the screen
            values[~(np.abs(values[:, j]) <= VALUE_LIMIT), j] = np.nan
    values[~np.isfinite(values)] = np.nan
    return values


def _rank_order(key: np.ndarray, passed: np.ndarray, tickers: pd.Index) -> np.ndarray:
    """Row order: passed first, then by score (high first), ties by ticker.

    ``key`` is the score as ranks compare it (:func:`rank_key`): sorting on it keeps the
    order independent of the input row order; only rows that tie are sorted by ticker, so
    the usual case sorts no strings. When the rows already come in ticker order (pandas
    caches that on the index), the stable sort has broken the ties already.
    """
    # With every row passed, one stable sort on the key orders as the lexsort does.
    order = (np.argsort(-key, kind="stable") if passed.all()
             else np.lexsort((-key, ~passed)))
    if tickers.is_monotonic_increasing:
        return order
    k, p = key[order], passed[order]
    boundary = np.r_[True, (k[1:] != k[:-1]) | (p[1:] != p[:-1]), True]
    starts = np.flatnonzero(boundary)
    tied = np.flatnonzero(np.diff(starts) > 1)
    if len(tied):
        names = tickers.to_numpy(dtype=object)
        for a, b in zip(starts[tied], starts[tied + 1], strict=True):
            block = order[a:b]
            order[a:b] = block[np.argsort(names[block].astype(str), kind="stable")]
    return order


def rank_rows(score: np.ndarray, passed: np.ndarray,
              tickers: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """How one cross-section ranks: the row order of its scores table and each row's rank.

    The order puts passed rows first, then by score (high first), ties by ticker
    (:func:`_rank_order`); ranks are 1 = best, compared on :func:`rank_key` (scores equal
    to 12 decimals tie), competition ranking (1, 2, 2, 4); -1 for rows not passed. The
    one ranking code: :class:`ScreenResult` and :class:`~thesis_lib.rules.PanelResult`
    (per date) both rank through it.
    """
    key = rank_key(score)
    order = _rank_order(key, passed, tickers)
    rank = np.full(len(score), -1, dtype=np.int64)
    ranked = order[passed[order]]
    if len(ranked):
        s = key[ranked]
        new_group = np.r_[True, s[1:] != s[:-1]]
        positions = np.arange(1, len(ranked) + 1)
        rank[ranked] = np.maximum.accumulate(np.where(new_group, positions, 0))
    return order, rank


def exclusion_reasons(status: np.ndarray, excluded_mask: np.ndarray, rule_ids: list[str]
                      ) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray]:
    """The reasons of the excluded rows (the ids of the rules that excluded each, joined
    by ", ") and, per row, the position of its reason there (-1: none)."""
    rows = np.flatnonzero(excluded_mask)
    status = status[rows]  # only the excluded rows can have a reason
    hits = (status == FAILED) | (status == EXCLUDED)
    found = np.full(len(rows), None, dtype=object)
    for j in np.flatnonzero(hits.any(axis=0)):
        rule_id = rule_ids[j]
        col = hits[:, j]
        first = col & (found == None)  # noqa: E711 (elementwise comparison)
        found[first] = rule_id
        later = col & ~first
        found[later] = found[later] + ", " + rule_id
    where = np.full(len(excluded_mask), -1, dtype=np.intp)
    where[rows] = np.arange(len(rows))
    return where, pd.array(found, dtype="string")


def missing_cause(pack: RulePack, rule: Rule, absent: frozenset[str],
                  beyond: frozenset[str]) -> str:
    """Why a rule's value counted as missing, in words."""
    not_there = sorted(pack.expression(rule.id).columns & absent)
    if not_there:
        return f"no column {', '.join(not_there)}"
    if rule.id in beyond:
        return f"value missing, not finite or beyond ±{VALUE_LIMIT:g}"
    return "value missing or not finite"


def excluded_rows(frame: pd.DataFrame, status: np.ndarray, pack: RulePack,
                  absent: frozenset[str], beyond: frozenset[str]
                  ) -> tuple[np.ndarray, pd.DataFrame]:
    """Which rule excluded whom and why (columns ticker, name, rule, reason, why), and the
    row of ``frame`` each line is about. The ticker is the last level of the index."""
    columns = ["ticker", "name", "rule", "reason", "why"]
    rows, cols = np.nonzero((status == FAILED) | (status == EXCLUDED))
    if not len(rows):
        return rows, pd.DataFrame(columns=columns, dtype="string")
    rules = pack.rules
    # Per rule, not per row: the text a rule gives when it excludes someone.
    ids = np.array([r.id for r in rules], dtype=object)
    whys = np.array([r.why for r in rules], dtype=object)
    missing = np.array([f"missing data ({missing_cause(pack, r, absent, beyond)})"
                        for r in rules], dtype=object)
    failed = status[rows, cols] == FAILED
    names = (frame["name"].to_numpy(dtype=object, na_value=None)[rows]
             if "name" in frame.columns else None)
    tickers = frame.index.get_level_values(-1)
    table = pd.DataFrame({
        "ticker": tickers.to_numpy(dtype=object)[rows],
        "name": names,
        "rule": ids[cols],
        "reason": np.where(failed, "gate failed", missing[cols]),
        "why": whys[cols],
    }, columns=columns)
    return rows, table.astype("string")


def _apply_missing(rule: Rule, missing: np.ndarray, status: np.ndarray, excluded: np.ndarray,
                   tickers: pd.Index, absent: list[str], beyond: bool = False) -> None:
    policy = rule.missing
    if policy == "error":
        names = ", ".join(str(t) for t in tickers[missing][:5])
        more = f" and {int(missing.sum()) - 5} more" if missing.sum() > 5 else ""
        cause = f"column(s) {', '.join(absent)} not in the data" if absent else \
            f"missing, non-finite or beyond ±{VALUE_LIMIT:g} values" if beyond else \
            "missing or non-finite values"
        raise MissingDataError(
            f"{cause} for {names}{more}", item=f"rule {rule.id!r}", field="missing",
            hint="fill the data, or set the rule's missing policy to zero, skip or exclude",
        )
    code = {"zero": ZERO_FILLED, "skip": SKIPPED, "exclude": EXCLUDED}[policy]
    status[missing] = code
    if policy == "exclude":
        excluded |= missing


@dataclass(frozen=True, eq=False)
class ScreenResult:
    """The outcome of :func:`screen`: scores, ranks, gate outcomes and every contribution.

    - :attr:`scores`: indexed by ticker, columns ``score``, ``rank`` (1 = best; <NA> for
      excluded companies), ``passed`` (every gate passed and not excluded for missing
      data), sorted by rank with excluded companies last;
    - :attr:`contributions`: ticker x rule id, each rule's signed contribution, so each
      row adds up to ``score`` (gates contribute 0);
    - :attr:`values`: ticker x rule id, each rule's raw value (NaN where missing);
    - :attr:`excluded`: one row per (ticker, rule) that excluded a company, with why;
    - :meth:`explain`: one company's score, rule by rule.
    """

    frame: pd.DataFrame
    pack: RulePack
    contribution_matrix: np.ndarray = field(repr=False)
    status: np.ndarray = field(repr=False)
    excluded_mask: np.ndarray = field(repr=False)
    absent: frozenset[str] = frozenset()
    beyond: frozenset[str] = frozenset()
    """Ids of the score and penalty rules that gave some company a value beyond ±1e18
    (:data:`thesis_lib._limits.VALUE_LIMIT`), counted as missing."""
    market: MarketAttachment | None = field(default=None, repr=False)
    """The market data attached by ``screen(..., market=provider)``, with its status table."""
    universe: Universe | None = field(default=None, repr=False)
    """The universe screened, when ``screen`` was given one: :meth:`explain` then names
    the exposures, links and claims behind each rule."""
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # -- frames -------------------------------------------------------------------------
    @property
    def rule_ids(self) -> list[str]:
        return [r.id for r in self.pack.rules]

    @property
    def value_matrix(self) -> np.ndarray:
        """Ticker x rule (rows as in :attr:`frame`): each rule's raw value, NaN where
        missing. Evaluated on first use, not during the screen."""
        if "values" not in self._cache:
            self._cache["values"] = rule_values(self.frame, self.pack)
        matrix: np.ndarray = self._cache["values"]
        return matrix

    @property
    def scores(self) -> pd.DataFrame:
        if "scores" not in self._cache:
            self._cache["scores"] = self._build_scores()
        frame: pd.DataFrame = self._cache["scores"]
        return frame.copy()

    def _build_scores(self) -> pd.DataFrame:
        score = self.contribution_matrix.sum(axis=1)
        passed = ~self.excluded_mask
        order, rank = rank_rows(score, passed, self.frame.index)
        where, reasons = exclusion_reasons(self.status, self.excluded_mask, self.rule_ids)
        rank = rank[order]
        out = pd.DataFrame(
            {
                "score": score[order],
                "rank": pd.arrays.IntegerArray(rank, mask=rank < 1),
                "passed": passed[order],
                # Text only where some rule excluded the company.
                "excluded_by": reasons.take(where[order], allow_fill=True),
            },
            index=self.frame.index.take(order),
        )
        self._cache["order"] = order
        return out

    @property
    def contributions(self) -> pd.DataFrame:
        """Ticker x rule id: each rule's signed contribution; rows add up to ``score``."""
        return pd.DataFrame(self.contribution_matrix, index=self.frame.index,
                            columns=pd.Index(self.rule_ids, dtype="string", name="rule"))

    @property
    def values(self) -> pd.DataFrame:
        """Ticker x rule id: each rule's raw value, NaN where missing."""
        return pd.DataFrame(self.value_matrix, index=self.frame.index,
                            columns=pd.Index(self.rule_ids, dtype="string", name="rule"))

    @property
    def excluded(self) -> pd.DataFrame:
        """Which rule excluded whom and why: columns ticker, name, rule, reason, why."""
        _, table = excluded_rows(self.frame, self.status, self.pack, self.absent, self.beyond)
        return table

    def _missing_cause(self, rule: Rule) -> str:
        return missing_cause(self.pack, rule, self.absent, self.beyond)

    def top(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` best-ranked companies that passed every gate, with name and layer."""
        scores = self.scores
        head = scores[scores["passed"]].head(n)
        ident = [c for c in ("name", "primary_layer") if c in self.frame.columns]
        return self.frame.loc[head.index, ident].join(head[["score", "rank"]])

    def to_frame(self) -> pd.DataFrame:
        """One table: identity columns, score, rank, passed, then every rule's contribution."""
        scores = self.scores
        order = self._cache["order"]  # set with the scores: rows in rank order, by position
        ident = [c for c in ("name", "primary_layer") if c in self.frame.columns]
        # Taken column-wise: the matrix is stored a column at a time, as pandas keeps it.
        taken = self.contribution_matrix.T.take(order, axis=1).T
        contrib = pd.DataFrame(taken, index=scores.index, copy=False,
                               columns=pd.Index(self.rule_ids, dtype="string", name="rule"))
        head = self.frame[ident].take(order).set_axis(scores.index)
        return pd.concat([head, scores, contrib], axis=1)

    # -- one company --------------------------------------------------------------------
    def explain(self, ticker: str) -> Explanation:
        """Why ``ticker`` scored what it did: one row per rule, largest contribution first."""
        index = self.frame.index
        matches = np.flatnonzero(index == ticker)
        if not len(matches):
            raise ScreenError(
                f"unknown ticker {ticker!r}", item=f"pack {self.pack.id!r}",
                hint=did_you_mean(ticker, [str(t) for t in index], what="tickers"),
            )
        i = int(matches[0])
        rows = []
        for j, rule in enumerate(self.pack.rules):
            code = int(self.status[i, j])
            note = STATUS_NAMES[code]
            if code in (ZERO_FILLED, SKIPPED, EXCLUDED):
                note += f" ({self._missing_cause(rule)})"
            rows.append({
                "rule": rule.id, "kind": rule.kind, "value": self.value_matrix[i, j],
                "weight": rule.weight, "contribution": self.contribution_matrix[i, j],
                "status": note, "why": rule.why,
            })
        table = pd.DataFrame(rows)
        order = np.lexsort((np.arange(len(rows)), -np.abs(table["contribution"].to_numpy())))
        table = table.iloc[order].reset_index(drop=True)
        scores = self.scores
        row = scores.loc[ticker]
        rank = row["rank"]
        name = str(self.frame["name"].iloc[i]) if "name" in self.frame.columns else str(ticker)
        return Explanation(
            ticker=str(ticker), name=name, score=float(row["score"]),
            rank=None if pd.isna(rank) else int(rank), passed=bool(row["passed"]),
            of=int(scores["passed"].sum()), table=table, sources=self._sources(str(ticker)),
            result=self,
        )

    def _sources(self, ticker: str) -> pd.DataFrame | None:
        """The figures behind each rule of ``ticker`` (None without the universe)."""
        if self.universe is None or ticker not in self.universe.tickers:
            return None
        from thesis_lib.provenance import SOURCE_COLUMNS, sources_for

        parts = []
        for rule in self.pack.rules:
            columns = sorted(self.pack.expression(rule.id).columns)
            found = sources_for(self.universe, ticker, columns)
            if len(found):
                parts.append(found.assign(rule=rule.id))
        if not parts:
            return pd.DataFrame(columns=["rule", *SOURCE_COLUMNS], dtype="string")
        table = pd.concat(parts, ignore_index=True)
        return table[["rule", *SOURCE_COLUMNS]].astype("string")

    # -- display ------------------------------------------------------------------------
    def __repr__(self) -> str:
        n_pass = int((~self.excluded_mask).sum())
        return (f"<ScreenResult pack={self.pack.id!r} companies={len(self.frame)} "
                f"ranked={n_pass} excluded={len(self.frame) - n_pass}>")

    def to_text(self, n: int = 20) -> str:
        """A plain-text ranked table of the top ``n`` (all with 0), as ``thesis screen``
        prints it."""
        from thesis_lib.rules.render import screen_table

        scores = self.scores
        return screen_table(self, [str(t) for t in (scores.head(n) if n else scores).index])

    def _repr_html_(self) -> str:
        from thesis_lib._html import screen_html

        return screen_html(self)


@dataclass(frozen=True)
class Explanation:
    """One company's score taken apart: :attr:`table` has one row per rule.

    Columns: ``rule``, ``kind``, ``value`` (the expression's value, NaN if missing),
    ``weight``, ``contribution`` (signed; they add up to ``score``), ``status``, ``why``.
    Sorted by absolute contribution, largest first.

    :attr:`sources` (when the screen was given a universe) names the figures each rule
    read for this company: columns ``rule``, ``column``, ``kind`` (exposure, forward,
    financials, link, claim), ``item``, ``detail`` and ``source``.
    """

    ticker: str
    name: str
    score: float
    rank: int | None
    passed: bool
    of: int
    table: pd.DataFrame
    sources: pd.DataFrame | None = None
    result: ScreenResult | None = field(default=None, repr=False, compare=False)
    """The screen it came from (for the pack and the gates that excluded the company)."""

    def sources_of(self, rule_id: str) -> pd.DataFrame:
        """The rows of :attr:`sources` for one rule (empty without sources)."""
        if self.sources is None:
            return pd.DataFrame(columns=["rule", "column", "kind", "item", "detail", "source"])
        return self.sources[self.sources["rule"] == rule_id]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def __str__(self) -> str:
        """As ``thesis explain`` prints it (:func:`thesis_lib.rules.render.explanation_text`)."""
        from thesis_lib.rules.render import explanation_text

        return explanation_text(self, self.result)

    def _repr_html_(self) -> str:
        from thesis_lib._html import explanation_html

        return explanation_html(self)
