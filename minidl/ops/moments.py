"""``var_mean`` and ``std_mean``: a variance (or standard deviation) and the mean it is taken
around, in one call, as PyTorch returns them: ``(var, mean)``. Both are the ``var``/``std``
and ``mean`` of ``reduce.py`` (same arguments: ``correction``, or the older ``unbiased``), so
their gradients are theirs.

Read next: ``minidl/linalg.py`` (minidl.linalg: vector and matrix norms).
"""
from __future__ import annotations

from typing import Tuple

from minidl.ops.arguments import dim_alias, keepdim_alias
from minidl.ops.reduce import mean, std, var
from minidl.tensor import Tensor


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
             correction=None, axis=None, keepdims=None) -> Tuple[Tensor, Tensor]:
    """(var, mean) over ``dim``; var divides by n - correction (1 by default)."""
    dim, keepdim = dim_alias("var_mean", dim, axis), keepdim_alias(keepdim, keepdims)
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
             correction=None, axis=None, keepdims=None) -> Tuple[Tensor, Tensor]:
    """(std, mean) over ``dim``; std = sqrt(var), var dividing by n - correction."""
    dim, keepdim = dim_alias("std_mean", dim, axis), keepdim_alias(keepdim, keepdims)
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))
