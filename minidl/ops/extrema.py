"""``amax``, ``amin`` and ``aminmax``: the largest and smallest values over one dim, several,
or all, without indices.

Unlike ``max(dim)``, which returns an index and sends the gradient to that one element, amax
treats tied elements alike and splits the gradient evenly among them, as PyTorch's amax does:

    y = max of x over the dims        gx = gy * [x == y] / (number of elements equal to y)

NaN counts as the largest and the smallest value (a slice holding one reduces to NaN, and its
gradient goes to its NaNs), as in ``reduce.py``.

Read next: ``moments.py`` (var_mean, std_mean).
"""
from __future__ import annotations

from collections import namedtuple

from minidl import backend
from minidl.errors import DimError
from minidl.function import Function
from minidl.ops.arguments import write_out
from minidl.ops.dims import normalize_dim, normalize_dims
from minidl.ops.reduce import _kept_shape
from minidl.ops.shape import reshape
from minidl.tensor import Tensor

aminmax_result = namedtuple("aminmax", ["min", "max"])


class AMax(Function):
    """y = max (or min) of x over ``axes``;  gx = gy split evenly among the elements equal to y"""

    @staticmethod
    def forward(ctx, x, axes, keepdim, largest):
        xp = backend.get_array_module(x)
        ctx.in_shape, ctx.axes = x.shape, axes
        y = (x.max if largest else x.min)(axis=axes, keepdims=True)
        ties = x == y
        if x.dtype.kind == "f":
            ties |= xp.isnan(x) & xp.isnan(y)  # (NaN != NaN, but a NaN max ties its NaNs)
        share = ties / ties.sum(axis=axes, keepdims=True)
        ctx.save_for_backward(share.astype(x.dtype, copy=False))
        return y if keepdim else y.reshape(_reduced_shape(x.shape, axes))

    @staticmethod
    def backward(ctx, gy):
        share, = ctx.saved_tensors
        return reshape(gy, _kept_shape(ctx.in_shape, ctx.axes)) * share, None, None, None


def _reduced_shape(shape, axes):
    return () if axes is None else tuple(n for i, n in enumerate(shape) if i not in axes)


def _amax(op: str, input: Tensor, dim, keepdim: bool, largest: bool) -> Tensor:
    axes = normalize_dims(dim, input.ndim, op)
    if axes == ():  # (a 0-d tensor)
        axes = None
    reduced = input.shape if axes is None else [input.shape[a] for a in axes]
    if 0 in tuple(reduced):  # (an IndexError, as in PyTorch)
        raise DimError(f"{op}: cannot reduce an empty dimension (shape "
                       f"{tuple(input.shape)}, dim {dim!r})")
    return AMax.apply(input, axes, keepdim, largest)


def amax(input: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
    """The largest value over ``dim`` (an int or a tuple; () or None: every dim)."""
    y = _amax("amax", input, dim, keepdim, True)
    return y if out is None else write_out("amax", y, out)


def amin(input: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
    """The smallest value over ``dim`` (an int or a tuple; () or None: every dim)."""
    y = _amax("amin", input, dim, keepdim, False)
    return y if out is None else write_out("amin", y, out)


def aminmax(input: Tensor, *, dim=None, keepdim: bool = False, out=None) -> aminmax_result:
    """(min, max) over ``dim`` (an int, or None for every element), as named fields."""
    if dim is not None:
        dim = normalize_dim(dim, input.ndim, "aminmax")
    y = aminmax_result(_amax("aminmax", input, dim, keepdim, False),
                       _amax("aminmax", input, dim, keepdim, True))
    return y if out is None else write_out("aminmax", y, out)
