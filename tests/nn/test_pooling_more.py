"""The pooling layers beyond MaxPool2d/AvgPool2d's defaults -- MaxPool1d, AvgPool1d, the
adaptive pools, ceil_mode, return_indices, count_include_pad, divisor_override, MaxUnpool2d,
integer max pooling -- and the resampling layers Upsample, PixelShuffle, PixelUnshuffle:
reprs, errors that name the layer, and PyTorch when it is installed. (Values and derivatives
of the ops are checked by the op table: ``tests/op_rows_conv.py``.)

Read next: ``test_batchnorm.py``.
"""
import numpy as np
import pytest

import minidl
import minidl.nn.functional as F
from minidl import nn
from minidl.errors import DTypeError, ShapeError


def _distinct(*shape, seed=0):
    """Distinct values (no ties for the max pools), float64."""
    values = np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape) * 0.1
    return minidl.tensor(values, dtype=minidl.float64)


@pytest.mark.parametrize("layer, expected", [
    (lambda lib: lib.nn.MaxPool1d(3, 2, 1, return_indices=True, ceil_mode=True),
     "MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True)"),
    (lambda lib: lib.nn.MaxPool2d(2, ceil_mode=True),
     "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=True)"),
    (lambda lib: lib.nn.AvgPool1d(3, 2, 1, ceil_mode=True),
     "AvgPool1d(kernel_size=(3,), stride=(2,), padding=(1,))"),
    (lambda lib: lib.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False,
                                  divisor_override=2),
     "AvgPool2d(kernel_size=3, stride=2, padding=1)"),
    (lambda lib: lib.nn.AdaptiveMaxPool2d((2, 3), return_indices=True),
     "AdaptiveMaxPool2d(output_size=(2, 3))"),
    (lambda lib: lib.nn.AdaptiveAvgPool1d(3), "AdaptiveAvgPool1d(output_size=3)"),
    (lambda lib: lib.nn.MaxUnpool2d(2),
     "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"),
    (lambda lib: lib.nn.MaxUnpool2d((2, 3), 1, 1),
     "MaxUnpool2d(kernel_size=(2, 3), stride=(1, 1), padding=(1, 1))"),
    (lambda lib: lib.nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True),
     "Upsample(scale_factor=2.0, mode='bilinear')"),
    (lambda lib: lib.nn.Upsample(size=(3, 4)), "Upsample(size=(3, 4), mode='nearest')"),
    (lambda lib: lib.nn.PixelShuffle(2), "PixelShuffle(upscale_factor=2)"),
    (lambda lib: lib.nn.PixelUnshuffle(2), "PixelUnshuffle(downscale_factor=2)"),
])
def test_reprs_are_pytorchs(layer, expected):
    assert repr(layer(minidl)) == expected
    torch = pytest.importorskip("torch")
    assert repr(layer(torch)) == expected


@pytest.mark.parametrize("make, shape", [
    (lambda lib: lib.nn.MaxPool1d(3, 2, 1, ceil_mode=True), (2, 2, 8)),
    (lambda lib: lib.nn.MaxPool1d(2, dilation=2), (2, 7)),
    (lambda lib: lib.nn.AvgPool1d(3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 2, 8)),
    (lambda lib: lib.nn.MaxPool2d((3, 2), (2, 1), (1, 0), ceil_mode=True), (2, 2, 6, 5)),
    (lambda lib: lib.nn.AvgPool2d(3, 2, 1, ceil_mode=True), (1, 2, 6, 7)),
    (lambda lib: lib.nn.AvgPool2d(3, 2, 1, count_include_pad=False), (1, 2, 6, 7)),
    (lambda lib: lib.nn.AvgPool2d(2, 1, 1, divisor_override=3), (2, 5, 4)),
    (lambda lib: lib.nn.AdaptiveMaxPool2d((3, None)), (2, 2, 7, 5)),
    (lambda lib: lib.nn.AdaptiveAvgPool1d(3), (2, 2, 7)),
    (lambda lib: lib.nn.Upsample(scale_factor=2), (1, 2, 3, 4)),
    (lambda lib: lib.nn.Upsample(size=(5, 7), mode="bilinear"), (1, 2, 3, 4)),
    (lambda lib: lib.nn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=True),
     (1, 2, 3, 4)),
    (lambda lib: lib.nn.Upsample(size=6, mode="linear"), (1, 2, 4)),
    (lambda lib: lib.nn.PixelShuffle(2), (2, 8, 2, 3)),
    (lambda lib: lib.nn.PixelUnshuffle(2), (2, 2, 4, 6)),
])
def test_layers_match_pytorch(make, shape):
    torch = pytest.importorskip("torch")
    x = _distinct(*shape)
    x.requires_grad_(True)
    tx = torch.tensor(x.detach().numpy(), requires_grad=True)
    y, ty = make(minidl)(x), make(torch)(tx)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), atol=1e-12)
    v = np.random.default_rng(1).standard_normal(ty.shape)
    y.backward(minidl.tensor(v))
    ty.backward(torch.tensor(v))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("pool, unpool, shape, output_size", [
    (lambda lib: lib.nn.MaxPool2d(2, return_indices=True), lambda lib: lib.nn.MaxUnpool2d(2),
     (2, 2, 4, 6), None),
    (lambda lib: lib.nn.MaxPool2d(2, return_indices=True), lambda lib: lib.nn.MaxUnpool2d(2),
     (1, 2, 5, 5), (5, 5)),
    (lambda lib: lib.nn.MaxPool2d(2, 2, 1, return_indices=True, ceil_mode=True),
     lambda lib: lib.nn.MaxUnpool2d(2, 2, 1), (1, 1, 5, 5), (5, 5)),
    (lambda lib: lib.nn.AdaptiveMaxPool2d(2, return_indices=True),
     lambda lib: lib.nn.MaxUnpool2d(2), (2, 1, 4, 4), None),
])
def test_indices_and_unpooling_match_pytorch(pool, unpool, shape, output_size):
    """return_indices gives PyTorch's flat positions in each (H, W) plane; MaxUnpool2d puts
    the maxima back there (zeros elsewhere), and its gradient gathers from them."""
    torch = pytest.importorskip("torch")
    x = _distinct(*shape)
    y, indices = pool(minidl)(x)
    ty, tindices = pool(torch)(torch.tensor(x.numpy()))
    np.testing.assert_array_equal(indices.numpy(), tindices.numpy())
    assert indices.dtype == minidl.int64 and not indices.requires_grad
    y.requires_grad_(True)
    ty.requires_grad_(True)
    back = unpool(minidl)(y, indices, output_size=output_size)
    tback = unpool(torch)(ty, tindices, output_size=output_size)
    np.testing.assert_allclose(back.detach().numpy(), tback.detach().numpy())
    v = np.random.default_rng(3).standard_normal(tback.shape)
    back.backward(minidl.tensor(v))
    tback.backward(torch.tensor(v))
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy())


def test_unpooling_adds_elements_that_share_an_index():
    """Overlapping windows can pick the same maximum twice. minidl adds both copies there (a
    scatter-add, whose adjoint -- the gather -- is then its exact gradient); PyTorch keeps one
    of them (its documentation calls the result undefined)."""
    x = minidl.tensor([[[[1.0, 2.0]]]], dtype=minidl.float64)
    indices = minidl.tensor([[[[3, 3]]]])
    y = F.max_unpool2d(x, indices, 2, 1)
    assert y.shape == (1, 1, 2, 3)
    assert y.numpy()[0, 0, 1, 0] == 3.0 and y.numpy().sum() == 3.0


def test_one_dimensional_indices_and_adaptive_max_pool1d():
    x = _distinct(2, 3, 7)
    y, indices = F.max_pool1d(x, 3, 2, return_indices=True)
    assert indices.shape == (2, 3, 3)
    np.testing.assert_array_equal(np.take_along_axis(x.numpy(), indices.numpy(), -1), y.numpy())
    y, indices = F.adaptive_max_pool1d(x, 3, return_indices=True)
    np.testing.assert_array_equal(np.take_along_axis(x.numpy(), indices.numpy(), -1), y.numpy())


@pytest.mark.parametrize("dtype", [minidl.int64, minidl.int32, minidl.uint8])
def test_integer_max_pooling_keeps_the_dtype_and_has_no_gradient(dtype):
    values = np.random.default_rng(0).integers(0, 100, (2, 2, 5, 5))
    x = minidl.tensor(values, dtype=dtype)
    y = F.max_pool2d(x, 2, 2, 1, ceil_mode=True)
    assert y.dtype == dtype and not y.requires_grad
    expected = F.max_pool2d(minidl.tensor(values, dtype=minidl.float64), 2, 2, 1, ceil_mode=True)
    np.testing.assert_array_equal(y.numpy(), expected.numpy())
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(
        y.numpy(), torch.nn.functional.max_pool2d(torch.tensor(values), 2, 2, 1,
                                                  ceil_mode=True).numpy())


def test_avg_pool_options_keep_float32():
    x = minidl.ones(1, 1, 5, 5)
    y = F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)
    assert y.dtype == minidl.float32
    np.testing.assert_allclose(y.numpy(), 1.0)  # padding excluded: the mean of ones is one
    assert F.interpolate(x, scale_factor=2, mode="bilinear").dtype == minidl.float32


@pytest.mark.parametrize("call, error, words", [
    (lambda: nn.MaxPool1d(4)(_distinct(1, 2, 3)), ShapeError,
     ["MaxPool1d(kernel_size=4", "larger than the padded input"]),
    (lambda: nn.MaxPool2d(3, padding=2), ValueError, ["MaxPool2d", "padding (2, 2)",
                                                      "half the kernel"]),
    (lambda: nn.AvgPool1d(2, padding=2), ValueError, ["AvgPool1d", "padding (0, 2)"]),
    (lambda: nn.MaxPool1d(2, stride=0), ValueError, ["MaxPool1d", "stride", "positive"]),
    (lambda: nn.AvgPool2d(2, divisor_override=0)(_distinct(1, 4, 4)), ValueError,
     ["AvgPool2d", "divisor_override", "0"]),
    (lambda: nn.MaxPool2d(2, ceil_mode="yes"), TypeError, ["MaxPool2d", "ceil_mode", "'yes'"]),
    (lambda: nn.MaxPool1d(2)(_distinct(2, 3, 4, 5)), ShapeError, ["MaxPool1d", "3-D",
                                                                  "(2, 3, 4, 5)"]),
    (lambda: nn.AdaptiveMaxPool2d(0)(_distinct(1, 4, 4)), ValueError,
     ["AdaptiveMaxPool2d", "output_size", "0"]),
    (lambda: nn.MaxUnpool2d(2)(_distinct(1, 2, 2), minidl.zeros(1, 2, 3, dtype=minidl.int64)),
     ShapeError, ["MaxUnpool2d", "(1, 2, 3)", "(1, 2, 2)"]),
    (lambda: nn.MaxUnpool2d(2)(_distinct(1, 2, 2), minidl.full((1, 2, 2), 16)),
     ShapeError, ["MaxUnpool2d", "[0, 16)", "16"]),
    (lambda: nn.MaxUnpool2d(2)(_distinct(1, 2, 2), _distinct(1, 2, 2)), DTypeError,
     ["MaxUnpool2d", "integer", "float64"]),
    (lambda: nn.MaxUnpool2d(2)(_distinct(1, 2, 2), minidl.zeros(1, 2, 2, dtype=minidl.int64),
                               output_size=(7, 4)), ShapeError,
     ["MaxUnpool2d", "output_size (7, 4)", "(4, 4)"]),
    (lambda: F.avg_pool2d(minidl.zeros(1, 1, 4, 4, dtype=minidl.int64), 2), DTypeError,
     ["avg_pool2d", "floating-point"]),
    (lambda: nn.Upsample(scale_factor=2, mode="bicubic"), ValueError, ["Upsample", "bicubic"]),
    (lambda: nn.Upsample(scale_factor=2, mode="bilinear")(_distinct(1, 2, 3)), ShapeError,
     ["interpolate", "'bilinear'", "4-D", "(1, 2, 3)"]),
    (lambda: F.interpolate(_distinct(1, 1, 3), size=4, scale_factor=2), ValueError,
     ["interpolate", "exactly one"]),
    (lambda: F.interpolate(_distinct(1, 1, 3), size=4, align_corners=True), ValueError,
     ["interpolate", "align_corners", "'nearest'"]),
    (lambda: nn.PixelShuffle(2)(_distinct(1, 3, 2, 2)), ShapeError,
     ["pixel_shuffle", "4", "(1, 3, 2, 2)"]),
    (lambda: nn.PixelUnshuffle(2)(_distinct(1, 1, 3, 2)), ShapeError,
     ["pixel_unshuffle", "divisible", "(1, 1, 3, 2)"]),
    (lambda: nn.PixelShuffle(0)(_distinct(1, 1, 2, 2)), ValueError,
     ["pixel_shuffle", "upscale_factor", "0"]),
])
def test_bad_settings_and_inputs_are_clear_errors(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))
