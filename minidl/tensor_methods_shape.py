"""Shape and indexing methods under PyTorch's names: ``x.repeat(...)``,
``x.flip(dims)``, ``x.gather(dim, index)``, ... (``Tensor`` inherits them).

Each is one call of a function from ``minidl/ops``, where the forward and backward rules live.

Read next: ``minidl/printing.py`` (how a tensor prints).
"""
from __future__ import annotations


class ShapeMethods:
    """Mixed into ``Tensor`` (which holds the slots)."""

    __slots__ = ()
