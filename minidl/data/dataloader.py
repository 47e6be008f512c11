"""DataLoader: iterate over a dataset in (shuffled) mini-batches of minidl Tensors.

PyTorch's ``torch.utils.data.DataLoader``, with its arguments and their rules. For a map-style
dataset, one epoch is:

1. a sampler's order of indices: ``SequentialSampler``, or ``RandomSampler`` with
   ``shuffle=True``, or the ``sampler`` given;
2. cut into batches of ``batch_size`` by a ``BatchSampler`` (the last one shorter, or dropped
   with ``drop_last=True``), or the lists of a ``batch_sampler`` given;
3. each batch of indices made into Tensors by ``collate.fetch`` (``collate_fn``, by default
   ``default_collate``), in this process or, with ``num_workers > 0``, in worker processes
   (``workers.py``), the batches coming out in order either way.

An ``IterableDataset`` is read as it streams: no sampler, ``batch_size`` samples per batch.

Shuffling draws from a ``minidl.Generator``. ``state_dict()`` captures where the loader
is (epoch, batches already yielded, and the state of the generator the epoch's order came from)
and ``load_state_dict()`` restores it, so a training run resumed from a checkpoint sees exactly
the batches it would have seen, even from the middle of an epoch, with or without workers.

Read next: ``datasets/idx.py`` (the file format of MNIST), for real data.
"""
from __future__ import annotations

import copy
import itertools
import multiprocessing
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

import numpy as np

from minidl.backend import parse_device
from minidl.config_checks import ConfigTypeError, check_choice, check_number, check_positive_int
from minidl.data.collate import default_collate, fetch, move, next_iterable_batch
from minidl.data.dataset import Dataset, _is_int
from minidl.data.dataset_combinators import IterableDataset
from minidl.data.samplers import BatchSampler, RandomSampler, SequentialSampler
from minidl.data.workers import WorkerPool, run_epoch
from minidl.errors import ConfigError, DeviceError
from minidl.random_streams import Generator, default_generator


class DataLoader:
    """Batches of ``dataset``, reshuffled every epoch when ``shuffle=True``.

    ``len(loader)`` is the number of batches per epoch: ``len(batch_sampler)``, i.e.
    ``ceil(n / batch_size)``, or ``floor(n / batch_size)`` with ``drop_last=True``.
    ``generator`` (a CPU ``minidl.Generator``) drives shuffling; without one the loader
    makes its own, seeded once from the default generator when the loader is built, so
    ``minidl.manual_seed`` before building it fixes every epoch's order, and other draws from
    the default generator (initialization, dropout) do not change the order. (PyTorch instead
    draws from its global generator at the start of each epoch.) ``device`` (a minidl
    addition) moves each batch there; ``pin_memory`` is accepted and does nothing (pinned host
    memory speeds up copies to a GPU in PyTorch; minidl's CuPy path copies from pageable memory),
    and so does ``pin_memory_device``. ``in_order=False`` lets PyTorch's workers hand batches
    out as they finish; minidl's come in order either way, which PyTorch's rule allows.

    ``sampler`` replaces ``shuffle``; ``batch_sampler`` replaces ``batch_size``, ``shuffle``,
    ``sampler`` and ``drop_last``. (With a ``DistributedSampler``, call its ``set_epoch`` before
    each epoch, also after a resume. A random sampler of your own resumes exactly when it has
    a ``generator``: the loader saves that generator's state.)

    ``num_workers``, ``timeout``, ``worker_init_fn``, ``multiprocessing_context`` (a start
    method's name or a context; default ``"fork"`` where there is one), ``prefetch_factor``
    (default 2 batches per worker) and ``persistent_workers``: see ``workers.py``.
    ``batch_size=None`` (PyTorch: no batching at all) is refused; use ``collate_fn`` for
    per-sample processing instead.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: Optional[int] = 1,
        shuffle: Optional[bool] = None,
        sampler: Optional[Iterable[int]] = None,
        batch_sampler: Optional[Iterable[List[int]]] = None,
        num_workers: int = 0,
        collate_fn: Optional[Callable[[list], Any]] = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Optional[Callable[[int], None]] = None,
        multiprocessing_context: Any = None,
        generator: Optional[Generator] = None,
        *,
        prefetch_factor: Optional[int] = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        device: Optional[str] = None,
    ):
        owner = "DataLoader"
        shuffle = bool(shuffle)
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler),
                                ("batch_sampler", batch_sampler)):
                if value:
                    raise ConfigError(f"DataLoader with IterableDataset: expected unspecified "
                                      f"{name} option, but got {name}={value!r:.60}")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ConfigError("DataLoader: batch_sampler option is mutually exclusive with "
                                  "batch_size, shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        else:
            batch_size = int(check_positive_int(owner, "batch_size", batch_size))
        if sampler is not None and shuffle:
            raise ConfigError("DataLoader: sampler option is mutually exclusive with shuffle "
                              "(sampler and shuffle=True cannot be used together: the sampler "
                              "decides the order)")
        self.num_workers = int(check_number(owner, "num_workers", num_workers, 0, integer=True))
        self.timeout = float(check_number(owner, "timeout", timeout, 0))
        if self.num_workers == 0 and prefetch_factor is not None:
            raise ConfigError("DataLoader: prefetch_factor option could only be specified in "
                              "multiprocessing; let num_workers > 0 to enable multiprocessing, "
                              "otherwise set prefetch_factor to None")
        if self.num_workers == 0 and persistent_workers:
            raise ConfigError("DataLoader: persistent_workers option needs num_workers > 0")
        self.prefetch_factor = None if self.num_workers == 0 else \
            int(check_positive_int(owner, "prefetch_factor",
                                   2 if prefetch_factor is None else prefetch_factor))
        for name, fn in (("collate_fn", collate_fn), ("worker_init_fn", worker_init_fn)):
            if fn is not None and not callable(fn):
                raise ConfigTypeError(f"DataLoader: {name} must be callable or None, got "
                                      f"{type(fn).__name__}")
        if multiprocessing_context is not None:
            if self.num_workers == 0:
                raise ConfigError("DataLoader: multiprocessing_context can only be used with "
                                  "multi-process loading (num_workers > 0)")
            if isinstance(multiprocessing_context, str):
                check_choice(owner, "multiprocessing_context", multiprocessing_context,
                             multiprocessing.get_all_start_methods())
                multiprocessing_context = multiprocessing.get_context(multiprocessing_context)
        self.multiprocessing_context = multiprocessing_context
        if generator is not None and not isinstance(generator, Generator):
            raise ConfigTypeError(f"DataLoader: generator must be a minidl Generator or None, "
                                  f"got {type(generator).__name__}")
        if generator is not None and generator.device != "cpu":
            raise DeviceError(
                f"DataLoader: the shuffling generator must be on the CPU, got {generator.device}"
            )
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn if collate_fn is not None else default_collate
        self.pin_memory = bool(pin_memory)  # accepted; nothing to pin on the CPU (class docstring)
        self.pin_memory_device = pin_memory_device  # (the same)
        self.in_order = bool(in_order)  # accepted; batches always come in order (docstring)
        self.worker_init_fn = worker_init_fn
        self.persistent_workers = bool(persistent_workers)
        self.device = None if device is None else parse_device(device)
        if shuffle and generator is None:
            seed = int(default_generator("cpu").integers(0, 2**63 - 1, ()))
            generator = Generator("cpu", seed=seed)
        self.generator = generator
        if self._iterable:
            self.sampler, self.batch_sampler = None, None
        else:
            if sampler is None:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else \
                    SequentialSampler(dataset)
            self.sampler = sampler
            self.batch_sampler = batch_sampler if batch_sampler is not None else \
                BatchSampler(sampler, batch_size, self.drop_last)
        self.epoch = 0  # the epoch in progress, or the next one between epochs
        self._in_epoch = False  # an iterator has started self.epoch and not finished it
        self._batches_done = 0  # batches of self.epoch already yielded
        self._epoch_state: Optional[dict] = None  # generator state self.epoch's order came from
        self._resume: Optional[Dict[str, Any]] = None  # set by load_state_dict, used by __iter__
        self._iteration = 0  # counts iter() calls: only the newest iterator keeps the books
        self._pool: Optional[WorkerPool] = None  # the persistent workers, once started

    def __len__(self) -> int:
        if not self._iterable:
            return len(self.batch_sampler)  # type: ignore[arg-type]
        try:
            n = len(self.dataset)
        except NotImplementedError:  # Dataset's __len__ placeholder: say it as PyTorch does
            raise TypeError(f"DataLoader: the IterableDataset {type(self.dataset).__name__} "
                            "has no len()") from None
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _length(self) -> Optional[int]:
        """``len(self)``, or None for a stream of unknown length."""
        try:
            return len(self)
        except TypeError:
            return None

    def _order_generator(self) -> Optional[Generator]:
        """The generator that draws each epoch's order, when there is one to save."""
        sampler = self.batch_sampler
        if isinstance(sampler, BatchSampler):
            sampler = sampler.sampler
        generator = getattr(sampler, "generator", None)
        return generator if isinstance(generator, Generator) else None

    # ------------------------------------------------------------------ iterating
    def __iter__(self) -> Iterator[Any]:
        # The epoch starts now (not at the first next()), so state_dict() is right at once.
        batches, first_batch = self._start_epoch()
        self._iteration += 1
        if self.num_workers == 0:
            source = self._local_batches(batches, first_batch)
        else:
            source = self._worker_batches(batches, first_batch, self._iteration)
        return self._keep_books(source, first_batch, self._iteration)

    def _start_epoch(self) -> Tuple[Optional[List[np.ndarray]], int]:
        """The index arrays of the epoch's batches (None for a stream), and the first one due."""
        first_batch = 0
        generator = self._order_generator()
        if self._resume is not None:
            state, self._resume = self._resume, None
            self.epoch = state["epoch"]
            first_batch = state["batches_done"]
            if generator is not None:
                generator.set_state(copy.deepcopy(state["generator_state"]))
        elif self._in_epoch:
            self.epoch += 1  # the previous epoch was left part-way (a `break`): it is over
        self._in_epoch = True
        self._batches_done = first_batch
        if self._iterable:
            return None, first_batch
        self._epoch_state = generator.get_state() if generator is not None else None
        if type(self.batch_sampler) is not BatchSampler:
            return [np.asarray(b, dtype=np.int64) for b in self.batch_sampler], first_batch
        # Our own BatchSampler: cut the sampler's order with array slices, not a Python list
        # per batch.
        order = np.fromiter(iter(self.batch_sampler.sampler), dtype=np.int64)
        size = self.batch_sampler.batch_size
        stop = len(order) - len(order) % size if self.drop_last else len(order)
        return [order[i:i + size] for i in range(0, stop, size)], first_batch

    def _local_batches(self, batches: Optional[List[np.ndarray]],
                       first_batch: int) -> Iterator[Any]:
        """The epoch's batches, built in this process."""
        if batches is not None:
            for index in batches[first_batch:]:
                yield fetch(self.dataset, index, self.collate_fn)
            return
        stream = iter(self.dataset)
        for position in itertools.count():
            # A resumed stream reads and drops the batches that were already handed out.
            collate_fn = self.collate_fn if position >= first_batch else len
            try:
                batch = next_iterable_batch(stream, self.batch_size, self.drop_last, collate_fn)
            except StopIteration:  # (a StopIteration must not escape a generator)
                return
            if position >= first_batch:
                yield batch

    def _worker_batches(self, batches: Optional[List[np.ndarray]], first_batch: int,
                        iteration: int) -> Iterator[Any]:
        """The epoch's batches, built by worker processes (see ``workers.py``)."""
        # Drawn even for persistent workers (which keep their first seeds), so the default
        # generator advances the same way in every epoch.
        base_seed = int(default_generator("cpu").integers(0, 2**62, ()))
        pool = self._pool or WorkerPool(
            self.dataset, self.num_workers, self.collate_fn, base_seed, self.worker_init_fn,
            self._iterable, self.batch_size, self.drop_last, self.multiprocessing_context)
        if self.persistent_workers:
            self._pool = pool
        keep, force = self.persistent_workers, False
        tasks = None if batches is None else batches[first_batch:]
        prefetch = self.prefetch_factor * self.num_workers
        try:
            epoch = run_epoch(pool, iteration, tasks, self.num_workers, prefetch, self.timeout)
            for position, batch in enumerate(epoch):
                if batches is not None or position >= first_batch:  # skip, in a resumed stream
                    yield batch
        except GeneratorExit:  # the iterator was dropped: persistent workers stay
            raise
        except BaseException:  # an error: no worker survives it
            keep, force = False, True
            raise
        finally:
            if not keep:
                pool.shutdown(force)
                if self._pool is pool:
                    self._pool = None

    def _keep_books(self, source: Iterator[Any], first_batch: int,
                    iteration: int) -> Iterator[Any]:
        try:
            for b, batch in enumerate(source, start=first_batch):
                # Only the newest iterator keeps the books: an older one, still being read after
                # iter(loader) was called again, must not move the state of the new epoch.
                if self._iteration == iteration:
                    # Counted before the yield: a checkpoint taken while this batch is being
                    # used treats it as done, so a resumed run continues with the next one.
                    self._batches_done = b + 1
                yield batch if self.device is None else move(batch, self.device)
        finally:
            source.close()  # stops the workers at once when this iterator is dropped
        if self._iteration == iteration and self._in_epoch:
            self._in_epoch = False
            self._batches_done = 0
            self.epoch += 1

    def __del__(self) -> None:
        pool = getattr(self, "_pool", None)  # absent if __init__ raised
        if pool is not None:
            pool.shutdown()

    # ------------------------------------------------------------------ resuming
    def state_dict(self) -> Dict[str, Any]:
        """Where the loader is: ``{"epoch", "batches_done", "generator_state"}``.

        Taken mid-epoch (inside the loop), it resumes after the last batch handed out; taken
        between epochs, at the start of the next one. ``generator_state`` is the state of the
        generator from which that epoch's order is drawn (``None`` without one). The dict holds
        only ints, strings and dicts, so it can be saved as JSON. (A stream resumes by reading
        and dropping the batches already handed out.)
        """
        if self._resume is not None:
            return copy.deepcopy(self._resume)
        length = self._length()
        generator = self._order_generator()
        if self._in_epoch and (length is None or self._batches_done < length):
            state = {
                "epoch": self.epoch,
                "batches_done": self._batches_done,
                "generator_state": self._epoch_state,
            }
        else:
            state = {
                "epoch": self.epoch + 1 if self._in_epoch else self.epoch,
                "batches_done": 0,
                "generator_state": generator.get_state() if generator is not None else None,
            }
        return copy.deepcopy(state)

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        """Make the next ``iter(loader)`` continue exactly where ``state`` was taken."""
        missing = {"epoch", "batches_done", "generator_state"} - set(state)
        if missing:
            raise ValueError(f"DataLoader.load_state_dict: missing keys {sorted(missing)}")
        epoch, done = state["epoch"], state["batches_done"]
        if not _is_int(epoch) or epoch < 0:
            raise ValueError(f"DataLoader.load_state_dict: bad epoch {epoch!r}")
        length = self._length()
        if not _is_int(done) or done < 0 or (length is not None and done > length):
            raise ValueError(
                f"DataLoader.load_state_dict: batches_done {done!r} is not in 0..{length}"
            )
        if self._order_generator() is not None and state["generator_state"] is None:
            raise ValueError(
                "DataLoader.load_state_dict: the state has no generator_state (saved from a "
                "loader without shuffle) but this loader shuffles"
            )
        self._resume = copy.deepcopy(dict(state))
        self.epoch = int(epoch)
        self._in_epoch = False
        self._batches_done = int(done)
