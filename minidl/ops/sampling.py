"""What sampling from a language model needs: ``topk`` (keep the k likeliest tokens) and
``multinomial`` (draw token indices from a row of probabilities, from minidl's seeded generator).

``topk``'s values are differentiable, composed from indexing: they are ``x`` read at the
selected indices (``x[grid]`` with integer arrays), whose backward already scatters the
gradient back to those positions (``indexing.py``). ``multinomial`` returns indices: no
gradient, as in PyTorch.

Read next: ``lstm_cell.py`` (an LSTM cell's gate arithmetic, fused).
"""
from __future__ import annotations

import numbers
from collections import namedtuple
from typing import Optional

import numpy as np

from minidl import backend, random_streams
from minidl.errors import DTypeError, OutOfRangeError, ShapeError
from minidl.ops.arguments import write_out
from minidl.ops.dims import normalize_dim
from minidl.ops.indexing import getitem
from minidl.random_streams import Generator
from minidl.tensor import Tensor

topk_result = namedtuple("topk", ["values", "indices"])


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True,
         sorted: bool = True, *, out=None) -> topk_result:
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices
    (``torch.topk``). Ties keep the lower index first. ``sorted=False`` is accepted; the
    result is always sorted. ``out=``: as in PyTorch (``arguments.py``)."""
    if not isinstance(input, Tensor) or input.ndim == 0:
        shape = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise ShapeError(f"topk: expected a tensor with at least 1 dimension, got {shape}")
    axis = normalize_dim(dim, input.ndim, "topk")
    n = input.shape[axis]
    if not isinstance(k, numbers.Integral) or not 0 <= k <= n:
        raise OutOfRangeError(f"topk: k={k!r} is out of range for dimension {dim} of size {n}")
    xp = backend.get_array_module(input._array)
    keys = -input._array if largest else input._array
    # A stable sort of the keys: among equal values the lower index comes first.
    order = xp.argsort(keys, axis=axis, kind="stable")
    indices = xp.take(order, xp.arange(int(k)), axis=axis)
    # An open grid over every other dimension, with the chosen indices along ``axis``.
    grid = list(xp.ix_(*[xp.arange(size) for size in indices.shape]))
    grid[axis] = indices
    values = getitem(input, tuple(grid))
    y = topk_result(values, Tensor._make(indices.astype(np.int64, copy=False), False))
    return y if out is None else write_out("topk", y, out)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Optional[Generator] = None) -> Tensor:
    """Indices drawn from the rows of ``input`` (1-D or 2-D non-negative weights, not
    necessarily summing to 1), ``num_samples`` per row (``torch.multinomial``).

    With replacement each draw inverts the row's cumulative distribution at a uniform u.
    Without, the indices with the ``num_samples`` smallest keys E_i / w_i (E_i exponential)
    are taken: the same law as drawing one index at a time and removing it (the exponential
    race of Efraimidis and Spirakis)."""
    if not isinstance(input, Tensor) or input.ndim not in (1, 2):
        shape = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise ShapeError(f"multinomial: expected a 1-D or 2-D tensor of weights, got {shape}")
    if input.dtype.kind != "f":
        raise DTypeError(f"multinomial: expected floating-point weights, got {input.dtype}")
    weights = input._array if input.ndim == 2 else input._array[None]
    xp = backend.get_array_module(weights)
    rows, n = weights.shape
    if not isinstance(num_samples, numbers.Integral) or num_samples < 1 or (
            not replacement and num_samples > n):
        raise OutOfRangeError(f"multinomial: cannot draw num_samples={num_samples!r} from "
                              f"{n} categories {'with' if replacement else 'without'} "
                              "replacement")
    if not bool(xp.isfinite(weights).all()) or bool((weights < 0).any()) or bool(
            (weights.sum(axis=1) <= 0).any()):
        raise OutOfRangeError("multinomial: weights must be finite and non-negative, with a "
                              "positive sum in every row")
    if not replacement and int((weights > 0).sum(axis=1).min()) < num_samples:
        raise OutOfRangeError(f"multinomial: cannot draw {num_samples} distinct categories "
                              "without replacement from a row with fewer non-zero weights")
    gen = random_streams.default_generator(input.device) if generator is None else generator
    weights = weights.astype(np.float64)
    if replacement:
        with backend.selected(gen.device):
            u = gen.uniform((rows, int(num_samples)), np.float64)
        cdf = weights.cumsum(axis=1)
        cdf /= cdf[:, -1:]
        # The sample is the number of cumulative probabilities <= u: the first index whose
        # cumulative probability exceeds u (a zero weight repeats the one before: never it).
        samples = (u[:, :, None] >= cdf[:, None, :]).sum(axis=2)
        samples = xp.minimum(samples, n - 1)
    else:
        with backend.selected(gen.device):
            u = gen.uniform((rows, n), np.float64)
        with np.errstate(divide="ignore"):  # weight 0: key +inf, never chosen first
            keys = -xp.log1p(-u) / weights
        samples = xp.argsort(keys, axis=1, kind="stable")[:, :int(num_samples)]
    samples = samples.astype(np.int64, copy=False)
    return Tensor._make(samples if input.ndim == 2 else samples[0], False)
