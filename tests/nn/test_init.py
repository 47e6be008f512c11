"""minidl.nn.init: sample statistics, fans, gains, dtype/device and in-place conventions.

Statistics use 250,000 samples: the sample std of n draws is within ~0.3% of the true std
(relative standard error 1/sqrt(2n) = 0.14%), so a 1% tolerance never flakes (and the seed is
fixed anyway).
"""
import math

import numpy as np
import pytest

import minidl
import minidl.nn as nn
from minidl import backend
from minidl.nn import init
from minidl.nn.init import _calculate_fan_in_and_fan_out

N_OUT, N_IN = 500, 500  # 250,000 samples


def host(t):
    return backend.to_host(t._array)


@pytest.mark.parametrize("dtype", [minidl.float32, minidl.float64])
def test_uniform_and_normal_statistics(dtype, device):
    minidl.manual_seed(0)
    w = minidl.empty(N_OUT, N_IN, dtype=dtype, device=device)
    assert init.uniform_(w, -2.0, 3.0) is w
    data = host(w)
    assert w.dtype == dtype and w.device == backend.parse_device(device)
    assert data.min() >= -2.0 and data.max() < 3.0
    assert data.min() < -1.99 and data.max() > 2.99
    assert abs(data.mean() - 0.5) < 0.01 and abs(data.std() - 5 / math.sqrt(12)) < 0.01
    init.normal_(w, mean=1.0, std=0.5)
    data = host(w)
    assert w.dtype == dtype
    assert abs(data.mean() - 1.0) < 0.005 and abs(data.std() / 0.5 - 1) < 0.01


def _std_ok(w, expected):
    return abs(host(w).std() / expected - 1) < 0.01


def test_xavier_and_kaiming_scales():
    minidl.manual_seed(1)
    w = minidl.empty(N_OUT, N_IN // 2)
    fan_in, fan_out = N_IN // 2, N_OUT
    init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(host(w)).max() <= bound and _std_ok(w, bound / math.sqrt(3))
    init.xavier_normal_(w)
    assert _std_ok(w, math.sqrt(2 / (fan_in + fan_out)))
    init.kaiming_uniform_(w, nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / fan_in)
    assert np.abs(host(w)).max() <= bound and _std_ok(w, bound / math.sqrt(3))
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert _std_ok(w, math.sqrt(2 / fan_out))
    init.kaiming_normal_(w, a=0.2)  # leaky_relu with slope 0.2
    assert _std_ok(w, math.sqrt(2 / (1 + 0.04)) / math.sqrt(fan_in))
    init.kaiming_uniform_(w, a=math.sqrt(5))  # Linear's default: U(-1/sqrt(fan_in), ...)
    assert np.abs(host(w)).max() <= 1 / math.sqrt(fan_in)
    assert np.abs(host(w)).max() > 0.99 / math.sqrt(fan_in)


def test_fans_of_linear_and_conv_weights():
    assert _calculate_fan_in_and_fan_out(nn.Linear(784, 10).weight) == (784, 10)
    conv_weight = minidl.empty(16, 3, 5, 5)  # (out_channels, in_channels, kh, kw)
    assert _calculate_fan_in_and_fan_out(conv_weight) == (3 * 25, 16 * 25)
    assert _calculate_fan_in_and_fan_out(minidl.empty(8, 4, 3)) == (12, 24)
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions \(shape \(5,\)\)"):
        init.xavier_uniform_(minidl.empty(5))


@pytest.mark.parametrize("nonlinearity, param, gain", [
    ("linear", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0),
    ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)), ("selu", None, 0.75),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
])
def test_calculate_gain(nonlinearity, param, gain):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-15)


def test_in_place_under_no_grad_keeping_identity_dtype_and_version():
    layer = nn.Linear(3, 4)
    weight, version = layer.weight, layer.weight._version
    init.constant_(weight, 0.25)
    assert layer.weight is weight and weight.requires_grad and weight.dtype == np.float32
    assert weight._version > version and np.all(weight._array == 0.25)
    init.zeros_(layer.bias)
    assert not layer.bias._array.any()
    init.ones_(layer.bias)
    assert np.all(layer.bias._array == 1)
    half = minidl.empty(10, 10, dtype=minidl.float16)
    assert init.normal_(half).dtype == np.float16  # no float64 (or float32) creep


def test_reproducible_with_manual_seed_and_generators():
    w = minidl.empty(4, 6)
    minidl.manual_seed(42)
    first = init.kaiming_uniform_(w)._array.copy()
    minidl.manual_seed(42)
    np.testing.assert_array_equal(init.kaiming_uniform_(w)._array, first)
    gen = minidl.Generator(seed=5)
    a = init.normal_(minidl.empty(3, 3), generator=gen)._array.copy()
    gen.manual_seed(5)
    np.testing.assert_array_equal(init.normal_(minidl.empty(3, 3), generator=gen)._array, a)
