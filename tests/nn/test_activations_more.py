"""The activation layers of ``minidl/nn/layers/activation_more.py``: their values and gradients
against PyTorch's layers (PReLU given the same weight), their reprs and state_dicts as
PyTorch's, the checks of their settings, and stability at large |x|. The functions' first and
second derivatives are checked by the op table (``tests/op_rows_nn.py``).

Inputs stay off the corners: the samples lie 0.05..0.2 above a multiple of 0.25, and every
corner (0, 6, -3, 3, the bounds and thresholds below) is a multiple of 0.25.
"""
import numpy as np
import pytest

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl.config_checks import ConfigTypeError
from minidl.errors import ConfigError, DimError, ShapeError

# (minidl layer, the same layer in PyTorch's spelling: evaluated with torch.nn as nn)
LAYERS = [
    (lambda: nn.SiLU(), "nn.SiLU()"),
    (lambda: nn.ELU(), "nn.ELU()"),
    (lambda: nn.ELU(alpha=0.5, inplace=True), "nn.ELU(alpha=0.5, inplace=True)"),
    (lambda: nn.CELU(alpha=2.0), "nn.CELU(alpha=2.0)"),
    (lambda: nn.SELU(), "nn.SELU()"),
    (lambda: nn.Hardtanh(), "nn.Hardtanh()"),
    (lambda: nn.Hardtanh(-0.5, 1.5, True), "nn.Hardtanh(-0.5, 1.5, True)"),
    (lambda: nn.ReLU6(), "nn.ReLU6()"),
    (lambda: nn.ReLU6(inplace=True), "nn.ReLU6(inplace=True)"),
    (lambda: nn.Hardsigmoid(), "nn.Hardsigmoid()"),
    (lambda: nn.Hardswish(inplace=True), "nn.Hardswish(inplace=True)"),
    (lambda: nn.Threshold(0.5, -2.0), "nn.Threshold(0.5, -2.0)"),
    (lambda: nn.Mish(), "nn.Mish()"),
    (lambda: nn.Softsign(), "nn.Softsign()"),
    (lambda: nn.LogSigmoid(), "nn.LogSigmoid()"),
    (lambda: nn.Softmin(dim=1), "nn.Softmin(dim=1)"),
    (lambda: nn.GLU(), "nn.GLU()"),
    (lambda: nn.GLU(dim=1), "nn.GLU(dim=1)"),
    (lambda: nn.PReLU(), "nn.PReLU()"),
    (lambda: nn.PReLU(num_parameters=4, init=0.1), "nn.PReLU(num_parameters=4, init=0.1)"),
    (lambda: nn.ReLU(inplace=True), "nn.ReLU(inplace=True)"),
    (lambda: nn.LeakyReLU(0.2, inplace=True), "nn.LeakyReLU(0.2, inplace=True)"),
]
IDS = [spelling for _, spelling in LAYERS]


def off_corners(shape, seed=0, low=-4.0, high=8.0):
    """Values in [low, high], each 0.05..0.2 above a multiple of 0.25."""
    u = np.random.default_rng(seed).uniform(low, high, shape)
    k = np.floor(4 * u)
    return k / 4 + 0.05 + 0.15 * (4 * u - k)


@pytest.mark.parametrize("make, spelling", LAYERS, ids=IDS)
def test_values_gradients_repr_and_state_dict_match_pytorch(make, spelling):
    torch = pytest.importorskip("torch")
    layer, expected = make(), eval(spelling, {"nn": torch.nn}).double()
    params = dict(layer.named_parameters())
    for name, p in expected.named_parameters():  # PReLU: a weight not all equal
        with torch.no_grad():
            p.copy_(torch.linspace(-0.3, 0.4, p.numel(), dtype=p.dtype))
        params[name].data = minidl.tensor(p.detach().numpy())
    assert repr(layer) == repr(expected)
    assert list(layer.state_dict()) == list(expected.state_dict())

    a = off_corners((3, 4, 2))
    x = minidl.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    y, z = layer(x), expected(t.clone())  # (PyTorch's inplace layers refuse a leaf)
    np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), rtol=1e-6, atol=1e-7)
    cotangent = np.random.default_rng(1).standard_normal(z.shape)
    (y * minidl.tensor(cotangent)).sum().backward()
    (z * torch.tensor(cotangent)).sum().backward()
    # rtol 1e-6: PyTorch's hardsigmoid gradient multiplies by 1/6 rounded to float32
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-7)
    for name, p in expected.named_parameters():
        np.testing.assert_allclose(params[name].grad.numpy(), p.grad.numpy(),
                                   rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("make, spelling", LAYERS, ids=IDS)
def test_float32_stays_float32(make, spelling):
    layer = make()
    x = minidl.tensor(off_corners((2, 4, 2)).astype(np.float32))
    y = layer(x)
    assert y.dtype == minidl.float32
    assert np.isfinite(y.detach().numpy()).all()


def test_prelu_starts_at_init_and_learns_one_slope_per_channel():
    layer = nn.PReLU(3, init=0.1)
    assert layer.weight.shape == (3,) and layer.weight.dtype == minidl.float32
    np.testing.assert_array_equal(layer.weight.detach().numpy(), np.full(3, 0.1, np.float32))
    x = minidl.tensor(-np.ones((2, 3, 2), np.float32))
    layer(x).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.numpy(), np.full(3, -4.0, np.float32))
    layer.weight.data = minidl.zeros(3)
    layer.reset_parameters()
    np.testing.assert_array_equal(layer.weight.detach().numpy(), np.full(3, 0.1, np.float32))
    with pytest.raises(ShapeError, match="prelu: weight has 3 elements .* 4 channels"):
        layer(minidl.zeros(2, 4))


def test_large_inputs_give_finite_values_and_gradients():
    x = minidl.tensor([-800.0, -30.0, 30.0, 800.0], dtype=minidl.float64, requires_grad=True)
    for fn in (F.logsigmoid, F.mish, F.elu, F.selu, F.celu, F.silu, F.softsign):
        y = fn(x)
        (grad,) = minidl.autograd.grad(y.sum(), [x])
        assert np.isfinite(y.detach().numpy()).all(), fn.__name__
        assert np.isfinite(grad.numpy()).all(), fn.__name__
    np.testing.assert_allclose(F.logsigmoid(x).detach().numpy(), [-800, -30, -9.357623e-14, 0],
                               rtol=1e-6, atol=1e-300)
    np.testing.assert_allclose(F.mish(x).detach().numpy()[[0, 3]], [0, 800], atol=1e-300)


def test_piecewise_corners_take_pytorch_slopes():
    """hardtanh and threshold have slope 0 at their corners, as in PyTorch; elu and celu the
    left-hand slope at 0 (alpha, and 1)."""
    x = minidl.tensor([-1.0, 0.0, 1.0], dtype=minidl.float64, requires_grad=True)
    for fn, slopes in [(F.hardtanh, [0, 1, 0]), (F.relu6, [0, 0, 1]),
                       (lambda a: F.threshold(a, 0.0, 5.0), [0, 0, 1]),
                       (lambda a: F.elu(a, 0.5), [0.5 * np.exp(-1), 0.5, 1]),
                       (lambda a: F.celu(a, 0.5), [np.exp(-2), 1, 1])]:
        (grad,) = minidl.autograd.grad(fn(x).sum(), [x])
        np.testing.assert_allclose(grad.numpy(), slopes, rtol=1e-12)


def test_glu_halves_and_gates():
    x = minidl.tensor(np.arange(8.0).reshape(2, 4))
    a, b = np.arange(8.0).reshape(2, 4)[:, :2], np.arange(8.0).reshape(2, 4)[:, 2:]
    np.testing.assert_allclose(F.glu(x).numpy(), a / (1 + np.exp(-b)), rtol=1e-6)
    assert F.glu(x, 0).shape == (1, 4)


@pytest.mark.parametrize("call, error, words", [
    (lambda: nn.Hardtanh(1.0, -1.0), ConfigError, ["Hardtanh", "min_val"]),
    (lambda: F.hardtanh(minidl.zeros(2), 1.0, 0.0), ConfigError, ["hardtanh", "max_val"]),
    (lambda: nn.CELU(alpha=0.0), ConfigError, ["CELU", "alpha"]),
    (lambda: F.celu(minidl.zeros(2), 0.0), ConfigError, ["celu", "alpha"]),
    (lambda: nn.ELU(alpha="1"), ConfigTypeError, ["ELU", "alpha"]),
    (lambda: nn.Threshold(float("nan"), 0.0), ConfigError, ["Threshold", "threshold"]),
    (lambda: nn.PReLU(0), ConfigError, ["PReLU", "num_parameters"]),
    (lambda: nn.Softmin(dim=None), ConfigTypeError, ["Softmin", "dim"]),
    (lambda: F.glu(minidl.zeros(2, 3)), ShapeError, ["glu", "even", "(2, 3)"]),
    (lambda: F.glu(minidl.zeros(2, 4), 2), DimError, ["glu", "dim 2"]),
    (lambda: F.glu(minidl.zeros(())), ShapeError, ["glu", "0-d"]),
    (lambda: F.prelu(minidl.zeros(2, 3), minidl.zeros(2)), ShapeError, ["prelu", "3 channels"]),
    (lambda: F.prelu(minidl.zeros(3), [0.25]), minidl.errors.DTypeError, ["prelu", "list"]),
    (lambda: F.silu(minidl.zeros(2, dtype=minidl.int64)), minidl.errors.DTypeError,
     ["silu", "int64"]),
])
def test_bad_settings_and_inputs_are_named(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))
