"""logsumexp, softmax and log_softmax, computed stably by shifting by the maximum:

    logsumexp(x) = m + log(sum(exp(x - m)))        with m = max(x), so exp never overflows
    softmax(x)   = exp(x - m) / sum(exp(x - m))
    log_softmax  = x - logsumexp(x)

logsumexp is composed from primitives (the shift m is a constant: the identity holds for any m,
so its derivative, softmax, comes out of the composition). softmax and log_softmax are primitives
because their backward has a short closed form:

    softmax:      gx = y * (gy - sum(gy * y))
    log_softmax:  gx = gy - exp(y) * sum(gy)

Read next: ``sort.py`` (sort, argsort, kthvalue, median).
"""
from __future__ import annotations

from minidl import backend
from minidl.function import Function
from minidl.ops.arguments import write_out
from minidl.ops.dims import normalize_dim, normalize_dims
from minidl.ops.dtype_checks import require_float
from minidl.ops.reduce import Sum
from minidl.ops.shape import squeeze
from minidl.ops.unary import exp, log
from minidl.tensor import Tensor


def _shift(x, axes):
    """The per-slice maximum, with infinite maxima replaced by 0 (an all -inf row stays -inf
    instead of becoming NaN through inf - inf)."""
    xp = backend.get_array_module(x)
    if x.size == 0:  # nothing to shift (and an empty max is an error): zeros of m's shape
        return x.sum(axis=axes, keepdims=True)
    m = x.max(axis=axes, keepdims=True)
    return xp.where(xp.isfinite(m), m, 0).astype(x.dtype, copy=False)


def logsumexp(x: Tensor, dim, keepdim: bool = False, *, out=None) -> Tensor:
    """log(sum(exp(x))) over ``dim``, without overflow; ``out=`` as in ``softmax``."""
    y = _logsumexp(x, dim, keepdim)
    return y if out is None else write_out("logsumexp", y, out)


def _logsumexp(x: Tensor, dim, keepdim: bool) -> Tensor:
    require_float("logsumexp", x)
    axes = normalize_dims(dim, x.ndim, "logsumexp")
    if x._array.size == 0:  # log(0) = -inf for each empty sum, as in PyTorch (without log's
        return Sum.apply(x, axes, keepdim) - float("inf")  # NumPy warning)
    m = Tensor._make(_shift(x._array, axes), False)
    out = log(Sum.apply(exp(x - m), axes, True)) + m
    return out if keepdim else squeeze(out, axes if axes else None)


class Softmax(Function):
    """y = exp(x) / sum(exp(x));  gx = y * (gy - sum(gy * y))"""

    @staticmethod
    def forward(ctx, x, axis):
        xp = backend.get_array_module(x)
        e = xp.exp(x - _shift(x, axis))
        y = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, gy):
        y, = ctx.saved_tensors
        return y * (gy - (gy * y).sum(ctx.axis, keepdim=True)), None


class LogSoftmax(Function):
    """y = x - logsumexp(x);  gx = gy - softmax(x) * sum(gy) = gy - exp(y) * sum(gy)"""

    @staticmethod
    def forward(ctx, x, axis):
        xp = backend.get_array_module(x)
        shifted = x - _shift(x, axis)
        y = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, gy):
        y, = ctx.saved_tensors
        return gy - exp(y) * gy.sum(ctx.axis, keepdim=True), None


def _softmax_axis(x: Tensor, dim: int, op: str):
    """The axis to normalise over; None for a 0-d tensor (whose dim 0 or -1 NumPy accepts as
    an axis but CuPy does not)."""
    axis = normalize_dim(dim, x.ndim, op)
    return axis if x.ndim else None


def softmax(x: Tensor, dim: int, *, dtype=None, out=None) -> Tensor:
    """``dtype=``: x is cast to it first (so integers can be normalised), as in PyTorch;
    ``out=``: as ``torch.softmax`` (``arguments.py``)."""
    x = x if dtype is None else x.to(dtype)
    require_float("softmax", x)
    y = Softmax.apply(x, _softmax_axis(x, dim, "softmax"))
    return y if out is None else write_out("softmax", y, out)


def log_softmax(x: Tensor, dim: int, *, dtype=None, out=None) -> Tensor:
    """``dtype=`` and ``out=``: as in ``softmax``."""
    x = x if dtype is None else x.to(dtype)
    require_float("log_softmax", x)
    axis = _softmax_axis(x, dim, "log_softmax")
    # (an empty result either way; LogSoftmax would warn at log(0))
    y = Softmax.apply(x, axis) if x._array.size == 0 else LogSoftmax.apply(x, axis)
    return y if out is None else write_out("log_softmax", y, out)
