"""Applying a scenario to a prepared screening frame and a compiled pack.

Nothing here rebuilds the frame from the universe or re-parses the pack: the base frame
is copied and only the columns a scenario touches are recomputed (the per-layer exposure
columns, their totals, dollar exposure and ``evidence_support``), and weights change
through :meth:`RulePack.with_weights`, which reuses the compiled expressions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from thesis_lib._suggest import did_you_mean
from thesis_lib.errors import Problem, RuleError
from thesis_lib.frame import AI_EXPOSURE_PREFIX, EXPOSURE_PREFIX
from thesis_lib.models import Evidence, Scenario, Universe
from thesis_lib.models.evidence import support
from thesis_lib.rules import RulePack


def check_scenario(scenario: Scenario, universe: Universe, pack: RulePack,
                   *, file: str | None = None) -> list[Problem]:
    """Every reference in ``scenario`` that ``universe`` or ``pack`` does not know."""
    where = f"scenario {scenario.id!r}"
    claims = {ev.id for ev in universe.evidence}
    layers = set(universe.chain.ids)
    tickers = set(universe.tickers)
    rules = {r.id for r in pack.rules}
    problems: list[Problem] = []

    def unknown(what: str, value: str, field: str, known: set[str], plural: str) -> None:
        problems.append(Problem(f"unknown {what} {value!r}", file=file, item=where,
                                field=field, hint=did_you_mean(value, known, what=plural)))

    for name in ("flip_claims", "remove_claims"):
        for i, claim in enumerate(getattr(scenario, name)):
            if claim not in claims:
                unknown("claim", claim, f"{name}[{i}]", claims, "claims")
    added = {ev.id for ev in scenario.add_claims}
    for i, ev in enumerate(scenario.add_claims):
        if ev.id in claims:
            problems.append(Problem(f"claim {ev.id!r} already exists", file=file, item=where,
                                    field=f"add_claims[{i}].id",
                                    hint="give the new claim its own id, or flip the old one"))
        for j, layer in enumerate(ev.layers):
            if layer not in layers:
                unknown("layer", layer, f"add_claims[{i}].layers[{j}]", layers, "layers")
        for j, ticker in enumerate(ev.companies):
            if ticker not in tickers:
                unknown("ticker", ticker, f"add_claims[{i}].companies[{j}]", tickers, "tickers")
        for field in ("conflicts_with", "supersedes"):
            for j, other in enumerate(getattr(ev, field)):
                if other not in claims | added:
                    unknown("claim", other, f"add_claims[{i}].{field}[{j}]", claims, "claims")
    for name in ("scale_exposure", "scale_ai", "scale_support"):
        for layer in getattr(scenario, name):
            if layer not in layers:
                unknown("layer", layer, f"{name}.{layer}", layers, "layers")
    for rule in scenario.weights:
        if rule not in rules:
            unknown("rule", rule, f"weights.{rule}", rules, "rules")
    for i, fig in enumerate(scenario.figures):
        if fig.ticker not in tickers:
            unknown("ticker", fig.ticker, f"figures[{i}].ticker", tickers, "tickers")
        if fig.layer is not None and fig.layer not in layers:
            unknown("layer", fig.layer, f"figures[{i}].layer", layers, "layers")
    return problems


def scenario_evidence(universe: Universe, scenario: Scenario) -> tuple[Evidence, ...]:
    """The universe's claims with the scenario's removals, flips and additions."""
    flip = {"supports": "undermines", "undermines": "supports", "neutral": "neutral"}
    out: list[Evidence] = []
    for ev in universe.evidence:
        if ev.id in scenario.remove_claims:
            continue
        if ev.id in scenario.flip_claims:
            ev = ev.model_copy(update={"direction": flip[ev.direction]})
        out.append(ev)
    return (*out, *scenario.add_claims)


def apply_scenario(universe: Universe, frame: pd.DataFrame, pack: RulePack,
                   scenario: Scenario) -> tuple[pd.DataFrame, RulePack]:
    """The screening frame and pack of ``scenario``, from the base ``frame`` and ``pack``.

    ``frame`` is the universe's screening frame (:meth:`Universe.to_frame`), possibly with
    market columns attached; it is not modified.
    """
    problems = check_scenario(scenario, universe, pack)
    if problems:
        raise RuleError(problems)
    out = frame.copy()
    layers = universe.chain.ids
    share_cols = [f"{EXPOSURE_PREFIX}{layer}" for layer in layers]
    ai_cols = [f"{AI_EXPOSURE_PREFIX}{layer}" for layer in layers]
    shares = out[share_cols].to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    ai = out[ai_cols].to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    col_of = {layer: j for j, layer in enumerate(layers)}
    touched = False
    for layer, factor in scenario.scale_exposure.items():
        j = col_of[layer]
        shares[:, j] *= factor
        ai[:, j] *= factor
        touched = True
    for layer, factor in scenario.scale_ai.items():
        j = col_of[layer]
        ai[:, j] = np.minimum(ai[:, j] * factor, shares[:, j])
        touched = True
    revenue = out["revenue_usd"].to_numpy(dtype=np.float64, na_value=np.nan).copy() \
        if "revenue_usd" in out.columns else None
    for fig in scenario.figures:
        i = int(out.index.get_loc(fig.ticker))
        if fig.layer is not None:
            j = col_of[fig.layer]
            old_share = shares[i, j]
            fraction = ai[i, j] / old_share if old_share > 0 else 1.0
            if fig.share is not None:
                shares[i, j] = fig.share
            ai[i, j] = shares[i, j] * (fig.ai_share if fig.ai_share is not None else fraction)
            touched = True
        if fig.revenue_usd is not None and revenue is not None:
            revenue[i] = fig.revenue_usd
            touched = True
    if touched:
        _write_exposures(out, shares, ai, share_cols, ai_cols, revenue)
    if scenario.changes_evidence or touched:
        out["evidence_support"] = _evidence_support(universe, scenario, out, shares)
    scenario_pack = pack.with_weights(scenario.weights) if scenario.weights else pack
    return out, scenario_pack


def _write_exposures(out: pd.DataFrame, shares: np.ndarray, ai: np.ndarray,
                     share_cols: list[str], ai_cols: list[str],
                     revenue: np.ndarray | None) -> None:
    with np.errstate(invalid="ignore", divide="ignore"):
        np.clip(shares, 0.0, 1.0, out=shares)
        np.clip(ai, 0.0, 1.0, out=ai)
        total = np.nansum(shares, axis=1)
        over = total > 1.0
        if over.any():  # scaled past 100% of revenue: scale the row back together
            shares[over] /= total[over, None]
            ai[over] /= total[over, None]
            total = np.nansum(shares, axis=1)
    out[share_cols] = shares
    out[ai_cols] = ai
    out["exposure_total"] = total
    ai_total = np.nansum(ai, axis=1)
    out["ai_exposure_total"] = ai_total
    if revenue is not None:
        out["revenue_usd"] = revenue
        if "ai_revenue_usd" in out.columns:
            out["ai_revenue_usd"] = revenue * ai_total


def _evidence_support(universe: Universe, scenario: Scenario, frame: pd.DataFrame,
                      shares: np.ndarray) -> np.ndarray:
    evidence = scenario_evidence(universe, scenario)
    by_layer, by_company = support(evidence, universe.as_of)
    layer_vector = np.array([by_layer.get(layer, 0.0) * scenario.scale_support.get(layer, 1.0)
                             for layer in universe.chain.ids])
    direct = np.zeros(len(frame))
    if by_company:
        rows = frame.index.get_indexer(list(by_company))
        found = rows >= 0
        direct[rows[found]] = np.array(list(by_company.values()))[found]
    values: np.ndarray = np.tanh(np.nan_to_num(shares) @ layer_vector + direct)
    return values


def frame_for(universe: Universe, frame: pd.DataFrame | None) -> pd.DataFrame:
    """The base frame: ``frame`` if given (it must be this universe's), else built once."""
    if frame is None:
        return universe.to_frame()
    missing = [t for t in universe.tickers if t not in frame.index]
    if missing:
        raise RuleError(f"the frame has no row for {missing[0]!r} of the universe",
                        item="scenarios", hint="pass the universe's own to_frame()")
    return frame


def describe_changes(scenario: Scenario) -> list[str]:
    """One short line per kind of override, for reports."""
    parts: list[str] = []
    if scenario.add_claims:
        parts.append("adds " + ", ".join(ev.id for ev in scenario.add_claims))
    if scenario.flip_claims:
        parts.append("flips " + ", ".join(scenario.flip_claims))
    if scenario.remove_claims:
        parts.append("removes " + ", ".join(scenario.remove_claims))
    for name, label in (("scale_exposure", "exposure"), ("scale_ai", "AI part"),
                        ("scale_support", "support")):
        factors: dict[str, Any] = getattr(scenario, name)
        if factors:
            parts.append(f"{label} x " + ", ".join(f"{k} {v:g}" for k, v in factors.items()))
    if scenario.weights:
        parts.append("weights " + ", ".join(f"{k}={v:g}" for k, v in scenario.weights.items()))
    for fig in scenario.figures:
        bits = [f"{k} {getattr(fig, k):g}" for k in ("share", "ai_share", "revenue_usd")
                if getattr(fig, k) is not None]
        parts.append(f"{fig.ticker}{' ' + fig.layer if fig.layer else ''}: " + ", ".join(bits))
    return parts
