"""DataLoader: iterate over a dataset in (shuffled) mini-batches of minidl Tensors.

One epoch is one pass over a permutation of ``range(len(dataset))`` cut into batches of
``batch_size`` indices (the last one shorter, or dropped with ``drop_last=True``). Each batch of
indices becomes a batch of Tensors in one of two ways:

* fast path: when the dataset is a ``TensorDataset`` (possibly inside ``Subset``s, as
  ``random_split`` and ``KFold`` make them) and the default collate is used, each tensor's
  array is indexed with the whole index array at once: no Python loop over samples;
* general path: ``collate_fn([dataset[i] for i in batch])``, by default ``default_collate``,
  which stacks samples field by field.

Shuffling draws from a ``minidl.backend.Generator``. A ``sampler`` (any iterable of indices
with a length, such as ``DistributedSampler``) replaces that order, as in PyTorch.
``state_dict()`` captures where the loader is (epoch, batches already yielded, and the
generator state the epoch's order came from) and ``load_state_dict()`` restores it, so a
training run resumed from a checkpoint sees exactly the batches it would have seen, even from
the middle of an epoch.

Read next: ``datasets/idx.py`` (the file format of MNIST), for real data.
"""
from __future__ import annotations

import copy
import numbers
from typing import Any, Callable, Dict, Iterable, Iterator, Optional, Sequence, Tuple

import numpy as np

import minidl
from minidl.backend import (
    Generator,
    default_generator,
    get_array_module,
    parse_device,
    same_device_or_raise,
    to_device,
)
from minidl.config_checks import check_positive_int
from minidl.data.dataset import Dataset, Subset, TensorDataset, _is_int
from minidl.errors import DeviceError, DTypeError, ShapeError


def _stack(arrays: Sequence[Any]) -> Any:
    """``xp.stack(arrays)``, with a minidl error that lists the shapes when they differ."""
    shapes = sorted({tuple(a.shape) for a in arrays})
    if len(shapes) > 1:
        raise ShapeError(f"default_collate: cannot stack samples of different shapes {shapes}")
    return get_array_module(arrays[0]).stack(arrays)


def default_collate(samples: Sequence[Any]) -> Any:
    """Merge a list of samples into one batch, field by field (PyTorch's ``default_collate``).

    Tensors are stacked along a new first dimension (on their device); NumPy arrays and NumPy
    scalars become a Tensor of their dtype; Python ints an int64 Tensor, floats a float32 Tensor,
    bools a bool Tensor; strings stay a list. Tuples, lists, named tuples and dicts are collated
    per field, so a sample ``(image, label)`` gives a batch ``(images, labels)``.
    """
    if len(samples) == 0:
        raise ValueError("default_collate: cannot collate an empty list of samples")
    # Every array made below is new, so minidl.as_tensor wraps it without a copy.
    first = samples[0]
    if isinstance(first, minidl.Tensor):
        arrays = [s._array for s in samples]
        same_device_or_raise("default_collate", arrays)
        return minidl.as_tensor(_stack(arrays), device=first.device)
    if isinstance(first, (np.ndarray, np.generic)):
        return minidl.as_tensor(_stack([np.asarray(s) for s in samples]))
    # bool before int: Python's bool is a subclass of int.
    if all(isinstance(s, bool) for s in samples):
        return minidl.as_tensor(np.array(samples, dtype=np.bool_))
    if all(isinstance(s, numbers.Integral) for s in samples):
        return minidl.as_tensor(np.array(samples, dtype=np.int64))
    if all(isinstance(s, numbers.Real) for s in samples):
        return minidl.as_tensor(np.array(samples, dtype=np.float32))
    if isinstance(first, str):
        return list(samples)
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        sizes = {len(s) for s in samples}
        if len(sizes) > 1:
            raise ShapeError(f"default_collate: samples have different lengths {sorted(sizes)}")
        fields = [default_collate(list(field)) for field in zip(*samples)]
        if hasattr(first, "_fields"):  # a namedtuple: rebuild the same type
            return type(first)(*fields)
        return tuple(fields) if isinstance(first, tuple) else fields
    raise DTypeError(
        f"default_collate: cannot batch samples of type {type(first).__name__}; expected "
        "Tensors, NumPy arrays, numbers, strings, or tuples/lists/dicts of them "
        "(or pass collate_fn=...)"
    )


def _move(batch: Any, device: str) -> Any:
    """``batch`` with every Tensor in it moved to ``device`` (same nesting)."""
    if isinstance(batch, minidl.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {key: _move(value, device) for key, value in batch.items()}
    if isinstance(batch, (tuple, list)):
        moved = [_move(value, device) for value in batch]
        if hasattr(batch, "_fields"):
            return type(batch)(*moved)
        return type(batch)(moved)
    return batch


class DataLoader:
    """Batches of ``dataset``, reshuffled every epoch when ``shuffle=True``.

    ``len(loader)`` is the number of batches per epoch: ``ceil(n / batch_size)``, or
    ``floor(n / batch_size)`` with ``drop_last=True``. ``generator`` (a CPU
    ``minidl.backend.Generator``) drives shuffling; without one the loader makes its own,
    seeded once from the default generator when the loader is built, so ``minidl.manual_seed``
    before building it fixes every epoch's order, and other draws from the default generator
    (initialization, dropout) do not change the order. (PyTorch instead draws from its global
    generator at the start of each epoch.) ``device`` moves each batch there (``Tensor.to``).

    ``sampler``, instead of ``shuffle``, gives each epoch's indices: the loader iterates it
    once per epoch and ``len(loader)`` counts batches of ``len(sampler)`` indices. (With a
    ``DistributedSampler``, call its ``set_epoch`` before each epoch, also after a resume.)
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        collate_fn: Optional[Callable[[list], Any]] = None,
        generator: Optional[Generator] = None,
        device: Optional[str] = None,
        sampler: Optional[Iterable[int]] = None,
    ):
        check_positive_int("DataLoader", "batch_size", batch_size)
        if generator is not None and generator.device != "cpu":
            raise DeviceError(
                f"DataLoader: the shuffling generator must be on the CPU, got {generator.device}"
            )
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler and shuffle=True cannot be used together "
                             "(the sampler decides the order; shuffle it there)")
        self.dataset = dataset
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn if collate_fn is not None else default_collate
        self.device = None if device is None else parse_device(device)
        if self.shuffle and generator is None:
            seed = int(default_generator("cpu").integers(0, 2**63 - 1, ()))
            generator = Generator("cpu", seed=seed)
        self.generator = generator
        self.epoch = 0  # the epoch in progress, or the next one between epochs
        self._in_epoch = False  # an iterator has started self.epoch and not finished it
        self._batches_done = 0  # batches of self.epoch already yielded
        self._epoch_state: Optional[dict] = None  # generator state self.epoch's order came from
        self._resume: Optional[Dict[str, Any]] = None  # set by load_state_dict, used by __iter__

    def __len__(self) -> int:
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size

    # ------------------------------------------------------------------ iterating
    def __iter__(self) -> Iterator[Any]:
        # The epoch starts now (not at the first next()), so state_dict() is right at once.
        order, first_batch = self._start_epoch()
        return self._batches(order, first_batch, self.epoch)

    def _start_epoch(self) -> Tuple[np.ndarray, int]:
        """The index order of the epoch that begins, and the first batch to yield."""
        first_batch = 0
        if self._resume is not None:
            state, self._resume = self._resume, None
            self.epoch = state["epoch"]
            first_batch = state["batches_done"]
            if self.shuffle:
                self.generator.set_state(copy.deepcopy(state["generator_state"]))
        elif self._in_epoch:
            self.epoch += 1  # the previous epoch was left part-way (a `break`): it is over
        self._in_epoch = True
        self._batches_done = first_batch
        if self.sampler is not None:
            return np.fromiter(iter(self.sampler), dtype=np.int64), first_batch
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n, dtype=np.int64), first_batch
        self._epoch_state = self.generator.get_state()
        return np.asarray(self.generator.permutation(n), dtype=np.int64), first_batch

    def _batches(self, order: np.ndarray, first_batch: int, epoch: int) -> Iterator[Any]:
        for b in range(first_batch, len(self)):
            batch = self._fetch(order[b * self.batch_size:(b + 1) * self.batch_size])
            # Only the newest iterator keeps the books: an older one, still being read after
            # iter(loader) was called again, must not move the state of the new epoch.
            if self.epoch == epoch:
                # Counted before the yield: a checkpoint taken while this batch is being used
                # treats it as done, so a resumed run continues with the next one.
                self._batches_done = b + 1
            yield batch
        if self.epoch == epoch and self._in_epoch:
            self._in_epoch = False
            self._batches_done = 0
            self.epoch += 1

    def _fetch(self, index: np.ndarray) -> Any:
        """The batch for the dataset indices ``index``."""
        if self.collate_fn is default_collate:
            # Look through Subsets to a TensorDataset. Exact types on purpose: a subclass may
            # override __getitem__ (e.g. to transform samples), and must go the general way.
            dataset = self.dataset
            base_index = index
            while type(dataset) is Subset:
                base_index = dataset.indices[base_index]
                dataset = dataset.dataset
            if type(dataset) is TensorDataset:
                return tuple(self._gather(t, base_index) for t in dataset.tensors)
        batch = self.collate_fn([self.dataset[int(i)] for i in index])
        return batch if self.device is None else _move(batch, self.device)

    def _gather(self, t: Any, index: np.ndarray) -> Any:
        """Rows ``index`` of tensor ``t`` as a new Tensor: one fancy-indexing operation."""
        rows = t._array[to_device(index, t.device)]
        # as_tensor: ``rows`` is already a fresh array (fancy indexing copies); no second copy.
        return minidl.as_tensor(rows, device=self.device or t.device)

    # ------------------------------------------------------------------ resuming
    def state_dict(self) -> Dict[str, Any]:
        """Where the loader is: ``{"epoch", "batches_done", "generator_state"}``.

        Taken mid-epoch (inside the loop), it resumes after the last batch handed out; taken
        between epochs, at the start of the next one. ``generator_state`` is the shuffling
        generator's state from which that epoch's order is drawn (``None`` without shuffle).
        The dict holds only ints, strings and dicts, so it can be saved as JSON.
        """
        if self._resume is not None:
            return copy.deepcopy(self._resume)
        if self._in_epoch and self._batches_done < len(self):
            state = {
                "epoch": self.epoch,
                "batches_done": self._batches_done,
                "generator_state": self._epoch_state,
            }
        else:
            state = {
                "epoch": self.epoch + 1 if self._in_epoch else self.epoch,
                "batches_done": 0,
                "generator_state": self.generator.get_state() if self.shuffle else None,
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
        if not _is_int(done) or not 0 <= done <= len(self):
            raise ValueError(
                f"DataLoader.load_state_dict: batches_done {done!r} is not in 0..{len(self)}"
            )
        if self.shuffle and state["generator_state"] is None:
            raise ValueError(
                "DataLoader.load_state_dict: the state has no generator_state (saved from a "
                "loader without shuffle) but this loader shuffles"
            )
        self._resume = copy.deepcopy(dict(state))
        self.epoch = int(epoch)
        self._in_epoch = False
        self._batches_done = int(done)
