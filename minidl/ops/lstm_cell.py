"""One LSTM time step as one fused Function, ``LSTMStep``: the recurrent projection and the
gate arithmetic.

A step of an LSTM (``minidl/nn/layers/recurrent.py``) receives the input's projection
xw = x W_ih^T + b_ih, of shape (N, 4H) with the gates in PyTorch's order (input, forget, cell,
output; computed for every step at once before the loop), and the previous state stacked as
hc = [h, c], of shape (2, N, H):

    a = xw + h W_hh^T + b_hh,   i = sigmoid(a_i),  f = sigmoid(a_f),  g = tanh(a_g),
                                o = sigmoid(a_o)
    c' = f c + i g,   h' = o tanh(c')

and returns [h', c'], shape (2, N, H): the next step's hc (a Function has one output, and a
state that stays stacked never needs slicing inside the loop). Its backward, with gh and gc
the gradients of h' and c':

    dc  = gc + gh o (1 - tanh(c')^2)                      (c' reaches the loss both ways)
    da  = [dc g i (1 - i),  dc c f (1 - f),  dc i (1 - g^2),  gh tanh(c') o (1 - o)]
    gxw = da,   ghc = [da W_hh,  dc f],   gW_hh = da^T h,   gb_hh = sum of da over the batch

Why fused: composed from primitives a step is a matrix product, four slices, four activations
and a dozen products, sums and slices, about twenty graph nodes whose backward runs some fifty
small ops; a layer runs that once per time step, and at batch 32 and width 128 each op costs
more in Python than in NumPy. Here the forward is one node and, when no graph of the gradient
is recorded (the usual ``backward()``), the backward is the formula above on arrays. With
``create_graph`` the same formula runs on Tensors, with the activations recomputed from the
inputs, so that second derivatives flow. ``lstm_step_composed`` is the twin the tests compare
it with.

Read next: ``layer_norm.py`` (layer normalization, fused).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from minidl import backend
from minidl.function import Function
from minidl.grad_mode import is_grad_enabled
from minidl.ops.linalg import matmul
from minidl.ops.shape import cat, stack
from minidl.ops.unary import sigmoid, tanh
from minidl.tensor import Tensor


def _gate_gradients(i, f, g, o, c, tanh_c, gh, gc, join):
    """(da, gc_prev) from the module docstring's formula. The arguments are all arrays or all
    Tensors (the formula uses operators only); ``join`` concatenates along the last axis."""
    dc = gc + gh * o * (1 - tanh_c * tanh_c)
    da = join([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g),
               gh * tanh_c * o * (1 - o)])
    return da, dc * f


def _gates(a, n: int):
    """(i, f, g, o) of the pre-activations a, as Tensors (the create_graph path and the twin)."""
    i, f, o = (sigmoid(a[..., k * n:(k + 1) * n]) for k in (0, 1, 3))
    return i, f, tanh(a[..., 2 * n:3 * n]), o


class LSTMStep(Function):
    """[h', c'] = one LSTM step from xw, [h, c], W_hh and b_hh (formulas: module docstring)"""

    @staticmethod
    def forward(ctx, xw, hc, w_hh, b_hh):
        xp = backend.get_array_module(xw)
        h, c = hc[0], hc[1]
        n = c.shape[-1]
        act = xp.matmul(h, w_hh.T)  # a, turned into the activations in place
        act += xw
        if b_hh is not None:
            act += b_hh
        # All four gates through one exp: sigmoid(a) = 1 / (1 + exp(-a)), and for g,
        # tanh(a) = 2 sigmoid(2a) - 1 (exp is about twice as fast as tanh in NumPy).
        act[..., 2 * n:3 * n] *= 2
        xp.negative(act, out=act)
        with np.errstate(over="ignore"):  # exp(-a) = inf for a < -88 (float32): sigmoid 0
            xp.exp(act, out=act)
        act += 1
        xp.reciprocal(act, out=act)
        g = act[..., 2 * n:3 * n]
        g *= 2
        g -= 1
        i, f, o = act[..., :n], act[..., n:2 * n], act[..., 3 * n:]
        hc_new = xp.empty((2,) + c.shape, dtype=c.dtype)
        xp.multiply(f, c, out=hc_new[1])
        hc_new[1] += i * g
        tanh_c = xp.tanh(hc_new[1])
        xp.multiply(o, tanh_c, out=hc_new[0])
        ctx.act, ctx.tanh_c = act, tanh_c
        ctx.save_for_backward(xw, hc, w_hh, b_hh)
        return hc_new

    @staticmethod
    def backward(ctx, ghc):
        xw, hc, w_hh, b_hh = ctx.saved_tensors
        n = hc.shape[-1]
        if not is_grad_enabled():  # the usual backward: the formula on arrays, one pass
            xp = backend.get_array_module(ghc._array)
            h, c = hc._array[0], hc._array[1]
            i, f, g, o = (ctx.act[..., k * n:(k + 1) * n] for k in range(4))
            da, gc = _gate_gradients(i, f, g, o, c, ctx.tanh_c, ghc._array[0], ghc._array[1],
                                     lambda parts: xp.concatenate(parts, -1))
            g_hc = xp.stack([xp.matmul(da, w_hh._array), gc])
            g_w = xp.matmul(da.reshape(-1, 4 * n).T, h.reshape(-1, n))
            g_b = da.reshape(-1, 4 * n).sum(0)
            da, g_hc, g_w, g_b = (Tensor._make(t, False) for t in (da, g_hc, g_w, g_b))
        else:  # create_graph: the same formula on Tensors that depend on the inputs
            h, c = hc[0], hc[1]
            a = xw + matmul(h, w_hh.transpose(0, 1))
            a = a if b_hh is None else a + b_hh
            i, f, g, o = _gates(a, n)
            da, gc = _gate_gradients(i, f, g, o, c, tanh(f * c + i * g), ghc[0], ghc[1],
                                     lambda parts: cat(parts, -1))
            g_hc = stack([matmul(da, w_hh), gc])
            g_w = matmul(da.reshape(-1, 4 * n).transpose(0, 1), h.reshape(-1, n))
            g_b = da.reshape(-1, 4 * n).sum(0)
        need = ctx.needs_input_grad
        return (da if need[0] else None, g_hc if need[1] else None, g_w if need[2] else None,
                g_b if need[3] else None)


def lstm_step_composed(xw: Tensor, hc: Tensor, w_hh: Tensor,
                       b_hh: Optional[Tensor] = None) -> Tensor:
    """The LSTM step from primitives: the reference for ``LSTMStep``."""
    h, c = hc[0], hc[1]
    a = xw + matmul(h, w_hh.transpose(0, 1))
    a = a if b_hh is None else a + b_hh
    i, f, g, o = _gates(a, hc.shape[-1])
    c_new = f * c + i * g
    return stack([o * tanh(c_new), c_new])


def lstm_step(xw: Tensor, hc: Tensor, w_hh: Tensor, b_hh: Optional[Tensor] = None) -> Tensor:
    """``LSTMStep``: the next [h, c], shape (2, N, H), from xw (N, 4H) and [h, c]."""
    return LSTMStep.apply(xw, hc, w_hh, b_hh)
