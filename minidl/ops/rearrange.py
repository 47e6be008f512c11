"""Rearranging elements: repeat, tile, repeat_interleave, flip, roll, movedim, narrow, unfold,
unbind, unflatten, meshgrid.

Every one is composed from ops that already have a backward, so none needs its own:

    repeat(r0, r1)    = x.reshape(1, n0, 1, n1).expand(r0, n0, r1, n1).reshape(r0 n0, r1 n1)
    flip, narrow      = x[..., ::-1], x[..., start:start + length]       (basic indexing)
    roll, unfold,     = x[..., idx] with an integer index array idx     (advanced indexing)
    repeat_interleave

The gradient of a copy is the sum of the gradients of its copies: ``expand`` sums them back
(``sum_to``), advanced indexing adds at repeated positions (``indexing.py``'s scatter-add).
``unfold``'s overlapping windows pick an element several times, and so get the sum too.

Read next: ``gather_scatter.py`` (gather, scatter, index_add, masked_select, ...).
"""
from __future__ import annotations

import numbers
from typing import Sequence, Tuple

from minidl import backend
from minidl.errors import DTypeError, ShapeError
from minidl.ops.dims import normalize_dim
from minidl.ops.indexing import getitem
from minidl.ops.shape import _shape_args, broadcast_to, permute, reshape, transpose
from minidl.tensor import Tensor


def _int(value, op: str, name: str) -> int:
    """An integer argument (a Python int, or a one-element integer tensor), else DTypeError."""
    if isinstance(value, Tensor):
        value = value.item()
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise DTypeError(f"{op}: {name} must be an integer, got {value!r}")
    return int(value)


def _as_tuple(value) -> tuple:
    """One int, or a sequence of them, as a tuple (PyTorch takes ``dims=1`` and ``(1,)``)."""
    return (value,) if isinstance(value, numbers.Integral) else tuple(value)


def _along(dim: int, part) -> tuple:
    """The key that applies ``part`` to dimension ``dim`` and takes the others whole."""
    return (slice(None),) * dim + (part,)


def repeat(input: Tensor, *sizes) -> Tensor:
    """x repeated ``sizes[i]`` times along each dimension (``Tensor.repeat``); extra leading
    sizes add dimensions. Written as reshape -> expand -> reshape: an interleaved axis of size
    1 before each dimension is broadcast to its repeat count."""
    sizes = _shape_args(sizes, "repeat")
    if len(sizes) < input.ndim or min(sizes, default=0) < 0:
        raise ShapeError(f"repeat: expected at least {input.ndim} non-negative sizes for a "
                         f"tensor of shape {tuple(input.shape)}, got {sizes}")
    shape = (1,) * (len(sizes) - input.ndim) + tuple(input.shape)
    paired = reshape(input, tuple(m for n in shape for m in (1, n)))
    spread = broadcast_to(paired, tuple(m for r, n in zip(sizes, shape) for m in (r, n)))
    return reshape(spread, tuple(r * n for r, n in zip(sizes, shape)))


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """``repeat``, where fewer sizes than dimensions repeat the trailing ones (``torch.tile``)."""
    dims = _shape_args((tuple(dims),), "tile")
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


def repeat_interleave(input: Tensor, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Each element repeated ``repeats`` times in place: [a, b] -> [a, a, b, b]
    (``torch.repeat_interleave``). ``repeats`` is an int or a 1-d integer tensor with a count
    per element; ``dim=None`` flattens first. ``repeat_interleave(counts)`` alone gives the
    indices 0, 0, 1, ... that the counts repeat."""
    if repeats is None:  # torch.repeat_interleave(repeats): the positions, each repeated
        xp = backend.get_array_module(input._array)
        positions = Tensor._make(xp.arange(input.shape[0] if input.ndim else 1), False)
        return repeat_interleave(positions, input, 0)
    if dim is None:
        input, dim = reshape(input, -1), 0
    axis = normalize_dim(dim, input.ndim, "repeat_interleave")
    n = input.shape[axis] if input.ndim else 1
    xp = backend.get_array_module(input._array)
    if isinstance(repeats, Tensor):
        if repeats.dtype.kind not in "iu":
            raise DTypeError(f"repeat_interleave: repeats must be an integer tensor, got "
                             f"{repeats.dtype}")
        # (a list: CuPy's repeat takes the counts as an int or a list, not an array)
        counts = backend.to_host(repeats._array).reshape(-1).tolist()
    else:
        counts = [_int(repeats, "repeat_interleave", "repeats")]
    if len(counts) not in (1, n) or min(counts, default=0) < 0:
        raise ShapeError(f"repeat_interleave: repeats must be non-negative and hold one count "
                         f"or {n} (the size of dim {dim}), got {repeats!r}")
    index = xp.repeat(xp.arange(n), counts if len(counts) == n else counts[0])
    if output_size is not None and output_size != index.size:
        raise ShapeError(f"repeat_interleave: output_size {output_size} is not the "
                         f"{index.size} elements the repeats give")
    return getitem(input if input.ndim else reshape(input, 1), _along(axis, index))


def flip(input: Tensor, dims) -> Tensor:
    """The order of the elements reversed along each of ``dims`` (``torch.flip``)."""
    dims = _as_tuple(dims)
    axes = {normalize_dim(d, input.ndim, "flip") for d in dims}
    if len(axes) != len(dims):
        raise ShapeError(f"flip: dims {dims} name a dimension twice")
    return getitem(input, tuple(slice(None, None, -1) if i in axes else slice(None)
                                for i in range(input.ndim)))


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Elements shifted ``shifts`` places along ``dims``, the last ones wrapping round to the
    front: y[i] = x[(i - shift) mod n] (``torch.roll``). Without dims the flattened tensor
    is rolled and the shape kept."""
    shifts = _as_tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise ShapeError(f"roll: without dims, shifts must be one integer, got {shifts}")
        return reshape(roll(reshape(input, -1), shifts, 0), tuple(input.shape))
    dims = _as_tuple(dims)
    if len(shifts) != len(dims):
        raise ShapeError(f"roll: shifts {shifts} and dims {dims} differ in length")
    xp = backend.get_array_module(input._array)
    y = input
    for shift, dim in zip(shifts, dims):
        axis = normalize_dim(dim, input.ndim, "roll")
        n = input.shape[axis] if input.ndim else 1
        if n and _int(shift, "roll", "shifts") % n:
            y = getitem(y, _along(axis, (xp.arange(n) - int(shift)) % n))
    return y


def movedim(input: Tensor, source, destination) -> Tensor:
    """Dimensions ``source`` moved to positions ``destination``, the others keeping their
    order (``torch.movedim``; ``moveaxis`` is the same)."""
    source, destination = _as_tuple(source), _as_tuple(destination)
    if len(source) != len(destination):
        raise ShapeError(f"movedim: source {source} and destination {destination} differ in "
                         f"length")
    src = [normalize_dim(d, input.ndim, "movedim") for d in source]
    dst = [normalize_dim(d, input.ndim, "movedim") for d in destination]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ShapeError(f"movedim: repeated dim in source {source} or destination "
                         f"{destination}")
    order = [None] * input.ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(i for i in range(input.ndim) if i not in src)
    order = tuple(next(rest) if o is None else o for o in order)
    return input if order == tuple(range(input.ndim)) else permute(input, order)


moveaxis = movedim


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """``transpose`` under NumPy's name (``torch.swapaxes``)."""
    return transpose(input, axis0, axis1)


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """``transpose`` under another name (``torch.swapdims``)."""
    return transpose(input, dim0, dim1)


def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    """The ``length`` elements from ``start`` along ``dim`` (``torch.narrow``; start may be
    negative, counting from the end)."""
    axis = normalize_dim(dim, input.ndim, "narrow")
    n = input.shape[axis]
    start, length = _int(start, "narrow", "start"), _int(length, "narrow", "length")
    begin = start + n if start < 0 else start
    if not (0 <= begin <= n and 0 <= length <= n - begin):
        raise ShapeError(f"narrow: start {start} and length {length} do not fit dim {dim} of "
                         f"size {n} (shape {tuple(input.shape)})")
    return getitem(input, _along(axis, slice(begin, begin + length)))


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Every window of ``size`` elements along ``dimension``, ``step`` apart: that dimension
    becomes the window count and a new last dimension of ``size`` is added
    (``Tensor.unfold``): y[..., w, ..., j] = x[..., w * step + j, ...]."""
    axis = normalize_dim(dimension, input.ndim, "unfold")
    n = input.shape[axis] if input.ndim else 1
    size, step = _int(size, "unfold", "size"), _int(step, "unfold", "step")
    if not 0 <= size <= n or step <= 0:
        raise ShapeError(f"unfold: size {size} must be in [0, {n}] (the size of dimension "
                         f"{dimension}) and step {step} positive")
    xp = backend.get_array_module(input._array)
    windows = (n - size) // step + 1
    index = xp.arange(windows)[:, None] * step + xp.arange(size)[None, :]
    x = input if input.ndim else reshape(input, 1)
    y = getitem(x, _along(axis, index))  # (..., windows, size, ...)
    return movedim(y, axis + 1, -1) if input.ndim else reshape(y, (size,))


def unbind(input: Tensor, dim: int = 0) -> Tuple[Tensor, ...]:
    """The slices along ``dim``, each without that dimension (``torch.unbind``)."""
    axis = normalize_dim(dim, input.ndim, "unbind")
    if input.ndim == 0:
        raise ShapeError("unbind: a 0-d tensor has no dimension to unbind")
    return tuple(getitem(input, _along(axis, i)) for i in range(input.shape[axis]))


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Dimension ``dim`` split into ``sizes`` (one may be -1), the inverse of ``flatten``
    (``torch.unflatten``)."""
    axis = normalize_dim(dim, input.ndim, "unflatten")
    sizes = _shape_args((tuple(sizes),), "unflatten")
    n, known = input.shape[axis], 1
    for s in sizes:
        known *= s if s != -1 else 1
    if not sizes or sizes.count(-1) > 1 or (n != known if -1 not in sizes
                                            else known == 0 or n % known):
        raise ShapeError(f"unflatten: sizes {sizes} do not split dim {dim} of size {n}")
    sizes = tuple(n // known if s == -1 else s for s in sizes)
    return reshape(input, tuple(input.shape[:axis]) + sizes + tuple(input.shape[axis + 1:]))


def meshgrid(*tensors, indexing: str = "ij") -> Tuple[Tensor, ...]:
    """Coordinate grids: output i holds tensor i's values along dimension i, repeated along
    the others (``torch.meshgrid``). ``indexing='xy'`` swaps the first two dimensions, as
    NumPy's default does; PyTorch's default, 'ij', is ours too."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for t in tensors:
        if t.ndim > 1:
            raise ShapeError(f"meshgrid: expects 0-d or 1-d tensors, got shape {tuple(t.shape)}")
    order = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        order[0], order[1] = 1, 0
    shape = tuple(max(tensors[i].numel(), 1) for i in order)
    grids = []
    for i, t in enumerate(tensors):
        position = order.index(i)
        lined = reshape(t, (1,) * position + (-1,) + (1,) * (len(tensors) - 1 - position))
        grids.append(broadcast_to(lined, shape))
    return tuple(grids)

