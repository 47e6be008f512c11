"""Checking shape arguments: ``dim`` (negative dims count from the end, as in PyTorch) and
broadcasting (which shapes fit together, and the error that names the op when they do not).

Read next: ``dtype_checks.py`` (the floating-point check), then ``shape.py``.
"""
from __future__ import annotations

import operator
from typing import Optional, Sequence, Tuple, Union

from minidl.errors import DimError, DTypeError, ShapeError


def normalize_dim(dim: int, ndim: int, op: str) -> int:
    """``dim`` as a non-negative axis of an ``ndim``-dimensional tensor. As in PyTorch, a dim
    out of range is an IndexError (a ``DimError``) and a dim that is no integer a TypeError."""
    if type(dim) is not int:  # (a plain int is checked first: this runs in every op)
        dim = _as_int(dim, op)
    rank = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, like PyTorch
    if not -rank <= dim < rank:
        raise DimError(f"{op}: dim {dim} is out of range for a tensor with {ndim} "
                       f"dimensions (expected a dim in [{-rank}, {rank - 1}])")
    return dim % rank if ndim else 0


def _as_int(dim, op: str) -> int:
    """A dim given as what stands for an int (np.int64, a 0-d integer tensor), as an int;
    anything else (0.5, True, "1") is a TypeError, as in PyTorch."""
    try:
        if isinstance(dim, bool):
            raise TypeError
        return operator.index(dim)
    except TypeError:
        raise DTypeError(f"{op}: dim must be an integer, got {dim!r}") from None


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
    """The shape ``a`` and ``b`` broadcast to, or None when they do not broadcast.

    NumPy's rule: align the shapes at their last dimension (the shorter one is padded with 1s
    in front); each pair of sizes must be equal or contain a 1, and the result takes the other.
    Written out rather than calling ``np.broadcast_shapes``, which builds an empty array per
    shape to answer; this runs in the engine whenever an input was broadcast."""
    if len(a) < len(b):
        a, b = b, a
    lead = len(a) - len(b)
    shape = list(a[:lead])
    for m, n in zip(a[lead:], b):
        if m == n or n == 1:
            shape.append(m)
        elif m == 1:
            shape.append(n)
        else:
            return None
    return tuple(shape)


def check_broadcast(op: str, a: Tuple[int, ...], b: Tuple[int, ...],
                    onto: Optional[str] = None) -> Tuple[int, ...]:
    """The shape ``a`` and ``b`` broadcast to, or a ShapeError naming ``op`` and both shapes.

    With ``onto`` (what ``b`` is, e.g. "input"), ``a`` must broadcast to ``b`` itself, not to
    a larger shape: the rule for the target of ``broadcast_to`` and for an operand that must
    fit a given tensor."""
    shape = broadcast_shape(a, b)
    if onto is None and shape is None:
        raise ShapeError(f"{op}: shapes {tuple(a)} and {tuple(b)} do not broadcast")
    if onto is not None and shape != tuple(b):
        raise ShapeError(f"{op}: shape {tuple(a)} does not broadcast to the {onto} shape "
                         f"{tuple(b)}")
    return shape
