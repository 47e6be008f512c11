"""Reduction, scan and sorting methods under PyTorch's names: ``x.prod(dim)``,
``x.cumsum(dim)``, ``x.sort()``, ... (``Tensor`` inherits them).

Each is one call of a function from ``minidl/ops``, where the forward and backward rules live.

Read next: ``minidl/tensor_methods_shape.py`` (shape and indexing methods).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

# The package itself: the ops are looked up through it when a method runs. They cannot be
# imported here: they import Tensor, which inherits the class below (as in inplace.py).
import minidl

if TYPE_CHECKING:  # for the annotations only: tensor.py imports this module
    from minidl.tensor import Tensor


class ReductionMethods:
    """Mixed into ``Tensor`` (which holds the slots)."""

    __slots__ = ()

    # -- products and scans ------------------------------------------------------------------
    def prod(self, dim=None, keepdim=False, *, dtype=None) -> Tensor:
        return minidl.ops.prod(self, dim, keepdim, dtype=dtype)

    def cumsum(self, dim, *, dtype=None) -> Tensor:
        return minidl.ops.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim, *, dtype=None) -> Tensor:
        return minidl.ops.cumprod(self, dim, dtype=dtype)

    def cummax(self, dim): return minidl.ops.cummax(self, dim)
    def cummin(self, dim): return minidl.ops.cummin(self, dim)
    def logcumsumexp(self, dim) -> Tensor: return minidl.ops.logcumsumexp(self, dim)

    # -- extrema without indices ---------------------------------------------------------------
    def amax(self, dim=None, keepdim=False) -> Tensor: return minidl.ops.amax(self, dim, keepdim)
    def amin(self, dim=None, keepdim=False) -> Tensor: return minidl.ops.amin(self, dim, keepdim)

    def aminmax(self, *, dim=None, keepdim=False):
        return minidl.ops.aminmax(self, dim=dim, keepdim=keepdim)

    # -- sorting and order statistics ----------------------------------------------------------
    def sort(self, dim=-1, descending=False, *, stable=False):
        return minidl.ops.sort(self, dim, descending, stable=stable)

    def argsort(self, dim=-1, descending=False, *, stable=False) -> Tensor:
        return minidl.ops.argsort(self, dim, descending, stable=stable)

    def kthvalue(self, k, dim=-1, keepdim=False):
        return minidl.ops.kthvalue(self, k, dim, keepdim)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return minidl.ops.sampling.topk(self, k, dim, largest, sorted)

    def median(self, dim=None, keepdim=False): return minidl.ops.median(self, dim, keepdim)

    def nanmedian(self, dim=None, keepdim=False):
        return minidl.ops.nanmedian(self, dim, keepdim)
