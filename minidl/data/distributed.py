"""DistributedSampler: each rank's share of a dataset, for data-parallel training.

With N processes training one model, each epoch's indices are cut into N disjoint shares,
one per rank, so that together the ranks see the dataset once (PyTorch's
``torch.utils.data.DistributedSampler``, with its semantics):

1. the order: ``range(n)``, or with ``shuffle=True`` a permutation drawn from a generator
   seeded with ``seed + epoch``. Every rank draws the *same* permutation (same seed, same
   epoch) without talking to the others; ``set_epoch(epoch)`` before each epoch gives a new
   one, and forgetting it repeats the first epoch's order forever;
2. equal shares: ``n`` is rounded to a multiple of N, so every rank runs the same number of
   steps (a rank with one batch fewer would leave the others waiting in an all-reduce).
   ``drop_last=False`` pads by repeating indices from the start of the order;
   ``drop_last=True`` drops the tail instead;
3. the share: rank r takes positions r, r + N, r + 2N, ... of that order.

Pass it as ``DataLoader(dataset, batch_size=B, sampler=sampler)``: B is then the batch size of
each rank, and N * B the global batch.

Read next: ``minidl/nn/parallel/reducer.py`` (averaging gradients across ranks).
"""
from __future__ import annotations

import math
from typing import Iterator, Optional

import numpy as np

from minidl.data.dataset import Dataset, _is_int
from minidl.errors import OutOfRangeError
from minidl.random_streams import Generator


class DistributedSampler:
    """The indices of ``dataset`` that rank ``rank`` of ``num_replicas`` uses this epoch.

    ``num_replicas`` and ``rank`` default to the process group's world size and rank
    (``minidl.distributed.init_process_group`` must have run). ``len(sampler)`` is the
    number of indices per rank: ``ceil(n / N)``, or ``floor(n / N)`` with ``drop_last``.
    (The shuffled order comes from minidl's generator, so it differs from PyTorch's.)
    """

    def __init__(self, dataset: Dataset, num_replicas: Optional[int] = None,
                 rank: Optional[int] = None, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False):
        if num_replicas is None or rank is None:
            from minidl import distributed  # only when needed: it is optional machinery
            num_replicas = distributed.get_world_size() if num_replicas is None else num_replicas
            rank = distributed.get_rank() if rank is None else rank
        if not _is_int(num_replicas) or num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be an integer >= 1, got "
                             f"{num_replicas!r}")
        if not _is_int(rank) or not 0 <= rank < num_replicas:
            raise OutOfRangeError(f"DistributedSampler: rank {rank!r} is not in "
                                  f"[0, {num_replicas - 1}]")
        if not _is_int(seed) or seed < 0:
            raise ValueError(f"DistributedSampler: seed must be a non-negative integer, got "
                             f"{seed!r}")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            self.num_samples = n // self.num_replicas  # the tail that does not divide is dropped
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            order = Generator("cpu", seed=self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        if self.total_size > n:  # pad by repeating the order from its start (maybe many times)
            order = np.resize(order, self.total_size)
        else:
            order = order[:self.total_size]
        return iter(order[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s order next (call it before each epoch, on every rank)."""
        if not _is_int(epoch) or epoch < 0:
            raise ValueError(f"DistributedSampler.set_epoch: epoch must be a non-negative "
                             f"integer, got {epoch!r}")
        self.epoch = int(epoch)
