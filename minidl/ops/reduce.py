"""Reductions: sum (the primitive), mean and var (composed), max/min (values and indices), and
the vector norms (the 2-norm a primitive, the others composed).

Reducing removes axes; the backward puts them back. Sum's gradient is the incoming gradient
copied to every element that was summed (broadcast back). Max/min send the gradient only to the
selected element; a full reduction with ties splits it evenly among the tied elements. NaN
counts as the largest and the smallest value, as in PyTorch: a max over NaNs is NaN, and its
gradient goes to the NaN (split among them, for a full reduction).

The functions take PyTorch's spellings: ``axis=`` for ``dim=``, ``keepdims=`` for ``keepdim=``,
``out=`` (``minidl/ops/arguments.py``).

Read next: ``softmax.py`` (logsumexp, softmax, log_softmax).
"""
from __future__ import annotations

import math
import warnings
from collections import namedtuple

import numpy as np

from minidl import backend
from minidl.errors import DimError, ShapeError
from minidl.function import Function
from minidl.ops.arguments import dim_alias, keepdim_alias, write_out
from minidl.ops.compare import maximum, minimum, where
from minidl.ops.dims import normalize_dim, normalize_dims
from minidl.ops.dtype_checks import require_float
from minidl.ops.shape import broadcast_to, permute, reshape
from minidl.ops.unary import abs, sqrt
from minidl.tensor import Tensor


class values_indices(namedtuple("values_indices", ["values", "indices"])):
    """What ``max(dim)`` and ``min(dim)`` return: ``(values, indices)``, by position or name,
    printed as PyTorch prints its ``torch.return_types.max``."""

    __slots__ = ()
    op = "values_indices"

    def __repr__(self) -> str:
        return (f"minidl.return_types.{self.op}(\nvalues={self.values!r},\n"
                f"indices={self.indices!r})")


class _MaxResult(values_indices):
    __slots__ = ()
    op = "max"


class _MinResult(values_indices):
    __slots__ = ()
    op = "min"


def _kept_shape(shape, axes):
    """The shape a reduction over ``axes`` has with keepdim=True."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """y = sum of x over ``axes``;  gx = gy broadcast back over the summed axes"""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.in_shape, ctx.axes = x.shape, axes
        return x.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, gy):
        gy = reshape(gy, _kept_shape(ctx.in_shape, ctx.axes))
        return broadcast_to(gy, ctx.in_shape), None, None


class Extremum(Function):
    """y = max (or min) of x over ``axis`` (all axes if None);
    gx = gy at the selected element (split evenly among ties for a full reduction)"""

    @staticmethod
    def forward(ctx, x, axis, keepdim, largest):
        xp = backend.get_array_module(x)
        ctx.in_shape, ctx.axis = x.shape, axis
        if axis is None:
            y = x.max() if largest else x.min()
            ties = (x == y) | (xp.isnan(x) & xp.isnan(y))  # (NaN != NaN: a NaN max ties NaNs)
            share = ties / ties.sum()
        else:
            index = (x.argmax if largest else x.argmin)(axis=axis, keepdims=True)
            y = xp.take_along_axis(x, index, axis)
            y = y if keepdim else xp.squeeze(y, axis)
            share = xp.zeros(x.shape, dtype=x.dtype)
            xp.put_along_axis(share, index, 1, axis)
        ctx.save_for_backward(share.astype(x.dtype, copy=False))
        return y

    @staticmethod
    def backward(ctx, gy):
        share, = ctx.saved_tensors
        axes = None if ctx.axis is None else (ctx.axis,)
        gy = reshape(gy, _kept_shape(ctx.in_shape, axes))
        return gy * share, None, None, None


class Norm2(Function):
    """y = sqrt(sum of x^2 over ``axes``);  gx = gy x / y  (0 where y = 0, as in PyTorch)

    A primitive rather than sqrt(sum(x * x)), whose derivative at x = 0 is 0 * inf = NaN."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.axes = axes
        y = backend.get_array_module(x).sqrt((x * x).sum(axis=axes, keepdims=keepdim))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        kept = _kept_shape(x.shape, ctx.axes)
        y = reshape(y, kept)
        # x / y, with 1 in place of y = 0: the slices where y = 0 hold only zeros, so x / 1 is
        # the gradient 0 there, and the rule stays differentiable (for double backward)
        return reshape(gy, kept) * x / where(y == 0, 1.0, y), None, None


def sum(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out=None, axis=None,
        keepdims=None) -> Tensor:
    """Sum over ``dim`` (an int, a tuple, or None for all). Bool and int tensors sum to int64;
    ``dtype`` converts x first."""
    dim, keepdim = dim_alias("sum", dim, axis), keepdim_alias(keepdim, keepdims)
    axes = normalize_dims(dim, x.ndim, "sum")
    if dtype is not None:
        x = x.to(dtype)
    elif x.dtype.kind in "biu" and x.dtype != np.int64:
        x = x.to(np.int64)
    y = Sum.apply(x, axes, keepdim)
    return y if out is None else write_out("sum", y, out)


def _count(x: Tensor, axes) -> int:
    if axes is None:
        return x._array.size
    return int(np.prod([x.shape[a] for a in axes]))


def _per_count(total: Tensor, count: int) -> Tensor:
    """total / count; NaN for a count of 0 (the mean of nothing, as in PyTorch), without
    NumPy's 0 / 0 warning."""
    return total / count if count else total * float("nan")


def mean(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out=None, axis=None,
         keepdims=None) -> Tensor:
    """mean = sum / n."""
    dim, keepdim = dim_alias("mean", dim, axis), keepdim_alias(keepdim, keepdims)
    x = x if dtype is None else x.to(dtype)
    require_float("mean", x)
    axes = normalize_dims(dim, x.ndim, "mean")
    y = _per_count(Sum.apply(x, axes, keepdim), _count(x, axes))
    return y if out is None else write_out("mean", y, out)


def var(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None,
        out=None, axis=None, keepdims=None):
    """var = sum((x - mean)^2) / (n - correction); correction=1 (unbiased) by default, as in
    PyTorch. Computed from the deviations, never as E[x^2] - E[x]^2, which loses precision.
    A correction >= n divides by 0, as in PyTorch: inf, or NaN where all values are equal
    (with PyTorch's warning)."""
    require_float("var", x)
    dim, keepdim = dim_alias("var", dim, axis), keepdim_alias(keepdim, keepdims)
    if unbiased is not None and correction is not None:
        raise ValueError("var: pass either unbiased or correction, not both")
    correction = (1 if unbiased is None or unbiased else 0) if correction is None else correction
    axes = normalize_dims(dim, x.ndim, "var")
    denominator = _count(x, axes) - correction
    if denominator > 0:
        deviation = x - _per_count(Sum.apply(x, axes, True), _count(x, axes))
        y = Sum.apply(deviation * deviation, axes, keepdim) / denominator
    else:
        warnings.warn(f"var: degrees of freedom is <= 0 (correction {correction} with "
                      f"{_count(x, axes)} values per slice): the result is inf or NaN",
                      UserWarning, stacklevel=2)
        y = VarianceWithoutDof.apply(x, axes, keepdim, denominator)
    return y if out is None else write_out("var", y, out)


class VarianceWithoutDof(Function):
    """var when correction >= n: y = sum((x - mean)^2) / 0, inf (NaN for a constant slice);
    gx = gy * 2 (x - mean) / (n - correction), PyTorch's rule, infinite for n = correction.
    Its own Function so that neither pass divides by 0 or multiplies inf by 0 outside
    ``errstate``: PyTorch's values without NumPy's warnings."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, dof):
        squares = ((x - x.mean(axis=axes, keepdims=True)) ** 2).sum(axis=axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = squares / x.dtype.type(0)
        ctx.axes, ctx.kept_shape, ctx.dof = axes, y.shape, dof
        ctx.save_for_backward(x)
        return y if keepdim else y.reshape([n for i, n in enumerate(x.shape)
                                            if axes is not None and i not in axes])

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        deviation = x - Sum.apply(x, ctx.axes, True) / _count(x, ctx.axes)
        scale = 2 / ctx.dof if ctx.dof else math.inf
        with np.errstate(invalid="ignore"):  # (inf * 0 where x is its slice's mean: NaN)
            return reshape(gy, ctx.kept_shape) * scale * deviation, None, None, None


def std(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None,
        out=None, axis=None, keepdims=None):
    """std = sqrt(var), with var's arguments. Where std is 0 (constant values) its gradient is
    0, as in PyTorch: sqrt's slope is infinite at 0, and inf * 0 would give NaN."""
    dim, keepdim = dim_alias("std", dim, axis), keepdim_alias(keepdim, keepdims)
    v = var(x, dim, unbiased, keepdim, correction=correction)
    nonzero = v != 0
    with np.errstate(invalid="ignore"):  # (the sqrt of a NaN variance is NaN: no news)
        y = where(nonzero, sqrt(where(nonzero, v, 1.0)), 0.0)
    return y if out is None else write_out("std", y, out)


def _extremum(op: str, x: Tensor, dim, keepdim: bool, largest: bool):
    if isinstance(dim, Tensor):  # x.max(other): the elementwise maximum, as in PyTorch
        return (maximum if largest else minimum)(x, dim)
    if x._array.size == 0 and (dim is None or x.shape[normalize_dim(dim, x.ndim, op)] == 0):
        # (PyTorch's classes: a RuntimeError without dim, an IndexError for an empty dim)
        raise (ShapeError if dim is None else DimError)(
            f"{op}: the tensor is empty (shape {tuple(x.shape)}, dim {dim}): there is no "
            f"{'largest' if largest else 'smallest'} element")
    if dim is None:
        return Extremum.apply(x, None, False, largest)
    axis = normalize_dim(dim, x.ndim, op)
    result = _MaxResult if largest else _MinResult
    if x.ndim == 0:
        return result(x, Tensor._make(backend.get_array_module(x._array).zeros(
            (), np.int64), False))
    values = Extremum.apply(x, axis, keepdim, largest)
    return result(values, _arg(x, axis, keepdim, largest))


def _arg(x: Tensor, axis, keepdim: bool, largest: bool) -> Tensor:
    if x._array.size == 0 and (axis is None or x.shape[axis] == 0):
        raise DimError(f"{'argmax' if largest else 'argmin'}: nothing to pick from in an "
                         f"empty tensor (shape {tuple(x.shape)}, dim {axis})")
    pick = x._array.argmax if largest else x._array.argmin
    index = pick(axis=axis, keepdims=keepdim) if axis is not None else pick()
    return Tensor._make(backend.get_array_module(x._array).asarray(index, dtype=np.int64), False)


def max(x: Tensor, dim=None, keepdim: bool = False, *, out=None, axis=None, keepdims=None):
    """Without ``dim``: the largest element. With ``dim``: (values, indices) along it. With a
    Tensor in place of ``dim``: the elementwise ``maximum``."""
    dim, keepdim = dim_alias("max", dim, axis), keepdim_alias(keepdim, keepdims)
    y = _extremum("max", x, dim, keepdim, True)
    return y if out is None else write_out("max", y, out)


def min(x: Tensor, dim=None, keepdim: bool = False, *, out=None, axis=None, keepdims=None):
    """Without ``dim``: the smallest element. With ``dim``: (values, indices) along it. With a
    Tensor in place of ``dim``: the elementwise ``minimum``."""
    dim, keepdim = dim_alias("min", dim, axis), keepdim_alias(keepdim, keepdims)
    y = _extremum("min", x, dim, keepdim, False)
    return y if out is None else write_out("min", y, out)


def argmax(x: Tensor, dim=None, keepdim: bool = False, *, out=None, axis=None,
           keepdims=None) -> Tensor:
    """Index of the largest element (over the flattened tensor when ``dim`` is None)."""
    dim, keepdim = dim_alias("argmax", dim, axis), keepdim_alias(keepdim, keepdims)
    axis = None if dim is None else normalize_dim(dim, x.ndim, "argmax")
    y = _arg(x, axis, keepdim and axis is not None, True)
    return y if out is None else write_out("argmax", y, out)


def argmin(x: Tensor, dim=None, keepdim: bool = False, *, out=None, axis=None,
           keepdims=None) -> Tensor:
    dim, keepdim = dim_alias("argmin", dim, axis), keepdim_alias(keepdim, keepdims)
    axis = None if dim is None else normalize_dim(dim, x.ndim, "argmin")
    y = _arg(x, axis, keepdim and axis is not None, False)
    return y if out is None else write_out("argmin", y, out)


def any(x: Tensor, dim=None, keepdim: bool = False, *, out=None, axis=None,
        keepdims=None) -> Tensor:
    dim, keepdim = dim_alias("any", dim, axis), keepdim_alias(keepdim, keepdims)
    axes = normalize_dims(dim, x.ndim, "any")
    y = Tensor._make(backend.get_array_module(x._array).asarray(
        x._array.any(axis=axes, keepdims=keepdim)), False)
    return y if out is None else write_out("any", y, out)


def all(x: Tensor, dim=None, keepdim: bool = False, *, out=None, axis=None,
        keepdims=None) -> Tensor:
    dim, keepdim = dim_alias("all", dim, axis), keepdim_alias(keepdim, keepdims)
    axes = normalize_dims(dim, x.ndim, "all")
    y = Tensor._make(backend.get_array_module(x._array).asarray(
        x._array.all(axis=axes, keepdims=keepdim)), False)
    return y if out is None else write_out("all", y, out)


def _abs_extremum(x: Tensor, axes, keepdim: bool, largest: bool) -> Tensor:
    """max (or min) of |x| over several axes: those moved last and flattened into one."""
    a = abs(x)
    if axes is None or len(axes) == x.ndim:
        y = Extremum.apply(a, None, False, largest)
        return reshape(y, _kept_shape(x.shape, None)) if keepdim else y
    rest = [i for i in range(x.ndim) if i not in axes]
    a = reshape(permute(a, *rest, *axes), *[x.shape[i] for i in rest], -1)
    y = Extremum.apply(a, len(rest), False, largest)
    return reshape(y, _kept_shape(x.shape, axes)) if keepdim else y


def norm(x: Tensor, p="fro", dim=None, keepdim: bool = False, out=None, dtype=None, *,
         axis=None, keepdims=None) -> Tensor:
    """The vector p-norm of x over ``dim`` (all elements when None), as ``torch.norm``:

    p = 2 or "fro": sqrt(sum x^2) (``Norm2``; Frobenius for matrices), 1: sum |x|,
    inf / -inf: the largest / smallest |x|, 0: the number of nonzero elements, other p:
    (sum |x|^p)^(1/p). ``dtype`` converts x first. (``"nuc"``, the nuclear norm, is not
    supported.)"""
    dim, keepdim = dim_alias("norm", dim, axis), keepdim_alias(keepdim, keepdims)
    x = x if dtype is None else x.to(dtype)
    require_float("norm", x)
    axes = normalize_dims(dim, x.ndim, "norm")
    if axes == ():  # (a 0-d tensor: its one element)
        axes = None
    if p is None or p == "fro" or p == 2:
        y = Norm2.apply(x, axes, keepdim)
    elif p == 1:
        y = Sum.apply(abs(x), axes, keepdim)
    elif p == math.inf or p == -math.inf:
        y = _abs_extremum(x, axes, keepdim, p > 0)
    elif p == 0:
        y = Sum.apply(x != 0, axes, keepdim).to(x.dtype)
    elif isinstance(p, (int, float)) and not isinstance(p, bool):
        y = Sum.apply(abs(x) ** p, axes, keepdim) ** (1.0 / p)
    else:
        raise ValueError(f"norm: p must be a number or 'fro', got {p!r}")
    return y if out is None else write_out("norm", y, out)
