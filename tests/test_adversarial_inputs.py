"""Bad data, bad shapes, bad indices, bad hooks and bad settings: each is a minidl error in
minidl's words.

Each row feeds one bad input (``lib`` is ``minidl``, or ``torch`` for the cross-check) and
names the built-in exception PyTorch raises there and a word the message must contain (the op,
or what is wrong). The message must not be NumPy's: NumPy speaks of axes and arrays, and its
text leaked through before (issue 18, item 7). Where PyTorch accepts the input on purpose
(complex numbers; minidl has no complex ops), ``torch_too`` is False.

Read next: ``tests/test_empty_tensors.py``.
"""
from typing import Callable, NamedTuple

import numpy as np
import pytest

import minidl
from minidl.config_checks import ConfigKeyError, ConfigTypeError
from minidl.errors import (
    AutogradError,
    ConfigError,
    DTypeError,
    IntegerOverflowError,
    MinidlError,
    ShapeError,
)

NUMPY_PHRASES = ["operands could not be broadcast", "out of bounds for axis",
                 "boolean index did not match", "could not broadcast input array",
                 "inhomogeneous", "for array", "numpy.newaxis", "value array of shape",
                 "indexing arrays", "str672"]


class Bad(NamedTuple):
    name: str
    call: Callable  # call(lib)
    error: type  # the built-in exception PyTorch raises (minidl's error is one too)
    words: tuple  # what the message must name
    torch_too: bool = True  # PyTorch raises it too (else: minidl differs on purpose)


def x34(lib):
    return lib.zeros(3, 4)


def assign(target, key, value):
    target[key] = value


def idx(lib, values):
    return lib.tensor(values)


BAD = [
    # data that no tensor holds
    Bad("object array", lambda lib: lib.tensor(np.array([1, "a"], dtype=object)), TypeError,
        ("tensor", "object", "'a'", "float32")),
    Bad("str in list", lambda lib: lib.tensor([1, "a"]), TypeError, ("tensor", "str", "'a'")),
    # (PyTorch reads a list of str as one more dimension and raises a ValueError)
    Bad("list of str", lambda lib: lib.tensor(["a", "b"]), TypeError, ("tensor", "str"),
        torch_too=False),
    Bad("str scalar", lambda lib: lib.tensor("a"), TypeError, ("tensor", "str")),
    Bad("complex list", lambda lib: lib.tensor([1 + 2j]), TypeError, ("tensor", "complex128"),
        torch_too=False),
    Bad("complex array", lambda lib: lib.tensor(np.array([1 + 2j])), TypeError,
        ("complex128",), torch_too=False),
    Bad("str array", lambda lib: lib.tensor(np.array(["x"])), TypeError, ("tensor", "str")),
    Bad("bytes array", lambda lib: lib.tensor(np.array([b"x"])), TypeError, ("bytes",)),
    Bad("datetime array", lambda lib: lib.tensor(np.array(["2020-01-01"], "datetime64[D]")),
        TypeError, ("datetime64",)),
    Bad("from_numpy complex", lambda lib: lib.from_numpy(np.array([1j])), TypeError,
        ("from_numpy", "complex128"), torch_too=False),
    Bad("from_numpy object", lambda lib: lib.from_numpy(np.array([None])), TypeError,
        ("from_numpy", "object")),
    Bad("as_tensor str", lambda lib: lib.as_tensor(["a"]), TypeError, ("as_tensor", "str"),
        torch_too=False),
    Bad("as_tensor complex", lambda lib: lib.as_tensor(np.array([1j])), TypeError,
        ("as_tensor", "complex"), torch_too=False),
    Bad("complex dtype", lambda lib: lib.tensor([1.0], dtype=np.complex64), TypeError,
        ("complex64", "float32"), torch_too=False),
    Bad("2**70", lambda lib: lib.tensor(2**70), OverflowError, ("tensor", "int64"),
        torch_too=False),  # (PyTorch: a ValueError, checked below)
    Bad("300 as uint8", lambda lib: lib.tensor([300], dtype=lib.uint8), OverflowError,
        ("uint8",), torch_too=False),  # (PyTorch: a RuntimeError)
    Bad("ragged", lambda lib: lib.tensor([[1, 2], [3]]), ValueError, ("tensor", "dim 1")),
    # shapes that do not broadcast
    Bad("add", lambda lib: x34(lib) + lib.zeros(5), RuntimeError, ("Add", "(3, 4)", "(5,)")),
    Bad("mul 3-d", lambda lib: x34(lib) * lib.zeros(2, 1, 5), RuntimeError,
        ("Mul", "(2, 1, 5)")),
    # indices out of range, masks of the wrong shape
    Bad("x[5]", lambda lib: x34(lib)[5], IndexError, ("index 5", "dim 0", "size 3")),
    Bad("x[-4]", lambda lib: x34(lib)[-4], IndexError, ("index -4", "dim 0", "size 3")),
    Bad("x[:, 9]", lambda lib: x34(lib)[:, 9], IndexError, ("index 9", "dim 1", "size 4")),
    Bad("x[[0, 7]]", lambda lib: x34(lib)[idx(lib, [0, 7])], IndexError, ("index 7", "dim 0")),
    Bad("x[mask]", lambda lib: x34(lib)[idx(lib, [True, False])], IndexError,
        ("mask", "size 2", "size 3")),
    Bad("x[0, 0, 0]", lambda lib: x34(lib)[0, 0, 0], IndexError, ("too many indices",)),
    Bad("index shapes", lambda lib: x34(lib)[idx(lib, [0, 1]), idx(lib, [0, 1, 2])],
        IndexError, ("(2,)", "(3,)")),
    Bad("float index", lambda lib: x34(lib)[idx(lib, [0.5])], IndexError, ("integer",)),
    # x[key] = value
    Bad("x[5] = 1", lambda lib: assign(x34(lib), 5, 1.0), IndexError,
        ("__setitem__", "index 5", "dim 0", "size 3")),
    Bad("x[[0, 7]] = 1", lambda lib: assign(x34(lib), idx(lib, [0, 7]), 1.0), IndexError,
        ("__setitem__", "index 7")),
    Bad("x[mask] = 1", lambda lib: assign(x34(lib), idx(lib, [True, False]), 1.0),
        IndexError, ("__setitem__", "mask")),
    Bad("x[0] = zeros(5)", lambda lib: assign(x34(lib), 0, lib.zeros(5)), RuntimeError,
        ("__setitem__", "(5,)", "(4,)")),
    Bad("x[1, :, idx] = v", lambda lib: assign(lib.zeros(2, 3, 4), (1, slice(None),
                                                                    idx(lib, [0, 1])),
                                               lib.zeros(2, 3)), RuntimeError,
        ("__setitem__", "(2, 3)", "(3, 2)")),
    Bad("x[0] = 'a'", lambda lib: assign(x34(lib), 0, "a"), TypeError, ("__setitem__", "'a'")),
]


@pytest.mark.parametrize("bad", BAD, ids=[b.name for b in BAD])
def test_bad_input_is_a_minidl_error_in_minidl_words(bad):
    with pytest.raises(MinidlError) as info:
        bad.call(minidl)
    assert isinstance(info.value, bad.error), type(info.value).__mro__
    message = str(info.value)
    for word in bad.words:
        assert word in message, (word, message)
    for phrase in NUMPY_PHRASES:
        assert phrase not in message, (phrase, message)


@pytest.mark.parametrize("bad", [b for b in BAD if b.torch_too], ids=lambda b: b.name)
def test_pytorch_raises_the_same_builtin(bad):
    torch = pytest.importorskip("torch")
    with pytest.raises(bad.error):
        bad.call(torch)


def test_the_refused_dtypes_are_named_with_the_supported_ones():
    with pytest.raises(DTypeError, match="complex128.*tensors hold bool, uint8.*float64"):
        minidl.tensor([1 + 2j])
    with pytest.raises(DTypeError, match="string|str"):
        minidl.tensor(["1"], dtype=minidl.float32)  # no silent parsing of text


def test_integers_beyond_int64_are_refused_as_pytorch_refuses_them():
    for data in (2**70, [2**63], [-2**63 - 1]):
        with pytest.raises(IntegerOverflowError, match="out of range for int64"):
            minidl.tensor(data)
    assert minidl.tensor(-2**63).item() == -2**63
    assert minidl.tensor(2**70, dtype=minidl.float64).item() == 2.0**70  # a float is fine
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError):
        torch.tensor(2**70)
    assert issubclass(IntegerOverflowError, ValueError)


def test_setitem_places_dims_as_getitem_and_pytorch():
    """``x[1, :, idx] = v``: the ints first, then the arrays (PyTorch's order), as ``x[key]``."""
    x = minidl.zeros(2, 3, 4)
    key = (1, slice(None), minidl.tensor([0, 2]))
    assert x[key].shape == (3, 2)
    x[key] = minidl.arange(6.0).reshape(3, 2)
    assert np.array_equal(x[key].numpy(), np.arange(6.0).reshape(3, 2))
    assert x.sum().item() == 15.0
    torch = pytest.importorskip("torch")
    t = torch.zeros(2, 3, 4)
    t[1, :, torch.tensor([0, 2])] = torch.arange(6.0).reshape(3, 2)
    assert np.array_equal(t.numpy(), x.numpy())


def test_a_hook_that_changes_the_gradient_is_blamed_by_name():
    def widen(g):
        return minidl.ones(4)

    def to_double(g):
        return g.double()

    for hook, what in ((widen, "shape"), (to_double, "dtype"), (lambda g: 2.0, "float")):
        x = minidl.ones(3, requires_grad=True)
        y = x * 2
        y.register_hook(hook)
        with pytest.raises(AutogradError, match=f"hook '.*({hook.__name__}|lambda).*{what}"):
            y.sum().backward()
        leaf = minidl.ones(3, requires_grad=True)
        leaf.register_hook(hook)
        with pytest.raises(AutogradError, match=what):
            (leaf * 2).sum().backward()
        assert leaf.grad is None


def test_a_float64_gradient_for_a_float32_output_is_cast_as_in_pytorch():
    x = minidl.ones(3, requires_grad=True)
    (x * 2).backward(minidl.tensor([1.0, 2.0, 3.0], dtype=minidl.float64))
    assert x.grad.dtype == minidl.float32 and x.grad.tolist() == [2.0, 4.0, 6.0]
    torch = pytest.importorskip("torch")
    t = torch.ones(3, requires_grad=True)
    (t * 2).backward(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
    assert t.grad.dtype == torch.float32


def _layer_stats(modules):
    from minidl.nn.layer_stats import LayerStats
    return LayerStats(minidl.nn.Sequential(minidl.nn.Linear(2, 2)), modules)


CONFIG = [  # (name, call, minidl error, words the message names)
    ("Dropout p > 1", lambda: minidl.nn.Dropout(1.5), ConfigError, ("Dropout", "1.5")),
    ("Dropout p < 0", lambda: minidl.nn.Dropout(-0.1), ConfigError, ("Dropout", "-0.1")),
    ("Dropout p str", lambda: minidl.nn.Dropout("0.5"), ConfigTypeError, ("Dropout", "'0.5'")),
    ("Dropout p nan", lambda: minidl.nn.Dropout(float("nan")), ConfigError, ("Dropout", "nan")),
    ("dropout p", lambda: minidl.nn.functional.dropout(minidl.ones(2), 2.0), ConfigError,
     ("dropout", "2.0")),
    ("batch_size 0", lambda: minidl.data.DataLoader([1, 2], batch_size=0), ConfigError,
     ("DataLoader", "batch_size", "0")),
    ("batch_size -1", lambda: minidl.data.DataLoader([1, 2], batch_size=-1), ConfigError,
     ("DataLoader", "batch_size", "-1")),
    ("batch_size 1.5", lambda: minidl.data.DataLoader([1, 2], batch_size=1.5), ConfigTypeError,
     ("DataLoader", "batch_size", "1.5")),
    ("LayerStats key", lambda: _layer_stats(["fc"]), ConfigKeyError, ("LayerStats", "'fc'",
                                                                      "'0'")),
    ("Conv2d window", lambda: minidl.nn.Conv2d(1, 1, 5)(minidl.zeros(1, 1, 3, 3)), ShapeError,
     ("Conv2d", "5x5", "3x3")),
    ("MaxPool2d window", lambda: minidl.nn.MaxPool2d(4)(minidl.zeros(1, 1, 3, 3)), ShapeError,
     ("MaxPool2d", "4x4", "3x3")),
]


@pytest.mark.parametrize("name, call, error, words", CONFIG, ids=[row[0] for row in CONFIG])
def test_bad_configuration_is_a_config_error(name, call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_matmul_does_not_promote_as_in_pytorch():
    """Elementwise ops promote float32 with float64; matmul refuses, as in PyTorch."""
    a, b = minidl.ones(2, 2), minidl.ones(2, 2, dtype=minidl.float64)
    assert (a + b).dtype == minidl.float64
    for call in (lambda: a @ b, lambda: minidl.mm(a, b), lambda: minidl.ones(2) @ b[0],
                 lambda: a @ minidl.ones(2, 2, dtype=minidl.int64)):
        with pytest.raises(DTypeError, match="matmul: .*different dtypes.*float32"):
            call()
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.ones(2, 2) @ torch.ones(2, 2, dtype=torch.float64)


def test_view_of_memory_no_view_can_show_is_refused_as_in_pytorch():
    x = minidl.arange(6.0).reshape(2, 3)
    for call in (lambda: x.t().view(6), lambda: x.t().view(-1),
                 lambda: x.t().view_as(minidl.zeros(2, 3)), lambda: x[:, ::2].view(4)):
        with pytest.raises(ShapeError, match=r"view: .*not contiguous.*\.reshape"):
            call()
    assert x.t().view(3, 2).shape == (3, 2)  # (the same shape: a view)
    assert x[:, :2].view(2, 2).tolist() == [[0.0, 1.0], [3.0, 4.0]]  # strides allow it
    assert x.t().contiguous().view(6).tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    y = x.view(3, 2)
    y[0, 0] = 7.0
    assert x[0, 0].item() == 7.0  # a view shares memory
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        torch.arange(6.0).reshape(2, 3).t().view(6)


def test_std_of_constant_values_has_a_zero_gradient_as_in_pytorch():
    x = minidl.tensor([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]], requires_grad=True)
    x.std(1).sum().backward()
    assert x.grad[1].tolist() == [0.0, 0.0, 0.0]
    torch = pytest.importorskip("torch")
    t = torch.tensor([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]], requires_grad=True)
    t.std(1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("correction", [2, 3, 4])
@pytest.mark.parametrize("dim", [1, None, 0])
def test_var_without_degrees_of_freedom_matches_pytorch_without_numpy_warnings(dim, correction):
    """correction >= n: var is inf (NaN for a constant slice) and its gradient PyTorch's
    2 (x - mean) / (n - correction): infinite at n = correction, finite beyond."""
    import warnings
    data = [[0.0, 1.0, 2.0], [3.0, 3.0, 3.0]]
    x = minidl.tensor(data, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # (PyTorch's warning about dof <= 0)
        warnings.simplefilter("error", RuntimeWarning)  # (no NumPy warning may leak)
        y = x.var(dim, correction=correction)
        y.sum().backward()
    torch = pytest.importorskip("torch")
    t = torch.tensor(data, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ty = t.var(dim, correction=correction)
    ty.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-6)
