"""Scoring a panel: one screening frame per date, each date scored on its own.

A panel is a DataFrame indexed by ``(date, ticker)`` (see
:func:`thesis_lib.frame.check_panel`). :func:`score_panel` scores every date's
cross-section exactly as :func:`~thesis_lib.rules.screen.score_frame` scores one frame
(cross-sectional functions such as ``pct_rank`` and ``zscore`` see only the rows of
the same date; ranks, gates and missing-data policies are per date), and
:class:`PanelResult` keeps the stacked arrays, from which every table is made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from thesis_lib._suggest import did_you_mean
from thesis_lib.errors import MissingDataError, Problem, ScreenError
from thesis_lib.frame import PANEL_LEVELS, panel_bounds
from thesis_lib.rules.pack import RulePack
from thesis_lib.rules.screen import (
    ScreenResult,
    excluded_rows,
    exclusion_reasons,
    rank_rows,
    rule_values,
    score_frame,
)

__all__ = ["PanelResult", "score_panel"]


def score_panel(panel: pd.DataFrame, pack: RulePack) -> PanelResult:
    """Score a checked ``panel`` with ``pack``, each date's cross-section on its own.

    ``panel`` is indexed by ``(date, ticker)`` with ``datetime64`` dates, rows grouped by
    date ascending, as :func:`thesis_lib.frame.check_panel` returns it; callers go
    through :func:`thesis_lib.screen`, which checks it. Each date is scored by
    :func:`~thesis_lib.rules.screen.score_frame` on that date's rows alone, so every
    value, score, gate, missing-data policy and rank is what a screen of that date's
    frame gives. A rule with the ``error`` policy that meets missing data raises
    :class:`~thesis_lib.errors.MissingDataError` naming the date.
    """
    _check_index(panel)
    n, r = len(panel), len(pack.rules)
    # One row per rule, as score_frame keeps them: each date fills a contiguous block.
    contributions = np.empty((r, n), dtype=np.float64)
    status = np.empty((r, n), dtype=np.int8)
    excluded = np.empty(n, dtype=bool)
    absent: set[str] = set()
    beyond: set[str] = set()
    tickers = panel.index.get_level_values(1)
    for day, start, stop in panel_bounds(_dates_of(panel)):
        try:
            one = score_frame(_cross_section(panel, start, stop, tickers), pack)
        except MissingDataError as error:
            raise MissingDataError([_on_date(p, day) for p in error.problems]) from None
        contributions[:, start:stop] = one.contribution_matrix.T
        status[:, start:stop] = one.status.T
        excluded[start:stop] = one.excluded_mask
        absent |= one.absent
        beyond |= one.beyond
    return PanelResult(frame=panel, pack=pack, contribution_matrix=contributions.T,
                       status=status.T, excluded_mask=excluded, absent=frozenset(absent),
                       beyond=frozenset(beyond))


def _on_date(problem: Problem, day: pd.Timestamp) -> Problem:
    item = f"{problem.item} on {day:%Y-%m-%d}" if problem.item else f"date {day:%Y-%m-%d}"
    return Problem(problem.message, file=problem.file, item=item, field=problem.field,
                   position=problem.position, hint=problem.hint)


def _check_index(frame: object) -> None:
    if not isinstance(frame, pd.DataFrame) or not isinstance(frame.index, pd.MultiIndex) \
            or tuple(frame.index.names) != PANEL_LEVELS:
        raise ScreenError("a panel is a DataFrame indexed by ('date', 'ticker')",
                          item="panel", field="index",
                          hint="screen it with thesis_lib.screen(), which checks it")
    dates = frame.index.get_level_values(0)
    if not isinstance(dates, pd.DatetimeIndex) or dates.tz is not None:
        raise ScreenError(f"the date level has dtype {dates.dtype}, not datetime64",
                          item="panel", field="date",
                          hint="screen it with thesis_lib.screen(), which normalises it")
    if not dates.is_monotonic_increasing:
        raise ScreenError("the rows are not grouped by date, ascending", item="panel",
                          field="date", hint="sort it: panel.sort_index(level='date', "
                          "sort_remaining=False)")


def _dates_of(frame: pd.DataFrame) -> pd.DatetimeIndex:
    dates = frame.index.get_level_values(0)
    assert isinstance(dates, pd.DatetimeIndex)
    return dates


def _cross_section(panel: pd.DataFrame, start: int, stop: int,
                   tickers: pd.Index | None = None) -> pd.DataFrame:
    """The rows ``start:stop`` (one date) as a screening frame indexed by ticker
    (``tickers``: the panel's ticker level, when the caller has it already)."""
    if tickers is None:
        tickers = panel.index.get_level_values(1)
    return panel.iloc[start:stop].set_axis(pd.Index(tickers[start:stop], name="ticker"),
                                           axis=0)


@dataclass(frozen=True, eq=False)
class PanelResult:
    """The outcome of screening a panel: one :class:`ScreenResult` per date, stacked.

    Built from the stacked arrays (by :func:`score_panel`, or by any engine that scores
    each date's cross-section the same way): ``frame`` indexed by ``(date, ticker)``,
    rows grouped by date ascending; ``contribution_matrix`` (rows x rules, float64);
    ``status`` (rows x rules, int8, the codes of :mod:`thesis_lib.rules.screen`);
    ``excluded_mask`` (rows, bool). Everything else is worked out from these, per date:

    - :attr:`dates`; :meth:`at` (one date as an ordinary :class:`ScreenResult`);
    - :attr:`scores`: indexed by ``(date, ticker)``, columns ``score``, ``rank`` (1 =
      best on its date; <NA> when excluded), ``passed``, ``excluded_by``; sorted by
      date, then as :attr:`ScreenResult.scores` sorts (rank, excluded last);
    - :attr:`contributions`, :attr:`values`: ``(date, ticker)`` x rule id;
    - :attr:`excluded`: which rule excluded whom on which date, and why;
    - :meth:`score_table`, :meth:`rank_table`: date x ticker, as evaluation reads them;
    - :meth:`top`: the best names of each date; :meth:`to_frame`: one table.
    """

    frame: pd.DataFrame
    pack: RulePack
    contribution_matrix: np.ndarray = field(repr=False)
    status: np.ndarray = field(repr=False)
    excluded_mask: np.ndarray = field(repr=False)
    absent: frozenset[str] = frozenset()
    """Columns the pack reads that the panel lacks (missing on every date)."""
    beyond: frozenset[str] = frozenset()
    """Ids of the score and penalty rules that gave some company on some date a value
    beyond ±1e18 (:data:`thesis_lib._limits.VALUE_LIMIT`), counted as missing."""
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        _check_index(self.frame)
        n, r = len(self.frame), len(self.pack.rules)
        for name, array, shape, kind in (
            ("contribution_matrix", self.contribution_matrix, (n, r), np.float64),
            ("status", self.status, (n, r), np.int8),
            ("excluded_mask", self.excluded_mask, (n,), np.bool_),
        ):
            if not isinstance(array, np.ndarray) or array.shape != shape or \
                    array.dtype != kind:
                got = (f"{array.dtype} {array.shape}" if isinstance(array, np.ndarray)
                       else type(array).__name__)
                raise ScreenError(f"{name} is {got}, not {np.dtype(kind)} {shape}",
                                  item="PanelResult", field=name,
                                  hint="one row per row of the frame, one column per rule")

    # -- dates --------------------------------------------------------------------------
    @property
    def _bounds(self) -> list[tuple[pd.Timestamp, int, int]]:
        if "bounds" not in self._cache:
            self._cache["bounds"] = panel_bounds(_dates_of(self.frame))
        bounds: list[tuple[pd.Timestamp, int, int]] = self._cache["bounds"]
        return bounds

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The panel's dates, ascending."""
        return pd.DatetimeIndex([day for day, _, _ in self._bounds], name="date")

    @property
    def rule_ids(self) -> list[str]:
        return [r.id for r in self.pack.rules]

    def at(self, date: dt.date | str | pd.Timestamp) -> ScreenResult:
        """The screen of one date: that date's cross-section as a :class:`ScreenResult`
        (the stacked arrays sliced, nothing scored again)."""
        try:
            stamp = pd.Timestamp(date)
        except (TypeError, ValueError):
            stamp = pd.NaT
        if stamp is pd.NaT or not isinstance(date, dt.date | str | np.datetime64):
            raise ScreenError(f"{date!r} is not a date", item="PanelResult", field="date",
                              hint="pass a datetime.date, a Timestamp or an ISO date string")
        key = stamp.value
        found: dict[int, ScreenResult] = self._cache.setdefault("at", {})
        if key not in found:
            where = {day.value: (a, b) for day, a, b in self._bounds}
            if key not in where:
                known = [f"{day:%Y-%m-%d}" for day, _, _ in self._bounds]
                raise ScreenError(
                    f"no cross-section on {stamp:%Y-%m-%d}", item="PanelResult",
                    field="date", hint=did_you_mean(f"{stamp:%Y-%m-%d}", known, what="dates")
                    or f"the panel's dates run from {known[0]} to {known[-1]}")
            a, b = where[key]
            found[key] = ScreenResult(
                frame=_cross_section(self.frame, a, b), pack=self.pack,
                contribution_matrix=self.contribution_matrix[a:b], status=self.status[a:b],
                excluded_mask=self.excluded_mask[a:b], absent=self.absent,
                beyond=self.beyond)
        return found[key]

    # -- tables -------------------------------------------------------------------------
    def _ranking(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row: score and rank (-1 when excluded), and the row order of
        :attr:`scores`; each date ranked as its :class:`ScreenResult` ranks it."""
        if "ranking" not in self._cache:
            n = len(self.frame)
            score = np.empty(n, dtype=np.float64)
            rank = np.empty(n, dtype=np.int64)
            order = np.empty(n, dtype=np.intp)
            tickers = self.frame.index.get_level_values(1)
            passed = ~self.excluded_mask
            for _, a, b in self._bounds:
                # Summed over the same slice a date's ScreenResult sums: the same bits.
                score[a:b] = self.contribution_matrix[a:b].sum(axis=1)
                order[a:b], rank[a:b] = rank_rows(score[a:b], passed[a:b], tickers[a:b])
                order[a:b] += a
            self._cache["ranking"] = (score, rank, order)
        found: tuple[np.ndarray, np.ndarray, np.ndarray] = self._cache["ranking"]
        return found

    @property
    def scores(self) -> pd.DataFrame:
        """Indexed by ``(date, ticker)``: ``score``, ``rank`` (Int64, 1 = best on its date,
        <NA> when excluded), ``passed``, ``excluded_by``; by date, then rank."""
        if "scores" not in self._cache:
            score, rank, order = self._ranking()
            where, reasons = exclusion_reasons(self.status, self.excluded_mask, self.rule_ids)
            ranks = rank[order]
            self._cache["scores"] = pd.DataFrame(
                {
                    "score": score[order],
                    "rank": pd.arrays.IntegerArray(ranks, mask=ranks < 1),
                    "passed": ~self.excluded_mask[order],
                    "excluded_by": reasons.take(where[order], allow_fill=True),
                },
                index=self.frame.index.take(order),
            )
        frame: pd.DataFrame = self._cache["scores"]
        return frame.copy()

    @property
    def contributions(self) -> pd.DataFrame:
        """``(date, ticker)`` x rule id: each rule's signed contribution (rows add up to
        the score), in the rows' order in :attr:`frame`."""
        return pd.DataFrame(self.contribution_matrix, index=self.frame.index,
                            columns=pd.Index(self.rule_ids, dtype="string", name="rule"))

    @property
    def value_matrix(self) -> np.ndarray:
        """Rows x rules: each rule's raw value on its date, NaN where missing. Evaluated
        on first use, date by date (cross-sectional functions see only their date)."""
        if "values" not in self._cache:
            values = np.empty((len(self.frame), len(self.pack.rules)), dtype=np.float64)
            tickers = self.frame.index.get_level_values(1)
            for _, a, b in self._bounds:
                values[a:b] = rule_values(_cross_section(self.frame, a, b, tickers),
                                          self.pack)
            self._cache["values"] = values
        matrix: np.ndarray = self._cache["values"]
        return matrix

    @property
    def values(self) -> pd.DataFrame:
        """``(date, ticker)`` x rule id: each rule's raw value, NaN where missing."""
        return pd.DataFrame(self.value_matrix, index=self.frame.index,
                            columns=pd.Index(self.rule_ids, dtype="string", name="rule"))

    @property
    def excluded(self) -> pd.DataFrame:
        """Which rule excluded whom on which date and why: columns date, ticker, name,
        rule, reason, why."""
        rows, table = excluded_rows(self.frame, self.status, self.pack, self.absent,
                                    self.beyond)
        days = _dates_of(self.frame).take(rows)
        table.insert(0, "date", pd.DatetimeIndex(days).as_unit("ns").to_numpy())
        return table

    def _wide(self, values: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """Date x ticker (:meth:`_axes`) from per-row ``values`` where ``keep``."""
        day_codes, ticker_codes, dates, tickers = self._axes()
        out = np.full((len(dates), len(tickers)), np.nan, dtype=np.float64)
        out[day_codes[keep], ticker_codes[keep]] = values[keep]
        return out

    def _axes(self) -> tuple[np.ndarray, np.ndarray, pd.DatetimeIndex, pd.Index]:
        if "axes" not in self._cache:
            day_codes = np.empty(len(self.frame), dtype=np.intp)
            for i, (_, a, b) in enumerate(self._bounds):
                day_codes[a:b] = i
            ticker_codes, tickers = pd.factorize(self.frame.index.get_level_values(1),
                                                 sort=True)
            self._cache["axes"] = (day_codes, ticker_codes, self.dates,
                                   pd.Index(tickers, dtype="string", name="ticker"))
        axes: tuple[np.ndarray, np.ndarray, pd.DatetimeIndex, pd.Index] = self._cache["axes"]
        return axes

    def score_table(self, passed_only: bool = True) -> pd.DataFrame:
        """Date x ticker (tickers sorted): each company's score on each date, NaN where the
        company is not in that date's cross-section, or (``passed_only``) was excluded.
        The time-varying scores :func:`~thesis_lib.evaluate.rank_ic` and
        :func:`~thesis_lib.evaluate.quantile_returns` read from a panel result."""
        score, _, _ = self._ranking()
        keep = ~self.excluded_mask if passed_only else np.ones(len(score), dtype=bool)
        _, _, dates, tickers = self._axes()
        return pd.DataFrame(self._wide(score, keep), index=dates, columns=tickers)

    def rank_table(self) -> pd.DataFrame:
        """Date x ticker (tickers sorted): each company's rank on each date (Int64), <NA>
        where the company is absent or excluded."""
        _, rank, _ = self._ranking()
        _, _, dates, tickers = self._axes()
        wide = self._wide(rank.astype(np.float64), ~self.excluded_mask)
        return pd.DataFrame(wide, index=dates, columns=tickers).astype("Int64")

    def top(self, n: int = 10) -> pd.DataFrame:
        """Each date's ``n`` best-ranked companies that passed every gate, with name and
        layer: indexed by ``(date, ticker)``."""
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ScreenError(f"n={n!r} must be a whole number >= 0", item="PanelResult",
                              field="n")
        _, _, order = self._ranking()
        scores = self.scores
        passed = scores["passed"].to_numpy()
        # Position of each row inside its date's block of the scores table.
        day_codes = self._axes()[0][order]
        starts = np.r_[0, np.flatnonzero(np.diff(day_codes)) + 1]
        within = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        chosen = passed & (within < n)  # passed rows come first within a date
        ident = [c for c in ("name", "primary_layer") if c in self.frame.columns]
        head = self.frame[ident].take(order[chosen])
        return head.join(scores.iloc[np.flatnonzero(chosen)][["score", "rank"]])

    def to_frame(self) -> pd.DataFrame:
        """One table, by date then rank: identity columns, score, rank, passed,
        excluded_by, then every rule's contribution."""
        scores = self.scores
        _, _, order = self._ranking()
        ident = [c for c in ("name", "primary_layer") if c in self.frame.columns]
        contrib = pd.DataFrame(self.contribution_matrix.take(order, axis=0),
                               index=scores.index,
                               columns=pd.Index(self.rule_ids, dtype="string", name="rule"))
        head = self.frame[ident].take(order).set_axis(scores.index)
        return pd.concat([head, scores, contrib], axis=1)

    def __repr__(self) -> str:
        n_pass = int((~self.excluded_mask).sum())
        return (f"<PanelResult pack={self.pack.id!r} dates={len(self._bounds)} "
                f"rows={len(self.frame)} ranked={n_pass} "
                f"excluded={len(self.frame) - n_pass}>")

    def _repr_html_(self) -> str:
        from thesis_lib._html import panel_html

        return panel_html(self)
