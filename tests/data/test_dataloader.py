"""DataLoader: each index once per epoch, correct lengths, reproducible shuffling, exact resume."""
import json
from collections import namedtuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl.data import DataLoader, Dataset, Subset, TensorDataset, default_collate
from minidl.errors import DTypeError, ShapeError
from minidl.random_streams import Generator, default_generator


class PythonDataset(Dataset):
    """Item i is (i as a float32 array, i as an int): batched by the general, per-sample path."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, index):
        return np.array([index], dtype=np.float32), index

    def __len__(self):
        return self.n


def make_dataset(kind, n):
    """Datasets over 0..n-1 whose batches reveal the indices they hold."""
    if kind == "tensor":  # fast path
        return TensorDataset(np.arange(n, dtype=np.int64))
    if kind == "subset":  # fast path through a Subset: item i is 1000 + i
        return Subset(TensorDataset(np.arange(1000, 1000 + n, dtype=np.int64)), np.arange(n))
    return PythonDataset(n)  # general path


def indices_of(batch, kind):
    if kind == "tensor":
        return batch[0].numpy().tolist()
    if kind == "subset":
        return (batch[0].numpy() - 1000).tolist()
    return batch[1].numpy().tolist()


def epoch(loader, kind):
    return [indices_of(batch, kind) for batch in loader]


@settings(deadline=None)
@given(
    kind=st.sampled_from(["tensor", "subset", "python"]),
    n=st.integers(0, 60),
    batch_size=st.integers(1, 25),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_one_epoch_visits_each_index_once(kind, n, batch_size, shuffle, drop_last, seed):
    loader = DataLoader(
        make_dataset(kind, n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
        generator=Generator(seed=seed),
    )
    full, remainder = divmod(n, batch_size)
    expected_len = full if drop_last or remainder == 0 else full + 1
    assert len(loader) == expected_len
    batches = epoch(loader, kind)
    assert len(batches) == expected_len
    sizes = [len(b) for b in batches]
    assert all(size == batch_size for size in sizes[:full])
    if not drop_last and remainder:
        assert sizes[-1] == remainder
    seen = [i for b in batches for i in b]
    assert len(seen) == len(set(seen)) == (n - remainder if drop_last else n)
    assert set(seen) <= set(range(n))
    if not shuffle:
        assert seen == list(range(len(seen)))


@settings(deadline=None)
@given(kind=st.sampled_from(["tensor", "python"]), seed=st.integers(0, 2**32))
def test_shuffle_is_reproducible_and_changes_between_epochs(kind, seed):
    def two_epochs():
        loader = DataLoader(make_dataset(kind, 40), 8, shuffle=True, generator=Generator(seed=seed))
        return epoch(loader, kind), epoch(loader, kind)

    first, second = two_epochs()
    assert two_epochs() == (first, second)
    assert first != second  # two equal permutations of 40 items: probability 1/40!


def test_manual_seed_fixes_the_order_of_a_loader_built_afterwards():
    def order():
        minidl.manual_seed(7)
        loader = DataLoader(make_dataset("tensor", 30), 30, shuffle=True)
        # Later draws from the default generator (init, dropout) must not change the order.
        default_generator("cpu").normal((3,), np.float32)
        return epoch(loader, "tensor")

    assert order() == order()


def test_batches_hold_tensors_of_the_right_dtype_and_shape():
    x = np.random.default_rng(0).standard_normal((10, 3)).astype(np.float32)
    y = np.arange(10, dtype=np.int64)
    xb, yb = next(iter(DataLoader(TensorDataset(x, y), batch_size=4)))
    assert isinstance(xb, minidl.Tensor) and xb.shape == (4, 3) and xb.dtype == np.float32
    assert yb.dtype == np.int64 and yb.shape == (4,)
    np.testing.assert_array_equal(xb.numpy(), x[:4])
    xb, yb = next(iter(DataLoader(PythonDataset(10), batch_size=4)))
    assert xb.shape == (4, 1) and xb.dtype == np.float32 and yb.dtype == np.int64


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "4", None])
def test_bad_batch_size_names_the_value(bad):
    with pytest.raises(ValueError, match="batch_size") as info:
        DataLoader(PythonDataset(3), batch_size=bad)
    assert repr(bad) in str(info.value)


def test_len_for_every_combination():
    for n in range(0, 12):
        for batch_size in range(1, 14):
            for drop_last in (False, True):
                loader = DataLoader(PythonDataset(n), batch_size, drop_last=drop_last)
                assert len(loader) == sum(1 for _ in loader)
                expected = n // batch_size if drop_last else -(-n // batch_size)
                assert len(loader) == expected


def test_custom_collate_fn_is_used_even_for_tensor_datasets():
    dataset = TensorDataset(np.arange(6))
    loader = DataLoader(dataset, batch_size=4, collate_fn=lambda samples: len(samples))
    assert list(loader) == [4, 2]


def test_device_moves_batches(device):
    loader = DataLoader(PythonDataset(4), batch_size=2, device=device)
    xb, yb = next(iter(loader))
    assert xb.device.startswith(device) and yb.device.startswith(device)
    loader = DataLoader(TensorDataset(np.arange(4)), batch_size=2, shuffle=True, device=device)
    (batch,) = next(iter(loader))
    assert batch.device.startswith(device) and batch.dtype == np.int64


def test_tensor_dataset_on_a_device_is_indexed_there(device):
    data = minidl.tensor(np.arange(10.0, dtype=np.float32), device=device)
    loader = DataLoader(TensorDataset(data), batch_size=4, shuffle=True)
    batches = [batch for (batch,) in loader]
    assert all(b.device == data.device for b in batches)
    values = np.concatenate([b.cpu().numpy() for b in batches])
    assert sorted(values.tolist()) == list(range(10))


# ------------------------------------------------------------------------- default_collate
def test_default_collate_types():
    Pair = namedtuple("Pair", "x y")
    samples = [
        (np.ones(2, np.float64), 1, 0.5, True, "a", {"k": np.int8(3)}, Pair(1, 2.0)),
        (np.zeros(2, np.float64), 2, 1.5, False, "b", {"k": np.int8(4)}, Pair(3, 4.0)),
    ]
    arrays, ints, floats, bools, strings, dicts, pairs = default_collate(samples)
    assert arrays.dtype == np.float64 and arrays.shape == (2, 2)
    assert ints.dtype == np.int64 and ints.numpy().tolist() == [1, 2]
    assert floats.dtype == np.float32 and bools.dtype == np.bool_
    assert strings == ["a", "b"]
    assert dicts["k"].dtype == np.int8
    assert isinstance(pairs, Pair) and pairs.y.dtype == np.float32
    stacked = default_collate([minidl.tensor([1.0, 2.0]), minidl.tensor([3.0, 4.0])])
    assert stacked.shape == (2, 2) and stacked.dtype == np.float32
    assert isinstance(default_collate([[1, 2], [3, 4]]), list)


def test_default_collate_errors():
    with pytest.raises(ShapeError, match=r"different shapes \[\(2,\), \(3,\)\]"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(ShapeError, match="different lengths"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(DTypeError, match="object"):
        default_collate([object(), object()])
    with pytest.raises(ValueError, match="empty"):
        default_collate([])


# ------------------------------------------------------------------------- resuming
@pytest.mark.parametrize("kind", ["tensor", "python"])
@pytest.mark.parametrize("stop_after", [0, 3, 5])  # 5 = the last batch of the epoch
def test_resume_mid_epoch_through_json(kind, stop_after):
    loader = DataLoader(make_dataset(kind, 50), 10, shuffle=True, generator=Generator(seed=1))
    epoch(loader, kind)
    reference = epoch(loader, kind) + epoch(loader, kind)  # epochs 1 and 2, uninterrupted

    loader = DataLoader(make_dataset(kind, 50), 10, shuffle=True, generator=Generator(seed=1))
    epoch(loader, kind)
    batches = iter(loader)  # the epoch starts here, even before the first batch is taken
    seen = [indices_of(next(batches), kind) for _ in range(stop_after)]
    saved = json.dumps(loader.state_dict())  # e.g. inside a checkpoint

    fresh = DataLoader(make_dataset(kind, 50), 10, shuffle=True, generator=Generator(seed=99))
    fresh.load_state_dict(json.loads(saved))
    assert fresh.state_dict() == json.loads(saved)
    resumed = epoch(fresh, kind)
    if stop_after == 5:  # the interrupted epoch was complete: resuming starts epoch 2
        assert seen + resumed == reference[:10]
    else:
        assert seen + resumed == reference[:5]
        assert epoch(fresh, kind) == reference[5:]
        assert fresh.epoch == 3


def test_state_between_epochs_and_without_shuffle():
    loader = DataLoader(make_dataset("tensor", 9), 4)
    assert loader.state_dict() == {"epoch": 0, "batches_done": 0, "generator_state": None}
    epoch(loader, "tensor")
    assert loader.state_dict()["epoch"] == 1
    iterator = iter(loader)
    next(iterator)
    assert loader.state_dict() == {"epoch": 1, "batches_done": 1, "generator_state": None}
    newer = iter(loader)  # the previous epoch was abandoned: this is epoch 2
    assert loader.epoch == 2
    list(iterator)  # reading the stale iterator to its end leaves the new epoch's state alone
    assert loader.state_dict() == {"epoch": 2, "batches_done": 0, "generator_state": None}
    list(newer)
    assert loader.state_dict()["epoch"] == 3


def test_load_state_dict_validates():
    loader = DataLoader(make_dataset("tensor", 9), 4, shuffle=True)
    with pytest.raises(ValueError, match="missing keys"):
        loader.load_state_dict({"epoch": 0})
    with pytest.raises(ValueError, match="batches_done 7"):
        loader.load_state_dict({"epoch": 0, "batches_done": 7, "generator_state": None})
    with pytest.raises(ValueError, match="no generator_state"):
        loader.load_state_dict({"epoch": 0, "batches_done": 0, "generator_state": None})
