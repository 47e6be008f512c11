"""Rounding to whole numbers: floor, ceil, round (to ``decimals`` places), trunc; and what they
leave over: frac and fmod.

A rounded value is a step function of its input: flat between the steps, so its derivative is
0 wherever it exists, and that is what PyTorch's backward returns (it does not refuse, as it
does for ``//``). What is left over is the input minus a step function, so its derivative is 1:

    frac(x) = x - trunc(x)               d/dx = 1
    fmod(x, y) = x - trunc(x / y) y      d/dx = 1,  d/dy = -trunc(x / y)

``round`` rounds half to even, as PyTorch and NumPy do (round(2.5) = 2, round(-0.5) = -0.0);
with ``decimals=d`` it rounds x * 10^d and divides back. On integer tensors the four roundings
return their input's values (in a new tensor, still integers); bool tensors are refused, as in
PyTorch. ``fmod`` takes the sign of x (C's fmod), where ``%`` takes the sign of y
(``minidl/ops/division.py``).

Read next: ``trigonometric.py`` (tan, the inverse and the hyperbolic functions).
"""
from __future__ import annotations

import numbers

from minidl import backend
from minidl.errors import DTypeError
from minidl.function import Function
from minidl.ops.arguments import write_out
from minidl.ops.division import _zeros_like, trunc_divide
from minidl.ops.operands import binary_operands
from minidl.tensor import Tensor


class Rounded(Function):
    """y = x rounded by ``how`` (floor, ceil, rint, trunc), to ``decimals`` places;  dy/dx = 0"""

    @staticmethod
    def forward(ctx, x, how, decimals):
        xp = backend.get_array_module(x)
        if decimals == 0:
            return getattr(xp, how)(x)
        if decimals > 0:  # (as PyTorch: scale up by a whole power of ten, round, scale back)
            scale = x.dtype.type(10.0 ** decimals)
            return getattr(xp, how)(x * scale) / scale
        scale = x.dtype.type(10.0 ** -decimals)
        return getattr(xp, how)(x / scale) * scale

    @staticmethod
    def backward(ctx, gy):
        return _zeros_like(gy), None, None  # (zeros, not gy * 0: a NaN in gy must not leak)


def _rounded(op: str, x: Tensor, how: str, decimals: int = 0) -> Tensor:
    if not isinstance(x, Tensor):
        raise DTypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    if x.dtype.kind == "b":
        raise DTypeError(f"{op}: not defined for bool tensors (PyTorch refuses them too)")
    if x.dtype.kind != "f":
        if decimals != 0:
            raise DTypeError(f"{op}: decimals={decimals} needs a floating-point tensor, got "
                             f"{x.dtype} (PyTorch refuses it too)")
        return Tensor._make(x._array.copy(), False)  # whole numbers already
    return Rounded.apply(x, how, decimals)


def floor(x: Tensor, *, out=None) -> Tensor:
    """The largest whole number <= x, elementwise (``torch.floor``); gradient 0."""
    y = _rounded("floor", x, "floor")
    return y if out is None else write_out("floor", y, out)


def ceil(x: Tensor, *, out=None) -> Tensor:
    """The smallest whole number >= x, elementwise (``torch.ceil``); gradient 0."""
    y = _rounded("ceil", x, "ceil")
    return y if out is None else write_out("ceil", y, out)


def trunc(x: Tensor, *, out=None) -> Tensor:
    """x rounded toward 0, elementwise (``torch.trunc``, also ``fix``); gradient 0."""
    y = _rounded("trunc", x, "trunc")
    return y if out is None else write_out("trunc", y, out)


def round(x: Tensor, *, decimals: int = 0, out=None) -> Tensor:
    """x rounded to ``decimals`` places, halves to even (``torch.round``); gradient 0.
    A negative ``decimals`` rounds to tens, hundreds, ..."""
    if not isinstance(decimals, numbers.Integral) or isinstance(decimals, bool):
        raise DTypeError(f"round: decimals must be an int, got {decimals!r}")
    y = _rounded("round", x, "rint", int(decimals))
    return y if out is None else write_out("round", y, out)


def frac(x: Tensor, *, out=None) -> Tensor:
    """The fractional part x - trunc(x), with x's sign (``torch.frac``); gradient 1."""
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        what = x.dtype if isinstance(x, Tensor) else type(x).__name__
        raise DTypeError(f"frac: expected a floating-point tensor, got {what} (PyTorch "
                         "refuses integer tensors too)")
    y = x - trunc(x)
    return y if out is None else write_out("frac", y, out)


class Fmod(Function):
    """y = x0 - trunc(x0 / x1) x1 (C's fmod: the sign of x0);
    dy/dx0 = 1, dy/dx1 = -trunc(x0 / x1)"""

    @staticmethod
    def forward(ctx, x0, x1):
        ctx.save_for_backward(x0, x1)
        return backend.get_array_module(x0).fmod(x0, x1)  # exact, unlike the formula

    @staticmethod
    def backward(ctx, gy):
        x0, x1 = ctx.saved_tensors
        gx1 = -gy * trunc_divide(x0, x1) if ctx.needs_input_grad[1] else None
        return gy, gx1


def fmod(a, b, *, out=None) -> Tensor:
    """The remainder of a / b with the sign of a (``torch.fmod``; ``%`` has b's sign).
    Integers stay integers; an integer division by zero is an error, as in PyTorch."""
    a, b = binary_operands(a, b)
    if a.dtype.kind == "b":
        raise DTypeError("fmod: not defined for bool tensors (PyTorch refuses them too)")
    if a.dtype.kind in "iu" and not bool(backend.get_array_module(b._array).all(b._array)):
        raise ZeroDivisionError("fmod: integer division by zero")
    y = Fmod.apply(a, b)
    return y if out is None else write_out("fmod", y, out)
