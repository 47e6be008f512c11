"""A whole LSTM layer direction, every time step, as one fused Function: ``LSTMSequence``.

``LSTMStep`` (``lstm_cell.py``) makes one graph node per time step; a layer over T steps then
has T nodes, T slices of the input projection and a stack of the T outputs, and the engine
walks them one by one: at batch 32 and width 128 the bookkeeping costs about as much as the
arithmetic. This Function takes the whole input x of shape (T, N, I), the initial state
hc_0 = [h_0, c_0] of shape (2, N, H) and the layer's four parameters, and returns every step's
state stacked, hcs of shape (T, 2, N, H) (hcs[t] = [h_t, c_t], in time order also when
``reverse``). Forward: one matrix product projects every step's input at once,

    xw = x W_ih^T + b_ih + b_hh          (T, N, 4H)

then the step of ``lstm_cell.py``'s docstring runs T times on arrays. Backpropagation through
time, from the last step processed to the first: step t receives the gradient of its own
output plus what the following step sends back,

    gh_t = ghcs[t, 0] + da_{t+1} W_hh,      gc_t = ghcs[t, 1] + dc_{t+1} f_{t+1},

turns it into da_t (the gate gradients of ``lstm_cell.py``) and passes da_t W_hh and dc_t f_t
on. Only that chain is sequential; what sums over steps is a matrix product at the end, with
da all steps' da stacked and H_prev the states each step started from:

    gx = da W_ih,   gW_ih = da^T x,   gW_hh = da^T H_prev,   gb_ih = gb_hh = sum of da.

Fusing the projection also saves whole passes over the (T, N, 4H) activations: the biases are
added inside the steps, and the gates' scaling of ``lstm_cell.py`` is folded into the weights.
PyTorch's fused ``nn.LSTM`` (and cuDNN's) is built the same way. With ``create_graph`` the
backward runs ``LSTMStep``'s Tensor formula step by step, so second derivatives flow; the twin
the tests compare with is a loop of ``lstm_step_composed``.

Read next: ``layer_norm.py`` (layer normalization, fused).
"""
from __future__ import annotations

from typing import Optional

from minidl import backend
from minidl.function import Function
from minidl.grad_mode import is_grad_enabled
from minidl.ops.linalg import matmul, stacked_matmul
from minidl.ops.lstm_cell import (
    gate_gradients_into,
    gate_scale,
    scaled_transpose,
    step_arrays,
    step_gradients_on_tensors,
)
from minidl.ops.shape import stack, transpose
from minidl.tensor import Tensor


def _previous(order, k: int):
    """The time index of the state that step order[k] started from (None: the initial one)."""
    return order[k - 1] if k > 0 else None


def _bias_sum(b_ih, b_hh):
    if b_ih is None or b_hh is None:
        return b_hh if b_ih is None else b_ih
    return b_ih + b_hh


class LSTMSequence(Function):
    """hcs = every step's [h_t, c_t] of one LSTM layer direction (module docstring)"""

    @staticmethod
    def forward(ctx, x, hc0, w_ih, w_hh, b_ih, b_hh, reverse=False):
        xp = backend.get_array_module(x)
        steps, dtype = x.shape[0], hc0.dtype
        gates = scale, _ = gate_scale(xp, w_hh.shape[-1], dtype)
        xw_scaled = stacked_matmul(x, (w_ih * scale[:, None]).T)  # every step's input, at once
        bias = _bias_sum(b_ih, b_hh)
        bias = None if bias is None else bias * scale
        w_scaled_t = scaled_transpose(xp, w_hh, scale)
        order = range(steps - 1, -1, -1) if reverse else range(steps)
        hcs = xp.empty((steps,) + hc0.shape, dtype=dtype)
        act = xp.empty(xw_scaled.shape, dtype=dtype)
        tanh_c = xp.empty((steps,) + hc0.shape[1:], dtype=dtype)
        hc = hc0
        for t in order:
            step_arrays(xp, hc[0], hc[1], xw_scaled[t], w_scaled_t, gates, act[t], hcs[t],
                        tanh_c[t], bias)
            hc = hcs[t]
        ctx.act, ctx.tanh_c, ctx.order = act, tanh_c, list(order)
        ctx.save_for_backward(x, hc0, w_ih, w_hh, b_ih, b_hh, hcs)
        return hcs

    @staticmethod
    def backward(ctx, ghcs):
        x, hc0, w_ih, w_hh, b_ih, b_hh, hcs = ctx.saved_tensors
        if is_grad_enabled():
            grads = _backward_on_tensors(ctx.order, x, hc0, w_ih, w_hh, b_ih, b_hh, hcs, ghcs)
        else:
            grads = _backward_on_arrays(ctx, x._array, hc0._array, w_ih._array, w_hh._array,
                                        hcs._array, ghcs._array)
            grads = [Tensor._make(g, False) for g in grads]
        need = ctx.needs_input_grad
        return tuple(g if needed else None for g, needed in zip(grads, need)) + (None,)


def _backward_on_arrays(ctx, x, hc0, w_ih, w_hh, hcs, ghcs):
    """[gx, g_hc0, gW_ih, gW_hh, gb_ih, gb_hh] by the module docstring's formulas, on arrays."""
    xp = backend.get_array_module(ghcs)
    act, tanh_c, order = ctx.act, ctx.tanh_c, ctx.order
    n = hc0.shape[-1]
    da = xp.empty_like(act)
    dh = dc_f = None  # what the step processed after this one sends back
    for k in range(len(order) - 1, -1, -1):
        t, prev = order[k], _previous(order, k)
        gh, gc = ghcs[t, 0], ghcs[t, 1]
        if dh is not None:
            gh, gc = gh + dh, gc + dc_f
        c_prev = hc0[1] if prev is None else hcs[prev, 1]
        dc = gate_gradients_into(xp, act[t], c_prev, tanh_c[t], gh, gc, da[t])
        dc_f = dc * act[t, ..., n:2 * n]
        dh = xp.matmul(da[t], w_hh)
    first = hc0[0][None]  # h_prev[t]: the h that step t started from, in time order
    h_prev = xp.concatenate([hcs[1:, 0], first] if order[0] else [first, hcs[:-1, 0]])
    rows = da.reshape(-1, 4 * n)
    g_b = rows.sum(0)
    return [stacked_matmul(da, w_ih), xp.stack([dh, dc_f]),
            xp.matmul(rows.T, x.reshape(-1, x.shape[-1])),
            xp.matmul(rows.T, h_prev.reshape(-1, n)), g_b, g_b.copy()]  # (two leaves' .grad)


def _backward_on_tensors(order, x, hc0, w_ih, w_hh, b_ih, b_hh, hcs, ghcs):
    """The same gradients as Tensors that depend on the inputs (create_graph): ``LSTMStep``'s
    Tensor formula once per step, from the last step processed to the first."""
    xw = matmul(x, transpose(w_ih, 0, 1))
    xw = xw if b_ih is None else xw + b_ih
    g_xw = [None] * len(order)
    g_w = g_b = gh_next = gc_next = None
    for k in range(len(order) - 1, -1, -1):
        t, prev = order[k], _previous(order, k)
        gh, gc = ghcs[t, 0], ghcs[t, 1]
        if gh_next is not None:
            gh, gc = gh + gh_next, gc + gc_next
        da, g_hc, g_w_t, g_b_t = step_gradients_on_tensors(
            xw[t], hc0 if prev is None else hcs[prev], w_hh, b_hh, gh, gc)
        g_xw[t], gh_next, gc_next = da, g_hc[0], g_hc[1]
        g_w = g_w_t if g_w is None else g_w + g_w_t
        g_b = g_b_t if g_b is None else g_b + g_b_t
    da = stack(g_xw)
    rows = da.reshape(-1, da.shape[-1])
    g_w_ih = matmul(transpose(rows, 0, 1), x.reshape(-1, x.shape[-1]))
    return [matmul(da, w_ih), stack([gh_next, gc_next]), g_w_ih, g_w, g_b, g_b.clone()]


def lstm_sequence(x: Tensor, hc0: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None,
                  reverse: bool = False) -> Tensor:
    """``LSTMSequence``: every step's [h_t, c_t], shape (T, 2, N, H), from the input x
    (T, N, I), the initial [h_0, c_0] (2, N, H) and the layer's weights and biases (PyTorch's
    shapes: W_ih (4H, I), W_hh (4H, H), b_ih and b_hh (4H,)); ``reverse`` runs from the last
    step to the first."""
    return LSTMSequence.apply(x, hc0, w_ih, w_hh, b_ih, b_hh, reverse)
