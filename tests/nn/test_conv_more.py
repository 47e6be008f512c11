"""Conv1d, ConvTranspose1d/2d, Conv2d's padding strings, Fold and Unfold as layers: parameter
shapes and initialisation, reprs, errors that name the layer, float32, and PyTorch with the
same weights when it is installed. (The ops' values and derivatives are checked by the op
table: ``tests/op_rows_conv.py``.)

Read next: ``test_pooling_more.py``.
"""
import math

import numpy as np
import pytest

import minidl
import minidl.nn.functional as F
from minidl import nn
from minidl.errors import ConfigError, ShapeError


def _x(*shape, seed=0, dtype=minidl.float32):
    return minidl.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=dtype)


@pytest.mark.parametrize("layer, weight_shape", [
    (lambda: nn.Conv1d(4, 6, 3, groups=2), (6, 2, 3)),
    (lambda: nn.ConvTranspose1d(4, 6, 3, groups=2), (4, 3, 3)),
    (lambda: nn.ConvTranspose2d(4, 6, (2, 3), groups=2), (4, 3, 2, 3)),
    (lambda: nn.Conv2d(4, 6, (2, 3), padding="same"), (6, 4, 2, 3)),
])
def test_parameter_shapes_and_initialisation_bounds(layer, weight_shape):
    """weight as PyTorch's, and both parameters in U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
    fan_in = weight.shape[1] * the kernel's size (for the transposed layers too)."""
    minidl.manual_seed(0)
    module = layer()
    assert tuple(module.weight.shape) == weight_shape
    fan_in = weight_shape[1] * math.prod(weight_shape[2:])
    bound = 1 / math.sqrt(fan_in)
    for p in (module.weight, module.bias):
        values = p.detach().numpy()
        assert np.abs(values).max() <= bound and np.abs(values).max() > bound / 2
    assert tuple(module.bias.shape) == (6,)


@pytest.mark.parametrize("layer, expected", [
    (lambda lib: lib.nn.Conv1d(2, 4, 3, stride=2, padding=1, groups=2, bias=False),
     "Conv1d(2, 4, kernel_size=(3,), stride=(2,), padding=(1,), groups=2, bias=False)"),
    (lambda lib: lib.nn.Conv1d(2, 4, 3, padding="same", dilation=2),
     "Conv1d(2, 4, kernel_size=(3,), stride=(1,), padding=same, dilation=(2,))"),
    (lambda lib: lib.nn.Conv2d(2, 4, 3, padding="valid"),
     "Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=valid)"),
    (lambda lib: lib.nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1, output_padding=1,
                                        groups=2),
     "ConvTranspose2d(2, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
     "output_padding=(1, 1), groups=2)"),
    (lambda lib: lib.nn.ConvTranspose1d(2, 4, 3, stride=2, output_padding=1),
     "ConvTranspose1d(2, 4, kernel_size=(3,), stride=(2,), output_padding=(1,))"),
    (lambda lib: lib.nn.Fold((4, 5), 2),
     "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)"),
    (lambda lib: lib.nn.Unfold((2, 3), padding=1),
     "Unfold(kernel_size=(2, 3), dilation=1, padding=1, stride=1)"),
])
def test_reprs_are_pytorchs(layer, expected):
    assert repr(layer(minidl)) == expected
    torch = pytest.importorskip("torch")
    assert repr(layer(torch)) == expected


def _copy_parameters(module, reference):
    for name, p in module.named_parameters():
        getattr(reference, name).data = __import__("torch").tensor(p.detach().numpy())


@pytest.mark.parametrize("make, shape, call", [
    (lambda lib: lib.nn.Conv1d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2), (2, 2, 9),
     {}),
    (lambda lib: lib.nn.Conv1d(2, 3, 4, padding="same"), (2, 2, 7), {}),
    (lambda lib: lib.nn.Conv2d(2, 3, (2, 3), padding="same", dilation=(1, 2)), (1, 2, 5, 6),
     {}),
    (lambda lib: lib.nn.Conv2d(2, 3, (2, 3), padding="valid"), (1, 2, 5, 6), {}),
    (lambda lib: lib.nn.ConvTranspose1d(2, 4, 3, stride=2, padding=1, output_padding=1,
                                        groups=2, dilation=2), (2, 2, 5), {}),
    (lambda lib: lib.nn.ConvTranspose2d(4, 2, (3, 2), stride=(2, 3), padding=(1, 0),
                                        groups=2), (2, 4, 3, 4), {}),
    (lambda lib: lib.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1), (1, 2, 3, 4),
     {"output_size": (6, 8)}),
    (lambda lib: lib.nn.ConvTranspose2d(2, 3, 3, stride=2, bias=False), (2, 3, 4), {}),
])
def test_layers_match_pytorch_with_the_same_weights(make, shape, call):
    torch = pytest.importorskip("torch")
    minidl.manual_seed(1)
    module, reference = make(minidl).double(), make(torch).double()
    _copy_parameters(module, reference)
    x = _x(*shape, dtype=minidl.float64)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    x.requires_grad_(True)
    y, ty = module(x, **call), reference(tx, **call)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), atol=1e-12)
    v = np.random.default_rng(2).standard_normal(ty.shape)
    y.backward(minidl.tensor(v))
    ty.backward(torch.tensor(v))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(module.weight.grad.numpy(), reference.weight.grad.numpy(),
                               atol=1e-12)


def test_fold_and_unfold_layers_match_pytorch():
    torch = pytest.importorskip("torch")
    x = _x(2, 3, 5, 6, dtype=minidl.float64)
    unfold, fold = nn.Unfold((2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), None
    cols = unfold(x)
    expected = torch.nn.Unfold((2, 3), dilation=(2, 1), padding=1, stride=(1, 2))(
        torch.tensor(x.numpy()))
    np.testing.assert_allclose(cols.numpy(), expected.numpy())
    fold = nn.Fold((5, 6), (2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    back = torch.nn.Fold((5, 6), (2, 3), dilation=(2, 1), padding=1, stride=(1, 2))(expected)
    np.testing.assert_allclose(fold(cols).numpy(), back.numpy())
    np.testing.assert_allclose(F.fold(cols[0], (5, 6), (2, 3), (2, 1), 1, (1, 2)).numpy(),
                               back[0].numpy())  # unbatched (C*k, L)


def test_float32_stays_float32():
    x = _x(2, 2, 6, dtype=minidl.float32)
    assert nn.Conv1d(2, 3, 3)(x).dtype == minidl.float32
    assert nn.ConvTranspose1d(2, 3, 3, stride=2)(x).dtype == minidl.float32
    x2 = _x(1, 2, 4, 4, dtype=minidl.float32)
    assert nn.ConvTranspose2d(2, 3, 3, stride=2)(x2).dtype == minidl.float32
    assert nn.Conv2d(2, 3, 3, padding="same")(x2).shape == (1, 3, 4, 4)
    assert F.unfold(x2, 2).dtype == minidl.float32


@pytest.mark.parametrize("call, error, words", [
    (lambda: nn.Conv1d(3, 4, 3, groups=2), ConfigError,
     ["Conv1d(3, 4, kernel_size=3)", "in_channels (3)", "groups (2)"]),
    (lambda: nn.ConvTranspose2d(4, 3, 3, groups=2), ConfigError,
     ["ConvTranspose2d(4, 3, kernel_size=3)", "out_channels (3)", "groups (2)"]),
    (lambda: nn.Conv1d(2, 4, 3, stride=2, padding="same"), ValueError,
     ["Conv1d", "padding='same'", "stride"]),
    (lambda: nn.Conv2d(2, 4, 3, padding="full"), ValueError, ["Conv2d", "'full'"]),
    (lambda: nn.ConvTranspose2d(2, 4, 3, stride=2, output_padding=2), ValueError,
     ["ConvTranspose2d", "output_padding (2, 2)", "stride (2, 2)"]),
    (lambda: nn.ConvTranspose1d(2, 4, 3, stride=0), ValueError,
     ["ConvTranspose1d", "stride", "positive"]),
    (lambda: nn.Conv1d(2, 4, 3, padding_mode="reflect"), ConfigError,
     ["Conv1d", "padding_mode", "'reflect'"]),
    (lambda: nn.Conv1d(2, 4, 5)(_x(1, 2, 3)), ShapeError,
     ["Conv1d(2, 4, kernel_size=(5,)", "larger than the padded input"]),
    (lambda: nn.Conv1d(2, 4, 3)(_x(1, 3, 5)), ShapeError, ["Conv1d", "2 channels", "(1, 3, 5)"]),
    (lambda: nn.Conv1d(2, 4, 3)(_x(1, 2, 5, 5)), ShapeError, ["Conv1d", "3-D", "(1, 2, 5, 5)"]),
    (lambda: nn.ConvTranspose2d(2, 4, 3)(_x(1, 3, 5, 5)), ShapeError,
     ["ConvTranspose2d", "2 channels", "(1, 3, 5, 5)"]),
    (lambda: nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1)(_x(1, 2, 3, 3),
                                                              output_size=(9, 5)),
     ShapeError, ["ConvTranspose2d", "output_size (9, 5)", "(5, 5)"]),
    (lambda: nn.ConvTranspose2d(2, 4, 1, padding=1)(_x(1, 2, 2, 2)), ShapeError,
     ["ConvTranspose2d", "empty"]),
    (lambda: F.conv_transpose2d(_x(1, 2, 3, 3), _x(2, 2, 3, 3), groups=3), ValueError,
     ["conv_transpose2d", "groups", "3"]),
    (lambda: nn.Fold((3, 3), 2)(_x(1, 4, 5)), ShapeError,
     ["Fold(output_size=(3, 3)", "(1, 4, 5)", "4 columns"]),
    (lambda: nn.Unfold(4)(_x(1, 1, 3, 3)), ShapeError, ["Unfold", "larger than the padded"]),
    (lambda: F.fold(_x(1, 4, 4), 0, 2), ValueError, ["fold", "output_size", "0"]),
])
def test_bad_settings_and_inputs_are_clear_errors(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_conv2d_same_keeps_the_size_with_even_kernels():
    """An even kernel pads one more at the bottom/right, as PyTorch."""
    x = _x(1, 1, 4, 5, dtype=minidl.float64)
    w = minidl.ones(1, 1, 2, 2, dtype=minidl.float64)
    y = F.conv2d(x, w, padding="same")
    assert y.shape == (1, 1, 4, 5)
    xn = x.numpy()[0, 0]
    assert np.isclose(y.numpy()[0, 0, 3, 4], xn[3, 4])  # the bottom-right window: one element
    assert np.isclose(y.numpy()[0, 0, 0, 0], xn[:2, :2].sum())
