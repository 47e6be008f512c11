"""minidl.distributed: data-parallel training over MPI, with PyTorch's names
(``torch.distributed``).

Reading order:

1. ``process_group.py``  init_process_group, rank and world size, barrier, new_group; what
                         happens when a rank fails or is stuck (timeout)
2. ``collectives.py``    all_reduce, reduce, broadcast, all_gather on Tensors, in place
3. ``objects.py``        all_gather_object, broadcast_object_list (JSON, never pickle)
4. ``nccl.py``           GPU arrays, GPU to GPU through NCCL

Then ``minidl/data/distributed.py`` (DistributedSampler) and ``minidl/nn/parallel/``
(DistributedDataParallel), which build on these. ``examples/train_ddp.py`` puts them together.
"""
from minidl.distributed.collectives import ReduceOp, Work, all_gather, all_reduce, broadcast, reduce
from minidl.distributed.objects import all_gather_object, broadcast_object_list
from minidl.distributed.process_group import (
    DistributedError,
    ProcessGroup,
    barrier,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    new_group,
)

__all__ = [
    "DistributedError",
    "ProcessGroup",
    "ReduceOp",
    "Work",
    "all_gather",
    "all_gather_object",
    "all_reduce",
    "barrier",
    "broadcast",
    "broadcast_object_list",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
    "new_group",
    "reduce",
]
