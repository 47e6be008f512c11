"""``prod``: the product of the elements, over all of them or along one dim.

Its derivative with respect to one factor is the product of all the *others*:

    y = prod_j x_j          gx_i = gy * prod_{j != i} x_j

The shortcut gy * y / x_i divides by zero wherever x holds a zero. Here the product of the
others is the product of those before i times the product of those after i, two running
products (``cumprod``, shifted by one), with no division at all: exact with one zero (the
zero's factor gets the product of the rest, all others 0) and with several (all 0). Because
those running products are ``Cumprod`` calls on Tensors, the second derivative comes out of
``cumprod``'s own backward.

Read next: ``extrema.py`` (amax, amin, aminmax).
"""
from __future__ import annotations

from minidl.function import Function
from minidl.ops.arguments import write_out
from minidl.ops.dims import normalize_dim
from minidl.ops.reduce import _kept_shape
from minidl.ops.scan import Cumprod, flip, integers_to_long, shift_in_one
from minidl.ops.shape import reshape
from minidl.tensor import Tensor


def product_of_others(x: Tensor, axis: int) -> Tensor:
    """prod_{j != i} x_j along ``axis``, for every i: (the product of those before i) *
    (the product of those after i)."""
    before = Cumprod.apply(shift_in_one(x, axis), axis)
    after = flip(Cumprod.apply(shift_in_one(flip(x, axis), axis), axis), axis)
    return before * after


class Prod(Function):
    """y = prod of x along ``axis``;  gx_i = gy * prod_{j != i} x_j"""

    @staticmethod
    def forward(ctx, x, axis, keepdim):
        ctx.axis = axis
        ctx.save_for_backward(x)
        return x.prod(axis=axis, keepdims=keepdim)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        gy = reshape(gy, _kept_shape(x.shape, (ctx.axis,)))
        return gy * product_of_others(x, ctx.axis), None, None


def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """The product of all elements (``dim=None``: a 0-d tensor) or along ``dim`` (an int, as
    in PyTorch). Bool and integer tensors multiply in int64; ``dtype`` converts first."""
    x = integers_to_long(input, dtype)
    if dim is None:
        y = Prod.apply(reshape(x, -1), 0, False)
    else:
        axis = normalize_dim(dim, x.ndim, "prod")
        y = x[...] if x.ndim == 0 else Prod.apply(x, axis, keepdim)
    return y if out is None else write_out("prod", y, out)
