"""The screening frame: building it from a universe and checking one a user brings.

The format itself is documented once, in :meth:`thesis_lib.Universe.to_frame`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from thesis_lib.errors import Problem, ScreenError

if TYPE_CHECKING:
    from thesis_lib.models.universe import Universe

EXPOSURE_PREFIX = "exposure_"
AI_EXPOSURE_PREFIX = "ai_exposure_"
FORWARD_PREFIX = "forward_exposure_"
SALES_TO_PREFIX = "sales_to_"
CUSTOMERS_IN_PREFIX = "customers_in_"
LAYER_PREFIXES: tuple[str, ...] = (
    EXPOSURE_PREFIX, AI_EXPOSURE_PREFIX, FORWARD_PREFIX, SALES_TO_PREFIX, CUSTOMERS_IN_PREFIX,
)
"""Prefixes of the per-layer column families, in frame order: ``<prefix><layer_id>``."""
FRACTION_PREFIXES: tuple[str, ...] = (
    EXPOSURE_PREFIX, AI_EXPOSURE_PREFIX, FORWARD_PREFIX, SALES_TO_PREFIX,
)
"""Per-layer families holding fractions of revenue: checked to lie in [0, 1]."""
FRACTION_TOLERANCE = 1e-3
"""How far a fraction column may pass 1 before the frame is rejected (the same slack as
:data:`thesis_lib.models.SHARE_TOLERANCE`)."""
IDENTITY_COLUMNS: tuple[str, ...] = ("name", "country", "currency", "listed", "primary_layer")
STRING_COLUMNS: frozenset[str] = frozenset({"name", "country", "currency", "primary_layer"})
DERIVED_COLUMNS: tuple[str, ...] = (
    "exposure_total", "ai_exposure_total", "confidence", "evidence_support",
    "revenue_usd", "ai_revenue_usd",
)


def exposure_column(layer_id: str) -> str:
    """The frame column holding revenue share from ``layer_id``: ``exposure_<layer_id>``."""
    return f"{EXPOSURE_PREFIX}{layer_id}"


def frame_columns(layer_ids: Iterable[str]) -> tuple[str, ...]:
    """Every column :meth:`Universe.to_frame` produces for a chain with these layers."""
    layers = tuple(layer_ids)
    return (
        *IDENTITY_COLUMNS,
        *(f"{prefix}{layer}" for prefix in LAYER_PREFIXES for layer in layers),
        *DERIVED_COLUMNS,
    )


def build_frame(universe: Universe) -> pd.DataFrame:
    """Build the screening frame of ``universe`` (see :meth:`Universe.to_frame`)."""
    layer_ids = universe.chain.ids
    col_of = {layer: j for j, layer in enumerate(layer_ids)}
    row_of = {c.ticker: i for i, c in enumerate(universe.companies)}
    n, m = len(universe.companies), len(layer_ids)
    shares = np.zeros((n, m), dtype=np.float64)
    ai = np.zeros((n, m), dtype=np.float64)
    forward = np.zeros((n, m), dtype=np.float64)
    sales = np.zeros((n, m), dtype=np.float64)
    customers = np.zeros((n, m), dtype=np.float64)
    conf_weighted = np.zeros(n, dtype=np.float64)
    revenue = np.full(n, np.nan, dtype=np.float64)
    # Sums over a company's exposures, forward figures and links are exactly rounded
    # (math.fsum), so the order they are declared in never changes a bit of the frame.
    for i, company in enumerate(universe.companies):
        for exposure in company.exposures:
            j = col_of[exposure.layer]
            shares[i, j] = exposure.share
            ai[i, j] = exposure.ai_exposure
        conf_weighted[i] = math.fsum(e.share * e.confidence for e in company.exposures)
        ahead: dict[int, list[float]] = {}
        for fwd in company.forward:
            ahead.setdefault(col_of[fwd.layer], []).append(fwd.ai_exposure)
        for j, terms in ahead.items():
            forward[i, j] = math.fsum(terms)
        if company.financials is not None:
            revenue[i] = company.financials.revenue_usd
    primary = [c.primary_layer_in(layer_ids) for c in universe.companies]
    sold: dict[tuple[int, int], list[float]] = {}
    for link in universe.current_links:
        if link.kind != "supplies":
            continue
        layer = primary[row_of[link.customer]]
        if layer is None:
            continue
        i, j = row_of[link.supplier], col_of[layer]
        customers[i, j] += 1.0
        sold.setdefault((i, j), []).append(link.revenue_share or 0.0)
    for (i, j), terms in sold.items():
        sales[i, j] = math.fsum(terms)
    np.minimum(forward, 1.0, out=forward)
    np.minimum(sales, 1.0, out=sales)
    total = shares.sum(axis=1)
    ai_total = ai.sum(axis=1)
    net = universe.layer_evidence()
    net_vector = np.array([net[layer] for layer in layer_ids], dtype=np.float64)
    direct = universe.company_evidence()
    direct_vector = np.array([direct[c.ticker] for c in universe.companies], dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        confidence = np.where(total > 0, conf_weighted / np.where(total > 0, total, 1.0), np.nan)

    index = pd.Index([c.ticker for c in universe.companies], dtype="string", name="ticker")
    data: dict[str, object] = {
        "name": pd.array([c.name for c in universe.companies], dtype="string"),
        "country": pd.array([c.country for c in universe.companies], dtype="string"),
        "currency": pd.array([c.currency for c in universe.companies], dtype="string"),
        "listed": np.array([c.listed for c in universe.companies], dtype=bool),
        "primary_layer": pd.array(primary, dtype="string"),
    }
    for prefix, matrix in zip(LAYER_PREFIXES, (shares, ai, forward, sales, customers),
                              strict=True):
        for j, layer in enumerate(layer_ids):
            data[f"{prefix}{layer}"] = matrix[:, j]
    data["exposure_total"] = total
    data["ai_exposure_total"] = ai_total
    data["confidence"] = confidence
    data["evidence_support"] = np.tanh(shares @ net_vector + direct_vector)
    data["revenue_usd"] = revenue
    data["ai_revenue_usd"] = revenue * ai_total
    return pd.DataFrame(data, index=index)


def check_frame(frame: pd.DataFrame, *, what: str = "screening frame") -> pd.DataFrame:
    """Check a user-supplied screening frame and return it with a string ``ticker`` index.

    Every problem is reported at once: a non-unique or missing index, exposure columns
    that are not numeric or fall outside [0, 1], a ``listed`` column that is not boolean.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ScreenError(
            f"expected a Universe or a pandas DataFrame, got {type(frame).__name__}",
            hint="pass thesis_lib.load_universe() or Universe.to_frame()",
        )
    problems: list[Problem] = []
    index = frame.index
    if index.hasnans:
        problems.append(
            Problem("the index has missing tickers", item=what, field="index",
                    hint="index the frame by ticker, one row per company")
        )
    if not index.is_unique:
        dupes = sorted({str(t) for t in index[index.duplicated()]})
        problems.append(
            Problem(f"duplicate tickers in the index: {', '.join(dupes[:5])}", item=what,
                    field="index", hint="keep one row per company")
        )
    for column in frame.columns:
        name = str(column)
        if not name.startswith(FRACTION_PREFIXES):
            continue
        series = frame[column]
        if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            problems.append(
                Problem(f"exposure column has dtype {series.dtype}, not a number", item=what,
                        field=name, hint="revenue shares are floats between 0 and 1")
            )
            continue
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        if len(values) and values.min() >= 0 and values.max() <= 1 + FRACTION_TOLERANCE:
            continue  # two reductions settle the usual case (NaN makes them fail: look)
        # A company's shares may add up to 1 + SHARE_TOLERANCE (rounding), and so may
        # the totals built from them.
        bad = (values < 0) | (values > 1 + FRACTION_TOLERANCE)
        if bad.any():
            tickers = [str(t) for t in index[bad][:3]]
            problems.append(
                Problem(f"{int(bad.sum())} value(s) outside [0, 1], e.g. for {', '.join(tickers)}",
                        item=what, field=name, hint="revenue shares are fractions between 0 and 1")
            )
    if "listed" in frame.columns and not pd.api.types.is_bool_dtype(frame["listed"]):
        problems.append(
            Problem(f"'listed' has dtype {frame['listed'].dtype}, not bool", item=what,
                    field="listed", hint="use True/False")
        )
    if problems:
        raise ScreenError(problems)
    if index.name != "ticker" or index.dtype != "string":
        # A new index on the same columns: under copy-on-write no column is copied, and
        # the caller's frame keeps its own index.
        frame = frame.set_axis(pd.Index(index.astype("string"), name="ticker"), axis=0)
    return frame


MARKET_SNAPSHOT_COLUMNS: tuple[str, ...] = (
    "price",
    "market_cap",
    "market_cap_usd",
    "adv_usd",
    "pe_trailing",
    "pe_forward",
    "ev_sales",
    "fx_rate_usd",
)
"""Numeric columns of a market snapshot (one value per ticker)."""

MARKET_RETURN_COLUMNS: tuple[str, ...] = ("return_1m", "return_3m", "return_ytd", "return_since")
"""Trailing returns computed from price history."""

MARKET_COLUMNS: tuple[str, ...] = MARKET_SNAPSHOT_COLUMNS + MARKET_RETURN_COLUMNS
"""Numeric columns a market-data adapter adds (NaN where unknown). Rules may name them
whether or not prices are attached; without prices they are missing for every company."""

MARKET_TEXT_COLUMNS: tuple[str, ...] = ("quote_currency", "market_as_of")
"""Text columns a market-data adapter adds: the quote currency and the date of the price."""

MARKET_STRING_COLUMNS: frozenset[str] = frozenset(MARKET_TEXT_COLUMNS)
