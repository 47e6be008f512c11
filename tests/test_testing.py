"""gradcheck itself: it passes correct rules and catches every kind of wrong one.

Each deliberately broken Function below has a correct forward and one defect in its backward: a
wrong derivative, a first derivative right but not differentiable (a constant where the input
should be), a gradient of the wrong shape or dtype, a NaN, or a result that changes from call to
call. gradcheck (or gradgradcheck, for the second) must raise GradcheckError naming the input,
the element and both values.

Read next: ``tests/op_table.py``.
"""
import numpy as np
import pytest
from hypothesis import given

import minidl
from minidl import testing
from minidl.function import Function
from minidl.testing import GradcheckError, gradcheck, gradgradcheck


def leaf(values):
    return minidl.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


class Square(Function):
    """y = x^2;  dy/dx = 2x (correct)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * 2 * x


class WrongDerivative(Square):
    """dy/dx = 3x: wrong."""

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * 3 * x


class ConstantInBackward(Square):
    """dy/dx = 2x with x taken as a constant: the value is right, its derivative (2) is lost."""

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * 2 * minidl.tensor(x.detach().numpy().copy())


class WrongShape(Square):
    @staticmethod
    def backward(ctx, gy):
        return gy.sum(0)


class WrongDtype(Square):
    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return (gy * 2 * x).to(minidl.float32)


class NaNBackward(Square):
    @staticmethod
    def backward(ctx, gy):
        return gy * float("nan")


class Drifting(Square):
    """Each call returns a slightly different gradient (say, from an unseeded random op)."""

    calls = 0

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        Drifting.calls += 1
        return gy * 2 * x * (1 + 1e-3 * Drifting.calls)


X = [[0.5, -1.5, 2.0], [1.0, 0.25, -0.75]]


def test_correct_rules_pass():
    assert gradcheck(Square.apply, [leaf(X)])
    assert gradgradcheck(Square.apply, [leaf(X)])
    assert gradcheck(lambda a, b: (a * b).sum(1), [leaf(X), leaf(X[0])])
    assert gradgradcheck(lambda a, b: (a @ b).tanh(), [leaf(X), leaf(np.ones((3, 2)))])


def test_a_wrong_derivative_is_reported_with_input_element_and_values():
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: a + WrongDerivative.apply(b), [leaf(X), leaf(X)])
    message = str(info.value)
    assert "input 1" in message and "(2, 3)" in message
    # the worst element is x = 2.0 at (0, 2): analytic 3x = 6, numerical 2x = 4
    assert "input element (0, 2)" in message and "output element 2" in message
    assert "analytic 6.0" in message and "numerical 4.0" in message
    assert gradcheck(WrongDerivative.apply, [leaf(X)], raise_exception=False) is False


def test_a_backward_that_is_right_but_not_differentiable_fails_gradgradcheck():
    assert gradcheck(ConstantInBackward.apply, [leaf(X)])
    with pytest.raises(GradcheckError, match="analytic 0.0"):
        gradgradcheck(ConstantInBackward.apply, [leaf(X)])


@pytest.mark.parametrize("broken, fragments", [
    (WrongShape, ["shape (3,)", "(2, 3)"]), (WrongDtype, ["float32", "float64"]),
])
def test_a_malformed_gradient_is_reported(broken, fragments):
    with pytest.raises(GradcheckError) as info:
        gradcheck(broken.apply, [leaf(X)])
    assert all(fragment in str(info.value) for fragment in fragments)


def test_a_nan_gradient_is_a_mismatch_not_a_pass():
    with pytest.raises(GradcheckError, match="analytic nan"):
        gradcheck(NaNBackward.apply, [leaf(X)])


def test_a_non_deterministic_backward_is_reported():
    with pytest.raises(GradcheckError, match="not deterministic for input 0"):
        gradcheck(Drifting.apply, [leaf(X)])


def test_inputs_must_require_grad_and_non_leaf_views_work():
    with pytest.raises(GradcheckError, match="no input requires grad"):
        gradcheck(lambda a: a * 2, [minidl.tensor(X, dtype=minidl.float64)])
    x = leaf(X)
    assert gradcheck(lambda a: a.exp(), [x.T])  # a non-contiguous view of a leaf
    assert gradgradcheck(lambda a: a.exp(), [x.T * 1])


def test_gradcheck_leaves_the_inputs_untouched():
    x = leaf(X)
    gradcheck(Square.apply, [x])
    np.testing.assert_array_equal(x.detach().numpy(), X)
    assert x.grad is None


@given(testing.broadcastable_shapes(num_shapes=3))
def test_broadcastable_shapes_strategy_gives_shapes_that_broadcast(shapes):
    assert len(shapes) == 3
    np.broadcast_shapes(*shapes)


@given(testing.shapes().flatmap(lambda s: testing.float_arrays(s, -2.0, 1.0)))
def test_float_arrays_strategy_respects_bounds(a):
    assert a.dtype == np.float64 and np.all((-2.0 <= a) & (a <= 1.0))
