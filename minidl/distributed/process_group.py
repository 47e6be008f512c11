"""The process group: which process this is (its rank), how many there are, and MPI between them.

Data-parallel training runs one copy of the same script in each of N processes, started
together by MPI's launcher::

    mpiexec -n 2 python examples/train_ddp.py

``init_process_group(backend="mpi")`` joins this process to the others: MPI (through
``mpi4py``) already knows each process's rank, 0 to N - 1, and N, the world size; no address
or port is needed, and the same command runs on one machine or, with a hostfile, on many.
minidl keeps one *process group*, the world, holding a private duplicate of MPI's
``COMM_WORLD`` so that its messages never mix with other MPI code in the same program.
``new_group(ranks)`` makes smaller groups, for collectives among some ranks only: MPI splits
the world's communicator, and each group has its own.

What happens when a process fails matters as much: a collective waits for every rank, so a
rank that stops would leave the others waiting forever. Two things prevent that. A rank
killed by a signal is noticed by ``mpiexec``, which ends the whole job and says which rank
died. A rank that raises an uncaught exception prints its traceback and then calls
``MPI_Abort`` (``init_process_group`` installs that exception hook, as ``python -m mpi4py``
does), which ends every rank of the job.

A rank that neither dies nor raises, but is stuck (an endless loop, a deadlock, a rank that
skipped a collective), is caught by a time limit: ``init_process_group(timeout=timedelta(...))``.
MPI's collectives have no time limit, so with a ``timeout`` every collective is started
nonblocking (``Iallreduce``, ...) and ``ProcessGroup.wait`` asks MPI whether it is done until
it is, or until the timeout has passed: then it raises a ``DistributedError`` on the waiting
rank, whose traceback and ``MPI_Abort`` end the job as above. Without ``timeout`` (the default,
where PyTorch's is 30 minutes) collectives wait as long as it takes, in MPI's own blocking
calls. (NCCL's GPU-to-GPU collectives are queued on the GPU and not covered.)

``mpi4py`` is optional (``pip install 'minidl[distributed]'``); it is imported, and MPI
started, only by ``init_process_group``, so ``import minidl`` never needs it.

Read next: ``collectives.py`` (all_reduce and the other operations on Tensors).
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import time
from datetime import timedelta
from typing import Any, Callable, Dict, List, Optional, Sequence

from minidl.config_checks import ConfigTypeError, is_int
from minidl.errors import ConfigError, MinidlError, OutOfRangeError


class DistributedError(MinidlError, RuntimeError):
    """Misuse of minidl.distributed (no process group yet, a bad rank), or a failed job."""


# How ``ProcessGroup.wait`` waits for MPI: it asks whether the transfer is done (``Test``),
# first in a tight loop, since between two idle cores a transfer ends within microseconds, then
# with short naps between the questions. MPI's own blocking calls spin until the end instead,
# and a spinning rank keeps its core even while the rank it waits for needs one: on a machine
# busy with other jobs that made a 1 MiB all-reduce between 2 ranks ten times slower (README,
# "Distributed training"). (Each Test also moves the transfer along: MPI progresses in calls.)
_SPIN_SECONDS = 50e-6
_NAP_SECONDS = 100e-6


class ProcessGroup:
    """Processes that run collectives together: the world (every process of the job) or a
    group made by ``new_group``. ``ranks`` are their world ranks, in the order of their ranks
    in the group; ``rank`` is this process's rank in the group (-1 if it is not in it) and
    ``size`` their number; ``comm`` is the MPI communicator that connects them (None outside
    the group); ``timeout``, the longest a collective may wait, or None. ``nccl`` caches, per
    GPU, the NCCL communicator used for CuPy arrays there (or None where NCCL cannot be used:
    see ``nccl.py``)."""

    def __init__(self, mpi: Any, comm: Any, timeout: Optional[timedelta] = None,
                 ranks: Optional[List[int]] = None):
        self.MPI = mpi  # the mpi4py.MPI module: its constants (SUM, IN_PLACE, ...) are needed
        self.comm = comm
        self.ranks = list(range(comm.Get_size())) if ranks is None else ranks
        self.rank = -1 if comm is None else comm.Get_rank()
        self.size = len(self.ranks)
        self.timeout = timeout
        self.nccl: Dict[int, Any] = {}

    def run(self, op: str, blocking: Callable[[], None], nonblocking: Callable[[], Any]) -> None:
        """Run one MPI collective to its end: ``blocking()`` (MPI's own call), or, when the
        group has a timeout, ``nonblocking()`` (which returns an MPI request) and ``wait``."""
        if self.timeout is None:
            blocking()
        else:
            self.wait(nonblocking(), op)

    def wait(self, request: Any, op: str, timeout: Optional[timedelta] = None) -> None:
        """Wait until MPI ``request`` (collective ``op``) is done, without spinning; raise a
        DistributedError once ``timeout`` (else the group's timeout, if any) has passed."""
        limit = timeout if timeout is not None else self.timeout
        seconds = float("inf") if limit is None else limit.total_seconds()
        start = time.perf_counter()
        while not request.Test():
            waited = time.perf_counter() - start
            if waited > seconds:
                raise DistributedError(
                    f"{op}: rank {self.rank} waited {waited:.1f} s, more than the timeout "
                    f"({limit}), for the other ranks of the job: one of them is stuck, much "
                    "slower, or did not call the same collective. The job cannot go on past "
                    "a collective that did not finish")
            if waited > _SPIN_SECONDS:
                time.sleep(_NAP_SECONDS)  # let the other ranks (and other jobs) run

    def free(self) -> None:
        """Release the communicators (every rank of the group calls this together)."""
        for communicator in self.nccl.values():
            if communicator is not None:
                communicator.destroy()
        if self.comm is not None:
            self.comm.Free()

    def __repr__(self) -> str:
        return f"ProcessGroup(backend='mpi', rank={self.rank}, size={self.size})"


_WORLD: Optional[ProcessGroup] = None
_SUBGROUPS: List[ProcessGroup] = []  # made by new_group, until destroyed
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
    ``timeout`` (a ``datetime.timedelta``): the longest any collective may wait for the other
    ranks before raising (see the module docstring); None waits as long as it takes.
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
    _check_timeout("init_process_group", timeout)
    if not is_available():
        raise DistributedError("init_process_group: mpi4py is not installed; install it with "
                               "pip install 'minidl[distributed]' (mpi4py and Open MPI)")
    mpi = importlib.import_module("mpi4py.MPI")  # this starts MPI (MPI_Init_thread)
    # A private duplicate: minidl's messages cannot be confused with the user's own MPI calls.
    group = ProcessGroup(mpi, mpi.COMM_WORLD.Dup(), timeout)
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


def _check_timeout(op: str, timeout: Optional[timedelta]) -> None:
    if timeout is not None and not isinstance(timeout, timedelta):
        raise ConfigTypeError(f"{op}: timeout must be a datetime.timedelta or None, got "
                              f"{type(timeout).__name__}")
    if timeout is not None and timeout.total_seconds() <= 0:
        raise ConfigError(f"{op}: timeout must be positive, got {timeout}")


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


def new_group(ranks: Optional[Sequence[int]] = None, timeout: Optional[timedelta] = None,
              backend: Optional[str] = None) -> ProcessGroup:
    """A process group of some of the world's ranks (``torch.distributed.new_group``), for the
    ``group=`` argument of the collectives, of DistributedDataParallel (``process_group=``)
    and of SyncBatchNorm. Every rank of the world calls it, with the same ``ranks`` (None: all),
    in the same order as its other collectives: MPI splits the world's communicator.

    As in PyTorch: the group's ranks follow the sorted world ranks; ``src`` and ``dst`` of a
    collective remain *world* ranks; ``get_rank(group)`` is -1 on a rank outside the group.
    Where PyTorch only warns, a collective on a group this rank is not in raises.
    ``timeout`` defaults to the world's.
    """
    world = get_group("new_group")
    if backend not in (None, "mpi"):
        raise ValueError(f"new_group: backend {backend!r} is not supported (only 'mpi')")
    _check_timeout("new_group", timeout)
    members = list(range(world.size)) if ranks is None else ranks
    if not isinstance(members, (list, tuple, range)) or not all(map(is_int, members)):
        raise ConfigTypeError(f"new_group: ranks must be a list of world ranks, got {ranks!r}")
    if not all(0 <= r < world.size for r in members) or len(set(members)) != len(members):
        raise OutOfRangeError(f"new_group: ranks {list(members)} must be distinct ranks of "
                              f"this job (0 to {world.size - 1})")
    members = sorted(int(r) for r in members)
    inside = world.rank in members
    # Split is collective over the world: the members get a communicator, the others none.
    comm = world.comm.Split(0 if inside else world.MPI.UNDEFINED, key=world.rank)
    group = ProcessGroup(world.MPI, comm if inside else None,
                         world.timeout if timeout is None else timeout, members)
    _SUBGROUPS.append(group)
    return group


def destroy_process_group(group: Optional[ProcessGroup] = None) -> None:
    """Release ``group`` (made by ``new_group``), or with None the world and every group:
    later collectives raise until ``init_process_group`` runs again. (MPI itself stays up until
    the interpreter exits, when mpi4py finalizes it.)"""
    global _WORLD, _previous_excepthook
    if group is not None and group is not _WORLD:
        if group in _SUBGROUPS:  # (a rank outside the group only forgets it)
            _SUBGROUPS.remove(group)
            group.free()
            return
    world = get_group("destroy_process_group", group)
    for subgroup in _SUBGROUPS:
        subgroup.free()
    _SUBGROUPS.clear()
    world.free()
    _WORLD = None
    if _previous_excepthook is not None:
        sys.excepthook, _previous_excepthook = _previous_excepthook, None


def get_group(op: str, group: Optional[ProcessGroup] = None,
              outside: bool = False) -> ProcessGroup:
    """The process group ``op`` works on: the world for None, else ``group``, which must be
    alive and (unless ``outside``) have this rank in it."""
    if _WORLD is None:
        raise DistributedError(
            f"{op}: the default process group is not initialized; call "
            "minidl.distributed.init_process_group() first, in a script started with "
            "mpiexec -n N python script.py")
    if group is None or group is _WORLD:
        return _WORLD
    if not any(group is g for g in _SUBGROUPS):
        raise DistributedError(f"{op}: group={group!r} is not a process group of this job "
                               "(made by new_group and not destroyed since)")
    if group.comm is None and not outside:
        raise DistributedError(f"{op}: this process (world rank {_WORLD.rank}) is not in the "
                               f"group of world ranks {group.ranks}; only its members may "
                               "call collectives on it")
    return group


def get_rank(group: Optional[ProcessGroup] = None) -> int:
    """This process's rank in ``group`` (the world for None), 0 to its size - 1; -1 when this
    process is not in ``group``."""
    return get_group("get_rank", group, outside=True).rank


def get_world_size(group: Optional[ProcessGroup] = None) -> int:
    """How many processes the job (or ``group``) has; -1 when this process is not in
    ``group``."""
    group = get_group("get_world_size", group, outside=True)
    return -1 if group.rank == -1 else group.size


def group_rank(op: str, name: str, rank: Any, group: ProcessGroup) -> int:
    """The rank in ``group`` of world rank ``rank`` (argument ``name`` of ``op``: ``src``,
    ``dst``): collectives take world ranks, as in PyTorch, and MPI wants the group's."""
    if not is_int(rank) or int(rank) not in group.ranks:
        among = (f"0 to {group.size - 1}" if group is _WORLD else
                 f"the group's world ranks are {group.ranks}")
        raise OutOfRangeError(f"{op}: {name}={rank!r} is not a rank of this job ({among})")
    return group.ranks.index(int(rank))


def get_backend(group: Optional[ProcessGroup] = None) -> str:
    """``"mpi"``: the only backend (NCCL is used inside it, for CuPy tensors)."""
    get_group("get_backend", group)
    return "mpi"


def barrier(group: Optional[ProcessGroup] = None) -> None:
    """Wait until every rank has called ``barrier()``."""
    group = get_group("barrier", group)
    group.run("barrier", group.comm.Barrier, group.comm.Ibarrier)
