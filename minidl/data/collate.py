"""From a list of indices to one batch: ``default_collate`` (and ``default_convert``, for
samples not batched), and the fetch that uses it.

``fetch(dataset, indices, collate_fn)`` is the whole job of a loader for one batch, in the
main process or in a worker process alike. It goes one of two ways:

* fast path: when the dataset is a ``TensorDataset`` (possibly inside ``Subset``s, as
  ``random_split`` and ``KFold`` make them) and the default collate is used, each tensor's
  array is indexed with the whole index array at once: no Python loop over samples;
* general path: ``collate_fn([dataset[i] for i in indices])``; ``default_collate`` stacks the
  samples field by field (PyTorch's rules, below).

An ``IterableDataset`` has no indices: ``next_iterable_batch`` collates its next samples.

Read next: ``workers.py`` (loading batches in worker processes).
"""
from __future__ import annotations

import copy
import numbers
from typing import Any, Callable, Iterator, Sequence

import numpy as np

import minidl
from minidl.backend import get_array_module, same_device_or_raise, to_device
from minidl.data.dataset import Subset, TensorDataset
from minidl.errors import DTypeError, ShapeError


def _stack(arrays: Sequence[Any]) -> Any:
    """``xp.stack(arrays)``, with a minidl error that lists the shapes when they differ."""
    shapes = sorted({tuple(a.shape) for a in arrays})
    if len(shapes) > 1:
        raise ShapeError(f"default_collate: cannot stack samples of different shapes {shapes}")
    return get_array_module(arrays[0]).stack(arrays)


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge ``batch``, a list of samples, into one batch, field by field (PyTorch's
    ``default_collate``).

    Tensors are stacked along a new first dimension (on their device); NumPy arrays and NumPy
    scalars become a Tensor of their dtype; Python ints an int64 Tensor, floats a float32 Tensor
    (PyTorch: float64; minidl keeps float32 as its default dtype), bools a bool Tensor; strings
    stay a list. Tuples, lists, named tuples and dicts are collated per field, so a sample
    ``(image, label)`` gives a batch ``(images, labels)``.
    """
    if len(batch) == 0:
        raise ValueError("default_collate: cannot collate an empty list of samples")
    # Every array made below is new, so minidl.as_tensor wraps it without a copy.
    first = batch[0]
    if isinstance(first, minidl.Tensor):
        arrays = [s._array for s in batch]
        same_device_or_raise("default_collate", arrays)
        return minidl.as_tensor(_stack(arrays), device=first.device)
    if isinstance(first, (np.ndarray, np.generic)):
        return minidl.as_tensor(_stack([np.asarray(s) for s in batch]))
    # bool before int: Python's bool is a subclass of int.
    if all(isinstance(s, bool) for s in batch):
        return minidl.as_tensor(np.array(batch, dtype=np.bool_))
    if all(isinstance(s, numbers.Integral) for s in batch):
        return minidl.as_tensor(np.array(batch, dtype=np.int64))
    if all(isinstance(s, numbers.Real) for s in batch):
        return minidl.as_tensor(np.array(batch, dtype=np.float32))
    if isinstance(first, str):
        return list(batch)
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in batch]) for key in first}
    if isinstance(first, (tuple, list)):
        sizes = {len(s) for s in batch}
        if len(sizes) > 1:
            raise ShapeError(f"default_collate: samples have different lengths {sorted(sizes)}")
        fields = [default_collate(list(field)) for field in zip(*batch)]
        if hasattr(first, "_fields"):  # a namedtuple: rebuild the same type
            return type(first)(*fields)
        return tuple(fields) if isinstance(first, tuple) else fields
    raise DTypeError(
        f"default_collate: cannot batch samples of type {type(first).__name__}; expected "
        "Tensors, NumPy arrays, numbers, strings, or tuples/lists/dicts of them "
        "(or pass collate_fn=...)"
    )


def default_convert(data: Any) -> Any:
    """Each NumPy array or scalar in ``data`` as a Tensor (no stacking), the rest unchanged:
    the ``collate_fn`` PyTorch's DataLoader uses when ``batch_size=None`` (samples, not
    batches). Containers are converted per field; as in PyTorch, a plain tuple comes back as a
    list, and arrays of strings or objects stay arrays."""
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in "OSUV" else minidl.as_tensor(data)
    if isinstance(data, np.generic):
        return data if isinstance(data, (np.str_, np.bytes_)) else minidl.as_tensor(data)
    if isinstance(data, dict):
        clone = copy.copy(data)  # keeps the mapping's type (OrderedDict, defaultdict, ...)
        clone.update({key: default_convert(value) for key, value in data.items()})
        return clone
    if isinstance(data, tuple):
        fields = [default_convert(d) for d in data]
        return type(data)(*fields) if hasattr(data, "_fields") else fields
    if isinstance(data, list):
        return [default_convert(d) for d in data]
    return data


def move(batch: Any, device: str) -> Any:
    """``batch`` with every Tensor in it moved to ``device`` (same nesting)."""
    if isinstance(batch, minidl.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {key: move(value, device) for key, value in batch.items()}
    if isinstance(batch, (tuple, list)):
        moved = [move(value, device) for value in batch]
        if hasattr(batch, "_fields"):
            return type(batch)(*moved)
        return type(batch)(moved)
    return batch


def fetch(dataset: Any, index: np.ndarray, collate_fn: Callable[[list], Any]) -> Any:
    """The batch for the dataset indices ``index`` (an int64 array); see the module docstring."""
    if collate_fn is default_collate:
        # Look through Subsets to a TensorDataset. Exact types on purpose: a subclass may
        # override __getitem__ (e.g. to transform samples), and must go the general way.
        base, base_index = dataset, index
        while type(base) is Subset:
            base_index = base.indices[base_index]
            base = base.dataset
        if type(base) is TensorDataset:
            return tuple(_gather(t, base_index) for t in base.tensors)
    return collate_fn([dataset[int(i)] for i in index])


def _gather(t: Any, index: np.ndarray) -> Any:
    """Rows ``index`` of tensor ``t`` as a new Tensor: one fancy-indexing operation."""
    rows = t._array[to_device(index, t.device)]
    # as_tensor: ``rows`` is already a fresh array (fancy indexing copies); no second copy.
    return minidl.as_tensor(rows, device=t.device)


def next_iterable_batch(iterator: Iterator[Any], batch_size: int, drop_last: bool,
                        collate_fn: Callable[[list], Any]) -> Any:
    """The next ``batch_size`` samples of an iterable dataset's ``iterator``, collated; raises
    StopIteration at the end (also before a short last batch when ``drop_last``)."""
    samples = []
    for sample in iterator:
        samples.append(sample)
        if len(samples) == batch_size:
            break
    if not samples or (drop_last and len(samples) < batch_size):
        raise StopIteration
    return collate_fn(samples)
