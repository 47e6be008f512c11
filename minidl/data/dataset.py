"""Datasets: anything with ``len(dataset)`` and ``dataset[i]``, plus ways to split one.

* ``Dataset``: the abstract base class (PyTorch's ``torch.utils.data.Dataset``).
* ``TensorDataset(*tensors)``: sample ``i`` is ``(t[i] for t in tensors)``; the ``DataLoader``
  batches it with one fancy-indexing operation per tensor instead of a Python loop per sample.
* ``Subset(dataset, indices)``: a view of some items of another dataset.
* ``random_split(dataset, lengths)``: disjoint random subsets, by counts or by fractions.
* ``KFold(n_splits)``: train/validation index pairs for k-fold cross-validation.

Read next: ``dataset_combinators.py`` (streams, and datasets made of datasets).
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

import minidl
from minidl import backend
from minidl.config_checks import ConfigTypeError, check_bool, check_number, is_int, is_real
from minidl.errors import ConfigError, DTypeError, OutOfRangeError, ShapeError
from minidl.random_streams import Generator, default_generator


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __add__(self, other: Dataset) -> Dataset:
        """``a + b``: a ``ConcatDataset`` of both, as in PyTorch."""
        # Imported here: dataset_combinators builds on this module.
        from minidl.data.dataset_combinators import ConcatDataset
        return ConcatDataset([self, other])


# dataloader.py imports the integer check under this name.
_is_int = is_int


def _check_index(index: Any, length: int, owner: str) -> int:
    """``index`` as an int in range: a float, a string or None is refused, not truncated."""
    if not is_int(index):
        raise DTypeError(f"{owner}: index {index!r:.40} ({type(index).__name__}) is not an "
                         "integer")
    if not -length <= index < length:
        raise OutOfRangeError(f"{owner}: index {index} is out of range for {length} items")
    return int(index)


def _index_array(owner: str, index: Any, length: int) -> np.ndarray:
    """A list, array or Tensor of sample indices (or a boolean mask) as a checked NumPy
    array: what NumPy would say about a float or an out-of-range index is said here in the
    dataset's words."""
    array = backend.to_host(index._array) if isinstance(index, minidl.Tensor) else \
        np.asarray(index)
    if array.size == 0:
        return array.astype(np.int64)
    if array.dtype.kind == "b":
        if array.shape != (length,):
            raise ShapeError(f"{owner}: a boolean mask of shape {array.shape} does not fit "
                             f"{length} items")
        return array
    if array.dtype.kind not in "iu":
        raise DTypeError(f"{owner}: indices must be integers, a slice or a boolean mask, got "
                         f"{index!r:.60} (dtype {array.dtype})")
    bad = np.flatnonzero((array < -length) | (array >= length))
    if bad.size:
        raise OutOfRangeError(f"{owner}: index {int(array.flat[bad[0]])} is out of range for "
                              f"{length} items")
    return array


def _check_dataset(owner: str, dataset: Any) -> int:
    """``len(dataset)``, or a ConfigTypeError if it is not a map-style dataset."""
    if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
        raise ConfigTypeError(f"{owner}: expected a dataset (with __len__ and __getitem__), got "
                              f"{type(dataset).__name__}")
    return len(dataset)


class TensorDataset(Dataset):
    """Sample ``i`` is the tuple ``(tensors[0][i], tensors[1][i], ...)``.

    Each argument is a minidl Tensor or an array (wrapped with ``minidl.as_tensor``, keeping its
    dtype and memory); all must have the same first dimension. Samples are plain data: indexing
    does not record a graph, so gradients never flow back into a dataset.
    """

    def __init__(self, *tensors: Any):
        if not tensors:
            raise ConfigError("TensorDataset needs at least one tensor")
        # as_tensor, not tensor: like PyTorch, the dataset holds the caller's data (no copy).
        self.tensors = tuple(minidl.as_tensor(t) for t in tensors)
        for i, t in enumerate(self.tensors):
            if len(t.shape) == 0:
                raise ShapeError(f"TensorDataset: tensor {i} is 0-dimensional and has no items")
        lengths = [t.shape[0] for t in self.tensors]
        if len(set(lengths)) != 1:
            raise ShapeError(
                f"TensorDataset: all tensors must have the same first dimension, got lengths "
                f"{lengths} (shapes {[tuple(t.shape) for t in self.tensors]})"
            )

    def __getitem__(self, index: int) -> Tuple[Any, ...]:
        if isinstance(index, slice):
            pass
        elif isinstance(index, (list, np.ndarray, minidl.Tensor)):
            index = _index_array("TensorDataset", index, len(self))
        else:
            index = _check_index(index, len(self), "TensorDataset")
        # Index the raw arrays: no autograd node per sample (samples are data, not parameters).
        # The trailing ``...`` makes an integer index give a 0-d array, not a NumPy scalar,
        # so the sample keeps its dtype.
        return tuple(minidl.tensor(t._array[index, ...], device=t.device) for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The items ``indices`` of ``dataset``: ``subset[i]`` is ``dataset[indices[i]]``.

    ``indices`` must lie in ``0..len(dataset)-1`` (negative indices are refused, unlike in
    PyTorch, so that a bad index fails here rather than in the middle of an epoch).
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        array = np.asarray(indices)
        if array.size == 0:
            array = array.astype(np.int64)
        if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
            raise DTypeError(
                f"Subset: indices must be a 1-D sequence of integers, got dtype {array.dtype} "
                f"and shape {array.shape}"
            )
        n = _check_dataset("Subset", dataset)
        bad = np.flatnonzero((array < 0) | (array >= n))
        if bad.size:
            raise OutOfRangeError(
                f"Subset: index {int(array[bad[0]])} is out of range for a dataset of {n} items"
            )
        self.dataset = dataset
        # An int64 array (not a list) so the DataLoader can map a whole batch at once.
        self.indices = array.astype(np.int64)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[_check_index(index, len(self), "Subset")])]

    def __len__(self) -> int:
        return len(self.indices)


def _split_lengths(n: int, lengths: Sequence[Union[int, float]]) -> List[int]:
    """Integer lengths summing to ``n`` from counts or from fractions (see ``random_split``)."""
    if not isinstance(lengths, (list, tuple)) or not all(map(is_real, lengths)):
        raise ConfigTypeError(f"random_split: lengths must be a list of counts or fractions, "
                              f"got {lengths!r:.80}")
    if not lengths:
        raise ConfigError("random_split: lengths is empty")
    if all(is_int(x) for x in lengths):
        counts = [int(x) for x in lengths]
        if any(c < 0 for c in counts) or sum(counts) != n:
            raise ConfigError(
                f"random_split: lengths {counts} must be non-negative and sum to the dataset "
                f"length {n} (they sum to {sum(counts)})"
            )
        return counts
    fractions = [float(x) for x in lengths]
    if any(not 0 <= f <= 1 for f in fractions) or not math.isclose(sum(fractions), 1.0):
        raise ConfigError(
            f"random_split: fractions {fractions} must each be in [0, 1] and sum to 1 "
            f"(they sum to {sum(fractions)})"
        )
    counts = [math.floor(n * f) for f in fractions]
    # Hand the rounding remainder out one item at a time, first split first (as PyTorch does).
    for i in range(n - sum(counts)):
        counts[i % len(counts)] += 1
    for i, count in enumerate(counts):
        if count == 0:
            warnings.warn(f"random_split: split {i} of fraction {fractions[i]} is empty",
                          stacklevel=2)
    return counts


def random_split(
    dataset: Dataset,
    lengths: Sequence[Union[int, float]],
    generator: Optional[Generator] = None,
) -> List[Subset]:
    """Randomly partition ``dataset`` into disjoint ``Subset``s of the given lengths.

    ``lengths`` are either integers summing to ``len(dataset)``, or fractions summing to 1: each
    split then gets ``floor(n * fraction)`` items and the leftover items go one each to the
    first splits. (PyTorch also reads integers summing to 1 as fractions; here integers are
    always counts.) ``generator`` (a ``random_streams.Generator``) makes the split repeatable;
    by default ``minidl.manual_seed`` controls it.
    """
    n = _check_dataset("random_split", dataset)
    counts = _split_lengths(n, lengths)
    _check_generator("random_split", generator)
    generator = generator if generator is not None else default_generator("cpu")
    order = np.asarray(generator.permutation(n))
    ends = np.cumsum(counts)
    return [Subset(dataset, order[end - count:end]) for count, end in zip(counts, ends)]


def _check_generator(owner: str, generator: Any) -> None:
    if generator is not None and not isinstance(generator, Generator):
        raise ConfigTypeError(f"{owner}: generator must be a minidl Generator or None, got "
                              f"{type(generator).__name__}")


class KFold:
    """K-fold cross-validation: split ``n`` items into ``n_splits`` folds of (almost) equal size.

    ``split(dataset_or_n)`` yields ``n_splits`` pairs ``(train_indices, val_indices)`` of int64
    arrays: each fold is the validation set once and part of the training set otherwise. The
    first ``n % n_splits`` folds have one item more. With ``shuffle=True`` the items are
    permuted (by ``generator``, default ``minidl.manual_seed``'s) before being cut into folds,
    a new permutation for each call of ``split``; otherwise folds are consecutive. Same names
    as scikit-learn's ``KFold``. Typical use::

        for train_idx, val_idx in KFold(5, shuffle=True).split(dataset):
            train_loader = DataLoader(Subset(dataset, train_idx), batch_size=64, shuffle=True)
            val_loader = DataLoader(Subset(dataset, val_idx), batch_size=256)
    """

    def __init__(
        self, n_splits: int = 5, shuffle: bool = False, generator: Optional[Generator] = None
    ):
        self.n_splits = int(check_number("KFold", "n_splits", n_splits, 2, integer=True))
        self.shuffle = check_bool("KFold", "shuffle", shuffle)
        _check_generator("KFold", generator)
        self.generator = generator

    def get_n_splits(self) -> int:
        return self.n_splits

    def split(
        self, dataset_or_n: Union[Dataset, int]
    ) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_indices, val_indices)`` for each fold; see the class docstring."""
        # Checked here, not inside the generator below, so a bad call fails where it is made.
        n = int(dataset_or_n) if is_int(dataset_or_n) else \
            _check_dataset("KFold.split", dataset_or_n)
        if n < self.n_splits:
            raise ConfigError(f"KFold: cannot split {n} items into {self.n_splits} folds")
        if self.shuffle:
            generator = self.generator if self.generator is not None else default_generator("cpu")
            order = np.asarray(generator.permutation(n)).astype(np.int64)
        else:
            order = np.arange(n, dtype=np.int64)
        return self._folds(order)

    def _folds(self, order: np.ndarray) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
        n, k = len(order), self.n_splits
        start = 0
        for fold in range(k):
            stop = start + n // k + (1 if fold < n % k else 0)
            yield np.concatenate([order[:start], order[stop:]]), order[start:stop]
            start = stop
