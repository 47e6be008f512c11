"""Sending small Python values between ranks (metadata, metrics, a model's parameter list),
as JSON text: ``all_gather_object`` and ``broadcast_object_list``.

PyTorch pickles these objects; unpickling runs whatever code the bytes name, so minidl sends
JSON instead, which can carry only data: dicts, lists, strings, numbers, booleans and None.
The price is JSON's: tuples arrive as lists, dict keys as strings. Each object is encoded to
UTF-8 bytes; the ranks first exchange the byte counts, then the bytes themselves, both with
MPI's buffer calls (which move raw memory; mpi4py's lower-case calls would pickle).

Read next: ``nccl.py`` (collectives between GPU arrays, through NCCL).
"""
from __future__ import annotations

import json
from typing import Any, List, Optional

import numpy as np

from minidl.distributed.process_group import ProcessGroup, get_group, group_rank
from minidl.errors import DTypeError, ShapeError


def _encode(op: str, obj: Any) -> np.ndarray:
    try:
        text = json.dumps(obj)
    except (TypeError, ValueError) as exc:
        raise DTypeError(f"{op}: can only send what JSON can hold (dicts, lists, strings, "
                         f"numbers, booleans, None): {exc}") from None
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _decode(data: np.ndarray) -> Any:
    return json.loads(data.tobytes().decode("utf-8"))


def all_gather_object(object_list: List[Any], obj: Any,
                      group: Optional[ProcessGroup] = None) -> None:
    """Set ``object_list[i]`` to rank i's ``obj``, on every rank (``object_list`` has one
    entry per rank; what arrives has been through JSON)."""
    group = get_group("all_gather_object", group)
    if not isinstance(object_list, list) or len(object_list) != group.size:
        raise ShapeError(f"all_gather_object: object_list must be a list of {group.size} "
                         "entries (one per rank), e.g. [None] * get_world_size()")
    data = _encode("all_gather_object", obj)
    sizes = np.empty(group.size, dtype=np.int64)
    size = np.array([data.size], dtype=np.int64)
    group.run("all_gather_object", lambda: group.comm.Allgather(size, sizes),
              lambda: group.comm.Iallgather(size, sizes))
    received = np.empty(int(sizes.sum()), dtype=np.uint8)
    group.run("all_gather_object", lambda: group.comm.Allgatherv(data, [received, sizes]),
              lambda: group.comm.Iallgatherv(data, [received, sizes]))
    ends = np.cumsum(sizes)
    for i in range(group.size):
        object_list[i] = _decode(received[ends[i] - sizes[i]:ends[i]])


def broadcast_object_list(object_list: List[Any], src: int = 0,
                          group: Optional[ProcessGroup] = None, device: Any = None) -> None:
    """Replace the entries of ``object_list`` on every rank with those of rank ``src``'s list
    (every rank passes a list of the same length). ``device`` is accepted for PyTorch's
    signature: JSON always travels through the host."""
    group = get_group("broadcast_object_list", group)
    src = group_rank("broadcast_object_list", "src", src, group)
    if not isinstance(object_list, list):
        raise DTypeError("broadcast_object_list: object_list must be a list, got "
                         f"{type(object_list).__name__}")
    data = _encode("broadcast_object_list", object_list) if group.rank == src else None
    size = np.array([0 if data is None else data.size], dtype=np.int64)
    group.run("broadcast_object_list", lambda: group.comm.Bcast(size, root=src),
              lambda: group.comm.Ibcast(size, root=src))
    if data is None:
        data = np.empty(int(size[0]), dtype=np.uint8)
    group.run("broadcast_object_list", lambda: group.comm.Bcast(data, root=src),
              lambda: group.comm.Ibcast(data, root=src))
    received = _decode(data)
    if len(received) != len(object_list):
        raise ShapeError(f"broadcast_object_list: rank {src} sent {len(received)} objects but "
                         f"this rank's list (rank {group.rank}) has {len(object_list)} entries")
    object_list[:] = received
