"""The functions a rule expression may call: the whitelist and its vectorized implementations.

Implementations work on whole columns (1-D float64 arrays; an argument may
also be a plain float) and follow the expression language's missing-value
rules: NaN means missing, and an infinite value counts as missing wherever it
could otherwise turn into an ordinary number (``min(x / 0, 5)`` is missing,
not 5). Element-wise functions are called as ``impl(out, *args)`` and write
into ``out``; cross-sectional ones (``pct_rank``, ``zscore``) as ``impl(x)``
and return a new array. See :class:`FunctionSpec`.

The layer functions (``exposure``, ``exposure_below``, ``exposure_favoured``, and the
same for ``ai_exposure`` and ``forward_exposure``; ``sales_to``, ``customers_in``) are in
the whitelist for documentation and arity checks only: they are resolved to columns of
the screening frame (see :data:`LAYER_FUNCTIONS`) when an expression is parsed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = ["FUNCTIONS", "LAYER_FUNCTIONS", "FunctionSpec", "pct_rank", "zscore"]

FloatArray: TypeAlias = npt.NDArray[np.float64]
#: A value inside the evaluator: a whole column, or a plain float for a constant.
Value: TypeAlias = FloatArray | float

_NAN = math.nan

#: Layer functions -> (frame column prefix, chain query or None). ``exposure("hbm")``
#: reads ``exposure_hbm``; ``exposure_below("accelerators", 1)`` sums the ``exposure_``
#: columns of the layers one step below; ``exposure_favoured("accelerators")`` those of
#: :meth:`SupplyChain.favoured <thesis_lib.SupplyChain.favoured>`.
LAYER_FUNCTIONS: Mapping[str, tuple[str, str | None]] = MappingProxyType({
    "exposure": ("exposure_", None),
    "exposure_below": ("exposure_", "below"),
    "exposure_favoured": ("exposure_", "favoured"),
    "ai_exposure": ("ai_exposure_", None),
    "ai_exposure_below": ("ai_exposure_", "below"),
    "ai_exposure_favoured": ("ai_exposure_", "favoured"),
    "forward_exposure": ("forward_exposure_", None),
    "forward_exposure_favoured": ("forward_exposure_", "favoured"),
    "sales_to": ("sales_to_", None),
    "customers_in": ("customers_in_", None),
})


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One whitelisted function.

    ``min_args``/``max_args`` bound the number of positional arguments
    (``max_args`` is ``None`` for "any number"). ``cross_sectional`` functions
    look at the whole column (every company screened), so their result for one
    company depends on the others; their ``impl(x)`` takes one full column and
    returns a new array. The other functions work element by element: their
    ``impl(out, *args)`` writes into ``out`` (an array of the column length
    that may be the first argument itself, but no other) and returns it.
    ``accepts_text`` functions may be given a text column. ``parse_time``
    functions are replaced by columns when an expression is parsed and have
    no implementation.
    """

    name: str
    min_args: int
    max_args: int | None
    signature: str
    doc: str
    cross_sectional: bool = False
    accepts_text: bool = False
    parse_time: bool = False
    impl: Callable[..., FloatArray] | None = None

    def arity(self) -> str:
        """How many arguments the function takes, in words."""
        if self.max_args is None:
            return f"{self.min_args} or more arguments"
        if self.min_args == self.max_args:
            plural = "" if self.min_args == 1 else "s"
            return f"exactly {self.min_args} argument{plural}"
        return f"{self.min_args} to {self.max_args} arguments"


def finite_or_nan(x: Value) -> Value:
    """``x`` with every infinite value replaced by NaN (a copy only if something changed)."""
    if isinstance(x, np.ndarray):
        bad = np.isinf(x)
        if bad.any():
            return np.where(bad, _NAN, x)
        return x
    return x if math.isfinite(x) else _NAN


def infinite_mask(*values: Value) -> npt.NDArray[np.bool_] | bool:
    """Where any of ``values`` is infinite: a bool array, or True/False for "all"/"nowhere"."""
    mask: npt.NDArray[np.bool_] | None = None
    for x in values:
        if isinstance(x, np.ndarray):
            bad = np.isinf(x)
            if bad.any():
                mask = bad if mask is None else np.logical_or(mask, bad, out=mask)
        elif math.isinf(x):
            return True
    return False if mask is None else mask


def set_where(out: FloatArray, mask: npt.NDArray[np.bool_] | bool, value: float) -> FloatArray:
    """Write ``value`` into ``out`` where ``mask`` (True: everywhere; False: nowhere)."""
    if mask is True:
        out.fill(value)
    elif mask is not False:
        np.copyto(out, value, where=mask)
    return out


def _extreme(ufunc: np.ufunc, out: FloatArray, args: tuple[Value, ...]) -> FloatArray:
    bad = infinite_mask(*args)  # before ``out`` (maybe args[0]) is overwritten
    ufunc(args[0], args[1], out=out)
    for arg in args[2:]:
        ufunc(out, arg, out=out)
    return set_where(out, bad, _NAN)


def _min(out: FloatArray, *args: Value) -> FloatArray:
    return _extreme(np.minimum, out, args)


def _max(out: FloatArray, *args: Value) -> FloatArray:
    return _extreme(np.maximum, out, args)


def _abs(out: FloatArray, x: Value) -> FloatArray:
    return np.abs(x, out=out)


def _log(out: FloatArray, x: Value) -> FloatArray:
    return np.log(x, out=out)


def _sqrt(out: FloatArray, x: Value) -> FloatArray:
    return np.sqrt(x, out=out)


def _clip(out: FloatArray, x: Value, lo: Value, hi: Value) -> FloatArray:
    bad = infinite_mask(x, lo, hi)
    np.maximum(x, lo, out=out)
    np.minimum(out, hi, out=out)
    return set_where(out, bad, _NAN)


def _is_missing(out: FloatArray, x: Value) -> FloatArray:
    if isinstance(x, np.ndarray):
        finite = np.isfinite(x)
        np.copyto(out, np.logical_not(finite, out=finite))
    else:
        out.fill(0.0 if math.isfinite(x) else 1.0)
    return out


def _fill(out: FloatArray, x: Value, value: Value) -> FloatArray:
    if not isinstance(x, np.ndarray):
        np.copyto(out, x if math.isfinite(x) else finite_or_nan(value))
        return out
    missing = np.isfinite(x)
    np.logical_not(missing, out=missing)
    if out is not x:
        np.copyto(out, x)
    np.copyto(out, finite_or_nan(value), where=missing)
    return out


_SIGN_BIT = np.uint64(1 << 63)


def _sorted_order(values: FloatArray) -> npt.NDArray[np.intp]:
    """Indices that sort ``values`` (no NaN) ascending: an LSD radix sort, 16 bits a pass.

    Each float is mapped to an unsigned integer with the same order (flip every
    bit of negatives, only the sign bit of the rest); numpy's stable argsort of
    16-bit keys is a radix sort, so four passes sort in O(n), faster than one
    comparison argsort of the floats. Digits equal for every value are skipped.
    """
    keys = np.right_shift(values.view(np.int64), 63).view(np.uint64)  # all ones if negative
    np.bitwise_or(keys, _SIGN_BIT, out=keys)
    np.bitwise_xor(keys, values.view(np.uint64), out=keys)
    digits = keys.view(np.uint16).reshape(-1, 4)
    if not np.little_endian:  # pragma: no cover - put the least significant digit first
        digits = digits[:, ::-1]
    order: npt.NDArray[np.intp] | None = None
    spare: npt.NDArray[np.intp] | None = None
    for j in range(4):
        digit = digits[:, j] if order is None else digits[order, j]
        if digit.min() == digit.max():
            continue
        step = np.argsort(digit, kind="stable")
        if order is None:
            order = step
        else:
            composed = np.take(order, step, out=spare)
            spare, order = order, composed
    if order is None:
        return np.arange(values.size)
    return order


def pct_rank(x: FloatArray) -> FloatArray:
    """Percentile rank in (0, 1] over the finite values of ``x``; ties get their average rank.

    The smallest value ranks ``1/k`` (``k`` finite values), the largest ``1``;
    NaN and infinite values stay missing.
    """
    valid = np.isfinite(x)
    everything = bool(valid.all())
    values = np.ascontiguousarray(x) if everything else x[valid]
    k = values.size
    out = np.empty(x.shape) if everything else np.full(x.shape, _NAN)
    if k == 0:
        return out
    order = _sorted_order(values)
    ordered = values[order]
    starts_group = np.empty(k, dtype=bool)
    starts_group[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts_group[1:])
    starts = np.flatnonzero(starts_group)
    sizes = np.diff(starts, append=k)
    # ranks start+1 .. start+size share the average start + (size + 1) / 2, divided by k
    average = (2 * starts + sizes + 1) / (2.0 * k)
    ranked = np.repeat(average, sizes)  # the rank of each value in sorted order
    if everything:
        out[order] = ranked
    else:
        ranks = np.empty(k)
        ranks[order] = ranked
        out[valid] = ranks
    return out


def zscore(x: FloatArray) -> FloatArray:
    """``(x - mean) / std`` over the finite values of ``x`` (population std).

    0 where all finite values are equal (or the std underflows to 0); all
    missing if the std overflows; NaN and infinite values stay missing. The mean and
    the sum of squares are summed over the values in sorted order, so the order of the
    rows never changes a bit of the result.
    """
    valid = np.isfinite(x)
    everything = bool(valid.all())
    values = x if everything else x[valid]
    k = values.size
    if k == 0 or values.max() == values.min():
        out = np.full(x.shape, 0.0 if k else _NAN)
    else:
        ordered = np.sort(values)  # a canonical order: the same for any row order
        mean = float(ordered.sum()) / k
        np.subtract(ordered, mean, out=ordered)
        std = math.sqrt(float(np.square(ordered, out=ordered).sum()) / k)
        out = np.subtract(x, mean)
        if not math.isfinite(std):
            out.fill(_NAN)
        elif std > 0.0:
            out /= std
        else:
            out.fill(0.0)
    if not everything:
        np.copyto(out, _NAN, where=np.logical_not(valid, out=valid))
    return out


def _spec(
    name: str,
    min_args: int,
    max_args: int | None,
    signature: str,
    doc: str,
    impl: Callable[..., FloatArray] | None = None,
    **flags: bool,
) -> tuple[str, FunctionSpec]:
    return name, FunctionSpec(name, min_args, max_args, signature, doc, impl=impl, **flags)


FUNCTIONS: Mapping[str, FunctionSpec] = MappingProxyType(
    dict(
        [
            _spec(
                "exposure",
                1,
                1,
                'exposure("layer")',
                "Revenue share (0..1) a company earns from one supply-chain layer.",
                parse_time=True,
            ),
            _spec(
                "exposure_below",
                2,
                2,
                'exposure_below("layer", depth)',
                "Summed revenue share from the layers exactly `depth` supply steps below a layer.",
                parse_time=True,
            ),
            _spec(
                "ai_exposure",
                1,
                1,
                'ai_exposure("layer")',
                "The AI/data-centre-driven part of a layer's revenue share: share x ai_share.",
                parse_time=True,
            ),
            _spec(
                "ai_exposure_below",
                2,
                2,
                'ai_exposure_below("layer", depth)',
                "Summed AI-driven revenue share from the layers `depth` steps below a layer.",
                parse_time=True,
            ),
            _spec(
                "exposure_favoured",
                1,
                1,
                'exposure_favoured("layer")',
                "Summed revenue share from the layers value moves to from `layer`.",
                parse_time=True,
            ),
            _spec(
                "ai_exposure_favoured",
                1,
                1,
                'ai_exposure_favoured("layer")',
                "Summed AI-driven revenue share from the layers value moves to from `layer`.",
                parse_time=True,
            ),
            _spec(
                "forward_exposure_favoured",
                1,
                1,
                'forward_exposure_favoured("layer")',
                "Summed forward AI-driven share in the layers value moves to from `layer`.",
                parse_time=True,
            ),
            _spec(
                "forward_exposure",
                1,
                1,
                'forward_exposure("layer")',
                "Expected AI-driven revenue share from dated forward figures (0..1).",
                parse_time=True,
            ),
            _spec(
                "sales_to",
                1,
                1,
                'sales_to("layer")',
                "Reported share of revenue from linked customers whose main layer is `layer`.",
                parse_time=True,
            ),
            _spec(
                "customers_in",
                1,
                1,
                'customers_in("layer")',
                "Number of linked customers whose main layer is `layer`.",
                parse_time=True,
            ),
            _spec("min", 2, None, "min(a, b, ...)", "Elementwise minimum.", _min),
            _spec("max", 2, None, "max(a, b, ...)", "Elementwise maximum.", _max),
            _spec("abs", 1, 1, "abs(x)", "Absolute value.", _abs),
            _spec("log", 1, 1, "log(x)", "Natural logarithm (missing for x <= 0).", _log),
            _spec("sqrt", 1, 1, "sqrt(x)", "Square root (missing for x < 0).", _sqrt),
            _spec("clip", 3, 3, "clip(x, lo, hi)", "x limited to the range lo..hi.", _clip),
            _spec(
                "pct_rank",
                1,
                1,
                "pct_rank(x)",
                "Percentile rank in (0, 1] among all companies screened; ties share the average.",
                pct_rank,
                cross_sectional=True,
            ),
            _spec(
                "zscore",
                1,
                1,
                "zscore(x)",
                "(x - mean) / std among all companies screened; 0 if all values are equal.",
                zscore,
                cross_sectional=True,
            ),
            _spec(
                "is_missing",
                1,
                1,
                "is_missing(x)",
                "1 where x is missing (NaN, infinite or empty text), else 0; never missing.",
                _is_missing,
                accepts_text=True,
            ),
            _spec(
                "fill",
                2,
                2,
                "fill(x, value)",
                "x, with missing or infinite values replaced by value.",
                _fill,
            ),
        ]
    )
)
