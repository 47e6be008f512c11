"""Stream-style datasets, and datasets made of other datasets.

* ``IterableDataset``: a dataset that is a stream (``iter(dataset)``) rather than an indexable
  table: lines of a file, records of a database. The ``DataLoader`` batches it as it comes: no
  sampler, no shuffle. With worker processes, *every* worker iterates its own copy, so the
  dataset itself must take a share: ``get_worker_info()`` inside ``__iter__`` gives the
  worker's ``id`` and ``num_workers`` (``None`` in the main process), e.g. items
  ``id, id + num_workers, ...``. Without that, each item comes once per worker.
* ``ConcatDataset([a, b, ...])``: the items of ``a``, then those of ``b``, ... indexable as one.
  ``dataset_a + dataset_b`` makes one.
* ``ChainDataset([s, t, ...])``: the streams one after another (``stream_s + stream_t``).
* ``StackDataset(a, b)`` / ``StackDataset(x=a, y=b)``: item ``i`` is ``(a[i], b[i])`` /
  ``{"x": a[i], "y": b[i]}``: datasets of one length side by side, e.g. inputs and labels
  kept in separate datasets.

Read next: ``samplers.py`` (the order in which a loader visits a dataset).
"""
from __future__ import annotations

import bisect
from typing import Any, Iterable, Iterator, List

import numpy as np

from minidl.config_checks import ConfigTypeError, is_int
from minidl.data.dataset import Dataset, _check_dataset
from minidl.errors import ConfigError, DTypeError, OutOfRangeError


class IterableDataset(Dataset):
    """Base class of stream datasets: subclasses define ``__iter__`` (and may define ``len``)."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __getitem__(self, index: int) -> Any:
        raise TypeError(f"{type(self).__name__} is an IterableDataset: it is read with iter(), "
                        "not indexed")

    def __add__(self, other: Any) -> ChainDataset:
        return ChainDataset([self, other])


class ConcatDataset(Dataset):
    """``datasets[0]``'s items, then ``datasets[1]``'s, ...: item ``i`` is found by bisecting
    ``cumulative_sizes`` (the running totals of the lengths), as in PyTorch."""

    def __init__(self, datasets: Iterable[Dataset]):
        self.datasets: List[Dataset] = list(datasets)
        if not self.datasets:
            raise ConfigError("ConcatDataset: datasets should not be an empty iterable")
        for i, dataset in enumerate(self.datasets):
            if isinstance(dataset, IterableDataset):
                raise ConfigTypeError(f"ConcatDataset does not support IterableDataset (dataset "
                                      f"{i} is a {type(dataset).__name__}); use ChainDataset")
            _check_dataset("ConcatDataset", dataset)
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        if not is_int(index):
            raise DTypeError(f"ConcatDataset: index {index!r:.40} ({type(index).__name__}) is "
                             "not an integer")
        n = len(self)
        if not -n <= index < n:
            raise OutOfRangeError(f"ConcatDataset: index {index} is out of range for {n} items")
        index = int(index) % n if index < 0 else int(index)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


class ChainDataset(IterableDataset):
    """The streams of ``datasets`` one after another; ``len`` is the sum of their lengths."""

    def __init__(self, datasets: Iterable[IterableDataset]):
        self.datasets = list(datasets)
        for i, dataset in enumerate(self.datasets):
            if not isinstance(dataset, IterableDataset):
                raise ConfigTypeError(f"ChainDataset only supports IterableDataset (dataset {i} "
                                      f"is a {type(dataset).__name__}); use ConcatDataset")

    def __iter__(self) -> Iterator[Any]:
        for dataset in self.datasets:
            yield from dataset

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)  # type: ignore[arg-type]


class StackDataset(Dataset):
    """Datasets of one length side by side: positional datasets give tuple samples, keyword
    datasets dict samples (PyTorch's ``StackDataset``; not both kinds at once)."""

    def __init__(self, *args: Dataset, **kwargs: Dataset):
        if args and kwargs:
            raise ConfigError("StackDataset: pass the datasets either by position (tuple "
                              "samples) or by keyword (dict samples), not both")
        datasets = list(args) or list(kwargs.values())
        if not datasets:
            raise ConfigError("StackDataset: at least one dataset should be passed")
        for dataset in datasets:
            _check_dataset("StackDataset", dataset)
        lengths = [len(d) for d in datasets]
        if len(set(lengths)) > 1:
            raise ConfigError(f"StackDataset: size mismatch between datasets: lengths {lengths}")
        self._length = lengths[0]
        self.datasets = tuple(args) if args else dict(kwargs)

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int) -> Any:
        if isinstance(self.datasets, dict):
            return {key: dataset[index] for key, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)
