"""``x.view(dtype)``: the same bytes read as another dtype (a bitcast), not converted.

``minidl.tensor(1.0).view(minidl.int32)`` is 1065353216, the bit pattern of the float 1.0. The
result shares ``x``'s memory and version counter (writing to one changes the other), and it is
not differentiable: it has no ``grad_fn`` and does not require grad, as in PyTorch.

When the element sizes differ, the last dimension absorbs the difference, with PyTorch's rules:
viewing float32 (4 bytes) as int16 (2) doubles the last size; as float64 (8) halves it, which
needs that size to be even. Either way the last dimension must be contiguous (stride of one
element), and a 0-d tensor cannot change its element size.

Read next: ``cross_entropy.py`` (softmax and the negative log-likelihood, fused).
"""
from __future__ import annotations

import numpy as np

from minidl.errors import DTypeError, ShapeError
from minidl.tensor import Tensor


def view_dtype(x: Tensor, dtype) -> Tensor:
    """``x``'s memory read as ``dtype`` (``Tensor.view(dtype)``); see the module docstring."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise DTypeError(f"view: {dtype!r} is not a dtype") from None
    if dtype.kind not in "biuf":
        raise DTypeError(f"view: cannot view a tensor as {dtype}")
    array = x._array
    old, new = array.dtype.itemsize, dtype.itemsize
    if old != new:
        what = f"to view {array.dtype} as {dtype} (different element sizes)"
        if array.ndim == 0:
            raise ShapeError(f"view: a 0-d tensor cannot be viewed as {dtype} (its element "
                             f"size differs from {array.dtype}'s)")
        if array.shape[-1] != 1 and array.strides[-1] != old:
            raise ShapeError(f"view: the last dimension must be contiguous {what}, but its "
                             f"stride is {array.strides[-1] // old} elements")
        if new > old and array.shape[-1] * old % new:
            raise ShapeError(f"view: the last size must be divisible by {new // old} {what}, "
                             f"but it is {array.shape[-1]}")
        if any(s % new for n, s in zip(array.shape[:-1], array.strides[:-1]) if n > 1):
            raise ShapeError(f"view: every stride but the last must be divisible by {new} "
                             f"bytes {what}, got strides {array.strides} (bytes)")
    try:
        viewed = array.view(dtype)
    except ValueError as exc:  # (a layout NumPy cannot reinterpret, though the rules above pass)
        raise ShapeError(f"view: cannot view this {tuple(array.shape)} tensor as {dtype}: "
                         f"{exc}") from None
    out = Tensor._make(viewed, False)
    out._counter = x._shared_counter()  # one memory, one version counter (as views share)
    return out
