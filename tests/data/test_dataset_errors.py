"""Misuse of datasets and data splits: every bad argument and index is a minidl error, named.

One table: the call, the minidl error class it must raise, and the words its message must hold
(the class or function, the offending value). ``test_dataset.py`` has the working behaviour.
"""
import math

import numpy as np
import pytest

import minidl
from minidl.config_checks import ConfigTypeError
from minidl.data import KFold, Subset, TensorDataset, random_split
from minidl.errors import ConfigError, DTypeError, MinidlError, OutOfRangeError, ShapeError


def data(n=5):
    return TensorDataset(minidl.arange(n), minidl.arange(n) * 2)


CASES = [
    # -- indexing a TensorDataset or a Subset
    ("tensor-dataset-float", lambda: data()[1.5], DTypeError,
     ["TensorDataset", "1.5", "float", "not an integer"]),
    ("tensor-dataset-string", lambda: data()["a"], DTypeError, ["TensorDataset", "'a'", "str"]),
    ("tensor-dataset-none", lambda: data()[None], DTypeError, ["TensorDataset", "None"]),
    ("tensor-dataset-range", lambda: data()[5], OutOfRangeError,
     ["TensorDataset", "index 5", "5 items"]),
    ("tensor-dataset-float-list", lambda: data()[[0, 1.5]], DTypeError,
     ["TensorDataset", "integers", "float64"]),
    ("tensor-dataset-list-range", lambda: data()[[0, 9]], OutOfRangeError,
     ["TensorDataset", "index 9", "5 items"]),
    ("tensor-dataset-mask", lambda: data()[np.array([True, False])], ShapeError,
     ["TensorDataset", "boolean mask", "(2,)", "5 items"]),
    ("subset-float", lambda: Subset(data(), [0, 2])[0.5], DTypeError, ["Subset", "0.5"]),
    ("subset-range", lambda: Subset(data(), [0, 2])[2], OutOfRangeError,
     ["Subset", "index 2", "2 items"]),
    ("subset-not-dataset", lambda: Subset(42, [0]), ConfigTypeError, ["Subset", "int"]),
    # -- constructing
    ("tensor-dataset-empty", lambda: TensorDataset(), ConfigError, ["TensorDataset"]),
    ("random-split-sum", lambda: random_split(data(), [2, 2]), ConfigError,
     ["random_split", "[2, 2]", "5"]),
    ("random-split-negative", lambda: random_split(data(), [6, -1]), ConfigError,
     ["random_split", "non-negative"]),
    ("random-split-fraction", lambda: random_split(data(), [0.5, 0.6]), ConfigError,
     ["random_split", "fractions", "[0.5, 0.6]"]),
    ("random-split-nan", lambda: random_split(data(), [math.nan, 1.0]), ConfigError,
     ["random_split", "nan"]),
    ("random-split-string", lambda: random_split(data(), ["a", 0.5]), ConfigTypeError,
     ["random_split", "lengths", "'a'"]),
    ("random-split-int", lambda: random_split(data(), 3), ConfigTypeError,
     ["random_split", "lengths", "3"]),
    ("random-split-empty", lambda: random_split(data(), []), ConfigError,
     ["random_split", "empty"]),
    ("random-split-generator", lambda: random_split(data(), [2, 3], generator=0),
     ConfigTypeError, ["random_split", "generator", "int"]),
    ("random-split-dataset", lambda: random_split(3, [1]),
     ConfigTypeError, ["random_split", "dataset", "int"]),
    ("kfold-one", lambda: KFold(1), ConfigError, ["KFold", "n_splits", "1", ">= 2"]),
    ("kfold-float", lambda: KFold(2.5), ConfigTypeError, ["KFold", "n_splits", "2.5"]),
    ("kfold-shuffle", lambda: KFold(3, shuffle="yes"), ConfigTypeError,
     ["KFold", "shuffle", "'yes'"]),
    ("kfold-generator", lambda: KFold(3, shuffle=True, generator=np.random.default_rng()),
     ConfigTypeError, ["KFold", "generator", "Generator"]),
    ("kfold-too-few", lambda: KFold(3).split(2), ConfigError, ["KFold", "2 items", "3 folds"]),
    ("kfold-split-arg", lambda: KFold(3).split(None), ConfigTypeError,
     ["KFold.split", "NoneType"]),
]


@pytest.mark.parametrize("call, error, words", [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_bad_input_is_a_minidl_error_naming_it(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, MinidlError)
    for word in words:
        assert word in str(info.value), f"{word!r} not in: {info.value}"


def test_index_arrays_masks_and_slices_still_work():
    dataset = data()
    x, y = dataset[[4, 0, -1]]
    assert x.tolist() == [4, 0, 4] and y.tolist() == [8, 0, 8]
    x, _ = dataset[np.array([True, False, True, False, False])]
    assert x.tolist() == [0, 2]
    x, _ = dataset[minidl.tensor([1, 2])]
    assert x.tolist() == [1, 2]
    x, _ = dataset[1:3]
    assert x.tolist() == [1, 2]
    x, _ = dataset[[]]
    assert x.shape == (0,)
    assert dataset[np.int64(-1)][0].item() == 4
