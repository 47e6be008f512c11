"""Shape and indexing methods under PyTorch's names: ``x.repeat(...)``,
``x.flip(dims)``, ``x.gather(dim, index)``, ... (``Tensor`` inherits them).

Each is one call of a function from ``minidl/ops``, where the forward and backward rules live.

Read next: ``minidl/printing.py`` (how a tensor prints).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

# The package itself: the ops are looked up through it when a method runs (they import
# Tensor, which inherits the class below, so they cannot be imported here).
import minidl

if TYPE_CHECKING:
    from minidl.tensor import Tensor


class ShapeMethods:
    """Mixed into ``Tensor`` (which holds the slots)."""

    __slots__ = ()

    # rearranging: minidl/ops/minidl.ops.py
    def repeat(self, *sizes) -> Tensor: return minidl.ops.repeat(self, *sizes)
    def tile(self, dims) -> Tensor: return minidl.ops.tile(self, dims)
    def flip(self, dims) -> Tensor: return minidl.ops.flip(self, dims)
    def roll(self, shifts, dims=None) -> Tensor: return minidl.ops.roll(self, shifts, dims)
    def unbind(self, dim=0) -> tuple: return minidl.ops.unbind(self, dim)
    def narrow(self, dim, start, length) -> Tensor:
        return minidl.ops.narrow(self, dim, start, length)
    def unfold(self, dimension, size, step) -> Tensor:
        return minidl.ops.unfold(self, dimension, size, step)
    def unflatten(self, dim, sizes) -> Tensor: return minidl.ops.unflatten(self, dim, sizes)
    def movedim(self, source, destination) -> Tensor:
        return minidl.ops.movedim(self, source, destination)
    def moveaxis(self, source, destination) -> Tensor:
        return minidl.ops.movedim(self, source, destination)
    def swapaxes(self, axis0, axis1) -> Tensor: return minidl.ops.swapaxes(self, axis0, axis1)
    def swapdims(self, dim0, dim1) -> Tensor: return minidl.ops.swapdims(self, dim0, dim1)

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None) -> Tensor:
        return minidl.ops.repeat_interleave(self, repeats, dim, output_size=output_size)

    # triangles and masks: minidl/ops/masking.py (masked_fill_ is in minidl/inplace.py)
    def tril(self, diagonal=0) -> Tensor: return minidl.ops.masking.tril(self, diagonal)
    def triu(self, diagonal=0) -> Tensor: return minidl.ops.masking.triu(self, diagonal)
    def masked_fill(self, mask, value) -> Tensor:
        return minidl.ops.masking.masked_fill(self, mask, value)

    # diagonals: minidl/ops/diagonal.py
    def diag(self, diagonal=0) -> Tensor: return minidl.ops.diag(self, diagonal)
    def diagonal(self, offset=0, dim1=0, dim2=1) -> Tensor:
        return minidl.ops.diagonal(self, offset, dim1, dim2)
    def diag_embed(self, offset=0, dim1=-2, dim2=-1) -> Tensor:
        return minidl.ops.diag_embed(self, offset, dim1, dim2)

    # gather and scatter: minidl/ops/gather_scatter.py
    def gather(self, dim, index, *, sparse_grad=False) -> Tensor:
        return minidl.ops.gather(self, dim, index)
    def scatter(self, dim, index, src=None, *, value=None, reduce=None) -> Tensor:
        return minidl.ops.scatter(self, dim, index, src, value=value, reduce=reduce)
    def scatter_add(self, dim, index, src) -> Tensor:
        return minidl.ops.scatter_add(self, dim, index, src)
    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True) -> Tensor:
        return minidl.ops.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)
    def index_select(self, dim, index) -> Tensor: return minidl.ops.index_select(self, dim, index)
    def index_add(self, dim, index, source, *, alpha=1) -> Tensor:
        return minidl.ops.index_add(self, dim, index, source, alpha=alpha)
    def masked_select(self, mask) -> Tensor: return minidl.ops.masked_select(self, mask)
    def masked_scatter(self, mask, source) -> Tensor:
        return minidl.ops.masked_scatter(self, mask, source)
    def nonzero(self, *, as_tuple=False): return minidl.ops.nonzero(self, as_tuple=as_tuple)
    def take_along_dim(self, indices, dim=None) -> Tensor:
        return minidl.ops.take_along_dim(self, indices, dim)
