"""TensorDataset, Subset, random_split and KFold: shapes, errors, and partition properties."""
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl.data import Dataset, KFold, Subset, TensorDataset, random_split
from minidl.errors import DTypeError, MinidlError, OutOfRangeError, ShapeError
from minidl.random_streams import Generator


class Squares(Dataset):
    """A plain Python dataset: item i is i * i."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, index):
        return index * index

    def __len__(self):
        return self.n


def test_dataset_base_class_is_abstract():
    with pytest.raises(NotImplementedError):
        len(Dataset())
    with pytest.raises(NotImplementedError):
        Dataset()[0]


def test_tensor_dataset_items_keep_dtype():
    x = np.arange(12, dtype=np.float64).reshape(4, 3)
    y = np.array([3, 1, 4, 1], dtype=np.int64)
    dataset = TensorDataset(x, minidl.tensor(y))
    assert len(dataset) == 4
    xi, yi = dataset[2]
    assert isinstance(xi, minidl.Tensor) and xi.dtype == np.float64 and xi.shape == (3,)
    assert yi.dtype == np.int64 and yi.shape == () and yi.numpy() == 4
    np.testing.assert_array_equal(dataset[-1][0].numpy(), x[-1])


def test_tensor_dataset_length_mismatch_names_the_lengths():
    with pytest.raises(ShapeError, match=r"lengths \[4, 3\]") as info:
        TensorDataset(np.zeros((4, 2)), np.zeros(3))
    assert isinstance(info.value, MinidlError) and isinstance(info.value, ValueError)
    with pytest.raises(ShapeError, match="0-dimensional"):
        TensorDataset(np.float32(1.0))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


def test_tensor_dataset_index_out_of_range():
    dataset = TensorDataset(np.zeros(3))
    with pytest.raises(OutOfRangeError, match="index 3 is out of range for 3 items"):
        dataset[3]


def test_subset_maps_indices_and_validates_them():
    subset = Subset(Squares(10), [7, 2, 2])
    assert len(subset) == 3 and [subset[i] for i in range(3)] == [49, 4, 4]
    assert subset.indices.dtype == np.int64
    assert len(Subset(Squares(10), [])) == 0
    with pytest.raises(OutOfRangeError, match="index 10 is out of range"):
        Subset(Squares(10), [1, 10])
    with pytest.raises(OutOfRangeError):
        Subset(Squares(10), [-1])
    with pytest.raises(DTypeError, match="integers"):
        Subset(Squares(10), [0.5])
    with pytest.raises(OutOfRangeError):
        subset[3]


# Empty splits (tiny n) warn; that is expected here and not what this test checks.
@pytest.mark.filterwarnings("ignore:random_split")
@settings(deadline=None)
@given(
    n=st.integers(0, 200),
    weights=st.lists(st.integers(1, 10), min_size=1, max_size=5),
    seed=st.integers(0, 2**32),
)
def test_random_split_by_fractions_is_a_partition(n, weights, seed):
    fractions = [w / sum(weights) for w in weights]
    parts = random_split(Squares(n), fractions, generator=Generator(seed=seed))
    sizes = [len(p) for p in parts]
    assert sum(sizes) == n
    # Each split gets floor(n * f) items plus at most one of the remainder.
    for size, f in zip(sizes, fractions):
        assert int(np.floor(n * f)) - 1 <= size <= int(np.floor(n * f)) + 1
    everything = np.concatenate([p.indices for p in parts])
    assert sorted(everything.tolist()) == list(range(n))


@settings(deadline=None)
@given(counts=st.lists(st.integers(0, 30), min_size=1, max_size=5), seed=st.integers(0, 2**32))
def test_random_split_by_counts_is_reproducible_partition(counts, seed):
    n = sum(counts)
    parts = random_split(Squares(n), counts, generator=Generator(seed=seed))
    again = random_split(Squares(n), counts, generator=Generator(seed=seed))
    assert [len(p) for p in parts] == counts
    for a, b in zip(parts, again):
        np.testing.assert_array_equal(a.indices, b.indices)
    everything = np.concatenate([p.indices for p in parts])
    assert sorted(everything.tolist()) == list(range(n))


def test_random_split_remainder_goes_round_robin():
    # floor(10 * 0.3) = 3 three times, remainder 1 goes to the first split (as in PyTorch).
    parts = random_split(Squares(10), [0.3, 0.3, 0.4], generator=Generator(seed=0))
    assert [len(p) for p in parts] == [3, 3, 4]
    parts = random_split(Squares(11), [1 / 3, 1 / 3, 1 / 3], generator=Generator(seed=0))
    assert [len(p) for p in parts] == [4, 4, 3]


@pytest.mark.parametrize("lengths", [[3, 3], [5, 6], [-1, 11], [0.5, 0.6], [1.5, -0.5], []])
def test_random_split_bad_lengths(lengths):
    with pytest.raises(ValueError):
        random_split(Squares(10), lengths)


def test_random_split_default_generator_follows_manual_seed():
    minidl.manual_seed(3)
    first = random_split(Squares(50), [25, 25])[0].indices
    minidl.manual_seed(3)
    np.testing.assert_array_equal(random_split(Squares(50), [25, 25])[0].indices, first)


@settings(deadline=None)
@given(
    n=st.integers(2, 120),
    k=st.integers(2, 10),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_kfold_validation_folds_partition_the_items(n, k, shuffle, seed):
    if n < k:
        with pytest.raises(ValueError, match=f"cannot split {n} items into {k} folds"):
            KFold(k).split(n)
        return
    folds = list(KFold(k, shuffle=shuffle, generator=Generator(seed=seed)).split(Squares(n)))
    assert len(folds) == k
    val_sizes = [len(val) for _, val in folds]
    assert max(val_sizes) - min(val_sizes) <= 1
    assert val_sizes == sorted(val_sizes, reverse=True)  # the larger folds come first
    all_val = np.concatenate([val for _, val in folds])
    assert sorted(all_val.tolist()) == list(range(n))
    for train, val in folds:
        assert train.dtype == np.int64 and val.dtype == np.int64
        assert not set(train.tolist()) & set(val.tolist())
        assert sorted(np.concatenate([train, val]).tolist()) == list(range(n))
    if not shuffle:
        np.testing.assert_array_equal(all_val, np.arange(n))


def test_kfold_folds_feed_subsets_and_reject_bad_n_splits():
    train, val = next(KFold(4).split(Squares(10)))
    assert [Subset(Squares(10), val)[i] for i in range(3)] == [0, 1, 4]
    assert len(Subset(Squares(10), train)) == 7
    assert KFold(4).get_n_splits() == 4
    for bad in (1, 0, 2.0, True, "3"):
        with pytest.raises(ValueError, match=repr(bad)):
            KFold(bad)


def test_empty_split_warns():
    with pytest.warns(UserWarning, match="split 1 of fraction 0.0 is empty"):
        random_split(Squares(3), [1.0, 0.0])


def test_split_indices_survive_json():
    # Indices survive a JSON round trip (e.g. saved with a checkpoint) and give the same Subset.
    indices = random_split(Squares(6), [3, 3], generator=Generator(seed=1))[0].indices
    restored = Subset(Squares(6), json.loads(json.dumps(indices.tolist())))
    np.testing.assert_array_equal(restored.indices, indices)
