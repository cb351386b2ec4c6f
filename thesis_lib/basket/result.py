"""The basket :func:`~thesis_lib.basket.build_basket` returns: members, weights and reasons."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from thesis_lib._format import pct
from thesis_lib._suggest import did_you_mean
from thesis_lib._text import plain, plain_lines
from thesis_lib.basket.errors import BasketError
from thesis_lib.basket.rules import BasketRules

__all__ = ["Basket"]


@dataclass(frozen=True, eq=False)
class Basket:
    """A weighted basket built from a screen, with the reason for every decision.

    - :attr:`members`: one row per member, indexed by ticker, in selection order: ``name``,
      ``layer`` (primary layer), ``tier`` (``pure-play``, ``fallback``, or ``any`` when
      the rules have no tiers), ``score``, ``rank`` (the screen's), ``selection_rank``
      (rank among the eligible names, tiers first), ``relevance`` (revenue share in the
      favoured layers; NaN without them), ``weight``, ``bound`` (which bound set the
      weight: ``name cap``, ``name floor``, ``layer cap``, or empty).
    - :attr:`decisions`: every company of the screen, in the screen's order, with the
      columns above plus ``member`` (bool), ``rule`` (the rule that decided, e.g.
      ``gate:listed``, ``selection:min_exposure``, ``selection:top_n``, ``buffer:kept``)
      and ``reason`` (a sentence).
    - :attr:`checks`: the eligibility checks and whether each was applied, switched off
      or not checked (a market-data figure the screen's frame does not have).
    - :attr:`weights`: ticker -> weight as a float Series summing to 1; this is what
      evaluation and watchlists take.
    - :attr:`trades` and :attr:`turnover`: against the previous basket, when one was
      given (else ``None``). ``trades`` lists every ticker whose weight changed, with
      ``action`` (added, removed, reweighted), ``old_weight``, ``new_weight``, ``change``.
      ``turnover`` is one-way: ``sum(|new - old|) / 2`` over every ticker in either
      basket, so replacing the whole basket is 1.0 and starting from cash is 0.5.
    """

    members: pd.DataFrame
    decisions: pd.DataFrame
    checks: pd.DataFrame
    rules: BasketRules
    pack: str = ""
    trades: pd.DataFrame | None = None
    turnover: float | None = None

    # -- views -----------------------------------------------------------------------------
    @property
    def weights(self) -> pd.Series:
        """Ticker -> weight (float64, sums to 1), in selection order."""
        weights: pd.Series = self.members["weight"].astype("float64").rename("weight")
        return weights

    @property
    def tickers(self) -> tuple[str, ...]:
        """The members' tickers, in selection order."""
        return tuple(str(t) for t in self.members.index)

    @property
    def layer_weights(self) -> pd.Series:
        """Total weight per primary layer, largest first."""
        layers = self.members["layer"].astype("object").where(
            self.members["layer"].notna(), "unassigned")
        totals: pd.Series = self.members["weight"].groupby(layers.to_numpy()).sum()
        totals.index = pd.Index(totals.index.astype(str), dtype="string", name="layer")
        return totals.sort_values(ascending=False).rename("weight")

    def __len__(self) -> int:
        return len(self.members)

    def __contains__(self, ticker: object) -> bool:
        return ticker in self.members.index

    def __iter__(self) -> Iterator[str]:
        return iter(self.tickers)

    def why(self, ticker: str) -> str:
        """One line on why ``ticker`` is in or out, e.g. ``NVDA (Nvidia): out: ...``."""
        if ticker not in self.decisions.index:
            raise BasketError(
                f"unknown ticker {ticker!r}", item="basket",
                hint=did_you_mean(ticker, [str(t) for t in self.decisions.index],
                                  what="tickers"))
        row = self.decisions.loc[ticker]
        verdict = f"in at {pct(float(row['weight']))}" if row["member"] else "out"
        return f"{ticker} ({row['name']}): {verdict}: [{row['rule']}] {row['reason']}"

    def to_frame(self) -> pd.DataFrame:
        """Every company of the screen with its decision and weight (0 when out)."""
        return self.decisions.copy()

    # -- display ---------------------------------------------------------------------------
    def _headline(self) -> str:
        pack = f" ({self.pack})" if self.pack else ""
        return f"Basket{pack}: {len(self)} names; {self.rules.describe()}"

    def _summary_lines(self) -> list[str]:
        lines = ["Layers: " + ", ".join(f"{layer} {pct(round(w, 4))}"
                                        for layer, w in self.layer_weights.items())]
        if self.trades is not None and self.turnover is not None:
            counts = self.trades["action"].value_counts()
            parts = [f"{int(counts.get(a, 0))} {a}" for a in ("added", "removed", "reweighted")]
            lines.append(f"Turnover (one-way): {pct(round(self.turnover, 4))}; "
                         + ", ".join(parts))
        not_checked = self.checks[self.checks["status"] == "not checked"]
        for check, row in not_checked.iterrows():
            lines.append(f"Not checked: {check} ({row['detail']})")
        for check, row in self.checks[self.checks["status"] == "fallback"].iterrows():
            lines.append(f"Fallback: {check} ({row['detail']})")
        out = self.decisions[~self.decisions["member"]]
        if len(out):
            counts = out["rule"].value_counts(sort=False)  # in order of first appearance
            ranked = sorted(counts.items(), key=lambda item: -int(item[1]))  # stable sort
            lines.append(f"Out ({len(out)}): " + ", ".join(f"{rule} {int(n)}"
                                                           for rule, n in ranked))
        return lines

    def __str__(self) -> str:
        tiers = self.rules.pure_play is not None
        head = f"{'#':>3} {'ticker':<10} {'name':<24} {'layer':<13} "
        head += f"{'tier':<9} " if tiers else ""
        head += f"{'score':>7} {'weight':>7}  bound"
        lines = [self._headline(), head]
        for ticker, row in self.members.iterrows():
            layer = "" if pd.isna(row["layer"]) else plain(row["layer"])
            line = (f"{int(row['selection_rank']):>3} {plain(ticker):<10.10} "
                    f"{plain(row['name']):<24.24} "
                    f"{layer:<13.13} ")
            line += f"{row['tier']!s:<9.9} " if tiers else ""
            line += f"{row['score']:>+7.2f} {row['weight'] * 100:>6.2f}%  {row['bound']}"
            lines.append(line.rstrip())
        lines += self._summary_lines()
        return plain_lines("\n".join(lines))

    def __repr__(self) -> str:
        turnover = "" if self.turnover is None else f" turnover={self.turnover:.4f}"
        return (f"<Basket pack={self.pack!r} names={len(self)} "
                f"rules={self.rules.describe()!r}{turnover}>")

    def _repr_html_(self) -> str:
        columns = ["name", "layer", "tier", "score", "rank", "weight", "bound"]
        if self.rules.pure_play is None:
            columns.remove("tier")
        from thesis_lib._html import table_html

        shown = self.members[columns]
        body = table_html(shown, bars=["weight"], formats={
            "weight": ".1%", "score": ".2f", "rank": ".0f"}, max_rows=len(shown))
        notes = "".join(f"<br>{html.escape(line)}" for line in self._summary_lines())
        return f"<p><b>{html.escape(self._headline())}</b>{notes}</p>{body}"
