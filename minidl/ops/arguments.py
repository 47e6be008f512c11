"""PyTorch's argument conventions, in one place: ``axis=``/``keepdims=`` (NumPy's names, which
PyTorch accepts too) as aliases of ``dim=``/``keepdim=``, and the ``out=`` argument.

``minidl.exp(x, out=y)`` computes ``exp(x)`` as usual and then copies it into ``y``'s storage:
the same values as ``y.copy_(minidl.exp(x))``. As in PyTorch, such a call records no graph, so
it refuses while grad mode is on and an input or ``out`` requires grad; the result must fit
``out``'s dtype without losing its kind (no float result into an integer tensor); an ``out`` of
another shape is resized (a new array), with PyTorch's warning unless it was empty.

Read next: ``operands.py`` (how the dtypes of two operands are reconciled).
"""
from __future__ import annotations

import warnings
from typing import Optional

from minidl.errors import AutogradError, DeviceError, DTypeError
from minidl.grad_mode import _GradMode
from minidl.tensor import Tensor

_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}  # bool < integer < floating point


def dim_alias(op: str, dim, axis):
    """``dim``, or ``axis`` when that was given instead."""
    if axis is None:
        return dim
    if dim is not None:
        raise TypeError(f"{op}: got both dim={dim!r} and axis={axis!r} (axis is another name "
                        "for dim)")
    return axis


def keepdim_alias(keepdim: bool, keepdims: Optional[bool]) -> bool:
    """``keepdim``, or ``keepdims`` when that was given."""
    return keepdim if keepdims is None else keepdims


def write_out(op: str, result, out):
    """Copy ``result`` (a Tensor, or a tuple of them) into ``out`` (the same) and return
    ``out``; see the module docstring for the rules."""
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"{op}: out must be a tuple of {len(result)} Tensors")
        written = [write_out(op, r, o) for r, o in zip(result, out)]
        return type(result)(*written) if hasattr(result, "_fields") else tuple(written)
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}: out must be a Tensor, got {type(out).__name__}")
    if _GradMode.enabled and (result.requires_grad or out.requires_grad):
        raise AutogradError(
            f"{op}: functions with out=... record no graph, but an argument requires grad; "
            f"write y = minidl.{op}(...) instead, or call it under minidl.no_grad()")
    if _CATEGORY[result.dtype.kind] > _CATEGORY[out.dtype.kind]:
        raise DTypeError(f"{op}: the result's dtype {result.dtype} can't be cast to out's "
                         f"dtype {out.dtype}")
    if result.device != out.device:
        raise DeviceError(f"{op}: out is on {out.device} but the result is on {result.device}")
    out._begin_inplace(op)  # bumps the version counter: a graph that saved out will refuse
    if out.shape == result.shape:
        out._array[...] = result._array
    else:
        if out._array.size:
            warnings.warn(f"{op}: an out tensor of shape {tuple(out.shape)} was resized to "
                          f"{tuple(result.shape)}, as in PyTorch; pass an out of the "
                          "result's shape (or an empty one) to avoid this", UserWarning,
                          stacklevel=3)
        out._array = result._array.astype(out.dtype)  # (a new array: out's views keep the old)
    return out
