"""minidl.nn.parallel: training one model on several processes (``torch.nn.parallel``).

Reading order: ``reducer.py`` (averaging gradients across ranks, in buckets, during backward),
then ``distributed.py`` (DistributedDataParallel). Both stand on ``minidl/distributed/``.
"""
from minidl.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
