"""The complementary error function and the inverse error function, in NumPy alone:

    erfc(x) = 1 - erf(x) = 2/sqrt(pi) int_x^inf exp(-s^2) ds    d/dx = -2/sqrt(pi) exp(-x^2)
    erfinv(y) = the x with erf(x) = y, for -1 < y < 1          d/dy = sqrt(pi)/2 exp(x^2)

Why erfc is not composed as 1 - erf(x): for large x, erf(x) rounds to 1 and the difference
loses every digit (erfc(10) = 2e-45 is not 1 - 1 = 0). Near 0 the subtraction is harmless, so
for |x| < 1.5 erfc uses ``erf`` (``special.py``); beyond, the continued fraction

    erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + (2/2)/(x + (3/2)/(x + ...))))

evaluated from 80 terms deep upward (relative error below 2e-15 for x >= 1.5, measured against
``math.erfc``), and erfc(-x) = 2 - erfc(x).

erfinv starts from Winitzki's closed-form approximation (relative error below 2e-3) and refines
it with three Halley steps on f(x) = erf(x) - y, whose derivatives f' = 2/sqrt(pi) exp(-x^2)
and f'' = -2x f' give the step  s = f/f',  x <- x - s / (1 + x s)  (each step about triples the
correct digits). For |y| >= 1/2 the residual is written as (1 - |y|) - erfc(x), where 1 - |y| is
exact, so digits near y = +-1 are not lost. Both compute in float64 and return the input's
dtype. erfinv(+-1) = +-inf, and NaN outside [-1, 1], as in PyTorch.

Read next: ``binary_math.py`` (lerp, logaddexp, copysign, hypot, isclose).
"""
from __future__ import annotations

import math

import numpy as np

from minidl import backend
from minidl.function import Function
from minidl.ops.arguments import write_out
from minidl.ops.special import _erf_array
from minidl.ops.trigonometric import float_input
from minidl.ops.unary import exp
from minidl.tensor import Tensor

_CF_FROM = 1.5  # |x| from which erfc uses the continued fraction
_CF_TERMS = 80


def _erfc_array(x):
    """erfc of an array (see the module docstring); float64 inside."""
    xp = backend.get_array_module(x)
    x64 = x.astype(np.float64).reshape(-1)  # (1-d: NumPy makes 0-d results scalars)
    a = xp.clip(xp.abs(x64), _CF_FROM, 28.0)  # erfc(28) = 0 in float64; NaN: put back below
    t = xp.zeros_like(a)
    for k in range(_CF_TERMS, 0, -1):
        t = (k / 2) / (a + t)
    # exp(-a^2) as exp(-h^2) exp(-(a - h)(a + h)), with h = a to 1/16 so that h^2 is exact:
    # a^2 itself rounds, and exp multiplies its absolute error into a relative one
    h = xp.round(a * 16) / 16
    tail = xp.exp(-h * h) * xp.exp(-(a - h) * (a + h)) / (math.sqrt(math.pi) * (a + t))
    tail = xp.where(x64 < 0, 2 - tail, tail)
    y = xp.where(xp.abs(x64) < _CF_FROM, 1 - _erf_array(x64), tail)
    return xp.where(xp.isnan(x64), x64, y).astype(x.dtype, copy=False).reshape(x.shape)


class Erfc(Function):
    """y = erfc(x) = 1 - erf(x);  dy/dx = -2/sqrt(pi) exp(-x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erfc_array(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * (exp(-(x * x)) * (-2 / math.sqrt(math.pi)))


def _erfinv_array(y):
    """erfinv of an array (see the module docstring); float64 inside."""
    xp = backend.get_array_module(y)
    y64 = y.astype(np.float64).reshape(-1)  # (1-d: NumPy makes 0-d results scalars)
    abs_y = xp.abs(y64)
    inside = abs_y < 1
    a = xp.where(inside, abs_y, 0.5)  # any value in (0, 1): the outside is filled in below
    one_minus_a = 1 - a  # exact for a >= 1/2 (Sterbenz), which is where it matters
    # Winitzki: erfinv(a) ~ sqrt(sqrt(b^2 - log(1 - a^2)/w) - b), b = 2/(pi w) + log(1 - a^2)/2
    w = 0.147
    log_term = xp.log(one_minus_a * (1 + a))
    b = 2 / (math.pi * w) + log_term / 2
    x = xp.sqrt(xp.sqrt(b * b - log_term / w) - b)
    near_one = a >= 0.5
    for _ in range(3):
        residual = xp.where(near_one, one_minus_a - _erfc_array(x), _erf_array(x) - a)
        s = residual / (2 / math.sqrt(math.pi) * xp.exp(-x * x))
        x = x - s / (1 + x * s)
    x = xp.where(inside, x, xp.where(abs_y == 1, xp.inf, xp.nan))
    return xp.copysign(x, y64).astype(y.dtype, copy=False).reshape(y.shape)


class Erfinv(Function):
    """x = erfinv(y);  dx/dy = 1 / erf'(x) = sqrt(pi)/2 exp(x^2)"""

    @staticmethod
    def forward(ctx, y):
        x = _erfinv_array(y)
        ctx.save_for_backward(x)
        return x

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * (exp(x * x) * (math.sqrt(math.pi) / 2))


def erfc(x: Tensor, *, out=None) -> Tensor:
    """The complementary error function 1 - erf(x), elementwise (``torch.erfc``), accurate
    also where it is tiny."""
    y = Erfc.apply(float_input("erfc", x))
    return y if out is None else write_out("erfc", y, out)


def erfinv(x: Tensor, *, out=None) -> Tensor:
    """The inverse error function on [-1, 1] (``torch.erfinv``)."""
    y = Erfinv.apply(float_input("erfinv", x))
    return y if out is None else write_out("erfinv", y, out)
