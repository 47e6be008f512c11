"""DistributedSampler: every index once per epoch across ranks (padded or dropped as PyTorch
does), a new order with set_epoch, and batches through DataLoader(sampler=...). No MPI here:
num_replicas and rank are given."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.distributed as dist
from minidl.data import DataLoader, DistributedSampler, TensorDataset
from minidl.errors import OutOfRangeError


class Indices:
    """A dataset of n items (only its length matters to a sampler)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n


def shares(n, replicas, **options):
    return [list(DistributedSampler(Indices(n), replicas, rank, **options))
            for rank in range(replicas)]


@given(n=st.integers(0, 60), replicas=st.integers(1, 7), shuffle=st.booleans(),
       epoch=st.integers(0, 5))
def test_every_index_once_per_epoch_padding_from_the_start(n, replicas, shuffle, epoch):
    samplers = [DistributedSampler(Indices(n), replicas, rank, shuffle=shuffle, seed=3)
                for rank in range(replicas)]
    for s in samplers:
        s.set_epoch(epoch)
    parts = [list(s) for s in samplers]
    per_rank = math.ceil(n / replicas)
    assert all(len(p) == per_rank == len(s) for p, s in zip(parts, samplers))
    # Interleaving the shares back gives the epoch's order, padded with its own beginning.
    order = [parts[i % replicas][i // replicas] for i in range(per_rank * replicas)]
    assert sorted(order[:n]) == list(range(n))
    if n:
        assert order[n:] == [order[i % n] for i in range(per_rank * replicas - n)]
    if not shuffle:
        assert order[:n] == list(range(n))


@given(n=st.integers(0, 60), replicas=st.integers(1, 7), shuffle=st.booleans())
def test_drop_last_gives_equal_disjoint_shares(n, replicas, shuffle):
    parts = shares(n, replicas, shuffle=shuffle, drop_last=True)
    assert all(len(p) == n // replicas for p in parts)
    everything = [i for p in parts for i in p]
    assert len(set(everything)) == len(everything) == replicas * (n // replicas)
    assert set(everything) <= set(range(n))


def test_set_epoch_reshuffles_the_same_way_on_every_rank():
    a = DistributedSampler(Indices(50), 2, 0, seed=7)
    b = DistributedSampler(Indices(50), 2, 0, seed=7)  # another process, same rank
    first = list(a)
    assert list(b) == first and list(a) == first  # no set_epoch: the same order again
    a.set_epoch(1)
    b.set_epoch(1)
    assert list(a) == list(b) != first
    other_seed = DistributedSampler(Indices(50), 2, 0, seed=8)
    assert list(other_seed) != first


def test_shares_without_shuffle_are_strided():
    assert shares(10, 3, shuffle=False) == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    assert shares(10, 3, shuffle=False, drop_last=True) == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    assert shares(2, 5, shuffle=False) == [[0], [1], [0], [1], [0]]


def test_same_indices_as_pytorch_without_shuffle():
    torch_data = pytest.importorskip("torch.utils.data")
    for n, replicas, drop_last in [(10, 3, False), (10, 3, True), (2, 5, False), (12, 4, True),
                                   (7, 2, False), (0, 2, False)]:
        for rank in range(replicas):
            theirs = torch_data.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                                   drop_last=drop_last)
            ours = DistributedSampler(Indices(n), replicas, rank, shuffle=False,
                                      drop_last=drop_last)
            assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_it_composes_with_the_dataloader():
    x = minidl.arange(23, dtype=minidl.float32).reshape(23, 1)
    dataset = TensorDataset(x, minidl.arange(23))
    seen = []
    for rank in range(3):
        sampler = DistributedSampler(dataset, num_replicas=3, rank=rank, seed=1)
        sampler.set_epoch(2)
        loader = DataLoader(dataset, batch_size=4, sampler=sampler)
        assert len(loader) == 2  # 8 indices per rank (23 padded to 24)
        batches = list(loader)
        assert [len(labels) for _, labels in batches] == [4, 4]
        labels = np.concatenate([labels.numpy() for _, labels in batches])
        assert labels.tolist() == list(sampler)  # the loader follows the sampler's order
        seen.extend(labels.tolist())
    assert sorted(set(seen)) == list(range(23)) and len(seen) == 24
    with pytest.raises(ValueError, match="sampler and shuffle=True"):
        DataLoader(dataset, sampler=sampler, shuffle=True)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(OutOfRangeError, match="rank 3 is not in"):
        DistributedSampler(Indices(5), num_replicas=3, rank=3)
    with pytest.raises(ValueError, match="num_replicas must be an integer >= 1"):
        DistributedSampler(Indices(5), num_replicas=0, rank=0)
    with pytest.raises(ValueError, match="epoch must be a non-negative integer"):
        DistributedSampler(Indices(5), 2, 0).set_epoch(-1)
    # Without num_replicas/rank the process group is asked, and there is none here.
    with pytest.raises(dist.DistributedError, match="not initialized"):
        DistributedSampler(Indices(5))
