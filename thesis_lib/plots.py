"""Figures for screens and evaluations (the optional ``plot`` extra: matplotlib).

Each function returns a :class:`matplotlib.figure.Figure`. Built without pyplot, it never
changes the user's backend or global state and never pops up a window, yet a notebook
shows it as an image by itself (it has a PNG representation; no ``%matplotlib inline``
needed). Save it with ``fig.savefig("out.png")``; its axes are ``fig.axes``. Pass
``ax=`` to draw into an Axes of your own figure instead (that figure is returned).
matplotlib is imported only when a function is called; without it
:class:`PlotUnavailableError` says which extra to install.

- :func:`exposure_heatmap`: company x layer revenue shares;
- :func:`contribution_waterfall`: one company's score, rule by rule;
- :func:`basket_chart`: a basket against its benchmark and the universe since a date;
- :func:`stability_chart`: Kendall's tau under perturbed weights, and top-N frequency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from thesis_lib.errors import DataError, PlotUnavailableError
from thesis_lib.frame import EXPOSURE_PREFIX
from thesis_lib.models import Universe
from thesis_lib.rules.screen import ScreenResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from thesis_lib.evaluate.results import BasketPerformance, StabilityResult

__all__ = [
    "PlotUnavailableError",
    "basket_chart",
    "contribution_waterfall",
    "exposure_heatmap",
    "stability_chart",
]

_POSITIVE, _NEGATIVE, _TOTAL = "#2e8b57", "#c0392b", "#555555"


def _new_figure(width: float, height: float) -> Figure:
    try:
        from thesis_lib._figure import ThesisFigure
    except ImportError:
        raise PlotUnavailableError(
            "plotting needs matplotlib, which is not installed",
            hint='pip install "thesis-lib[plot]"') from None
    return ThesisFigure(figsize=(width, height), layout="constrained")


def _target(ax: Axes | None, width: float, height: float) -> tuple[Figure, Axes]:
    if ax is not None:
        figure: Any = ax.get_figure()
        return figure, ax
    fig = _new_figure(width, height)
    return fig, fig.add_subplot()


def exposure_heatmap(
    data: Universe | ScreenResult | pd.DataFrame,
    *,
    ax: Axes | None = None,
    max_rows: int = 60,
) -> Figure:
    """Company x layer revenue shares as a heat map (0 white, 1 dark blue).

    ``data``: a Universe (declaration order), a ScreenResult (rank order) or a screening
    frame with ``exposure_<layer>`` columns. At most ``max_rows`` companies are drawn.
    """
    if isinstance(data, Universe):
        frame = data.to_frame()
    elif isinstance(data, ScreenResult):
        frame = data.frame.loc[data.scores.index]
    elif isinstance(data, pd.DataFrame):
        frame = data
    else:
        raise DataError(f"cannot draw exposures of a {type(data).__name__}",
                        hint="pass a Universe, a ScreenResult or a screening frame")
    columns = [str(c) for c in frame.columns if str(c).startswith(EXPOSURE_PREFIX)
               and str(c) != "exposure_total"]
    if not columns:
        raise DataError("no exposure_<layer> columns to draw", field="data",
                          hint="pass Universe.to_frame() or a frame in its format")
    frame = frame.head(max_rows)
    matrix = frame[columns].to_numpy(dtype=float, na_value=np.nan)
    fig, axes = _target(ax, 1.6 + 0.55 * len(columns), 1.4 + 0.2 * len(frame))
    image = axes.imshow(matrix, aspect="auto", cmap="Blues", vmin=0.0, vmax=1.0,
                        interpolation="nearest")
    axes.set_xticks(range(len(columns)),
                    [c[len(EXPOSURE_PREFIX):] for c in columns], rotation=45, ha="right")
    labels = [str(t) for t in frame.index]
    if "name" in frame.columns:
        labels = [f"{t}  {str(n)[:18]}" for t, n in zip(frame.index, frame["name"], strict=True)]
    axes.set_yticks(range(len(frame)), labels, fontsize=7)
    axes.set_title("revenue share by layer")
    fig.colorbar(image, ax=axes, label="share of revenue", shrink=0.6)
    return fig


def contribution_waterfall(
    result: ScreenResult, ticker: str, *, ax: Axes | None = None
) -> Figure:
    """One company's score built rule by rule: each bar starts where the last ended.

    Green bars add, red bars subtract, the grey bar is the score. Gates are left out, and
    rules contributing less than 0.005 either way are summed into one "other rules" bar.
    """
    explanation = result.explain(ticker)
    table = explanation.table[explanation.table["kind"] != "gate"]
    contributions = table["contribution"].to_numpy(dtype=float)
    big = np.abs(contributions) >= 0.005
    names = [str(r) for r in table["rule"][big]]
    bars = list(contributions[big])
    rest = float(contributions[~big].sum())
    if rest != 0.0:
        names.append(f"other rules ({int((~big).sum())})")
        bars.append(rest)
    fig, axes = _target(ax, max(5.5, 2.0 + 0.75 * (len(names) + 1)), 4.2)
    level, tops = 0.0, [0.0]
    for i, value in enumerate([*bars, None]):
        if value is None:  # the total
            value, bottom, color = explanation.score, 0.0, _TOTAL
        else:
            bottom, color = level, _POSITIVE if value >= 0 else _NEGATIVE
            level += value
        axes.bar(i, value, bottom=bottom, color=color, width=0.7)
        up = value >= 0
        axes.annotate(f"{value:+.2f}", (i, bottom + value), ha="center",
                      va="bottom" if up else "top", fontsize=7,
                      xytext=(0, 2 if up else -2), textcoords="offset points")
        tops += [bottom, bottom + value]
    low, high = min(tops), max(tops)
    pad = 0.12 * (high - low or 1.0)
    axes.set_ylim(low - pad, high + pad)
    axes.axhline(0.0, color="black", linewidth=0.8)
    axes.set_xticks(range(len(names) + 1), [*names, "score"], rotation=45, ha="right")
    place = f"rank {explanation.rank} of {explanation.of}" if explanation.rank else "excluded"
    axes.set_title(f"{explanation.ticker} ({explanation.name[:28]}): {place}", fontsize=10)
    axes.set_ylabel("contribution to score")
    return fig


def basket_chart(
    performance: BasketPerformance, *, ax: Axes | None = None
) -> Figure:
    """Cumulative return of the basket, the benchmark and the equal-weight universe."""
    values = performance.values
    fig, axes = _target(ax, 8.0, 4.5)
    dates = values.index.to_numpy()
    styles = {"basket": ("#1f77b4", 2.2), "benchmark": ("#d62728", 1.4),
              "universe": ("#7f7f7f", 1.4)}
    for key, (color, width) in styles.items():
        series = values[key].to_numpy(dtype=float)
        if not np.isfinite(series).any():
            continue
        label = str(performance.summary.at[key, "label"])
        total = float(performance.summary.at[key, "cumulative_return"])
        axes.plot(dates, (series - 1.0) * 100.0, color=color, linewidth=width,
                  label=f"{label} ({total:+.1%})")
    axes.axhline(0.0, color="black", linewidth=0.6)
    in_what = "US dollars" if performance.currency == "USD" else "local currencies"
    axes.set_ylabel(f"cumulative return in {in_what}, %")
    axes.set_title(f"since {performance.since:%Y-%m-%d}: basket vs {performance.benchmark}")
    axes.legend(loc="best", fontsize=8)
    axes.grid(alpha=0.3)
    if ax is None:  # on the caller's axes, leave their figure's layout alone
        fig.autofmt_xdate()
    return fig


def stability_chart(
    stability: StabilityResult,
    *,
    max_names: int = 25,
    ax: tuple[Axes, Axes] | None = None,
) -> Figure:
    """Left: the distribution of Kendall's tau. Right: how often each company is in the top N.

    The right panel shows the ``max_names`` best-ranked companies that ever made the top N.
    ``ax``: the two Axes to draw the panels into (left, right).
    """
    if ax is not None:
        left, right = ax
        fig: Any = left.get_figure()
    else:
        fig = _new_figure(11.0, 4.8)
        left, right = fig.subplots(1, 2, width_ratios=[1.0, 1.2])
    taus = stability.taus[np.isfinite(stability.taus)]
    left.hist(taus, bins=30, color="#1f77b4", alpha=0.85)
    left.axvline(float(np.median(taus)) if taus.size else 1.0, color="black",
                 linestyle="--", linewidth=1, label=f"median {stability.median_tau:.3f}")
    left.set_xlabel("Kendall's tau against the unperturbed ranking")
    left.set_ylabel("draws")
    left.set_title(f"{stability.n} draws, weights x (1 + {stability.noise:g} N(0,1))")
    left.legend(fontsize=8)
    shown = stability.companies[stability.companies["top_frequency"] > 0].head(max_names)
    freq = shown["top_frequency"].to_numpy(dtype=float)
    positions = np.arange(len(shown))[::-1]
    colors = [_POSITIVE if f >= 0.95 else ("#e0a030" if f >= 0.5 else _NEGATIVE)
              for f in freq]
    right.barh(positions, freq * 100.0, color=colors)
    right.set_yticks(positions, [str(t) for t in shown.index], fontsize=7)
    right.set_xlim(0, 100)
    right.set_xlabel(f"share of draws in the top {stability.top}, %")
    right.set_title(f"same top {stability.top} in {stability.same_top_share:.0%} of draws")
    return fig  # type: ignore[no-any-return]
