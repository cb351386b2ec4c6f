"""Returns in US dollars: each listing's quote currency and the dollar rates over time.

Evaluation reports returns in US dollars by default (``currency="USD"``): each listing's
closes, once aligned on the common calendar, are multiplied by that date's dollar rate
of its currency, so a name's dollar return is ``(1 + r_local) * (fx_end / fx_start) - 1``
with ``fx`` in dollars per unit. ``currency="local"`` keeps each listing's own currency.

A listing's currency is taken from, in order: ``currencies=`` (a mapping or Series
ticker -> code, a screening frame with ``quote_currency`` or ``currency``, or a
:class:`~thesis_lib.ScreenResult`); a ``currency`` column of a tidy price frame; the
screened companies' ``quote_currency``/``currency`` (for :func:`basket_performance` given
a result); the ticker's Yahoo exchange suffix (``.KS`` KRW, ``.T`` JPY, ``.TW`` TWD,
``.AS`` EUR, ``.SW`` CHF, ``.L`` pence, ...; no suffix: a US listing in dollars).

Dollar rates come from ``fx=`` (FX closes as a price table, or a market-data provider
asked for the ``KRW=X`` series over the prices' dates), else from the ``XXX=X`` columns
of the price table itself (Yahoo-style: units of the currency per dollar, as
``examples/data/prices.csv`` carries them). A date takes the last quote on or before it,
at most :data:`~thesis_lib.market.base.FX_LOOKBACK_DAYS` days old; a close with no such
quote has no dollar value, like a missing close. Conversion reuses
:mod:`thesis_lib.market.fx` (codes, minor units such as pence, and the series).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from thesis_lib.errors import MarketDataError, MissingFxError
from thesis_lib.evaluate._common import EvaluationError
from thesis_lib.market.base import FX_LOOKBACK_DAYS, MarketDataProvider
from thesis_lib.market.fx import (
    fx_symbol,
    is_fx_symbol,
    listing_currency,
    normalise_currency,
    usd_rate_series,
)
from thesis_lib.rules.screen import ScreenResult

Currency: TypeAlias = Literal["USD", "local"]
"""Which currency returns are in: ``"USD"`` (default) or each listing's own (``"local"``)."""

Currencies: TypeAlias = Mapping[str, str] | pd.Series | pd.DataFrame | ScreenResult
"""Ticker -> quote currency: a mapping, a Series, a screening frame or a screen result."""

FxSource: TypeAlias = pd.DataFrame | MarketDataProvider
"""FX closes (date x ``KRW=X`` columns, or tidy) or a provider to ask for them."""

_HOW = ("add the XXX=X closes (units per dollar) to the prices or pass fx=, give "
        "currencies={ticker: code}, or pass currency='local' for local-currency returns")


@dataclass(frozen=True)
class Conversion:
    """How closes are turned into the reporting currency, and what each listing is in.

    ``listings`` has one row per ticker asked about: ``currency`` (its quote currency,
    ``<NA>`` if unknown), ``source`` (where that came from: ``given``, ``prices``,
    ``screen``, ``ticker suffix``), ``fx`` (the dollar series used, ``""`` for dollars or
    local returns) and ``problem`` (why it cannot be put in dollars; ``""`` if it can).
    """

    currency: Currency
    listings: pd.DataFrame
    rates: pd.DataFrame = field(repr=False)
    """date x currency: dollars per unit, as quoted (naive dates)."""

    @property
    def label(self) -> str:
        """``"USD"`` or ``"local"``."""
        return self.currency

    def problem(self, ticker: str) -> str | None:
        """Why ``ticker`` has no dollar price, or ``None``."""
        if ticker not in self.listings.index:
            return None
        why = str(self.listings.at[ticker, "problem"])
        return why or None

    def require(self, tickers: Sequence[str]) -> None:
        """A :class:`~thesis_lib.errors.MissingFxError` naming every ticker of ``tickers``
        that cannot be put in dollars."""
        bad = [(t, why) for t in tickers if (why := self.problem(t)) is not None]
        if bad:
            shown = "; ".join(f"{t}: {why}" for t, why in bad[:5])
            more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
            raise MissingFxError(f"cannot put returns in US dollars ({shown}{more})",
                                 item=f"ticker {bad[0][0]!r}", field="currency", hint=_HOW)

    def apply(self, closes: pd.DataFrame) -> pd.DataFrame:
        """``closes`` (date x ticker, local currency, on one calendar) in the reporting
        currency: each close times its date's dollar rate; NaN where there is none."""
        if self.currency == "local" or closes.empty:
            return closes
        # One column of dollar rates per currency, then one multiplier per cell.
        columns: dict[str, int] = {"USD": 0}
        rates = [np.ones(len(closes))]
        which = np.zeros(len(closes.columns), dtype=np.intp)
        factors = np.ones(len(closes.columns))
        codes = self.listings["currency"].reindex(closes.columns)
        for j, code in enumerate(codes):
            if pd.isna(code):
                continue  # a name without prices: nothing to convert
            major, factors[j] = normalise_currency(str(code))
            if major not in columns:
                columns[major] = len(rates)
                rates.append(_rate_on(self.rates[major], closes.index))
            which[j] = columns[major]
        multiplier = np.column_stack(rates)[:, which] * factors
        return pd.DataFrame(closes.to_numpy(dtype=np.float64) * multiplier,
                            index=closes.index, columns=closes.columns)

    def fx_used(self, tickers: Sequence[str]) -> list[str]:
        """The dollar series used for ``tickers``, sorted (``["JPY=X", "KRW=X"]``)."""
        return sorted({str(self.listings.at[t, "fx"]) for t in tickers
                       if t in self.listings.index and self.listings.at[t, "fx"]})

    def describe(self, tickers: Sequence[str]) -> str:
        """One phrase for a report: ``US-dollar returns (FX: JPY=X, KRW=X)``."""
        if self.currency == "local":
            return "local-currency returns"
        used = self.fx_used(tickers)
        return "US-dollar returns" + (f" (FX: {', '.join(used)})" if used else "")

    def attrs(self, tickers: Sequence[str]) -> dict[str, Any]:
        """What a returns frame carries in ``.attrs``: ``currency``, each ticker's
        ``currencies`` and the ``fx`` series used."""
        known = self.listings["currency"].dropna()
        return {"currency": self.currency,
                "currencies": {t: str(known[t]) for t in tickers if t in known.index},
                "fx": self.fx_used(tickers)}


def check_currency(currency: object) -> Currency:
    """``"USD"`` or ``"local"``, or an :class:`EvaluationError`."""
    if currency == "USD":
        return "USD"
    if currency == "local":
        return "local"
    raise EvaluationError(f"unknown currency {currency!r}", field="currency",
                          hint="use currency='USD' (the default) or currency='local'")


def conversion(
    prices: pd.DataFrame,
    table: pd.DataFrame,
    tickers: Sequence[str],
    *,
    currency: Currency,
    currencies: Currencies | None = None,
    fx: FxSource | None = None,
    screen: ScreenResult | None = None,
) -> Conversion:
    """How to put ``tickers`` of a price ``table`` (made from ``prices``) in ``currency``.

    Tickers with no price get a row without a problem: they have nothing to convert.
    """
    currency = check_currency(currency)
    wanted = list(dict.fromkeys(str(t) for t in tickers))
    priced = {t for t in wanted if t in table.columns and table[t].notna().any()}
    sources = [("given", _given(currencies)), ("prices", _from_prices(prices))]
    if screen is not None:
        sources.append(("screen", _from_frame(screen.frame)))
    rows: dict[str, dict[str, str | None]] = {}
    for ticker in wanted:
        code, source = None, ""
        for name, mapping in sources:
            if ticker in mapping:
                code, source = mapping[ticker], name
                break
        if code is None and (suffix := listing_currency(ticker)) is not None:
            code, source = suffix, "ticker suffix"
        rows[ticker] = {"currency": code, "source": source, "fx": "", "problem": ""}
    rates = pd.DataFrame(index=pd.DatetimeIndex([], name="date"), dtype="float64")
    if currency == "USD":
        needed = {normalise_currency(str(r["currency"]))[0] for t, r in rows.items()
                  if t in priced and r["currency"] is not None} - {"USD"}
        rates, missing = _rates(table, needed, fx)
        for ticker, row in rows.items():
            if ticker not in priced:
                continue
            code = row["currency"]
            if code is None:
                row["problem"] = ("an FX series, not a listing" if is_fx_symbol(ticker) else
                                  "its currency is unknown (no currencies= entry, no currency "
                                  "column, no known exchange suffix)")
                continue
            major = normalise_currency(str(code))[0]
            if major == "USD":
                continue
            if major in missing:
                row["problem"] = f"quoted in {code}, {missing[major]}"
            else:
                row["fx"] = fx_symbol(major)
    listings = pd.DataFrame.from_dict(rows, orient="index",
                                      columns=["currency", "source", "fx", "problem"])
    listings.index = pd.Index(list(rows), dtype="str", name="ticker")
    for column in listings.columns:
        listings[column] = listings[column].astype("string")
    for column in ("source", "fx", "problem"):
        listings[column] = listings[column].fillna("")
    return Conversion(currency=currency, listings=listings, rates=rates)


def _code(value: object, ticker: str) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        normalise_currency(text)
    except MarketDataError:
        raise EvaluationError(f"{text!r} is not a currency code", item=f"ticker {ticker!r}",
                              field="currencies",
                              hint="use ISO codes such as 'KRW', or 'GBp' for pence") from None
    return text


def _given(currencies: Currencies | None) -> dict[str, str]:
    if currencies is None:
        return {}
    if isinstance(currencies, ScreenResult):
        return _from_frame(currencies.frame)
    if isinstance(currencies, pd.DataFrame):
        if not {"quote_currency", "currency"} & set(map(str, currencies.columns)):
            raise EvaluationError("the currencies frame has no 'currency' column",
                                  field="currencies",
                                  hint="index it by ticker with a 'currency' (or "
                                       "'quote_currency') column, or pass a mapping")
        return _from_frame(currencies)
    if isinstance(currencies, pd.Series | Mapping):
        items = currencies.items()
        out = {str(t): c for t, v in items if (c := _code(v, str(t))) is not None}
        return out
    raise EvaluationError(f"currencies must be a mapping ticker -> code, a Series, a frame "
                          f"or a ScreenResult, got {type(currencies).__name__}",
                          field="currencies")


def _from_frame(frame: pd.DataFrame) -> dict[str, str]:
    """Ticker -> currency from a frame indexed by ticker: ``quote_currency`` (the market
    data's) where known, else ``currency``."""
    out: dict[str, str] = {}
    for column in ("currency", "quote_currency"):  # the later wins
        if column in frame.columns:
            for ticker, value in frame[column].items():
                code = _code(value, str(ticker))
                if code is not None:
                    out[str(ticker)] = code
    return out


def _from_prices(prices: object) -> dict[str, str]:
    """Ticker -> currency from a tidy price frame's ``currency`` column (one per ticker)."""
    if not isinstance(prices, pd.DataFrame):
        return {}
    lower = {str(c).lower(): c for c in prices.columns}
    if not {"ticker", "currency"} <= set(lower):
        return {}
    pairs = prices[[lower["ticker"], lower["currency"]]].dropna().drop_duplicates()
    out: dict[str, str] = {}
    for ticker, value in pairs.itertuples(index=False):
        code = _code(value, str(ticker))
        if code is None:
            continue
        if str(ticker) in out and out[str(ticker)] != code:
            raise EvaluationError(f"the prices give two currencies, {out[str(ticker)]!r} and "
                                  f"{code!r}", item=f"ticker {str(ticker)!r}",
                                  field="currency", hint="one quote currency per ticker")
        out[str(ticker)] = code
    return out


def _rates(table: pd.DataFrame, needed: set[str], fx: FxSource | None
           ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Dollars per unit of each needed currency over time, and why some have none."""
    if not needed:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="date"), dtype="float64"), {}
    closes = table
    if isinstance(fx, pd.DataFrame):
        from thesis_lib.evaluate.prices import price_table

        given = price_table(fx)
        closes = given.join(table[[c for c in table.columns if is_fx_symbol(str(c))
                                   and c not in given.columns]], how="outer")
    elif fx is not None:
        if not isinstance(fx, MarketDataProvider):
            raise EvaluationError(f"fx must be a frame of FX closes or a market-data provider, "
                                  f"got {type(fx).__name__}", field="fx",
                                  hint="e.g. fx=prices_with_KRW=X_columns or fx=provider; a "
                                       "table of single rates cannot give returns")
        closes = _fetch(fx, table, needed)
    symbols = [c for c in closes.columns if is_fx_symbol(str(c))]
    return usd_rate_series(closes[symbols], needed)


def _fetch(provider: MarketDataProvider, table: pd.DataFrame, needed: set[str]
           ) -> pd.DataFrame:
    """The provider's ``XXX=X`` closes over the price table's dates (naive dates)."""
    from thesis_lib.evaluate.prices import price_table

    dates = table.index[table.notna().any(axis=1)]
    if not len(dates):
        return pd.DataFrame(index=pd.DatetimeIndex([], name="date"))
    start = pd.Timestamp(dates[0]).date() - dt.timedelta(days=FX_LOOKBACK_DAYS)
    end = pd.Timestamp(dates[-1]).date()
    history = provider.history([fx_symbol(c) for c in sorted(needed)], start, end)
    close = history.close.dropna(axis=1, how="all")
    if close.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="date"))
    return price_table(close)


def _rate_on(series: pd.Series, dates: pd.Index) -> np.ndarray:
    """The last quote of ``series`` on or before each of ``dates``, at most
    :data:`FX_LOOKBACK_DAYS` days old; NaN where there is none."""
    quotes = series.dropna()
    stamps = pd.DatetimeIndex(quotes.index)
    wanted = pd.DatetimeIndex(dates)
    pos = stamps.searchsorted(wanted, side="right") - 1
    found = pos >= 0
    out = np.full(len(wanted), np.nan)
    if not found.any():
        return out
    at = pos[found]
    age = (wanted[found] - stamps[at]).days
    values = quotes.to_numpy(dtype=np.float64)[at]
    out[found] = np.where(np.asarray(age) <= FX_LOOKBACK_DAYS, values, np.nan)
    return out
