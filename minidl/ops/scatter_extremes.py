"""``scatter_reduce`` with ``amax``, ``amin`` and ``prod``: the reductions that a scatter-add
cannot write, so each has a Function of its own.

Forward: every position a key names is combined with the src elements sent there. Applying
``maximum`` or ``multiply`` at repeated positions one element at a time needs ``ufunc.at``,
which CuPy lacks for some ufuncs; ``_combine_at`` instead sorts the targets and applies the
ufunc in rounds, round r taking each position's r-th element, so no round repeats a position.

Backward (as PyTorch):

    amax, amin:  the gradient of a position is split evenly among the elements equal to the
                 result (input's own element among them when include_self):
                 gx = gy * [x == y] / count,   gsrc = gy[key] * [src == y[key]] / count[key]
    prod:        d/dx_i (x_1 ... x_k) = y / x_i where x_i != 0; where x_i = 0, the product
                 of the other factors: that of the non-zero ones if x_i is the only 0, else 0

The count weights of amax/amin are constants, so the second derivative is 0, as it is for
any piecewise-linear function. prod's second derivative is exact except where a position has
two or more zero factors (there it is 0 where it should be the product of the others; so it
is in PyTorch).

Read next: ``diagonals.py`` (diag, diagonal, diag_embed).
"""
from __future__ import annotations

from minidl import backend
from minidl.function import Function
from minidl.ops.compare import where
from minidl.ops.indexing import GetItem
from minidl.tensor import Tensor


def _combine_at(y, key, src, ufunc) -> None:
    """y[key] = ufunc(y[key], src) in place, where repeated positions combine every src
    element sent to them (``ufunc.at``)."""
    xp = backend.get_array_module(y)
    parts = [xp.broadcast_to(k, src.shape).ravel() for k in key]
    targets = xp.ravel_multi_index(tuple(parts), y.shape)
    order = xp.argsort(targets)
    targets, values = targets[order], src.ravel()[order]
    if not targets.size:
        return
    starts = xp.concatenate([xp.ones(1, dtype=bool), targets[1:] != targets[:-1]])
    group_start = xp.nonzero(starts)[0][xp.cumsum(starts) - 1]
    rank = xp.arange(targets.size) - group_start  # the element's place among its position's
    flat = y.reshape(-1)  # y is a fresh copy: a view of it, written through
    for r in range(int(rank.max()) + 1):
        pick = rank == r
        flat[targets[pick]] = ufunc(flat[targets[pick]], values[pick])


def _start(x, key, include_self: bool, fill):
    """A copy of x, with ``fill`` at the positions the key names unless include_self; and
    the bool mask of those positions."""
    xp = backend.get_array_module(x)
    hit = xp.zeros(x.shape, dtype=bool)
    hit[key] = True
    y = x.copy()
    if not include_self:
        y[hit] = fill
    return y, hit


def _lowest(dtype, xp, highest: bool = False):
    if dtype.kind == "f":
        return xp.inf if highest else -xp.inf
    info = xp.iinfo(dtype) if dtype.kind in "iu" else None
    if info is None:  # bool: False is the lowest, True the highest
        return highest
    return info.max if highest else info.min


class ScatterExtreme(Function):
    """y = x with each keyed position the max (or min) of its src elements (and of x's own
    when include_self);  gx, gsrc = gy split evenly among the elements equal to y"""

    @staticmethod
    def forward(ctx, x, src, key, is_max, include_self):
        xp = backend.get_array_module(x)
        y, hit = _start(x, key, include_self, _lowest(x.dtype, xp, highest=not is_max))
        _combine_at(y, key, src, xp.maximum if is_max else xp.minimum)
        if x.dtype.kind == "f":  # the weights, for backward
            own = (x == y) & (~hit if not include_self else True)
            sent = src == y[key]
            count = own.astype(x.dtype)
            backend.scatter_add(count, key, sent.astype(x.dtype))
            count = xp.maximum(count, 1)
            ctx.key = key
            ctx.w_x = own / count
            ctx.w_src = sent / count[key]
        return y

    @staticmethod
    def backward(ctx, gy):
        gx = gy * Tensor._make(ctx.w_x, False)
        gsrc = GetItem.apply(gy, ctx.key) * Tensor._make(ctx.w_src, False)
        return gx, gsrc, None, None, None


class ScatterProd(Function):
    """y = x with each keyed position the product of its src elements (and of x's own when
    include_self);  gx = gy dy/dx,  gsrc = gy[key] dy[key]/dsrc  (see ``_factor_grad``)"""

    @staticmethod
    def forward(ctx, x, src, key, include_self):
        xp = backend.get_array_module(x)
        y, hit = _start(x, key, include_self, 1)
        _combine_at(y, key, src, xp.multiply)
        own = None if include_self else ~hit  # where x's element is a factor of y
        zeros = (x == 0) if own is None else (x == 0) & own
        zeros = zeros.astype(xp.int64)  # the number of zero factors of each y
        backend.scatter_add(zeros, key, (src == 0).astype(xp.int64))
        ctx.key, ctx.own, ctx.include_self, ctx.zeros = key, own, include_self, zeros
        ctx.save_for_backward(x, src, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, src, y = ctx.saved_tensors
        key = ctx.key
        lone = None  # where a factor is 0: the product of the others, if it is the only 0
        if ctx.zeros.any():
            nonzero = ScatterProd.apply(where(x == 0, 1, x), where(src == 0, 1, src), key,
                                        ctx.include_self)
            lone = where(Tensor._make(ctx.zeros == 1, False), nonzero, 0)
        gx = gy * _factor_grad(x, y, lone)
        if ctx.own is not None:  # positions that src alone decides: x's element is not in y
            gx = where(Tensor._make(ctx.own, False), gx, 0)
        lone_src = None if lone is None else GetItem.apply(lone, key)
        gsrc = GetItem.apply(gy, key) * _factor_grad(src, GetItem.apply(y, key), lone_src)
        return gx, gsrc, None, None


def _factor_grad(factor: Tensor, product: Tensor, lone) -> Tensor:
    """d product / d factor: product / factor where the factor is not 0; where it is, the
    product of the other factors (``lone``: that of the non-zero ones when the factor is
    the only 0, else 0), as PyTorch computes it. The 0s are replaced by 1 before dividing, so
    that no inf or NaN enters the graph (its second derivatives would carry them)."""
    is_zero = factor == 0
    if not is_zero._array.any():
        return product / factor
    # (a 0 that is no factor of y, x's element where include_self is False, gets lone = 0:
    # its gradient is masked out, but must not be inf before that)
    return where(is_zero, 0 if lone is None else lone, product / where(is_zero, 1, factor))
