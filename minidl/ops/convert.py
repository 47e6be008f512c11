"""Changing a tensor's dtype or device. Both are differentiable: the gradient is converted back
(to the input's dtype, or copied back to the input's device).

Read next: ``special.py`` (erf and softplus).
"""
from __future__ import annotations

import numpy as np

from minidl import backend
from minidl.function import Function
from minidl.tensor import Tensor


class Cast(Function):
    """y = x converted to ``dtype``;  gx = gy converted back to x's dtype"""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, gy):
        return cast(gy, ctx.in_dtype), None


class ToDevice(Function):
    """y = x copied to ``device``;  gx = gy copied back to x's device"""

    @staticmethod
    def forward(ctx, x, device):
        ctx.in_device = backend.device_of(x)
        return backend.to_device(x, device)

    @staticmethod
    def backward(ctx, gy):
        return to_device(gy, ctx.in_device), None


def cast(x: Tensor, dtype: np.dtype) -> Tensor:
    return x if x.dtype == dtype else Cast.apply(x, dtype)


def to_device(x: Tensor, device: str) -> Tensor:
    return x if x.device == device else ToDevice.apply(x, device)
