"""Indexing: ``x[key]`` for basic keys (ints, slices, None, ...) and advanced keys (integer
arrays, boolean masks), and its backward, which scatters the gradient back into a zero tensor.

With an integer-array key an element can be picked more than once (``x[[0, 0, 1]]``); its
gradient is then the sum of the gradients of every copy, so the scatter must *add* at repeated
indices: ``backend.scatter_add`` does, on NumPy and CuPy alike.

Read next: ``linalg.py`` (matmul).
"""
from __future__ import annotations

import numpy as np

from minidl import backend
from minidl.function import Function
from minidl.tensor import Tensor


def index_arrays(key, like=None):
    """The key with every Tensor (or list) inside it replaced by its array, on the device of
    the array ``like`` (the tensor being indexed) when given."""
    if like is not None:
        return _on_device(index_arrays(key), like)
    if isinstance(key, tuple):
        return tuple(index_arrays(k) for k in key)
    if isinstance(key, Tensor):
        return key._array
    if isinstance(key, list):
        return np.asarray(key)
    return key


def _is_basic(key) -> bool:
    """Basic keys select a regular sub-block: no element is picked twice."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice))
               for k in parts)


def _on_device(key, like):
    """Index arrays on the device of the tensor they index."""
    if isinstance(key, tuple):
        return tuple(_on_device(k, like) for k in key)
    if hasattr(key, "dtype") and hasattr(key, "shape") and not isinstance(key, np.generic):
        return backend.to_device(key, backend.device_of(like))
    return key


class GetItem(Function):
    """y = x[key];  gx = zeros like x, with gy added at the positions ``key`` selected"""

    @staticmethod
    def forward(ctx, x, key):
        ctx.key, ctx.in_shape = key, x.shape
        return x[key]

    @staticmethod
    def backward(ctx, gy):
        return IndexAdd.apply(gy, ctx.key, ctx.in_shape), None


class IndexAdd(Function):
    """y = zeros(shape) with g added at ``key`` (repeats accumulate);  gg = gy[key]"""

    @staticmethod
    def forward(ctx, g, key, shape):
        ctx.key = key
        y = backend.get_array_module(g).zeros(shape, dtype=g.dtype)
        if _is_basic(key):
            y[key] = g
        else:
            backend.scatter_add(y, key, g)
        return y

    @staticmethod
    def backward(ctx, gy):
        return GetItem.apply(gy, ctx.key), None, None


def getitem(x: Tensor, key) -> Tensor:
    return GetItem.apply(x, index_arrays(key, x._array))
