"""Operations that move elements without changing them: reshape, permute, broadcast, sum_to,
concatenation, padding and copying. Their backward moves the gradient back the opposite way:

    reshape <-> reshape back     permute <-> inverse permute     broadcast_to <-> sum_to
    cat     <-> slices           pad     <-> crop                clone <-> the same gradient

``split`` and ``chunk`` are composed, from slices (``x[..., a:b]``); ``t`` is ``transpose``.

Read next: ``indexing.py`` (x[key] and its scatter-add backward).
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

import numpy as np

from minidl import backend
from minidl.errors import ShapeError
from minidl.function import Function
from minidl.ops.arguments import dim_alias, write_out
from minidl.ops.dims import check_broadcast, normalize_dim
from minidl.tensor import Tensor


def _shape_args(shape, op: str) -> Tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike, as PyTorch does."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape):
        raise ShapeError(f"{op}: sizes must be integers, got {tuple(shape)!r}")
    return tuple(int(n) for n in shape)


def sum_to_array(x, shape: Tuple[int, ...]):
    """Sum an array down to ``shape``: the inverse of broadcasting ``shape`` up to x.shape.

    Summing the kept axes first (keepdims) and the leading axes last returns a fresh array of
    exactly ``shape``, never a reshaped view: it can become a leaf's ``.grad`` without a copy."""
    lead = x.ndim - len(shape)
    inner = tuple(lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    if inner:
        x = x.sum(axis=inner, keepdims=True)
    if lead:
        x = x.sum(axis=tuple(range(lead)))
    return x


class Reshape(Function):
    """y = x with a new shape;  gx = gy reshaped back to x's shape"""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, gy):
        return gy.reshape(ctx.in_shape), None


class Permute(Function):
    """y = x with its axes reordered by ``dims``;  gx = gy with the inverse order"""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, gy):
        return permute(gy, tuple(np.argsort(ctx.dims).tolist())), None


class BroadcastTo(Function):
    """y = x repeated along broadcast axes;  gx = gy summed over them (sum_to)"""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return backend.get_array_module(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, gy):
        return sum_to(gy, ctx.in_shape), None


class SumTo(Function):
    """y = x summed down to ``shape``;  gx = gy broadcast back to x's shape"""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return sum_to_array(x, shape)

    @staticmethod
    def backward(ctx, gy):
        return broadcast_to(gy, ctx.in_shape), None


class Cat(Function):
    """y = [x0, x1, ...] joined along ``dim``;  gx_i = the slice of gy that came from x_i"""

    @staticmethod
    def forward(ctx, *xs, dim):
        ctx.dim = dim
        ctx.sizes = [x.shape[dim] for x in xs]
        return backend.get_array_module(xs[0]).concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, gy):
        gxs, start = [], 0
        prefix = (slice(None),) * ctx.dim
        for size, need in zip(ctx.sizes, ctx.needs_input_grad):
            gxs.append(gy[prefix + (slice(start, start + size),)] if need else None)
            start += size
        return tuple(gxs)


class Clone(Function):
    """y = a copy of x (new memory);  gx = gy"""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, gy):
        return gy


class Pad(Function):
    """y = x surrounded by ``value``;  gx = gy with the padding cropped off"""

    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.crop = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
        return backend.get_array_module(x).pad(x, widths, constant_values=value)

    @staticmethod
    def backward(ctx, gy):
        return gy[ctx.crop], None, None


def reshape(x: Tensor, *shape) -> Tensor:
    shape = _shape_args(shape, "reshape")
    known = math.prod(n for n in shape if n != -1)
    if shape.count(-1) > 1 or any(n < -1 for n in shape) or (
            -1 in shape and (known == 0 or x._array.size % known)) or (
            -1 not in shape and known != x._array.size):
        raise ShapeError(f"reshape: cannot reshape a tensor of shape {tuple(x.shape)} "
                         f"({x._array.size} elements) into {shape}")
    if -1 in shape:
        shape = tuple(x._array.size // known if n == -1 else n for n in shape)
    if shape == x.shape:
        return x
    return Reshape.apply(x, shape)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if x.ndim == 0:
        return reshape(x, 1)
    start = normalize_dim(start_dim, x.ndim, "flatten")
    end = normalize_dim(end_dim, x.ndim, "flatten")
    if start > end:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return reshape(x, x.shape[:start] + (-1,) + x.shape[end + 1:])


def permute(x: Tensor, *dims) -> Tensor:
    dims = _shape_args(dims, "permute")
    axes = tuple(normalize_dim(d, x.ndim, "permute") for d in dims)
    if sorted(axes) != list(range(x.ndim)):
        raise ShapeError(f"permute: dims {dims} are not a permutation of the {x.ndim} "
                         f"dimensions of a tensor of shape {tuple(x.shape)}")
    return Permute.apply(x, axes)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    a, b = normalize_dim(dim0, x.ndim, "transpose"), normalize_dim(dim1, x.ndim, "transpose")
    if a == b:  # includes the 0-d tensor, whose dims 0 and -1 are accepted as in PyTorch
        return x
    dims = list(range(x.ndim))
    dims[a], dims[b] = dims[b], dims[a]
    return Permute.apply(x, tuple(dims))


def squeeze(x: Tensor, dim=None) -> Tensor:
    """Remove size-1 dimensions (only ``dim`` if given; a dim whose size is not 1 is kept)."""
    if dim is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    axes = {normalize_dim(d, x.ndim, "squeeze") for d in dims}
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if not (i in axes and n == 1)))


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dimension at ``dim`` (which may be x.ndim, i.e. at the end)."""
    axis = normalize_dim(dim, x.ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    shape = tuple(shape)
    if shape == x.shape:
        return x
    shape = _shape_args((shape,), "broadcast_to")
    if min(shape, default=0) < 0:  # broadcast_shape takes sizes as given: -1 would pass it
        raise ShapeError(f"broadcast_to: sizes must be non-negative, got {shape}")
    check_broadcast("broadcast_to", x.shape, shape, onto="requested")
    return BroadcastTo.apply(x, shape)


def expand(x: Tensor, *sizes) -> Tensor:
    """Broadcast to ``sizes``; -1 keeps a dimension's size (PyTorch's ``Tensor.expand``)."""
    sizes = _shape_args(sizes, "expand")
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ShapeError(f"expand: {len(sizes)} sizes given for a tensor of shape "
                         f"{tuple(x.shape)}")
    shape = tuple(x.shape[i - lead] if n == -1 and i >= lead else n
                  for i, n in enumerate(sizes))
    return broadcast_to(x, shape)


def sum_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    """Sum ``x`` down to ``shape`` (which must broadcast to x's shape)."""
    shape = tuple(shape)
    if shape == x.shape:
        return x
    check_broadcast("sum_to", shape, x.shape, onto="input")
    return SumTo.apply(x, shape)


def cat(tensors: Sequence[Tensor], dim: int = 0, *, out=None, axis=None) -> Tensor:
    """Join tensors along an existing dimension (``torch.cat``)."""
    if axis is not None:
        dim = dim_alias("cat", None, axis)
    y = _cat(list(tensors), dim)
    return y if out is None else write_out("cat", y, out)


def _cat(tensors: list, dim: int) -> Tensor:
    if not tensors or not all(isinstance(t, Tensor) for t in tensors):
        raise ShapeError("cat: expected a non-empty sequence of Tensors")
    axis = normalize_dim(dim, tensors[0].ndim, "cat")
    first = tensors[0]
    for t in tensors[1:]:
        if t.ndim != first.ndim or t.shape[:axis] + t.shape[axis + 1:] != \
                first.shape[:axis] + first.shape[axis + 1:]:
            raise ShapeError(f"cat: shapes {tuple(first.shape)} and {tuple(t.shape)} differ "
                             f"outside dim {dim}")
    dtype = first.dtype
    for t in tensors[1:]:
        dtype = np.promote_types(dtype, t.dtype)
    tensors = [t if t.dtype == dtype else t.to(dtype) for t in tensors]
    return Cat.apply(*tensors, dim=axis)


def stack(tensors: Sequence[Tensor], dim: int = 0, *, out=None, axis=None) -> Tensor:
    """Join tensors of one shape along a new dimension (``torch.stack``)."""
    if axis is not None:
        dim = dim_alias("stack", None, axis)
    tensors = list(tensors)
    if not tensors:
        raise ShapeError("stack: expected a non-empty sequence of Tensors")
    for t in tensors[1:]:
        if t.shape != tensors[0].shape:
            raise ShapeError(f"stack: every tensor must have the same shape, got "
                             f"{tuple(tensors[0].shape)} and {tuple(t.shape)}")
    new_axis = normalize_dim(dim, tensors[0].ndim + 1, "stack")
    y = _cat([unsqueeze(t, new_axis) for t in tensors], new_axis)
    return y if out is None else write_out("stack", y, out)


def split(x: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """x cut along ``dim`` into pieces of ``split_size_or_sections`` elements (the last piece
    may be smaller), or of the sizes in a list of them (``torch.split``). The pieces are
    slices of x: views, whose gradients flow back into x."""
    axis = normalize_dim(dim, x.ndim, "split")
    n = x.shape[axis]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0 and n > 0:
            raise ShapeError(f"split: split_size must be positive, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if n else [0]
    else:
        sizes = [int(k) for k in split_size_or_sections]
        if sum(sizes) != n or min(sizes, default=0) < 0:
            raise ShapeError(f"split: sizes {sizes} do not add up to {n}, the size of dim "
                             f"{dim} of a tensor of shape {tuple(x.shape)}")
    before = (slice(None),) * axis
    pieces, start = [], 0
    for size in sizes:
        pieces.append(x[before + (slice(start, start + size),)])
        start += size
    return tuple(pieces)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple:
    """x cut along ``dim`` into ``chunks`` pieces of ceil(n / chunks) elements each (the last
    may be smaller, and there may be fewer pieces), as ``torch.chunk``."""
    if not isinstance(chunks, (int, np.integer)) or chunks <= 0:
        raise ShapeError(f"chunk: chunks must be a positive integer, got {chunks!r}")
    n = x.shape[normalize_dim(dim, x.ndim, "chunk")]
    return split(x, max(1, -(-n // int(chunks))), dim)


def t(x: Tensor) -> Tensor:
    """The transpose of a matrix; a 0-d or 1-d tensor is returned as it is (``torch.t``)."""
    if x.ndim > 2:
        raise ShapeError(f"t: expects a tensor with <= 2 dimensions, but it has {x.ndim} "
                         f"(shape {tuple(x.shape)}); use transpose(dim0, dim1) or .mT")
    return x if x.ndim < 2 else Permute.apply(x, (1, 0))


def clone(x: Tensor, *, memory_format=None) -> Tensor:
    """A copy of x in new memory that stays in the graph (``torch.clone``): gradients flow
    through it. (``memory_format`` is accepted for PyTorch's sake: the copy is C-ordered.)"""
    return Clone.apply(x)


def pad(x: Tensor, pad: Sequence[int], mode: str = "constant",
        value: Optional[float] = None) -> Tensor:
    """Pad with a constant (``value``; None means 0, as in PyTorch), PyTorch's way:
    ``pad = (left, right)`` for the last dimension, then ``(top, bottom)`` for the one before
    it, and so on. The modes 'reflect', 'replicate' and 'circular', and negative widths
    (cropping), are ``pad_modes.py``'s."""
    pad = tuple(pad)
    value = 0.0 if value is None else value
    if mode != "constant" or any(isinstance(p, int) and p < 0 for p in pad):
        from minidl.ops.pad_modes import pad_with_mode  # (imported here: it imports Pad)
        return pad_with_mode(x, pad, mode, value)
    if len(pad) % 2 or len(pad) // 2 > x.ndim or any(
            not isinstance(p, int) or p < 0 for p in pad):
        raise ShapeError(f"pad: expected an even number (at most {2 * x.ndim}) of non-negative "
                         f"integers for a tensor of shape {tuple(x.shape)}, got {pad}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return Pad.apply(x, tuple(widths), value)
