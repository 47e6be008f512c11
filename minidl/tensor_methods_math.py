"""Elementwise math methods under PyTorch's names: ``x.floor()``, ``x.tan()``,
``x.lerp(end, weight)``, ... (``Tensor`` inherits them).

Each is one call of a function from ``minidl/ops``, where the forward and backward rules live.

Read next: ``minidl/tensor_methods_reduce.py`` (reductions and scans).
"""
from __future__ import annotations


class MathMethods:
    """Mixed into ``Tensor`` (which holds the slots)."""

    __slots__ = ()
