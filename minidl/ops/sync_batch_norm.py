"""Synchronized batch normalization's training step: statistics over every rank's batch.

Under data parallelism each rank holds only its share x_r of the batch (n_r values per
channel). Plain batch norm would normalise each share with its own mean and variance, so N
ranks would no longer compute what one process computes on the whole batch. SyncBatchNorm
makes the statistics global, per channel:

    n    = sum_r n_r
    mean = sum_r sum(x_r) / n                   one all_reduce, of [sum(x_r), n_r]
    var  = sum_r sum((x_r - mean)^2) / n        a second all_reduce

and each rank normalises its own x_r with them: xhat_r = (x_r - mean) * inv_std. The variance
is summed from deviations, as ``batch_norm`` computes it, not as E[x^2] - E[x]^2 (which would
need one all_reduce instead of two, but cancels catastrophically when |mean| >> std). Counting
n_r per rank makes unequal shares right: the result is one process's batch norm over the
concatenated batch.

The backward is batch norm's closed form (``batch_norm.py``), whose two means over the batch
now run over every rank:

    gx_r = inv_std * (gxhat_r - mean(gxhat) - xhat_r * mean(gxhat * xhat)),
    mean(g) = sum_r sum(g_r) / n                one all_reduce, of both sums.

That is the gradient of the *sum* of the ranks' losses (each rank's loss depends on every x_r
through mean and var), as in PyTorch; DistributedDataParallel then averages the parameters'
gradients over the ranks. Every rank must run forward and backward together, since each
all_reduce waits for all of them. As in PyTorch, this backward is not itself differentiable:
``create_graph=True`` through it raises (the second derivative would need collectives inside
the graph).

Fused because it must be: the sums cross processes, so no graph of primitives can express them.
Its twin in the tests is one process's ``BatchNorm`` over the whole batch
(``tests/distributed/test_sync_batch_norm.py``).

Read next: ``minidl/nn/layers/sync_batch_norm.py`` (the SyncBatchNorm layer).
"""
from __future__ import annotations

from typing import Any, Tuple

from minidl import backend
from minidl.distributed.collectives import all_reduce
from minidl.distributed.process_group import DistributedError, ProcessGroup
from minidl.errors import ShapeError
from minidl.function import Function
from minidl.grad_mode import is_grad_enabled
from minidl.ops.shape import cat
from minidl.tensor import Tensor


def _summed_over_ranks(array: Any, group: ProcessGroup) -> Any:
    """The elementwise sum of every rank's ``array`` (a fresh array, on every rank)."""
    total = Tensor._make(array, False)
    all_reduce(total, group=group)
    return total._array


def global_batch_statistics(op: str, x: Any, axes: Tuple[int, ...], group: ProcessGroup):
    """Mean and biased variance per channel of every rank's array ``x`` over ``axes`` (kept as
    size-1 axes, in x's dtype), and n, the number of values per channel on all ranks."""
    xp = backend.get_array_module(x)
    channels = x.shape[1]
    per_channel = (1, channels) + (1,) * (x.ndim - 2)
    # float64 for the message: n stays exact (float16 cannot count past 2048)
    local = xp.empty(channels + 1, dtype=xp.float64)
    local[:channels] = x.sum(axis=axes)
    local[channels] = x.size // channels
    total = _summed_over_ranks(local, group)
    n = int(total[channels])
    if n <= 1:  # every rank sees the same n, so every rank raises: none is left waiting
        raise ShapeError(f"{op}: expected more than 1 value per channel over all ranks when "
                         f"training, got {n} (this rank's input has shape {tuple(x.shape)})")
    mean = (total[:channels] / n).astype(x.dtype).reshape(per_channel)
    deviation = x - mean
    deviation *= deviation
    squares = _summed_over_ranks(deviation.sum(axis=axes).astype(xp.float64), group)
    var = (squares / n).astype(x.dtype).reshape(per_channel)
    return mean, var, n


class SyncBatchNormalize(Function):
    """xhat = (x - mean) * inv_std, with the statistics of every rank's batch;
    gx = inv_std * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)), means over every rank"""

    @staticmethod
    def forward(ctx, x, axes, mean, inv_std, n, group):
        xhat = (x - mean) * inv_std
        ctx.axes, ctx.n, ctx.group = axes, n, group
        ctx.save_for_backward(xhat, inv_std)
        return xhat

    @staticmethod
    def backward(ctx, gxhat):
        if is_grad_enabled():
            raise DistributedError("SyncBatchNorm: its backward is not differentiable "
                                   "(create_graph=True across ranks is not supported, as in "
                                   "PyTorch)")
        xhat, inv_std = ctx.saved_tensors
        channels = xhat.shape[1]
        # both sums in one message: [sum(gxhat), sum(gxhat * xhat)] per channel
        sums = cat([gxhat.sum(ctx.axes), (gxhat * xhat).sum(ctx.axes)])
        all_reduce(sums, group=ctx.group)
        means = sums.reshape((2, 1, channels) + (1,) * (xhat.ndim - 2)) / ctx.n
        gx = inv_std * (gxhat - means[0] - xhat * means[1])
        return gx, None, None, None, None, None
