"""Masks: ``tril`` and ``triu`` keep a triangle of a matrix, ``masked_fill`` overwrites the
elements a boolean mask selects. A causal language model needs them: position t may attend to
positions 0..t only, so the scores above the diagonal are masked out.

All three are composed from ``where`` with a constant condition, so they need no backward of
their own: the gradient flows to the elements that were kept and is zero where a constant was
written (``where``'s rule, ``compare.py``). ``where``, not a product with a 0/1 mask: ``-inf * 0``
is NaN, and a masked attention score is often -inf.

Read next: ``sampling.py`` (topk and multinomial, for sampling from a model).
"""
from __future__ import annotations

import numbers

from minidl import backend
from minidl.errors import DTypeError, ShapeError
from minidl.ops.arguments import write_out
from minidl.ops.compare import where
from minidl.ops.dims import broadcast_shape
from minidl.tensor import Tensor


def _triangle(op: str, x: Tensor, diagonal: int, lower: bool) -> Tensor:
    if not isinstance(x, Tensor) or x.ndim < 2:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ShapeError(f"{op}: expected a tensor with at least 2 dimensions, got {shape}")
    if not isinstance(diagonal, numbers.Integral):
        raise DTypeError(f"{op}: diagonal must be an integer, got {diagonal!r}")
    xp = backend.get_array_module(x._array)
    rows, cols = x.shape[-2:]
    # xp.tri: True on and below diagonal k; the upper triangle from k - 1 is its complement.
    keep = xp.tri(rows, cols, int(diagonal) if lower else int(diagonal) - 1, dtype=bool)
    if not lower:
        keep = ~keep
    return where(Tensor._make(keep, False), x, 0)


def tril(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:
    """The lower triangle of the last two dimensions (elements with column - row <= diagonal);
    the rest set to zero (``torch.tril``)."""
    y = _triangle("tril", input, diagonal, lower=True)
    return y if out is None else write_out("tril", y, out)


def triu(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:
    """The upper triangle of the last two dimensions (elements with column - row >= diagonal);
    the rest set to zero (``torch.triu``)."""
    y = _triangle("triu", input, diagonal, lower=False)
    return y if out is None else write_out("triu", y, out)


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """``input`` with ``value`` written where the bool ``mask`` (broadcast to input's shape) is
    True (``torch.Tensor.masked_fill``). ``value`` is a number or a 0-d tensor (then the
    gradient of the filled elements flows to it)."""
    if not isinstance(mask, Tensor) or mask.dtype.kind != "b":
        got = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise DTypeError(f"masked_fill: mask must be a bool tensor, got {got}")
    if broadcast_shape(input.shape, mask.shape) != tuple(input.shape):
        raise ShapeError(f"masked_fill: a mask of shape {tuple(mask.shape)} does not "
                         f"broadcast to the input's shape {tuple(input.shape)}")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got shape "
                         f"{tuple(value.shape)}")
    if not isinstance(value, Tensor):  # a number takes the input's dtype, as in PyTorch
        value = Tensor._make(backend.asarray(value, input.dtype, input.device), False)
    return where(mask, value, input)
