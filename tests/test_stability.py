"""Numerical stability: large inputs give finite, correct values and gradients.

softmax, log_softmax, logsumexp, sigmoid and tanh are fed inputs up to 1e4 in magnitude (where a
naive exp overflows at about 89 in float32 and 710 in float64) in both float dtypes. Values are
compared with float64 NumPy references written another way (``np.logaddexp``), and gradients
with their closed forms.

Read next: ``tests/test_testing.py``.
"""
import numpy as np
import pytest

import minidl
from minidl import backend

LARGE = np.array([[1e4, -1e4, 0.0, 5e3],
                  [-1e4, -1e4 + 1, -1e4 + 2, 0.5],
                  [-3e3, 2e3, 1e4 - 1, 1e4]])
WEIGHTS = np.array([[1.0, -2.0, 0.5, 3.0],
                    [0.25, -1.0, 2.0, -0.5],
                    [1.5, 0.5, -1.0, 2.0]])


def logsumexp_ref(x):
    return np.logaddexp.reduce(x, axis=1, keepdims=True)


def sigmoid_ref(x):
    """1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below: neither exp overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


# name: (minidl op, reference value, gradient of sum(w * op(x)) from the reference value)
def _softmax_grad(x, w):
    y = np.exp(x - logsumexp_ref(x))
    return y * (w - (w * y).sum(1, keepdims=True))


STABLE = {
    "softmax": (lambda t: t.softmax(1), lambda x: np.exp(x - logsumexp_ref(x)), _softmax_grad),
    "log_softmax": (lambda t: t.log_softmax(-1), lambda x: x - logsumexp_ref(x),
                    lambda x, w: w - np.exp(x - logsumexp_ref(x)) * w.sum(1, keepdims=True)),
    "logsumexp": (lambda t: t.logsumexp(1, keepdim=True), logsumexp_ref,
                  lambda x, w: np.exp(x - logsumexp_ref(x)) * w),
    "sigmoid": (minidl.sigmoid, sigmoid_ref,
                lambda x, w: w * sigmoid_ref(x) * sigmoid_ref(-x)),
    "tanh": (minidl.tanh, np.tanh, lambda x, w: w * (1 - np.tanh(x) ** 2)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", STABLE)
@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["x", "-x"])
def test_large_inputs_give_finite_correct_values_and_gradients(name, dtype, sign, device):
    op, ref, grad_ref = STABLE[name]
    x64 = sign * LARGE
    x = minidl.tensor(x64, dtype=dtype, device=device, requires_grad=True)
    y = op(x)
    w = WEIGHTS[:, :1] if y.shape[1] == 1 else WEIGHTS
    (y * minidl.tensor(w, dtype=dtype, device=device)).sum().backward()
    value, grad = backend.to_host(y._array), backend.to_host(x.grad._array)
    assert y.dtype == dtype and x.grad.dtype == dtype
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    # Rounding errors scale with the inputs' magnitude (1e4): eps * 1e4 is about 1e-3 in
    # float32 and 2e-12 in float64.
    tolerance = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-10,
                                                                          "atol": 1e-10}
    # The float32 input is the float64 one rounded; compare with the reference at that input.
    x_in = x64.astype(dtype).astype(np.float64)
    np.testing.assert_allclose(value, ref(x_in), **tolerance)
    np.testing.assert_allclose(grad, grad_ref(x_in, w), **tolerance)


@pytest.mark.filterwarnings("ignore:divide by zero encountered in log")
def test_infinite_inputs_mask_instead_of_making_nan():
    """-inf is how attention masks a position: it gets probability 0, not NaN."""
    x = minidl.tensor([[0.0, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf]])
    np.testing.assert_allclose(x[:1].softmax(1).numpy(), [[1 / (1 + np.e), 0, np.e / (1 + np.e)]],
                               rtol=1e-6)
    lse = x.logsumexp(1).numpy()
    assert lse[1] == -np.inf and np.isclose(lse[0], np.log(1 + np.e))
