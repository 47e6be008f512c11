"""Selections between values: maximum, minimum, clamp, where; and comparisons, logical ops and
isfinite / isnan / isinf (bool results, no gradient).

The gradient of a selection flows to whichever input was selected. Where two inputs tie in
``maximum``/``minimum`` the gradient is split evenly between them, as in PyTorch; the masks are
constants, so the second derivative through a selection is the selected input's own.

Read next: ``bitwise.py`` (& | ^ ~ << >> on integers).
"""
from __future__ import annotations

import numpy as np

from minidl import backend
from minidl.dtypes import get_default_dtype
from minidl.errors import DTypeError, ShapeError
from minidl.function import Function
from minidl.ops.arguments import write_out
from minidl.ops.operands import as_tensor_like, binary_operands
from minidl.tensor import Tensor


def _constant(array) -> Tensor:
    if isinstance(array, np.generic):  # NumPy gives 0-d results as scalars: keep an array
        array = np.asarray(array)
    return Tensor._make(array, False)


class Maximum(Function):
    """y = max(x0, x1);  dy/dx0 = 1 where x0 > x1, 1/2 where x0 == x1, else 0"""

    @staticmethod
    def forward(ctx, x0, x1):
        xp = backend.get_array_module(x0)
        mask0 = (x0 > x1) + (x0 == x1) * x0.dtype.type(0.5)
        ctx.save_for_backward(mask0.astype(x0.dtype, copy=False))
        return xp.maximum(x0, x1)

    @staticmethod
    def backward(ctx, gy):
        mask0, = ctx.saved_tensors
        return gy * mask0, gy * (1 - mask0)


class Minimum(Function):
    """y = min(x0, x1);  dy/dx0 = 1 where x0 < x1, 1/2 where x0 == x1, else 0"""

    @staticmethod
    def forward(ctx, x0, x1):
        xp = backend.get_array_module(x0)
        mask0 = (x0 < x1) + (x0 == x1) * x0.dtype.type(0.5)
        ctx.save_for_backward(mask0.astype(x0.dtype, copy=False))
        return xp.minimum(x0, x1)

    @staticmethod
    def backward(ctx, gy):
        mask0, = ctx.saved_tensors
        return gy * mask0, gy * (1 - mask0)


class Clamp(Function):
    """y = min(max(x, lo), hi);  dy/dx = 1 where lo <= x <= hi, else 0 (bounds included)"""

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = backend.get_array_module(x)
        inside = xp.ones(x.shape, dtype=bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        ctx.save_for_backward(inside.astype(x.dtype))
        return xp.clip(x, lo, hi).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, gy):
        inside, = ctx.saved_tensors
        return gy * inside, None, None


class Where(Function):
    """y = x0 where cond else x1;  dy/dx0 = cond, dy/dx1 = not cond"""

    @staticmethod
    def forward(ctx, cond, x0, x1):
        ctx.cond = cond
        return backend.get_array_module(x0).where(cond, x0, x1)

    @staticmethod
    def backward(ctx, gy):
        cond = _constant(ctx.cond)
        zero = _constant(backend.get_array_module(gy._array).zeros((), gy.dtype))
        gx0 = where(cond, gy, zero) if ctx.needs_input_grad[1] else None
        gx1 = where(cond, zero, gy) if ctx.needs_input_grad[2] else None
        return None, gx0, gx1


def maximum(a, b, *, out=None) -> Tensor:
    a, b = binary_operands(a, b)
    y = Maximum.apply(a, b)
    return y if out is None else write_out("maximum", y, out)


def minimum(a, b, *, out=None) -> Tensor:
    a, b = binary_operands(a, b)
    y = Minimum.apply(a, b)
    return y if out is None else write_out("minimum", y, out)


def clamp(x: Tensor, min=None, max=None, *, out=None) -> Tensor:
    """Limit ``x`` to [min, max]; either bound may be None, a number or a Tensor.

    Tensor bounds broadcast with ``x`` and get gradients, composed of two selections as
    PyTorch's: x's where min <= x <= max (bounds included), min's where x < min, max's where
    the result is max (also everywhere when min > max: the result is then max)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        y = x if min is None else where(compare("lt", x, min), min, x)
        y = y if max is None else where(compare("gt", y, max), max, y)
    else:
        y = Clamp.apply(x, min, max)
    return y if out is None else write_out("clamp", y, out)


def where(condition, x, y, *, out=None) -> Tensor:
    """Elementwise ``x if condition else y`` (all three broadcast together); ``x`` and ``y``
    may both be numbers (``where(mask, 1.0, 0.0)``: bool, int64 or the default float dtype)."""
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x = _number_tensor(x, condition)
    x, y = binary_operands(x, y)
    cond = condition._array if isinstance(condition, Tensor) else backend.asarray(
        condition, None, x.device)
    if cond.dtype != np.bool_:
        raise DTypeError(f"where: condition must be a bool tensor, got {cond.dtype}")
    backend.same_device_or_raise("where", [cond, x._array, y._array])
    result = Where.apply(cond, x, y)
    return result if out is None else write_out("where", result, out)


def _number_tensor(value, like) -> Tensor:
    """A Python number as a 0-d tensor on ``like``'s device, typed as PyTorch types it."""
    if not isinstance(value, (bool, int, float, np.generic)):
        raise DTypeError(f"where: x and y must be Tensors or numbers, got "
                         f"{type(value).__name__}")
    dtype = (np.dtype(np.bool_) if isinstance(value, (bool, np.bool_)) else
             np.dtype(np.int64) if isinstance(value, (int, np.integer)) else get_default_dtype())
    device = like.device if isinstance(like, Tensor) else backend.get_default_device()
    return Tensor._make(backend.asarray(value, dtype, device), False)


_COMPARISONS = {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
                "gt": "greater", "ge": "greater_equal"}


def compare(name: str, a, b) -> Tensor:
    """``a <op> b`` elementwise as a bool tensor (no gradient)."""
    if not isinstance(a, Tensor):
        a = as_tensor_like(a, b)
    if not isinstance(b, Tensor):
        b = as_tensor_like(b, a)
    backend.same_device_or_raise(name, [a._array, b._array])
    xp = backend.get_array_module(a._array)
    try:
        result = getattr(xp, _COMPARISONS[name])(a._array, b._array)
    except ValueError as exc:
        raise ShapeError(f"{name}: cannot compare shapes {tuple(a.shape)} and "
                         f"{tuple(b.shape)}: {exc}") from None
    return _constant(result)


def _logical(name: str, a, b=None) -> Tensor:
    xp = backend.get_array_module(a._array)
    if b is None:
        return _constant(xp.logical_not(a._array))
    b = b if isinstance(b, Tensor) else as_tensor_like(b, a)
    return _constant(getattr(xp, name)(a._array, b._array))


def logical_not(x: Tensor) -> Tensor:
    return _logical("logical_not", x)


def logical_and(a: Tensor, b) -> Tensor:
    return _logical("logical_and", a, b)


def logical_or(a: Tensor, b) -> Tensor:
    return _logical("logical_or", a, b)


def isfinite(x: Tensor) -> Tensor:
    """True where x is neither infinite nor NaN."""
    return _constant(backend.get_array_module(x._array).isfinite(x._array))


def isnan(x: Tensor) -> Tensor:
    return _constant(backend.get_array_module(x._array).isnan(x._array))


def isinf(x: Tensor) -> Tensor:
    """True where x is +inf or -inf."""
    return _constant(backend.get_array_module(x._array).isinf(x._array))
