"""Random packs and screening frames for the engine parity tests."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from thesis_lib.rules import Rule, RulePack

NUMBER_COLUMNS = ("a", "b", "c")
# Few distinct values, so that ties (in pct_rank, zscore and the score) are common; a few
# ordinary floats so that sums are not all exact; NaN and infinities as missing data.
NICE = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0]
VALUES = st.one_of(
    st.sampled_from([*NICE, math.nan, math.inf, -math.inf]),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
)
TEXTS = ["KR", "TW", "US", None]
LITERALS = ["0", "1", "2", "0.5", "1.5", "(-1)", "True", "False", "3", "0.1"]

_text_atoms = st.sampled_from([
    'country == "KR"', '"TW" != country', 'country in ["KR", "TW"]',
    'country not in ["US"]', "is_missing(country)",
]).map(lambda t: f"({t})")
_atoms = st.one_of(st.sampled_from([*NUMBER_COLUMNS, "flag"]), st.sampled_from(LITERALS),
                   _text_atoms)


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "%"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(inner, st.sampled_from(["0", "1", "2", "3", "0.5"])).map(
            lambda t: f"({t[0]} ** {t[1]})"),
        inner.map(lambda x: f"(-{x})"),
        inner.map(lambda x: f"(not {x})"),
        st.tuples(inner, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} < {t[1]} <= {t[2]})"),
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        st.tuples(inner, st.lists(st.sampled_from(LITERALS), max_size=3)).map(
            lambda t: f"({t[0]} in [{', '.join(t[1])}])"),
        st.sampled_from(["abs", "log", "sqrt", "is_missing", "pct_rank", "zscore"]).flatmap(
            lambda f: inner.map(lambda x: f"{f}({x})")),
        st.tuples(st.sampled_from(["min", "max"]), st.lists(inner, min_size=2, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(inner, inner, inner).map(lambda t: f"clip({t[0]}, {t[1]}, {t[2]})"),
        st.tuples(inner, inner).map(lambda t: f"fill({t[0]}, {t[1]})"),
    )


expressions = st.recursive(_atoms, _extend, max_leaves=8)


@st.composite
def packs(draw: st.DrawFn, *, policies: tuple[str, ...] = ("zero", "skip", "exclude")) -> RulePack:
    """A pack of 1-5 random rules over the columns of :func:`frames`."""
    count = draw(st.integers(min_value=1, max_value=5))
    rules = [
        Rule(id=f"r{i}", kind=draw(st.sampled_from(["score", "score", "penalty", "gate"])),
             expression=draw(expressions),
             weight=draw(st.sampled_from([0.0, 0.5, 1.0, 2.5, 10.0, 0.3])),
             missing=draw(st.sampled_from(policies)), why="random rule")
        for i in range(count)
    ]
    return RulePack(id="random", columns=(*NUMBER_COLUMNS, "flag"), rules=rules)


def _column(draw: st.DrawFn, n: int) -> np.ndarray:
    return np.array(draw(st.lists(VALUES, min_size=n, max_size=n)), dtype=np.float64)


@st.composite
def frames(draw: st.DrawFn, *, max_rows: int = 10) -> pd.DataFrame:
    """A screening frame of 1..max_rows companies with the columns the packs read."""
    n = draw(st.integers(min_value=1, max_value=max_rows))
    tickers = draw(st.lists(st.sampled_from([f"T{i:02d}" for i in range(40)]),
                            min_size=n, max_size=n, unique=True))
    data: dict[str, object] = {name: _column(draw, n) for name in NUMBER_COLUMNS}
    data["flag"] = np.array(draw(st.lists(st.sampled_from([0.0, 1.0, math.nan]),
                                          min_size=n, max_size=n)))
    data["country"] = pd.array(draw(st.lists(st.sampled_from(TEXTS), min_size=n, max_size=n)),
                               dtype="string")
    data["name"] = pd.array(tickers, dtype="string")
    return pd.DataFrame(data, index=pd.Index(tickers, dtype="string", name="ticker"))


@st.composite
def panels(draw: st.DrawFn) -> pd.DataFrame:
    """A (date, ticker) panel of 1-4 dates, each a frame of :func:`frames` (tickers
    differ between dates; some dates repeat another's rows, so ties across dates too)."""
    count = draw(st.integers(min_value=1, max_value=4))
    parts: dict[pd.Timestamp, pd.DataFrame] = {}
    for k in range(count):
        date = pd.Timestamp("2026-01-31") + pd.offsets.MonthEnd(k)
        if parts and draw(st.booleans()):
            parts[date] = next(iter(parts.values()))
        else:
            parts[date] = draw(frames(max_rows=8))
    return pd.concat(parts, names=["date", "ticker"])
