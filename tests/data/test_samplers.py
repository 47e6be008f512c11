"""Samplers, dataset combinators and the DataLoader's argument rules, against PyTorch's.

minidl's random streams are not PyTorch's, so random index sequences are compared by their
properties (a permutation, counts, frequencies), and deterministic ones (sequential, batched,
concatenated) are compared exactly.
"""
import numpy as np
import pytest

import minidl
from minidl.config_checks import ConfigTypeError
from minidl.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
)
from minidl.errors import ConfigError, DTypeError, OutOfRangeError
from minidl.random_streams import Generator


def test_sequential_sampler():
    assert list(SequentialSampler(range(5))) == [0, 1, 2, 3, 4]
    assert len(SequentialSampler(range(5))) == 5 and list(SequentialSampler([])) == []


def test_random_sampler_is_a_permutation_and_changes_between_epochs():
    sampler = RandomSampler(range(30), generator=Generator(seed=3))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(30)) and len(sampler) == 30
    assert first != second


@pytest.mark.parametrize("num_samples", [7, 10, 25])
def test_random_sampler_num_samples_uses_every_index_evenly(num_samples):
    order = list(RandomSampler(range(10), num_samples=num_samples, generator=Generator(seed=0)))
    counts = np.bincount(order, minlength=10)
    assert len(order) == num_samples
    assert counts.max() - counts.min() <= 1  # whole permutations, then the start of one more
    if num_samples >= 10:
        assert sorted(order[:10]) == list(range(10))
    else:
        assert len(set(order)) == num_samples  # part of one permutation: no repeats


def test_random_sampler_with_replacement_is_uniform():
    order = np.array(list(RandomSampler(range(5), replacement=True, num_samples=20000,
                                        generator=Generator(seed=1))))
    assert order.min() >= 0 and order.max() <= 4
    freq = np.bincount(order, minlength=5) / len(order)
    np.testing.assert_allclose(freq, 0.2, atol=0.015)  # ~5 standard deviations
    assert len(set(list(RandomSampler(range(50), replacement=True,
                                      generator=Generator(seed=1))))) < 50  # repeats happen


def test_samplers_repeat_after_manual_seed():
    def orders():
        minidl.manual_seed(11)
        return (list(RandomSampler(range(20))), list(SubsetRandomSampler([5, 6, 7, 8])),
                list(WeightedRandomSampler([1.0, 2.0, 3.0], 12)))

    first = orders()
    assert orders() == first
    minidl.manual_seed(12)
    assert list(RandomSampler(range(20))) != first[0]


def test_subset_random_sampler_permutes_the_given_indices():
    sampler = SubsetRandomSampler([3, 9, 12, 40], generator=Generator(seed=2))
    assert sorted(sampler) == [3, 9, 12, 40] and len(sampler) == 4


def test_weighted_sampler_frequencies_match_the_weights_and_pytorchs():
    weights = [0.1, 0.0, 0.6, 0.3]
    order = np.array(list(WeightedRandomSampler(weights, 20000, generator=Generator(seed=4))))
    freq = np.bincount(order, minlength=4) / len(order)
    np.testing.assert_allclose(freq, weights, atol=0.015)
    torch = pytest.importorskip("torch")
    torch_order = np.array(list(torch.utils.data.WeightedRandomSampler(
        weights, 20000, generator=torch.Generator().manual_seed(4))))
    np.testing.assert_allclose(freq, np.bincount(torch_order, minlength=4) / 20000, atol=0.02)


def test_weighted_sampler_without_replacement_draws_each_index_once():
    weights = [1.0, 0.0, 5.0, 1.0, 3.0]
    firsts = []
    for seed in range(400):
        order = list(WeightedRandomSampler(weights, 4, replacement=False,
                                           generator=Generator(seed=seed)))
        assert sorted(order) == [0, 2, 3, 4]  # the zero weight is never drawn
        firsts.append(order[0])
    # The first draw follows the weights: index 2 with probability 5/10.
    assert abs(np.mean(np.array(firsts) == 2) - 0.5) < 0.1


def test_batch_sampler_equals_pytorchs():
    torch = pytest.importorskip("torch")
    for n in range(0, 11):
        for batch_size in (1, 3, 4):
            for drop_last in (False, True):
                ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
                theirs = torch.utils.data.BatchSampler(
                    torch.utils.data.SequentialSampler(range(n)), batch_size, drop_last)
                assert list(ours) == list(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize("make, error, words", [
    (lambda: RandomSampler(range(3), replacement=1), ConfigTypeError, "replacement"),
    (lambda: RandomSampler(range(3), num_samples=0), ConfigError, "num_samples"),
    (lambda: RandomSampler(range(3), generator=3), ConfigTypeError, "generator"),
    (lambda: WeightedRandomSampler([1.0, -1.0], 2), ConfigError, "non-negative"),
    (lambda: WeightedRandomSampler([0.0, 0.0], 2), ConfigError, "not all zero"),
    (lambda: WeightedRandomSampler([[1.0]], 2), ConfigError, "1-D"),
    (lambda: WeightedRandomSampler([1.0, 0.0, 1.0], 3, replacement=False), ConfigError,
     "3 samples without replacement from 2"),
    (lambda: BatchSampler(range(3), 0, False), ConfigError, "batch_size"),
    (lambda: BatchSampler(range(3), True, False), ConfigTypeError, "batch_size"),
    (lambda: BatchSampler(range(3), 2, "no"), ConfigTypeError, "drop_last"),
])
def test_sampler_arguments_are_checked(make, error, words):
    with pytest.raises(error, match=words):
        make()


# ------------------------------------------------------------------ dataset combinators
def test_concat_dataset_indexes_across_its_parts_as_pytorch():
    a, b = TensorDataset(np.arange(3)), TensorDataset(np.arange(10, 15))
    both = ConcatDataset([a, b, TensorDataset(np.arange(0))])
    assert len(both) == 8 and len(a + b) == 8
    values = [int(both[i][0].item()) for i in range(-8, 8)]
    assert values == [0, 1, 2, 10, 11, 12, 13, 14] * 2
    torch = pytest.importorskip("torch")
    theirs = torch.utils.data.ConcatDataset([range(3), range(5), range(0)])
    assert both.cumulative_sizes == theirs.cumulative_sizes
    with pytest.raises(OutOfRangeError, match="index 8"):
        both[8]
    with pytest.raises(DTypeError, match="1.0"):
        both[1.0]
    with pytest.raises(ConfigError, match="empty"):
        ConcatDataset([])


class Counting(IterableDataset):
    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self):
        return self.stop - self.start


def test_chain_dataset_and_iterable_rules():
    chain = Counting(0, 3) + Counting(10, 12)
    assert isinstance(chain, ChainDataset) and list(chain) == [0, 1, 2, 10, 11]
    assert len(chain) == 5
    with pytest.raises(TypeError, match="iter"):
        Counting(0, 3)[0]
    with pytest.raises(ConfigTypeError, match="ChainDataset"):
        ConcatDataset([Counting(0, 3)])
    with pytest.raises(ConfigTypeError, match="ConcatDataset"):
        ChainDataset([TensorDataset(np.arange(3))])


def test_dataloader_over_an_iterable_dataset():
    batches = [b.numpy().tolist() for b in DataLoader(Counting(0, 7), batch_size=3)]
    assert batches == [[0, 1, 2], [3, 4, 5], [6]]
    loader = DataLoader(Counting(0, 7), batch_size=3, drop_last=True)
    assert [b.numpy().tolist() for b in loader] == [[0, 1, 2], [3, 4, 5]] and len(loader) == 2


# ------------------------------------------------------------------ DataLoader's argument rules
DATA = TensorDataset(np.arange(6))
BAD_ARGUMENTS = [  # (keyword arguments, words of the message); PyTorch refuses each one too
    (dict(sampler=SequentialSampler(DATA), shuffle=True), "mutually exclusive with shuffle"),
    (dict(batch_sampler=BatchSampler(range(6), 2, False), batch_size=2), "batch_sampler"),
    (dict(batch_sampler=BatchSampler(range(6), 2, False), shuffle=True), "batch_sampler"),
    (dict(batch_sampler=BatchSampler(range(6), 2, False), drop_last=True), "batch_sampler"),
    (dict(batch_sampler=BatchSampler(range(6), 2, False), sampler=range(6)), "batch_sampler"),
    (dict(num_workers=-1), "num_workers"),
    (dict(timeout=-1), "timeout"),
    (dict(prefetch_factor=2), "prefetch_factor"),
    (dict(persistent_workers=True), "persistent_workers"),
    (dict(multiprocessing_context="fork"), "multiprocessing_context"),
]


@pytest.mark.parametrize("kwargs, words", BAD_ARGUMENTS)
def test_dataloader_refuses_what_pytorch_refuses(kwargs, words):
    with pytest.raises(ConfigError, match=words):
        DataLoader(DATA, **kwargs)
    torch = pytest.importorskip("torch")
    torch_kwargs = dict(kwargs)
    for key in ("sampler", "batch_sampler"):
        if key in torch_kwargs:  # the same object in PyTorch's own classes
            torch_kwargs[key] = list(torch_kwargs[key])
    with pytest.raises(ValueError):
        torch.utils.data.DataLoader(list(range(6)), **torch_kwargs)


def test_iterable_dataset_refuses_shuffle_and_samplers():
    for kwargs in (dict(shuffle=True), dict(sampler=range(3)),
                   dict(batch_sampler=[[0, 1]])):
        with pytest.raises(ConfigError, match="IterableDataset"):
            DataLoader(Counting(0, 3), **kwargs)


def test_dataloader_builds_pytorchs_samplers():
    loader = DataLoader(DATA, batch_size=4, shuffle=True)
    assert isinstance(loader.sampler, RandomSampler)
    assert isinstance(loader.batch_sampler, BatchSampler) and len(loader) == 2
    assert isinstance(DataLoader(DATA).sampler, SequentialSampler)
    custom = DataLoader(DATA, batch_sampler=[[5, 0], [1]])
    assert [b.numpy().tolist() for (b,) in custom] == [[5, 0], [1]] and len(custom) == 2
    weighted = DataLoader(DATA, batch_size=2, sampler=WeightedRandomSampler([0, 0, 1, 0, 0, 0],
                                                                              4))
    assert [b.numpy().tolist() for (b,) in weighted] == [[2, 2], [2, 2]]


def test_default_collate_nesting_matches_pytorchs():
    torch = pytest.importorskip("torch")
    samples = [{"x": np.ones(2), "y": (1, [2.0, 3.0])}, {"x": np.zeros(2), "y": (4, [5.0, 6.0])}]
    ours = default_collate(samples)
    theirs = torch.utils.data.default_collate(samples)
    assert ours["x"].shape == tuple(theirs["x"].shape)
    np.testing.assert_array_equal(ours["x"].numpy(), theirs["x"].numpy())
    assert ours["y"][0].numpy().tolist() == theirs["y"][0].tolist()
    assert isinstance(ours["y"][1], list) and isinstance(theirs["y"][1], list)
    assert [t.numpy().tolist() for t in ours["y"][1]] == [t.tolist() for t in theirs["y"][1]]
