"""Layer normalization as one fused Function, ``LayerNormalize``:

    xhat = (x - mean) / sqrt(var + eps)      over the trailing dims (biased variance)
    y    = xhat * weight + bias              (weight and bias may be None)

and its backward, with gxhat = gy * weight and means over the normalized dims:

    gx = (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)) / sqrt(var + eps)
    gweight = sum of gy * xhat,   gbias = sum of gy       (over the other dims)

Why fused: composed (``layer_norm`` in ``minidl/nn/normalization_functional.py``, the twin the
tests compare this with) it is eight graph nodes, each writing a full-size array forward and
two or three backward; a Transformer normalizes twice per layer. Measured on the GPT of
``benchmarks/char_lm.py`` together with the fused GELU (``gelu.py``): README, Performance.
When no graph of the gradient is recorded the backward is the formula above on arrays; with
``create_graph`` the same formula runs on Tensors, xhat recomputed from x, so second
derivatives flow.

Read next: ``gelu.py`` (GELU, fused).
"""
from __future__ import annotations

from typing import Optional, Tuple

from minidl import backend
from minidl.function import Function
from minidl.grad_mode import is_grad_enabled
from minidl.tensor import Tensor


def _input_gradient(gxhat, xhat, inv_std, mean):
    """gx from the module docstring; arrays or Tensors alike (``mean`` averages over the
    normalized dims, keeping them)."""
    return (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)) * inv_std


def _sum_over(t, dims):
    """t summed over ``dims`` (arrays or Tensors); no dims: t itself (a Tensor's sum over ()
    would reduce every dim, as PyTorch's does)."""
    if not dims:
        return t
    return t.sum(axis=dims) if not isinstance(t, Tensor) else t.sum(dims)


class LayerNormalize(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over ``axes`` (the trailing dims)"""

    @staticmethod
    def forward(ctx, x, weight, bias, axes, eps):
        xp = backend.get_array_module(x)
        xhat = x - x.mean(axis=axes, keepdims=True)
        var = (xhat * xhat).mean(axis=axes, keepdims=True)
        inv_std = 1 / xp.sqrt(var + eps)
        xhat *= inv_std
        y = xhat if weight is None else xhat * weight
        y = y if bias is None else y + bias
        ctx.axes, ctx.eps, ctx.xhat, ctx.inv_std = axes, eps, xhat, inv_std
        ctx.save_for_backward(x, weight)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, weight = ctx.saved_tensors
        axes = ctx.axes
        lead = tuple(range(x.ndim - len(axes)))  # the dims a weight is shared over
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if not is_grad_enabled():  # the usual backward: arrays, no graph
            g, xhat = gy._array, ctx.xhat
            gxhat = g if weight is None else g * weight._array
            gx = _input_gradient(gxhat, xhat, ctx.inv_std,
                                 lambda a: a.mean(axis=axes, keepdims=True)) if need_x else None
            gw = _sum_over(g * xhat, lead) if need_w else None
            gb = _sum_over(g, lead) if need_b else None
            return tuple(None if a is None else Tensor._make(a, False)
                         for a in (gx, gw, gb)) + (None, None)
        deviation = x - x.mean(axes, keepdim=True)  # create_graph: Tensors that depend on x
        inv_std = ((deviation * deviation).mean(axes, keepdim=True) + ctx.eps) ** -0.5
        xhat = deviation * inv_std
        gxhat = gy if weight is None else gy * weight
        gx = _input_gradient(gxhat, xhat, inv_std,
                             lambda t: t.mean(axes, keepdim=True)) if need_x else None
        gw = _sum_over(gy * xhat, lead) if need_w else None
        gb = _sum_over(gy, lead) if need_b else None
        return gx, gw, gb, None, None


def layer_norm(x: Tensor, weight: Optional[Tensor], bias: Optional[Tensor],
               axes: Tuple[int, ...], eps: float) -> Tensor:
    """``LayerNormalize`` over ``axes``, the trailing dims of x (the shape of weight and bias,
    when given). The caller checks the shapes (``normalization_functional.py``)."""
    return LayerNormalize.apply(x, weight, bias, axes, eps)
