"""Batch normalization's training step as one fused Function, ``BatchNormalize``.

``minidl/nn/normalization_functional.py`` computes the batch's statistics, calls this, and
applies the weight and bias; it explains the conventions and why this is fused (the composed
backward runs through a dozen nodes). ``normalize`` there is the composed twin the tests compare
this with.

Read next: ``masking.py`` (tril, triu, masked_fill: what a causal mask needs).
"""
from __future__ import annotations

from minidl.function import Function
from minidl.grad_mode import is_grad_enabled


class BatchNormalize(Function):
    """xhat = (x - mean) * inv_std, with the batch's mean and inv_std = 1/sqrt(var + eps);
    gx = inv_std * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)), means over ``axes``"""

    @staticmethod
    def forward(ctx, x, axes, eps, mean, inv_std):
        xhat = (x - mean) * inv_std
        ctx.axes, ctx.eps = axes, eps
        ctx.save_for_backward(x, xhat, inv_std)
        return xhat

    @staticmethod
    def backward(ctx, gxhat):
        x, xhat, inv_std = ctx.saved_tensors
        axes = ctx.axes
        if is_grad_enabled():  # create_graph: inv_std must be a function of x, not a constant
            inv_std = (x.var(axes, correction=0, keepdim=True) + ctx.eps) ** -0.5
        mean_g = gxhat.mean(axes, keepdim=True)
        mean_g_xhat = (gxhat * xhat).mean(axes, keepdim=True)
        return inv_std * (gxhat - mean_g - xhat * mean_g_xhat), None, None, None, None
