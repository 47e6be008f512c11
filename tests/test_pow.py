"""``**`` as PyTorch computes it: regressions from the time a Tensor exponent was composed as
exp(y log x), which gave NaN for 0 ** 0, for negative bases and for the gradient at 0, and
turned integer powers into rounded floats.

Read next: ``tests/test_indexing.py``.
"""
import math

import numpy as np
import pytest

import minidl
from minidl.errors import DTypeError
from minidl.testing import gradcheck, gradgradcheck


def f64(values, requires_grad=False):
    return minidl.tensor(values, dtype=minidl.float64, requires_grad=requires_grad)


def test_zero_to_the_zero_is_one_and_negative_bases_have_whole_powers():
    np.testing.assert_array_equal((0 ** minidl.tensor([0.0, 1.0, 2.0])).numpy(), [1, 0, 0])
    np.testing.assert_array_equal((minidl.tensor([-2.0]) ** minidl.tensor([3.0])).numpy(), [-8])
    np.testing.assert_array_equal((minidl.tensor([-2.0]) ** minidl.tensor([2.0])).numpy(), [4])
    inf = math.inf
    np.testing.assert_array_equal((minidl.tensor([-inf, inf, 0.0]) ** minidl.tensor(0.0))
                                  .numpy(), [1, 1, 1])
    assert np.isnan((minidl.tensor([-2.0]) ** minidl.tensor([0.5])).numpy()).all()


def test_the_polynomial_tutorial_features_have_no_nan():
    """PyTorch's "polynomial" tutorials raise x in [-pi, pi] to the powers tensor([1, 2, 3])."""
    x = minidl.linspace(-math.pi, math.pi, 2000)
    features = x.unsqueeze(-1).pow(minidl.tensor([1, 2, 3]))
    assert features.dtype == minidl.float32
    np.testing.assert_allclose(features.numpy(), x.numpy()[:, None] ** [1, 2, 3], rtol=1e-6)


def test_the_gradient_at_zero_follows_pytorch():
    """d/dx x^y at x = 0 is y 0^(y-1): inf for y = 0.5, 0 for y = 2, and 0 for y = 0 (x^0 = 1
    is flat); d/dy is taken as 0 at x = 0 for y >= 0 (PyTorch's convention, not NaN)."""
    x = f64([0.0, 0.0, 0.0, 0.0], requires_grad=True)
    y = f64([0.5, 2.0, 0.0, 1.0], requires_grad=True)
    (x ** y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [math.inf, 0, 0, 1])
    np.testing.assert_array_equal(y.grad.numpy(), [0, 0, 0, 0])


def test_the_gradient_for_a_negative_base():
    x = f64([-2.0, -2.0], requires_grad=True)
    y = f64([3.0, 2.0], requires_grad=True)
    (x ** y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [12.0, -4.0])  # y x^(y-1)
    assert np.isnan(y.grad.numpy()).all()  # y log(x): not real for x < 0, NaN as in PyTorch


@pytest.mark.parametrize("base", [0.5, 1.0, 2.5])
def test_second_derivatives_are_right_at_exponent_zero(base):
    """Only 0^0 is masked in dy/dx: masking every y = 0, as PyTorch does, makes d2/dxdy wrong
    there (0 instead of 1/x)."""
    inputs = [f64([base], requires_grad=True), f64([0.0], requires_grad=True)]
    gradcheck(lambda a, b: a ** b, inputs)
    gradgradcheck(lambda a, b: a ** b, inputs)
    gx, = minidl.grad((inputs[0] ** inputs[1]).sum(), [inputs[0]], create_graph=True)
    _, d2 = minidl.grad(gx.sum(), inputs)
    np.testing.assert_allclose(d2.numpy(), [1 / base])


def test_integer_powers_stay_integer_and_exact():
    for result in [minidl.tensor([11]) ** 7, minidl.tensor([11]) ** minidl.tensor([7]),
                   11 ** minidl.tensor([7]), minidl.tensor([11]).pow(minidl.tensor(7))]:
        assert result.dtype == minidl.int64
        assert result.tolist() == [19487171]
    assert (minidl.tensor([3]) ** minidl.tensor([39])).item() == 3 ** 39  # beyond float64's 2^53


def test_dtypes_follow_pytorch():
    assert (minidl.tensor([2]) ** 0.5).dtype == minidl.float32
    assert (minidl.tensor([2]) ** minidl.tensor([0.5])).dtype == minidl.float32
    assert (2.5 ** minidl.tensor([3])).dtype == minidl.float32
    assert (minidl.tensor([2.0]) ** minidl.tensor([2.0], dtype=minidl.float64)).dtype == \
        minidl.float64
    assert (minidl.tensor([2.0]) ** minidl.tensor([2])).dtype == minidl.float32
    assert (minidl.tensor([True, False]) ** 2).tolist() == [1, 0]
    assert (minidl.tensor([True, False]) ** 2).dtype == minidl.int64
    with pytest.raises(DTypeError, match="pow: not supported for bool"):
        minidl.tensor([True]) ** minidl.tensor([True])


def test_integers_meeting_floats_take_the_default_dtype():
    """int ** 0.5, int / int and int * 0.5 give the default dtype, as in PyTorch."""
    minidl.set_default_dtype(minidl.float64)
    try:
        i = minidl.tensor([2])
        for result in [i ** 0.5, 2.5 ** i, i / 2, i * 0.5, i + minidl.tensor(0.5)]:
            assert result.dtype == minidl.float64
        assert (i ** minidl.tensor([0.5], dtype=minidl.float32)).dtype == minidl.float32
    finally:
        minidl.set_default_dtype(minidl.float32)


@pytest.mark.parametrize("call", [lambda: minidl.tensor([2]) ** -1,
                                  lambda: minidl.tensor([2, 3]) ** minidl.tensor([1, -2]),
                                  lambda: 2 ** minidl.tensor([-1])],
                         ids=["constant", "tensor", "scalar base"])
def test_an_integer_to_a_negative_integer_power_raises(call):
    with pytest.raises(DTypeError, match="integers to negative integer powers") as info:
        call()
    assert isinstance(info.value, RuntimeError)  # what PyTorch raises
