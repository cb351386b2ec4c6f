"""The one way in: :func:`screen`.

Every caller (the Python API, the command line, watchlists, the testing toolkit,
scenarios and evaluation) screens through this function, so that checking the data
against the pack, attaching market data and scoring happen in one place::

    Universe ──to_frame()──┐
    DataFrame ─check_frame─┴─► screening frame ─(market=provider)─► + market columns
                                                                     │
                              compiled RulePack ─────────────────────┴─► ScreenResult
                                                                       (.market: status)

The rule engine (:mod:`thesis_lib.rules`) only scores a frame; this module sits above it
and the market-data layer and is the only place that joins them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from typing import TYPE_CHECKING

import pandas as pd

from thesis_lib.errors import ScreenError
from thesis_lib.frame import check_frame
from thesis_lib.models import Universe
from thesis_lib.models._dates import parse_date
from thesis_lib.rules.pack import RulePack, load_pack
from thesis_lib.rules.screen import ScreenResult, score_frame

if TYPE_CHECKING:
    from thesis_lib.market import MarketDataProvider

__all__ = ["screen"]


def screen(
    data: Universe | pd.DataFrame,
    pack: RulePack | str | os.PathLike[str] = "one-layer-down",
    *,
    market: MarketDataProvider | None = None,
    since: dt.date | None = None,
    progress: bool | None = None,
    as_of: dt.date | str | None = None,
) -> ScreenResult:
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
    if not isinstance(pack, RulePack):
        pack = load_pack(pack)
    universe = data if isinstance(data, Universe) else None
    if universe is not None and when is not None:
        universe = universe.known_at(when)
    if universe is None and when is not None:
        raise ScreenError(
            "as_of needs dated figures, and a screening frame has none", item="screen()",
            field="as_of", hint="pass a Universe (whose figures carry their dates) to screen "
                                "as of a date, or leave as_of out")
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
