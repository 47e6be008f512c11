"""Loading batches in worker processes: ``DataLoader(..., num_workers=N)``.

Python runs one thread of bytecode at a time, so a dataset that decodes or augments its samples
in Python slows training down. With ``num_workers=N`` the loader starts N processes that each
build whole batches while the main process trains (PyTorch's design):

1. each worker has its own queue of tasks; the loader deals batch ``t`` to worker
   ``t mod N`` and keeps ``prefetch_factor * N`` batches in flight;
2. a worker builds the batch with ``collate.fetch`` and sends it back pickled, on one shared
   result queue; results arrive in any order, and the loader holds early ones back so that
   batches come out in the order of the sampler, exactly as with ``num_workers=0``;
3. a worker that raises sends its traceback text; the loader stops every worker and raises a
   ``WorkerError`` that carries it. A worker that dies (killed, out of memory) is noticed
   within a second, and ``timeout`` bounds the wait for any one batch;
4. the workers stop when the epoch ends, when the loader's iterator is dropped (``del``, a
   ``break`` followed by garbage collection) or on an error: no process is left behind.
   ``persistent_workers=True`` keeps them for the next epoch instead, until the loader goes.

Processes start with ``fork`` where the platform has it (Linux): the dataset, ``collate_fn``
and ``worker_init_fn`` are inherited, not pickled, so lambdas work and start-up is fast. On
macOS and Windows they start with ``spawn`` and must be picklable. Fork after CUDA is unsafe:
give workers CPU datasets and let the loader's ``device`` move the batches.

Each worker ``i`` is seeded with ``base_seed + i`` (``minidl.manual_seed`` and Python's
``random``), ``base_seed`` drawn from minidl's default generator when the workers start (each
epoch, or once for persistent workers), so random augmentations differ between workers and
repeat between runs. Inside a worker,
``get_worker_info()`` says which worker it is (an ``IterableDataset`` uses it to take its
share); outside, it returns ``None``. Each worker uses one BLAS thread (through threadpoolctl
when it is installed): N workers each starting a full-size pool would oversubscribe the cores.

Read next: ``dataloader.py`` (the DataLoader that drives all this).
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import random
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional

from minidl.data.collate import fetch, next_iterable_batch
from minidl.errors import MinidlError

_POLL_SECONDS = 0.5  # how often a waiting process checks that the other side still lives


class WorkerError(MinidlError, RuntimeError):
    """A DataLoader worker raised, died, or took longer than ``timeout`` for a batch."""


@dataclass
class WorkerInfo:
    """What ``get_worker_info()`` returns inside worker ``id`` of ``num_workers``."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: Optional[WorkerInfo] = None


def get_worker_info() -> Optional[WorkerInfo]:
    """This worker's ``WorkerInfo``, or ``None`` in the main process (PyTorch's function)."""
    return _worker_info


def start_method() -> str:
    """``"fork"`` where available (see the module docstring), else the platform's default."""
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else \
        multiprocessing.get_start_method()


def _one_blas_thread() -> None:
    try:
        import threadpoolctl  # noqa: F401  (only asks whether it is there)
    except ImportError:
        return
    from minidl.threads import set_num_threads
    set_num_threads(1)


def _worker_loop(worker_id: int, num_workers: int, dataset: Any, collate_fn: Callable,
                 seed: int, worker_init_fn: Optional[Callable], iterable: bool,
                 batch_size: int, drop_last: bool, tasks: Any, results: Any, stop: Any,
                 parent: int) -> None:
    """The body of one worker process: take a task, send back ``(epoch, task, kind, data)``.

    ``kind`` is ``"batch"`` (data: the pickled batch), ``"error"`` (data: the traceback text)
    or ``"end"`` (an iterable dataset ran out in this worker).
    """
    global _worker_info
    import minidl  # the worker's own interpreter state (a fresh one under spawn)

    # The main process reads every result it needs before it asks a worker to stop, so
    # nothing is lost if this process exits with results still buffered.
    results.cancel_join_thread()
    setup_error = None
    try:
        _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
        minidl.manual_seed(seed)
        random.seed(seed)
        _one_blas_thread()
        if worker_init_fn is not None:
            worker_init_fn(worker_id)
    except Exception:
        setup_error = traceback.format_exc()
    epoch, iterator = None, None
    while True:
        try:
            task = tasks.get(timeout=_POLL_SECONDS)
        except queue.Empty:
            if os.getppid() != parent:  # the main process is gone: nobody will stop us
                return
            continue
        if task is None or stop.is_set():  # stop: skip the tasks still queued
            return
        task_epoch, task_id, index = task
        if setup_error is not None:
            results.put((task_epoch, task_id, "error", setup_error))
            continue
        try:
            if not iterable:
                batch = fetch(dataset, index, collate_fn)
            else:
                if task_epoch != epoch:  # a new epoch (persistent workers): start over
                    epoch, iterator = task_epoch, iter(dataset)
                batch = next_iterable_batch(iterator, batch_size, drop_last, collate_fn)
            # Pickled here, not by the queue's feeder thread, so an unpicklable batch is
            # reported as this task's error instead of being lost.
            results.put((task_epoch, task_id, "batch", pickle.dumps(batch, protocol=-1)))
        except StopIteration:
            results.put((task_epoch, task_id, "end", None))
        except Exception:
            results.put((task_epoch, task_id, "error", traceback.format_exc()))


class WorkerPool:
    """``num_workers`` worker processes, their task queues and the shared result queue."""

    def __init__(self, dataset: Any, num_workers: int, collate_fn: Callable, base_seed: int,
                 worker_init_fn: Optional[Callable], iterable: bool, batch_size: int,
                 drop_last: bool, context: Any = None):
        context = context or multiprocessing.get_context(start_method())
        self.results = context.Queue()
        self.stop = context.Event()
        self.tasks: List[Any] = []
        self.processes: List[Any] = []
        for i in range(num_workers):
            tasks = context.Queue()
            process = context.Process(
                target=_worker_loop, daemon=True, name=f"minidl-DataLoader-worker-{i}",
                args=(i, num_workers, dataset, collate_fn, base_seed + i, worker_init_fn,
                      iterable, batch_size, drop_last, tasks, self.results, self.stop,
                      os.getpid()))
            process.start()
            self.tasks.append(tasks)
            self.processes.append(process)

    def submit(self, worker: int, epoch: int, task_id: int, index: Any) -> None:
        self.tasks[worker].put((epoch, task_id, index))

    def get(self, timeout: float) -> tuple:
        """The next result; a ``WorkerError`` after ``timeout`` seconds (0: no limit) or as
        soon as a worker is found dead."""
        deadline = time.monotonic() + timeout if timeout else None
        while True:
            wait = _POLL_SECONDS if deadline is None else \
                max(0.0, min(_POLL_SECONDS, deadline - time.monotonic()))
            try:
                return self.results.get(timeout=wait)
            except queue.Empty:
                pass
            for i, process in enumerate(self.processes):
                if not process.is_alive():
                    raise WorkerError(f"DataLoader worker {i} (pid {process.pid}) exited "
                                      f"unexpectedly with exit code {process.exitcode}")
            if deadline is not None and time.monotonic() >= deadline:
                raise WorkerError(f"DataLoader timed out after {timeout} seconds waiting for "
                                  "a batch from its workers")

    def shutdown(self, force: bool = False) -> None:
        """Stop every worker and close the queues; idempotent. A worker ends after the batch
        it is building; ``force`` (after an error or a timeout) terminates it at once."""
        self.stop.set()
        for tasks, process in zip(self.tasks, self.processes):
            if process.is_alive():
                tasks.put(None)  # wakes a worker waiting for a task
        for process in self.processes:
            process.join(timeout=0 if force else 5)
            if process.is_alive():  # stuck in a dataset's __getitem__, say
                process.terminate()
                process.join()
        for q in self.tasks + [self.results]:
            q.cancel_join_thread()
            q.close()
        self.tasks, self.processes = [], []


def run_epoch(pool: WorkerPool, epoch: int, batches: Optional[List[Any]], num_workers: int,
              prefetch: int, timeout: float) -> Iterator[Any]:
    """The epoch's batches, in order, from ``pool``.

    ``batches`` is the list of index arrays of a map-style dataset, or ``None`` for an
    iterable dataset: tasks are then dealt round-robin to the workers still running, until
    each has said ``"end"``.
    """
    owner: Dict[int, int] = {}  # task id -> the worker it was dealt to
    ready: Dict[int, tuple] = {}  # results that came early: task id -> (kind, data)
    running = list(range(num_workers))
    next_task, next_out = 0, 0

    def deal() -> None:
        nonlocal next_task
        while running and len(owner) < prefetch and \
                (batches is None or next_task < len(batches)):
            worker = running[next_task % len(running)] if batches is None else \
                next_task % num_workers
            pool.submit(worker, epoch, next_task, None if batches is None else
                        batches[next_task])
            owner[next_task] = worker
            next_task += 1

    deal()
    while owner:
        while next_out not in ready:
            result_epoch, task_id, kind, data = pool.get(timeout)
            if result_epoch != epoch:
                continue  # left over from an abandoned epoch of persistent workers
            if kind == "error":
                raise WorkerError(f"Caught an exception in DataLoader worker process "
                                  f"{owner[task_id]}. Original traceback:\n{data}")
            ready[task_id] = (kind, data)
        kind, data = ready.pop(next_out)
        worker = owner.pop(next_out)
        next_out += 1
        # Acted on in task order, not arrival order, so the dealing (and so the order of an
        # iterable dataset's batches) does not depend on which worker happened to be faster.
        if kind == "end" and worker in running:
            running.remove(worker)
        deal()
        if kind == "batch":
            yield pickle.loads(data)
