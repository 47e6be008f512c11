"""Collectives: operations that every rank calls together, here on Tensors, in place.

Each rank passes its own tensor of the same shape and dtype; after the call the tensor holds
the result, as in ``torch.distributed``:

* ``all_reduce(t, op)``      every rank gets op(t on rank 0, t on rank 1, ...), elementwise;
* ``reduce(t, dst, op)``     only rank ``dst`` gets it; the other ranks' ``t`` is unchanged;
* ``broadcast(t, src)``      every rank gets rank ``src``'s ``t``;
* ``all_gather(ts, t)``      ``ts[i]`` gets rank i's ``t``, on every rank.

``op`` is a ``ReduceOp``: SUM, AVG, PRODUCT, MIN or MAX. MPI has no average, so AVG is a sum
divided by the world size (floating-point tensors only). On bool tensors SUM and MAX are a
logical or, PRODUCT and MIN a logical and, as in PyTorch.

Where the bytes go: MPI reads and writes a contiguous NumPy array directly, without a copy.
Any other array (a non-contiguous view, or an array on another device) is *staged*: copied
to a contiguous host array, sent, and copied back. CuPy arrays skip the host when NCCL can be
used (``nccl.py``): GPU to GPU, on the current CUDA stream.

``async_op=True`` starts the operation and returns a ``Work``; the tensor holds the result
once ``work.wait()`` has returned (DistributedDataParallel uses this to send one bucket of
gradients while filling the next). Without it, the call returns None when the result is in.
Either way, a process group with a ``timeout`` (``init_process_group(timeout=...)``) makes a
collective that waits longer raise (``process_group.py``).

Every rank must call the same collectives in the same order, with tensors of the same shape,
dtype and kind of device: MPI matches calls by their order, not by name. With
``group=new_group(ranks)``, only those ranks call, and ``src``/``dst`` stay world ranks.

Read next: ``objects.py`` (all_gather_object and broadcast_object_list, through JSON).
"""
from __future__ import annotations

import enum
from datetime import timedelta
from typing import Any, Callable, List, Optional, Sequence

import numpy as np

from minidl import backend
from minidl.distributed import nccl
from minidl.distributed.process_group import ProcessGroup, get_group, group_rank
from minidl.errors import DeviceError, DTypeError, ShapeError
from minidl.tensor import Tensor


class ReduceOp(enum.Enum):
    """How ``all_reduce`` and ``reduce`` combine the ranks' values, elementwise."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


class Work:
    """A collective started with ``async_op=True``. ``wait()`` blocks until it is done and the
    tensors hold the result; ``is_completed()`` asks without blocking."""

    def __init__(self, request: Any, finish: Callable[[], None],
                 group: Optional[ProcessGroup] = None, op: str = ""):
        self._request = request  # an MPI request, or None when the work was queued on a GPU
        self._finish = finish  # copies staged results back, divides for AVG
        self._group, self._op = group, op  # who waits, and for what (for the timeout's error)
        self._done = False

    def is_completed(self) -> bool:
        if not self._done and self._request is not None and not self._request.Test():
            return False
        self._complete()
        return True

    def wait(self, timeout: Optional[timedelta] = None) -> bool:
        """Block until the collective is done, without spinning (``ProcessGroup.wait``); past
        ``timeout`` (else the process group's, if it has one) raise a DistributedError."""
        if not self._done and self._request is not None:
            self._group.wait(self._request, self._op, timeout)
        self._complete()
        return True

    def _complete(self) -> None:
        if not self._done:
            self._done = True
            self._finish()


class _Staged:
    """The host array MPI works on for ``array``: the array itself when MPI can use its memory
    (a contiguous NumPy array), otherwise a contiguous host copy that ``copy_back`` writes
    back into ``array``."""

    def __init__(self, array: Any):
        self.array = array
        direct = type(array) is np.ndarray and array.flags.c_contiguous
        self.host = array if direct else np.ascontiguousarray(backend.to_host(array))

    def copy_back(self) -> None:
        if self.host is not self.array:
            self.array[...] = backend.asarray(self.host, device=backend.device_of(self.array))


def _target(op: str, tensor: Any) -> Any:
    """The array of ``tensor``, about to be changed in place by collective ``op``."""
    if not isinstance(tensor, Tensor):
        raise DTypeError(f"{op}: expected a minidl Tensor, got {type(tensor).__name__}")
    tensor._begin_inplace(op)  # refuses a tensor that requires grad while a graph is recorded
    return tensor._array


# ReduceOp -> the names of MPI's reductions on numbers and on truth values (MPI has no average:
# AVG is a sum, divided afterwards; MPI sums no truth values: or and and instead).
_MPI_OPS = {ReduceOp.SUM: ("SUM", "LOR"), ReduceOp.AVG: ("SUM", None),
            ReduceOp.PRODUCT: ("PROD", "LAND"), ReduceOp.MIN: ("MIN", "LAND"),
            ReduceOp.MAX: ("MAX", "LOR")}


def _mpi_op(group: ProcessGroup, op: ReduceOp, dtype: np.dtype, name: str) -> Any:
    """MPI's reduction for ``op`` on ``dtype``."""
    names = _MPI_OPS.get(op) if isinstance(op, ReduceOp) else None
    if names is None:
        raise ValueError(f"{name}: op must be a ReduceOp (SUM, AVG, PRODUCT, MIN, MAX), "
                         f"got {op!r}")
    if op is ReduceOp.AVG and dtype.kind != "f":
        raise DTypeError(f"{name}: ReduceOp.AVG needs a floating-point tensor, got {dtype}; "
                         "use SUM and divide, or convert the tensor with .float()")
    return getattr(group.MPI, names[dtype.kind == "b"])


def _run(op: str, group: ProcessGroup, async_op: bool, blocking: Callable[[], None],
         nonblocking: Callable[[], Any], finish: Callable[[], None]) -> Optional[Work]:
    """Run collective ``op`` now (to its end, then ``finish``), or start it and return a
    Work."""
    if async_op:
        return Work(nonblocking(), finish, group, op)
    group.run(op, blocking, nonblocking)
    finish()
    return None


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: Optional[ProcessGroup] = None,
               async_op: bool = False) -> Optional[Work]:
    """Replace ``tensor`` on every rank with ``op`` over all ranks' tensors, elementwise."""
    group = get_group("all_reduce", group)
    array = _target("all_reduce", tensor)
    mpi_op = _mpi_op(group, op, array.dtype, "all_reduce")
    divide = op is ReduceOp.AVG and group.size > 1
    communicator = nccl.communicator(group, array)
    if communicator is not None:
        nccl.all_reduce(communicator, array, op.value)
        if divide:
            array /= group.size
        return Work(None, lambda: None) if async_op else None
    staged = _Staged(array)
    buffer = staged.host

    def finish() -> None:
        if divide:
            buffer[...] /= group.size
        staged.copy_back()

    return _run("all_reduce", group, async_op,
                lambda: group.comm.Allreduce(group.MPI.IN_PLACE, buffer, mpi_op),
                lambda: group.comm.Iallreduce(group.MPI.IN_PLACE, buffer, mpi_op),
                finish)


def reduce(tensor: Tensor, dst: int, op: ReduceOp = ReduceOp.SUM,
           group: Optional[ProcessGroup] = None, async_op: bool = False) -> Optional[Work]:
    """Put ``op`` over all ranks' ``tensor`` into rank ``dst``'s ``tensor``; the others keep
    theirs."""
    group = get_group("reduce", group)
    dst = group_rank("reduce", "dst", dst, group)
    array = _target("reduce", tensor)
    mpi_op = _mpi_op(group, op, array.dtype, "reduce")
    mine = group.rank == dst
    divide = op is ReduceOp.AVG and mine and group.size > 1
    communicator = nccl.communicator(group, array)
    if communicator is not None:
        nccl.reduce(communicator, array, op.value, dst)
        if divide:
            array /= group.size
        return Work(None, lambda: None) if async_op else None
    staged = _Staged(array)
    buffer = staged.host
    # The root reduces in place; the others only send (and their buffer stays as it was).
    send, receive = (group.MPI.IN_PLACE, buffer) if mine else (buffer, None)

    def finish() -> None:
        if divide:
            buffer[...] /= group.size
        if mine:
            staged.copy_back()

    return _run("reduce", group, async_op,
                lambda: group.comm.Reduce(send, receive, mpi_op, root=dst),
                lambda: group.comm.Ireduce(send, receive, mpi_op, root=dst),
                finish)


def broadcast(tensor: Tensor, src: int, group: Optional[ProcessGroup] = None,
              async_op: bool = False) -> Optional[Work]:
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank."""
    group = get_group("broadcast", group)
    src = group_rank("broadcast", "src", src, group)
    array = _target("broadcast", tensor)
    communicator = nccl.communicator(group, array)
    if communicator is not None:
        nccl.broadcast(communicator, array, src)
        return Work(None, lambda: None) if async_op else None
    staged = _Staged(array)
    return _run("broadcast", group, async_op,
                lambda: group.comm.Bcast(staged.host, root=src),
                lambda: group.comm.Ibcast(staged.host, root=src),
                staged.copy_back)


def all_gather(tensor_list: List[Tensor], tensor: Tensor, group: Optional[ProcessGroup] = None,
               async_op: bool = False) -> Optional[Work]:
    """Fill ``tensor_list[i]`` with rank i's ``tensor``, on every rank. ``tensor_list`` holds
    ``get_world_size()`` tensors of ``tensor``'s shape, dtype and device."""
    group = get_group("all_gather", group)
    if not isinstance(tensor, Tensor):
        raise DTypeError(f"all_gather: expected a minidl Tensor, got {type(tensor).__name__}")
    _check_gather_list(tensor_list, tensor, group.size)
    targets = [_target("all_gather", t) for t in tensor_list]
    array = tensor._array
    with backend.selected(tensor.device):  # (on a GPU: the tensor's, not the current one)
        gathered = backend.xp_for(tensor.device).empty((group.size,) + array.shape, array.dtype)
    communicator = nccl.communicator(group, array)
    if communicator is not None:
        nccl.all_gather(communicator, array, gathered)
        for i, target in enumerate(targets):
            target[...] = gathered[i]
        return Work(None, lambda: None) if async_op else None
    send = _Staged(array).host
    receive = _Staged(gathered)

    def finish() -> None:
        receive.copy_back()
        for i, target in enumerate(targets):
            target[...] = gathered[i]

    return _run("all_gather", group, async_op,
                lambda: group.comm.Allgather(send, receive.host),
                lambda: group.comm.Iallgather(send, receive.host),
                finish)


def _check_gather_list(tensor_list: Sequence[Any], tensor: Tensor, size: int) -> None:
    if not isinstance(tensor_list, (list, tuple)) or len(tensor_list) != size:
        count = len(tensor_list) if isinstance(tensor_list, (list, tuple)) else "no list"
        raise ShapeError(f"all_gather: tensor_list must be a list of {size} tensors (one per "
                         f"rank), got {count}")
    for i, t in enumerate(tensor_list):
        if not isinstance(t, Tensor):
            raise DTypeError(f"all_gather: tensor_list[{i}] is a {type(t).__name__}, not a "
                             "Tensor")
        if t.shape != tensor.shape:
            raise ShapeError(f"all_gather: tensor_list[{i}] has shape {tuple(t.shape)} but "
                             f"the tensor sent has shape {tuple(tensor.shape)}")
        if t.dtype != tensor.dtype:
            raise DTypeError(f"all_gather: tensor_list[{i}] is {t.dtype} but the tensor sent "
                             f"is {tensor.dtype}")
        if t.device != tensor.device:
            raise DeviceError(f"all_gather: tensor_list[{i}] is on {t.device} but the tensor "
                              f"sent is on {tensor.device}")
