"""From a screen to a basket: who is in, why, with what weight, and what trades that makes.

:func:`build_basket` applies the rules in this order; the first rule a company fails is the
one :attr:`Basket.decisions` reports:

1. the pack's gates (``gate:<rule>``) and missing-data exclusions (``missing:<rule>``);
2. eligibility: ``eligibility:listed``, ``eligibility:min_market_cap_usd``,
   ``eligibility:min_adv_usd`` (the last two only when the frame has the column);
3. selection filters: ``selection:min_score``, ``selection:min_exposure``, and
   ``selection:tier`` (relevance below the lowest tier);
4. ``weighting:<method>``: a name the weighting cannot weigh (score-weighting needs a
   positive score, market-cap weighting a known market cap) is left out here, before the
   count, so the basket still fills;
5. the count. The eligible names are ordered pure plays first, then fallback names, each
   by the screen's rank (ties broken as the screen breaks them); their position in that
   order is the *selection rank*. Without a previous basket the ``top_n`` best are in
   (``selection:top_n``). With one, the buffer ``k`` applies: a member stays while its
   selection rank is within ``top_n + k`` (``buffer:kept``), a newcomer enters only
   within ``top_n - k`` (``buffer:entered``), and when that leaves fewer than ``top_n``
   names, the best-ranked other names within ``top_n`` fill the gap (``buffer:fill``,
   unless ``buffer_fill = false``); filling from within ``top_n`` always reaches
   ``top_n`` when enough names are eligible. Members are never evicted to make room, so
   while the buffer keeps members that new top names overtook, the basket holds more
   than ``top_n`` names (at most ``top_n + k``); it shrinks back as those members fall
   out of the buffer. Out: ``buffer:evicted`` (a member ranked beyond ``top_n + k``),
   ``buffer:not admitted`` (a newcomer ranked beyond ``top_n - k`` while the basket was
   full) and ``selection:top_n`` (not in the top ``top_n``).
6. weights by :func:`~thesis_lib.basket.weights.capped_weights`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from thesis_lib._format import pct
from thesis_lib._suggest import did_you_mean
from thesis_lib.basket.errors import BasketError
from thesis_lib.basket.result import Basket
from thesis_lib.basket.rules import DEFAULT_RULES, BasketRules
from thesis_lib.basket.weights import (
    AT_CAP,
    AT_FLOOR,
    GROUP_CAPPED,
    feasibility_problems,
    solve,
)
from thesis_lib.errors import Problem
from thesis_lib.frame import AI_EXPOSURE_PREFIX, EXPOSURE_PREFIX
from thesis_lib.rules.screen import ScreenResult

__all__ = ["build_basket"]

#: Slack on relevance and score thresholds, so that 0.3 + 0.2 counts as 0.5.
_EPS = 1e-9
#: How far from 1 a previous basket's weights may sum.
PREVIOUS_SUM_TOLERANCE = 1e-3
#: The group of members without a primary layer, for the layer cap.
UNASSIGNED = "unassigned"

Previous: TypeAlias = Basket | Mapping[str, float] | pd.Series


def build_basket(
    result: ScreenResult,
    rules: BasketRules | Mapping[str, Any] | None = None,
    previous: Previous | None = None,
) -> Basket:
    """Turn a screen into a weighted basket, with the reason for every company in or out.

    ``rules`` are :class:`~thesis_lib.basket.BasketRules` (or a mapping of their fields;
    :data:`~thesis_lib.basket.rules.DEFAULT_RULES` when ``None``: top 15, score-weighted,
    10% name cap, buffer 3). ``previous`` is the basket being rebalanced: a
    :class:`Basket` or a mapping/Series ticker -> weight (weights summing to 1); with it,
    the buffer applies and the result has :attr:`~Basket.trades` and
    :attr:`~Basket.turnover`. The steps are described in this module's docstring.

    Raises :class:`~thesis_lib.basket.errors.BasketError` when the rules name unknown
    layers, need market data the screen does not have, leave no name to buy, or set caps
    the selected names cannot meet.
    """
    if not isinstance(result, ScreenResult):
        raise BasketError(f"expected a ScreenResult, got {type(result).__name__}",
                          hint="pass the result of thesis_lib.screen(...)")
    rules = _as_rules(rules)
    prev = None if previous is None else _previous_weights(previous)
    state = _Selection(result, rules)
    state.apply_filters()
    state.select(prev)
    return state.finish(prev)


def _as_rules(rules: BasketRules | Mapping[str, Any] | None) -> BasketRules:
    if rules is None:
        return DEFAULT_RULES
    if isinstance(rules, BasketRules):
        return rules
    if isinstance(rules, Mapping):
        return BasketRules(**dict(rules))
    raise BasketError(f"expected BasketRules, got {type(rules).__name__}",
                      hint="pass BasketRules(...) or load_basket_rules(path)")


def _previous_weights(previous: Previous) -> pd.Series:
    """The previous basket as a float Series ticker -> weight (members only)."""
    if isinstance(previous, Basket):
        return previous.weights
    if isinstance(previous, pd.Series | Mapping):
        items = list(previous.items())
    else:
        raise BasketError(f"expected a previous Basket or a mapping ticker -> weight, got "
                          f"{type(previous).__name__}", field="previous")
    tickers: list[str] = []
    values: list[float] = []
    for ticker, weight in items:
        if not isinstance(ticker, str) or not ticker:
            raise BasketError(f"previous basket: ticker {ticker!r} is not a string",
                              field="previous")
        try:
            value = float(weight)
        except (TypeError, ValueError):
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise BasketError(f"previous basket: weight of {ticker} is {weight!r}",
                              field="previous", hint="weights are non-negative fractions")
        tickers.append(ticker)
        values.append(value)
    if len(set(tickers)) != len(tickers):
        raise BasketError("previous basket: a ticker appears twice", field="previous")
    series = pd.Series(values, index=pd.Index(tickers, dtype="string", name="ticker"),
                       dtype="float64", name="weight")
    series = series[series > 0]
    total = float(series.sum())
    if len(series) and abs(total - 1.0) > PREVIOUS_SUM_TOLERANCE:
        raise BasketError(f"previous basket: weights sum to {total:.6g}, not 1",
                          field="previous", hint="pass weights that sum to 1, e.g. w / w.sum()")
    return series


class _Selection:
    """The working state of one build: one entry per company, in the screen's order."""

    def __init__(self, result: ScreenResult, rules: BasketRules) -> None:
        self.result = result
        self.rules = rules
        scores = result.scores
        frame = result.frame.loc[scores.index]
        self.frame = frame
        self.tickers = [str(t) for t in scores.index]
        n = len(self.tickers)
        self.n = n
        self.score = scores["score"].to_numpy(dtype=np.float64)
        self.rank = scores["rank"]
        self.rank_values = self.rank.to_numpy(dtype=np.float64, na_value=np.nan)
        self.passed = scores["passed"].to_numpy(dtype=bool)
        self.name = _text(frame, "name", self.tickers)
        self.layer = _text(frame, "primary_layer", [None] * n)
        self.relevance = self._relevance()
        self.rule: list[str | None] = [None] * n
        self.reason: list[str] = [""] * n
        self.tier: list[str] = ["any"] * n
        self.checks: dict[str, tuple[str, str]] = {}
        self.selection_rank = np.zeros(n, dtype=np.int64)
        self.member = np.zeros(n, dtype=bool)
        self.order: list[int] = []
        self.base = np.ones(n)

    # -- inputs ----------------------------------------------------------------------------
    def _relevance(self) -> np.ndarray:
        layers = self.rules.favoured_layers
        if not layers:
            return np.full(self.n, np.nan)
        columns = {str(c) for c in self.frame.columns}
        prefix = AI_EXPOSURE_PREFIX if self.rules.relevance == "ai" else EXPOSURE_PREFIX
        missing = [layer for layer in layers if f"{prefix}{layer}" not in columns]
        if missing:
            known = sorted(c[len(prefix):] for c in columns
                           if c.startswith(prefix) and not c.endswith("_total"))
            raise BasketError(
                [Problem(f"unknown layer {layer!r}: the screen has no "
                         f"{prefix}{layer} column", item="basket rules",
                         field="favoured_layers",
                         hint=did_you_mean(layer, known, what="layers"))
                 for layer in missing])
        block = self.frame[[f"{prefix}{layer}" for layer in layers]]
        values = block.to_numpy(dtype=np.float64, na_value=np.nan)
        relevance: np.ndarray = np.nansum(values, axis=1)
        return relevance

    def _column(self, name: str) -> np.ndarray | None:
        if name not in self.frame.columns:
            return None
        series = self.frame[name]
        if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            raise BasketError(f"column {name!r} has dtype {series.dtype}, not a number",
                              item="screening frame", field=name,
                              hint="market figures are floats in US dollars, NaN where unknown")
        column: np.ndarray = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return column

    def _out(self, mask: np.ndarray, rule: str,
             reasons: list[str] | str | Callable[[int], str]) -> int:
        """Mark the still-undecided rows in ``mask`` as out by ``rule``; how many were.

        ``reasons`` is one text for all, a list by row, or a function of the row, called
        only for the rows marked (so a large screen builds no text it does not keep).
        """
        count = 0
        for i in np.flatnonzero(mask):
            if self.rule[i] is None:
                self.rule[i] = rule
                if isinstance(reasons, str):
                    self.reason[i] = reasons
                elif callable(reasons):
                    self.reason[i] = reasons(int(i))
                else:
                    self.reason[i] = reasons[i]
                count += 1
        return count

    # -- steps 1-4 -------------------------------------------------------------------------
    def apply_filters(self) -> None:
        rules = self.rules
        self._gates()
        self._listed()
        self._market_minimum("min_market_cap_usd", "market_cap_usd", "market cap",
                             rules.min_market_cap_usd)
        self._market_minimum("min_adv_usd", "adv_usd", "average daily traded value",
                             rules.min_adv_usd)
        if rules.min_score is not None:
            low = self.score < rules.min_score - _EPS
            self._out(low, "selection:min_score",
                      lambda i: f"score {self.score[i]:+.3f} is below the minimum "
                                f"{rules.min_score:+g}")
        layers = ", ".join(rules.favoured_layers)
        what = "AI-driven revenue" if rules.relevance == "ai" else "revenue"
        if rules.min_exposure > 0:
            low = self.relevance < rules.min_exposure - _EPS
            self._out(low, "selection:min_exposure",
                      lambda i: f"below min exposure: {pct(round(self.relevance[i], 4))} of "
                                f"{what} in the favoured layers ({layers}), below "
                                f"{pct(rules.min_exposure)}")
        if rules.pure_play is not None:
            self._tiers(layers)
        self._weighting_base()

    def _gates(self) -> None:
        excluded = self.result.excluded
        first: dict[str, tuple[str, str]] = {}
        for row in excluded.itertuples(index=False):
            ticker = str(row.ticker)
            if ticker in first:
                continue
            code = "gate" if row.reason == "gate failed" else "missing"
            text = f"excluded by the pack's rule {row.rule!r} ({row.reason}): {row.why}"
            first[ticker] = (f"{code}:{row.rule}", text)
        for i, ticker in enumerate(self.tickers):
            if not self.passed[i]:
                rule, text = first.get(ticker, ("gate", "excluded by the screen"))
                self.rule[i] = rule
                self.reason[i] = text

    def _listed(self) -> None:
        if not self.rules.listed:
            self.checks["listed"] = ("off", "listed = false")
            return
        if "listed" not in self.frame.columns:
            self.checks["listed"] = ("not checked", "the screen has no 'listed' column")
            return
        listed = self.frame["listed"].to_numpy(dtype=bool, na_value=False)
        count = self._out(~listed, "eligibility:listed", "not listed: cannot be bought")
        self.checks["listed"] = ("applied", f"{count} excluded")

    def _market_minimum(self, field: str, column: str, what: str, minimum: float | None) -> None:
        if minimum is None:
            self.checks[field] = ("off", "no minimum set")
            return
        values = self._column(column)
        if values is None:
            self.checks[field] = ("not checked", f"the screen has no {column} column; "
                                                 "attach market data to apply it")
            return
        unknown = np.isnan(values)
        low = ~unknown & (values < minimum)
        count = self._out(low, f"eligibility:{field}",
                          [f"{what} {_usd(v)} is below the minimum {_usd(minimum)}"
                           for v in values])
        detail = f"{count} excluded"
        if unknown.any():
            if self.rules.missing_market_data == "exclude":
                gone = self._out(unknown, f"eligibility:{field}",
                                 f"{what} unknown (missing_market_data = exclude)")
                detail += f", {gone} more with no figure"
            else:
                kept = int(sum(1 for i in np.flatnonzero(unknown) if self.rule[i] is None))
                detail += f", {kept} kept without a figure (missing_market_data = keep)"
        self.checks[field] = ("applied", detail)

    def _tiers(self, layers: str) -> None:
        rules = self.rules
        pure = rules.pure_play
        if pure is None:
            return
        fallback = rules.fallback
        for i, r in enumerate(self.relevance):
            if r >= pure - _EPS:
                self.tier[i] = "pure-play"
            elif fallback is not None and r >= fallback - _EPS:
                self.tier[i] = "fallback"
            else:
                self.tier[i] = "none"
        lowest = pure if fallback is None else fallback
        name = "the pure-play tier" if fallback is None else "the fallback tier"
        self._out(np.array([t == "none" for t in self.tier]), "selection:tier",
                  lambda i: f"relevance {pct(round(self.relevance[i], 4))} ({layers}) is "
                            f"below {name}'s {pct(lowest)}")

    def _weighting_base(self) -> None:
        method = self.rules.weighting
        if method == "equal":
            self.base = np.ones(self.n)
            return
        if method == "score":
            self.base = self.score.copy()
            self._out(~(self.base > 0), "weighting:score",
                      lambda i: f"score {self.score[i]:+.3f} is not positive: score weighting uses "
                                "positive scores")
            return
        mcap = self._column("market_cap_usd")
        if mcap is None and self.rules.weighting_fallback is not None:
            fallback = self.rules.weighting_fallback
            self.checks["weighting"] = (
                "fallback", f"{method} needs market data, none attached: {fallback} weights")
            self.base = np.ones(self.n) if fallback == "equal" else self.score.copy()
            if fallback == "score":
                self._out(~(self.base > 0), "weighting:score",
                          lambda i: f"score {self.score[i]:+.3f} is not positive: score "
                                    "weighting uses positive scores")
            return
        if mcap is None:
            raise BasketError(
                f"weighting {method!r} needs the market_cap_usd column, which the screen's "
                "frame does not have", item="basket rules", field="weighting",
                hint="attach market data before screening (thesis_lib.market."
                     "add_market_data) or use weighting = 'score'")
        if method == "market_cap":
            self.base = mcap
            self._out(~(mcap > 0), "weighting:market_cap",
                      "market cap unknown: cannot be market-cap-weighted")
            return
        self.base = self.relevance * mcap
        self._out(~(self.base > 0), "weighting:relevance_market_cap",
                  "relevance or market cap unknown or zero: cannot be weighted by "
                  "relevance x market cap")

    # -- step 5 ----------------------------------------------------------------------------
    def select(self, prev: pd.Series | None) -> None:
        rules = self.rules
        n_top = rules.top_n
        eligible = [i for i in range(self.n) if self.rule[i] is None]
        tier_order = {"pure-play": 0, "fallback": 1, "any": 0}
        eligible.sort(key=lambda i: tier_order[self.tier[i]])  # stable: screen order within
        for position, i in enumerate(eligible, start=1):
            self.selection_rank[i] = position
        self.order = eligible
        if not eligible:
            self._nobody_left()
        chosen: list[int] = []
        if prev is None:
            chosen = eligible[:n_top]
            for i in eligible:
                rank = self.selection_rank[i]
                if rank <= n_top:
                    self._decide(i, "selection:top_n", f"in the top {n_top}: rank "
                                 f"{self._rank_text(i)}")
                else:
                    self._decide(i, "selection:top_n", f"not in the top {n_top}: "
                                 f"rank {self._rank_text(i)}{self._tier_note(i)}")
        else:
            held = {str(t) for t in prev.index}
            kept = [i for i in eligible
                    if self.tickers[i] in held and self.selection_rank[i] <= rules.exit_rank]
            entered = [i for i in eligible
                       if self.tickers[i] not in held
                       and self.selection_rank[i] <= rules.entry_rank]
            chosen = sorted(kept + entered, key=lambda i: self.selection_rank[i])
            filled: list[int] = []
            if rules.buffer_fill and len(chosen) < n_top:
                taken = set(chosen)
                spare = [i for i in eligible
                         if i not in taken and self.selection_rank[i] <= n_top]
                filled = spare[: n_top - len(chosen)]
                chosen = sorted(chosen + filled, key=lambda i: self.selection_rank[i])
            self._decide_buffered(eligible, held, set(kept), set(entered), set(filled))
        for i in chosen:
            self.member[i] = True

    def _decide_buffered(self, eligible: list[int], held: set[str], kept: set[int],
                         entered: set[int], filled: set[int]) -> None:
        rules = self.rules
        n_top = rules.top_n
        for i in eligible:
            rank = self._rank_text(i)
            if i in kept:
                self._decide(i, "buffer:kept", f"member kept: rank {rank} <= N+k = "
                             f"{rules.exit_rank}")
            elif i in entered:
                self._decide(i, "buffer:entered", f"new: rank {rank} <= N-k = "
                             f"{rules.entry_rank}")
            elif i in filled:
                self._decide(i, "buffer:fill", f"new: rank {rank} > N-k = {rules.entry_rank},"
                             f" added to fill the basket to {n_top}")
            elif self.tickers[i] in held:
                self._decide(i, "buffer:evicted", f"member dropped: rank {rank} > N+k = "
                             f"{rules.exit_rank}")
            elif self.selection_rank[i] <= n_top:
                why = "the basket was full" if rules.buffer_fill else "buffer_fill is off"
                self._decide(i, "buffer:not admitted", f"new: rank {rank} > N-k = "
                             f"{rules.entry_rank} and {why}")
            else:
                self._decide(i, "selection:top_n", f"not in the top {n_top}: "
                             f"rank {rank}{self._tier_note(i)}")

    def _decide(self, i: int, rule: str, reason: str) -> None:
        self.rule[i] = rule
        self.reason[i] = reason

    def _rank_text(self, i: int) -> str:
        selection = int(self.selection_rank[i])
        screen = self.rank_values[i]
        if np.isnan(screen) or int(screen) == selection:
            return str(selection)
        return f"{selection}, screen rank {int(screen)}"

    def _tier_note(self, i: int) -> str:
        return "; fallback tier, after the pure plays" if self.tier[i] == "fallback" else ""

    def _nobody_left(self) -> None:
        counts: dict[str, int] = {}
        for rule in self.rule:
            counts[str(rule)] = counts.get(str(rule), 0) + 1
        summary = ", ".join(f"{rule} {n}" for rule, n in counts.items())
        raise BasketError(f"no company is left to put in the basket ({summary})",
                          item="basket rules",
                          hint="loosen the rule that excludes the most companies")

    # -- step 6 ----------------------------------------------------------------------------
    def finish(self, prev: pd.Series | None) -> Basket:
        rules = self.rules
        idx = [i for i in self.order if self.member[i]]
        base = self.base[idx]
        cap = rules.name_cap
        labels: np.ndarray | None = None
        group_names: list[str] = []
        group_caps: np.ndarray | None = None
        if rules.layer_cap is not None:
            if "primary_layer" not in self.frame.columns:
                raise BasketError("a layer cap needs the primary_layer column, which the "
                                  "screen's frame does not have", item="basket rules",
                                  field="layer_cap", hint="add primary_layer or drop layer_cap")
            layers = [self.layer[i] or UNASSIGNED for i in idx]
            codes, uniques = pd.factorize(pd.Series(layers, dtype="object"))
            labels = np.asarray(codes, dtype=np.int64)
            group_names = [str(u) for u in uniques]
            group_caps = np.full(len(group_names), rules.layer_cap)
        problems = feasibility_problems(
            len(idx), cap, rules.name_floor, labels=labels, group_names=group_names,
            group_caps=group_caps, cap_field="name_cap", floor_field="name_floor",
            group_field="layer_cap", group_word="layer")
        if problems:
            raise BasketError([p.located(item=f"basket of {len(idx)} names") for p in problems])
        weights, state = solve(base, cap, rules.name_floor, labels, group_caps)
        weight = np.zeros(self.n)
        bound = [""] * self.n
        for j, i in enumerate(idx):
            weight[i] = weights[j]
            bound[i] = {AT_CAP: "name cap", AT_FLOOR: "name floor",
                        GROUP_CAPPED: f"layer cap ({self.layer[i] or UNASSIGNED})"}.get(
                            int(state[j]), "")
        decisions = self._decisions(weight, bound)
        members = decisions.loc[[self.tickers[i] for i in idx],
                                ["name", "layer", "tier", "score", "rank", "selection_rank",
                                 "relevance", "weight", "bound"]]
        trades, turnover = (None, None) if prev is None else _trades(members["weight"], prev)
        checks = pd.DataFrame(
            {"status": [s for s, _ in self.checks.values()],
             "detail": [d for _, d in self.checks.values()]},
            index=pd.Index(list(self.checks), dtype="string", name="check"), dtype="string")
        return Basket(members=members, decisions=decisions, checks=checks, rules=rules,
                      pack=self.result.pack.id, trades=trades, turnover=turnover)

    def _decisions(self, weight: np.ndarray, bound: list[str]) -> pd.DataFrame:
        selection = pd.arrays.IntegerArray(self.selection_rank.copy(),
                                           mask=self.selection_rank < 1)
        frame = pd.DataFrame(
            {
                "name": pd.array(self.name, dtype="string"),
                "layer": pd.array(self.layer, dtype="string"),
                "tier": pd.array(self.tier, dtype="string"),
                "score": self.score,
                "rank": self.rank.array,
                "selection_rank": selection,
                "relevance": self.relevance,
                "member": self.member.copy(),
                "weight": weight,
                "bound": pd.array(bound, dtype="string"),
                "rule": pd.array([str(r) for r in self.rule], dtype="string"),
                "reason": pd.array(self.reason, dtype="string"),
            },
            index=pd.Index(self.tickers, dtype="string", name="ticker"),
        )
        return frame


def _trades(new: pd.Series, old: pd.Series) -> tuple[pd.DataFrame, float]:
    """Trades from ``old`` to ``new`` weights and the one-way turnover sum(|new-old|)/2."""
    tickers = list(dict.fromkeys([*map(str, old.index), *map(str, new.index)]))
    index = pd.Index(tickers, dtype="string", name="ticker")
    old_w = old.reindex(index, fill_value=0.0).to_numpy(dtype=np.float64)
    new_w = new.reindex(index, fill_value=0.0).to_numpy(dtype=np.float64)
    change = new_w - old_w
    turnover = float(np.abs(change).sum() / 2)
    action = np.where(old_w == 0, "added", np.where(new_w == 0, "removed", "reweighted"))
    moved = np.abs(change) > 1e-12
    trades = pd.DataFrame(
        {"action": pd.array(action[moved], dtype="string"), "old_weight": old_w[moved],
         "new_weight": new_w[moved], "change": change[moved]},
        index=index[moved])
    return trades, turnover


def _text(frame: pd.DataFrame, column: str, default: list[Any]) -> list[Any]:
    if column not in frame.columns:
        return list(default)
    return [None if pd.isna(v) else str(v) for v in frame[column].tolist()]


def _usd(value: float) -> str:
    if math.isnan(value):
        return "unknown"
    for size, suffix in ((1e12, "tn"), (1e9, "bn"), (1e6, "m")):
        if abs(value) >= size:
            return f"${value / size:.3g}{suffix}"
    return f"${value:,.0f}"
