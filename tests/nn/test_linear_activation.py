"""Linear, the activations and Dropout: values against NumPy, first and second derivatives
against central differences (float64), and the layers' conventions.

Kinks: relu and leaky_relu are not differentiable at 0, so their inputs are drawn from
[-3, -0.01] U [0.01, 3]; central differences step 1e-6, far inside that margin.
"""
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl import backend, testing
from minidl.testing import gradcheck, gradgradcheck

np_erf = np.vectorize(math.erf)


def values(shape, away_from_zero=False):
    """float64 arrays in [-3, 3]; with ``away_from_zero``, |x| >= 0.01 (off the kink)."""
    if not away_from_zero:
        return testing.float_arrays(shape)
    magnitude = st.floats(0.01, 3.0)
    elements = st.one_of(magnitude, magnitude.map(lambda v: -v))
    return hnp.arrays(np.float64, shape, elements=elements)


# ---------------------------------------------------------------------------- Linear
@settings(deadline=None)
@given(data=st.data(), batch=testing.shapes(0, 2, max_side=3), n_in=st.integers(1, 4),
       n_out=st.integers(1, 3), bias=st.booleans())
def test_linear_matches_numpy_and_gradchecks(data, batch, n_in, n_out, bias):
    x = data.draw(values(batch + (n_in,)), label="x")
    layer = nn.Linear(n_in, n_out, bias=bias, dtype=minidl.float64)
    expected = x @ layer.weight._array.T + (layer.bias._array if bias else 0)
    np.testing.assert_allclose(layer(minidl.tensor(x))._array, expected, rtol=1e-12, atol=1e-12)
    inputs = [minidl.tensor(x, requires_grad=True), layer.weight]
    inputs += [layer.bias] if bias else []
    gradcheck(F.linear, inputs)
    gradgradcheck(F.linear, inputs)


def test_linear_conventions():
    layer = nn.Linear(784, 10)
    assert layer.weight.shape == (10, 784) and layer.bias.shape == (10,)
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad
    bound = 1 / math.sqrt(784)  # PyTorch's default: kaiming_uniform_(a=sqrt(5)) and U(-b, b)
    assert np.abs(layer.weight._array).max() <= bound and np.abs(layer.bias._array).max() <= bound
    assert np.abs(layer.weight._array).max() > 0.95 * bound
    no_bias = nn.Linear(3, 2, bias=False)
    assert no_bias.bias is None and len(list(no_bias.parameters())) == 1
    x = minidl.randn(5, 3)
    np.testing.assert_allclose(no_bias(x)._array, x._array @ no_bias.weight._array.T, rtol=1e-6)
    assert nn.Linear(3, 2, dtype=minidl.float64).weight.dtype == np.float64
    minidl.manual_seed(7)
    first = nn.Linear(4, 4).weight._array.copy()
    minidl.manual_seed(7)
    np.testing.assert_array_equal(first, nn.Linear(4, 4).weight._array)


def test_identity_flatten_unflatten():
    x = minidl.randn(2, 3, 4, 5)
    assert nn.Identity(54, unused=True)(x) is x
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Unflatten(1, (3, 20))(nn.Flatten()(x)).shape == (2, 3, 20)


# ---------------------------------------------------------------------------- activations
def _softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


@dataclass(frozen=True)
class Act:
    name: str
    fn: Callable[..., minidl.Tensor]      # fn(x, **params)
    module: Callable[..., nn.Module]      # module(**params)
    ref: Callable[..., np.ndarray]        # ref(x, **params)
    params: Callable[[int], Any] = lambda ndim: st.just({})  # strategy of params, given ndim
    kinked: bool = False                  # not differentiable at 0: keep inputs away from it

    def __repr__(self):
        return self.name


def _dims(ndim):
    return st.integers(-ndim, ndim - 1).map(lambda d: {"dim": d})


ACTIVATIONS = [
    Act("relu", F.relu, nn.ReLU, lambda x: np.maximum(x, 0), kinked=True),
    Act("leaky_relu", F.leaky_relu, nn.LeakyReLU,
        lambda x, negative_slope: np.where(x > 0, x, negative_slope * x),
        lambda ndim: st.floats(0.0, 0.5).map(lambda s: {"negative_slope": s}), kinked=True),
    Act("sigmoid", F.sigmoid, nn.Sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    Act("tanh", F.tanh, nn.Tanh, np.tanh),
    Act("gelu", F.gelu, nn.GELU, lambda x: 0.5 * x * (1 + np_erf(x / math.sqrt(2)))),
    Act("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
        lambda: nn.GELU(approximate="tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    Act("softplus", F.softplus, nn.Softplus, lambda x, beta: np.logaddexp(0, beta * x) / beta,
        lambda ndim: st.sampled_from([1.0, 2.0, 0.5]).map(lambda b: {"beta": b})),
    Act("softmax", F.softmax, nn.Softmax, _softmax, _dims),
    Act("log_softmax", F.log_softmax, nn.LogSoftmax,
        lambda x, dim: np.log(_softmax(x, dim)), _dims),
]


@pytest.mark.parametrize("act", ACTIVATIONS, ids=repr)
@settings(deadline=None)
@given(data=st.data(), shape=testing.shapes(1, 3, max_side=3))
def test_activation(act, data, shape):
    x = data.draw(values(shape, away_from_zero=act.kinked), label="x")
    params = data.draw(act.params(len(shape)), label="params")
    out = act.fn(minidl.tensor(x), **params)
    np.testing.assert_allclose(out._array, act.ref(x, **params), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(act.module(**params)(minidl.tensor(x))._array, out._array)
    xt = minidl.tensor(x, requires_grad=True)
    gradcheck(lambda t: act.fn(t, **params), [xt])
    gradgradcheck(lambda t: act.fn(t, **params), [xt])


@pytest.mark.parametrize("act", ACTIVATIONS, ids=repr)
def test_activation_keeps_float32_and_device(act, device):
    x = minidl.randn(4, 3, device=device)
    params = {"dim": 1} if "softmax" in act.name else {}
    out = act.fn(x, **params)
    assert out.dtype == np.float32 and out.device == x.device


def test_erf_is_accurate_to_double_precision():
    x = np.concatenate([np.linspace(-7, 7, 200001), [0.0, -0.0, 1e-300, 50.0, -50.0]])
    got = F.erf(minidl.tensor(x))._array
    assert np.abs(got - np_erf(x)).max() <= 2.5e-16
    assert got[-2] == 1.0 and got[-1] == -1.0
    single = F.erf(minidl.tensor(x, dtype=minidl.float32))._array
    assert single.dtype == np.float32 and np.abs(single - np_erf(x)).max() < 1e-6


def test_gelu_tanh_approximation_is_close_to_exact():
    x = minidl.linspace(-6, 6, 1001, dtype=minidl.float64)
    gap = np.abs(F.gelu(x)._array - F.gelu(x, approximate="tanh")._array).max()
    assert 1e-5 < gap < 1e-3  # close, but a different function


# ---------------------------------------------------------------------------- dropout
def test_dropout_is_identity_in_eval_and_for_p_zero():
    x = minidl.randn(10, 10)
    layer = nn.Dropout(0.3).eval()
    assert layer(x) is x
    assert F.dropout(x, 0.0) is x and F.dropout(x, 0.7, training=False) is x


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_scales_survivors_and_preserves_the_mean(p, device):
    minidl.manual_seed(0)
    x = minidl.ones(400, 500, device=device, requires_grad=True)
    y = F.dropout(x, p)
    data = backend.to_host(y._array)
    assert set(np.unique(data).tolist()) <= {0.0, np.float32(1 / (1 - p))}
    assert abs((data == 0).mean() - p) < 0.005  # 200k Bernoulli draws: std 0.0011
    assert abs(data.mean() - 1) < 0.03  # inverted dropout: E[y] = x
    y.sum().backward()
    np.testing.assert_array_equal(backend.to_host(x.grad._array), data)  # gx = mask / (1 - p)


def test_dropout_is_reproducible_after_manual_seed_and_keeps_dtype():
    x = minidl.randn(50, 20, dtype=minidl.float64)
    layer = nn.Dropout(0.5)
    minidl.manual_seed(123)
    first = layer(x)
    minidl.manual_seed(123)
    second = layer(x)
    np.testing.assert_array_equal(first._array, second._array)
    assert first.dtype == np.float64
    assert not np.array_equal(layer(x)._array, first._array)  # the stream moves on
    assert F.dropout(minidl.randn(3, 3), 0.5).dtype == np.float32


@pytest.mark.parametrize("p", [-0.1, 1, 1.0, 1.5, True, "0.5"])
def test_dropout_probability_out_of_range(p):
    with pytest.raises(ValueError, match=f"p={p!r}"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        F.dropout(minidl.ones(2), p)
