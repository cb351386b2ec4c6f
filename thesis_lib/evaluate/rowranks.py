"""Ranks and Spearman correlations for every row of a date x ticker panel at once.

One sort per panel instead of one :func:`scipy.stats.spearmanr` call per date: the
ranks are average ranks over each row's usable cells (ties share the mean of their
positions, as :func:`scipy.stats.rankdata` gives), and the p-value is Spearman's
t-test with ``n - 2`` degrees of freedom, as scipy computes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


def average_ranks(values: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """1-based average ranks of ``values`` along each row, over the ``usable`` cells only.

    ``values`` and ``usable`` are 2-D and the same shape; cells that are not usable get
    NaN. Ties (equal values in one row) share the mean of the positions they cover.
    """
    order, sorted_ranks = sorted_average_ranks(values, usable)
    ranks = np.empty(values.shape)
    np.put_along_axis(ranks, order, sorted_ranks, axis=1)
    ranks[~usable] = np.nan
    return ranks


def sorted_average_ranks(values: np.ndarray, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's sort order (usable cells first, ascending) and the average ranks in that
    order; positions past a row's usable cells hold meaningless ranks."""
    rows, cols = values.shape
    keyed = np.where(usable, values, np.inf)
    order = np.argsort(keyed, axis=1)
    if rows == 0 or cols == 0:
        return order, np.empty(values.shape)
    ordered = np.take_along_axis(keyed, order, axis=1)
    tied = (ordered[:, 1:] == ordered[:, :-1]) & np.isfinite(ordered[:, 1:])
    with_ties = np.flatnonzero(tied.any(axis=1))
    positions = np.arange(1.0, cols + 1.0)
    if not len(with_ties):  # a cell's rank is its position in the sorted row
        return order, np.broadcast_to(positions, values.shape)
    sorted_ranks = np.tile(positions, (rows, 1))
    sorted_ranks[with_ties] = _tied_ranks(tied[with_ties])
    return order, sorted_ranks


def _tied_ranks(tied: np.ndarray) -> np.ndarray:
    """Ranks of sorted rows where ``tied[:, j]`` says cell ``j + 1`` equals cell ``j``."""
    cols = tied.shape[1] + 1
    starts = np.ones((tied.shape[0], cols), dtype=bool)
    starts[:, 1:] = ~tied
    flat_starts = np.flatnonzero(starts)
    sizes = np.diff(np.append(flat_starts, starts.size))
    block_rank = flat_starts % cols + (sizes + 1) / 2.0  # 1-based mean position of a block
    return np.repeat(block_rank, sizes).reshape(starts.shape)


@dataclass(frozen=True)
class RowSpearman:
    """Per-row Spearman results: ``rho`` and ``p_value`` (NaN where not computed), ``n``
    usable pairs, and whether each side is constant over those pairs (only known for
    rows with enough pairs; True elsewhere)."""

    rho: np.ndarray
    p_value: np.ndarray
    n: np.ndarray
    x_constant: np.ndarray
    y_constant: np.ndarray


def spearman_rows(x: np.ndarray, y: np.ndarray, *, min_names: int) -> RowSpearman:
    """Spearman's rho of ``x`` against ``y`` in every row, over pairs finite on both sides.

    Rows with fewer than ``min_names`` pairs, or with either side constant, get NaN.
    """
    usable = np.isfinite(x) & np.isfinite(y)
    n = usable.sum(axis=1)
    ranked = n >= max(min_names, 3)
    rows = slice(None) if ranked.all() else ranked
    centre = (n[ranked, None] + 1) / 2.0
    inside = np.arange(x.shape[1]) < n[ranked, None]  # sorted positions of usable cells
    x_order, x_ranks = sorted_average_ranks(x[rows], usable[rows])
    dx_sorted = np.where(inside, x_ranks - centre, 0.0)
    dx = np.empty(dx_sorted.shape)
    np.put_along_axis(dx, x_order, dx_sorted, axis=1)  # centred x ranks, in place order
    y_order, y_ranks = sorted_average_ranks(y[rows], usable[rows])
    dy_sorted = np.where(inside, y_ranks - centre, 0.0)
    dx_by_y = np.take_along_axis(dx, y_order, axis=1)  # x's ranks, paired in y's order
    sxx = np.einsum("ij,ij->i", dx_sorted, dx_sorted)
    syy = np.einsum("ij,ij->i", dy_sorted, dy_sorted)
    x_constant = np.ones(len(n), dtype=bool)
    y_constant = np.ones(len(n), dtype=bool)
    x_constant[ranked] = sxx == 0.0  # every rank is the centre: all values tied
    y_constant[ranked] = syy == 0.0
    rho = np.full(len(n), np.nan)
    p_value = np.full(len(n), np.nan)
    spread = (sxx > 0.0) & (syy > 0.0)
    if spread.any():
        pick = slice(None) if spread.all() else spread
        num = np.einsum("ij,ij->i", dx_by_y[pick], dy_sorted[pick])
        r = np.clip(num / np.sqrt(sxx[spread] * syy[spread]), -1.0, 1.0)
        dof = n[ranked][spread] - 2.0
        with np.errstate(divide="ignore", invalid="ignore"):
            t = r * np.sqrt((dof / ((r + 1.0) * (1.0 - r))).clip(0))
        computed = np.flatnonzero(ranked)[spread]
        rho[computed] = r
        p_value[computed] = np.minimum(2.0 * stats.t.sf(np.abs(t), dof), 1.0)
    return RowSpearman(rho=rho, p_value=p_value, n=n, x_constant=x_constant,
                       y_constant=y_constant)


@dataclass(frozen=True)
class RowQuantiles:
    """Per-row quantile buckets: ``bucket`` (1..q, 0 for a cell in no bucket), ``n`` usable
    cells, ``all_equal`` (at least one usable cell, all of them equal) and ``usable_row``
    (at least ``min_names`` usable cells and two distinct values: the rows bucketed)."""

    bucket: np.ndarray
    n: np.ndarray
    all_equal: np.ndarray
    usable_row: np.ndarray


def quantile_rows(values: np.ndarray, usable: np.ndarray, q: int, *,
                  min_names: int) -> RowQuantiles:
    """Quantile buckets 1..q of ``values`` along each row, over the ``usable`` cells.

    The rule (the same one :func:`~thesis_lib.evaluate.quantile_returns` documents):

    1. tied values form one group and always share a bucket;
    2. a group whose mean 0-based sorted position is ``m`` among ``n`` usable cells sits at
       ``u = m / (n - 1)`` in [0, 1] and goes to bucket ``ceil(u * q)`` (at least 1): the
       bucket of :func:`pandas.qcut` for untied values;
    3. a group exactly on an inner boundary (``u * q`` a whole number ``k``) goes to the
       side nearer the middle: bucket ``k + 1`` when ``k < q / 2``, ``k`` when
       ``k > q / 2``, and to no bucket when ``k = q / 2`` (even ``q``: either side would
       break the symmetry);
    4. the lowest group always goes to bucket 1 and the highest to bucket ``q``.

    Each step maps a row's mirror image (values negated) to the mirrored buckets
    ``q + 1 - b``, so negating the values negates a top-minus-bottom spread exactly.
    ``u * q`` is ``2m * q / (2(n - 1))``, a quotient of whole numbers below 2**53, so a
    boundary is hit exactly or missed by at least ``1 / (2(n - 1))``: no rounding decides
    one. Rows with fewer than ``min_names`` usable cells or a single distinct value get no
    buckets. Uses the one sort of :func:`sorted_average_ranks`.
    """
    rows, cols = values.shape
    n = usable.sum(axis=1).astype(np.int64)
    bucket = np.zeros(values.shape, dtype=np.int64)
    if rows == 0 or cols == 0:
        empty = np.zeros(rows, dtype=bool)
        return RowQuantiles(bucket=bucket, n=n, all_equal=empty, usable_row=empty)
    order, ranks = sorted_average_ranks(values, usable)
    last = np.maximum(n - 1, 0)
    first_rank = ranks[:, 0]
    last_rank = ranks[np.arange(rows), last]
    all_equal = (n > 0) & (first_rank == last_rank)  # one group holds every usable cell
    usable_row = (n >= max(min_names, 2)) & ~all_equal
    # u * q = (twice the mean 0-based position) * q / (2 (n - 1)), exactly rounded
    scaled = (ranks - 1.0) * (2.0 * q)
    scaled /= np.maximum(2.0 * (n - 1), 1.0)[:, None]
    sorted_bucket = np.ceil(scaled)
    on_edge = np.flatnonzero(sorted_bucket == scaled)  # u * q a whole number k
    k = scaled.flat[on_edge]
    sorted_bucket.flat[on_edge] = np.where(2.0 * k < q, k + 1.0, np.where(2.0 * k > q, k, 0.0))
    ends = np.flatnonzero(usable_row & ((first_rank > 1.0) | (last_rank < n)))  # tied ends
    if len(ends):
        part = ranks[ends]
        chosen = sorted_bucket[ends]
        chosen[part == first_rank[ends, None]] = 1.0
        chosen[part == last_rank[ends, None]] = float(q)
        sorted_bucket[ends] = chosen
    sorted_bucket[np.arange(cols) >= np.where(usable_row, n, 0)[:, None]] = 0.0
    np.put_along_axis(bucket, order, sorted_bucket.astype(np.int64), axis=1)
    return RowQuantiles(bucket=bucket, n=n, all_equal=all_equal, usable_row=usable_row)
