"""Logarithms and powers in other bases, and two everyday shorthands:

    log2(x)   d/dx = 1 / (x ln 2)        log10(x)  d/dx = 1 / (x ln 10)
    exp2(x)   d/dx = 2^x ln 2 = y ln 2
    square(x) = x * x                    reciprocal(x) = 1 / x      (composed: no backward here)

log2, log10 and exp2 are primitives rather than log(x) / ln 2 and exp(x ln 2): NumPy's own
functions give exact results where they should (log2(8) = 3, exp2(10) = 1024), the composed
ones can miss by a rounding. As with exp and log, integer and bool inputs are computed in the
default floating-point dtype; ``square`` keeps integers integers (bools become int64, as in
PyTorch), ``reciprocal`` of an integer tensor is a float one.

Read next: ``erf_family.py`` (erfc, erfinv).
"""
from __future__ import annotations

import math

import numpy as np

from minidl import backend
from minidl.errors import DTypeError
from minidl.function import Function
from minidl.ops.arguments import write_out
from minidl.ops.arithmetic import div, mul
from minidl.ops.trigonometric import float_input
from minidl.tensor import Tensor

_LN2, _LN10 = math.log(2), math.log(10)


class Log2(Function):
    """y = log2(x);  dy/dx = 1 / (x log(2))"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend.get_array_module(x).log2(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy / (x * _LN2)


class Log10(Function):
    """y = log10(x);  dy/dx = 1 / (x log(10))"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend.get_array_module(x).log10(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy / (x * _LN10)


class Exp2(Function):
    """y = 2^x;  dy/dx = 2^x log(2) = y log(2)"""

    @staticmethod
    def forward(ctx, x):
        y = backend.get_array_module(x).exp2(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        y, = ctx.saved_tensors
        return gy * (y * _LN2)


def log2(x: Tensor, *, out=None) -> Tensor:
    y = Log2.apply(float_input("log2", x))
    return y if out is None else write_out("log2", y, out)


def log10(x: Tensor, *, out=None) -> Tensor:
    y = Log10.apply(float_input("log10", x))
    return y if out is None else write_out("log10", y, out)


def exp2(x: Tensor, *, out=None) -> Tensor:
    y = Exp2.apply(float_input("exp2", x))
    return y if out is None else write_out("exp2", y, out)


def square(x: Tensor, *, out=None) -> Tensor:
    """x * x (``torch.square``); a bool tensor is squared as int64, as in PyTorch."""
    if not isinstance(x, Tensor):
        raise DTypeError(f"square: expected a Tensor, got {type(x).__name__}")
    if x.dtype.kind == "b":
        x = x.to(np.int64)
    y = mul(x, x)
    return y if out is None else write_out("square", y, out)


def reciprocal(x: Tensor, *, out=None) -> Tensor:
    """1 / x (``torch.reciprocal``); integer tensors give the default floating-point dtype."""
    y = div(1, float_input("reciprocal", x))
    return y if out is None else write_out("reciprocal", y, out)
