"""Currency conversion to US dollars.

Every rate is stored as ``rate_to_usd``: US dollars per one unit of the
currency (KRW -> about 0.0007, EUR -> about 1.1), with the date of the quote
and where it came from. Rates come either from the same provider as the prices
(the Yahoo-style series ``KRW=X``, quoted as units of the currency per dollar,
so ``rate_to_usd = 1 / close``) or from a table the user supplies.

Some listings are quoted in a minor unit: London in pence (``GBp``),
Johannesburg in cents (``ZAc``), Tel Aviv in agorot (``ILA``), Kuwait in fils
(``KWF``). :func:`normalise_currency` maps them to the major currency and the
factor, so ``GBp`` converts at ``GBP``'s rate times 0.01.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from thesis_lib.errors import MarketDataError
from thesis_lib.market._pandas import text

__all__ = [
    "FxRate",
    "FxTable",
    "fx_symbol",
    "is_fx_symbol",
    "listing_currency",
    "normalise_currency",
    "usd_rate_series",
]

#: Minor units that sources quote in, with their major currency and the factor to it.
MINOR_UNITS: dict[str, tuple[str, float]] = {
    "GBp": ("GBP", 0.01),
    "GBX": ("GBP", 0.01),
    "ZAc": ("ZAR", 0.01),
    "ZAC": ("ZAR", 0.01),
    "ILA": ("ILS", 0.01),
    "ILa": ("ILS", 0.01),
    "KWF": ("KWD", 0.001),
}

_CODE = re.compile(r"^[A-Za-z]{3}$")


def normalise_currency(code: str) -> tuple[str, float]:
    """The major ISO currency for a quote currency and the factor to it.

    >>> normalise_currency("GBp")
    ('GBP', 0.01)
    >>> normalise_currency("krw")
    ('KRW', 1.0)
    """
    text = code.strip()
    if text in MINOR_UNITS:
        return MINOR_UNITS[text]
    if not _CODE.match(text):
        raise MarketDataError(
            f"{code!r} is not a currency code",
            field="currency",
            hint="use a three-letter ISO code such as 'KRW', or 'GBp' for pence",
        )
    return text.upper(), 1.0


#: Yahoo exchange suffixes and the currency their listings are quoted in. A symbol without
#: a suffix is a US listing (dollars).
SUFFIX_CURRENCY: dict[str, str] = {
    "KS": "KRW", "KQ": "KRW",                      # Korea: KOSPI, KOSDAQ
    "T": "JPY",                                     # Tokyo
    "TW": "TWD", "TWO": "TWD",                     # Taiwan: TWSE, TPEx
    "AS": "EUR", "PA": "EUR", "DE": "EUR", "F": "EUR", "MI": "EUR", "MC": "EUR",
    "BR": "EUR", "HE": "EUR", "LS": "EUR", "VI": "EUR", "IR": "EUR",
    "SW": "CHF",                                    # SIX Swiss
    "L": "GBp",                                     # London, in pence
    "ST": "SEK", "CO": "DKK", "OL": "NOK",
    "HK": "HKD", "SS": "CNY", "SZ": "CNY", "SI": "SGD",
    "TO": "CAD", "V": "CAD", "AX": "AUD", "NS": "INR", "BO": "INR",
}


def is_fx_symbol(symbol: str) -> bool:
    """Whether ``symbol`` names a Yahoo-style dollar rate such as ``KRW=X``."""
    return symbol.endswith("=X")


def listing_currency(ticker: str) -> str | None:
    """The currency a Yahoo-style symbol's exchange suffix implies, or ``None``.

    A symbol without a suffix is a US listing (``USD``); ``None`` for an unknown suffix
    or an FX series (``KRW=X``).

    >>> listing_currency("000660.KS"), listing_currency("RR.L"), listing_currency("MU")
    ('KRW', 'GBp', 'USD')
    """
    text = ticker.strip()
    if not text or is_fx_symbol(text) or "=" in text or "^" in text:
        return None
    if "." not in text:
        return "USD"
    return SUFFIX_CURRENCY.get(text.rsplit(".", 1)[1].upper())


def fx_symbol(currency: str) -> str:
    """The Yahoo-style symbol of the dollar rate of ``currency``: ``'KRW'`` -> ``'KRW=X'``."""
    major, _ = normalise_currency(currency)
    return f"{major}=X"


class FxRate(BaseModel):
    """One dollar rate: ``rate_to_usd`` dollars buy one unit of ``currency``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    currency: str = Field(pattern=r"^[A-Z]{3}$")
    rate_to_usd: float = Field(gt=0)
    date: dt.date | None = None
    source: str = ""


def _rate(currency: str, rate: float, date: dt.date | None, source: str, where: str) -> FxRate:
    if not isinstance(rate, int | float) or not math.isfinite(rate) or rate <= 0:
        raise MarketDataError(
            f"rate_to_usd must be a positive number, got {rate!r}",
            item=f"currency {currency!r}",
            field="rate_to_usd",
            file=where or None,
            hint="give dollars per one unit of the currency, e.g. KRW 0.00072",
        )
    try:
        return FxRate(currency=currency, rate_to_usd=float(rate), date=date, source=source)
    except ValidationError:
        raise MarketDataError(
            f"{currency!r} is not a three-letter currency code",
            field="currency",
            file=where or None,
            hint="use ISO codes such as 'KRW', 'TWD', 'JPY', 'EUR'",
        ) from None


class FxTable:
    """Dollar rates by major currency; looks up quote currencies, minor units included."""

    def __init__(self, rates: Iterable[FxRate] = ()) -> None:
        self._rates: dict[str, FxRate] = {}
        for rate in rates:
            self._rates[rate.currency] = rate

    @classmethod
    def from_mapping(
        cls,
        rates: Mapping[str, float],
        *,
        date: dt.date | None = None,
        source: str = "user",
    ) -> FxTable:
        """A table from ``{"KRW": 0.00072, ...}`` (dollars per unit)."""
        out: list[FxRate] = []
        for code, rate in rates.items():
            major, factor = normalise_currency(code)
            out.append(_rate(major, float(rate) / factor, date, source, ""))
        return cls(out)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, source: str = "user") -> FxTable:
        """A table from a frame with columns ``currency``, ``rate_to_usd`` and optionally
        ``date`` and ``source``."""
        missing = [c for c in ("currency", "rate_to_usd") if c not in frame.columns]
        if missing:
            raise MarketDataError(
                f"the FX table has no column {missing[0]!r}",
                field=missing[0],
                hint="give columns currency, rate_to_usd (dollars per unit) and optionally date",
            )
        out: list[FxRate] = []
        for row in frame.to_dict("records"):
            code = str(row["currency"])
            major, factor = normalise_currency(code)
            raw_date = row.get("date")
            date = None if raw_date is None or pd.isna(raw_date) else pd.Timestamp(raw_date).date()
            row_source = row.get("source")
            src = str(row_source) if isinstance(row_source, str) and row_source else source
            try:
                value = float(row["rate_to_usd"])
            except (TypeError, ValueError):
                value = math.nan
            out.append(_rate(major, value / factor, date, src, ""))
        return cls(out)

    @classmethod
    def coerce(cls, value: FxTable | Mapping[str, float] | pd.DataFrame | None) -> FxTable | None:
        """Accept a table, a mapping or a frame (or ``None``) wherever rates are given."""
        if value is None or isinstance(value, FxTable):
            return value
        if isinstance(value, pd.DataFrame):
            return cls.from_frame(value)
        return cls.from_mapping(value)

    def __contains__(self, currency: object) -> bool:
        return isinstance(currency, str) and self.lookup(currency) is not None

    def __len__(self) -> int:
        return len(self._rates)

    def rates(self) -> list[FxRate]:
        """Every rate held, by currency."""
        return [self._rates[k] for k in sorted(self._rates)]

    def lookup(self, quote_currency: str) -> tuple[float, FxRate] | None:
        """Dollars per one unit of ``quote_currency`` and the rate used, or ``None``.

        ``GBp`` returns GBP's rate times 0.01; ``USD`` is always 1.
        """
        major, factor = normalise_currency(quote_currency)
        if major == "USD":
            return factor, FxRate(currency="USD", rate_to_usd=1.0, source="identity")
        rate = self._rates.get(major)
        if rate is None:
            return None
        return rate.rate_to_usd * factor, rate

    def merged(self, other: FxTable) -> FxTable:
        """A new table with ``other``'s rates taking precedence."""
        return FxTable([*self.rates(), *other.rates()])

    def to_frame(self) -> pd.DataFrame:
        """The rates as a frame: currency, rate_to_usd, date (ISO string), source."""
        return fx_frame(self.rates())


def fx_frame(rates: Iterable[FxRate]) -> pd.DataFrame:
    """The standard FX frame for ``rates``, one row per currency, sorted."""
    unique = {r.currency: r for r in rates}
    rows = [unique[k] for k in sorted(unique)]
    return pd.DataFrame(
        {
            "currency": text([r.currency for r in rows]),
            "rate_to_usd": pd.Series([r.rate_to_usd for r in rows], dtype="float64"),
            "date": text([r.date.isoformat() if r.date else None for r in rows]),
            "source": text([r.source for r in rows]),
        }
    )


def rates_from_closes(
    close: pd.DataFrame, currencies: Iterable[str], *, source: str
) -> tuple[FxTable, dict[str, str]]:
    """Dollar rates from a wide frame of ``XXX=X`` closes (units per dollar).

    Returns the table and, for each currency that has no usable quote, the reason.
    """
    found: list[FxRate] = []
    problems: dict[str, str] = {}
    for currency in sorted(set(currencies)):
        symbol = f"{currency}=X"
        if symbol not in close.columns:
            problems[currency] = f"no {symbol} quote"
            continue
        series = close[symbol].dropna()
        series = series[np.isfinite(series.to_numpy(dtype="float64")) & (series > 0)]
        if series.empty:
            problems[currency] = f"no {symbol} quote in the last days"
            continue
        when = pd.Timestamp(series.index[-1]).date()
        found.append(
            FxRate(
                currency=currency,
                rate_to_usd=1.0 / float(series.iloc[-1]),
                date=when,
                source=f"{source}:{symbol}",
            )
        )
    return FxTable(found), problems


def usd_rate_series(
    close: pd.DataFrame, currencies: Iterable[str]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Dollars per unit of each currency over time, from a wide frame of ``XXX=X`` closes.

    ``close`` is indexed by date with Yahoo-style columns (units of the currency per
    dollar, so the rate is ``1 / close``). Returns a date x currency frame (major codes,
    NaN where a series has no quote) and, for each currency without a usable series, why.
    ``USD`` needs no series and is left out.
    """
    series: dict[str, pd.Series] = {}
    problems: dict[str, str] = {}
    for currency in sorted({normalise_currency(c)[0] for c in currencies} - {"USD"}):
        symbol = f"{currency}=X"
        if symbol not in close.columns:
            problems[currency] = f"no {symbol} closes"
            continue
        quotes = close[symbol].astype("float64")
        quotes = quotes.where(np.isfinite(quotes) & (quotes > 0))
        if quotes.notna().sum() == 0:
            problems[currency] = f"no usable {symbol} closes"
            continue
        series[currency] = 1.0 / quotes
    rates = pd.DataFrame(series, index=close.index, dtype="float64")
    return rates, problems
