"""GroupNorm, InstanceNorm1d/2d/3d, RMSNorm (``minidl/nn/layers/sample_norm.py``) against PyTorch's
layers given the same weights: outputs, gradients, running statistics, reprs and state_dicts;
and the channel dropouts and alpha dropout (``minidl/nn/dropout_functional.py``): their masks
(whole channels), scaling (PyTorch's), statistics under a seed, and eval mode. The functions'
derivatives are checked by the op table (``tests/op_rows_nn.py``).
"""
import numpy as np
import pytest

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl.errors import ConfigError, ShapeError

RNG = np.random.default_rng(0)


def _same_parameters(layer, expected, torch):
    """Give both layers the same random float64 parameters."""
    params = dict(layer.named_parameters())
    assert sorted(params) == sorted(name for name, _ in expected.named_parameters())
    for name, p in expected.named_parameters():
        value = RNG.standard_normal(tuple(p.shape))
        with torch.no_grad():
            p.copy_(torch.tensor(value))
        params[name].data = minidl.tensor(value)


def _compare(layer, expected, a, torch):
    """Outputs and gradients (input and parameters) of both layers on the array ``a``."""
    x, t = minidl.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, z = layer(x), expected(t)
    np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), rtol=1e-10, atol=1e-12)
    cotangent = RNG.standard_normal(tuple(z.shape))
    (y * minidl.tensor(cotangent)).sum().backward()
    (z * torch.tensor(cotangent)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-11)
    params = dict(layer.named_parameters())
    for name, p in expected.named_parameters():
        np.testing.assert_allclose(params[name].grad.numpy(), p.grad.numpy(), rtol=1e-9,
                                   atol=1e-11)
        params[name].grad, p.grad = None, None


NORMS = [
    ("nn.GroupNorm(2, 4)", (3, 4, 5)),
    ("nn.GroupNorm(1, 6, eps=1e-3)", (2, 6, 2, 2)),
    ("nn.GroupNorm(3, 3, affine=False)", (2, 3, 4)),
    ("nn.GroupNorm(2, 4, bias=False)", (2, 4)),
    ("nn.InstanceNorm1d(3)", (2, 3, 5)),
    ("nn.InstanceNorm1d(3, affine=True)", (3, 5)),
    ("nn.InstanceNorm2d(4, affine=True)", (2, 4, 3, 3)),
    ("nn.InstanceNorm2d(2, eps=1e-3)", (2, 3, 3)),
    ("nn.InstanceNorm3d(2, affine=True)", (2, 2, 2, 3, 2)),
    ("nn.InstanceNorm3d(2)", (2, 3, 2, 2)),
    ("nn.RMSNorm(5)", (2, 3, 5)),
    ("nn.RMSNorm([3, 5], eps=1e-4)", (2, 3, 5)),
    ("nn.RMSNorm(4, elementwise_affine=False)", (4,)),
]


@pytest.mark.parametrize("spelling, shape", NORMS, ids=[s for s, _ in NORMS])
def test_layers_match_pytorch(spelling, shape):
    torch = pytest.importorskip("torch")
    layer, expected = eval(spelling, {"nn": nn}).double(), eval(spelling, {"nn": torch.nn}).double()
    assert repr(layer) == repr(expected)
    assert list(layer.state_dict()) == list(expected.state_dict())
    _same_parameters(layer, expected, torch)
    for mode in ("train", "eval"):
        getattr(layer, mode)()
        getattr(expected, mode)()
        _compare(layer, expected, RNG.standard_normal(shape) * 2 + 1, torch)


@pytest.mark.parametrize("spelling, shape", [
    ("nn.InstanceNorm2d(3, track_running_stats=True)", (2, 3, 4, 4)),
    ("nn.InstanceNorm1d(3, momentum=0.3, affine=True, track_running_stats=True)", (3, 6)),
    ("nn.InstanceNorm1d(2, momentum=None, track_running_stats=True)", (4, 2, 3)),
])
def test_instance_norm_running_statistics_match_pytorch(spelling, shape):
    torch = pytest.importorskip("torch")
    layer, expected = eval(spelling, {"nn": nn}).double(), eval(spelling, {"nn": torch.nn}).double()
    assert repr(layer) == repr(expected)
    assert list(layer.state_dict()) == list(expected.state_dict())
    _same_parameters(layer, expected, torch)
    for _ in range(3):
        _compare(layer, expected, RNG.standard_normal(shape) * 3 - 1, torch)
    for name, buffer in expected.named_buffers():
        np.testing.assert_allclose(layer.state_dict()[name].numpy(), buffer.numpy(),
                                   rtol=1e-12, atol=1e-14, err_msg=name)
    layer.eval()
    expected.eval()
    _compare(layer, expected, RNG.standard_normal(shape), torch)


def test_group_norm_of_one_group_per_channel_is_instance_norm():
    x = minidl.tensor(RNG.standard_normal((2, 4, 3)))
    np.testing.assert_allclose(F.group_norm(x, 4).numpy(), F.instance_norm(x).numpy(),
                               rtol=1e-12, atol=1e-12)


def test_rms_norm_with_machine_epsilon_and_normalize_of_the_zero_vector():
    x = minidl.tensor([[3.0, 4.0], [0.0, 0.0]], dtype=minidl.float64, requires_grad=True)
    np.testing.assert_allclose(F.normalize(x).detach().numpy(), [[0.6, 0.8], [0, 0]])
    np.testing.assert_allclose(F.normalize(x, dim=0).detach().numpy(), [[1, 1], [0, 0]])
    (grad,) = minidl.autograd.grad(F.normalize(x).sum(), [x])
    assert np.isfinite(grad.numpy()).all()
    y = F.rms_norm(x, (2,))  # eps = float64's machine epsilon: the zero row stays finite
    np.testing.assert_allclose(y.detach().numpy(), [[3 / 12.5 ** 0.5, 4 / 12.5 ** 0.5], [0, 0]])
    assert F.rms_norm(x.float(), 2).dtype == minidl.float32


@pytest.mark.parametrize("call, error, words", [
    (lambda: nn.GroupNorm(3, 4), ConfigError, ["GroupNorm", "divisible"]),
    (lambda: nn.GroupNorm(2, 4)(minidl.zeros(2, 6)), ShapeError, ["GroupNorm", "6 channels"]),
    (lambda: F.group_norm(minidl.zeros(4), 2), ShapeError, ["group_norm", "(N, C, *)"]),
    (lambda: F.group_norm(minidl.zeros(2, 4), 2, minidl.ones(3)), ShapeError,
     ["group_norm", "weight", "(3,)"]),
    (lambda: nn.InstanceNorm2d(3)(minidl.zeros(2, 3, 4)), ShapeError,
     ["InstanceNorm2d", "3 channels"]),
    (lambda: nn.InstanceNorm2d(3)(minidl.zeros(2, 3)), ShapeError,
     ["InstanceNorm2d", "(N, C, H, W)"]),
    (lambda: F.instance_norm(minidl.zeros(2, 3, 1)), ShapeError,
     ["instance_norm", "more than 1 position"]),
    (lambda: F.instance_norm(minidl.zeros(2, 3, 4), use_input_stats=False), ConfigError,
     ["instance_norm", "running_mean"]),
    (lambda: nn.RMSNorm(3)(minidl.zeros(2, 4)), ShapeError, ["RMSNorm", "(3,)", "(2, 4)"]),
    (lambda: nn.RMSNorm(3, eps=0.0), ConfigError, ["RMSNorm", "eps"]),
    (lambda: F.normalize(minidl.zeros(2, 3), dim=2), minidl.errors.DimError,
     ["normalize", "dim 2"]),
    (lambda: F.normalize(minidl.zeros(2, dtype=minidl.int64)), minidl.errors.DTypeError,
     ["normalize", "int64"]),
])
def test_bad_settings_and_inputs_are_named(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


# ------------------------------------------------------------------------------ dropouts
@pytest.mark.parametrize("fn, shape, kept_block", [
    (F.dropout1d, (40, 50, 6), (40, 50, 1)),
    (F.dropout1d, (2000, 6), (2000, 1)),
    (F.dropout2d, (40, 50, 2, 3), (40, 50, 1, 1)),
    (F.dropout2d, (2000, 2, 3), (2000, 1, 1)),
    (F.dropout3d, (40, 50, 2, 1, 2), (40, 50, 1, 1, 1)),
    (F.dropout3d, (2000, 2, 1, 2), (2000, 1, 1, 1)),
])
def test_channel_dropout_drops_whole_channels_and_scales_by_one_over_keep(fn, shape, kept_block):
    p = 0.3
    minidl.manual_seed(7)
    x = minidl.ones(shape, dtype=minidl.float64, requires_grad=True)
    y = fn(x, p)
    ratio = y.detach().numpy()
    lead = sum(n != 1 for n in kept_block)  # the (sample, channel) dims of the mask
    channel = ratio.reshape(shape[:lead] + (-1,))
    assert (channel == channel[..., :1]).all(), "a channel is dropped whole or kept whole"
    np.testing.assert_allclose(np.unique(ratio), [0.0, 1 / (1 - p)])
    dropped = (channel[..., 0] == 0).mean()
    assert abs(dropped - p) < 0.03, dropped  # 2000 channels: the std of the fraction is 0.01
    (grad,) = minidl.autograd.grad(y.sum(), [x])  # the mask is a constant
    np.testing.assert_allclose(grad.numpy(), ratio)
    minidl.manual_seed(7)
    np.testing.assert_array_equal(fn(x, p).detach().numpy(), y.detach().numpy())
    assert fn(x, p, training=False) is x and fn(x, 0.0) is x


def test_alpha_dropout_keeps_mean_and_variance_with_pytorch_affine_map():
    p, alpha = 0.2, 1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
    a = ((1 - p) * (1 + p * alpha ** 2)) ** -0.5
    minidl.manual_seed(3)
    x = RNG.standard_normal(200_000)
    y = F.alpha_dropout(minidl.tensor(x), p, training=True).numpy()
    kept = np.isclose(y, a * (x + alpha * p), rtol=1e-12)
    assert (kept | np.isclose(y, a * alpha * (p - 1), rtol=1e-12)).all()
    assert abs(1 - kept.mean() - p) < 0.005
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01
    t = minidl.tensor(x)
    assert F.alpha_dropout(t) is t  # training=False by default, as PyTorch's function


def test_alpha_dropout_affine_map_is_pytorchs():
    torch = pytest.importorskip("torch")
    p, x = 0.3, torch.linspace(0, 2, 1000, dtype=torch.float64)  # x >= 0: kept ones are larger
    torch.manual_seed(0)
    z = torch.nn.functional.alpha_dropout(x, p, training=True).numpy()
    minidl.manual_seed(0)
    y = F.alpha_dropout(minidl.tensor(x.numpy()), p, training=True).numpy()
    kept_t = ~np.isclose(z, z.min())  # the dropped value is the smallest output
    kept_m = ~np.isclose(y, y.min())
    np.testing.assert_allclose(y[kept_m & kept_t], z[kept_m & kept_t], rtol=1e-12)
    np.testing.assert_allclose(y[~kept_m].max(), z[~kept_t].max(), rtol=1e-12)


def test_dropout_layers_repr_and_modes_as_pytorch():
    torch = pytest.importorskip("torch")
    for spelling, shape in (("nn.Dropout1d()", (4, 3, 2)), ("nn.Dropout2d(0.3)", (4, 3, 2, 2)),
                            ("nn.AlphaDropout(p=0.2)", (5,)),
                            ("nn.Dropout2d(0.1, inplace=True)", (3, 2, 2)),
                            ("nn.Dropout3d(0.4)", (2, 3, 2, 2, 2))):
        layer = eval(spelling, {"nn": nn})
        assert repr(layer) == repr(eval(spelling, {"nn": torch.nn}))
        x = minidl.ones(shape)
        assert layer.eval()(x) is x
        assert layer.train()(x).shape == x.shape


@pytest.mark.parametrize("call, error, words", [
    (lambda: F.dropout1d(minidl.zeros(2, 3, 4, 5)), ShapeError, ["dropout1d", "(N, C, L)"]),
    (lambda: F.dropout2d(minidl.zeros(2, 3)), ShapeError, ["dropout2d", "(N, C, H, W)"]),
    (lambda: F.dropout3d(minidl.zeros(2, 3, 4)), ShapeError, ["dropout3d", "(C, D, H, W)"]),
    (lambda: nn.Dropout2d(1.0), ValueError, ["Dropout2d", "p"]),
    (lambda: nn.AlphaDropout(-0.1), ValueError, ["AlphaDropout", "p"]),
    (lambda: F.alpha_dropout(minidl.zeros(3, dtype=minidl.int64), training=True),
     minidl.errors.DTypeError, ["alpha_dropout", "int64"]),
])
def test_bad_dropout_settings_and_inputs_are_named(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))
