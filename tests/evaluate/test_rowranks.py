"""Whole-panel ranks and Spearman rows equal scipy's per-row answers, ties and gaps included."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from thesis_lib.evaluate.rowranks import average_ranks, spearman_rows

# small integers make ties common; NaN and inf stand for missing cells
cells = st.one_of(st.integers(-3, 3).map(float), st.just(np.nan), st.just(np.inf))
panels = hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 12)), elements=cells)


@settings(max_examples=150, deadline=None)
@given(panels)
def test_average_ranks_equal_scipy_rankdata_row_by_row(values: np.ndarray) -> None:
    usable = np.isfinite(values)
    ranks = average_ranks(values, usable)
    for row in range(values.shape[0]):
        ok = usable[row]
        assert np.isnan(ranks[row, ~ok]).all()
        np.testing.assert_array_equal(ranks[row, ok], stats.rankdata(values[row, ok]))


@settings(max_examples=150, deadline=None)
@given(panels, st.data())
def test_spearman_rows_equal_scipy_spearmanr(x: np.ndarray, data: st.DataObject) -> None:
    y = data.draw(hnp.arrays(np.float64, x.shape, elements=st.one_of(
        st.floats(-1e3, 1e3), st.just(np.nan))))
    found = spearman_rows(x, y, min_names=3)
    for row in range(x.shape[0]):
        ok = np.isfinite(x[row]) & np.isfinite(y[row])
        assert found.n[row] == ok.sum()
        if ok.sum() < 3 or np.ptp(x[row, ok]) == 0 or np.ptp(y[row, ok]) == 0:
            assert np.isnan(found.rho[row]) and np.isnan(found.p_value[row])
            continue
        expected = stats.spearmanr(x[row, ok], y[row, ok])
        assert found.rho[row] == pytest.approx(float(expected.statistic), abs=1e-12)
        assert found.p_value[row] == pytest.approx(float(expected.pvalue), abs=1e-12)


def test_constant_sides_are_flagged_per_row() -> None:
    x = np.array([[1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 3.0, 4.0]])
    y = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, np.nan]])
    found = spearman_rows(x, y, min_names=3)
    assert found.x_constant.tolist() == [True, False]
    assert found.y_constant.tolist() == [False, True]
    assert np.isnan(found.rho).all()
