"""Running scenarios against a base screen and reporting what changed."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from thesis_lib._text import plain_lines
from thesis_lib.basket import Basket, BasketRules, build_basket
from thesis_lib.errors import BasketError, RuleError
from thesis_lib.models import Scenario, Universe
from thesis_lib.pipeline import screen
from thesis_lib.rules import RulePack, ScreenResult, load_pack
from thesis_lib.scenarios.apply import apply_scenario, describe_changes, frame_for

MOVER_RULES = 2
"""Rules named per mover: those whose contribution moved most."""


@dataclass(frozen=True, eq=False)
class ScenarioReport:
    """One scenario against the base screen.

    - :attr:`entered` / :attr:`left`: who entered or left the top ``top`` (ticker, name,
      base rank, scenario rank; a rank is <NA> when excluded);
    - :attr:`movers`: the largest rank changes among companies ranked in both, with the
      rules whose contributions moved most;
    - :attr:`basket_changes`: names added to or removed from the pack's basket and weight
      changes (when the pack has a basket);
    - :attr:`result`: the scenario's full :class:`~thesis_lib.ScreenResult`.
    """

    scenario: Scenario
    result: ScreenResult
    top: int
    entered: pd.DataFrame
    left: pd.DataFrame
    movers: pd.DataFrame
    basket_changes: pd.DataFrame | None = field(default=None)
    basket_note: str | None = None
    """Why there is no basket comparison (e.g. the caps cannot be met in this scenario)."""

    def __str__(self) -> str:
        s = self.scenario
        lines = [f"{s.id}: {s.name}", *_wrap(s.description, 96, indent="  ")]
        lines += _wrap("changes: " + "; ".join(describe_changes(s)), 96, indent="  ")
        if self.entered.empty and self.left.empty:
            lines.append(f"  top {self.top}: unchanged")
        for what, table in (("entered", self.entered), ("left", self.left)):
            for row in table.itertuples(index=False):
                lines.append(f"  {what} the top {self.top}: {row.ticker} ({row.name}) rank "
                             f"{_rank(row.base_rank)} -> {_rank(row.scenario_rank)}")
        if not self.movers.empty:
            lines.append("  biggest movers:")
            for row in self.movers.itertuples(index=False):
                lines.append(f"    {row.ticker:<10} {str(row.name)[:24]:<24} rank "
                             f"{row.base_rank:>2} -> {row.scenario_rank:>2}  ({row.rules})")
        if self.basket_note is not None:
            lines += _wrap(f"basket: {self.basket_note}", 96, indent="  ")
        if self.basket_changes is not None:
            traded = self.basket_changes[self.basket_changes["action"] != "reweighted"]
            if traded.empty:
                lines.append("  basket: same names")
            for row in traded.itertuples(index=False):
                lines.append(f"  basket {row.action}: {row.ticker} {row.base_weight:.2%} -> "
                             f"{row.scenario_weight:.2%}")
        return plain_lines("\n".join(lines))

    def _repr_html_(self) -> str:
        from thesis_lib._html import scenario_report_html

        return scenario_report_html(self, describe_changes(self.scenario))


@dataclass(frozen=True, eq=False)
class ScenarioRun:
    """The base screen and one :class:`ScenarioReport` per scenario, in order."""

    base: ScreenResult
    reports: tuple[ScenarioReport, ...]
    top: int

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.reports)

    def __len__(self) -> int:
        return len(self.reports)

    def report(self, scenario_id: str) -> ScenarioReport:
        """The report of one scenario by id."""
        for report in self.reports:
            if report.scenario.id == scenario_id:
                return report
        from thesis_lib._suggest import did_you_mean

        raise RuleError(f"unknown scenario {scenario_id!r}", item="scenarios",
                        hint=did_you_mean(scenario_id, [r.scenario.id for r in self.reports],
                                          what="scenarios"))

    def to_frame(self) -> pd.DataFrame:
        """One row per scenario: how many entered/left the top, the biggest mover."""
        rows = []
        for r in self.reports:
            mover = r.movers.iloc[0] if not r.movers.empty else None
            rows.append({
                "scenario": r.scenario.id, "name": r.scenario.name,
                "entered": ", ".join(r.entered["ticker"]), "left": ", ".join(r.left["ticker"]),
                "biggest_mover": None if mover is None else str(mover["ticker"]),
                "rank_change": None if mover is None else int(mover["change"]),
            })
        return pd.DataFrame(rows).set_index("scenario")

    def __str__(self) -> str:
        pack = self.base.pack
        head = (f"{len(self.reports)} scenario(s) against pack {pack.id} v{pack.version}, "
                f"top {self.top} of {int((~self.base.excluded_mask).sum())} ranked")
        return plain_lines("\n\n".join([head, *(str(r) for r in self.reports)]))

    def _repr_html_(self) -> str:
        from thesis_lib._html import scenario_run_html

        return scenario_run_html(
            self, {r.scenario.id: describe_changes(r.scenario) for r in self.reports})


def run_scenarios(
    universe: Universe,
    pack: RulePack | str | os.PathLike[str] = "one-layer-down",
    scenarios: Iterable[Scenario] | None = None,
    *,
    frame: pd.DataFrame | None = None,
    top: int = 10,
    movers: int = 5,
    basket: BasketRules | None = None,
    baskets: bool = True,
) -> ScenarioRun:
    """Screen ``universe`` with ``pack`` and with each scenario, and report the changes.

    ``scenarios`` defaults to the pack's own ``[[scenarios]]``. The base screening frame
    (``frame``, built once from the universe unless given, e.g. with market data
    attached) and the compiled pack are reused by every scenario. ``basket`` (default:
    the pack's ``[basket]``, if any) is built for the base and each scenario, unless
    ``baskets`` is False.
    """
    if not isinstance(pack, RulePack):
        pack = load_pack(pack)
    chosen = tuple(pack.scenarios if scenarios is None else scenarios)
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise RuleError(f"top={top!r} must be a whole number >= 1", item="scenarios")
    ids = [s.id for s in chosen]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise RuleError(f"scenario {dup!r} appears twice", item="scenarios",
                        hint="give every scenario its own id")
    base_frame = frame_for(universe, frame)
    base = screen(base_frame, pack)
    rules = (basket if basket is not None else pack.basket_rules) if baskets else None
    base_basket = build_basket(base, rules) if rules is not None else None
    reports = []
    for scenario in chosen:
        scenario_frame, scenario_pack = apply_scenario(universe, base_frame, pack, scenario)
        result = screen(scenario_frame, scenario_pack)
        changes, note = None, None
        if rules is not None and base_basket is not None:
            try:
                changes = _basket_changes(base_basket, build_basket(result, rules))
            except BasketError as error:
                note = f"cannot be built in this scenario: {error.problems[0].message}"
        reports.append(_report(scenario, base, result, top, movers, changes, note))
    return ScenarioRun(base=base, reports=tuple(reports), top=top)


def _int_array(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Whole numbers with <NA> where ``values`` is NaN."""
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype("int64"), missing)


def _ranks(result: ScreenResult) -> np.ndarray:
    """Ranks in frame row order, NaN where excluded."""
    ranks: np.ndarray = result.scores["rank"].reindex(result.frame.index).to_numpy(
        dtype=np.float64, na_value=np.nan)
    return ranks


def _report(scenario: Scenario, base: ScreenResult, result: ScreenResult, top: int,
            movers: int, basket_changes: pd.DataFrame | None,
            basket_note: str | None) -> ScenarioReport:
    # The scenario frame is a copy of the base frame: rows line up by position.
    tickers = base.frame.index.tolist()
    names = base.frame["name"].tolist() if "name" in base.frame.columns else tickers
    before, after = _ranks(base), _ranks(result)
    with np.errstate(invalid="ignore"):
        in_before, in_after = before <= top, after <= top

    def table(rows: np.ndarray) -> pd.DataFrame:
        rows = rows[np.argsort(np.where(np.isnan(after[rows]), np.inf, after[rows]),
                               kind="stable")]
        return pd.DataFrame({
            "ticker": pd.array([tickers[i] for i in rows], dtype="string"),
            "name": pd.array([names[i] for i in rows], dtype="string"),
            "base_rank": _int_array(before[rows]),
            "scenario_rank": _int_array(after[rows]),
        })

    entered = table(np.flatnonzero(in_after & ~in_before))
    left = table(np.flatnonzero(in_before & ~in_after))
    both = ~np.isnan(before) & ~np.isnan(after)
    change = np.where(both, before - after, 0.0)  # positive: moved up
    moved = np.flatnonzero(change != 0)
    biggest = moved[np.lexsort((before[moved], -np.abs(change[moved])))][:movers]
    delta = result.contribution_matrix - base.contribution_matrix
    rule_ids = [r.id for r in base.pack.rules]
    rows = []
    for i in biggest:
        d = delta[i]
        order = [j for j in np.argsort(-np.abs(d), kind="stable") if abs(d[j]) > 1e-9]
        rules = ", ".join(f"{rule_ids[j]} {d[j]:+.2f}" for j in order[:MOVER_RULES]) \
            or "others moved"
        rows.append({"ticker": tickers[i], "name": names[i], "base_rank": int(before[i]),
                     "scenario_rank": int(after[i]), "change": int(change[i]),
                     "rules": rules})
    movers_frame = pd.DataFrame(rows, columns=["ticker", "name", "base_rank", "scenario_rank",
                                               "change", "rules"])
    return ScenarioReport(scenario, result, top, entered, left, movers_frame, basket_changes,
                          basket_note)


def _basket_changes(base: Basket, scenario: Basket) -> pd.DataFrame:
    old = base.weights
    new = scenario.weights
    tickers = list(dict.fromkeys([*map(str, new.index), *map(str, old.index)]))
    rows = []
    for t in tickers:
        a, b = float(old.get(t, 0.0)), float(new.get(t, 0.0))
        action = "added" if a == 0 else "removed" if b == 0 else "reweighted"
        if action == "reweighted" and abs(a - b) < 1e-12:
            continue
        rows.append({"ticker": t, "action": action, "base_weight": a, "scenario_weight": b})
    return pd.DataFrame(rows, columns=["ticker", "action", "base_weight", "scenario_weight"])


def _rank(value: object) -> str:
    return "-" if value is None or pd.isna(value) else str(value)


def _wrap(text: str, width: int, *, indent: str = "") -> list[str]:
    import textwrap

    return textwrap.wrap(" ".join(text.split()), width, initial_indent=indent,
                         subsequent_indent=indent + "  ", break_on_hyphens=False) or [""]
