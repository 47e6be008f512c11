"""Diagonals: ``diagonal`` reads one out of a matrix (or of any two dimensions), ``diag_embed``
writes vectors onto one, ``diag`` does either, by the input's number of dimensions.

The k-th diagonal of an m x n matrix holds x[r, r + k] (k >= 0, above the main one) or
x[r - k, r] (k < 0, below): reading it is advanced indexing with two index arrays, writing it
is the scatter that is that indexing's backward (``indexing.py``'s IndexAdd). Each is the
other's backward, so both have gradients of every order without a Function of their own.

Read next: ``einstein.py`` (Einstein summation).
"""
from __future__ import annotations

from minidl import backend
from minidl.errors import DTypeError, ShapeError
from minidl.ops.arguments import write_out
from minidl.ops.dims import normalize_dim
from minidl.ops.indexing import IndexAdd, getitem
from minidl.ops.rearrange import movedim
from minidl.tensor import Tensor


def _offset(offset, op: str) -> int:
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise DTypeError(f"{op}: the diagonal offset must be an integer, got {offset!r}")
    return offset


def _positions(xp, count: int, offset: int):
    """Row and column indices of the first ``count`` elements of diagonal ``offset``."""
    steps = xp.arange(count)
    return steps + max(-offset, 0), steps + max(offset, 0)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """Diagonal ``offset`` of the matrices in dims (dim1, dim2), as a new last dimension
    (``torch.diagonal``)."""
    offset = _offset(offset, "diagonal")
    a, b = (normalize_dim(d, input.ndim, "diagonal") for d in (dim1, dim2))
    if input.ndim < 2 or a == b:
        raise ShapeError(f"diagonal: dim1 {dim1} and dim2 {dim2} must be two different dims "
                         f"of a tensor with at least 2 (shape {tuple(input.shape)})")
    x = movedim(input, (a, b), (-2, -1))
    rows, cols = x.shape[-2:]
    count = max(0, min(rows - max(-offset, 0), cols - max(offset, 0)))
    r, c = _positions(backend.get_array_module(x._array), count, offset)
    return getitem(x, (Ellipsis, r, c))


_diagonal = diagonal  # (diag's argument ``diagonal``, PyTorch's name, hides the function)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Each vector along input's last dimension written onto diagonal ``offset`` of a zero
    matrix in output dims (dim1, dim2) (``torch.diag_embed``)."""
    offset = _offset(offset, "diag_embed")
    nd = input.ndim + 1
    a, b = (normalize_dim(d, nd, "diag_embed") for d in (dim1, dim2))
    if input.ndim < 1 or a == b:
        raise ShapeError(f"diag_embed: dim1 {dim1} and dim2 {dim2} must be two different dims "
                         f"of the output, and the input at least 1-d (shape "
                         f"{tuple(input.shape)})")
    n = input.shape[-1]
    side = n + abs(offset)
    r, c = _positions(backend.get_array_module(input._array), n, offset)
    y = IndexAdd.apply(input, (Ellipsis, r, c), tuple(input.shape[:-1]) + (side, side))
    return movedim(y, (-2, -1), (a, b))


def diag(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:
    """A 1-d input: the square matrix with it on diagonal ``diagonal``; a 2-d input: that
    diagonal of it (``torch.diag``)."""
    if input.ndim == 1:
        y = diag_embed(input, diagonal, 0, 1)
    elif input.ndim == 2:
        y = _diagonal(input, diagonal)
    else:
        raise ShapeError(f"diag: expected a 1-d or 2-d tensor, got shape {tuple(input.shape)}")
    return y if out is None else write_out("diag", y, out)
