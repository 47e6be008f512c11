"""Tensors with no elements behave as in PyTorch: reductions give their identity (sum 0) or NaN
(mean), softmax and friends return empty results, and the reductions that have no answer (max,
argmax of nothing) raise a minidl error. No NumPy RuntimeWarning escapes (issue 18, item 8):
``warnings`` are errors in these tests.

Read next: ``tests/test_out_argument.py``.
"""
import math
import warnings

import numpy as np
import pytest

import minidl
from minidl.errors import ShapeError


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def leaf(*shape):
    return minidl.zeros(*shape, requires_grad=True)


@pytest.mark.parametrize("shape, dim, expected_shape", [((0,), None, ()), ((2, 0), 1, (2,)),
                                                        ((0, 3), 0, (3,))])
def test_mean_of_nothing_is_nan_with_an_empty_gradient(shape, dim, expected_shape):
    x = leaf(*shape)
    y = x.mean() if dim is None else x.mean(dim)
    assert y.shape == expected_shape and np.isnan(y.detach().numpy()).all()
    y.sum().backward()
    assert x.grad.shape == shape


def test_sum_of_nothing_is_zero():
    x = leaf(0)
    y = x.sum()
    assert y.item() == 0.0
    y.backward()
    assert x.grad.shape == (0,)
    assert minidl.zeros(2, 0).sum(1).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_of_an_empty_dim_is_empty(op):
    x = leaf(2, 0)
    y = getattr(x, op)(1)
    assert y.shape == (2, 0)
    y.backward(minidl.zeros(2, 0))
    assert x.grad.shape == (2, 0)
    assert getattr(minidl.zeros(0, 3), op)(1).shape == (0, 3)


def test_logsumexp_of_nothing_is_minus_infinity():
    x = leaf(2, 0)
    y = x.logsumexp(1)
    assert y.tolist() == [-math.inf, -math.inf]
    y.sum().backward()
    assert x.grad.shape == (2, 0)


# (PyTorch raises a RuntimeError for max() of nothing, an IndexError for argmax() and for an
# empty dim: DimError is both)
EXTREMA_OF_NOTHING = [
    ("max", lambda lib: lib.zeros(0).max(), RuntimeError),
    ("min", lambda lib: lib.zeros(0).min(), RuntimeError),
    ("max dim", lambda lib: lib.zeros(2, 0).max(1), IndexError),
    ("argmax", lambda lib: lib.zeros(0).argmax(), IndexError),
    ("argmin dim", lambda lib: lib.zeros(2, 0).argmin(1), IndexError),
]


@pytest.mark.parametrize("name, call, error", EXTREMA_OF_NOTHING,
                         ids=[row[0] for row in EXTREMA_OF_NOTHING])
def test_extrema_of_nothing_are_refused(name, call, error):
    with pytest.raises(ShapeError, match=f"{name.split()[0]}: .*empty") as info:
        call(minidl)
    assert isinstance(info.value, error)
    torch = pytest.importorskip("torch")
    with pytest.raises(error):
        call(torch)


def test_extrema_over_a_non_empty_dim_of_an_empty_tensor_are_empty():
    assert minidl.zeros(0, 3).argmax(1).shape == (0,)
    assert minidl.zeros(0, 3).max(1).values.shape == (0,)


def test_pytorch_agrees():
    torch = pytest.importorskip("torch")
    assert math.isnan(torch.zeros(0).mean().item())
    assert torch.zeros(2, 0).softmax(1).shape == (2, 0)
    assert torch.zeros(2, 0).logsumexp(1).tolist() == [-math.inf, -math.inf]


def test_a_stack_of_matrices_without_columns_times_a_matrix():
    """(2, 3, 0) @ (0, 4): zeros (2, 3, 4), and gradients of the inputs' empty shapes."""
    a, b = minidl.zeros(2, 3, 0, requires_grad=True), minidl.zeros(0, 4, requires_grad=True)
    y = a @ b
    assert y.shape == (2, 3, 4) and (y.detach().numpy() == 0).all()
    y.sum().backward()
    assert a.grad.shape == (2, 3, 0) and b.grad.shape == (0, 4)
