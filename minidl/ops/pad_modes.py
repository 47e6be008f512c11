"""Padding that repeats the input's own elements (``F.pad``'s modes 'reflect', 'replicate' and
'circular'), and negative padding (cropping) in 'constant' mode.

Each padded dimension of size n becomes an index array over positions p = -left .. n+right-1:

    reflect     p -> |p|, then mirrored at n - 1:   2 (n - 1) - |p|     (the edge not repeated)
    replicate   p -> clip(p, 0, n - 1)                                  (the edge repeated)
    circular    p -> p mod n                                            (wrapping round)

and ``x[..., index]`` (advanced indexing) does the rest: its backward adds the gradient of
every copy into the element it was copied from. A negative width drops elements instead: the
index starts or ends inside the input.

Read next: ``linalg.py`` (matmul).
"""
from __future__ import annotations

from typing import Sequence

from minidl import backend
from minidl.errors import ShapeError
from minidl.ops.indexing import getitem
from minidl.ops.shape import Pad
from minidl.tensor import Tensor

MODES = ("constant", "reflect", "replicate", "circular")


def _index(xp, n: int, left: int, right: int, mode: str):
    """The source position of each output position along one dimension."""
    p = xp.arange(-left, n + right)
    if mode == "reflect":
        p = xp.abs(p)
        return xp.where(p > n - 1, 2 * (n - 1) - p, p)
    if mode == "replicate":
        return xp.clip(p, 0, n - 1)
    return p % n


def _check(x: Tensor, pad: Sequence[int], mode: str) -> None:
    dims = len(pad) // 2
    for i in range(dims):
        n, left, right = x.shape[x.ndim - 1 - i], pad[2 * i], pad[2 * i + 1]
        too_wide = {"reflect": max(left, right) >= n, "replicate": n == 0,
                    "circular": max(left, right) > n}.get(mode, False)
        if too_wide or n + min(left, 0) + min(right, 0) < 0 or -min(left, right) > n:
            raise ShapeError(f"pad: widths ({left}, {right}) do not fit dim {x.ndim - 1 - i} "
                             f"of size {n} in mode {mode!r} (reflect needs widths < size, "
                             f"circular widths <= size; cropping may not remove more than "
                             f"the size)")


def pad_with_mode(x: Tensor, pad: Sequence[int], mode: str, value: float) -> Tensor:
    """``F.pad`` for the modes that repeat elements, and for negative widths in constant
    mode. (PyTorch pads only the last 1-3 dims of a 2-5-d input in the repeating modes;
    minidl pads any trailing dims.)"""
    if mode not in MODES:
        raise ValueError(f"pad: mode must be one of {MODES}, got {mode!r}")
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim or any(
            not isinstance(p, int) or isinstance(p, bool) for p in pad):
        raise ShapeError(f"pad: expected an even number (at most {2 * x.ndim}) of integers for "
                         f"a tensor of shape {tuple(x.shape)}, got {pad}")
    _check(x, pad, mode)
    xp = backend.get_array_module(x._array)
    if mode == "constant":  # crop where a width is negative, then pad by the others
        crop = [slice(None)] * x.ndim
        widths = [(0, 0)] * x.ndim
        for i in range(len(pad) // 2):
            left, right = pad[2 * i], pad[2 * i + 1]
            n = x.shape[x.ndim - 1 - i]
            crop[x.ndim - 1 - i] = slice(max(-left, 0), n - max(-right, 0))
            widths[x.ndim - 1 - i] = (max(left, 0), max(right, 0))
        return Pad.apply(getitem(x, tuple(crop)), tuple(widths), value)
    for i in range(len(pad) // 2):
        axis = x.ndim - 1 - i
        index = _index(xp, x.shape[axis], pad[2 * i], pad[2 * i + 1], mode)
        x = getitem(x, (slice(None),) * axis + (index,))
    return x
