"""NCCL through CuPy: collectives between GPU arrays that never pass through the host.

MPI moves host memory; sending a CuPy array through it means a copy to the host and back
(``collectives.py`` stages it so when it must). NCCL, NVIDIA's collective library, which CuPy
wraps, reduces GPU arrays in place, GPU to GPU, queued on the current CUDA stream like any
kernel. So for a CuPy array ``communicator(group, array)`` returns an NCCL communicator when one
can be used, or None, and the caller then stages through the host.

The communicator for a GPU is made the first time a collective runs on it, by every rank at
once (a collective is called on every rank): the ranks tell each other, through MPI, whether
NCCL loads and which GPU each uses. NCCL is used only if it loads on every rank and no two
ranks share a GPU (NCCL refuses that); otherwise every rank stages, so that all make the same
choice. Rank 0 then draws NCCL's unique id and broadcasts it, and each rank joins. The choice
is kept per GPU in ``ProcessGroup.nccl``.

Like the rest of minidl, this file does not import CuPy by name: it asks the array for its
module (``backend.get_array_module``) and loads that module's NCCL binding.

Read next: ``minidl/data/distributed.py`` (DistributedSampler: each rank's share of the data).
"""
from __future__ import annotations

import importlib
import socket
from typing import Any, Optional

import numpy as np

from minidl import backend
from minidl.distributed.objects import all_gather_object, broadcast_object_list
from minidl.distributed.process_group import ProcessGroup

# ReduceOp values -> the names of NCCL's reductions (AVG is a SUM; the caller divides).
_OPS = {"sum": "NCCL_SUM", "avg": "NCCL_SUM", "product": "NCCL_PROD", "min": "NCCL_MIN",
        "max": "NCCL_MAX"}
# On bool arrays, viewed as uint8 0/1: or is a max, and is a min.
_BOOL_OPS = {"sum": "NCCL_MAX", "max": "NCCL_MAX", "product": "NCCL_MIN", "min": "NCCL_MIN"}
_DTYPES = {"int8": "NCCL_INT8", "uint8": "NCCL_UINT8", "bool": "NCCL_UINT8",
           "int32": "NCCL_INT32", "int64": "NCCL_INT64", "float16": "NCCL_FLOAT16",
           "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64"}


def _binding(xp: Any) -> Optional[Any]:
    """The NCCL module of the array library ``xp`` (``cupy.cuda.nccl``), or None."""
    try:
        binding = importlib.import_module(xp.__name__ + ".cuda.nccl")
    except ImportError:
        return None
    return binding if getattr(binding, "available", False) else None


def communicator(group: ProcessGroup, array: Any) -> Optional[Any]:
    """The NCCL communicator for collectives on ``array``, or None: stage through the host."""
    if type(array) is np.ndarray:  # the common case, first: host arrays go through MPI
        return None
    if backend.backend_of(array).name != "cuda" or array.dtype.name not in _DTYPES:
        return None
    index = array.device.id
    if index not in group.nccl:
        group.nccl[index] = _create(group, backend.get_array_module(array), index)
    return group.nccl[index]


def _create(group: ProcessGroup, xp: Any, index: int) -> Optional[Any]:
    """Make the communicator for GPU ``index`` on every rank, or None on every rank."""
    binding = _binding(xp)
    me = {"nccl": binding is not None, "host": socket.gethostname(),
          "gpu": xp.cuda.Device(index).pci_bus_id}
    everyone = [None] * group.size
    all_gather_object(everyone, me, group)
    gpus = {(info["host"], info["gpu"]) for info in everyone}
    if not all(info["nccl"] for info in everyone) or len(gpus) < group.size:
        return None
    unique_id = [list(binding.get_unique_id()) if group.rank == 0 else None]
    broadcast_object_list(unique_id, src=0, group=group)
    with xp.cuda.Device(index):
        return binding.NcclCommunicator(group.size, tuple(unique_id[0]), group.rank)


def _contiguous(array: Any) -> Any:
    return array if array.flags.c_contiguous else array.copy()  # (.copy() is C order)


def _call(array: Any, run) -> None:
    """``run(binding, buffer, dtype, stream)`` on a contiguous buffer for ``array``, whose
    result is then in ``array``."""
    xp = backend.get_array_module(array)
    binding = _binding(xp)
    buffer = _contiguous(array)
    view = buffer.view(xp.uint8) if buffer.dtype == np.bool_ else buffer
    run(binding, view, getattr(binding, _DTYPES[array.dtype.name]),
        xp.cuda.get_current_stream().ptr)
    if buffer is not array:
        array[...] = buffer


def _op(binding: Any, array: Any, op: str) -> int:
    return getattr(binding, (_BOOL_OPS if array.dtype == np.bool_ else _OPS)[op])


def all_reduce(comm: Any, array: Any, op: str) -> None:
    _call(array, lambda nccl, buf, dtype, stream: comm.allReduce(
        buf.data.ptr, buf.data.ptr, buf.size, dtype, _op(nccl, array, op), stream))


def reduce(comm: Any, array: Any, op: str, root: int) -> None:
    _call(array, lambda nccl, buf, dtype, stream: comm.reduce(
        buf.data.ptr, buf.data.ptr, buf.size, dtype, _op(nccl, array, op), root, stream))


def broadcast(comm: Any, array: Any, root: int) -> None:
    _call(array, lambda nccl, buf, dtype, stream: comm.bcast(
        buf.data.ptr, buf.size, dtype, root, stream))


def all_gather(comm: Any, array: Any, gathered: Any) -> None:
    """Rank i's ``array`` into ``gathered[i]`` (a new contiguous array) on every rank."""
    def run(nccl, buf, dtype, stream):
        out = gathered.view(np.uint8) if gathered.dtype == np.bool_ else gathered
        comm.allGather(buf.data.ptr, out.data.ptr, buf.size, dtype, stream)
    _call(array, run)
