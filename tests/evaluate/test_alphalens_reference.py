"""thesis-lib against alphalens-reloaded 0.5.1 where both conventions agree.

The reference numbers were computed once with alphalens and are stored beside the script
that made them (tests/evaluate/reference/), so the suite needs neither alphalens nor a
network: 40 untied names x 12 dates in quintiles (8 names each in both conventions).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from thesis_lib.evaluate import quantile_returns, rank_ic
from thesis_lib.evaluate.quantiles import quantile_of

REFERENCE = Path(__file__).parent / "reference"
TOLERANCE = 1e-10


@pytest.fixture(scope="module")
def reference() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(
        (REFERENCE / "alphalens_reference.json").read_text())
    return loaded


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "alphalens_panel.csv", dtype={"ticker": "string"})


def wide(panel: pd.DataFrame, column: str) -> pd.DataFrame:
    return panel.pivot(index="date", columns="ticker", values=column)  # ISO-string dates


def test_the_reference_data_is_where_the_conventions_agree(panel: pd.DataFrame) -> None:
    counts = panel.groupby("date")["score"].agg(["size", "nunique"])
    assert (counts["size"] == 40).all() and (counts["nunique"] == 40).all()  # no ties
    assert panel[["score", "forward_return"]].notna().all().all()
    assert (panel.groupby(["date", "quantile"]).size() == 8).all()  # equal quintiles


def test_quintiles_are_alphalens_quintiles(panel: pd.DataFrame) -> None:
    for _, day in panel.groupby("date"):
        got = quantile_of(day["score"].to_numpy(), 5)
        assert got.tolist() == day["quantile"].tolist()


def test_rank_ic_matches_alphalens(panel: pd.DataFrame, reference: dict[str, object]) -> None:
    ic = rank_ic(wide(panel, "score"), wide(panel, "forward_return"), n_resamples=100)
    expected = pd.Series(reference["ic_by_date"], dtype=float)
    expected.index = pd.to_datetime(expected.index)
    got = ic.by_date["ic"]
    assert list(got.index) == list(expected.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=TOLERANCE)
    assert ic.mean_ic == pytest.approx(float(reference["mean_ic"]), rel=0, abs=TOLERANCE)


def test_quintile_means_match_alphalens(panel: pd.DataFrame,
                                        reference: dict[str, object]) -> None:
    result = quantile_returns(wide(panel, "score"), wide(panel, "forward_return"), q=5,
                              n_resamples=100)
    overall = reference["quantile_mean_return"]
    assert isinstance(overall, dict)
    expected = np.array([overall[str(k)] for k in range(1, 6)])
    np.testing.assert_allclose(result.table["mean_return"].to_numpy(), expected, rtol=0,
                               atol=TOLERANCE)
    assert result.table["n"].tolist() == [8 * 12] * 5
    by_date = reference["quantile_mean_return_by_date"]
    assert isinstance(by_date, dict)
    expected_by_date = np.array([by_date[d] for d in sorted(by_date)])
    got = result.by_date[[f"Q{k}" for k in range(1, 6)]].to_numpy()
    np.testing.assert_allclose(got, expected_by_date, rtol=0, atol=TOLERANCE)
    assert result.spread == pytest.approx(expected[-1] - expected[0], rel=0, abs=TOLERANCE)
