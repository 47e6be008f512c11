"""SyncBatchNorm: batch normalization whose batch is the union of every rank's share.

Under ``DistributedDataParallel`` each rank normalises only its own share of the batch, so with
small per-rank batches the statistics are noisy, and N ranks no longer train as one process at
the whole batch would. ``SyncBatchNorm`` computes the mean and variance over all ranks (two
all_reduces in forward, one in backward: ``minidl/ops/sync_batch_norm.py`` has the math), so N
ranks at batch B_r each give exactly one process's BatchNorm at batch sum_r B_r: outputs,
gradients and running statistics (the running variance's n / (n - 1) uses the global n).
Everything else is BatchNorm's (``normalization.py``): weight and bias, buffers, momentum,
eval mode.

When it synchronizes (PyTorch's rule): in training mode, when a process group is initialized
with more than one rank. Otherwise (eval mode, a single process, world size 1) it is an ordinary
BatchNorm; where PyTorch raises for CPU input, minidl synchronizes CPU tensors too (MPI), and
falls back to ordinary batch norm when no process group is initialized.

``SyncBatchNorm.convert_sync_batchnorm(model)`` swaps every BatchNorm1d/BatchNorm2d in a model
for a SyncBatchNorm holding the very same weight, bias and buffers, so ``state_dict()`` keys,
values and an optimizer already built on the parameters are unchanged.

Read next: ``minidl/analysis.py`` (Hessians and critical points), or
``examples/train_ddp.py`` (data-parallel training at work).
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from minidl.distributed.process_group import ProcessGroup, get_group, is_initialized
from minidl.nn.layers.normalization import BatchNorm1d, BatchNorm2d, _BatchNorm
from minidl.nn.module import Module
from minidl.nn.normalization_functional import _check_batch_norm, update_running
from minidl.ops.sync_batch_norm import SyncBatchNormalize, global_batch_statistics
from minidl.tensor import Tensor


class SyncBatchNorm(_BatchNorm):
    """Batch normalization of (N, C, *) inputs per channel C, with the statistics of every
    rank's batch (``torch.nn.SyncBatchNorm``). ``process_group``: None for the world."""

    ranks = tuple(range(2, 65))
    shapes = "(N, C, *)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 process_group: Optional[ProcessGroup] = None, device: Any = None,
                 dtype: Any = None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype)
        self.process_group = process_group

    def forward(self, input: Tensor) -> Tensor:
        if not self.training or not is_initialized():
            return super().forward(input)  # ordinary BatchNorm (see the module docstring)
        group = get_group("SyncBatchNorm", self.process_group)
        if group.size == 1:
            return super().forward(input)
        label = f"{type(self).__name__}({self.extra_repr()})"
        _check_batch_norm(label, input, {"running_mean": self.running_mean,
                                         "running_var": self.running_var,
                                         "weight": self.weight, "bias": self.bias})
        axes = (0,) + tuple(range(2, input.ndim))
        mean, var, n = global_batch_statistics(label, input._array, axes, group)
        if self.track_running_stats:
            momentum = self.momentum
            if momentum is None:  # cumulative moving average over the batches so far
                momentum = 1.0 / (int(self.num_batches_tracked.item()) + 1)
            update_running(self.running_mean, mean, momentum)
            update_running(self.running_var, var * (n / (n - 1)), momentum)  # unbiased, global n
            self.num_batches_tracked.add_(1)
        y = SyncBatchNormalize.apply(input, axes, mean, (var + self.eps) ** -0.5, n, group)
        per_channel = (1, -1) + (1,) * (input.ndim - 2)
        y = y if self.weight is None else y * self.weight.reshape(per_channel)
        return y if self.bias is None else y + self.bias.reshape(per_channel)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module,
                               process_group: Optional[ProcessGroup] = None) -> Module:
        """Replace every BatchNorm1d/BatchNorm2d in ``module`` (in place; ``module`` itself if
        it is one: use the returned module) by a SyncBatchNorm that holds the same Parameters
        and buffers and the same training mode."""
        return _convert(cls, module, process_group, {})


def _convert(cls: type, module: Module, process_group: Optional[ProcessGroup],
             done: Dict[int, Module]) -> Module:
    """``convert_sync_batchnorm``; ``done`` maps each module already converted (by id) to its
    replacement, so a BatchNorm shared by two parents becomes one shared SyncBatchNorm."""
    if id(module) in done:
        return done[id(module)]
    converted = module
    # BatchNorm*d and SyncBatchNorm only: InstanceNorm shares _BatchNorm's code, not its math
    if isinstance(module, (BatchNorm1d, BatchNorm2d, SyncBatchNorm)):
        converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                        module.track_running_stats, process_group)
        # the same objects, not copies: an optimizer built on module.parameters() still works
        for name in ("weight", "bias"):
            converted.register_parameter(name, module._parameters[name])
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            converted._buffers[name] = module._buffers[name]
        converted.training = module.training
    done[id(module)] = converted
    for name, child in list(module._modules.items()):
        if child is not None:
            converted.add_module(name, _convert(cls, child, process_group, done))
    return converted
