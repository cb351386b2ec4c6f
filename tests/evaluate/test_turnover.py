"""factor_turnover: quantile turnover and rank autocorrelation checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from thesis_lib.evaluate import EvaluationError, TurnoverResult, factor_turnover

NAN = np.nan


def panel(rows: list[list[float]], tickers: str = "ABCDEFGHIJ") -> pd.DataFrame:
    index = pd.Index(pd.bdate_range("2026-03-02", periods=len(rows)), name="date")
    return pd.DataFrame(rows, index=index, columns=list(tickers[: len(rows[0])]))


def test_a_constant_ranking_has_no_turnover_and_autocorrelation_one() -> None:
    scores = panel([[1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10]] * 6)
    result = factor_turnover(scores, quantiles=5, periods=(1, 2))
    assert isinstance(result, TurnoverResult)
    for frame in (result.top, result.bottom):
        assert frame[1].isna().tolist() == [True] + [False] * 5
        assert frame[2].isna().tolist() == [True, True] + [False] * 4
        assert (frame.fillna(0.0) == 0.0).all().all()
    assert result.autocorrelation[1].iloc[1:].tolist() == pytest.approx([1.0] * 5)
    assert result.table.loc[1, "autocorrelation"] == pytest.approx(1.0)
    assert result.table.loc[2, "top_turnover"] == 0.0
    assert result.table["n_dates"].tolist() == [5, 4]


def test_a_reversed_ranking_turns_the_ends_over_and_has_autocorrelation_minus_one() -> None:
    up = [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    scores = panel([up, up[::-1], up, up[::-1]])
    result = factor_turnover(scores, quantiles=5, periods=(1, 2))
    # quintiles of 10 names: top {I, J} then {A, B}: both new at lag 1, none at lag 2
    assert result.top[1].tolist()[1:] == [1.0, 1.0, 1.0]
    assert result.bottom[1].tolist()[1:] == [1.0, 1.0, 1.0]
    assert result.top[2].tolist()[2:] == [0.0, 0.0]
    assert result.autocorrelation[1].tolist()[1:] == pytest.approx([-1.0, -1.0, -1.0])
    assert result.autocorrelation[2].tolist()[2:] == pytest.approx([1.0, 1.0])


def test_partial_turnover_and_autocorrelation_by_hand() -> None:
    # 10 names, quintiles of 2. Date 2 swaps I (9) with G (7) and A (1) with C (3):
    # top {I, J} -> {G, J}: 1 of 2 new; bottom {A, B} -> {B, C}: 1 of 2 new.
    # Spearman: d = 2 for four names, sum d^2 = 16: 1 - 6 x 16 / (10 x 99) = 0.90303...
    scores = panel([[1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10], [3.0, 2, 1, 4, 5, 6, 9, 8, 7, 10]])
    result = factor_turnover(scores, quantiles=5, periods=(1,))
    assert result.top.iloc[1, 0] == 0.5 and result.bottom.iloc[1, 0] == 0.5
    assert result.autocorrelation.iloc[1, 0] == pytest.approx(1 - 6 * 16 / (10 * 99))


def test_missing_names_count_as_new_and_autocorrelation_uses_common_names() -> None:
    rng = np.random.default_rng(4)
    values = rng.standard_normal((5, 10))
    values[1, [0, 3]] = NAN
    values[3, 5] = NAN
    scores = panel(values.tolist())
    result = factor_turnover(scores, quantiles=2, periods=(1, 3))
    for t in range(1, 5):
        ok = np.isfinite(values[t]) & np.isfinite(values[t - 1])
        expected = stats.spearmanr(values[t, ok], values[t - 1, ok]).statistic
        assert result.autocorrelation.iloc[t, 0] == pytest.approx(float(expected))
    # halves by rank: top = the ceil(n / 2) ... by the quantile rule (rank - 1) * 2 // n
    for t in range(3, 5):
        def top(row: np.ndarray) -> set[int]:
            ok = np.flatnonzero(np.isfinite(row))
            ranks = stats.rankdata(row[ok])
            return {int(i) for i, r in zip(ok, ranks, strict=True)
                    if np.floor((r - 1) * 2 / len(ok)) + 1 == 2}
        now, before = top(values[t]), top(values[t - 3])
        assert result.top.iloc[t, 1] == pytest.approx(len(now - before) / len(now))


def test_text_and_html_show_each_lag() -> None:
    up = [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    result = factor_turnover(panel([up, up[::-1], up]), quantiles=5, periods=(1, 2))
    text = result.to_text()
    assert text.splitlines()[0] == ("factor turnover: 5 score quantiles over 3 date(s); "
                                    "lags in dates")
    assert ("lag 1: top quantile 100.0% new, bottom 100.0% new, rank autocorrelation "
            "-1.000 (2 date(s))") in text
    assert "lag 2: top quantile 0.0% new" in text and "+1.000 (1 date(s))" in text
    page = result._repr_html_()
    assert page.count("<tr>") == 3 and "top_turnover" in page and ">100.00%<" in page
    assert "+100.00%" not in page  # a share of names is not a gain: no sign
    assert repr(result).startswith("<TurnoverResult quantiles=5 lag=1")
    assert result.to_frame().equals(result.table)


@pytest.mark.parametrize(
    ("call", "field", "message"),
    [
        (lambda s: factor_turnover(s.iloc[0]), "scores", "needs scores over time"),
        (lambda s: factor_turnover(s, quantiles=1), "quantiles", "at least 2"),
        (lambda s: factor_turnover(s, periods=()), "periods", "non-empty"),
        (lambda s: factor_turnover(s, periods=(0,)), "periods", "whole number"),
        (lambda s: factor_turnover(s, periods=(3,)), "periods", "more than the 3 date"),
        (lambda s: factor_turnover(s.iloc[::-1], periods=(1,)), "scores", "not in ascending order"),
    ],
)
def test_bad_input_says_what_and_how(call, field: str, message: str) -> None:  # type: ignore[no-untyped-def]
    scores = panel([[1.0, 2, 3, 4, 5, 6]] * 3)
    with pytest.raises(EvaluationError, match=message) as info:
        call(scores)
    assert info.value.field == field and info.value.hint
