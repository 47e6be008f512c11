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

Read next: ``lstm_sequence.py`` (a whole LSTM layer, fused).
"""
from __future__ import annotations

from typing import Optional

from minidl import backend
from minidl.function import Function
from minidl.grad_mode import is_grad_enabled
from minidl.ops.linalg import matmul
from minidl.ops.shape import cat, stack
from minidl.ops.unary import sigmoid, tanh
from minidl.tensor import Tensor


def _gate_gradients(i, f, g, o, c, tanh_c, gh, gc):
    """(da, gc_prev) from the module docstring's formula, on Tensors (create_graph)."""
    dc = gc + gh * o * (1 - tanh_c * tanh_c)
    da = cat([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g),
              gh * tanh_c * o * (1 - o)], -1)
    return da, dc * f


def _gates(a, n: int):
    """(i, f, g, o) of the pre-activations a, as Tensors (the create_graph path and the twin)."""
    i, f, o = (sigmoid(a[..., k * n:(k + 1) * n]) for k in (0, 1, 3))
    return i, f, tanh(a[..., 2 * n:3 * n]), o


def gate_scale(xp, n: int, dtype):
    """(S, shift), shape (4H,) each: S = 1/2 on the sigmoid gates' columns and 1 on the tanh
    gate's, shift = 1/2 and 0. All four gates then come out of one tanh over the whole
    (N, 4H) block, as S tanh(S a) + shift, since sigmoid(a) = 1/2 tanh(a/2) + 1/2; the S inside
    is folded into the weights (``scaled_projections``). One tanh and two passes over whole
    rows cost less in NumPy than exp, reciprocal and passes over each gate's slice (a slice of
    columns is strided). Scaling by powers of two is exact."""
    scale = xp.repeat(xp.asarray([0.5, 0.5, 1, 0.5], dtype=dtype), n)
    return scale, xp.repeat(xp.asarray([0.5, 0.5, 0, 0.5], dtype=dtype), n)


def scaled_projections(xp, xw, w_hh, b_hh):
    """(xw + b_hh) S, (S W_hh)^T and (S, shift) of ``gate_scale``: a step's inputs."""
    scale, shift = gate_scale(xp, w_hh.shape[-1], w_hh.dtype)
    xw_scaled = xw * scale if b_hh is None else (xw + b_hh) * scale
    return xw_scaled, scaled_transpose(xp, w_hh, scale), (scale, shift)


def scaled_transpose(xp, w_hh, scale):
    """(S W_hh)^T, copied into its own row-major array: OpenBLAS multiplies the small batches
    of a step about 1.5x faster by a row-major matrix than by a transposed view."""
    return xp.ascontiguousarray((w_hh * scale[:, None]).T)


def step_arrays(xp, h, c, xw_scaled, w_scaled_t, gates, act, hc_out, tanh_c, bias_scaled=None):
    """One forward step on arrays, from ``scaled_projections`` (and a scaled bias still to be
    added, or None): the activations [i, f, g, o] go into ``act``, [h', c'] into ``hc_out``,
    tanh(c') into ``tanh_c``."""
    n = c.shape[-1]
    xp.matmul(h, w_scaled_t, out=act)
    act += xw_scaled
    if bias_scaled is not None:
        act += bias_scaled
    xp.tanh(act, out=act)
    act *= gates[0]
    act += gates[1]
    i, f, g, o = (act[..., k * n:(k + 1) * n] for k in range(4))
    xp.multiply(f, c, out=hc_out[1])
    hc_out[1] += i * g
    xp.tanh(hc_out[1], out=tanh_c)
    xp.multiply(o, tanh_c, out=hc_out[0])


def gate_gradients_into(xp, act, c, tanh_c, gh, gc, da):
    """The module docstring's da, on arrays, written into ``da`` (contiguous, like ``act``) in
    few passes over whole rows: the gates' derivatives are (act + u)(1 - act) with u = 1 on
    the tanh gate's columns and 0 elsewhere, s (1 - s) and (1 + g)(1 - g) at once, times
    [g, c, i, tanh(c')] side by side, times dc or gh. Returns dc."""
    n = c.shape[-1]
    shape4 = act.shape[:-1] + (4, n)
    a4, d4 = act.reshape(shape4), da.reshape(shape4)
    dc = tanh_c * tanh_c  # dc = gc + gh o (1 - tanh(c')^2)
    xp.subtract(1, dc, out=dc)
    dc *= a4[..., 3, :]
    dc *= gh
    dc += gc
    u = xp.repeat(xp.asarray([0, 0, 1, 0], dtype=act.dtype), n)
    xp.subtract(1, act, out=da)
    da *= act + u
    da *= xp.concatenate([a4[..., 2, :], xp.broadcast_to(c, tanh_c.shape), a4[..., 0, :],
                          tanh_c], axis=-1)
    d4[..., :3, :] *= dc[..., None, :]
    d4[..., 3, :] *= gh
    return dc


def step_gradients_on_tensors(xw, hc, w_hh, b_hh, gh, gc):
    """(gxw, g_hc, gW_hh, gb_hh) of one step as Tensors that depend on the inputs, the
    activations recomputed from them: the create_graph backward, through which second
    derivatives flow."""
    n = hc.shape[-1]
    h, c = hc[0], hc[1]
    a = xw + matmul(h, w_hh.transpose(0, 1))
    a = a if b_hh is None else a + b_hh
    i, f, g, o = _gates(a, n)
    da, gc_prev = _gate_gradients(i, f, g, o, c, tanh(f * c + i * g), gh, gc)
    g_w = matmul(da.reshape(-1, 4 * n).transpose(0, 1), h.reshape(-1, n))
    return da, stack([matmul(da, w_hh), gc_prev]), g_w, da.reshape(-1, 4 * n).sum(0)


class LSTMStep(Function):
    """[h', c'] = one LSTM step from xw, [h, c], W_hh and b_hh (formulas: module docstring)"""

    @staticmethod
    def forward(ctx, xw, hc, w_hh, b_hh):
        xp = backend.get_array_module(xw)
        xw_scaled, w_scaled_t, gates = scaled_projections(xp, xw, w_hh, b_hh)
        shape = xp.broadcast_shapes(hc.shape[1:-1] + w_hh.shape[:1], xw.shape)  # (N, 4H)
        act = xp.empty(shape, dtype=hc.dtype)
        hc_new = xp.empty(hc.shape, dtype=hc.dtype)
        ctx.tanh_c = xp.empty(hc.shape[1:], dtype=hc.dtype)
        step_arrays(xp, hc[0], hc[1], xw_scaled, w_scaled_t, gates, act, hc_new, ctx.tanh_c)
        ctx.act = act
        ctx.save_for_backward(xw, hc, w_hh, b_hh)
        return hc_new

    @staticmethod
    def backward(ctx, ghc):
        xw, hc, w_hh, b_hh = ctx.saved_tensors
        n = hc.shape[-1]
        if not is_grad_enabled():  # the usual backward: the formula on arrays, one pass
            xp = backend.get_array_module(ghc._array)
            h, c = hc._array[0], hc._array[1]
            da = xp.empty(ctx.act.shape, dtype=ctx.act.dtype)
            dc = gate_gradients_into(xp, ctx.act, c, ctx.tanh_c, ghc._array[0], ghc._array[1],
                                     da)
            g_hc = xp.stack([xp.matmul(da, w_hh._array), dc * ctx.act[..., n:2 * n]])
            g_w = xp.matmul(da.reshape(-1, 4 * n).T, h.reshape(-1, n))
            g_b = da.reshape(-1, 4 * n).sum(0)
            da, g_hc, g_w, g_b = (Tensor._make(t, False) for t in (da, g_hc, g_w, g_b))
        else:  # create_graph: the same formula on Tensors that depend on the inputs
            da, g_hc, g_w, g_b = step_gradients_on_tensors(xw, hc, w_hh, b_hh, ghc[0], ghc[1])
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
