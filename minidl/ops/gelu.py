"""GELU as one fused Function, ``GELU``: y = x Phi(x), Phi the standard normal CDF, exactly or
with GPT-2's tanh approximation:

    approximate="none":  y = x Phi(x),  Phi(x) = (1 + erf(x / sqrt(2))) / 2
                         dy/dx = Phi(x) + x phi(x),   phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
    approximate="tanh":  y = x s,  s = sigmoid(2u) = (1 + tanh(u)) / 2,
                         u = sqrt(2/pi) (x + 0.044715 x^3)
                         dy/dx = s + x s (1 - s) 2u'(x),   2u' = 2 sqrt(2/pi) (1 + 3 0.044715 x^2)

Why fused: composed (``gelu`` in ``minidl/nn/activation_functional.py``, the twin the tests
compare this with) the tanh form is nine graph nodes over the widest activations of a
Transformer (its MLP's hidden layer, four times the model's width), each writing a full-size
array forward and more backward; here the forward is a handful of in-place passes (one tanh:
NumPy's is vectorized, faster than an exp and a reciprocal) and the backward one formula. With
``create_graph`` the backward runs the formula on Tensors, so second derivatives flow.

Read next: ``minidl/dtypes.py``, the first of the modules the ops stand on.
"""
from __future__ import annotations

import math

from minidl import backend
from minidl.function import Function
from minidl.grad_mode import is_grad_enabled
from minidl.ops.special import erf
from minidl.ops.unary import exp, sigmoid
from minidl.tensor import Tensor

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)  # u = _SQRT_2_OVER_PI (x + 0.044715 x^3)
_TANH_SCALE = 2 * _SQRT_2_OVER_PI  # 2u = _TANH_SCALE (x + 0.044715 x^3)
_INV_SQRT_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _slope(x, cdf, tanh: bool):
    """dy/dx from x and Phi(x) (or s), arrays or Tensors alike (the module docstring)."""
    if tanh:
        return cdf + x * cdf * (1 - cdf) * ((1 + x * x * (3 * 0.044715)) * _TANH_SCALE)
    return cdf + x * _INV_SQRT_2PI * _exp(x * x * -0.5)


def _exp(t):
    return exp(t) if isinstance(t, Tensor) else backend.get_array_module(t).exp(t)


class GELU(Function):
    """y = x Phi(x), or its tanh approximation (the derivative: see the module docstring)"""

    @staticmethod
    def forward(ctx, x_in, approximate):
        xp = backend.get_array_module(x_in)
        tanh = approximate == "tanh"
        x = x_in.reshape(-1)  # (a view: NumPy turns 0-d results into scalars, not arrays)
        cdf = xp.empty_like(x)
        if tanh:  # s = (1 + tanh(u)) / 2, u = (x^2 0.044715 c + c) x with c = sqrt(2/pi)
            xp.multiply(x, x, out=cdf)
            cdf *= 0.044715 * _SQRT_2_OVER_PI
            cdf += _SQRT_2_OVER_PI
            cdf *= x
            xp.tanh(cdf, out=cdf)
            cdf += 1
            cdf *= 0.5
        else:
            xp.multiply(x, x.dtype.type(_INV_SQRT_2), out=cdf)
            cdf = erf(Tensor._make(cdf, False))._array
            cdf += 1
            cdf *= 0.5
        ctx.tanh, ctx.cdf = tanh, cdf
        ctx.save_for_backward(x_in)
        return (x * cdf).reshape(x_in.shape)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        if not is_grad_enabled():  # the usual backward: arrays, no graph
            slope = _slope(x._array.reshape(-1), ctx.cdf, ctx.tanh)
            return Tensor._make((gy._array.reshape(-1) * slope).reshape(x.shape), False), None
        if ctx.tanh:  # create_graph: Phi (or s) recomputed as a function of x
            cdf = sigmoid((x + x * x * x * 0.044715) * _TANH_SCALE)
        else:
            cdf = (erf(x * _INV_SQRT_2) + 1) * 0.5
        return gy * _slope(x, cdf, ctx.tanh), None


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """``GELU``: x Phi(x), exactly ("none") or with the tanh approximation ("tanh")."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(x, approximate)
