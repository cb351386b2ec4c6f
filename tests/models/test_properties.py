from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from thesis_lib import Company, DataError, Universe, load_universe, save_universe
from thesis_lib.models import SHARE_TOLERANCE
from thesis_lib.testing import strategies as ts


@given(ts.universes(max_companies=6))
def test_toml_round_trip(universe: Universe) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = save_universe(universe, Path(tmp) / "u.toml")
        assert load_universe(path) == universe


@given(ts.universes(max_companies=8))
def test_frame_rows_are_companies_and_columns_are_layers(universe: Universe) -> None:
    frame = universe.to_frame()
    assert list(frame.index) == list(universe.tickers)
    exposure_cols = [
        c for c in frame.columns if c.startswith("exposure_") and c != "exposure_total"
    ]
    assert exposure_cols == [f"exposure_{layer}" for layer in universe.chain.ids]
    for company in universe.companies:
        for layer in universe.chain.ids:
            assert frame.loc[company.ticker, f"exposure_{layer}"] == company.share(layer)
    assert np.allclose(frame["exposure_total"], frame[exposure_cols].sum(axis=1))
    assert frame["evidence_support"].between(-1.0 - 1e-9, 1.0 + 1e-9).all()


@given(
    shares=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6).filter(
        lambda xs: sum(xs) > 1.0 + SHARE_TOLERANCE
    )
)
def test_share_sum_over_one_is_rejected(shares: list[float]) -> None:
    exposures = [
        {"layer": f"l{i}", "share": s, "source": "s", "as_of": dt.date(2026, 5, 7)}
        for i, s in enumerate(shares)
    ]
    with pytest.raises(DataError, match="add up to"):
        Company(ticker="X", name="X", country="US", currency="USD", exposures=exposures)


def test_strategy_arguments_are_checked() -> None:
    with pytest.raises(InvalidArgument, match=r"Cannot have max_companies=1 < min_companies=2"):
        ts.universes(min_companies=2, max_companies=1)
    with pytest.raises(InvalidArgument, match=r"layers=.* must be a non-empty sequence"):
        ts.companies(layers=[])
