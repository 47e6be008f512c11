"""`x += y` and friends: in place where PyTorch is in place."""
import numpy as np
import pytest

# a fixture: the stand-in device
from fake_device import fake

import minidl
from minidl.errors import AutogradError, DTypeError


def test_parameter_update_under_no_grad_is_in_place():
    w = minidl.tensor([1.0, 2.0], requires_grad=True)
    before = w
    (w * w).sum().backward()
    with minidl.no_grad():
        w -= 0.1 * w.grad
        w *= 2
        w /= 4
        w += 1
    assert w is before and w.is_leaf and w.requires_grad
    expected = ([1.0, 2.0] - 0.1 * np.array([2.0, 4.0])) / 2 + 1
    np.testing.assert_allclose(w.detach().numpy(), expected)
    assert w._version == 4
    assert w.dtype == np.float32


def test_plain_tensor_is_changed_in_place_and_aliases_see_it():
    x = minidl.arange(3)
    alias = x
    x += 2
    assert alias is x and alias.tolist() == [2, 3, 4]


def test_leaf_requiring_grad_under_grad_mode_raises():
    w = minidl.tensor([1.0], requires_grad=True)
    with pytest.raises(AutogradError, match="add_"):
        w += 1


def test_non_leaf_in_graph_is_rebound_out_of_place_and_differentiates():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    original = h
    h += x
    assert h is not original
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])


def test_in_place_operand_on_another_device_is_refused(fake):
    from minidl.errors import DeviceError
    x = minidl.zeros(3)
    with pytest.raises(DeviceError, match="fake"):
        x.add_(minidl.ones(3, device="fake"))


def test_setitem_index_arrays_follow_the_tensor_to_its_device(fake):
    x = minidl.zeros(4, device="fake")
    x[minidl.tensor([0, 2])] = 1.0
    assert x.device == "fake:0" and x.to("cpu").tolist() == [1.0, 0.0, 1.0, 0.0]


@pytest.mark.parametrize("tensor, change", [
    (lambda: minidl.tensor([1, 2, 3]), lambda x: x.add_(1.5)),
    (lambda: minidl.tensor([1, 2, 3]), lambda x: x.__iadd__(0.5)),
    (lambda: minidl.tensor([1, 2, 3]), lambda x: x.mul_(minidl.tensor([1.0, 2.0, 3.0]))),
    (lambda: minidl.tensor([4, 6]), lambda x: x.div_(2)),  # true division: a float result
    (lambda: minidl.tensor([True, False]), lambda x: x.add_(1)),
])
def test_in_place_arithmetic_refuses_to_truncate_its_result(tensor, change):
    """As in PyTorch: an int tensor cannot take a float result in place (it would silently
    lose the fraction), nor a bool tensor an integer one; the tensor is left unchanged."""
    x = tensor()
    before = x.numpy().copy()
    with pytest.raises(DTypeError, match="tensor cannot hold in place"):
        change(x)
    np.testing.assert_array_equal(x.numpy(), before)
    assert x._version == 0


def test_in_place_arithmetic_that_keeps_the_kind_works():
    x = minidl.tensor([1, 2, 3])
    x += 2
    x.mul_(np.int64(2))
    np.testing.assert_array_equal(x.numpy(), [6, 8, 10])
    y = minidl.tensor([1.0, 2.0])
    y.add_(minidl.tensor([1, 1]))  # an int operand into a float tensor is fine
    y.div_(2)
    np.testing.assert_array_equal(y.numpy(), [1.0, 1.5])
    z = minidl.tensor([1, 2])
    z.copy_(np.array([2.7, 3.2]))  # copy_ converts, as PyTorch's does
    np.testing.assert_array_equal(z.numpy(), [2, 3])
