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
from typing import TYPE_CHECKING, overload

import pandas as pd

from thesis_lib.errors import ScreenError
from thesis_lib.frame import check_frame, check_panel, is_panel
from thesis_lib.models import Universe
from thesis_lib.rules.pack import RulePack, load_pack
from thesis_lib.rules.panel import PanelResult, score_panel
from thesis_lib.rules.screen import ScreenResult, score_frame

if TYPE_CHECKING:
    from thesis_lib.market import MarketDataProvider

__all__ = ["screen"]


@overload
def screen(
    data: Universe,
    pack: RulePack | str | os.PathLike[str] = ...,
    *,
    market: MarketDataProvider | None = ...,
    since: dt.date | None = ...,
    progress: bool | None = ...,
) -> ScreenResult: ...


@overload
def screen(
    data: pd.DataFrame,
    pack: RulePack | str | os.PathLike[str] = ...,
    *,
    market: MarketDataProvider | None = ...,
    since: dt.date | None = ...,
    progress: bool | None = ...,
) -> ScreenResult | PanelResult: ...


def screen(
    data: Universe | pd.DataFrame,
    pack: RulePack | str | os.PathLike[str] = "one-layer-down",
    *,
    market: MarketDataProvider | None = None,
    since: dt.date | None = None,
    progress: bool | None = None,
) -> ScreenResult | PanelResult:
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
    """
    if not isinstance(pack, RulePack):
        pack = load_pack(pack)
    if is_panel(data):
        return _screen_panel(data, pack, market)
    universe = data if isinstance(data, Universe) else None
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
    result = score_frame(frame, pack)
    return dataclasses.replace(result, market=attachment, universe=universe)


def _screen_panel(data: pd.DataFrame, pack: RulePack, market: object) -> PanelResult:
    if market is not None:
        raise ScreenError("market data cannot be attached to a panel", item="panel",
                          field="market", hint="attach each date's market columns to the "
                          "panel yourself, or screen one date at a time with market=")
    return score_panel(check_panel(data), pack)
