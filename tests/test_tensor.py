"""The Tensor as a container: creation, dtypes and promotion, conversions, repr, item/numpy.

Defaults follow PyTorch: Python floats make float32, ints int64, bools bool; NumPy arrays keep
their dtype; scalars never widen a tensor's dtype, and between tensors the higher category wins.

Read next: ``tests/test_engine.py``.
"""
import warnings

import numpy as np
import pytest

import minidl
from minidl.errors import AutogradError


# ---------------------------------------------------------------------- creation
@pytest.mark.parametrize("data, dtype", [
    ([1.0, 2], np.float32), ([1, 2], np.int64), ([True, False], np.bool_), (3.5, np.float32),
    (3, np.int64), (True, np.bool_), ([[1, 2], [3, 4.5]], np.float32),
    (np.float64(1.5), np.float64), (np.arange(3.0), np.float64),
    (np.array([1, 2], dtype=np.int32), np.int32), (np.float32(2.0), np.float32),
    # NumPy floats inside lists keep their precision (PyTorch 2.13 gives the same dtypes)
    ([np.float64(1.0)], np.float64), ([1.0, np.float64(2.0)], np.float64),
    ([np.float32(1.0), 2], np.float32), ([[1.0], [np.float16(2)]], np.float32),
    ([np.array([1.0, 2.0])], np.float64), ([np.int32(1)], np.int32),
])
def test_tensor_infers_dtype_like_pytorch(data, dtype):
    t = minidl.tensor(data)
    assert t.dtype == dtype and t.is_leaf and not t.requires_grad
    np.testing.assert_array_equal(t.numpy(), np.asarray(data, dtype=dtype))


@pytest.mark.parametrize("dtype", ["float64", np.float64, minidl.float64, np.dtype("float64")])
def test_dtype_can_be_named_many_ways(dtype):
    assert minidl.tensor([1, 2], dtype=dtype).dtype == np.float64
    assert minidl.zeros(2, dtype=dtype).dtype == np.float64


def test_tensor_copies_and_as_tensor_shares():
    source = np.array([1.0, 2.0])
    t, shared = minidl.tensor(source), minidl.as_tensor(source)
    source[0] = 9.0
    assert t.numpy()[0] == 1.0 and shared.numpy()[0] == 9.0
    again = minidl.tensor(t)
    t.numpy()[1] = 7.0
    assert again.numpy()[1] == 2.0
    assert minidl.as_tensor(t) is t


def test_factories_make_the_requested_shapes_and_dtypes():
    assert minidl.zeros(2, 3).shape == minidl.zeros((2, 3)).shape == (2, 3)
    assert minidl.zeros(2, 3).dtype == np.float32 and minidl.zeros(()).shape == ()
    np.testing.assert_array_equal(minidl.ones(2).numpy(), [1.0, 1.0])
    assert minidl.full((2,), 7).dtype == np.int64
    assert minidl.full((2,), 7.0).dtype == np.float32
    assert minidl.empty(4, 1).shape == (4, 1)
    np.testing.assert_array_equal(minidl.eye(2, 3).numpy(), np.eye(2, 3))
    np.testing.assert_array_equal(minidl.arange(5).numpy(), np.arange(5))
    assert minidl.arange(5).dtype == np.int64 and minidl.arange(0, 1, 0.25).dtype == np.float32
    np.testing.assert_allclose(minidl.arange(0, 1, 0.25).numpy(), [0, 0.25, 0.5, 0.75])
    np.testing.assert_allclose(minidl.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    x = minidl.tensor([[1, 2]], dtype=minidl.int32)
    for like in (minidl.zeros_like(x), minidl.ones_like(x), minidl.full_like(x, 3)):
        assert like.shape == (1, 2) and like.dtype == np.int32
    y = minidl.ones(2, requires_grad=True)
    assert y.requires_grad and y.is_leaf


def test_random_factories_are_seeded():
    minidl.manual_seed(3)
    a, u, k = minidl.randn(2, 3), minidl.rand(4), minidl.randint(0, 5, (100,))
    minidl.manual_seed(3)
    np.testing.assert_array_equal(a.numpy(), minidl.randn(2, 3).numpy())
    assert a.dtype == np.float32 and a.shape == (2, 3)
    assert u.dtype == np.float32 and np.all((0 <= u.numpy()) & (u.numpy() < 1))
    assert k.dtype == np.int64 and set(k.numpy().tolist()) == {0, 1, 2, 3, 4}
    gen = minidl.Generator(seed=11)
    b = minidl.randn(3, generator=gen, dtype=minidl.float64)
    assert b.dtype == np.float64
    np.testing.assert_array_equal(
        b.numpy(), minidl.randn(3, generator=minidl.Generator(seed=11), dtype="float64").numpy())
    state = gen.get_state()
    c = minidl.rand(2, generator=gen)
    gen.set_state(state)
    np.testing.assert_array_equal(c.numpy(), minidl.rand(2, generator=gen).numpy())


# ---------------------------------------------------------------------- dtype promotion
@pytest.mark.parametrize("make, dtype", [
    (lambda i, f, d: i + 2.5, np.float32), (lambda i, f, d: i / 2, np.float32),
    (lambda i, f, d: i * 2, np.int64), (lambda i, f, d: i + f, np.float32),
    (lambda i, f, d: f + d, np.float64), (lambda i, f, d: f + d.sum(), np.float32),
    (lambda i, f, d: f * np.float64(2), np.float32), (lambda i, f, d: f * np.array(2.0),
                                                      np.float32),
    (lambda i, f, d: i + minidl.tensor(True), np.int64), (lambda i, f, d: i.exp(), np.float32),
    (lambda i, f, d: (i > 1), np.bool_), (lambda i, f, d: i.sum(), np.int64),
])
def test_dtype_promotion_follows_pytorch(make, dtype):
    i = minidl.tensor([1, 2])
    f = minidl.tensor([1.0, 2.0])
    d = minidl.tensor([1.0, 3.0], dtype=minidl.float64)
    assert make(i, f, d).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("scalar", [0.1, -0.0, 0.0, 1e-45, 3.0e38, 1e300, float("nan"),
                                    -float("inf")])
def test_python_float_operands_give_numpys_results(dtype, scalar):
    """A Python float meeting a CPU tensor becomes a cached 0-d constant of the tensor's dtype
    (a speed-up: see _float_constant), on either side of the operator and with a Parameter as
    with a Tensor; results, signed zeros and overflow and division warnings must stay NumPy's,
    on the first call and on a cached one."""
    data = np.array([1.5, -2.0, 0.0], dtype)
    for x in (minidl.tensor(data), minidl.nn.Parameter(minidl.tensor(data))):
        for _ in range(2):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                expected = [data * scalar, data + scalar, data - scalar,
                            data / scalar if scalar else None, scalar * data, scalar + data,
                            scalar - data, scalar / data]
            with warnings.catch_warnings(record=True) as ours:
                warnings.simplefilter("always")
                results = [x * scalar, x + scalar, x - scalar, x / scalar if scalar else None,
                           scalar * x, scalar + x, scalar - x, scalar / x]
            assert [str(w.message) for w in ours] == [str(w.message) for w in caught]
            for got, want in zip(results, expected):
                if want is not None:
                    assert got.dtype == want.dtype
                    np.testing.assert_array_equal(got.detach().numpy(), want)
                    np.testing.assert_array_equal(np.signbit(got.detach().numpy()),
                                                  np.signbit(want))


def test_the_float_constant_cache_stays_small_and_read_only():
    from minidl.ops.operands import _FLOAT_CONSTANTS
    x = minidl.tensor([1.0, 2.0])
    for i in range(1, 600):
        x * (i / 7)
    assert 0 < len(_FLOAT_CONSTANTS) <= 256
    assert not any(c._array.flags.writeable for c in _FLOAT_CONSTANTS.values())


# ---------------------------------------------------------------------- conversions
def test_conversions_between_dtypes_are_differentiable():
    x = minidl.tensor([1.5, -2.5], requires_grad=True)
    assert x.double().dtype == np.float64 and x.float() is x
    assert x.long().dtype == np.int64 and x.to(minidl.float16).dtype == np.float16
    assert x.to("cpu", minidl.float64).dtype == x.to(dtype="float64").dtype == np.float64
    (x.to(minidl.float64) * 3).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(x.long().numpy(), [1, -2])


def test_item_and_python_numbers():
    assert minidl.tensor(2.5).item() == 2.5 and type(minidl.tensor(2.5).item()) is float
    assert type(minidl.tensor(3).item()) is int and type(minidl.tensor(True).item()) is bool
    assert minidl.tensor([[4.0]]).item() == 4.0
    assert float(minidl.tensor(2.5)) == 2.5 and int(minidl.tensor(3.7)) == 3
    assert bool(minidl.tensor(0.0)) is False and bool(minidl.tensor([1])) is True


def test_numpy_shares_memory_and_tolist_copies():
    t = minidl.tensor([1.0, 2.0])
    t.numpy()[0] = 5.0
    assert t.tolist() == [5.0, 2.0]
    x = minidl.tensor([1.0], requires_grad=True)
    with pytest.raises(AutogradError, match="detach"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0]


def test_shape_queries_and_iteration():
    x = minidl.tensor(np.arange(6.0).reshape(2, 3))
    assert x.shape == x.size() == (2, 3) and x.size(1) == x.size(-1) == 3
    assert x.ndim == x.dim() == 2 and x.numel() == 6 and len(x) == 2
    assert [row.tolist() for row in x] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert x.T.shape == (3, 2) and x.T.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    with pytest.raises(TypeError, match="0-d"):
        len(minidl.tensor(1.0))


def test_requires_grad_switch():
    x = minidl.tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad
    y = x * 2
    with pytest.raises(AutogradError, match="non-leaf"):
        y.requires_grad_(False)
    assert not x.requires_grad_(False).requires_grad


def test_comparisons_give_bool_tensors_without_gradient():
    x = minidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in ((x > 2, [0, 0, 1]), (x <= 2, [1, 1, 0]), (x == 2, [0, 1, 0]),
                             (x != 2, [1, 0, 1]), (~(x > 2), [1, 1, 0]),
                             ((x > 1) & (x < 3), [0, 1, 0]), ((x < 2) | (x > 2), [1, 0, 1])):
        assert result.dtype == np.bool_ and not result.requires_grad
        np.testing.assert_array_equal(result.numpy(), np.array(expected, dtype=bool))
    assert {x: 1}[x] == 1  # hashable by identity, though == is elementwise


# ---------------------------------------------------------------------- repr
@pytest.mark.parametrize("make, text", [
    (lambda: minidl.tensor([1.0, 2.0]), "tensor([1., 2.])"),
    (lambda: minidl.tensor([1, 2]), "tensor([1, 2])"),
    (lambda: minidl.tensor(3.0), "tensor(3.)"),
    (lambda: minidl.tensor([1.5], dtype=minidl.float64), "tensor([1.5000], dtype=minidl.float64)"),
    (lambda: minidl.tensor([1, 2], dtype=minidl.int32), "tensor([1, 2], dtype=minidl.int32)"),
    (lambda: minidl.tensor([1.0], requires_grad=True), "tensor([1.], requires_grad=True)"),
    (lambda: minidl.tensor([1.0], requires_grad=True) * 2, "tensor([2.], grad_fn=<MulBackward0>)"),
    (lambda: minidl.tensor([True, False]), "tensor([ True, False])"),
])
def test_repr_reads_like_pytorch(make, text):
    """(tests/test_printing.py compares many more with PyTorch's own output.)"""
    assert repr(make()) == text


def test_like_constructors_keep_the_memory_layout():
    """As PyTorch's preserve_format: a conv2d output is a batch-last view, and a gradient made
    with ones_like(y) must arrive in that order (else the backward transposes it first)."""
    y = minidl.tensor(np.arange(24.0).reshape(2, 3, 4)).permute(2, 0, 1)
    for made in (minidl.ones_like(y), minidl.zeros_like(y), minidl.full_like(y, 2.5)):
        assert made.shape == y.shape and made._array.strides == y._array.strides
    assert minidl.zeros_like(y, dtype=minidl.float32).dtype == minidl.float32
    assert minidl.full_like(minidl.tensor([1, 2]), 7).dtype == minidl.int64
    np.testing.assert_array_equal(minidl.full_like(y, 2.5).numpy(), np.full((4, 2, 3), 2.5))
