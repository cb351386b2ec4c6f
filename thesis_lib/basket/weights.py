"""Capped weights: proportional to a base, within per-name and per-group bounds, summing to 1.

The weights :func:`capped_weights` returns are the unique solution of

    w_i = clip(min(s, s_g(i)) * base_i, floor, cap)        with sum(w) = 1

where ``s`` is one scale shared by the whole basket and ``s_g`` is the scale at which group
``g`` (a layer) reaches its cap (infinite for a group that never does). In words: every
name gets its base share; a name above the name cap is cut to the cap and a name below the
floor is raised to it, the difference being taken from or given to the names still free
in proportion to their base; a group above its cap is cut to the cap, its names sharing
the cap in proportion to their base (within the name bounds), and what it gave up goes to
the other groups in proportion to their base. Index providers call this capping with
proportional redistribution.

It is computed by iterating until no weight breaks a bound, pinning at each step only the
bounds that the final solution is sure to hit, so the loop ends after at most one step per
name (names) and one per group (groups), and the result does not depend on row order:

- names: spread the free weight over the free names in proportion to their base. If the
  excess above the cap is at least the shortfall below the floor, the common scale can
  only go up from here, so every name above the cap is pinned at the cap (and the other
  way round for the floor); then spread again.
- groups: weight the names of the free groups as above. Pinning a group above its cap at
  its cap frees weight, so the common scale only goes up and every group above its cap now
  stays capped: pin them all, weight each one's names within its cap, and repeat with the
  weight that is left.

Before any of that, :func:`capped_weights` checks that the bounds can be met at all: ``n``
names with cap ``c`` hold at most ``n x c``; each group holds at most ``min(L_g, n_g x c)``;
floors need ``n x f`` in total and ``n_g x f`` within each group. When they cannot,
:class:`~thesis_lib.basket.errors.BasketError` says which bound fails and what would fix it.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

from thesis_lib._format import pct
from thesis_lib.basket.errors import BasketError
from thesis_lib.errors import Problem

__all__ = ["capped_weights"]

#: Slack allowed on a bound before it counts as broken (weights are fractions of 1).
TOL = 1e-12

# Which bound set a weight (see :func:`solve`).
FREE, AT_CAP, AT_FLOOR, GROUP_CAPPED = 0, 1, -1, 2


def capped_weights(
    base: pd.Series | Sequence[float] | np.ndarray,
    *,
    cap: float | None = None,
    floor: float = 0.0,
    groups: Sequence[Hashable] | pd.Series | None = None,
    group_cap: float | Mapping[Hashable, float] | None = None,
) -> pd.Series | np.ndarray:
    """Weights proportional to ``base`` that respect every bound and sum to 1.

    ``base`` holds positive numbers (scores, market caps, ones for equal weight). ``cap``
    and ``floor`` bound every weight; ``groups`` gives each name's group (e.g. its layer;
    a missing label is a group of its own) and ``group_cap`` the most a group may hold,
    one number for every group or a mapping group -> cap (groups left out are uncapped).
    See the module docstring for the exact rule and the algorithm.

    Returns a Series on ``base``'s index when ``base`` is a Series, else an array.
    Raises :class:`~thesis_lib.basket.errors.BasketError` for bad input and for bounds
    that no weights can meet (for example 10 names with a 5% cap).
    """
    values = _as_base(base)
    n = len(values)
    upper = _bound(cap, "cap", default=1.0)
    lower = _bound(floor, "floor", default=0.0, allow_zero=True)
    labels: np.ndarray | None = None
    names: list[Hashable] = []
    caps = np.empty(0)
    if groups is not None:
        raw = groups.to_numpy(dtype=object) if isinstance(groups, pd.Series) else \
            np.asarray(list(groups), dtype=object)
        if len(raw) != n:
            raise BasketError(f"{len(raw)} group labels for {n} weights", field="groups",
                              hint="give one group label per name")
        codes, uniques = pd.factorize(raw, use_na_sentinel=False)
        labels = np.asarray(codes, dtype=np.int64)
        names = list(uniques)
        caps = _group_caps(group_cap, names)
    elif group_cap is not None:
        raise BasketError("group_cap given without groups", field="group_cap",
                          hint="pass groups=..., one label per name")
    problems = feasibility_problems(
        n, upper, lower, labels=labels, group_names=names, group_caps=caps)
    if problems:
        raise BasketError(problems)
    weights, _ = solve(values, upper, lower, labels, caps)
    if isinstance(base, pd.Series):
        return pd.Series(weights, index=base.index, name="weight")
    return weights


def _as_base(base: pd.Series | Sequence[float] | np.ndarray) -> np.ndarray:
    try:
        values = np.asarray(base, dtype=np.float64)
    except (TypeError, ValueError):
        raise BasketError("base weights must be numbers", field="base") from None
    if values.ndim != 1:
        raise BasketError(f"base weights must be one-dimensional, got shape {values.shape}",
                          field="base")
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        raise BasketError(
            f"{int(bad.sum())} base weight(s) are missing, zero, negative or infinite",
            field="base", hint="base weights must be positive numbers; drop those names first")
    return values


def _bound(value: float | None, name: str, *, default: float, allow_zero: bool = False) -> float:
    if value is None:
        return default
    v = float(value)
    low_ok = v >= 0 if allow_zero else v > 0
    if not (math.isfinite(v) and low_ok and v <= 1):
        interval = "[0, 1]" if allow_zero else "(0, 1]"
        raise BasketError(f"{name} must be a fraction in {interval}, got {value!r}", field=name,
                          hint="write 0.10 for 10%")
    return v


def _group_caps(group_cap: float | Mapping[Hashable, float] | None,
                names: Sequence[Hashable]) -> np.ndarray:
    if group_cap is None:
        return np.full(len(names), np.inf)
    if isinstance(group_cap, Mapping):
        out = np.full(len(names), np.inf)
        for i, name in enumerate(names):
            if name in group_cap:
                out[i] = _bound(group_cap[name], f"group_cap[{name!r}]", default=1.0)
        return out
    return np.full(len(names), _bound(group_cap, "group_cap", default=1.0))


def feasibility_problems(
    n: int,
    cap: float,
    floor: float,
    *,
    labels: np.ndarray | None = None,
    group_names: Sequence[Hashable] = (),
    group_caps: np.ndarray | None = None,
    cap_field: str = "cap",
    floor_field: str = "floor",
    group_field: str = "group_cap",
    group_word: str = "group",
) -> list[Problem]:
    """Every reason why no weights meet these bounds; [] when some do.

    The conditions are exact: with names ``n`` (``n_g`` per group), name cap ``c``, floor
    ``f`` and group caps ``L_g``, weights exist iff ``f <= c``, ``n x f <= 1``,
    ``n_g x f <= L_g`` for every group, and ``sum_g min(L_g, n_g x c) >= 1``.
    """
    if n == 0:
        return [Problem("no names to weight", hint="select at least one name")]
    if floor > cap + TOL:
        return [Problem(f"the name floor {pct(floor)} is above the name cap {pct(cap)}",
                        field=floor_field, hint="lower the floor or raise the cap")]
    problems: list[Problem] = []
    if n * floor > 1 + TOL:
        problems.append(Problem(
            f"{n} names with a {pct(floor)} floor need {pct(n * floor)} of the basket",
            field=floor_field,
            hint=f"lower the floor to at most {pct(1 / n)} or select at most "
                 f"{math.floor(1 / floor + 1e-9)} names"))
    if n * cap < 1 - TOL:
        problems.append(Problem(
            f"{n} names with a {pct(cap)} name cap can hold at most {pct(n * cap)} of the "
            "basket", field=cap_field,
            hint=f"select at least {math.ceil(1 / cap - 1e-9)} names or raise the cap to at "
                 f"least {pct(1 / n)}"))
    if labels is None or group_caps is None or problems:
        return problems
    counts = np.bincount(labels, minlength=len(group_names))
    for g, name in enumerate(group_names):
        if counts[g] * floor > group_caps[g] + TOL:
            problems.append(Problem(
                f"{group_word} {_label(name)!r}: {counts[g]} names with a {pct(floor)} floor "
                f"need {pct(counts[g] * floor)}, above its {pct(group_caps[g])} cap",
                field=group_field, hint="lower the floor, raise the cap or select fewer names "
                                        f"from this {group_word}"))
    room = np.minimum(group_caps, counts * cap)
    if not problems and room.sum() < 1 - TOL:
        parts = ", ".join(f"{_label(name)} {pct(room[g])}" for g, name in enumerate(group_names))
        problems.append(Problem(
            f"the caps let the basket hold at most {pct(float(room.sum()))} "
            f"({len(group_names)} {group_word}s: {parts})", field=group_field,
            hint=f"raise the {group_word} cap, or select names from more {group_word}s"))
    return problems


def _label(name: Hashable) -> str:
    return "unassigned" if name is None or (isinstance(name, float) and math.isnan(name)) \
        or name is pd.NA else str(name)


def solve(
    base: np.ndarray,
    cap: float,
    floor: float,
    labels: np.ndarray | None = None,
    group_caps: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The capped weights and, per name, which bound set it (FREE, AT_CAP, AT_FLOOR,
    GROUP_CAPPED). Assumes :func:`feasibility_problems` found nothing."""
    if labels is None or group_caps is None or not np.isfinite(group_caps).any():
        return _fill(base, 1.0, floor, cap)
    n_groups = len(group_caps)
    pinned = np.zeros(n_groups, dtype=bool)
    weights = np.empty(len(base))
    state = np.zeros(len(base), dtype=np.int8)
    for _ in range(n_groups + 1):
        free = ~pinned[labels]
        rest = 1.0 - float(group_caps[pinned].sum())
        if not free.any():
            break
        w, s = _fill(base[free], rest, floor, cap)
        weights[free] = w
        state[free] = s
        totals = np.bincount(labels[free], weights=w, minlength=n_groups)
        over = ~pinned & (totals > group_caps + TOL)
        if not over.any():
            break
        for g in np.flatnonzero(over):
            members = labels == g
            wg, sg = _fill(base[members], float(group_caps[g]), floor, cap)
            weights[members] = wg
            state[members] = np.where(sg == FREE, GROUP_CAPPED, sg)
        pinned |= over
    if abs(weights.sum() - 1.0) > 1e-9:
        raise BasketError(f"the weights did not converge (they sum to {weights.sum():.12f})",
                          hint="this is a bug in thesis-lib; please report it with the inputs")
    return weights, state


def _fill(base: np.ndarray, total: float, floor: float, cap: float) -> tuple[np.ndarray,
                                                                            np.ndarray]:
    """Names only: weights proportional to ``base`` within [floor, cap] summing to ``total``."""
    n = len(base)
    state = np.zeros(n, dtype=np.int8)
    weights = np.zeros(n)
    for _ in range(n + 1):
        free = state == FREE
        if not free.any():
            break
        rest = total - cap * np.count_nonzero(state == AT_CAP) \
            - floor * np.count_nonzero(state == AT_FLOOR)
        b = base[free]
        weights[free] = max(rest, 0.0) * b / b.sum()
        over = free & (weights > cap + TOL)
        under = free & (weights < floor - TOL)
        if not (over.any() or under.any()):
            break
        excess = float((weights[over] - cap).sum())
        shortfall = float((floor - weights[under]).sum())
        # More weight above the cap than missing below the floor: the common scale can only
        # rise from here, so the names above the cap stay capped (and vice versa).
        if excess >= shortfall:
            state[over] = AT_CAP
        if shortfall >= excess:
            state[under] = AT_FLOOR
    weights[state == AT_CAP] = cap
    weights[state == AT_FLOOR] = floor
    return np.clip(weights, floor, cap), state
