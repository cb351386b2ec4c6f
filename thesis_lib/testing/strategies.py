"""Hypothesis strategies for thesis-lib's models, for use in your own tests.

Every builder takes keyword-only options and checks them eagerly, raising
``hypothesis.errors.InvalidArgument`` with an exact message, in the manner of
``hypothesis.extra.pandas``. Everything they generate validates.

>>> from hypothesis import given
>>> from thesis_lib.testing import strategies as ts
>>> @given(ts.universes(max_companies=5))
... def test_frame_has_a_row_per_company(universe):
...     assert len(universe.to_frame()) == len(universe.companies)

Screening frames (:func:`screening_frames`) and rule packs (:func:`rule_packs`) default to
the built-in ``ai-compute`` chain, so they fit the built-in pack and each other.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import numpy as np
import pandas as pd

from thesis_lib.errors import ThesisError, hypothesis_missing
from thesis_lib.frame import (
    AI_EXPOSURE_PREFIX,
    CUSTOMERS_IN_PREFIX,
    EXPOSURE_PREFIX,
    FORWARD_PREFIX,
    FRACTION_PREFIXES,
    LAYER_PREFIXES,
    MARKET_COLUMNS,
    MARKET_STRING_COLUMNS,
    SALES_TO_PREFIX,
    exposure_column,
    frame_columns,
)
from thesis_lib.models import (
    Company,
    Evidence,
    Exposure,
    Financials,
    Forward,
    Layer,
    Link,
    SupplyChain,
    Universe,
)

# The testing extra: without it, say how to install it (not a bare ModuleNotFoundError).
try:
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
except ModuleNotFoundError as _missing:
    raise hypothesis_missing(_missing) from None


if TYPE_CHECKING:
    from thesis_lib.rules.pack import RulePack

__all__ = [
    "chains",
    "companies",
    "evidence",
    "exposures",
    "layer_ids",
    "rule_packs",
    "screening_frames",
    "universes",
]

_DATES = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31))
_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=30
).filter(lambda s: s.strip() == s and s != "")


def _check_size(name: str, value: int, low: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name}={value!r} must be an integer")
    if value < low:
        raise InvalidArgument(f"{name}={value!r} must be at least {low}")


def _check_range(min_name: str, min_value: int, max_name: str, max_value: int, low: int) -> None:
    _check_size(min_name, min_value, low)
    _check_size(max_name, max_value, low)
    if min_value > max_value:
        raise InvalidArgument(
            f"Cannot have {max_name}={max_value!r} < {min_name}={min_value!r}"
        )


def layer_ids() -> st.SearchStrategy[str]:
    """Valid layer ids (lower_snake_case)."""
    return st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)


@st.composite
def _chains(draw: st.DrawFn, min_layers: int, max_layers: int) -> SupplyChain:
    ids = draw(st.lists(layer_ids(), min_size=min_layers, max_size=max_layers, unique=True))
    layers = []
    for i, layer_id in enumerate(ids):
        # Only supply layers declared earlier: that keeps the graph acyclic.
        targets = draw(st.lists(st.sampled_from(ids[:i]), unique=True, max_size=3)) if i else []
        layers.append(Layer(id=layer_id, name=layer_id.upper(), supplies=tuple(targets)))
    return SupplyChain(id="generated", layers=tuple(layers))


def chains(*, min_layers: int = 1, max_layers: int = 8) -> st.SearchStrategy[SupplyChain]:
    """Acyclic supply chains with between ``min_layers`` and ``max_layers`` layers."""
    _check_range("min_layers", min_layers, "max_layers", max_layers, 1)
    return _chains(min_layers, max_layers)


@st.composite
def _exposure_sets(
    draw: st.DrawFn, layers: Sequence[str], max_total: float
) -> tuple[Exposure, ...]:
    chosen = draw(st.lists(st.sampled_from(list(layers)), unique=True, max_size=len(layers)))
    if not chosen:
        return ()
    raw = draw(st.lists(st.floats(0.0, 1.0), min_size=len(chosen), max_size=len(chosen)))
    total = sum(raw)
    scale = max_total / total if total > max_total else 1.0
    return tuple(
        Exposure(
            layer=layer,
            share=min(1.0, share * scale),
            ai_share=draw(st.none() | st.floats(0.0, 1.0)),
            confidence=draw(st.floats(0.0, 1.0)),
            basis=draw(st.none() | st.sampled_from(["reported", "derived", "estimate"])),
            period=draw(st.none() | st.sampled_from(["FY2025", "FY2026", "Q1 2026"])),
            source=draw(_TEXT),
            as_of=draw(_DATES),
            note=draw(st.none() | _TEXT),
        )
        for layer, share in zip(chosen, raw, strict=True)
    )


def exposures(
    *, layers: Sequence[str], max_total: float = 1.0
) -> st.SearchStrategy[tuple[Exposure, ...]]:
    """A company's exposures to some of ``layers``, shares summing to at most ``max_total``."""
    if isinstance(layers, str) or not isinstance(layers, Sequence) or not layers:
        raise InvalidArgument(f"layers={layers!r} must be a non-empty sequence of layer ids")
    if not 0.0 <= max_total <= 1.0:
        raise InvalidArgument(f"max_total={max_total!r} must be between 0 and 1")
    return _exposure_sets(list(dict.fromkeys(layers)), max_total * 0.999)


_TICKERS = st.from_regex(r"[A-Z][A-Z0-9]{0,5}(\.[A-Z]{1,2})?", fullmatch=True)


@st.composite
def _forward(draw: st.DrawFn, layers: Sequence[str]) -> Forward:
    start = draw(_DATES)
    return Forward(
        layer=draw(st.sampled_from(list(layers))),
        kind=draw(st.sampled_from(["contracted", "guided", "pre-revenue", "pipeline"])),
        share=draw(st.floats(0.0, 1.0)),
        ai_share=draw(st.floats(0.0, 1.0)),
        starts=start,
        horizon=start + dt.timedelta(days=draw(st.integers(0, 3650))),
        as_of=draw(_DATES),
        source=draw(_TEXT),
    )


_FINANCIALS = st.builds(
    Financials,
    revenue_usd=st.integers(0, 10**12).map(float),
    period=st.sampled_from(["FY2025", "FY2026"]),
    as_of=_DATES,
    basis=st.sampled_from(["reported", "converted", "derived", "estimate"]),
    source=_TEXT,
)


@st.composite
def _companies(draw: st.DrawFn, layers: Sequence[str], ticker: str | None) -> Company:
    return Company(
        ticker=ticker if ticker is not None else draw(_TICKERS),
        name=draw(_TEXT),
        country=draw(st.from_regex(r"[A-Z]{2}", fullmatch=True)),
        currency=draw(st.sampled_from(["USD", "KRW", "TWD", "JPY", "EUR", "CHF", "GBp"])),
        listed=draw(st.booleans()),
        note=draw(st.none() | _TEXT),
        financials=draw(st.none() | _FINANCIALS),
        exposures=draw(_exposure_sets(list(layers), 0.999)),
        forward=tuple(draw(st.lists(_forward(list(layers)), max_size=2))),
    )


def companies(*, layers: Sequence[str]) -> st.SearchStrategy[Company]:
    """Companies with exposures to some of ``layers`` (valid shares, sources and dates)."""
    if isinstance(layers, str) or not isinstance(layers, Sequence) or not layers:
        raise InvalidArgument(f"layers={layers!r} must be a non-empty sequence of layer ids")
    return _companies(list(dict.fromkeys(layers)), None)


@st.composite
def _evidence(draw: st.DrawFn, layers: Sequence[str], evidence_id: str | None,
              tickers: Sequence[str] = (), earlier: Sequence[str] = ()) -> Evidence:
    named = tuple(draw(st.lists(st.sampled_from(list(tickers)), max_size=2, unique=True))) \
        if tickers else ()
    others = list(earlier)
    return Evidence(
        id=evidence_id or draw(st.from_regex(r"[a-z0-9][a-z0-9\-]{0,15}", fullmatch=True)),
        claim=draw(_TEXT),
        layers=tuple(draw(st.lists(st.sampled_from(list(layers)), min_size=0 if named else 1,
                                   max_size=3, unique=True))),
        companies=named,
        direction=draw(st.sampled_from(["supports", "undermines", "neutral"])),
        strength=draw(st.floats(0.0, 1.0)),
        source=draw(_TEXT),
        date=draw(_DATES),
        conflicts_with=tuple(draw(st.lists(st.sampled_from(others), max_size=1)))
        if others else (),
        supersedes=tuple(draw(st.lists(st.sampled_from(others), max_size=1))) if others else (),
    )


@st.composite
def _links(draw: st.DrawFn, layers: Sequence[str], tickers: Sequence[str]) -> list[Link]:
    if len(tickers) < 2:
        return []
    out: dict[tuple[str, str, str, str], Link] = {}
    budget: dict[str, float] = {}
    for _ in range(draw(st.integers(0, 2 * len(tickers)))):
        supplier, customer = draw(st.lists(st.sampled_from(list(tickers)), min_size=2,
                                           max_size=2, unique=True))
        kind = draw(st.sampled_from(["supplies", "supplies", "stake"]))
        share = None
        if kind == "supplies":
            room = 1.0 - budget.get(supplier, 0.0)
            share = draw(st.none() | st.floats(0.0, max(0.0, room) * 0.99))
            budget[supplier] = budget.get(supplier, 0.0) + (share or 0.0)
        link = Link(supplier=supplier, customer=customer,
                    layer=draw(st.sampled_from(list(layers))), kind=kind, revenue_share=share,
                    as_of=draw(_DATES), source=draw(_TEXT))
        out.setdefault(link.key, link)
    return list(out.values())


def evidence(*, layers: Sequence[str]) -> st.SearchStrategy[Evidence]:
    """Evidence about some of ``layers``."""
    if isinstance(layers, str) or not isinstance(layers, Sequence) or not layers:
        raise InvalidArgument(f"layers={layers!r} must be a non-empty sequence of layer ids")
    return _evidence(list(layers), None)


@st.composite
def _universes(
    draw: st.DrawFn, chain_strategy: st.SearchStrategy[SupplyChain], min_c: int, max_c: int,
    max_evidence: int,
) -> Universe:
    chain = draw(chain_strategy)
    layers = list(chain.ids)
    tickers = draw(st.lists(_TICKERS, min_size=min_c, max_size=max_c, unique=True))
    comps = [draw(_companies(layers, t)) for t in tickers]
    n_ev = draw(st.integers(0, max_evidence))
    ev: list[Evidence] = []
    for i in range(n_ev):
        ev.append(draw(_evidence(layers, f"ev-{i}", tickers, [e.id for e in ev])))
    links = draw(_links(layers, tickers))
    return Universe(id="generated", chain=chain, companies=tuple(comps), evidence=tuple(ev),
                    links=tuple(links))


def universes(
    *,
    chain: SupplyChain | None = None,
    min_companies: int = 0,
    max_companies: int = 10,
    max_evidence: int = 3,
) -> st.SearchStrategy[Universe]:
    """Valid universes: unique tickers, known layers, shares summing to at most 1.

    Companies may carry financials and forward figures; links (supplies and stakes)
    join some of them, and claims may name companies, conflict with or supersede
    earlier claims.

    With ``chain`` the companies sit in that chain; otherwise a chain is generated too.
    """
    _check_range("min_companies", min_companies, "max_companies", max_companies, 0)
    _check_size("max_evidence", max_evidence, 0)
    if chain is not None and not isinstance(chain, SupplyChain):
        raise InvalidArgument(f"chain={chain!r} must be a SupplyChain or None")
    chain_strategy = st.just(chain) if chain is not None else chains()
    return _universes(chain_strategy, min_companies, max_companies, max_evidence)


# ---------------------------------------------------------------------------------------
# screening frames

_CURRENCIES = ("USD", "KRW", "TWD", "JPY", "EUR", "CHF", "GBp")
_MISSING_NUMBERS = (math.nan, math.inf, -math.inf)

# Plausible ranges of the market columns, so rules reading them see realistic values.
_MARKET_RANGES: dict[str, tuple[float, float]] = {
    "price": (0.01, 10_000.0),
    "market_cap": (1e6, 5e13),
    "market_cap_usd": (1e6, 5e12),
    "adv_usd": (0.0, 1e10),
    "pe_trailing": (-100.0, 500.0),
    "pe_forward": (-100.0, 500.0),
    "ev_sales": (0.0, 100.0),
    "fx_rate_usd": (1e-4, 10.0),
    "return_1m": (-0.99, 5.0),
    "return_3m": (-0.99, 5.0),
    "return_ytd": (-0.99, 5.0),
    "return_since": (-0.99, 5.0),
}


def _check_flag(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidArgument(f"{name}={value!r} must be True or False")


def _resolve_chain(chain: object) -> SupplyChain:
    """The chain a strategy works on: the built-in one, a SupplyChain, a name or a file."""
    from thesis_lib.loading import load_chain

    if chain is None:
        return load_chain()
    if isinstance(chain, SupplyChain):
        return chain
    if isinstance(chain, str | os.PathLike):
        try:
            return load_chain(chain)
        except ThesisError as error:
            raise InvalidArgument(f"chain={chain!r} cannot be loaded: {error}") from None
    raise InvalidArgument(
        f"chain={chain!r} must be a SupplyChain, a built-in chain name or a chain file"
    )


def _check_layers(layers: object, chain: SupplyChain) -> list[str]:
    if layers is None:
        return list(chain.ids)
    if (isinstance(layers, str) or not isinstance(layers, Sequence) or not layers
            or not all(isinstance(x, str) for x in layers)):
        raise InvalidArgument(f"layers={layers!r} must be a non-empty sequence of layer ids")
    unknown = [x for x in layers if x not in chain.ids]
    if unknown:
        raise InvalidArgument(
            f"layers={layers!r} names layers that are not in chain {chain.id!r}: "
            f"{', '.join(unknown)}"
        )
    return list(dict.fromkeys(layers))


def _check_columns(extra_columns: object, taken: Collection[str]) -> list[str]:
    if (isinstance(extra_columns, str) or not isinstance(extra_columns, Sequence)
            or not all(isinstance(c, str) and c for c in extra_columns)):
        raise InvalidArgument(
            f"extra_columns={extra_columns!r} must be a sequence of column names"
        )
    clash = sorted({c for c in extra_columns if c in taken})
    if clash:
        raise InvalidArgument(
            f"extra_columns={extra_columns!r} repeats columns the frame already has: "
            f"{', '.join(clash)}"
        )
    return list(dict.fromkeys(extra_columns))


@functools.lru_cache(maxsize=64)
def _finite(low: float, high: float) -> st.SearchStrategy[float]:
    """Finite floats in [low, high]; round thousandths first, which shrink fast and read well."""
    grid = st.integers(math.ceil(low * 1000), math.floor(high * 1000)).map(lambda k: k / 1000)
    return grid | st.floats(low, high, allow_nan=False, allow_infinity=False,
                            allow_subnormal=False)


# Cheap generators for the many cells of a frame (from_regex is slow to draw and shrink).
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_FRAME_TICKERS = st.builds(
    lambda head, number, suffix: head + (str(number) if number else "") + suffix,
    st.sampled_from(_UPPER), st.integers(0, 999),
    st.sampled_from(["", ".KS", ".TW", ".T", ".AS", ".L"]),
)
_FRAME_NAMES = st.sampled_from((
    "Alpha Memory", "Beta Packaging", "Gamma Foundry", "Delta Grid", "Epsilon Power",
    "Zeta Siting", "Eta Accelerators", "Theta Cloud", "Iota Labs", "Kappa Silicon",
    "Lambda & Sons", "Mu-Nu Holdings", "Xi Electric", "Omicron AG", "Pi Semiconductor",
))
_COUNTRIES = st.sampled_from(("US", "KR", "TW", "JP", "NL", "DE", "FR", "GB", "CH", "CN",
                              "IT", "IE"))
_CURRENCY = st.sampled_from(_CURRENCIES)
_MISSING = st.sampled_from(_MISSING_NUMBERS)
# Revenue in USD: unknown (NaN), or from $1m to $1tn on a log scale.
_REVENUE = st.just(math.nan) | st.integers(6, 12).flatmap(
    lambda k: st.integers(1, 9).map(lambda m: float(m * 10**k)))
_TEXT_LIKE = frozenset({"name", "country", "currency", "primary_layer", "listed"}) | \
    MARKET_STRING_COLUMNS


@dataclass(frozen=True)
class _FrameSpec:
    """Everything a frame strategy draws from, with its sub-strategies built once."""

    ids: tuple[str, ...]
    columns: tuple[str, ...]
    min_rows: int
    max_rows: int
    allow_missing: bool
    chosen: st.SearchStrategy[list[str]]
    drawn: tuple[tuple[str, st.SearchStrategy[float]], ...]
    holes: st.SearchStrategy[list[str]] | None
    few: st.SearchStrategy[list[str]]
    plain_tickers: bool = False

    @classmethod
    def build(cls, chain: SupplyChain, min_rows: int, max_rows: int, allow_missing: bool,
              layers: Sequence[str], market: Sequence[str], extra_columns: Sequence[str],
              never_missing: Collection[str], plain_tickers: bool = False) -> _FrameSpec:
        ids = tuple(chain.ids)
        columns = (*frame_columns(ids), *market, *extra_columns)
        drawn = [(c, _finite(*_MARKET_RANGES.get(c, (-1e3, 1e3))))
                 for c in market if c not in MARKET_STRING_COLUMNS]
        drawn += [(c, _finite(-1e3, 1e3)) for c in extra_columns]
        holes = [c for c in columns if c not in never_missing] if allow_missing else []
        # Half the frames leave holes only outside the per-layer families other than
        # exposure_*, so identity and market columns are hit as often as before they came.
        families = tuple(p for p in LAYER_PREFIXES if p != EXPOSURE_PREFIX)
        main_holes = [c for c in holes if not c.startswith(families)]
        return cls(
            ids=ids, columns=columns, min_rows=min_rows, max_rows=max_rows,
            allow_missing=allow_missing,
            chosen=st.lists(st.sampled_from(list(layers)), unique=True, max_size=len(layers)),
            drawn=tuple(drawn),
            holes=st.lists(st.sampled_from(main_holes), unique=True, max_size=len(main_holes))
            | st.lists(st.sampled_from(holes), unique=True, max_size=len(holes))
            if holes else None,
            few=st.lists(st.sampled_from(ids), unique=True, max_size=2),
            plain_tickers=plain_tickers,
        )


def _plain_ticker(i: int) -> str:
    """A, B, ..., Z, AA, AB, ...: the i-th ticker of a frame with tickers by position."""
    name = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        name = _UPPER[rest] + name
    return name


@st.composite
def _rows(draw: st.DrawFn, spec: _FrameSpec, net: Sequence[float]) -> dict[str, Any]:
    """One company's row of a screening frame, as a dict (``ticker`` included)."""
    ids = spec.ids
    chosen = draw(spec.chosen)
    raw = [draw(_finite(0.0, 1.0)) for _ in chosen]
    scale = 0.999 / sum(raw) if sum(raw) > 0.999 else 1.0
    shares = {layer: min(1.0, x * scale) for layer, x in zip(chosen, raw, strict=True)}
    currency = draw(_CURRENCY)
    row: dict[str, Any] = {
        "ticker": draw(_FRAME_TICKERS),
        "name": draw(_FRAME_NAMES),
        "country": draw(_COUNTRIES),
        "currency": currency,
        "listed": draw(st.booleans()),
        "primary_layer": max(shares, key=lambda x: (shares[x], -ids.index(x)))
        if shares else None,
        "quote_currency": currency,
        "market_as_of": "2026-05-07",
    }
    ai = {layer: share * draw(_finite(0.0, 1.0)) for layer, share in shares.items()}
    forward = {layer: draw(_finite(0.0, 1.0)) for layer in draw(spec.few)}
    sales = {layer: draw(_finite(0.0, 0.5)) for layer in draw(spec.few)}
    for layer in ids:
        row[exposure_column(layer)] = shares.get(layer, 0.0)
        row[AI_EXPOSURE_PREFIX + layer] = ai.get(layer, 0.0)
        row[FORWARD_PREFIX + layer] = forward.get(layer, 0.0)
        row[SALES_TO_PREFIX + layer] = sales.get(layer, 0.0)
        row[CUSTOMERS_IN_PREFIX + layer] = 1.0 if layer in sales else 0.0
    row["exposure_total"] = sum(shares.values())
    row["ai_exposure_total"] = sum(ai.values())
    row["confidence"] = draw(_finite(0.0, 1.0)) if shares else math.nan
    row["evidence_support"] = math.tanh(
        sum(share * net[ids.index(x)] for x, share in shares.items()))
    revenue = draw(_REVENUE)
    row["revenue_usd"] = revenue
    row["ai_revenue_usd"] = revenue * row["ai_exposure_total"]
    for column, strategy in spec.drawn:
        row[column] = draw(strategy)
    if spec.holes is not None:
        for column in draw(spec.holes):
            if column in _TEXT_LIKE:
                row[column] = None
            elif column.startswith(FRACTION_PREFIXES):
                # Screening rejects exposure columns (exposure_total too) holding values
                # outside [0, 1], inf included; NaN is allowed.
                row[column] = math.nan
            else:
                row[column] = draw(_MISSING)
    return row


@st.composite
def _screening_frames(draw: st.DrawFn, spec: _FrameSpec) -> pd.DataFrame:
    net = [draw(_finite(-1.0, 1.0)) for _ in spec.ids]
    if spec.plain_tickers:
        # Tickers by position (A, B, C, ...): rows can then be dropped independently,
        # which lets the shrinker find small counterexamples fast.
        rows = draw(st.lists(_rows(spec, net), min_size=spec.min_rows,
                             max_size=spec.max_rows))
        for i, row in enumerate(rows):
            row["ticker"] = _plain_ticker(i)
    else:
        rows = draw(st.lists(_rows(spec, net), min_size=spec.min_rows,
                             max_size=spec.max_rows, unique_by=lambda row: str(row["ticker"])))
    data: dict[str, Any] = {}
    for column in spec.columns:
        values = [row[column] for row in rows]
        if column == "listed":
            data[column] = (pd.array(values, dtype="boolean") if spec.allow_missing
                            else np.array(values, dtype=bool))
        elif column in _TEXT_LIKE:
            data[column] = pd.array(values, dtype="string")
        else:
            data[column] = np.array(values, dtype=np.float64)
    index = pd.Index([row["ticker"] for row in rows], dtype="string", name="ticker")
    return pd.DataFrame(data, index=index, columns=list(spec.columns))


def screening_frames(
    *,
    chain: SupplyChain | str | os.PathLike[str] | None = None,
    min_rows: int = 1,
    max_rows: int = 10,
    allow_missing: bool = False,
    layers: Sequence[str] | None = None,
    market_columns: bool = False,
    extra_columns: Sequence[str] = (),
) -> st.SearchStrategy[pd.DataFrame]:
    """Screening frames in the format of :meth:`thesis_lib.Universe.to_frame`.

    One row per company (a unique string ``ticker`` index), one ``exposure_<layer>``
    column per layer of ``chain`` (the built-in ``ai-compute`` chain by default; a
    :class:`~thesis_lib.SupplyChain`, a chain name or a chain file), consistent derived
    columns (``exposure_total`` is the sum of the shares, ``primary_layer`` the largest,
    ``evidence_support`` the shares weighted by a per-layer net evidence in [-1, 1]).

    - ``layers``: the layers companies get exposure to (all of the chain's by default);
      the other exposure columns are 0;
    - ``market_columns``: add the market-data columns (``price``, ``pe_forward`` …) with
      plausible values;
    - ``extra_columns``: add numeric columns of your own (for packs that declare them);
    - ``allow_missing``: punch holes anywhere: NaN, ``inf`` or ``-inf`` in numeric
      columns, only NaN in ``exposure_*`` columns (screening rejects ``inf`` there),
      <NA> in text columns and in ``listed`` (then a nullable ``boolean`` column).
      Such frames reach every missing-data policy of the rules reading those columns.
    """
    resolved = _resolve_chain(chain)
    _check_range("min_rows", min_rows, "max_rows", max_rows, 0)
    _check_flag("allow_missing", allow_missing)
    _check_flag("market_columns", market_columns)
    chosen = _check_layers(layers, resolved)
    taken = set(frame_columns(resolved.ids)) | set(MARKET_COLUMNS) | MARKET_STRING_COLUMNS
    extras = _check_columns(extra_columns, taken)
    market = [*MARKET_COLUMNS, *sorted(MARKET_STRING_COLUMNS)] if market_columns else []
    return _screening_frames(_FrameSpec.build(resolved, min_rows, max_rows, allow_missing,
                                              chosen, market, extras, ()))


def _frames_for_checks(
    chain: SupplyChain, *, max_rows: int, allow_missing: bool, market: Sequence[str],
    extra_columns: Sequence[str], never_missing: Collection[str],
) -> st.SearchStrategy[pd.DataFrame]:
    """Frames for the property checks: only the ``market`` columns given, some kept whole."""
    return _screening_frames(_FrameSpec.build(chain, 1, max_rows, allow_missing, chain.ids,
                                              market, extra_columns, never_missing,
                                              plain_tickers=True))


# ---------------------------------------------------------------------------------------
# rule packs

_RULE_IDS = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
_WHY = st.from_regex(r"[A-Za-z][A-Za-z0-9 ,.']{0,59}", fullmatch=True).map(str.strip)
_PACK_IDS = st.from_regex(r"[a-z][a-z0-9\-]{0,15}", fullmatch=True)


def _numbers(layers: Sequence[str], chain: SupplyChain) -> st.SearchStrategy[str]:
    """Numeric expression text over the frame's columns."""
    has_below = [x for x in layers if chain.below(x, 1)]
    atoms: list[st.SearchStrategy[str]] = [
        st.sampled_from(list(layers)).map(lambda x: f'exposure("{x}")'),
        st.sampled_from(["evidence_support", "confidence", "exposure_total"]),
        st.sampled_from(["pe_forward", "market_cap_usd", "return_3m"]),
        _finite(-10.0, 10.0).map(lambda v: repr(round(v, 3))),
    ]
    if has_below:
        atoms.append(st.sampled_from(has_below).map(lambda x: f'exposure_below("{x}", 1)'))
    base = st.one_of(atoms)

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(["min", "max"]), inner, inner).map(
                lambda t: f"{t[0]}({t[1]}, {t[2]})"),
            inner.map(lambda x: f"clip(({x} - 30) / 30, 0, 1)"),
            inner.map(lambda x: f"fill({x}, 0)"),
            st.sampled_from(["pct_rank", "zscore", "abs"]).flatmap(
                lambda f: inner.map(lambda x: f"{f}({x})")),
            st.tuples(inner, _conditions(layers), inner).map(
                lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        )

    return st.recursive(base, extend, max_leaves=4)


def _conditions(layers: Sequence[str]) -> st.SearchStrategy[str]:
    """Boolean expression text (for gates and 'if' conditions)."""
    exposure = st.sampled_from(list(layers)).map(lambda x: f'exposure("{x}")')
    return st.one_of(
        st.just("listed"),
        st.just("not listed"),
        st.tuples(exposure, st.sampled_from([">=", "<", ">"]), _finite(0.0, 1.0)).map(
            lambda t: f"{t[0]} {t[1]} {round(t[2], 3)!r}"),
        st.sampled_from(['country == "US"', 'country in ["US", "KR", "TW"]',
                         'currency != "USD"', "is_missing(pe_forward)",
                         "pe_forward < 40", "listed and exposure_total >= 0.5"]),
    )


@st.composite
def _rule_packs(
    draw: st.DrawFn, chain_spec: str, chain: SupplyChain, min_rules: int, max_rules: int,
    kinds: Sequence[str], max_expectations: int,
) -> RulePack:
    from thesis_lib.rules.pack import RulePack

    layers = list(chain.ids)
    ids = draw(st.lists(_RULE_IDS, min_size=min_rules, max_size=max_rules, unique=True))
    rules = []
    for rule_id in ids:
        kind = draw(st.sampled_from(list(kinds)))
        expression = draw(_conditions(layers) if kind == "gate" else _numbers(layers, chain))
        rules.append({
            "id": rule_id,
            "kind": kind,
            "expression": expression,
            "weight": draw(_finite(0.0, 20.0)),
            "missing": draw(st.sampled_from(["zero", "skip", "exclude", "error"])),
            "why": draw(_WHY.filter(bool)),
        })
    gates = [r["id"] for r in rules if r["kind"] == "gate"]
    expect: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, max_expectations))):
        forms = ["above", "top", "not_top", "score_between", "contribution"]
        form = draw(st.sampled_from(forms + (["excluded_by"] if gates else [])))
        entry: dict[str, Any] = {"id": f"expect-{i + 1}"}
        if form == "above":
            entry["above"] = draw(st.lists(_TICKERS, min_size=2, max_size=2, unique=True))
        elif form in ("top", "not_top"):
            entry[form] = draw(st.lists(_TICKERS, min_size=1, max_size=3, unique=True))
            entry["n"] = draw(st.integers(1, 20))
        elif form == "score_between":
            low = draw(_finite(-50.0, 50.0))
            entry["score_between"] = [low, low + draw(_finite(0.0, 50.0))]
            entry["ticker"] = draw(_TICKERS)
        elif form == "contribution":
            entry["contribution"] = draw(st.sampled_from(["positive", "negative", "zero"]))
            entry["rule"] = draw(st.sampled_from(ids))
            entry["ticker"] = draw(_TICKERS)
        else:
            entry["excluded_by"] = draw(st.sampled_from(gates))
            entry["ticker"] = draw(_TICKERS)
        expect.append(entry)
    return RulePack(
        id=draw(_PACK_IDS), version="1.0.0", description="generated", chain=chain_spec,
        rules=rules, expect=expect,
    )


def rule_packs(
    *,
    chain: str | os.PathLike[str] | None = None,
    min_rules: int = 1,
    max_rules: int = 6,
    kinds: Sequence[str] = ("score", "penalty", "gate"),
    max_expectations: int = 3,
) -> st.SearchStrategy[RulePack]:
    """Valid :class:`~thesis_lib.RulePack` objects whose expressions compile.

    ``chain`` is what the packs name as their chain: a built-in chain name (``ai-compute``
    by default) or a chain file. Rules are of the ``kinds`` given, with any weight in
    [0, 20] and any missing-data policy; their expressions read exposures, derived,
    market and identity columns through the whole expression language (arithmetic,
    ``min``/``max``/``clip``/``fill``, cross-sectional ``pct_rank``/``zscore``,
    ``if``/``else``, comparisons, ``in``, ``and``/``not``). Up to ``max_expectations``
    expectations name the pack's own rules and gates (their tickers are random).
    """
    from thesis_lib.rules.pack import RuleKind

    if chain is None:
        spec = "ai-compute"
    elif isinstance(chain, str | os.PathLike):
        spec = os.fspath(chain)
        if not isinstance(chain, str) or spec.endswith(".toml"):
            spec = str(Path(spec).resolve())
    else:
        raise InvalidArgument(f"chain={chain!r} must be a built-in chain name or a chain file")
    resolved = _resolve_chain(spec)
    _check_range("min_rules", min_rules, "max_rules", max_rules, 1)
    _check_size("max_expectations", max_expectations, 0)
    allowed = get_args(RuleKind)
    if (isinstance(kinds, str) or not isinstance(kinds, Sequence) or not kinds
            or not set(kinds) <= set(allowed)):
        raise InvalidArgument(
            f"kinds={kinds!r} must be a non-empty sequence of {', '.join(allowed)}"
        )
    return _rule_packs(spec, resolved, min_rules, max_rules, list(dict.fromkeys(kinds)),
                       max_expectations)
