"""Pooling by indices: adaptive max pooling, which gathers at its maxima's positions, and
max_unpool2d, which scatters back to positions that ``max_pool2d(..., return_indices=True)``
gave.

An index here is PyTorch's: the flat position row*W + col of an element in its (H, W) plane.
Both ops are composed from indexing's two Functions (``minidl/ops/indexing.py``), each the
other's gradient, so both are twice differentiable:

* adaptive max:  y[..., a, b] = x_flat[..., index[a, b]]   (GetItem; gx = IndexAdd(gy))
* unpool:        y_flat = zeros with x added at index       (IndexAdd; gx = GetItem(gy))

The indices themselves are found without a gradient (they are piecewise constant).

Read next: ``pool1d.py`` (1-D pooling as 2-D pooling over a unit height).
"""
from __future__ import annotations

import numpy as np

from minidl import backend
from minidl.errors import DTypeError, ShapeError
from minidl.ops.conv import Window
from minidl.ops.indexing import GetItem, IndexAdd
from minidl.ops.pool import adaptive_output_size, check_pool_input, pool_window
from minidl.ops.shape import reshape
from minidl.tensor import Tensor


def plane_key(indices) -> tuple:
    """The advanced-indexing key that picks, for every leading position (n, c), the element
    ``indices[n, c, ...]`` of that sample's and channel's flattened (H*W) plane."""
    xp = backend.get_array_module(indices)
    lead = indices.ndim - 2
    return tuple(xp.arange(n).reshape((-1,) + (1,) * (indices.ndim - 1 - axis))
                 for axis, n in enumerate(indices.shape[:lead])) + (indices,)


def adaptive_max_indices(x, out_size):
    """The flat position of the first maximum of each of PyTorch's adaptive windows (rows
    floor(a*H/Ho) to ceil((a+1)*H/Ho) - 1, likewise columns): one window at a time."""
    xp = backend.get_array_module(x)
    height, width = x.shape[-2:]
    indices = xp.empty(x.shape[:-2] + tuple(out_size), dtype=np.int64)
    for a in range(out_size[0]):
        top, bottom = a * height // out_size[0], -(-(a + 1) * height // out_size[0])
        for b in range(out_size[1]):
            left, right = b * width // out_size[1], -(-(b + 1) * width // out_size[1])
            window = x[..., top:bottom, left:right].reshape(x.shape[:-2] + (-1,))
            k = window.argmax(-1)  # (the first maximum; a NaN counts as the maximum)
            indices[..., a, b] = (top + k // (right - left)) * width + left + k % (right - left)
    return indices


def adaptive_max_pool2d_impl(op: str, x: Tensor, output_size, return_indices: bool = False):
    """``adaptive_max_pool2d``, shared with the ``AdaptiveMaxPool2d`` layer."""
    out_size = adaptive_output_size(op, x, output_size)
    indices = adaptive_max_indices(x._array, out_size)
    flat = reshape(x, x.shape[:-2] + (-1,))
    y = GetItem.apply(flat, plane_key(indices))
    return (y, Tensor._make(indices, False)) if return_indices else y


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a fixed output size (PyTorch's adaptive windows); None keeps that input
    dimension. The gradient goes to each window's first maximum."""
    return adaptive_max_pool2d_impl("adaptive_max_pool2d", input, output_size, return_indices)


def unpool_size(op: str, x: Tensor, window: Window, output_size) -> tuple:
    """max_unpool2d's (H, W): (n - 1)*s - 2p + k per dimension, or the last two entries of
    ``output_size`` (which must lie within a stride of that)."""
    default = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(
        x.shape[-2:], window.stride, window.padding, window.kernel))
    if output_size is None:
        return default
    size = tuple(output_size)[-2:]
    if len(size) != 2 or any(not default[i] - window.stride[i] < size[i] < default[i]
                             + window.stride[i] for i in range(2)):
        raise ShapeError(f"{op}: output_size {tuple(output_size)} must be within a stride "
                         f"{window.stride} of the default size {default}")
    return size


def max_unpool2d_impl(op: str, x: Tensor, indices: Tensor, window: Window,
                      output_size=None) -> Tensor:
    """``max_unpool2d`` with a checked Window, shared with the ``MaxUnpool2d`` layer."""
    check_pool_input(op, x)
    if not isinstance(indices, Tensor) or indices.dtype.kind not in "iu":
        raise DTypeError(f"{op}: indices must be an integer Tensor (max_pool2d's "
                         f"return_indices), got {getattr(indices, 'dtype', type(indices))}")
    if tuple(indices.shape) != tuple(x.shape):
        raise ShapeError(f"{op}: indices of shape {tuple(indices.shape)} do not match the "
                         f"input's shape {tuple(x.shape)}")
    height, width = unpool_size(op, x, window, output_size)
    index = indices._array
    if index.size and (int(index.min()) < 0 or int(index.max()) >= height * width):
        raise ShapeError(f"{op}: indices must lie in [0, {height * width}) for an output of "
                         f"{height}x{width}, got values from {int(index.min())} to "
                         f"{int(index.max())}")
    y = IndexAdd.apply(x, plane_key(index), x.shape[:-2] + (height * width,))
    return reshape(y, x.shape[:-2] + (height, width))


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The inverse of max pooling where it can be: zeros, with each input element put back at
    the position ``indices`` gives (max_pool2d's ``return_indices``). Where two elements share
    an index (overlapping windows) they are added; PyTorch leaves that case undefined."""
    window = pool_window("max_unpool2d", kernel_size, stride, padding)
    return max_unpool2d_impl("max_unpool2d", input, indices, window, output_size)
