"""Softmax cross-entropy as one fused Function: the loss and its gradient in closed form.

``minidl/nn/loss_functional.py`` checks the arguments and calls it (``cross_entropy``); the
targets object it receives (``_ClassTargets`` there) holds the class indices, the per-sample
weights and which samples are ignored. ``cross_entropy_composed``, in the same file, is the
twin made of primitives that the tests compare this with.

Read next: ``batch_norm.py`` (batch normalization's fused training-mode step).
"""
from __future__ import annotations

from minidl import backend
from minidl.function import Function
from minidl.grad_mode import is_grad_enabled
from minidl.ops.softmax import softmax


class CrossEntropy(Function):
    """log_softmax and the negative log-likelihood fused into one node:

        l_i = -sum_k q_ik log p_ik,   p = softmax(x),   q_ik = (1 - s) w[c_i] [k = c_i] + s w_k / C
        dl_i/dx_i = (sum_k q_ik) p_i - q_i

    (for one-hot q this is the familiar p - onehot). Why fused: the composed version records
    about ten graph nodes, several of them holding (N, C) intermediates, and its backward walks
    them all; here the forward is one stable pass (shift by the row maximum) and the backward is
    one expression. Higher derivatives still work: when a graph is being recorded (create_graph)
    p is recomputed as softmax(x), a differentiable function of x; otherwise the saved p is used.
    ``cross_entropy_composed`` is the reference twin."""

    @staticmethod
    def forward(ctx, x, targets, smoothing, reduction):
        xp = backend.get_array_module(x)
        shifted = x - x.max(axis=1, keepdims=True)
        e = xp.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        logp = shifted - xp.log(total)
        rows = xp.arange(x.shape[0])
        loss = -logp[rows, targets.safe] * targets.w_y * (1 - smoothing)
        if smoothing:
            loss -= (logp * targets.w).sum(axis=1) * targets.valid * (smoothing / x.shape[1])
        ctx.save_for_backward(x, e / total)
        ctx.targets, ctx.smoothing, ctx.reduction = targets, smoothing, reduction
        if reduction == "none":
            return loss
        return loss.sum() / targets.w_y.sum() if reduction == "mean" else loss.sum()

    @staticmethod
    def backward(ctx, gy):
        x, p = ctx.saved_tensors
        if is_grad_enabled():  # create_graph: p must depend on x for the second derivative
            p = softmax(x, 1)
        targets, s = ctx.targets, ctx.smoothing
        xp = backend.get_array_module(x._array)
        m, c = x.shape
        q = xp.zeros((m, c), dtype=x.dtype)
        q[xp.arange(m), targets.safe] = targets.w_y * (1 - s)
        if s:
            q += targets.w * (targets.valid[:, None] * (s / c))
        row_sums = q.sum(axis=1, keepdims=True)
        scale = (gy.reshape(m, 1) if ctx.reduction == "none" else
                 gy / targets.constant(targets.w_y.sum()) if ctx.reduction == "mean" else gy)
        gx = (p * targets.constant(row_sums) - targets.constant(q)) * scale
        return gx, None, None, None
