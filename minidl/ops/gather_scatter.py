"""Gather and scatter: reading and writing elements at positions an integer tensor names.

Along ``dim``, with ``index`` of the input's number of dimensions (``d`` the dimension):

    gather:       y[i][j][k] = x[index[i][j][k]][j][k]                      (dim = 0)
    scatter_add:  y = self;  y[index[i][j][k]][j][k] += src[i][j][k]

Both are advanced indexing with the key ``(index, arange(n1)[:, None], arange(n2))`` (the
index in place of dim, every other position as it is: ``_key``), so they reuse
``indexing.py``'s pair of Functions, each the other's backward:

    gather      = GetItem(x, key)        its backward: IndexAdd(gy, key)  (a scatter-add)
    scatter_add = self + IndexAdd(src, key)   its backward: gy, and GetItem(gy, key)

``index_select``, ``index_add``, ``masked_select``, ``masked_scatter`` and ``take_along_dim``
are the same two with other keys. ``scatter`` (overwrite) and ``scatter_reduce`` are composed
from them and ``where``; scatter_reduce's amax/amin and prod have Functions of their own
(``scatter_extremes.py``).

Read next: ``scatter_extremes.py`` (scatter_reduce with amax, amin and prod).
"""
from __future__ import annotations

from minidl import backend
from minidl.errors import DTypeError, OutOfRangeError, ShapeError
from minidl.ops.arguments import write_out
from minidl.ops.compare import where
from minidl.ops.dims import broadcast_shape, normalize_dim
from minidl.ops.indexing import IndexAdd, getitem
from minidl.ops.scatter_extremes import ScatterExtreme, ScatterProd
from minidl.ops.shape import broadcast_to, reshape
from minidl.tensor import Tensor

REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def check_index(op: str, index, size: int, dim) -> object:
    """``index``'s array if it is an integer tensor whose values lie in [0, size), else a
    DTypeError or an OutOfRangeError naming ``op`` and the offending value."""
    if not isinstance(index, Tensor) or index.dtype.kind not in "iu":
        got = index.dtype if isinstance(index, Tensor) else type(index).__name__
        raise DTypeError(f"{op}: index must be an integer (int64) tensor, got {got}")
    array = index._array
    if array.size and bool((array < 0).any() | (array >= size).any()):
        bad = int(array[(array < 0) | (array >= size)].ravel()[0])
        raise OutOfRangeError(f"{op}: index {bad} is out of range for dim {dim} of size {size}")
    return array


def _key(index, axis: int) -> tuple:
    """The advanced-indexing key that puts ``index`` in place of dimension ``axis`` and keeps
    every other position: element p of the index addresses (p[0], .., index[p], .., p[-1])."""
    xp = backend.get_array_module(index)
    nd = index.ndim
    return tuple(index if d == axis else xp.arange(n).reshape((1,) * d + (n,) + (1,) * (nd - d - 1))
                 for d, n in enumerate(index.shape))


def _prepare(op: str, input: Tensor, dim: int, index, src=None):
    """(key, src cut to the index's shape) after PyTorch's checks: index has input's number
    of dimensions, and is no larger than src anywhere and than input outside dim."""
    axis = normalize_dim(dim, input.ndim, op)
    if not isinstance(index, Tensor) or max(index.ndim, 1) != max(input.ndim, 1):
        raise ShapeError(f"{op}: index must have as many dimensions as the input "
                         f"{tuple(input.shape)}, got {getattr(index, 'shape', index)!r}")
    shape, index_shape = tuple(input.shape) or (1,), tuple(index.shape) or (1,)
    array = check_index(op, index, shape[axis], dim).reshape(index_shape)  # 0-d as 1-d
    too_big = any(m > n for d, (m, n) in enumerate(zip(index_shape, shape)) if d != axis)
    if isinstance(src, Tensor):
        too_big = too_big or len(index_shape) != max(src.ndim, 1) or any(
            m > n for m, n in zip(index_shape, tuple(src.shape) or (1,)))
    if too_big:
        raise ShapeError(f"{op}: index of shape {tuple(index.shape)} is larger than the input "
                         f"{tuple(input.shape)} outside dim {dim}, or than src "
                         f"{tuple(getattr(src, 'shape', ()))}")
    key = _key(backend.to_device(array, input.device), axis)
    if isinstance(src, Tensor):
        src = _flat(src)
        if tuple(src.shape) != index_shape:
            src = getitem(src, tuple(slice(0, m) for m in index_shape))
    return key, src


def _flat(input: Tensor) -> Tensor:
    return reshape(input, (1,)) if input.ndim == 0 else input


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False,
           out=None) -> Tensor:
    """y[p] = input[p with p[dim] replaced by index[p]] (``torch.gather``). ``sparse_grad``
    is accepted for PyTorch's sake: minidl's gradients are dense."""
    key, _ = _prepare("gather", input, dim, index)
    y = reshape(getitem(_flat(input), key), tuple(index.shape))
    return y if out is None else write_out("gather", y, out)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """input with src[p] added at (p with p[dim] replaced by index[p]); repeated positions
    add up (``torch.scatter_add``)."""
    key, src = _prepare("scatter_add", input, dim, index, src)
    return input + reshape(IndexAdd.apply(src, key, tuple(_flat(input).shape)), input.shape)


def _touched(input: Tensor, key) -> Tensor:
    """A bool tensor, True where the key writes."""
    xp = backend.get_array_module(input._array)
    hit = xp.zeros(tuple(_flat(input).shape), dtype=bool)
    hit[key] = True
    return Tensor._make(hit.reshape(input.shape), False)


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None,
            reduce=None) -> Tensor:
    """input with src[p] (or ``value``) written at (p with p[dim] replaced by index[p])
    (``torch.scatter``). Where index repeats a position, PyTorch leaves unspecified which
    write wins, and so does minidl; the one kept gets the gradient. ``reduce='add'`` and
    ``'multiply'`` are PyTorch's older spelling of ``scatter_reduce``'s 'sum' and 'prod'."""
    if reduce is not None:
        if reduce not in ("add", "multiply") or not isinstance(src, Tensor):
            raise ValueError(f"scatter: reduce must be 'add' or 'multiply' with a src tensor, "
                             f"got {reduce!r}")
        return scatter_reduce(input, dim, index, src, "sum" if reduce == "add" else "prod")
    if value is None and not isinstance(src, Tensor):
        src, value = None, src  # scatter(input, dim, index, 2.0): a number for src
    key, src = _prepare("scatter", input, dim, index, src)
    hit = _touched(input, key)
    if src is None:
        return where(hit, value, input)
    xp = backend.get_array_module(input._array)
    # one write per position: where index repeats one, the src element whose write the
    # array library kept (so that its gradient goes to the element that was written)
    order = xp.arange(src.numel()).reshape(tuple(src.shape))
    writer = xp.zeros(tuple(_flat(input).shape), dtype=order.dtype)
    writer[key] = order
    kept = Tensor._make(writer[key] == order, False)
    placed = IndexAdd.apply(where(kept, src, 0), key, tuple(_flat(input).shape))
    return where(hit, reshape(placed, input.shape), input)


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """input with each position that index names replaced by the reduction (sum, prod, mean,
    amax or amin) of the src elements sent there, and of input's own element too when
    ``include_self`` (``torch.scatter_reduce``). Positions no index names keep input's."""
    if reduce not in REDUCTIONS:
        raise ValueError(f"scatter_reduce: reduce must be one of {REDUCTIONS}, got {reduce!r}")
    key, src = _prepare("scatter_reduce", input, dim, index, src)
    shape = tuple(_flat(input).shape)
    if reduce in ("amax", "amin"):
        return reshape(ScatterExtreme.apply(_flat(input), src, key, reduce == "amax",
                                            include_self), input.shape)
    if reduce == "prod":
        return reshape(ScatterProd.apply(_flat(input), src, key, include_self), input.shape)
    hit = _touched(input, key)
    base = input if include_self else where(hit, 0, input)
    total = base + reshape(IndexAdd.apply(src, key, shape), input.shape)
    if reduce == "sum":
        return total
    xp = backend.get_array_module(input._array)
    count = xp.zeros(shape, dtype=input.dtype)
    backend.scatter_add(count, key, xp.ones(tuple(src.shape), dtype=input.dtype))
    count = count.reshape(input.shape) + (1 if include_self else 0)
    count = Tensor._make(xp.maximum(count, 1), False)  # untouched: self / 1
    return total // count if input.dtype.kind in "iu" else total / count


def index_select(input: Tensor, dim: int, index: Tensor, *, out=None) -> Tensor:
    """The slices at ``index`` (1-d) along ``dim``, in its order (``torch.index_select``)."""
    axis = normalize_dim(dim, input.ndim, "index_select")
    if isinstance(index, Tensor) and index.ndim > 1:
        raise ShapeError(f"index_select: index must be 0-d or 1-d, got shape "
                         f"{tuple(index.shape)}")
    array = check_index("index_select", index, _flat(input).shape[axis], dim).reshape(-1)
    y = getitem(_flat(input), (slice(None),) * axis + (array,))
    y = reshape(y, ()) if input.ndim == 0 else y
    return y if out is None else write_out("index_select", y, out)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1,
              out=None) -> Tensor:
    """input with alpha * source's slices added at the positions ``index`` names along dim;
    repeated positions add up (``torch.index_add``)."""
    axis = normalize_dim(dim, input.ndim, "index_add")
    shape = tuple(_flat(input).shape)
    array = check_index("index_add", index, shape[axis], dim).reshape(-1)
    expected = shape[:axis] + (array.size,) + shape[axis + 1:]
    if tuple(_flat(source).shape) != expected:
        raise ShapeError(f"index_add: source of shape {tuple(source.shape)} does not fit; "
                         f"expected {expected} for input {tuple(input.shape)} and "
                         f"{array.size} indices along dim {dim}")
    source = _flat(source) if alpha == 1 else _flat(source) * alpha
    key = (slice(None),) * axis + (backend.to_device(array, input.device),)
    y = input + reshape(IndexAdd.apply(source, key, shape), input.shape)
    return y if out is None else write_out("index_add", y, out)


def _bool_mask(op: str, mask) -> object:
    if not isinstance(mask, Tensor) or mask.dtype.kind != "b":
        got = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise DTypeError(f"{op}: mask must be a bool tensor, got {got}")
    return mask._array


def masked_select(input: Tensor, mask: Tensor, *, out=None) -> Tensor:
    """The elements where ``mask`` is True, as a 1-d tensor (input and mask broadcast
    together; ``torch.masked_select``)."""
    array = _bool_mask("masked_select", mask)
    shape = broadcast_shape(tuple(input.shape), tuple(mask.shape))
    if shape is None:
        raise ShapeError(f"masked_select: mask of shape {tuple(mask.shape)} and input of "
                         f"shape {tuple(input.shape)} do not broadcast")
    xp = backend.get_array_module(input._array)
    y = getitem(reshape(broadcast_to(input, shape), -1),
                xp.broadcast_to(array, shape).reshape(-1))
    return y if out is None else write_out("masked_select", y, out)


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """input with source's first elements, in order, written where ``mask`` is True (the mask
    broadcast to input's shape; ``torch.masked_scatter``)."""
    array = _bool_mask("masked_scatter", mask)
    if broadcast_shape(tuple(input.shape), tuple(mask.shape)) != tuple(input.shape):
        raise ShapeError(f"masked_scatter: mask of shape {tuple(mask.shape)} does not "
                         f"broadcast to the input's shape {tuple(input.shape)}")
    xp = backend.get_array_module(input._array)
    full = xp.broadcast_to(array, tuple(input.shape))
    count = int(full.sum())
    if source.numel() < count:
        raise ShapeError(f"masked_scatter: the mask selects {count} elements but source has "
                         f"only {source.numel()}")
    taken = getitem(reshape(source, -1), slice(0, count))
    key = xp.nonzero(full.reshape(-1))
    placed = reshape(IndexAdd.apply(taken, key, (input.numel(),)), tuple(input.shape))
    return where(Tensor._make(full, False), placed, input)


def nonzero(input: Tensor, *, out=None, as_tuple: bool = False):
    """The positions of the non-zero elements: an int64 tensor of shape (count, ndim), or
    with ``as_tuple`` one 1-d int64 tensor per dimension (``torch.nonzero``; ``out`` only
    without as_tuple, as in PyTorch)."""
    xp = backend.get_array_module(input._array)
    array = input._array
    if as_tuple:
        if out is not None:
            raise TypeError("nonzero: out= is not supported with as_tuple=True")
        return tuple(Tensor._make(p.astype(xp.int64), False)
                     for p in xp.nonzero(xp.atleast_1d(array)))
    if input.ndim == 0:
        y = Tensor._make(xp.zeros((int(array != 0), 0), dtype=xp.int64), False)
    else:
        y = Tensor._make(xp.stack(xp.nonzero(array), axis=1).astype(xp.int64), False)
    return y if out is None else write_out("nonzero", y, out)


def take_along_dim(input: Tensor, indices: Tensor, dim=None, *, out=None) -> Tensor:
    """gather, with input and indices broadcast together outside ``dim``; without dim, both
    flattened (``torch.take_along_dim``)."""
    y = _take_along(input, indices, dim)
    return y if out is None else write_out("take_along_dim", y, out)


def _take_along(input: Tensor, indices: Tensor, dim) -> Tensor:
    if dim is None:
        return gather(reshape(input, -1), 0, reshape(indices, -1))
    axis = normalize_dim(dim, input.ndim, "take_along_dim")
    if not isinstance(indices, Tensor) or indices.ndim != input.ndim:
        raise ShapeError(f"take_along_dim: indices must have as many dimensions as the input "
                         f"{tuple(input.shape)}, got {getattr(indices, 'shape', indices)!r}")
    outside = broadcast_shape(tuple(input.shape[:axis]) + (1,) + tuple(input.shape[axis + 1:]),
                              tuple(indices.shape[:axis]) + (1,) +
                              tuple(indices.shape[axis + 1:]))
    if outside is None:
        raise ShapeError(f"take_along_dim: input {tuple(input.shape)} and indices "
                         f"{tuple(indices.shape)} do not broadcast outside dim {dim}")
    def with_size(n: int) -> tuple:  # the broadcast shape, with n along dim
        return outside[:axis] + (n,) + outside[axis + 1:]

    input = broadcast_to(input, with_size(input.shape[axis]))
    index = backend.get_array_module(indices._array).broadcast_to(
        indices._array, with_size(indices.shape[axis]))
    return gather(input, axis, Tensor._make(index, False))
