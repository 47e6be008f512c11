"""An LSTM cell's gate arithmetic as one fused Function, ``LSTMCellGates``.

One time step of an LSTM (``minidl/nn/layers/recurrent.py``) takes the input's and the
previous hidden state's projections, xw = x W_ih^T + b_ih and hw = h W_hh^T + b_hh, both of
shape (N, 4H) with the gates in PyTorch's order (input, forget, cell, output), and the previous
cell state c (N, H):

    a = xw + hw,   i = sigmoid(a_i),  f = sigmoid(a_f),  g = tanh(a_g),  o = sigmoid(a_o)
    c' = f c + i g
    h' = o tanh(c')

and returns h' and c' stacked, shape (2, N, H) (a Function has one output). Its backward, with
gh and gc the gradients of h' and c':

    dc  = gc + gh o (1 - tanh(c')^2)                      (c' reaches the loss both ways)
    da  = [dc g i (1 - i),  dc c f (1 - f),  dc i (1 - g^2),  gh tanh(c') o (1 - o)]
    gxw = ghw = da,   gc_prev = dc f

Why fused: composed from primitives a step is four slices, four activations and five products
and sums, about fifteen graph nodes whose backward runs some forty small ops; a recurrent layer
runs that once per time step, and at batch 32 and width 128 each op costs more in Python than
in NumPy. Here the forward is one node and, when no graph of the gradient is recorded (the
usual ``backward()``), the backward is the formula above on arrays. With ``create_graph`` the
same formula runs on Tensors, with the activations recomputed from the inputs, so that second
derivatives flow. ``lstm_cell_composed`` is the twin the tests compare it with.

Read next: ``minidl/dtypes.py``, the first of the modules the ops stand on.
"""
from __future__ import annotations

from minidl import backend
from minidl.function import Function
from minidl.grad_mode import is_grad_enabled
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


class LSTMCellGates(Function):
    """[h', c'] = LSTM gates of a = xw + hw and c (the module docstring has the formulas)"""

    @staticmethod
    def forward(ctx, xw, hw, c):
        xp = backend.get_array_module(xw)
        a = xw + hw
        n = c.shape[-1]
        # sigmoid(a) = (1 + tanh(a / 2)) / 2: one tanh over all four gates, never overflowing
        act = xp.tanh(a * a.dtype.type(0.5))
        ifo = act[..., :n * 2], act[..., n * 3:]
        for part in ifo:
            part += 1
            part *= 0.5
        xp.tanh(a[..., n * 2:n * 3], out=act[..., n * 2:n * 3])
        i, f, g, o = (act[..., k * n:(k + 1) * n] for k in range(4))
        c_new = f * c + i * g
        tanh_c = xp.tanh(c_new)
        ctx.act, ctx.tanh_c = act, tanh_c
        ctx.save_for_backward(xw, hw, c)
        return xp.stack([o * tanh_c, c_new])

    @staticmethod
    def backward(ctx, ghc):
        xw, hw, c = ctx.saved_tensors
        n = c.shape[-1]
        if not is_grad_enabled():  # the usual backward: the formula on arrays, one pass
            xp = backend.get_array_module(ghc._array)
            i, f, g, o = (ctx.act[..., k * n:(k + 1) * n] for k in range(4))
            da, gc = _gate_gradients(i, f, g, o, c._array, ctx.tanh_c, ghc._array[0],
                                     ghc._array[1], lambda parts: xp.concatenate(parts, -1))
            da, gc = Tensor._make(da, False), Tensor._make(gc, False)
        else:  # create_graph: the same formula on Tensors that depend on the inputs
            a = xw + hw
            i, f, o = (sigmoid(a[..., k * n:(k + 1) * n]) for k in (0, 1, 3))
            g = tanh(a[..., 2 * n:3 * n])
            tanh_c = tanh(f * c + i * g)
            da, gc = _gate_gradients(i, f, g, o, c, tanh_c, ghc[0], ghc[1],
                                     lambda parts: cat(parts, -1))
        need_xw, need_hw, need_c = ctx.needs_input_grad
        return da if need_xw else None, da if need_hw else None, gc if need_c else None


def lstm_cell_composed(xw: Tensor, hw: Tensor, c: Tensor) -> Tensor:
    """The LSTM gates from primitives: the reference for ``LSTMCellGates``."""
    a = xw + hw
    n = c.shape[-1]
    i, f, o = (sigmoid(a[..., k * n:(k + 1) * n]) for k in (0, 1, 3))
    g = tanh(a[..., 2 * n:3 * n])
    c_new = f * c + i * g
    return stack([o * tanh(c_new), c_new])


def lstm_cell_gates(xw: Tensor, hw: Tensor, c: Tensor) -> Tensor:
    """``LSTMCellGates``: [h', c'] stacked, shape (2, N, H), from the two projections and c."""
    return LSTMCellGates.apply(xw, hw, c)
