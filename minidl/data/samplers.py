"""Samplers: the order in which a ``DataLoader`` visits a map-style dataset's indices.

A sampler is an iterable of indices with a length (PyTorch's ``torch.utils.data.Sampler``);
a batch sampler is an iterable of *lists* of indices. The ``DataLoader`` builds one of each
from ``shuffle``, ``batch_size`` and ``drop_last`` unless it is given its own:

* ``SequentialSampler``: ``0, 1, ..., n-1``;
* ``RandomSampler``: a permutation of ``range(n)`` (a new one each epoch); with
  ``replacement=True``, ``num_samples`` independent uniform draws from ``range(n)``;
* ``SubsetRandomSampler(indices)``: a permutation of the given indices;
* ``WeightedRandomSampler(weights, num_samples)``: index ``i`` drawn with probability
  ``weights[i] / sum(weights)`` (PyTorch's ``torch.multinomial``), with or without replacement;
* ``BatchSampler(sampler, batch_size, drop_last)``: cuts the sampler's order into lists of
  ``batch_size`` indices, the last one shorter or dropped.

Randomness comes from a ``minidl.Generator``. Without one, each ``iter(sampler)`` draws
a fresh seed from minidl's default CPU generator (as PyTorch draws from its global one), so
``minidl.manual_seed`` before a run makes every epoch repeat. The streams are minidl's
(NumPy's PCG64), so the orders differ from PyTorch's for the same seed; their statistics do not.

Read next: ``collate.py`` (how the samples of one batch become Tensors).
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, List, Optional, Sequence

import numpy as np

from minidl import random_streams
from minidl.config_checks import ConfigTypeError, check_bool, check_positive_int
from minidl.errors import ConfigError, DeviceError
from minidl.random_streams import Generator


def _generator_or_fresh(generator: Optional[Generator]) -> Generator:
    """``generator``, or a new one seeded from the default CPU generator (one draw)."""
    if generator is None:
        seed = int(random_streams.default_generator("cpu").integers(0, 2**63 - 1, ()))
        return Generator("cpu", seed=seed)
    return generator


def _check_generator(owner: str, generator: Any) -> Optional[Generator]:
    if generator is None:
        return None
    if not isinstance(generator, Generator):
        raise ConfigTypeError(f"{owner}: generator must be a minidl Generator or None, got "
                              f"{type(generator).__name__}")
    if generator.device != "cpu":
        raise DeviceError(f"{owner}: the generator must be on the CPU, got {generator.device}")
    return generator


class Sampler:
    """Base class: subclasses define ``__iter__`` (the indices) and usually ``__len__``."""

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``, always in that order."""

    def __init__(self, data_source: Sequence[Any]):
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """The indices of ``data_source`` in random order.

    Without replacement: a permutation of ``range(n)``; ``num_samples > n`` chains
    ``num_samples // n`` whole permutations and the start of one more, so every index is used
    as evenly as possible. With replacement: ``num_samples`` (default ``n``) independent draws,
    each uniform on ``range(n)``.
    """

    def __init__(self, data_source: Sequence[Any], replacement: bool = False,
                 num_samples: Optional[int] = None, generator: Optional[Generator] = None):
        self.data_source = data_source
        self.replacement = check_bool("RandomSampler", "replacement", replacement)
        if num_samples is not None:
            check_positive_int("RandomSampler", "num_samples", num_samples)
        self._num_samples = num_samples
        self.generator = _check_generator("RandomSampler", generator)

    @property
    def num_samples(self) -> int:
        # Read each time, as in PyTorch: the dataset may change size between epochs.
        return len(self.data_source) if self._num_samples is None else int(self._num_samples)

    def __iter__(self) -> Iterator[int]:
        n, count = len(self.data_source), self.num_samples
        if n == 0:
            if self._num_samples is not None:
                raise ConfigError(f"RandomSampler: cannot draw {count} samples from an empty "
                                  "dataset")
            return iter([])
        rng = _generator_or_fresh(self.generator)
        if self.replacement:
            order = np.asarray(rng.integers(0, n, (count,)), dtype=np.int64)
        else:
            parts = [np.asarray(rng.permutation(n)) for _ in range(count // n)]
            if count % n:
                parts.append(np.asarray(rng.permutation(n))[:count % n])
            order = np.concatenate(parts).astype(np.int64)
        return iter(order.tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices``, in a new random order each epoch."""

    def __init__(self, indices: Sequence[int], generator: Optional[Generator] = None):
        self.indices = indices
        self.generator = _check_generator("SubsetRandomSampler", generator)

    def __iter__(self) -> Iterator[int]:
        rng = _generator_or_fresh(self.generator)
        return iter([self.indices[int(i)] for i in rng.permutation(len(self.indices))])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices, ``i`` drawn with probability ``p_i = weights[i] / sum(weights)``.

    With ``replacement=False`` each index is drawn at most once: every draw picks among the
    indices not yet drawn, with probabilities proportional to their weights (sequential
    sampling without replacement, as ``torch.multinomial``), so ``num_samples`` may not exceed
    the number of non-zero weights.
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Optional[Generator] = None):
        check_positive_int("WeightedRandomSampler", "num_samples", num_samples)
        self.replacement = check_bool("WeightedRandomSampler", "replacement", replacement)
        weights = np.asarray(weights.numpy() if hasattr(weights, "numpy") else weights)
        if weights.ndim != 1 or weights.dtype.kind not in "biuf" or weights.size == 0:
            raise ConfigError(f"WeightedRandomSampler: weights must be a non-empty 1-D sequence "
                              f"of numbers, got shape {weights.shape} and dtype {weights.dtype}")
        weights = weights.astype(np.float64)
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise ConfigError("WeightedRandomSampler: weights must be finite, non-negative and "
                              f"not all zero, got {weights.tolist()!r:.80}")
        nonzero = int(np.count_nonzero(weights))
        if not self.replacement and num_samples > nonzero:
            raise ConfigError(f"WeightedRandomSampler: cannot draw {num_samples} samples without "
                              f"replacement from {nonzero} non-zero weights")
        self.weights = weights
        self.num_samples = int(num_samples)
        self.generator = _check_generator("WeightedRandomSampler", generator)

    def __iter__(self) -> Iterator[int]:
        rng = _generator_or_fresh(self.generator)
        p = self.weights / self.weights.sum()
        # Generator.choice without replacement removes each drawn index and renormalizes the
        # rest: the same sequential scheme as torch.multinomial.
        order = rng.rng.choice(len(p), size=self.num_samples, replace=self.replacement, p=p)
        return iter(np.asarray(order, dtype=np.int64).tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` consecutive indices of ``sampler``'s order.

    ``len`` is ``ceil(len(sampler) / batch_size)``, or ``floor(...)`` with ``drop_last=True``
    (the last, shorter batch is then dropped).
    """

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool):
        self.sampler = sampler
        self.batch_size = int(check_positive_int("BatchSampler", "batch_size", batch_size))
        self.drop_last = check_bool("BatchSampler", "drop_last", drop_last)

    def __iter__(self) -> Iterator[List[int]]:
        batch: List[int] = []
        for index in self.sampler:
            batch.append(int(index))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size
