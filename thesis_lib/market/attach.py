"""Add market columns to a screening frame.

>>> from thesis_lib.market import FrameProvider, add_market_data
>>> provider = FrameProvider.from_file("examples/data/prices.csv",
...                                    snapshot="examples/data/snapshot.csv")  # doctest: +SKIP
>>> attached = add_market_data(frame, provider, since=date(2026, 5, 7))  # doctest: +SKIP
>>> attached.frame[["price", "market_cap_usd", "return_since"]]  # doctest: +SKIP

The screening frame is indexed by ticker with at least ``listed`` (bool) and
``currency`` (the listing's ISO quote currency). Private companies
(``listed == False``) are never requested and get NaN market values.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from thesis_lib.errors import MarketDataError
from thesis_lib.frame import MARKET_COLUMNS, MARKET_TEXT_COLUMNS
from thesis_lib.market._pandas import as_float, row_series, text
from thesis_lib.market.base import (
    FX_LOOKBACK_DAYS,
    NO_USD,
    SNAPSHOT_FLOAT_COLUMNS,
    STATUS_VALUES,
    HistoryResult,
    MarketDataProvider,
    SnapshotResult,
    TickerStatus,
    incomplete_message,
    status_frame,
)
from thesis_lib.market.fx import FxRate, FxTable, fx_frame, normalise_currency, rates_from_closes
from thesis_lib.market.problems import IncompleteDataWarning, gathered_incomplete_warnings
from thesis_lib.market.progress import ProgressBar
from thesis_lib.market.returns import months_before, traded_value, trailing_returns

__all__ = ["MARKET_COLUMNS", "MarketAttachment", "add_market_data"]

#: The float64 columns :func:`add_market_data` adds (NaN where unknown).

#: Tickers per provider call (and per step of the progress bar).
BATCH_SIZE = 50
#: Extra days fetched before the earliest reference date, so a price on or before it exists.
LOOKBACK_PAD_DAYS = 10
_SEVERITY = {"ok": 0, "stale": 1, "missing": 2, "unavailable": 3, "failed": 4}


@dataclass(frozen=True, eq=False)
class MarketAttachment:
    """What :func:`add_market_data` returns.

    - ``frame``: a new frame, the input's columns unchanged plus :data:`MARKET_COLUMNS`,
      ``quote_currency`` and ``market_as_of``; same index and order as the input.
    - ``status``: one row per company (index ``ticker``): status (ok, missing, stale,
      unavailable, failed, private), reason, source, as_of.
    - ``fx``: the dollar rates used (currency, rate_to_usd, date, source).
    - ``prices``: the adjusted closes the returns were computed from (UTC dates x
      listed tickers), handy for plots and evaluation.
    - ``as_of``: the reference date; ``since``: the date ``return_since`` starts from.
    - ``notes``: the market-data warnings of this attachment, one line each (the same
      text the :class:`~thesis_lib.market.IncompleteDataWarning` carries).
    """

    frame: pd.DataFrame
    status: pd.DataFrame
    fx: pd.DataFrame
    prices: pd.DataFrame
    as_of: dt.date
    since: dt.date | None
    source: str
    notes: tuple[str, ...] = ()
    """One line per thing worth knowing (e.g. which tickers are not ok, and why)."""

    def not_ok(self) -> pd.DataFrame:
        """Status rows of listed companies that are not ``ok``."""
        return self.status[~self.status["status"].isin(["ok", "private"])]

    def summary(self) -> str:
        """E.g. ``market data from prices.csv as of 2026-05-19: 10 ok, 36 missing, 6 private``."""
        counts = self.status["status"].value_counts()
        order = [*STATUS_VALUES, *counts.index]
        parts = ", ".join(f"{int(counts[k])} {k}" for k in dict.fromkeys(order) if k in counts)
        return f"market data from {self.source} as of {self.as_of}: {parts}"

    def status_text(self, *, only_not_ok: bool = False) -> str:
        """The per-ticker status table as aligned plain text (one line per company)::

            ticker     status       as of       reason
            MU         ok           2026-05-19
            DELISTED1  missing                  possibly delisted; no timezone found
            AVGO       unavailable              no answer after 4 attempts: Timeout: ...

        Control characters in reasons (which quote the source's own messages) are
        escaped, so nothing a server sends can move the cursor or recolour a terminal.
        """
        table = self.not_ok() if only_not_ok else self.status
        rows = [("ticker", "status", "as of", "reason")]
        for ticker, row in table.iterrows():
            as_of = row["as_of"] if isinstance(row["as_of"], str) else ""
            reason = row["reason"] if isinstance(row["reason"], str) else ""
            rows.append((_plain(str(ticker)), str(row["status"]), as_of, _plain(reason)))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        return "\n".join(
            "  ".join(cell.ljust(width) for cell, width in zip(r[:3], widths, strict=True))
            + ("  " + r[3] if r[3] else "") for r in rows).rstrip() + "\n"

    def __repr__(self) -> str:
        counts = self.status["status"].value_counts()
        summary = ", ".join(f"{counts[k]} {k}" for k in STATUS_VALUES if k in counts)
        return (f"MarketAttachment({len(self.frame)} companies as of {self.as_of} from "
                f"{self.source!r}: {summary})")


def _check_frame(frame: Any) -> list[bool]:
    if not isinstance(frame, pd.DataFrame):
        raise MarketDataError("add_market_data needs a pandas DataFrame (a screening frame)",
                              hint="use Universe.to_frame() or a frame indexed by ticker")
    for column in ("listed", "currency"):
        if column not in frame.columns:
            raise MarketDataError(
                f"the screening frame has no {column!r} column",
                field=column,
                hint="a screening frame is indexed by ticker with at least 'listed' (bool) "
                     "and 'currency' columns",
            )
    if frame.index.has_duplicates:
        dupe = frame.index[frame.index.duplicated()][0]
        raise MarketDataError("a ticker appears twice in the screening frame",
                              item=f"ticker {dupe!r}", hint="keep one row per company")
    listed: list[bool] = []
    for ticker, value in zip(frame.index, frame["listed"], strict=True):
        if isinstance(value, bool | np.bool_):
            listed.append(bool(value))
        else:
            raise MarketDataError(
                f"'listed' must be true or false, got {value!r}",
                item=f"ticker {ticker!r}",
                field="listed",
                hint="mark private companies with listed = false",
            )
    return listed


def _batches(tickers: Sequence[str]) -> list[list[str]]:
    return [list(tickers[i:i + BATCH_SIZE]) for i in range(0, len(tickers), BATCH_SIZE)]


def _worst(snap: pd.Series | None, hist: pd.Series | None) -> tuple[str, str]:
    parts: list[tuple[int, str, str]] = []
    for label, row in (("snapshot", snap), ("history", hist)):
        if row is None:
            continue
        status = str(row["status"])
        reason = row["reason"] if isinstance(row["reason"], str) else ""
        parts.append((_SEVERITY.get(status, 4), status, f"{label}: {reason}" if reason else ""))
    if not parts:
        return "failed", "no answer from the provider"
    worst = max(parts, key=lambda p: p[0])
    reasons = [p[2] for p in sorted(parts, key=lambda p: -p[0]) if p[2]]
    return worst[1], "; ".join(reasons)


def add_market_data(
    frame: pd.DataFrame,
    provider: MarketDataProvider,
    *,
    since: dt.date | None = None,
    as_of: dt.date | None = None,
    progress: bool | None = None,
) -> MarketAttachment:
    """Add prices, size, liquidity, valuation and trailing returns to a screening frame.

    - ``provider``: any :class:`~thesis_lib.market.MarketDataProvider`
      (:class:`~thesis_lib.market.FrameProvider` offline,
      :class:`~thesis_lib.market.YFinanceProvider` with the ``market`` extra, either
      wrapped in :class:`~thesis_lib.market.CachedProvider`).
    - ``since``: start date of ``return_since`` (e.g. the thesis date); NaN if ``None``.
    - ``as_of``: reference date (default: the provider's latest data); returns run
      to the last close on or before it: ``return_1m`` and ``return_3m`` from one and
      three calendar months earlier, ``return_ytd`` from the last close of the
      previous year.
    - ``progress``: draw a bar on stderr; ``None`` shows it only on a terminal
      outside CI.

    Snapshot fields (price, size, valuation) are what the provider gives for
    ``as_of``: :class:`~thesis_lib.market.FrameProvider` takes the last close on or
    before it, while Yahoo only has its latest quote, so with
    :class:`~thesis_lib.market.YFinanceProvider` a past ``as_of`` bounds the returns
    and the FX date but not the price.

    Only listed companies are requested. Tickers that come back missing, failed or
    stale keep their row (NaN where unknown), get a status row saying why, and one
    :class:`~thesis_lib.market.IncompleteDataWarning` lists them. Market columns
    already in ``frame`` are replaced.
    """
    listed_flags = _check_frame(frame)
    if since is not None and as_of is not None and since > as_of:
        raise MarketDataError(f"since ({since}) is after as_of ({as_of})", field="since",
                              hint="pass a start date on or before as_of")
    names = [str(t) for t in frame.index]
    listed = [t for t, flag in zip(names, listed_flags, strict=True) if flag]
    fetched = _fetch(provider, listed, as_of=as_of, since=since, progress=progress)
    data = _combine(fetched, listed, since)
    given = dict(zip(names, frame["currency"], strict=True))
    quote_currency = {t: _quote_currency(data.snap, t, given.get(t)) for t in listed}
    fx = _resolve_fx(provider, fetched, data.snap, quote_currency)
    rows, status_rows, used = _company_rows(names, listed_flags, data, fx, quote_currency,
                                            given, provider.name)
    return _assemble(frame, names, listed, rows, status_rows, used, data, fetched, since,
                     provider.name)


@dataclass(frozen=True)
class _Fetched:
    """What the provider returned: snapshots and histories per batch, and the reference
    date (``as_of``, or the latest date the snapshots carry)."""

    snapshots: list[SnapshotResult]
    histories: list[HistoryResult]
    reference: dt.date


@dataclass(frozen=True)
class _Combined:
    """The batches put together: snapshot values and status, close and volume history,
    status of the history, trailing returns and average traded value."""

    snap: pd.DataFrame
    snap_status: pd.DataFrame | None
    hist_status: pd.DataFrame | None
    close: pd.DataFrame
    returns: pd.DataFrame
    adv: pd.Series


@dataclass(frozen=True)
class _Fx:
    """Dollar rates: those the snapshots used, then the provider's own FX quotes for the
    currencies still without one; ``notes`` says why a currency has no rate."""

    table: FxTable
    notes: dict[str, str]


def _fetch(provider: MarketDataProvider, listed: list[str], *, as_of: dt.date | None,
           since: dt.date | None, progress: bool | None) -> _Fetched:
    """Step 1: quotes for every batch, then the history the returns need."""
    batches = _batches(listed)
    snapshots: list[SnapshotResult] = []
    histories: list[HistoryResult] = []
    with ProgressBar(2 * len(batches), label="market data", enabled=progress) as bar, \
            gathered_incomplete_warnings():
        for batch in batches:
            snapshots.append(provider.snapshot(batch, as_of=as_of))
            bar.advance(note=f"quotes {len(snapshots)}/{len(batches)}")
        reference = as_of
        if reference is None:
            reference = (max(s.as_of for s in snapshots) if snapshots
                         else dt.datetime.now(dt.UTC).date())
        if since is not None and since > reference:
            raise MarketDataError(f"since ({since}) is after the data's as_of ({reference})",
                                  field="since", hint="pass a start date on or before as_of")
        starts = [months_before(reference, 3), dt.date(reference.year - 1, 12, 31)]
        if since is not None:
            starts.append(since)
        start = min(starts) - dt.timedelta(days=LOOKBACK_PAD_DAYS)
        for batch in batches:
            histories.append(provider.history(batch, start, reference))
            bar.advance(note=f"prices {len(histories)}/{len(batches)}")
    return _Fetched(snapshots, histories, reference)


def _combine(fetched: _Fetched, listed: list[str], since: dt.date | None) -> _Combined:
    """Step 2: one snapshot table, one close and volume table, returns and traded value."""
    snapshots, histories = fetched.snapshots, fetched.histories
    snap = (pd.concat([s.data for s in snapshots]) if snapshots else
            pd.DataFrame(columns=["price"]))
    close = (pd.concat([h.close for h in histories], axis=1).sort_index() if histories
             else pd.DataFrame(index=pd.DatetimeIndex([], tz="UTC", name="date")))
    volume = (pd.concat([h.volume for h in histories], axis=1).reindex(close.index)
              if histories else close.copy())
    return _Combined(
        snap=snap,
        snap_status=pd.concat([s.status for s in snapshots]) if snapshots else None,
        hist_status=pd.concat([h.status for h in histories]) if histories else None,
        close=close,
        returns=trailing_returns(close, fetched.reference, since) if listed else pd.DataFrame(),
        adv=(traded_value(close, volume, fetched.reference) if listed
             else pd.Series(dtype=float)),
    )


def _quote_currency(snap: pd.DataFrame, ticker: str, given: Any) -> str | None:
    """The currency the source quotes ``ticker`` in, else the one the universe gives."""
    reported = snap["currency"].get(ticker) if "currency" in snap.columns else None
    if isinstance(reported, str) and reported:
        return reported
    return given if isinstance(given, str) and given else None


def _resolve_fx(provider: MarketDataProvider, fetched: _Fetched, snap: pd.DataFrame,
                quote_currency: dict[str, str | None]) -> _Fx:
    """Step 3, once: the rates the snapshots used, then the provider's ``XXX=X`` quotes
    (over :data:`FX_LOOKBACK_DAYS`) for currencies of priced tickers still without one."""
    rates: dict[str, FxRate] = {}
    for result in fetched.snapshots:
        for rec in result.fx.to_dict("records"):
            rates[rec["currency"]] = FxRate(
                currency=rec["currency"], rate_to_usd=rec["rate_to_usd"],
                date=dt.date.fromisoformat(rec["date"]) if isinstance(rec["date"], str) else None,
                source=rec["source"] if isinstance(rec["source"], str) else "")
    table = FxTable(rates.values())
    wanted = sorted({normalise_currency(c)[0] for c in quote_currency.values() if c
                     and _known(c)} - {"USD"} - set(rates))
    wanted = [c for c in wanted if _needs_rate(c, quote_currency, snap)]
    if not wanted:
        return _Fx(table, {})
    reference = fetched.reference
    with gathered_incomplete_warnings():
        try:
            fx_history = provider.history([f"{c}=X" for c in wanted],
                                          reference - dt.timedelta(days=FX_LOOKBACK_DAYS),
                                          reference)
            extra, notes = rates_from_closes(fx_history.close, wanted, source=provider.name)
        except MarketDataError as exc:
            extra, notes = FxTable(), {c: str(exc) for c in wanted}
    return _Fx(table.merged(extra), notes)


def _company_rows(names: list[str], listed_flags: list[bool], data: _Combined, fx: _Fx,
                  quote_currency: dict[str, str | None], given_currency: dict[str, Any],
                  source: str) -> tuple[dict[str, dict[str, Any]], list[TickerStatus],
                                        dict[str, FxRate]]:
    """Step 4: one company at a time, its market values in dollars and its status."""
    rows: dict[str, dict[str, Any]] = {}
    status_rows: list[TickerStatus] = []
    used: dict[str, FxRate] = {}
    for ticker, flag in zip(names, listed_flags, strict=True):
        if not flag:
            status_rows.append(TickerStatus(ticker=ticker, status="private",
                                            reason="not listed: no market data requested"))
            continue
        values: dict[str, Any] = {c: _get(data.snap, c, ticker) for c in SNAPSHOT_FLOAT_COLUMNS}
        currency = quote_currency.get(ticker)
        notes: list[str] = []
        if currency and _known(currency) and not math.isnan(values["price"]):
            hit = fx.table.lookup(currency)
            if hit is not None:
                if math.isnan(values["fx_rate_usd"]):
                    values["fx_rate_usd"] = hit[0]
                used[hit[1].currency] = hit[1]
            else:
                major = normalise_currency(currency)[0]
                notes.append(f"{NO_USD} rate for {major}"
                             + (f": {fx.notes[major]}" if major in fx.notes else ""))
        rate = float(values["fx_rate_usd"])
        if math.isnan(values["market_cap_usd"]):
            values["market_cap_usd"] = values["market_cap"] * rate
        if math.isnan(values["adv_usd"]):
            values["adv_usd"] = float(data.adv.get(ticker, math.nan)) * rate
        given = given_currency.get(ticker)
        if (isinstance(given, str) and given and currency and _known(given) and _known(currency)
                and normalise_currency(given)[0] != normalise_currency(currency)[0]):
            notes.append(f"quoted in {currency}, the universe says {given}")
        for column in ("return_1m", "return_3m", "return_ytd", "return_since"):
            values[column] = (as_float(data.returns.at[ticker, column])
                              if ticker in data.returns.index else math.nan)
        snap_row = row_series(data.snap_status, ticker)
        if snap_row is not None and math.isfinite(rate):
            _drop_resolved_fx_note(snap_row)
        hist_row = row_series(data.hist_status, ticker)
        status, reason = _worst(snap_row, hist_row)
        reason = "; ".join([r for r in (reason, *notes) if r])
        market_as_of = _text_or_none(data.snap["as_of"].get(ticker)
                                     if "as_of" in data.snap.columns else None)
        if market_as_of is None and hist_row is not None:
            market_as_of = _text_or_none(hist_row["as_of"])
        values["quote_currency"] = currency if not math.isnan(values["price"]) else None
        values["market_as_of"] = market_as_of
        rows[ticker] = values
        status_rows.append(TickerStatus(
            ticker=ticker, status=status, reason=reason, source=source,
            as_of=dt.date.fromisoformat(market_as_of) if market_as_of else None))
    return rows, status_rows, used


def _drop_resolved_fx_note(snap_row: pd.Series) -> None:
    """The snapshot said "no USD rate" for a ticker whose rate step 3 then found (from the
    universe's currency or another quote): that part of its reason no longer holds."""
    if isinstance(snap_row["reason"], str):
        snap_row["reason"] = "; ".join(part for part in snap_row["reason"].split("; ")
                                       if NO_USD not in part)


def _assemble(frame: pd.DataFrame, names: list[str], listed: list[str],
              rows: dict[str, dict[str, Any]], status_rows: list[TickerStatus],
              used: dict[str, FxRate], data: _Combined, fetched: _Fetched,
              since: dt.date | None, source: str) -> MarketAttachment:
    """Step 5: the new frame, the status table, one warning for what is not ok."""
    out = frame.drop(columns=[c for c in (*MARKET_COLUMNS, *MARKET_TEXT_COLUMNS)
                              if c in frame.columns])
    for column in MARKET_COLUMNS:
        out[column] = pd.Series([rows.get(t, {}).get(column, math.nan) for t in names],
                                index=frame.index, dtype="float64")
    for column in MARKET_TEXT_COLUMNS:
        out[column] = text([rows.get(t, {}).get(column) for t in names], frame.index)
    status_table = status_frame(status_rows)
    status_table.index = frame.index.copy()
    status_table.index.name = "ticker"
    message = incomplete_message(status_table, what="market data", source=source)
    if message is not None:
        warnings.warn(message, IncompleteDataWarning, stacklevel=3)  # add_market_data's caller
    close = data.close
    return MarketAttachment(
        frame=out,
        status=status_table,
        fx=fx_frame(used.values()),
        prices=close.reindex(columns=listed) if listed else close,
        as_of=fetched.reference,
        since=since,
        source=source,
        notes=() if message is None else (message,),
    )


def _plain(text: str) -> str:
    """``text`` on one line with control characters escaped (``\\x1b``, ``\\n``)."""
    out = []
    for ch in text:
        code = ord(ch)
        if code < 0x20 or 0x7F <= code < 0xA0:
            out.append({"\n": "\\n", "\r": "\\r", "\t": " "}.get(ch, f"\\x{code:02x}"))
        else:
            out.append(ch)
    return "".join(out)


def _known(currency: str) -> bool:
    try:
        normalise_currency(currency)
    except MarketDataError:
        return False
    return True


def _needs_rate(major: str, currencies: dict[str, str | None], snap: pd.DataFrame) -> bool:
    """Whether some priced ticker in ``major`` lacks a dollar rate in the snapshot."""
    for ticker, currency in currencies.items():
        if not currency or not _known(currency) or normalise_currency(currency)[0] != major:
            continue
        if math.isnan(_get(snap, "fx_rate_usd", ticker)) and not math.isnan(
                _get(snap, "price", ticker)):
            return True
    return False


def _get(frame: pd.DataFrame, column: str, ticker: str) -> float:
    if column not in frame.columns or ticker not in frame.index:
        return math.nan
    return as_float(frame.at[ticker, column])


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
