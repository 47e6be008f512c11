"""``Tensor.data`` is a Tensor, as in PyTorch: the same storage, detached from the graph.

The raw array is ``numpy()`` (CPU, no grad) or the internal ``_array``. Also here: the two
Python protocols PyTorch programs lean on when they print or plot, ``__format__`` and
``__array__``.

Read next: ``tests/test_views_inplace.py``.
"""
import numpy as np
import pytest

import minidl
from minidl.errors import AutogradError, DTypeError


def test_data_is_a_detached_tensor_sharing_storage():
    p = minidl.tensor([1.0, 2.0], requires_grad=True)
    d = p.data
    assert isinstance(d, minidl.Tensor)
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(d.numpy(), p._array)
    d.add_(10.0)  # changes p: the update idiom of older PyTorch code
    np.testing.assert_array_equal(p.detach().numpy(), [11.0, 12.0])


def test_data_of_a_non_leaf_is_detached_too():
    x = minidl.tensor([1.0, -2.0], requires_grad=True)
    y = x * 3.0
    values, indices = minidl.max(y.data.reshape(1, 2), 1)  # torch.max(out.data, 1)
    assert values.item() == 3.0 and indices.item() == 0
    assert not y.data.requires_grad


def test_an_update_through_data_is_not_recorded_but_is_seen_by_backward():
    """``p.data.mul_(2)`` while a graph saved ``p`` bumps the shared version counter, so the
    backward that would use the changed values refuses, naming the change."""
    p = minidl.tensor([1.0, 2.0], requires_grad=True)
    loss = (p * p).sum()
    p.data.mul_(2.0)
    with pytest.raises(AutogradError, match="modified by an in-place operation"):
        loss.backward()


def test_sgd_step_through_data_matches_no_grad():
    w1 = minidl.tensor([1.0, -1.0], requires_grad=True)
    w2 = minidl.tensor([1.0, -1.0], requires_grad=True)
    for w in (w1, w2):
        (w * w).sum().backward()
    w1.data.sub_(0.1 * w1.grad.data)  # the tutorials' manual update
    with minidl.no_grad():
        w2 -= 0.1 * w2.grad
    np.testing.assert_array_equal(w1.detach().numpy(), w2.detach().numpy())


def test_assigning_data_replaces_the_storage():
    p = minidl.tensor([1.0, 2.0], requires_grad=True)
    loss = (p * p).sum()
    p.data = minidl.tensor([[5.0, 6.0, 7.0]])  # any shape, as in PyTorch
    assert p.shape == (1, 3) and p.requires_grad
    with pytest.raises(AutogradError, match="modified"):
        loss.backward()  # the graph saved the old storage


def test_assigning_data_checks_its_argument():
    p = minidl.tensor([1.0], requires_grad=True)
    with pytest.raises(DTypeError, match="expected a Tensor"):
        p.data = np.zeros(1)
    with pytest.raises(DTypeError, match="requires grad"):
        p.data = minidl.tensor([1, 2])


def test_format_a_one_element_tensor_as_its_number():
    loss = minidl.tensor(0.123456)
    assert f"{loss:.4f}" == "0.1235"
    assert f"{minidl.tensor(-1.5):+.2f}" == "-1.50"
    assert f"{minidl.tensor([1.0, 2.0])}" == str(minidl.tensor([1.0, 2.0]))


def test_numpy_asarray_sees_numbers():
    t = minidl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    a = np.asarray(t)
    assert a.dtype == np.float32 and a.shape == (2, 2)
    np.testing.assert_array_equal(np.asarray(t, dtype=np.float64), [[1, 2], [3, 4]])
