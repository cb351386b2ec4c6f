"""Synthetic screens for basket tests: a frame on the built-in chain scored by one column."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

import thesis_lib as tl
from thesis_lib.frame import exposure_column
from thesis_lib.rules.screen import ScreenResult

LAYERS = tl.load_chain().ids

# A pack whose score is the frame's own `signal` column, behind the usual listed gate.
SIGNAL_PACK = tl.RulePack(
    id="signal",
    columns=("signal",),
    rules=(
        tl.Rule(id="listed", kind="gate", expression="listed", missing="error",
                why="Only listed companies can be bought."),
        tl.Rule(id="signal", expression="signal", missing="zero", why="The test's score."),
    ),
)


def make_frame(
    signal: Sequence[float],
    *,
    tickers: Sequence[str] | None = None,
    layers: Sequence[str | None] | None = None,
    exposures: Sequence[Mapping[str, float]] | None = None,
    listed: Sequence[bool] | None = None,
    extra: Mapping[str, Sequence[Any]] | None = None,
) -> pd.DataFrame:
    """A screening frame with one row per value of ``signal``."""
    n = len(signal)
    tickers = list(tickers) if tickers is not None else [f"T{i:03d}" for i in range(n)]
    layers = list(layers) if layers is not None else [LAYERS[i % len(LAYERS)] for i in range(n)]
    data: dict[str, Any] = {
        "name": pd.array([f"Company {t}" for t in tickers], dtype="string"),
        "listed": np.array(listed if listed is not None else [True] * n, dtype=bool),
        "primary_layer": pd.array(layers, dtype="string"),
    }
    for layer in LAYERS:
        data[exposure_column(layer)] = np.zeros(n)
    for i, row in enumerate(exposures or []):
        for layer, share in row.items():
            data[exposure_column(layer)][i] = share
    data["signal"] = np.asarray(signal, dtype=np.float64)
    for column, values in (extra or {}).items():
        data[column] = np.asarray(values, dtype=np.float64)
    return pd.DataFrame(data, index=pd.Index(tickers, dtype="string", name="ticker"))


def make_screen(signal: Sequence[float], **kwargs: Any) -> ScreenResult:
    """``tl.screen`` of :func:`make_frame` with the signal pack."""
    return tl.screen(make_frame(signal, **kwargs), SIGNAL_PACK)
