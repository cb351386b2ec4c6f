"""The provider template: :class:`BaseProvider` runs the three steps of the contract
(:mod:`thesis_lib.market.contract`) with retries and the finishing step
(:mod:`thesis_lib.market.finishing`), so a concrete provider writes only
``transform_query`` / ``extract_data`` / ``transform_data``."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Generic

import pandas as pd

from thesis_lib.errors import MarketDataError
from thesis_lib.market.contract import (
    FX_LOOKBACK_DAYS,
    HistoryFrames,
    HistoryQuery,
    HistoryResult,
    RawHistory,
    RawSnapshot,
    SnapshotFrames,
    SnapshotQuery,
    SnapshotResult,
    utc_today,
)
from thesis_lib.market.finishing import (
    _currencies,
    finish_history,
    finish_snapshot,
    warn_incomplete,
)
from thesis_lib.market.fx import FxRate, FxTable, normalise_currency, rates_from_closes

__all__ = ["BaseProvider"]


class BaseProvider(ABC, Generic[RawHistory, RawSnapshot]):
    """The three-step template every built-in provider follows.

    Subclasses implement :meth:`extract_history` / :meth:`extract_snapshot` (the
    only steps allowed to do I/O) and :meth:`transform_history` /
    :meth:`transform_snapshot` (pure). This class validates queries, puts the
    frames into the standard shape, converts to dollars, decides ``stale``, and
    warns when anything is not ``ok``.

    ``fx`` is an optional table of dollar rates (an :class:`FxTable`, a mapping
    ``{"KRW": 0.00072}`` or a frame); currencies it lacks are quoted from the
    provider itself through ``XXX=X`` series. ``stale_after`` is the number of
    business days a last price may lag the reference date. ``today`` is injectable.
    """

    def __init__(
        self,
        *,
        name: str,
        fx: FxTable | Mapping[str, float] | pd.DataFrame | None = None,
        stale_after: int = 5,
        today: Callable[[], dt.date] = utc_today,
    ) -> None:
        if stale_after < 0:
            raise MarketDataError("stale_after cannot be negative", field="stale_after")
        self._name = name
        self.fx = FxTable.coerce(fx)
        self.stale_after = stale_after
        self.today = today
        self._fx_memo: dict[tuple[str, dt.date], tuple[FxRate | None, str]] = {}

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r})"

    # -- public API ----------------------------------------------------------------

    def history(
        self,
        tickers: Sequence[str],
        start: dt.date,
        end: dt.date,
        interval: str = "1d",
    ) -> HistoryResult:
        """Adjusted closes and volumes in the standard frame (see the module docstring).

        Never drops a ticker: one that fails is an all-NaN column with a status row,
        and an :class:`IncompleteDataWarning` names it.
        """
        query = HistoryQuery.build(tickers, start, end, interval)
        result = self.run_history(query)
        warn_incomplete(result.status, what="history", source=self.name)
        return result

    def snapshot(
        self, tickers: Sequence[str], *, as_of: dt.date | None = None
    ) -> SnapshotResult:
        """One row per ticker with price, currency, size, liquidity, valuation and FX.

        ``as_of`` is the reference date (default: the provider's latest data).
        """
        query = SnapshotQuery.build(tickers, as_of)
        result = self.run_snapshot(query)
        warn_incomplete(result.status, what="snapshot", source=self.name)
        return result

    # -- the template --------------------------------------------------------------

    def run_history(self, query: HistoryQuery) -> HistoryResult:
        """Extract, transform and finish a history query, without warning."""
        raw = self.extract_history(query)
        frames = self.transform_history(query, raw)
        return finish_history(
            query, frames, source=self.name, stale_after=self.stale_after, today=self.today()
        )

    def run_snapshot(self, query: SnapshotQuery) -> SnapshotResult:
        """Extract, transform and finish a snapshot query (FX included), without warning."""
        raw = self.extract_snapshot(query)
        frames = self.transform_snapshot(query, raw)
        currencies = _currencies(frames.data)
        table, fx_problems = self.fx_rates(currencies, frames.reference)
        return finish_snapshot(
            query, frames, table, fx_problems, source=self.name, stale_after=self.stale_after
        )

    @abstractmethod
    def extract_history(self, query: HistoryQuery) -> RawHistory:
        """Fetch whatever the source gives for ``query`` (the only step with I/O)."""

    @abstractmethod
    def transform_history(self, query: HistoryQuery, raw: RawHistory) -> HistoryFrames:
        """Turn the source's shapes into wide close/volume frames and notes."""

    @abstractmethod
    def extract_snapshot(self, query: SnapshotQuery) -> RawSnapshot:
        """Fetch whatever the source gives for ``query`` (the only step with I/O)."""

    @abstractmethod
    def transform_snapshot(self, query: SnapshotQuery, raw: RawSnapshot) -> SnapshotFrames:
        """Turn the source's shapes into quote-currency snapshot rows and notes."""

    # -- FX ------------------------------------------------------------------------

    def fx_rates(
        self, currencies: Iterable[str], as_of: dt.date
    ) -> tuple[FxTable, dict[str, str]]:
        """Dollar rates for ``currencies`` on or before ``as_of`` and, per currency
        without one, the reason.

        The user's table wins; other currencies are quoted from this provider's own
        ``XXX=X`` series (remembered per currency and date, so batches do not refetch).
        """
        majors = sorted({normalise_currency(c)[0] for c in currencies} - {"USD"})
        found: list[FxRate] = []
        problems: dict[str, str] = {}
        wanted: list[str] = []
        for major in majors:
            if self.fx is not None and (hit := self.fx.lookup(major)) is not None:
                found.append(hit[1])
            elif (major, as_of) in self._fx_memo:
                rate, why = self._fx_memo[(major, as_of)]
                if rate is None:
                    problems[major] = why
                else:
                    found.append(rate)
            else:
                wanted.append(major)
        if wanted:
            fetched, fetch_problems = self.quote_fx(wanted, as_of)
            for major in wanted:
                hit = fetched.lookup(major)
                if hit is None:
                    why = fetch_problems.get(major, f"no {major}=X quote")
                    self._fx_memo[(major, as_of)] = (None, why)
                    problems[major] = why
                else:
                    self._fx_memo[(major, as_of)] = (hit[1], "")
                    found.append(hit[1])
        return FxTable(found), problems

    def quote_fx(self, currencies: Sequence[str], as_of: dt.date) -> tuple[FxTable, dict[str, str]]:
        """Quote ``XXX=X`` series through :meth:`run_history` (override to change)."""
        symbols = [f"{c}=X" for c in currencies]
        query = HistoryQuery.build(symbols, as_of - dt.timedelta(days=FX_LOOKBACK_DAYS), as_of)
        try:
            history = self.run_history(query)
        except MarketDataError as exc:
            return FxTable(), {c: f"FX quotes failed: {exc}" for c in currencies}
        table, problems = rates_from_closes(history.close, currencies, source=self.name)
        for currency in currencies:
            if currency in problems:
                reason = history.status["reason"].get(f"{currency}=X")
                if isinstance(reason, str) and reason:
                    problems[currency] += f" ({reason})"
        return table, problems


