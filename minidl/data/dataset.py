"""Datasets: anything with ``len(dataset)`` and ``dataset[i]``, plus ways to split one.

* ``Dataset``: the abstract base class (PyTorch's ``torch.utils.data.Dataset``).
* ``TensorDataset(*tensors)``: sample ``i`` is ``(t[i] for t in tensors)``; the ``DataLoader``
  batches it with one fancy-indexing operation per tensor instead of a Python loop per sample.
* ``Subset(dataset, indices)``: a view of some items of another dataset.
* ``random_split(dataset, lengths)``: disjoint random subsets, by counts or by fractions.
* ``KFold(n_splits)``: train/validation index pairs for k-fold cross-validation.

Read next: ``dataloader.py`` (batches), then ``datasets/`` (MNIST and Fashion-MNIST).
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

import minidl
from minidl.backend import Generator, default_generator
from minidl.errors import DTypeError, OutOfRangeError, ShapeError


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


def _is_int(value: Any) -> bool:
    """True for Python and NumPy integers, but not for bools (``True`` is no length or count)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_index(index: int, length: int, owner: str) -> None:
    if not -length <= index < length:
        raise OutOfRangeError(f"{owner}: index {index} is out of range for {length} items")


class TensorDataset(Dataset):
    """Sample ``i`` is the tuple ``(tensors[0][i], tensors[1][i], ...)``.

    Each argument is a minidl Tensor or an array (wrapped with ``minidl.as_tensor``, keeping its
    dtype and memory); all must have the same first dimension. Samples are plain data: indexing
    does not record a graph, so gradients never flow back into a dataset.
    """

    def __init__(self, *tensors: Any):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
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
        if isinstance(index, numbers.Integral):
            _check_index(int(index), len(self), "TensorDataset")
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
        n = len(dataset)
        bad = np.flatnonzero((array < 0) | (array >= n))
        if bad.size:
            raise OutOfRangeError(
                f"Subset: index {int(array[bad[0]])} is out of range for a dataset of {n} items"
            )
        self.dataset = dataset
        # An int64 array (not a list) so the DataLoader can map a whole batch at once.
        self.indices = array.astype(np.int64)

    def __getitem__(self, index: int) -> Any:
        _check_index(index, len(self), "Subset")
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return len(self.indices)


def _split_lengths(n: int, lengths: Sequence[Union[int, float]]) -> List[int]:
    """Integer lengths summing to ``n`` from counts or from fractions (see ``random_split``)."""
    if not lengths:
        raise ValueError("random_split: lengths is empty")
    if all(_is_int(x) for x in lengths):
        counts = [int(x) for x in lengths]
        if any(c < 0 for c in counts) or sum(counts) != n:
            raise ValueError(
                f"random_split: lengths {counts} must be non-negative and sum to the dataset "
                f"length {n} (they sum to {sum(counts)})"
            )
        return counts
    fractions = [float(x) for x in lengths]
    if any(not 0 <= f <= 1 for f in fractions) or not math.isclose(sum(fractions), 1.0):
        raise ValueError(
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
    always counts.) ``generator`` (a ``minidl.backend.Generator``) makes the split repeatable;
    by default ``minidl.manual_seed`` controls it.
    """
    n = len(dataset)
    counts = _split_lengths(n, lengths)
    generator = generator if generator is not None else default_generator("cpu")
    order = np.asarray(generator.permutation(n))
    ends = np.cumsum(counts)
    return [Subset(dataset, order[end - count:end]) for count, end in zip(counts, ends)]


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
        if not _is_int(n_splits) or n_splits < 2:
            raise ValueError(f"KFold: n_splits must be an integer >= 2, got {n_splits!r}")
        self.n_splits = int(n_splits)
        self.shuffle = shuffle
        self.generator = generator

    def get_n_splits(self) -> int:
        return self.n_splits

    def split(
        self, dataset_or_n: Union[Dataset, int]
    ) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_indices, val_indices)`` for each fold; see the class docstring."""
        n = dataset_or_n if isinstance(dataset_or_n, numbers.Integral) else len(dataset_or_n)
        n = int(n)
        # Checked here, not inside the generator below, so a bad call fails where it is made.
        if n < self.n_splits:
            raise ValueError(f"KFold: cannot split {n} items into {self.n_splits} folds")
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
