"""Indexing: ``x[key]`` for basic keys (ints, slices, None, ...) and advanced keys (integer
arrays, boolean masks), and its backward, which scatters the gradient back into a zero tensor.

With an integer-array key an element can be picked more than once (``x[[0, 0, 1]]``); its
gradient is then the sum of the gradients of every copy, so the scatter must *add* at repeated
indices: ``backend.scatter_add`` does, on NumPy and CuPy alike.

Keys that mix integers with index arrays follow PyTorch, not NumPy: PyTorch applies the
integers first (each removes its dimension), then the arrays. NumPy counts the integers among
the arrays, so when a slice separates them it moves the indexed dimensions to the front:
``zeros(2, 3, 4)[1, :, [0, 1]]`` has shape (3, 2) in PyTorch, (2, 3) in NumPy. ``getitem``
therefore indexes in two steps there (``split_int_indices``).

Read next: ``rearrange.py`` (repeat, flip, roll, unfold, ...).
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


def _is_int(part) -> bool:
    """An index that picks one position: an int, or a 0-d integer array (PyTorch treats a 0-d
    integer tensor as an int)."""
    if isinstance(part, (int, np.integer)):
        return not isinstance(part, bool)
    return getattr(part, "ndim", None) == 0 and part.dtype.kind in "iu"


def _is_index_array(part) -> bool:
    return getattr(part, "ndim", 0) >= 1  # (index_arrays made lists and Tensors arrays)


def _is_bool_scalar(part) -> bool:
    return isinstance(part, (bool, np.bool_)) or (getattr(part, "ndim", None) == 0
                                                  and part.dtype == np.bool_)


def split_int_indices(key):
    """A key mixing ints and index arrays as PyTorch reads it: ``(ints, rest)`` such that
    ``x[ints][rest]`` is PyTorch's ``x[key]``; None for a key without both (NumPy's ``x[key]``
    is then PyTorch's).

    ``ints`` keeps the ints, slices, None and Ellipsis and takes whole each dimension an array
    indexes (a k-d bool mask indexes k); ``rest`` then drops the dimensions the ints removed
    and indexes the arrays. (A bool scalar in the key is left to NumPy.)"""
    # (basic keys, the common ones, leave at the first test)
    if type(key) is not tuple or not any(_is_index_array(part) for part in key):
        return None
    if not any(_is_int(part) for part in key) or any(_is_bool_scalar(part) for part in key):
        return None
    ints, rest = [], []
    for part in key:
        if _is_int(part):
            ints.append(int(part))
        elif _is_index_array(part):
            ints += [slice(None)] * (part.ndim if part.dtype == np.bool_ else 1)
            rest.append(part)
        else:  # a slice, None or Ellipsis: applied by the first step, kept whole by the second
            ints.append(part)
            rest.append(Ellipsis if part is Ellipsis else slice(None))
    return tuple(ints), tuple(rest)


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
    key = index_arrays(key, x._array)
    steps = split_int_indices(key)
    if steps is not None:  # ints, then arrays, as in PyTorch (see the module docstring)
        return GetItem.apply(GetItem.apply(x, steps[0]), steps[1])
    return GetItem.apply(x, key)
