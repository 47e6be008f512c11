"""Scans: running sums, products, maxima and log-sum-exps along one dim (``cumsum``,
``cumprod``, ``cummax``, ``cummin``, ``logcumsumexp``).

A scan's output k depends on inputs 0..k, so each input i collects gradient from outputs
k >= i: a *reversed* cumulative sum of something. ``flip`` (indexing with step -1) turns a
reversed scan into a forward one:

    cumsum:        y_k = sum_{j<=k} x_j            gx_i = sum_{k>=i} gy_k
    cumprod:       y_k = prod_{j<=k} x_j           gx_i = sum_{k>=i} gy_k y_k / x_i   (x_i != 0)
    logcumsumexp:  y_k = log sum_{j<=k} exp(x_j)   gx_i = sum_{k>=i} gy_k exp(x_i - y_k)

cumprod's rule is written without dividing by x_i (it would fail where x holds zeros), as a
product of the elements before i times a recurrence run from the end. cummax and cummin find
the running arg-max on the arrays and read the values at those indices, as ``sort.py`` does.

Read next: ``product.py`` (prod, with a gradient exact at zeros).
"""
from __future__ import annotations

import numpy as np

from minidl import backend
from minidl.function import Function
from minidl.ops.arguments import write_out
from minidl.ops.compare import where
from minidl.ops.dims import normalize_dim
from minidl.ops.dtype_checks import require_float
from minidl.ops.indexing import getitem
from minidl.ops.reduce import values_indices
from minidl.ops.shape import cat, pad
from minidl.ops.sort import take_along
from minidl.ops.unary import exp
from minidl.tensor import Tensor


class _CummaxResult(values_indices):
    __slots__ = ()
    op = "cummax"


class _CumminResult(values_indices):
    __slots__ = ()
    op = "cummin"


def _along(axis: int, key) -> tuple:
    """An indexing key that applies ``key`` (a slice) to dim ``axis`` only."""
    return (slice(None),) * axis + (key,)


def flip(x: Tensor, axis: int) -> Tensor:
    """x reversed along ``axis`` (differentiable: indexing)."""
    return getitem(x, _along(axis, slice(None, None, -1)))


def _constant(array) -> Tensor:
    return Tensor._make(array, False)


def doubling_scan(combine, a, axis: int):
    """The running ``combine`` (an associative elementwise function: logaddexp, maximum) of
    the array ``a`` along ``axis``: after the step with offset d (1, 2, 4, ...) each y_k
    combines a_{k-2d+1}..a_k (Hillis and Steele's scan, log2(n) elementwise steps; CuPy has
    no ``ufunc.accumulate`` for these). With logaddexp no exp ever overflows or underflows,
    whatever the range of the values."""
    xp = backend.get_array_module(a)
    y = xp.moveaxis(a, axis, -1).copy()
    d = 1
    while d < y.shape[-1]:
        y[..., d:] = combine(y[..., d:], y[..., :-d])
        d *= 2
    return xp.moveaxis(y, -1, axis)


class Cumsum(Function):
    """y_k = sum_{j<=k} x_j;  gx = the reversed cumsum of gy"""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return backend.get_array_module(x).cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx, gy):
        return flip(Cumsum.apply(flip(gy, ctx.axis), ctx.axis), ctx.axis), None


def _reversed_cumsum(x: Tensor, axis: int) -> Tensor:
    return flip(Cumsum.apply(flip(x, axis), axis), axis)


def _part(x: Tensor, axis: int, start: int, stop: int) -> Tensor:
    return getitem(x, _along(axis, slice(start, stop)))


def shift_in_one(x: Tensor, axis: int) -> Tensor:
    """x moved one place along ``axis``: a 1 in front, the last element dropped."""
    widths = (0, 0) * (x.ndim - 1 - axis) + (1, 0)
    return _part(pad(x, widths, value=1.0), axis, 0, x.shape[axis])


def linear_scan_from_end(a: Tensor, b: Tensor, axis: int) -> Tensor:
    """r with r_i = b_i + a_i r_{i+1} along ``axis`` (r_{n-1} = b_{n-1}; the last a is not
    used), in Tensor operations, so it is differentiable: the doubling of ``doubling_scan``
    with the pairs (a, b), where (a, b) followed by (a', b') is (a a', b + a b')."""
    n, d = b.shape[axis], 1
    while d < n:  # each r_i takes in the d terms after those it holds
        head, tail = _part(a, axis, 0, n - d), _part(a, axis, d, n)
        b = cat([_part(b, axis, 0, n - d) + head * _part(b, axis, d, n),
                 _part(b, axis, n - d, n)], axis)
        a = cat([head * tail, _part(a, axis, n - d, n)], axis)
        d *= 2
    return b


class Cumprod(Function):
    """y_k = prod_{j<=k} x_j;  gx_i = sum_{k>=i} gy_k prod_{j<=k, j!=i} x_j
                                    = (prod_{j<i} x_j) r_i,  r_i = gy_i + x_{i+1} r_{i+1}

    No division by x_i (the shortcut sum_{k>=i} gy_k y_k / x_i fails at zeros): the product
    of the elements before i is a cumprod shifted by one, and r is a linear recurrence run
    from the end, both Tensor operations, exact at zeros for every derivative order."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        ctx.save_for_backward(x)
        return backend.get_array_module(x).cumprod(x, axis=axis)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        axis = ctx.axis
        before = Cumprod.apply(shift_in_one(x, axis), axis)
        after = cat([_part(x, axis, 1, x.shape[axis]), _part(x, axis, 0, 1) * 0.0], axis)
        return before * linear_scan_from_end(after, gy, axis), None


def _scan_axis(input: Tensor, dim, op: str):
    axis = normalize_dim(dim, input.ndim, op)
    return axis if input.ndim else None


def integers_to_long(input: Tensor, dtype) -> Tensor:
    """``dtype`` converts first; bool and integer inputs accumulate in int64, as in PyTorch."""
    if dtype is not None:
        return input.to(dtype)
    if input.dtype.kind in "biu" and input.dtype != np.int64:
        return input.to(np.int64)
    return input


def cumsum(input: Tensor, dim: int, *, dtype=None, out=None) -> Tensor:
    """Running sums along ``dim``: y_k = x_0 + ... + x_k."""
    x = integers_to_long(input, dtype)
    axis = _scan_axis(x, dim, "cumsum")
    y = x[...] if axis is None else Cumsum.apply(x, axis)
    return y if out is None else write_out("cumsum", y, out)


def cumprod(input: Tensor, dim: int, *, dtype=None, out=None) -> Tensor:
    """Running products along ``dim``: y_k = x_0 * ... * x_k; its gradient is exact also
    where x holds zeros."""
    x = integers_to_long(input, dtype)
    axis = _scan_axis(x, dim, "cumprod")
    y = x[...] if axis is None else Cumprod.apply(x, axis)
    return y if out is None else write_out("cumprod", y, out)


def _running_extremum(op: str, input: Tensor, dim: int, largest: bool, result):
    """(values, indices): the running max (min) and where it was last reached. A later equal
    value takes over the index, and a NaN stays the extremum once met, as in PyTorch."""
    axis = _scan_axis(input, dim, op)
    a = input._array
    xp = backend.get_array_module(a)
    if axis is None:
        return result(input[...], _constant(xp.zeros((), np.int64)))
    running = doubling_scan(xp.maximum if largest else xp.minimum, a, axis)
    reached = a == running
    if a.dtype.kind == "f":
        reached |= xp.isnan(a)
    position = xp.arange(a.shape[axis]).reshape((-1,) + (1,) * (a.ndim - axis - 1))
    index = doubling_scan(xp.maximum, xp.where(reached, position, 0), axis)
    return result(take_along(input, index, axis), _constant(index.astype(np.int64)))


def cummax(input: Tensor, dim: int, *, out=None) -> _CummaxResult:
    """(values, indices) of the running maximum along ``dim``."""
    y = _running_extremum("cummax", input, dim, True, _CummaxResult)
    return y if out is None else write_out("cummax", y, out)


def cummin(input: Tensor, dim: int, *, out=None) -> _CumminResult:
    """(values, indices) of the running minimum along ``dim``."""
    y = _running_extremum("cummin", input, dim, False, _CumminResult)
    return y if out is None else write_out("cummin", y, out)


class LogCumSumExp(Function):
    """y_k = log sum_{j<=k} exp(x_j);  gx_i = sum_{k>=i} gy_k exp(x_i - y_k)

    The gradient is exp(x_i - y_i) r_i, with r_i = sum_{k>=i} gy_k exp(y_i - y_k). As y never
    decreases, the factors a_i = exp(y_i - y_{i+1}) lie in (0, 1] and r_i = gy_i + a_i r_{i+1}
    is a linear recurrence (``linear_scan_from_end``): it overflows nowhere, and as Tensor
    operations it stays differentiable for second derivatives."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        y = doubling_scan(backend.get_array_module(x).logaddexp, x, axis)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        axis, n = ctx.axis, x.shape[ctx.axis]
        xp = backend.get_array_module(x._array)
        x_minus_inf = x._array == -xp.inf
        if x_minus_inf.any():  # exp(-inf) takes no part: its gradient is 0 (not -inf + inf)
            y_minus_inf = _constant(y._array == -xp.inf)  # (a leading run of -inf)
            y = where(y_minus_inf, 0.0, y)
            x = where(_constant(x_minus_inf), y, x)
        # a_i = exp(y_i - y_{i+1}) for i < n-1 (the last a is not used: 0)
        a = cat([exp(_part(y, axis, 0, n - 1) - _part(y, axis, 1, n)),
                 _part(y, axis, 0, 1) * 0.0], axis)
        if x_minus_inf.any():
            a = where(y_minus_inf, 0.0, a)
        gx = exp(x - y) * linear_scan_from_end(a, gy, axis)
        return (where(_constant(x_minus_inf), 0.0, gx) if x_minus_inf.any() else gx), None


def logcumsumexp(input: Tensor, dim: int, *, out=None) -> Tensor:
    """log(cumsum(exp(x))) along ``dim``, computed without overflow or underflow."""
    require_float("logcumsumexp", input)
    axis = _scan_axis(input, dim, "logcumsumexp")
    y = input[...] if axis is None else LogCumSumExp.apply(input, axis)
    return y if out is None else write_out("logcumsumexp", y, out)
