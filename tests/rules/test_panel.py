"""Screening a (date, ticker) panel: each date scored as a screen of its rows alone."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import thesis_lib as tl
from thesis_lib import MissingDataError, PanelResult, RulePack, ScreenError, screen
from thesis_lib.frame import check_frame, check_panel
from thesis_lib.rules import score_frame, score_panel
from thesis_lib.testing import strategies as ts

DAYS = [dt.date(2026, 1, 2), dt.date(2026, 2, 2), dt.date(2026, 3, 2), dt.date(2026, 4, 1)]


# -- building panels ------------------------------------------------------------------------
def stack(frames: dict[object, pd.DataFrame]) -> pd.DataFrame:
    """Frames by date, stacked into a (date, ticker) panel in the order given."""
    parts = []
    for day, frame in frames.items():
        index = pd.MultiIndex.from_arrays(
            [[day] * len(frame), list(frame.index)], names=["date", "ticker"])
        parts.append(frame.set_axis(index, axis=0))
    return pd.concat(parts)


@st.composite
def panels(draw: st.DrawFn) -> dict[pd.Timestamp, pd.DataFrame]:
    """Cross-sections by date (dates in a random order): rows drawn from a pool of
    companies (so a ticker comes back on several dates), some copied under a new ticker
    (ties), in a random order, with missing values anywhere."""
    pool = draw(ts.screening_frames(allow_missing=True, market_columns=True, max_rows=7))
    days = draw(st.permutations(DAYS))[: draw(st.integers(1, len(DAYS)))]
    out: dict[pd.Timestamp, pd.DataFrame] = {}
    for day in days:
        if len(pool):
            rows = draw(st.lists(st.integers(0, len(pool) - 1), min_size=1, unique=True))
            frame = pool.iloc[rows]
            copies = draw(st.lists(st.integers(0, len(frame) - 1), max_size=2, unique=True))
            if copies:
                twins = frame.iloc[copies]
                twins = twins.set_axis(pd.Index([f"{t}.TWIN" for t in twins.index],
                                                dtype="string", name="ticker"), axis=0)
                frame = pd.concat([frame, twins])
        else:
            frame = pool
        out[pd.Timestamp(day)] = frame
    return out


def alone(frame: pd.DataFrame, pack: RulePack) -> tl.ScreenResult | Exception:
    try:
        return score_frame(check_frame(frame), pack)
    except MissingDataError as error:
        return error


# -- the property: each date as a screen of its rows alone -----------------------------------
@settings(max_examples=80)
@given(frames=panels(), pack=ts.rule_packs(max_rules=5, max_expectations=0),
       as_dates=st.booleans())
def test_each_date_scores_as_a_screen_of_its_rows_alone(
    frames: dict[pd.Timestamp, pd.DataFrame], pack: RulePack, as_dates: bool,
) -> None:
    panel = stack({(day.date() if as_dates else day): f for day, f in frames.items()})
    expected = {day: alone(frame, pack) for day, frame in sorted(frames.items())}
    failures = [(day, e) for day, e in expected.items() if isinstance(e, Exception)]
    event(f"{len(frames)} date(s)")
    if failures:
        event("a rule with the error policy met missing data")
        with pytest.raises(MissingDataError) as caught:
            screen(panel, pack)
        day = failures[0][0]
        assert f"on {day:%Y-%m-%d}" in str(caught.value)
        assert str(caught.value.problem.message) == str(failures[0][1].problem.message)
        return
    result = screen(panel, pack)
    assert isinstance(result, PanelResult)
    assert list(result.dates) == sorted(frames)
    scores = result.scores
    table = result.score_table()
    everything = result.score_table(passed_only=False)
    ranks = result.rank_table()
    for day, ref in expected.items():
        assert isinstance(ref, tl.ScreenResult)
        one = result.at(day)
        got, want = one.scores, ref.scores
        assert list(got.index) == list(want.index)
        np.testing.assert_allclose(got["score"].to_numpy(), want["score"].to_numpy(),
                                   rtol=1e-12, atol=1e-12)
        assert got["rank"].equals(want["rank"])
        assert got["passed"].equals(want["passed"])
        assert got["excluded_by"].equals(want["excluded_by"])
        np.testing.assert_array_equal(one.status, ref.status)
        np.testing.assert_array_equal(one.contribution_matrix, ref.contribution_matrix)
        np.testing.assert_array_equal(one.excluded_mask, ref.excluded_mask)
        np.testing.assert_array_equal(one.value_matrix, ref.value_matrix)
        assert one.absent == ref.absent
        # The panel's own tables agree with the date's screen.
        on_day = scores.loc[day]
        assert list(on_day.index) == list(want.index)
        assert on_day["rank"].equals(want["rank"].rename_axis("ticker"))
        np.testing.assert_array_equal(on_day["score"].to_numpy(), got["score"].to_numpy())
        ranked = want[want["passed"]]
        if ranked["rank"].duplicated().any():
            event("tied ranks")
        if len(ranked) < len(want):
            event("excluded companies")
        row = table.loc[day]
        np.testing.assert_array_equal(row[ranked.index].to_numpy(), got.loc[ranked.index,
                                                                            "score"].to_numpy())
        assert row.drop(ranked.index).isna().all()
        assert everything.loc[day].notna().sum() == len(want)
        assert list(ranks.loc[day].dropna().index.sort_values()) == \
            sorted(ranked.index)
        values = result.values.loc[day]
        np.testing.assert_array_equal(values.loc[list(ref.frame.index)].to_numpy(),
                                      ref.value_matrix)
    excluded = result.excluded
    assert len(excluded) == sum(len(e.excluded) for e in expected.values()
                                if isinstance(e, tl.ScreenResult))
    total = result.contributions.sum(axis=1)
    np.testing.assert_allclose(total.loc[scores.index].to_numpy(),
                               scores["score"].to_numpy(), rtol=1e-9, atol=1e-9)


# -- cross-sectional functions see only their date --------------------------------------------
def rank_pack() -> RulePack:
    return RulePack(
        id="cross", version="1.0.0", description="cross-sectional", chain="ai-compute",
        rules=[
            {"id": "listed", "kind": "gate", "expression": "listed", "why": "buyable"},
            {"id": "ranked", "kind": "score", "expression": "pct_rank(revenue_usd)",
             "weight": 1.0, "why": "bigger"},
            {"id": "z", "kind": "score", "expression": "zscore(revenue_usd)",
             "weight": 1.0, "why": "bigger"},
        ],
    )


def small_frame(revenue: list[float], tickers: list[str]) -> pd.DataFrame:
    frame = tl.load_universe().to_frame().iloc[: len(revenue)].copy()
    frame["revenue_usd"] = revenue
    frame["listed"] = True
    return frame.set_axis(pd.Index(tickers, dtype="string", name="ticker"), axis=0)


def test_a_cross_sectional_function_sees_only_its_date() -> None:
    panel = stack({
        pd.Timestamp("2026-01-02"): small_frame([1.0, 2.0, 3.0], ["A", "B", "C"]),
        pd.Timestamp("2026-02-02"): small_frame([300.0, 100.0, 200.0], ["A", "B", "C"]),
    })
    result = screen(panel, rank_pack())
    first = result.values.loc[pd.Timestamp("2026-01-02")]
    second = result.values.loc[pd.Timestamp("2026-02-02")]
    # On its own date, C is the largest of three: the rows of the other date take no part.
    assert first.loc["C", "ranked"] == second.loc["A", "ranked"] == 1.0
    assert first.loc["A", "ranked"] == second.loc["B", "ranked"]
    z = np.sqrt(1.5)  # the population z-scores of three evenly spaced values
    np.testing.assert_allclose(first["z"].to_numpy(), [-z, 0.0, z])
    np.testing.assert_allclose(second["z"].to_numpy(), [z, -z, 0.0])
    assert result.scores.loc[(pd.Timestamp("2026-01-02"), "C"), "rank"] == 1
    assert result.scores.loc[(pd.Timestamp("2026-02-02"), "A"), "rank"] == 1


def test_panel_tables_and_display() -> None:
    frames = {pd.Timestamp(DAYS[0]): small_frame([1.0, 2.0, 2.0], ["A", "B", "C"]),
              pd.Timestamp(DAYS[1]): small_frame([5.0, 4.0], ["A", "D"])}
    frames[pd.Timestamp(DAYS[1])]["listed"] = [True, False]
    panel = stack(frames)
    result = screen(panel, rank_pack())
    assert repr(result) == ("<PanelResult pack='cross' dates=2 rows=5 ranked=4 "
                            "excluded=1>")
    scores = result.scores
    assert list(scores.columns) == ["score", "rank", "passed", "excluded_by"]
    assert scores.index.names == ["date", "ticker"]
    assert str(scores["rank"].dtype) == "Int64"
    # B and C tie: competition ranking, ties by ticker.
    assert list(scores.loc[pd.Timestamp(DAYS[0])].index) == ["B", "C", "A"]
    assert list(scores.loc[pd.Timestamp(DAYS[0]), "rank"]) == [1, 1, 3]
    assert scores.loc[(pd.Timestamp(DAYS[1]), "D"), "excluded_by"] == "listed"
    assert pd.isna(scores.loc[(pd.Timestamp(DAYS[1]), "D"), "rank"])
    excluded = result.excluded
    assert list(excluded.columns) == ["date", "ticker", "name", "rule", "reason", "why"]
    assert list(excluded["ticker"]) == ["D"] and excluded["date"].iloc[0] == pd.Timestamp(DAYS[1])
    assert result.dates.equals(pd.DatetimeIndex([DAYS[0], DAYS[1]], name="date"))
    assert result.dates.dtype == "datetime64[ns]"
    table = result.score_table()
    assert list(table.columns) == ["A", "B", "C", "D"]
    assert np.isnan(table.loc[pd.Timestamp(DAYS[1]), "D"])
    assert np.isnan(table.loc[pd.Timestamp(DAYS[1]), "B"])
    assert not np.isnan(result.score_table(passed_only=False).loc[pd.Timestamp(DAYS[1]), "D"])
    ranks = result.rank_table()
    assert str(ranks["A"].dtype) == "Int64"
    assert list(ranks.loc[pd.Timestamp(DAYS[0])]) == [3, 1, 1, pd.NA]
    top = result.top(1)
    assert list(top.index) == [(pd.Timestamp(DAYS[0]), "B"), (pd.Timestamp(DAYS[1]), "A")]
    assert {"name", "score", "rank"} <= set(top.columns)
    assert len(result.top(0)) == 0
    full = result.to_frame()
    assert list(full.index) == list(scores.index)
    assert list(full.columns[-2:]) == ["ranked", "z"]
    assert result.at("2026-01-02") is result.at(dt.date(2026, 1, 2))
    assert result.at(DAYS[0]).scores.equals(scores.loc[pd.Timestamp(DAYS[0])])


def test_panel_result_from_arrays_checks_their_shapes() -> None:
    panel = check_panel(stack({pd.Timestamp(DAYS[0]): small_frame([1.0, 2.0], ["A", "B"])}))
    pack = rank_pack()
    made = score_panel(panel, pack)
    again = PanelResult(frame=panel, pack=pack, contribution_matrix=made.contribution_matrix,
                        status=made.status, excluded_mask=made.excluded_mask)
    assert again.scores.equals(made.scores)
    with pytest.raises(ScreenError, match="status is int64"):
        PanelResult(frame=panel, pack=pack, contribution_matrix=made.contribution_matrix,
                    status=made.status.astype(np.int64), excluded_mask=made.excluded_mask)
    with pytest.raises(ScreenError, match="contribution_matrix"):
        PanelResult(frame=panel, pack=pack, contribution_matrix=np.zeros((3, 2)),
                    status=made.status, excluded_mask=made.excluded_mask)
    with pytest.raises(ScreenError, match="not grouped by date"):
        score_panel(panel.iloc[::-1].set_axis(pd.MultiIndex.from_arrays(
            [pd.DatetimeIndex([DAYS[1], DAYS[0]]), ["A", "B"]], names=["date", "ticker"])),
            pack)
    with pytest.raises(ScreenError, match="no cross-section on 2026-05-05"):
        made.at("2026-05-05")
    with pytest.raises(ScreenError, match="is not a date"):
        made.at(42)  # type: ignore[arg-type]


# -- panels that are not right -----------------------------------------------------------------
def two_days() -> pd.DataFrame:
    return stack({pd.Timestamp(DAYS[0]): small_frame([1.0, 2.0], ["A", "B"]),
                  pd.Timestamp(DAYS[1]): small_frame([3.0, 4.0], ["A", "B"])})


def relabel(panel: pd.DataFrame, dates: list[object], tickers: list[object] | None = None,
            names: list[str | None] | None = None) -> pd.DataFrame:
    index = pd.MultiIndex.from_arrays(
        [pd.Index(dates, dtype=object) if not isinstance(dates, pd.Index) else dates,
         tickers if tickers is not None else list(panel.index.get_level_values(1))],
        names=names or ["date", "ticker"])
    return panel.set_axis(index, axis=0)


def test_dates_normalise_and_rows_group_by_date() -> None:
    panel = two_days()
    shuffled = panel.iloc[[3, 0, 2, 1]]
    as_objects = relabel(shuffled, [d.date() for d in shuffled.index.get_level_values(0)])
    checked = check_panel(as_objects)
    assert checked.index.get_level_values(0).dtype == "datetime64[ns]"
    assert list(checked.index) == [(pd.Timestamp(DAYS[0]), "A"), (pd.Timestamp(DAYS[0]), "B"),
                                   (pd.Timestamp(DAYS[1]), "B"), (pd.Timestamp(DAYS[1]), "A")]
    assert screen(as_objects, rank_pack()).scores.equals(screen(panel, rank_pack()).scores)
    seconds = relabel(panel, list(panel.index.get_level_values(0).as_unit("s")))
    assert check_panel(seconds).index.get_level_values(0).dtype == "datetime64[ns]"


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: relabel(p, list(p.index.get_level_values(0)), ["A", "A", "B", "B"]),
     "panel: index: duplicate tickers in the index: A on 2026-01-02, B on 2026-02-02"),
    (lambda p: relabel(p, [DAYS[0], None, DAYS[1], DAYS[1]]), "1 row(s) have a missing date"),
    (lambda p: relabel(p, ["2026-01-02"] * 2 + ["2026-02-02"] * 2),
     "the date level holds '2026-01-02' (str), not a date"),
    (lambda p: relabel(p, [1, 1, 2, 2]), "the date level holds 1 (int), not a date"),
    (lambda p: relabel(p, list(pd.DatetimeIndex(["2026-01-02 10:00"] * 2 + [DAYS[1]] * 2))),
     "a date has a time of day"),
    (lambda p: p.swaplevel(), "not ('ticker', 'date')"),
    (lambda p: relabel(p, list(p.index.get_level_values(0)), names=["day", "ticker"]),
     "not ('day', 'ticker')"),
    (lambda p: p.iloc[:0], "the panel has no rows"),
    (lambda p: p.assign(exposure_hbm=[0.5, 2.0, 0.5, 0.5]),
     "panel: exposure_hbm: 1 value(s) outside [0, 1], e.g. for B on 2026-01-02"),
    (lambda p: p.reset_index(), "looks like a panel in long form"),
    (lambda p: p.reset_index(level="date"), "looks like a panel in long form"),
])
def test_bad_panels_are_screen_errors(make, message: str) -> None:
    with pytest.raises(ScreenError) as caught:
        screen(make(two_days()), rank_pack())
    assert message in str(caught.value)
    assert caught.value.hint


def test_three_levels_are_not_a_panel() -> None:
    panel = two_days().set_index(pd.Index(["x"] * 4, name="extra"), append=True)
    with pytest.raises(ScreenError, match="a panel is indexed by levels"):
        screen(panel, rank_pack())


def test_a_dtype_problem_is_reported_once_not_per_date() -> None:
    panel = two_days().assign(exposure_hbm="a lot", date="2026-01-02", ticker="A")
    with pytest.raises(ScreenError) as caught:
        screen(panel, rank_pack())
    assert len(caught.value.problems) == 1
    assert "not a number" in str(caught.value)


def test_market_data_is_not_attached_to_a_panel() -> None:
    with pytest.raises(ScreenError, match="market data cannot be attached to a panel"):
        screen(two_days(), rank_pack(), market=object())  # type: ignore[arg-type]


def test_error_policy_names_the_date() -> None:
    pack = RulePack(id="strict", version="1.0.0", description="", chain="ai-compute",
                    rules=[{"id": "rev", "kind": "score", "expression": "revenue_usd",
                            "weight": 1.0, "missing": "error", "why": "size"}])
    panel = two_days()
    panel.loc[(pd.Timestamp(DAYS[1]), "B"), "revenue_usd"] = np.nan
    with pytest.raises(MissingDataError) as caught:
        screen(panel, pack)
    assert caught.value.item == "rule 'rev' on 2026-02-02"
    assert "for B" in str(caught.value)


def test_a_panel_result_renders_each_dates_top_in_html() -> None:
    frame = tl.load_universe().to_frame()
    panel = pd.concat({pd.Timestamp(DAYS[0]): frame, pd.Timestamp(DAYS[1]): frame},
                      names=["date", "ticker"])
    result = screen(panel, "one-layer-down")
    page = result._repr_html_()
    assert "2 dates (2026-01-02 to 2026-02-02)" in page
    assert page.index("<td>2026-02-02</td>") < page.index("<td>2026-01-02</td>")
    best = result.at(DAYS[1]).scores.index[0]
    assert f"<td>{best}</td>" in page
    assert page.count("<tr>") == 1 + 10  # the header, then five names of each date


def test_tz_aware_dates_are_read_in_utc() -> None:
    panel = two_days()
    utc = relabel(panel, list(panel.index.get_level_values(0).tz_localize("UTC")))
    assert check_panel(utc).index.equals(check_panel(panel).index)
    local = relabel(panel, list(panel.index.get_level_values(0).tz_localize("Asia/Seoul")))
    with pytest.raises(ScreenError, match="a date has a time of day"):
        check_panel(local)
