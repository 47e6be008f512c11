"""Reductions: sum (the primitive), mean and var (composed), max/min (values and indices).

Reducing removes axes; the backward puts them back. Sum's gradient is the incoming gradient
copied to every element that was summed (broadcast back). Max/min send the gradient only to the
selected element; a full reduction with ties splits it evenly among the tied elements.

Read next: ``softmax.py`` (logsumexp, softmax, log_softmax).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from minidl import backend
from minidl.errors import ShapeError
from minidl.function import Function
from minidl.ops.dims import normalize_dim, normalize_dims
from minidl.ops.dtype_checks import require_float
from minidl.ops.shape import broadcast_to, reshape
from minidl.ops.unary import sqrt
from minidl.tensor import Tensor

values_indices = namedtuple("values_indices", ["values", "indices"])


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
            ties = x == y
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


def sum(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Sum over ``dim`` (an int, a tuple, or None for all). Bool and int tensors sum to int64."""
    axes = normalize_dims(dim, x.ndim, "sum")
    if x.dtype.kind in "bi" and x.dtype != np.int64:
        x = x.to(np.int64)
    return Sum.apply(x, axes, keepdim)


def _count(x: Tensor, axes) -> int:
    if axes is None:
        return x._array.size
    return int(np.prod([x.shape[a] for a in axes]))


def mean(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """mean = sum / n."""
    require_float("mean", x)
    axes = normalize_dims(dim, x.ndim, "mean")
    return Sum.apply(x, axes, keepdim) / _count(x, axes)


def var(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """var = sum((x - mean)^2) / (n - correction); correction=1 (unbiased) by default, as in
    PyTorch. Computed from the deviations, never as E[x^2] - E[x]^2, which loses precision."""
    require_float("var", x)
    if unbiased is not None and correction is not None:
        raise ValueError("var: pass either unbiased or correction, not both")
    correction = (1 if unbiased is None or unbiased else 0) if correction is None else correction
    axes = normalize_dims(dim, x.ndim, "var")
    deviation = x - Sum.apply(x, axes, True) / _count(x, axes)
    squares = Sum.apply(deviation * deviation, axes, keepdim)
    denominator = _count(x, axes) - correction
    if denominator <= 0:
        return squares * float("nan")
    return squares / denominator


def std(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    return sqrt(var(x, dim, unbiased, keepdim, correction=correction))


def _extremum(op: str, x: Tensor, dim, keepdim: bool, largest: bool):
    if x._array.size == 0:
        raise ShapeError(f"{op}: the tensor is empty (shape {tuple(x.shape)})")
    if dim is None:
        return Extremum.apply(x, None, False, largest)
    axis = normalize_dim(dim, x.ndim, op)
    if x.ndim == 0:
        return values_indices(x, Tensor._make(backend.get_array_module(x._array).zeros(
            (), np.int64), False))
    values = Extremum.apply(x, axis, keepdim, largest)
    return values_indices(values, _arg(x, axis, keepdim, largest))


def _arg(x: Tensor, axis, keepdim: bool, largest: bool) -> Tensor:
    pick = x._array.argmax if largest else x._array.argmin
    index = pick(axis=axis, keepdims=keepdim) if axis is not None else pick()
    return Tensor._make(backend.get_array_module(x._array).asarray(index, dtype=np.int64), False)


def max(x: Tensor, dim=None, keepdim: bool = False):
    """Without ``dim``: the largest element. With ``dim``: (values, indices) along it."""
    return _extremum("max", x, dim, keepdim, True)


def min(x: Tensor, dim=None, keepdim: bool = False):
    """Without ``dim``: the smallest element. With ``dim``: (values, indices) along it."""
    return _extremum("min", x, dim, keepdim, False)


def argmax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (over the flattened tensor when ``dim`` is None)."""
    axis = None if dim is None else normalize_dim(dim, x.ndim, "argmax")
    return _arg(x, axis, keepdim and axis is not None, True)


def argmin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    axis = None if dim is None else normalize_dim(dim, x.ndim, "argmin")
    return _arg(x, axis, keepdim and axis is not None, False)


def any(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    axes = normalize_dims(dim, x.ndim, "any")
    return Tensor._make(backend.get_array_module(x._array).asarray(
        x._array.any(axis=axes, keepdims=keepdim)), False)


def all(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    axes = normalize_dims(dim, x.ndim, "all")
    return Tensor._make(backend.get_array_module(x._array).asarray(
        x._array.all(axis=axes, keepdims=keepdim)), False)
