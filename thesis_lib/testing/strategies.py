"""Hypothesis strategies for thesis-lib's models, for use in your own tests.

Every builder takes keyword-only options and checks them eagerly, raising
``hypothesis.errors.InvalidArgument`` with an exact message, in the manner of
``hypothesis.extra.pandas``. Everything they generate validates.

>>> from hypothesis import given
>>> from thesis_lib.testing import strategies as ts
>>> @given(ts.universes(max_companies=5))
... def test_frame_has_a_row_per_company(universe):
...     assert len(universe.to_frame()) == len(universe.companies)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from thesis_lib.models import Company, Evidence, Exposure, Layer, SupplyChain, Universe

__all__ = [
    "chains",
    "companies",
    "evidence",
    "exposures",
    "layer_ids",
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
            confidence=draw(st.floats(0.0, 1.0)),
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
def _companies(draw: st.DrawFn, layers: Sequence[str], ticker: str | None) -> Company:
    return Company(
        ticker=ticker if ticker is not None else draw(_TICKERS),
        name=draw(_TEXT),
        country=draw(st.from_regex(r"[A-Z]{2}", fullmatch=True)),
        currency=draw(st.sampled_from(["USD", "KRW", "TWD", "JPY", "EUR", "CHF", "GBp"])),
        listed=draw(st.booleans()),
        note=draw(st.none() | _TEXT),
        exposures=draw(_exposure_sets(list(layers), 0.999)),
    )


def companies(*, layers: Sequence[str]) -> st.SearchStrategy[Company]:
    """Companies with exposures to some of ``layers`` (valid shares, sources and dates)."""
    if isinstance(layers, str) or not isinstance(layers, Sequence) or not layers:
        raise InvalidArgument(f"layers={layers!r} must be a non-empty sequence of layer ids")
    return _companies(list(dict.fromkeys(layers)), None)


@st.composite
def _evidence(draw: st.DrawFn, layers: Sequence[str], evidence_id: str | None) -> Evidence:
    return Evidence(
        id=evidence_id or draw(st.from_regex(r"[a-z0-9][a-z0-9\-]{0,15}", fullmatch=True)),
        claim=draw(_TEXT),
        layers=tuple(draw(st.lists(st.sampled_from(list(layers)), min_size=1, max_size=3,
                                   unique=True))),
        direction=draw(st.sampled_from(["supports", "undermines"])),
        strength=draw(st.floats(0.0, 1.0)),
        source=draw(_TEXT),
        date=draw(_DATES),
    )


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
    ev = [draw(_evidence(layers, f"ev-{i}")) for i in range(n_ev)]
    return Universe(id="generated", chain=chain, companies=tuple(comps), evidence=tuple(ev))


def universes(
    *,
    chain: SupplyChain | None = None,
    min_companies: int = 0,
    max_companies: int = 10,
    max_evidence: int = 3,
) -> st.SearchStrategy[Universe]:
    """Valid universes: unique tickers, known layers, shares summing to at most 1.

    With ``chain`` the companies sit in that chain; otherwise a chain is generated too.
    """
    _check_range("min_companies", min_companies, "max_companies", max_companies, 0)
    _check_size("max_evidence", max_evidence, 0)
    if chain is not None and not isinstance(chain, SupplyChain):
        raise InvalidArgument(f"chain={chain!r} must be a SupplyChain or None")
    chain_strategy = st.just(chain) if chain is not None else chains()
    return _universes(chain_strategy, min_companies, max_companies, max_evidence)
