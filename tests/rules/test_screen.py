from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import thesis_lib
from thesis_lib import MissingDataError, RulePack, ScreenError, load_pack, load_universe, screen
from thesis_lib.rules import Rule

HYPERSCALERS = ["AMZN", "GOOGL", "MSFT", "META", "ORCL"]


@pytest.fixture(scope="module")
def result() -> thesis_lib.ScreenResult:
    return screen(load_universe(), load_pack("one-layer-down"))


def test_named_thesis_names_rank_above_nvidia_and_hyperscalers(
    result: thesis_lib.ScreenResult,
) -> None:
    rank = result.scores["rank"]
    for ticker in ["000660.KS", "MU", "TSM", "AVGO", "MRVL"]:
        assert rank[ticker] < rank["NVDA"], ticker
        for hyperscaler in HYPERSCALERS:
            assert rank[ticker] < rank[hyperscaler], (ticker, hyperscaler)


def test_pure_plays_rank_above_nvidia_and_every_hyperscaler(
    result: thesis_lib.ScreenResult,
) -> None:
    frame = result.frame
    favoured = ["exposure_hbm", "exposure_packaging", "exposure_custom_asic", "exposure_grid"]
    pure = frame.index[(frame[favoured].max(axis=1) >= 0.5) & frame["listed"]]
    assert len(pure) >= 4
    rank = result.scores["rank"]
    worst_priced = min(rank[t] for t in ["NVDA", *HYPERSCALERS])
    for ticker in pure:
        assert rank[ticker] < worst_priced, ticker


def test_totals_equal_sum_of_contributions(result: thesis_lib.ScreenResult) -> None:
    scores = result.scores
    contrib = result.contributions.loc[scores.index]
    np.testing.assert_allclose(contrib.sum(axis=1).to_numpy(), scores["score"].to_numpy())
    assert list(contrib.columns) == [r.id for r in result.pack.rules]


def test_private_companies_excluded_and_reported(result: thesis_lib.ScreenResult) -> None:
    scores = result.scores
    private = [c.ticker for c in load_universe().companies if not c.listed]
    assert set(private) == {"ANTHROPIC", "OPENAI", "XAI", "MISTRAL", "COHERE"}
    assert not scores.loc[private, "passed"].any()
    assert scores.loc[private, "rank"].isna().all()
    excluded = result.excluded
    assert set(excluded["ticker"]) == set(private)
    assert set(excluded["rule"]) == {"listed"}
    # ranked companies come first, ranks 1..k without gaps at the top
    ranked = scores[scores["passed"]]
    assert ranked["rank"].iloc[0] == 1
    assert scores.index[-len(private):].isin(private).all()


def test_explain_reads_well(result: thesis_lib.ScreenResult) -> None:
    hynix = result.explain("000660.KS")
    assert hynix.rank is not None
    top_rule = hynix.table.iloc[0]
    assert top_rule["rule"] == "materiality"
    assert hynix.table["contribution"].sum() == pytest.approx(hynix.score)
    text = str(hynix)
    assert "000660.KS" in text and "intensity" in text and "HBM" in text
    assert "valuation skipped (no column pe_forward)" in text  # no market data offline
    nvidia = result.explain("NVDA")
    assert nvidia.score < hynix.score
    assert nvidia.rank is not None and nvidia.rank > hynix.rank
    row = nvidia.table.set_index("rule").loc["consensus_layer"]
    assert row["contribution"] < 0
    assert "nvidia-is-priced" in str(nvidia)


def test_explain_unknown_ticker_suggests(result: thesis_lib.ScreenResult) -> None:
    with pytest.raises(ScreenError, match="did you mean 'NVDA'"):
        result.explain("NVDIA")


def test_row_order_does_not_change_scores_or_ranks(result: thesis_lib.ScreenResult) -> None:
    frame = result.frame.sample(frac=1.0, random_state=7)
    shuffled = screen(frame, result.pack)
    pd.testing.assert_frame_equal(shuffled.scores, result.scores)


def test_one_evaluation_per_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    from thesis_lib.rules import expression as expr_mod

    calls: list[int] = []
    original = expr_mod.Expression.evaluate

    def counting(self, data, n, cache=None):  # type: ignore[no-untyped-def]
        calls.append(n)
        return original(self, data, n, cache)

    monkeypatch.setattr(expr_mod.Expression, "evaluate", counting)
    universe = load_universe()
    pack = load_pack()
    screen(universe, pack)
    assert calls == [len(universe.companies)] * len(pack.rules)


def _frame(values: list[float], column: str = "exposure_hbm") -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame(
        {"name": [f"c{i}" for i in range(n)], "listed": [True] * n, column: values},
        index=pd.Index([f"T{i}" for i in range(n)], dtype="string", name="ticker"),
    )


def _pack(missing: str, kind: str = "score", expression: str = "exposure_hbm * 10") -> RulePack:
    return RulePack(id="p", rules=(Rule(id="r", kind=kind, expression=expression, weight=2,
                                        missing=missing, why="test"),))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_missing_policies_on_non_finite_values(bad: float) -> None:
    frame = _frame([0.1, bad, 0.3], column="pe_forward")
    expr = "pe_forward * 10"
    zero = screen(frame, _pack("zero", expression=expr))
    assert zero.scores.loc["T1", "score"] == 0.0
    assert zero.scores.loc["T1", "passed"]
    skip = screen(frame, _pack("skip", expression=expr))
    assert skip.scores.loc["T1", "score"] == 0.0
    assert "skipped" in skip.explain("T1").table.loc[0, "status"]
    exclude = screen(frame, _pack("exclude", expression=expr))
    assert not exclude.scores.loc["T1", "passed"]
    assert exclude.excluded["reason"].str.contains("missing data").all()
    with pytest.raises(MissingDataError, match=r"rule 'r'.*T1"):
        screen(frame, _pack("error", expression=expr))
    for res in (zero, skip, exclude):
        assert res.scores["score"].notna().all()
        assert res.scores.loc["T0", "score"] == pytest.approx(2.0)


def test_missing_column_follows_policy() -> None:
    frame = _frame([0.1, 0.2])
    skip = screen(frame, _pack("skip", expression="pe_forward / 10"))
    assert (skip.scores["score"] == 0).all()
    assert "no column pe_forward" in skip.explain("T0").table.loc[0, "status"]
    with pytest.raises(MissingDataError, match="pe_forward not in the data"):
        screen(frame, _pack("error", expression="pe_forward / 10"))


def test_gate_with_missing_value() -> None:
    frame = _frame([0.1, np.nan, 0.0])
    skip = screen(frame, _pack("skip", kind="gate", expression="exposure_hbm > 0.05"))
    assert list(skip.scores.sort_index()["passed"]) == [True, True, False]
    zero = screen(frame, _pack("zero", kind="gate", expression="exposure_hbm > 0.05"))
    assert list(zero.scores.sort_index()["passed"]) == [True, False, False]


def test_penalty_subtracts() -> None:
    res = screen(_frame([0.5]), _pack("zero", kind="penalty"))
    assert res.scores.loc["T0", "score"] == pytest.approx(-10.0)


def test_ties_share_a_rank() -> None:
    res = screen(_frame([0.2, 0.2, 0.1]), _pack("zero"))
    assert list(res.scores["rank"]) == [1, 1, 3]


def test_infinite_exposure_is_rejected_as_bad_data() -> None:
    with pytest.raises(ScreenError, match=r"exposure_hbm: 1 value\(s\) outside \[0, 1\]"):
        screen(_frame([0.1, np.inf]), _pack("zero"))


def test_bad_frame_reports_every_problem() -> None:
    frame = _frame([0.1, 1.5])
    frame["exposure_grid"] = ["a", "b"]
    with pytest.raises(ScreenError) as info:
        screen(frame, _pack("zero"))
    fields = {p.field for p in info.value.problems}
    assert fields == {"exposure_hbm", "exposure_grid"}


def test_top_and_to_frame(result: thesis_lib.ScreenResult) -> None:
    top = result.top(5)
    assert len(top) == 5
    assert list(top["rank"]) == sorted(top["rank"])
    table = result.to_frame()
    assert {"name", "score", "rank", "passed", "intensity", "materiality"} <= set(table.columns)
    assert "<table" in result._repr_html_()


# -- explain names the figures behind each rule -----------------------------------------
def test_explain_names_the_exposures_links_and_claims_a_score_came_through() -> None:
    universe = load_universe()
    pack = RulePack(id="sources", chain="ai-compute", rules=[
        {"id": "hbm", "expression": 'ai_exposure("hbm")', "weight": 2, "why": "w"},
        {"id": "sells_to_gpus", "expression": 'customers_in("accelerators")', "why": "w"},
        {"id": "evidence", "expression": "evidence_support", "why": "w"},
        {"id": "size", "expression": "log(ai_revenue_usd)", "why": "w"},
    ])
    explanation = screen(universe, pack).explain("000660.KS")
    sources = explanation.sources
    assert sources is not None
    hbm = explanation.sources_of("hbm")
    assert hbm["kind"].tolist() == ["exposure"] and hbm["item"].tolist() == ["hbm"]
    assert "share 0.330 x AI 1.00, FY2025" in hbm["detail"].iloc[0]
    assert "https://" in hbm["source"].iloc[0]
    links = explanation.sources_of("sells_to_gpus")
    assert "000660.KS -> NVDA (hbm, 27% of supplier revenue)" in links["item"].tolist()
    claims = explanation.sources_of("evidence")
    assert claims["kind"].eq("claim").all() and len(claims) <= 5
    assert claims["item"].iloc[0] == "value-migrates-to-hbm"
    size = explanation.sources_of("size")
    assert size["kind"].tolist() == ["financials"] and "$68.30bn" in size["detail"].iloc[0]
    text = str(explanation)
    assert "via claim value-migrates-to-hbm" in text and "via link 000660.KS -> NVDA" in text


def test_explain_without_a_universe_has_no_sources() -> None:
    frame = load_universe().to_frame()
    explanation = screen(frame, load_pack("one-layer-down")).explain("MU")
    assert explanation.sources is None and explanation.sources_of("evidence").empty


def test_excluded_lists_every_gate_per_company_in_frame_order() -> None:
    frame = pd.DataFrame(
        {"name": pd.array(["A co", "B co", pd.NA], dtype="string"),
         "exposure_hbm": [0.9, np.nan, 0.1], "listed": [True, False, False]},
        index=pd.Index(["A", "B", "C"], dtype="string", name="ticker"))
    pack = RulePack(id="gates", rules=[
        {"id": "listed", "kind": "gate", "expression": "listed", "why": "tradable"},
        {"id": "hbm", "kind": "gate", "expression": "exposure_hbm > 0.5", "missing": "exclude",
         "why": "named layer"},
        {"id": "score", "expression": "exposure_hbm", "missing": "zero", "why": "s"},
    ])
    excluded = screen(frame, pack).excluded
    assert list(excluded.columns) == ["ticker", "name", "rule", "reason", "why"]
    assert (excluded.dtypes == "string").all()
    assert excluded[["ticker", "rule", "reason"]].values.tolist() == [
        ["B", "listed", "gate failed"],
        ["B", "hbm", "missing data (value missing or not finite)"],
        ["C", "listed", "gate failed"],
        ["C", "hbm", "gate failed"],
    ]
    assert excluded["name"].iloc[0] == "B co" and excluded["name"].isna().iloc[-1]
    assert excluded["why"].tolist() == ["tradable", "named layer"] * 2


def test_to_frame_rows_follow_the_ranking_and_carry_their_own_contributions(
    result: thesis_lib.ScreenResult,
) -> None:
    table = result.to_frame()
    scores = result.scores
    assert table.index.equals(scores.index)
    contributions = result.contributions.loc[scores.index]
    pd.testing.assert_frame_equal(table[list(contributions.columns)], contributions,
                                  check_names=False)
    assert table["name"].tolist() == result.frame.loc[scores.index, "name"].tolist()


def test_ties_break_by_ticker_whether_rows_come_sorted_or_not() -> None:
    rng = np.random.default_rng(3)
    tickers = [f"T{i:04d}" for i in range(400)]
    frame = pd.DataFrame(
        {"exposure_hbm": rng.integers(0, 4, 400) / 4, "listed": rng.random(400) > 0.1},
        index=pd.Index(tickers, dtype="string", name="ticker"))
    pack = RulePack(id="ties", rules=[
        {"id": "listed", "kind": "gate", "expression": "listed", "why": "w"},
        {"id": "hbm", "expression": "exposure_hbm", "why": "w"}])
    in_order = screen(frame, pack).scores
    shuffled = screen(frame.sample(frac=1.0, random_state=1), pack).scores
    pd.testing.assert_frame_equal(shuffled, in_order)
    top_tie = in_order[in_order["passed"] & (in_order["score"] == in_order["score"].iloc[0])]
    assert top_tie.index.is_monotonic_increasing and len(top_tie) > 50
