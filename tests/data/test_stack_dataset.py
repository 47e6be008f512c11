"""StackDataset (datasets side by side) and default_convert (arrays to Tensors, unbatched),
against PyTorch's ``torch.utils.data`` where it is installed."""
from collections import OrderedDict, namedtuple

import numpy as np
import pytest

import minidl
from minidl.data import DataLoader, StackDataset, TensorDataset, default_convert
from minidl.errors import ConfigError

Pair = namedtuple("Pair", "x y")


def test_positional_datasets_give_tuples():
    images = TensorDataset(minidl.arange(6.0).reshape(3, 2))
    labels = [10, 11, 12]
    stack = StackDataset(images, labels)
    assert len(stack) == 3
    (image,), label = stack[1]
    assert image.tolist() == [2.0, 3.0] and label == 11
    x, y = next(iter(DataLoader(stack, batch_size=3)))
    assert x[0].shape == (3, 2) and y.tolist() == [10, 11, 12]


def test_keyword_datasets_give_dicts():
    stack = StackDataset(x=[1.0, 2.0], y=["a", "b"])
    assert stack[0] == {"x": 1.0, "y": "a"} and len(stack) == 2


@pytest.mark.parametrize("args, kwargs, match", [
    ((), {}, "at least one"),
    (([1, 2],), {"y": [1, 2]}, "not both"),
    (([1, 2], [1, 2, 3]), {}, "size mismatch"),
])
def test_bad_stacks_are_refused(args, kwargs, match):
    with pytest.raises(ConfigError, match=f"StackDataset: .*{match}"):
        StackDataset(*args, **kwargs)


def test_stack_matches_pytorch():
    torch = pytest.importorskip("torch")
    a, b = list(range(4)), [x * x for x in range(4)]
    theirs = torch.utils.data.StackDataset(a, b)
    assert [StackDataset(a, b)[i] for i in range(4)] == [theirs[i] for i in range(4)]
    theirs = torch.utils.data.StackDataset(p=a, q=b)
    assert [StackDataset(p=a, q=b)[i] for i in range(4)] == [theirs[i] for i in range(4)]


SAMPLES = [
    np.arange(3),
    np.float32(2.5),
    (np.ones(2), 3, "s"),
    Pair(np.zeros(2), [np.int64(4), 1.5]),
    {"a": np.arange(2.0), "b": {"c": np.array([True])}},
    OrderedDict(z=np.arange(1)),
    np.array(["x", "y"]),
    7,
    "text",
]


def _plain(value):
    """A converted sample in plain Python terms, for either library."""
    if hasattr(value, "tolist") and not isinstance(value, np.ndarray):
        return ("tensor", value.tolist(), str(value.dtype).split(".")[-1])
    if isinstance(value, np.ndarray):
        return ("array", value.tolist())
    if isinstance(value, dict):
        return (type(value).__name__, {k: _plain(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_plain(v) for v in value])
    return value


@pytest.mark.parametrize("sample", SAMPLES, ids=[type(s).__name__ for s in SAMPLES])
def test_default_convert_matches_pytorch(sample):
    torch = pytest.importorskip("torch")
    assert _plain(default_convert(sample)) == _plain(torch.utils.data.default_convert(sample))


def test_default_convert_without_pytorch():
    converted = default_convert((np.arange(2), 3))
    assert isinstance(converted, list) and isinstance(converted[0], minidl.Tensor)
    assert converted[1] == 3
    tensor = minidl.ones(2)
    assert default_convert(tensor) is tensor
    assert isinstance(default_convert(Pair(np.ones(1), 2)), Pair)
