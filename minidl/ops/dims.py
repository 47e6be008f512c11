"""Checking and normalising ``dim`` arguments (negative dims count from the end, as in PyTorch)."""
from __future__ import annotations

from typing import Optional, Sequence, Tuple, Union

import numpy as np

from minidl.errors import ShapeError


def normalize_dim(dim: int, ndim: int, op: str) -> int:
    """``dim`` as a non-negative axis of an ``ndim``-dimensional tensor, or a ShapeError."""
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise ShapeError(f"{op}: dim must be an integer, got {dim!r}")
    rank = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, like PyTorch
    if not -rank <= dim < rank:
        raise ShapeError(f"{op}: dim {dim} is out of range for a tensor with {ndim} "
                         f"dimensions (expected a dim in [{-rank}, {rank - 1}])")
    return dim % rank if ndim else 0


def normalize_dims(dim: Union[None, int, Sequence[int]], ndim: int,
                   op: str) -> Optional[Tuple[int, ...]]:
    """A tuple of distinct non-negative axes, or None for "all dimensions" (``dim=None``, or an
    empty tuple or list, as in PyTorch: ``x.sum(())`` sums everything)."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None
    dims = (dim,) if not isinstance(dim, (tuple, list)) else tuple(dim)  # 0.5 -> checked below
    axes = tuple(normalize_dim(d, ndim, op) for d in dims)
    if len(set(axes)) != len(axes):
        raise ShapeError(f"{op}: dim {dim!r} names the same dimension twice")
    return axes if ndim else ()


def broadcast_shape(a: Tuple[int, ...], b: Tuple[int, ...]) -> Optional[Tuple[int, ...]]:
    """The shape ``a`` and ``b`` broadcast to, or None when they do not broadcast."""
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return None
