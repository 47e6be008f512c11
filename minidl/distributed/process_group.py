"""The process group: which process this is (its rank), how many there are, and MPI between them.

Data-parallel training runs one copy of the same script in each of N processes, started
together by MPI's launcher::

    mpiexec -n 2 python examples/train_ddp.py

``init_process_group(backend="mpi")`` joins this process to the others: MPI (through
``mpi4py``) already knows each process's rank, 0 to N - 1, and N, the world size; no address
or port is needed, and the same command runs on one machine or, with a hostfile, on many.
minidl keeps one *process group*, the world, holding a private duplicate of MPI's
``COMM_WORLD`` so that its messages never mix with other MPI code in the same program.

What happens when a process fails matters as much: a collective waits for every rank, so a
rank that stops would leave the others waiting forever. Two things prevent that. A rank
killed by a signal is noticed by ``mpiexec``, which ends the whole job and says which rank
died. A rank that raises an uncaught exception prints its traceback and then calls
``MPI_Abort`` (``init_process_group`` installs that exception hook, as ``python -m mpi4py``
does), which ends every rank of the job. (MPI collectives have no timeout of their own, so
``timeout=`` is accepted for PyTorch's signature but not enforced; see the README.)

``mpi4py`` is optional (``pip install 'minidl[distributed]'``); it is imported, and MPI
started, only by ``init_process_group``, so ``import minidl`` never needs it.

Read next: ``collectives.py`` (all_reduce and the other operations on Tensors).
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
from datetime import timedelta
from typing import Any, Dict, Optional

from minidl.errors import MinidlError


class DistributedError(MinidlError, RuntimeError):
    """Misuse of minidl.distributed (no process group yet, a bad rank), or a failed job."""


class ProcessGroup:
    """The processes of one job: this one's ``rank``, their number ``size``, and ``comm``, the
    MPI communicator that connects them. ``nccl`` caches, per GPU, the NCCL communicator used
    for CuPy arrays there (or None where NCCL cannot be used: see ``nccl.py``)."""

    def __init__(self, mpi: Any, comm: Any):
        self.MPI = mpi  # the mpi4py.MPI module: its constants (SUM, IN_PLACE, ...) are needed
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.nccl: Dict[int, Any] = {}

    def __repr__(self) -> str:
        return f"ProcessGroup(backend='mpi', rank={self.rank}, size={self.size})"


_WORLD: Optional[ProcessGroup] = None
_previous_excepthook = None  # sys.excepthook before init_process_group replaced it


def is_available() -> bool:
    """Whether minidl.distributed can be used here: ``mpi4py`` is installed. (This does not
    start MPI; ``init_process_group`` does.)"""
    return importlib.util.find_spec("mpi4py") is not None


def is_initialized() -> bool:
    """Whether ``init_process_group`` has run (and ``destroy_process_group`` has not since)."""
    return _WORLD is not None


def init_process_group(backend: Optional[str] = None, init_method: Optional[str] = None,
                       timeout: Optional[timedelta] = None, world_size: int = -1,
                       rank: int = -1) -> None:
    """Join this process to the job's other processes (``torch.distributed.init_process_group``).

    ``backend`` must be ``"mpi"`` (or None, meaning the same): collectives go through MPI, and
    through NCCL for CuPy tensors when NCCL can be used. Rank and world size come from MPI;
    ``world_size`` and ``rank``, if given, must agree with them. ``init_method`` is not needed
    (``mpiexec`` has already connected the processes) and must be None or ``"env://"``;
    ``timeout`` is accepted but MPI enforces none (see the module docstring).
    """
    global _WORLD, _previous_excepthook
    if _WORLD is not None:
        raise DistributedError("init_process_group: the default process group is already "
                               "initialized (call destroy_process_group() first)")
    if backend not in (None, "mpi"):
        raise ValueError(f"init_process_group: backend {backend!r} is not supported; minidl "
                         "runs its collectives over MPI (backend='mpi') and uses NCCL for "
                         "CuPy tensors on its own when it can")
    if init_method not in (None, "env://"):
        raise ValueError(f"init_process_group: init_method {init_method!r} is not supported: "
                         "start the processes with mpiexec, which connects them")
    if not is_available():
        raise DistributedError("init_process_group: mpi4py is not installed; install it with "
                               "pip install 'minidl[distributed]' (mpi4py and Open MPI)")
    mpi = importlib.import_module("mpi4py.MPI")  # this starts MPI (MPI_Init_thread)
    # A private duplicate: minidl's messages cannot be confused with the user's own MPI calls.
    group = ProcessGroup(mpi, mpi.COMM_WORLD.Dup())
    for name, given, actual in (("world_size", world_size, group.size),
                                ("rank", rank, group.rank)):
        if given not in (-1, None) and given != actual:
            group.comm.Free()
            raise ValueError(f"init_process_group: {name}={given} but MPI says {actual}; "
                             f"leave {name} out (mpiexec -n sets it)")
    _WORLD = group
    if group.size > 1:
        _previous_excepthook = sys.excepthook
        sys.excepthook = _abort_job_on_uncaught_exception


def _abort_job_on_uncaught_exception(exc_type, exc, tb) -> None:
    """Print the traceback as usual, then end every rank: the others may be waiting in a
    collective for this one, and would wait forever."""
    (_previous_excepthook or sys.__excepthook__)(exc_type, exc, tb)
    sys.stderr.flush()
    if _WORLD is not None:
        sys.stderr.write(f"minidl.distributed: rank {_WORLD.rank} raised {exc_type.__name__}; "
                         "aborting the whole job (MPI_Abort)\n")
        sys.stderr.flush()
        _WORLD.MPI.COMM_WORLD.Abort(1)


def destroy_process_group(group: Optional[ProcessGroup] = None) -> None:
    """Leave the process group: later collectives raise until ``init_process_group`` runs
    again. (MPI itself stays up until the interpreter exits, when mpi4py finalizes it.)"""
    global _WORLD, _previous_excepthook
    world = get_group("destroy_process_group", group)
    for communicator in world.nccl.values():
        if communicator is not None:
            communicator.destroy()
    world.comm.Free()
    _WORLD = None
    if _previous_excepthook is not None:
        sys.excepthook, _previous_excepthook = _previous_excepthook, None


def get_group(op: str, group: Optional[ProcessGroup] = None) -> ProcessGroup:
    """The process group ``op`` works on: the world (``group`` None or the world itself)."""
    if _WORLD is None:
        raise DistributedError(
            f"{op}: the default process group is not initialized; call "
            "minidl.distributed.init_process_group() first, in a script started with "
            "mpiexec -n N python script.py")
    if group is not None and group is not _WORLD:
        raise DistributedError(f"{op}: minidl has one process group, the world; pass "
                               "group=None")
    return _WORLD


def get_rank(group: Optional[ProcessGroup] = None) -> int:
    """This process's rank, 0 to ``get_world_size() - 1``."""
    return get_group("get_rank", group).rank


def get_world_size(group: Optional[ProcessGroup] = None) -> int:
    """How many processes the job has."""
    return get_group("get_world_size", group).size


def get_backend(group: Optional[ProcessGroup] = None) -> str:
    """``"mpi"``: the only backend (NCCL is used inside it, for CuPy tensors)."""
    get_group("get_backend", group)
    return "mpi"


def barrier(group: Optional[ProcessGroup] = None) -> None:
    """Wait until every rank has called ``barrier()``."""
    get_group("barrier", group).comm.Barrier()
