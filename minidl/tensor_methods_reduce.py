"""Reduction, scan and sorting methods under PyTorch's names: ``x.prod(dim)``,
``x.cumsum(dim)``, ``x.sort()``, ... (``Tensor`` inherits them).

Each is one call of a function from ``minidl/ops``, where the forward and backward rules live.

Read next: ``minidl/tensor_methods_shape.py`` (shape and indexing methods).
"""
from __future__ import annotations


class ReductionMethods:
    """Mixed into ``Tensor`` (which holds the slots)."""

    __slots__ = ()
