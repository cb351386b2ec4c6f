"""Does a ranking rest on one fragile weight? Perturb every weight, rescore, compare.

A company's score is linear in the rule weights: ``score = sum(sign x weight x value)``,
with the values (and the gates) unchanged by a change of weights. So the pack is
screened once and every perturbed draw is rescored with one matrix product; the result
is the same as screening ``pack.with_weights(draw)`` again (the tests check this).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from scipy import stats

from thesis_lib.evaluate._common import EvaluationError
from thesis_lib.evaluate.results import StabilityResult
from thesis_lib.models import Universe
from thesis_lib.pipeline import screen
from thesis_lib.rules.pack import RulePack

_PAIR_BUDGET = 4_000_000
"""Pair x draw cells compared at once when computing Kendall's tau (bounds memory)."""


def kendall_tau_b(base: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Kendall's tau-b between ``base`` (m,) and each column of ``draws`` (m, k).

    Equal values are ties (tau-b corrects for them); NaN where either side is all tied.
    Matches :func:`scipy.stats.kendalltau` (variant ``"b"``) column by column.
    """
    m = len(base)
    i, j = np.triu_indices(m, 1)
    sb = np.sign(base[i] - base[j])
    sb_norm = float((sb * sb).sum())
    k = draws.shape[1]
    out = np.empty(k)
    chunk = max(1, _PAIR_BUDGET // max(len(i), 1))
    for a in range(0, k, chunk):
        block = draws[:, a:a + chunk]
        sd = np.sign(block[i] - block[j])
        num = sb @ sd
        den = np.sqrt(sb_norm * (sd * sd).sum(axis=0))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[a:a + chunk] = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return out


def rank_stability(
    pack: RulePack | str | os.PathLike[str],
    data: Universe | pd.DataFrame,
    *,
    noise: float = 0.1,
    n: int = 200,
    seed: int | None = 0,
    top: int = 10,
) -> StabilityResult:
    """How stable the ranking of ``data`` under ``pack`` is when the weights are uncertain.

    Each of ``n`` draws multiplies every scoring and penalty rule's weight by
    ``1 + noise x N(0, 1)`` (clipped at 0; gates have no weight), drawn from
    ``numpy.random.default_rng(seed)``, rescores the ranked companies and compares:
    Kendall's tau-b against the unperturbed scores, and whether each company ranks within
    the top ``top``. The same draws, applied to one rule at a time, give
    :attr:`StabilityResult.by_rule`. The same seed gives the same result.
    """
    if not np.isfinite(noise) or noise < 0:
        raise EvaluationError(f"noise={noise!r} must be a finite number >= 0", field="noise",
                              hint="a relative noise, e.g. 0.1 for about 10%")
    for name, value in (("n", n), ("top", top)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise EvaluationError(f"{name}={value!r} must be a whole number >= 1", field=name)
    result = screen(data, pack)
    pack = result.pack
    passed = ~result.excluded_mask
    if passed.sum() < 2:
        raise EvaluationError("fewer than two companies are ranked", field="data",
                              hint="a ranking needs at least two companies passing the gates")
    signs = np.array([r.sign for r in pack.rules])
    weights = np.array([r.weight for r in pack.rules])
    values = np.where(np.isfinite(result.value_matrix), result.value_matrix, 0.0)
    unit = (values * signs)[passed]
    scoring = np.flatnonzero(signs != 0)

    rng = np.random.default_rng(seed)
    factors = np.ones((n, len(weights)))
    factors[:, scoring] = np.clip(1.0 + noise * rng.standard_normal((n, len(scoring))),
                                  0.0, None)
    drawn = weights * factors
    base = np.round(unit @ weights, 12)
    scores = np.round(unit @ drawn.T, 12)
    taus = kendall_tau_b(base, scores)

    ranks = stats.rankdata(-scores, method="min", axis=0)
    in_top = ranks <= top
    base_top = stats.rankdata(-base, method="min") <= top
    same_top = float((in_top == base_top[:, None]).all(axis=0).mean())

    tickers = result.frame.index[passed]
    table = result.scores
    companies = pd.DataFrame({
        "rank": table.loc[tickers, "rank"].to_numpy(),
        "top_frequency": in_top.mean(axis=1),
        "mean_rank": ranks.mean(axis=1),
        "rank_low": np.quantile(ranks, 0.05, axis=1),
        "rank_high": np.quantile(ranks, 0.95, axis=1),
    }, index=pd.Index([str(t) for t in tickers], name="ticker"))
    if "name" in result.frame.columns:
        companies.insert(0, "name", result.frame.loc[tickers, "name"].to_numpy())
    companies = companies.sort_values(["rank", "mean_rank"], kind="stable")

    rows = []
    for j in scoring:
        alone = base[:, None] + unit[:, [j]] * (drawn[:, j] - weights[j])[None, :]
        tau_j = kendall_tau_b(base, np.round(alone, 12))
        finite = tau_j[np.isfinite(tau_j)]
        rows.append({"rule": pack.rules[j].id, "weight": weights[j],
                     "mean_tau": float(finite.mean()) if finite.size else np.nan,
                     "tau_low": float(np.quantile(finite, 0.05)) if finite.size else np.nan})
    by_rule = pd.DataFrame(rows).set_index("rule")
    draws = pd.DataFrame(drawn[:, scoring], columns=[pack.rules[j].id for j in scoring],
                         index=pd.RangeIndex(n, name="draw"))
    return StabilityResult(taus=taus, companies=companies, by_rule=by_rule, draws=draws,
                           noise=float(noise), n=n, seed=seed, top=top,
                           same_top_share=same_top)
