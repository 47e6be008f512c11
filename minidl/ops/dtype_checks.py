"""The check that an input is a floating-point Tensor, written once for the ops and ``minidl.nn``.

Ops whose math only makes sense on real numbers (means, convolutions, normalisation, losses,
activations with a slope) refuse integer and bool tensors rather than convert them, as PyTorch
does. (This is not in ``dims.py`` with the shape checks because it needs ``Tensor``, and
``dims.py`` is imported by the engine before ``Tensor`` exists.)

Read next: ``minidl/inplace.py`` (a Tensor's in-place methods).
"""
from __future__ import annotations

from minidl.errors import DTypeError
from minidl.tensor import Tensor


def require_float(op: str, x, what: str = "input") -> None:
    """A DTypeError naming ``op`` and ``what`` (input, target, weight, ...) unless ``x`` is a
    floating-point Tensor."""
    if not isinstance(x, Tensor):
        raise DTypeError(f"{op}: {what} must be a minidl Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise DTypeError(f"{op}: {what} must be a floating-point tensor, got {x.dtype}; "
                         "convert it with .float()")
