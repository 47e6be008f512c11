"""1-D pooling over (N, C, L) tensors: max_pool1d, avg_pool1d, adaptive_avg_pool1d and
adaptive_max_pool1d.

A sequence of length L is an image of height 1: each op inserts that unit height, runs its 2-D
twin with a 1 x k window (``pool.py``, ``pool_indices.py``), and removes it again. Nothing new
to differentiate; the indices of a 1 x L plane are plain positions along L.

Read next: ``conv_transpose.py`` (conv1d and the transposed convolutions).
"""
from __future__ import annotations

import numpy as np

from minidl.errors import ShapeError
from minidl.ops.pool import adaptive_avg_pool2d_impl, avg_pool2d_impl, max_pool2d_impl, pool_window
from minidl.ops.pool_indices import adaptive_max_pool2d_impl
from minidl.ops.shape import squeeze, unsqueeze
from minidl.tensor import Tensor


def one(value, name: str, op: str) -> int:
    """``3`` or ``(3,)`` -> 3; anything else is a ValueError naming ``op``."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise ValueError(f"{op}: {name} must be an int or a 1-tuple of ints, got {value!r}")
    return int(value)


def as_2d(op: str, x: Tensor) -> Tensor:
    """(N, C, L) -> (N, C, 1, L); unbatched (C, L) -> (C, 1, L); else a ShapeError."""
    if not isinstance(x, Tensor) or x.ndim not in (2, 3):
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ShapeError(f"{op}: expected a 3-D input (N, C, L) or a 2-D input (C, L), got "
                         f"{shape}")
    return unsqueeze(x, -2)


def window_1d(op: str, kernel_size, stride=None, padding=0, dilation=1):
    """A 1 x k pooling Window from 1-D hyperparameters (stride defaults to kernel_size)."""
    kernel = one(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else one(stride, "stride", op)
    return pool_window(op, (1, kernel), (1, stride), (0, one(padding, "padding", op)),
                       (1, one(dilation, "dilation", op)))


def max_pool1d_impl(op: str, x: Tensor, window, ceil_mode: bool = False,
                    return_indices: bool = False):
    """``max_pool1d`` with a checked 1 x k Window, shared with the ``MaxPool1d`` layer."""
    out = max_pool2d_impl(op, as_2d(op, x), window, ceil_mode, return_indices)
    if return_indices:
        return squeeze(out[0], -2), squeeze(out[1], -2)
    return squeeze(out, -2)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """The maximum of each window along L (see ``max_pool2d``)."""
    window = window_1d("max_pool1d", kernel_size, stride, padding, dilation)
    return max_pool1d_impl("max_pool1d", input, window, ceil_mode, return_indices)


def avg_pool1d_impl(op: str, x: Tensor, window, ceil_mode: bool = False,
                    count_include_pad: bool = True) -> Tensor:
    """``avg_pool1d`` with a checked 1 x k Window, shared with the ``AvgPool1d`` layer."""
    return squeeze(avg_pool2d_impl(op, as_2d(op, x), window, ceil_mode, count_include_pad), -2)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """The mean of each window along L (see ``avg_pool2d``; PyTorch's avg_pool1d has no
    divisor_override)."""
    window = window_1d("avg_pool1d", kernel_size, stride, padding)
    return avg_pool1d_impl("avg_pool1d", input, window, ceil_mode, count_include_pad)


def adaptive_avg_pool1d_impl(op: str, x: Tensor, output_size) -> Tensor:
    size = one(output_size, "output_size", op)
    return squeeze(adaptive_avg_pool2d_impl(op, as_2d(op, x), (1, size)), -2)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling along L to a fixed length (PyTorch's adaptive windows)."""
    return adaptive_avg_pool1d_impl("adaptive_avg_pool1d", input, output_size)


def adaptive_max_pool1d_impl(op: str, x: Tensor, output_size, return_indices: bool = False):
    size = one(output_size, "output_size", op)
    out = adaptive_max_pool2d_impl(op, as_2d(op, x), (1, size), return_indices)
    if return_indices:
        return squeeze(out[0], -2), squeeze(out[1], -2)
    return squeeze(out, -2)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling along L to a fixed length (PyTorch's adaptive windows)."""
    return adaptive_max_pool1d_impl("adaptive_max_pool1d", input, output_size, return_indices)
