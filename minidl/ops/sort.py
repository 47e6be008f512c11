"""Sorting and order statistics: ``sort``, ``argsort``, ``kthvalue``, ``median``, ``nanmedian``.

Each finds *positions* (a stable argsort along ``dim``, on the arrays: no gradient, like every
index) and then reads ``x`` at those positions with integer indexing, ``take_along``. The values
are differentiable through that read alone: indexing's backward (``indexing.py``) scatters each
gradient back to the element it was read from, so

    sort(x) = x[order]      gx[order[j]] = gy[j]

and a median or k-th value along a dim sends its whole gradient to the one element it picked,
as in PyTorch. The median of all elements splits it among the elements equal to it (PyTorch's
rule there). NaN sorts as the largest value (last ascending, first descending), as in PyTorch;
``median`` is NaN where its slice holds one, ``nanmedian`` skips them.

Read next: ``scan.py`` (cumsum, cumprod, cummax, logcumsumexp).
"""
from __future__ import annotations

import numbers

import numpy as np

from minidl import backend
from minidl.errors import DimError, DTypeError, OutOfRangeError
from minidl.function import Function
from minidl.ops.arguments import write_out
from minidl.ops.dims import normalize_dim
from minidl.ops.indexing import getitem
from minidl.ops.reduce import values_indices
from minidl.ops.shape import reshape, squeeze
from minidl.tensor import Tensor


class _SortResult(values_indices):
    __slots__ = ()
    op = "sort"


class _KthvalueResult(values_indices):
    __slots__ = ()
    op = "kthvalue"


class _MedianResult(values_indices):
    __slots__ = ()
    op = "median"


class _NanmedianResult(values_indices):
    __slots__ = ()
    op = "nanmedian"


def take_along(x: Tensor, index, axis: int) -> Tensor:
    """``x`` read at the integer array ``index`` along ``axis`` (the other dims of ``index``
    match x's): NumPy's ``take_along_axis`` as an indexing of ``x``, so it is differentiable."""
    xp = backend.get_array_module(index)
    grid = list(xp.ix_(*[xp.arange(size) for size in index.shape]))
    grid[axis] = index
    return getitem(x, tuple(grid))


def _long(array) -> Tensor:
    return Tensor._make(array.astype(np.int64, copy=False), False)


def stable_order(a, axis: int, descending: bool):
    """The stable argsort of the array ``a`` along ``axis``; descending keeps equal values in
    their order too: sort the reversed slice ascending, reverse the answer, map the positions
    back (never ``-a``, which would turn NaN's place and overflow unsigned integers)."""
    xp = backend.get_array_module(a)
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable")
    n = a.shape[axis]
    flip = (slice(None),) * axis + (slice(None, None, -1),)
    return n - 1 - xp.argsort(a[flip], axis=axis, kind="stable")[flip]


def _axis(input: Tensor, dim, op: str) -> int:
    if not isinstance(input, Tensor):
        raise DTypeError(f"{op}: expected a Tensor, got {type(input).__name__}")
    return normalize_dim(dim, input.ndim, op)


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False,
         out=None) -> _SortResult:
    """(values, indices) of ``input`` sorted along ``dim`` (``torch.sort``). The sort is
    always stable (equal values keep their order), which ``stable=False`` allows."""
    axis = _axis(input, dim, "sort")
    if input.ndim == 0:
        y = _SortResult(input[...], _long(backend.get_array_module(input._array).zeros(())))
    else:
        order = stable_order(input._array, axis, descending)
        y = _SortResult(take_along(input, order, axis), _long(order))
    return y if out is None else write_out("sort", y, out)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *,
            stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (``sort(...).indices``)."""
    axis = _axis(input, dim, "argsort")
    if input.ndim == 0:
        return _long(backend.get_array_module(input._array).zeros(()))
    return _long(stable_order(input._array, axis, descending))


def _pick(input: Tensor, axis: int, position, keepdim: bool, result):
    """(values, indices) at sorted ``position`` (an int, or an array per slice) along
    ``axis``: the element that a stable ascending sort puts there."""
    xp = backend.get_array_module(input._array)
    if input.ndim == 0:
        return result(input[...], _long(xp.zeros(())))
    order = stable_order(input._array, axis, False)
    if isinstance(position, numbers.Integral):
        index = xp.take(order, xp.asarray([position]), axis=axis)
    else:
        index = xp.take_along_axis(order, xp.expand_dims(position, axis), axis)
    values = take_along(input, index, axis)
    if not keepdim:
        values, index = squeeze(values, axis), xp.squeeze(index, axis)
    return result(values, _long(index))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False, *,
             out=None) -> _KthvalueResult:
    """(values, indices) of the k-th smallest element (k = 1 is the smallest) along ``dim``."""
    axis = _axis(input, -1 if dim is None else dim, "kthvalue")
    n = input.shape[axis] if input.ndim else 1
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise DTypeError(f"kthvalue: k must be an integer, got {k!r}")
    if not 1 <= k <= n:
        raise OutOfRangeError(f"kthvalue: k={k!r} is out of range for dimension {dim} of size "
                              f"{n} (expected 1 <= k <= {n})")
    y = _pick(input, axis, int(k) - 1, keepdim, _KthvalueResult)
    return y if out is None else write_out("kthvalue", y, out)


class TiedPick(Function):
    """y = x[position] of the flat x;  gx = gy split evenly among the elements equal to y
    (``median()`` of all elements: it cannot tell tied elements apart, as in PyTorch)"""

    @staticmethod
    def forward(ctx, x, position):
        xp = backend.get_array_module(x)
        y = x[position]
        ties = (x == y) | (xp.isnan(x) & xp.isnan(y))  # (a NaN median ties its NaNs)
        ctx.save_for_backward((ties / ties.sum()).astype(x.dtype, copy=False))
        return xp.asarray(y)

    @staticmethod
    def backward(ctx, gy):
        share, = ctx.saved_tensors
        return gy * share, None


def _median(op: str, input: Tensor, dim, keepdim: bool, skip_nan: bool):
    """The lower median: the element at sorted position (m - 1) // 2 of the m values counted
    (the non-NaN ones for nanmedian). ``median`` gives NaN, the first one, where there is one."""
    if not isinstance(input, Tensor):
        raise DTypeError(f"{op}: expected a Tensor, got {type(input).__name__}")
    whole = dim is None
    x = reshape(input, -1) if whole else input
    axis = normalize_dim(0 if whole else dim, x.ndim, op)
    xp = backend.get_array_module(x._array)
    if whole and x._array.size == 0 and x.dtype.kind == "f":  # NaN, as in PyTorch
        return Tensor._make(xp.asarray(xp.nan, dtype=x.dtype), False)
    if x._array.size == 0 or (x.ndim and x.shape[axis] == 0):  # (IndexError, as in PyTorch)
        raise DimError(f"{op}: cannot take the median of an empty slice (shape "
                       f"{tuple(input.shape)}, dim {dim})")
    n = x.shape[axis] if x.ndim else 1
    counted = (~xp.isnan(x._array)).sum(axis=axis) if x.dtype.kind == "f" else xp.full(
        x._array.shape[:axis] + x._array.shape[axis + 1:], n)
    if skip_nan:  # (all NaN: position 0, a NaN)
        position = xp.maximum(counted - 1, 0) // 2
    else:  # NaN sorts last: the first NaN is at position `counted`
        position = xp.where(counted < n, counted, (n - 1) // 2)
    if whole:
        order = stable_order(x._array, 0, False)
        return TiedPick.apply(x, int(order[int(position)]))
    result = _MedianResult if not skip_nan else _NanmedianResult
    return _pick(x, axis, position, keepdim, result)


def median(input: Tensor, dim=None, keepdim: bool = False, *, out=None):
    """Without ``dim``: the lower median of all elements (a 0-d tensor). With ``dim``:
    (values, indices) along it. Of an even count, the lower of the two middle values, as in
    PyTorch (not their average, as NumPy's median)."""
    y = _median("median", input, dim, keepdim, False)
    return y if out is None else write_out("median", y, out)


def nanmedian(input: Tensor, dim=None, keepdim: bool = False, *, out=None):
    """``median`` of the values that are not NaN (NaN where a slice holds nothing else)."""
    y = _median("nanmedian", input, dim, keepdim, True)
    return y if out is None else write_out("nanmedian", y, out)
