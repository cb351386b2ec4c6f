"""The one way in: :func:`screen`.

Every caller (the Python API, the command line, watchlists, the testing toolkit,
scenarios and evaluation) screens through this function, so that checking the data
against the pack, attaching market data and scoring happen in one place::

    Universe ──to_frame()──┐
    DataFrame ─check_frame─┴─► screening frame ─(market=provider)─► + market columns
                                                                     │
                              compiled RulePack ─────────────────────┴─► ScreenResult
                                                                       (.market: status)
    (date, ticker) panel ─check_panel─► score_panel: each date on its own ─► PanelResult

The rule engine (:mod:`thesis_lib.rules`) only scores a frame; this module sits above it
and the market-data layer and is the only place that joins them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Literal, overload

import pandas as pd

from thesis_lib.errors import ScreenError
from thesis_lib.frame import check_frame, check_panel, is_panel
from thesis_lib.models import Universe
from thesis_lib.models._dates import parse_date
from thesis_lib.rules.pack import RulePack, load_pack
from thesis_lib.rules.panel import PanelResult, score_panel
from thesis_lib.rules.screen import ScreenResult, score_frame

if TYPE_CHECKING:
    import duckdb

    from thesis_lib.market import MarketDataProvider
    from thesis_lib.sql import SqlScreen

Engine = Literal["numpy", "duckdb"]
ENGINES: tuple[str, ...] = ("numpy", "duckdb")

__all__ = ["screen"]


@overload
def screen(
    data: Universe,
    pack: RulePack | str | os.PathLike[str] = ...,
    *,
    market: MarketDataProvider | None = ...,
    since: dt.date | None = ...,
    progress: bool | None = ...,
    as_of: dt.date | str | None = ...,
    engine: Engine = ...,
    connection: duckdb.DuckDBPyConnection | None = ...,
    by: str | None = ...,
) -> ScreenResult: ...


@overload
def screen(
    data: str | os.PathLike[str] | duckdb.DuckDBPyRelation,
    pack: RulePack | str | os.PathLike[str] = ...,
    *,
    market: MarketDataProvider | None = ...,
    since: dt.date | None = ...,
    progress: bool | None = ...,
    as_of: dt.date | str | None = ...,
    engine: Engine = ...,
    connection: duckdb.DuckDBPyConnection | None = ...,
    by: str | None = ...,
) -> SqlScreen: ...


@overload
def screen(
    data: pd.DataFrame,
    pack: RulePack | str | os.PathLike[str] = ...,
    *,
    market: MarketDataProvider | None = ...,
    since: dt.date | None = ...,
    progress: bool | None = ...,
    as_of: dt.date | str | None = ...,
    engine: Engine = ...,
    connection: duckdb.DuckDBPyConnection | None = ...,
    by: str | None = ...,
) -> ScreenResult | PanelResult: ...


def screen(
    data: Any,
    pack: RulePack | str | os.PathLike[str] = "one-layer-down",
    *,
    market: MarketDataProvider | None = None,
    since: dt.date | None = None,
    progress: bool | None = None,
    as_of: dt.date | str | None = None,
    engine: Engine = "numpy",
    connection: duckdb.DuckDBPyConnection | None = None,
    by: str | None = None,
) -> Any:
    """Score every company in ``data`` with ``pack`` and rank them.

    ``data`` is a :class:`~thesis_lib.Universe` or a screening DataFrame in the format of
    :meth:`~thesis_lib.Universe.to_frame`; ``pack`` a :class:`RulePack`, a built-in pack
    name or a pack file. With ``market`` (any market-data provider, e.g.
    ``thesis_lib.market.FrameProvider`` or ``YFinanceProvider``) the frame first gets the
    market columns (prices, size, liquidity, valuation, trailing returns, ``return_since``
    from ``since``) for its listed companies; the attachment, with its per-ticker status,
    is kept as :attr:`ScreenResult.market` (``progress`` shows or hides the progress bar
    of a live fetch). Market-data warnings (tickers missing or stale) are issued as
    :class:`~thesis_lib.market.MarketDataWarning`. Returns a :class:`ScreenResult`; when
    ``data`` is a universe, :meth:`ScreenResult.explain` also names the figures behind
    each rule.

    A **panel**, a DataFrame indexed by ``(date, ticker)`` holding one screening frame
    per date (:func:`~thesis_lib.frame.check_panel`), is screened date by date and gives
    a :class:`PanelResult`: every rule, score, gate and rank per date, as a screen of that
    date's frame alone gives them (``market`` is not taken with a panel).

    ``engine`` chooses who computes: ``"numpy"`` (the default, in this process) or
    ``"duckdb"`` (the pack compiled to one SQL query, run on embedded DuckDB; the ``sql``
    extra). Both give the same answer. DuckDB can also screen data that never enters
    pandas: a Parquet path or glob, a DuckDB relation, or the name of a table in
    ``connection``; with a date column named by ``by`` that data is a panel (scores and
    ranks per date). That answer is a lazy :class:`~thesis_lib.sql.SqlScreen`. See
    ``docs/engines.md``.

    ``as_of`` (a date or an ISO string such as ``"2026-06-30"``) screens the universe as
    it was known then, with no look-ahead: :meth:`Universe.known_at
    <thesis_lib.Universe.known_at>` keeps only the figures public on that date (a
    period's figures from its end plus :data:`~thesis_lib.models.REPORTING_LAG` unless
    they say ``known_from``), and claims are weighed at that date. The result's
    ``universe`` is that universe, so :meth:`ScreenResult.explain` names the figures
    actually used. A screening DataFrame has no dated figures: ``as_of`` with a frame is
    a :class:`ScreenError` (pass a universe).
    """
    when = None if as_of is None else parse_date(as_of, field="as_of", error=ScreenError,
                                                 item="screen()")
    if engine not in ENGINES:
        raise ScreenError(f"unknown engine {engine!r}", field="engine",
                          hint=f"use one of: {', '.join(ENGINES)}")
    if when is not None and not isinstance(data, Universe):
        raise ScreenError(
            "as_of needs dated figures, and a screening frame has none", item="screen()",
            field="as_of", hint="pass a Universe (whose figures carry their dates) to screen "
                                "as of a date; a panel's dates are its own (build one with "
                                "Universe.panel(dates))")
    if not isinstance(pack, RulePack):
        pack = load_pack(pack)
    if not isinstance(data, Universe | pd.DataFrame):
        return _screen_in_place(data, pack, engine=engine, connection=connection, by=by,
                                market=market)
    if is_panel(data):
        return _screen_panel(data, pack, market, engine=engine,
                             connection=connection)
    universe = data if isinstance(data, Universe) else None
    if universe is not None and when is not None:
        universe = universe.known_at(when)
    if universe is not None:
        problems = [p for p in pack.problems(universe) if p.field == "chain"]
        if problems:
            raise ScreenError(problems)
        frame = universe.to_frame()
    else:
        frame = check_frame(data)
    attachment = None
    if market is not None:
        from thesis_lib.market import add_market_data

        attachment = add_market_data(frame, market, since=since, progress=progress)
        frame = attachment.frame
    if engine == "duckdb":
        from thesis_lib.sql.engine import score_frame_duckdb

        contributions, status, excluded, _ = score_frame_duckdb(frame, pack,
                                                                connection=connection)
        result = ScreenResult(frame=frame, pack=pack, contribution_matrix=contributions,
                              status=status, excluded_mask=excluded,
                              absent=_absent(frame, pack))
    else:
        result = score_frame(frame, pack)
    return dataclasses.replace(result, market=attachment, universe=universe)


def _screen_in_place(data: Any, pack: RulePack, *, engine: str,
                     connection: duckdb.DuckDBPyConnection | None, by: str | None,
                     market: MarketDataProvider | None) -> SqlScreen:
    """Data that is not in pandas: DuckDB reads it where it is."""
    kind = type(data).__name__
    if not isinstance(data, str | PurePath | os.PathLike) and "DuckDBPy" not in kind:
        raise ScreenError(
            f"cannot screen a {kind}", field="data",
            hint="pass a Universe or a screening DataFrame; with engine='duckdb' also a "
                 "Parquet path, a DuckDB relation or a table name")
    if engine != "duckdb":
        raise ScreenError(
            f"a {'DuckDB relation' if 'DuckDBPy' in kind else 'path or table name'} is "
            "screened where it lives, by DuckDB", field="engine",
            hint="pass engine='duckdb' (or load the data into a DataFrame)")
    if market is not None:
        raise ScreenError("market data is attached to DataFrames, not to data screened in "
                          "place", field="market",
                          hint="add the market columns to the table, or screen a DataFrame")
    from thesis_lib.sql.engine import screen_relation

    return screen_relation(data, pack, by=by, connection=connection)


def _screen_panel(data: pd.DataFrame, pack: RulePack, market: object, *, engine: str,
                  connection: duckdb.DuckDBPyConnection | None) -> PanelResult:
    if market is not None:
        raise ScreenError("market data cannot be attached to a panel", item="panel",
                          field="market", hint="attach each date's market columns to the "
                          "panel yourself, or screen one date at a time with market=")
    panel = check_panel(data)
    if engine != "duckdb":
        return score_panel(panel, pack)
    from thesis_lib.sql.engine import score_frame_duckdb

    contributions, status, excluded, _ = score_frame_duckdb(panel, pack, by="date",
                                                            connection=connection)
    return PanelResult(frame=panel, pack=pack, contribution_matrix=contributions,
                       status=status, excluded_mask=excluded, absent=_absent(panel, pack))


def _absent(frame: pd.DataFrame, pack: RulePack) -> frozenset[str]:
    """The columns the pack reads that the frame lacks (read as missing)."""
    return pack.read_columns - set(frame.columns)
