"""basket_performance on a PanelResult: rebalanced at each panel date, no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import thesis_lib as tl
from thesis_lib import EvaluationError, MissingFxError, PanelResult, RulePack
from thesis_lib.evaluate import BasketPerformance, RebalancedPerformance, basket_performance

TICKERS = ["T00", "T01", "T02", "T03", "T04", "T05"]
SESSIONS = pd.bdate_range("2026-01-05", "2026-03-31", name="date")


def pack() -> RulePack:
    return RulePack(
        id="size", version="1.0.0", description="size", chain="ai-compute",
        rules=[{"id": "listed", "kind": "gate", "expression": "listed", "why": "buyable"},
               {"id": "size", "kind": "score", "expression": "pct_rank(revenue_usd)",
                "weight": 1.0, "why": "bigger"}],
    )


def panel_of(scores: dict[str, list[float]]) -> PanelResult:
    """A screened panel: on each date (ISO key), TICKERS ranked by the given values
    (higher is better)."""
    base = tl.load_universe().to_frame().iloc[: len(TICKERS)]
    parts = []
    for day, values in scores.items():
        frame = base.assign(revenue_usd=values, listed=True, currency="USD")
        index = pd.MultiIndex.from_arrays([[pd.Timestamp(day)] * len(TICKERS), TICKERS],
                                          names=["date", "ticker"])
        parts.append(frame.set_axis(index, axis=0))
    result = tl.screen(pd.concat(parts), pack())
    assert isinstance(result, PanelResult)
    return result


def random_prices(seed: int = 3) -> pd.DataFrame:
    """Random walks for TICKERS and a benchmark B on weekdays, US listings in dollars."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0005, 0.02, size=(len(SESSIONS), len(TICKERS) + 1))
    closes = 100 * np.exp(np.cumsum(steps, axis=0))
    return pd.DataFrame(closes, index=SESSIONS, columns=[*TICKERS, "B"])


def test_scores_dated_d_do_not_earn_the_returns_before_d() -> None:
    # T00 rises 50% in January, then stays flat; everything else is flat. The scores of
    # 02-02 (once T00 has risen) pick T00; those of 01-05 pick T01.
    prices = pd.DataFrame(100.0, index=SESSIONS, columns=[*TICKERS, "B"])
    january = SESSIONS < "2026-02-02"
    prices.loc[january, "T00"] = np.linspace(100, 150, int(january.sum()))
    prices.loc[~january, "T00"] = 150.0
    panel = panel_of({"2026-01-05": [5, 6, 4, 3, 2, 1], "2026-02-02": [6, 5, 4, 3, 2, 1]})
    perf = basket_performance(panel, prices, since="2026-01-05", top=1, benchmark="B")
    assert isinstance(perf, RebalancedPerformance)
    assert perf.periods["tickers"].tolist() == ["T01", "T00"]
    assert perf.values["basket"].tolist() == pytest.approx([1.0] * len(perf.values))
    assert perf.summary.at["basket", "cumulative_return"] == pytest.approx(0.0)
    # The January rise would have been earned only by looking ahead:
    ahead = basket_performance(panel.at("2026-02-02"), prices, since="2026-01-05", top=1,
                               benchmark="B")
    assert ahead.summary.at["basket", "cumulative_return"] == pytest.approx(0.5)
    # T00 is bought at 150, the first close on or after the date its score was known.
    second = perf.holdings[perf.holdings["period"] == 2]
    assert second["start_price"].tolist() == [150.0]


def test_each_period_holds_exactly_the_top_of_its_date() -> None:
    rng = np.random.default_rng(11)
    days = ["2026-01-05", "2026-01-20", "2026-02-10", "2026-03-02"]
    panel = panel_of({d: list(rng.permutation(len(TICKERS)) + 1.0) for d in days})
    perf = basket_performance(panel, random_prices(), since="2026-01-05", top=3,
                              weighting="score", benchmark="B")
    assert perf.periods["panel_date"].tolist() == [pd.Timestamp(d) for d in days]
    for k, day in enumerate(days, start=1):
        want = panel.at(day).scores.head(3)
        held = perf.holdings[perf.holdings["period"] == k].set_index("ticker")
        assert list(held.index) == list(want.index)
        assert held["score"].tolist() == pytest.approx(want["score"].tolist())
        assert held["weight"].tolist() == pytest.approx(
            (want["score"] / want["score"].sum()).tolist())
        # the period is the single-basket run of that date's screen
        run = perf.period_results[k - 1]
        assert isinstance(run, BasketPerformance)
        pd.testing.assert_frame_equal(run.holdings.reset_index(),
                                      held.reset_index()[run.holdings.reset_index().columns])


def test_a_one_date_panel_is_the_plain_basket_on_its_numbers() -> None:
    prices = pd.read_csv("examples/data/prices.csv")
    day = "2026-05-07"
    panel = tl.screen(tl.load_universe().panel([day]), tl.load_pack())
    assert isinstance(panel, PanelResult)
    perf = basket_performance(panel, prices, since=day, top=5)
    plain = basket_performance(panel.at(day), prices, since=day, top=5)
    pd.testing.assert_frame_equal(perf.values, plain.values)
    for column in ("cumulative_return", "volatility", "max_drawdown", "excess_return",
                   "hit_rate", "t_stat", "p_value"):
        assert perf.summary[column].tolist() == pytest.approx(
            plain.summary[column].tolist(), nan_ok=True), column
    assert (perf.start, perf.end) == (plain.start, plain.end)
    assert perf.n_periods == 1 and perf.currency == plain.currency == "USD"
    assert perf.periods.at[1, "basket_return"] == pytest.approx(
        plain.summary.at["basket", "cumulative_return"])
    assert list(perf.skipped["ticker"]) == list(plain.skipped.index)


@pytest.fixture(scope="module")
def monthly() -> RebalancedPerformance:
    prices = pd.read_csv("examples/data/prices.csv")
    dates = pd.date_range("2026-01-31", "2026-10-31", freq="ME")
    panel = tl.screen(tl.load_universe().panel(dates), tl.load_pack())
    assert isinstance(panel, PanelResult)
    return basket_performance(panel, prices, since="2026-02-15", until="2026-10-15", top=3)


def test_chained_returns_are_the_product_of_the_period_returns(
        monthly: RebalancedPerformance) -> None:
    perf = monthly
    # since 02-15 holds the scores of 01-31; 02-28 .. 09-30 rebalance; 10-31 is after until
    assert perf.periods["panel_date"].iloc[0] == pd.Timestamp("2026-01-31")
    assert perf.periods["panel_date"].iloc[-1] == pd.Timestamp("2026-09-30")
    assert perf.n_periods == 9
    assert perf.end <= pd.Timestamp("2026-10-15")
    for key in ("basket", "benchmark", "universe"):
        product = float((1 + perf.periods[f"{key}_return"]).prod() - 1)
        assert perf.summary.at[key, "cumulative_return"] == pytest.approx(product), key
        # the path reaches each period's chained end value on the period's last session
        ends = (1 + perf.periods[f"{key}_return"]).cumprod()
        assert perf.values.loc[perf.periods["end"], key].tolist() == pytest.approx(
            ends.tolist())
    # one session is one row: a period ends on the session the next one starts
    assert perf.values.index.is_unique and perf.values.index.is_monotonic_increasing
    assert perf.periods["end"].iloc[:-1].tolist() == perf.periods["start"].iloc[1:].tolist()
    # contributions add up to each period's basket return
    by_period = perf.holdings.groupby("period")["contribution"].sum()
    assert by_period.tolist() == pytest.approx(perf.periods["basket_return"].tolist())
    # annualised over the chained sessions
    total = perf.summary.at["basket", "cumulative_return"]
    assert perf.summary.at["basket", "annualised_return"] == pytest.approx(
        (1 + total) ** (252 / perf.n_sessions) - 1)


def test_turnover_is_half_the_absolute_weight_changes(monthly: RebalancedPerformance) -> None:
    perf = monthly
    assert np.isnan(perf.periods["turnover"].iloc[0])
    weights = {k: g.set_index("ticker")["weight"] for k, g in perf.holdings.groupby("period")}
    for k in range(2, perf.n_periods + 1):
        both = weights[k].index.union(weights[k - 1].index)
        change = (weights[k].reindex(both, fill_value=0)
                  - weights[k - 1].reindex(both, fill_value=0)).abs().sum() / 2
        assert perf.periods.at[k, "turnover"] == pytest.approx(change)


def test_the_daily_excess_test_is_the_single_basket_one(
        monthly: RebalancedPerformance) -> None:
    from scipy import stats

    daily = monthly.values.pct_change().iloc[1:]
    test = stats.ttest_1samp(daily["basket"] - daily["benchmark"], 0.0)
    assert monthly.summary.at["benchmark", "t_stat"] == pytest.approx(test.statistic)
    assert monthly.summary.at["benchmark", "p_value"] == pytest.approx(test.pvalue)
    assert monthly.test == monthly.period_results[0].test


def test_a_weekend_panel_date_buys_at_the_next_session() -> None:
    prices = random_prices()
    # 2026-01-31 is a Saturday: that basket is bought at Monday 02-02's close.
    panel = panel_of({"2026-01-05": [6, 5, 4, 3, 2, 1], "2026-01-31": [1, 2, 3, 4, 5, 6]})
    perf = basket_performance(panel, prices, since="2026-01-05", top=2, benchmark="B")
    assert perf.periods["start"].tolist() == [pd.Timestamp("2026-01-05"),
                                              pd.Timestamp("2026-02-02")]
    assert perf.periods.at[1, "end"] == pd.Timestamp("2026-02-02")
    assert perf.periods.at[2, "turnover"] == pytest.approx(1.0)
    # period 2 holds T05, T04 from 02-02 to the last price
    t05 = prices["T05"]
    assert perf.holdings.loc[perf.holdings["ticker"] == "T05", "return"].item() == \
        pytest.approx(t05.iloc[-1] / t05.loc["2026-02-02"] - 1)


def test_the_old_basket_is_held_until_the_session_the_new_one_is_bought() -> None:
    # A Saturday close of K (in no basket) makes 01-31 a session of the price table, but
    # the new basket (T05) and the benchmark first trade on Monday 02-02: T01 is held to
    # Monday's close and earns its Monday rise.
    prices = pd.DataFrame(100.0, index=SESSIONS, columns=[*TICKERS, "B"])
    prices.loc["2026-02-02":, "T01"] = 110.0
    prices.loc[pd.Timestamp("2026-01-31"), "K"] = 5.0
    prices = prices.sort_index()
    panel = panel_of({"2026-01-05": [5, 6, 4, 3, 2, 1], "2026-01-31": [1, 2, 3, 4, 5, 6]})
    perf = basket_performance(panel, prices, since="2026-01-05", top=1, benchmark="B",
                              universe=["T05"], currency="local")
    assert perf.periods["start"].tolist() == [pd.Timestamp("2026-01-05"),
                                              pd.Timestamp("2026-02-02")]
    assert perf.periods.at[1, "end"] == pd.Timestamp("2026-02-02")
    assert perf.periods.at[1, "basket_return"] == pytest.approx(0.10)
    assert perf.summary.at["basket", "cumulative_return"] == pytest.approx(0.10)


def test_panel_dates_after_until_or_past_the_prices_are_left_out() -> None:
    prices = random_prices()
    scores = {"2026-01-05": [6, 5, 4, 3, 2, 1], "2026-02-02": [1, 2, 3, 4, 5, 6],
              "2026-03-02": [6, 5, 4, 3, 2, 1], "2026-06-01": [1, 2, 3, 4, 5, 6]}
    panel = panel_of(scores)
    perf = basket_performance(panel, prices, since="2026-01-10", until="2026-03-02",
                              top=2, benchmark="B")
    assert perf.periods["panel_date"].tolist() == [pd.Timestamp("2026-01-05"),
                                                   pd.Timestamp("2026-02-02")]
    assert perf.end == pd.Timestamp("2026-03-02")
    to_the_end = basket_performance(panel, prices, since="2026-01-10", top=2, benchmark="B")
    assert to_the_end.n_periods == 3 and to_the_end.end == SESSIONS[-1]


@pytest.mark.parametrize(("since", "until", "field", "message"), [
    ("2026-01-02", None, "since", "no panel date on or before since 2026-01-02"),
    ("2026-02-10", "2026-02-01", "until", "'until' is not after 'since'"),
    ("2026-02-10", "2026-02-10", "until", "'until' is not after 'since'"),
    ("not a date", None, "since", "is not a date"),
])
def test_bad_dates_are_typed_errors(since: str, until: str | None, field: str,
                                    message: str) -> None:
    panel = panel_of({"2026-01-05": [6, 5, 4, 3, 2, 1], "2026-02-02": [1, 2, 3, 4, 5, 6]})
    with pytest.raises(EvaluationError, match=message) as info:
        basket_performance(panel, random_prices(), since=since, until=until, benchmark="B")
    assert info.value.field == field
    if field == "since" and "panel" in message:
        assert "2026-01-05" in str(info.value) and info.value.hint


def test_a_period_that_fails_names_its_panel_date() -> None:
    panel = panel_of({"2026-01-05": [6, 5, 4, 3, 2, 1], "2026-02-02": [1, 2, 3, 4, 5, 6]})
    prices = random_prices()
    with pytest.raises(EvaluationError, match="benchmark 'ZZZ'") as info:
        basket_performance(panel, prices, since="2026-01-05", benchmark="ZZZ")
    assert "the basket of panel date" in str(info.value)
    # every name but the benchmark stops trading in January
    prices.loc["2026-01-20":, TICKERS] = np.nan
    with pytest.raises(EvaluationError, match="no basket name has prices") as info:
        basket_performance(panel, prices, since="2026-01-05", top=2, benchmark="B")
    assert "period 2: the basket of panel date 2026-02-02" in str(info.value)


def test_unpriced_names_are_skipped_per_period_and_fx_is_checked() -> None:
    prices = random_prices().drop(columns=["T00"])
    panel = panel_of({"2026-01-05": [6, 5, 4, 3, 2, 1], "2026-02-02": [6, 1, 2, 3, 4, 5]})
    perf = basket_performance(panel, prices, since="2026-01-05", top=2, benchmark="B")
    assert perf.skipped[["period", "ticker", "reason"]].to_dict("records") == [
        {"period": 1, "ticker": "T00", "reason": "no prices"},
        {"period": 2, "ticker": "T00", "reason": "no prices"}]
    assert perf.periods["tickers"].tolist() == ["T01, T02", "T05, T04"]
    assert "skipped (no prices): T00 (2 period(s))" in str(perf)
    with pytest.raises(EvaluationError, match="no usable prices for T00"):
        basket_performance(panel, prices, since="2026-01-05", top=2, benchmark="B",
                           unpriced="error")
    seoul = prices.rename(columns={"B": "B.KS"})
    with pytest.raises(MissingFxError):
        basket_performance(panel, seoul, since="2026-01-05", top=2, benchmark="B.KS")
    local = basket_performance(panel, seoul, since="2026-01-05", top=2, benchmark="B.KS",
                               currency="local")
    assert local.currency == "local" and "local-currency returns" in str(local)


def test_the_report_and_views(monthly: RebalancedPerformance) -> None:
    text = str(monthly)
    first = text.splitlines()[0]
    assert first.startswith("since 2026-02-15: ")
    assert "9 period(s) rebalanced at the panel's dates" in first
    assert "US-dollar returns (FX:" in first
    assert "a year)" in text and "turnover" in text and "test: one-sample t-test" in text
    assert repr(monthly).startswith("<RebalancedPerformance periods=9 since=2026-02-15")
    html = monthly._repr_html_()
    assert "holdings by period" in html and "periods" in html
    pd.testing.assert_frame_equal(monthly.to_frame(), monthly.summary)
    assert list(monthly.summary.index) == ["basket", "benchmark", "universe"]
    assert list(monthly.holdings.columns[:4]) == ["period", "panel_date", "start", "ticker"]
    assert set(monthly.summary["currency"]) == {"USD"}
