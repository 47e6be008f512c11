"""layer_norm and LayerNorm: values against NumPy, first and second derivatives over drawn
shapes and eps, the layer's parameters, degenerate inputs, and PyTorch when it is installed.

Read next: ``test_conv_norm_errors.py``.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl.nn.layers.normalization import LayerNorm
from minidl.nn.normalization_functional import layer_norm
from minidl.testing import gradcheck, gradgradcheck


def layer_norm_numpy(x, n_dims, w, b, eps):
    axes = tuple(range(x.ndim - n_dims, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    return y * (1 if w is None else w) + (0 if b is None else b)


@st.composite
def ln_cases(draw):
    """A shape of 1 to 3 dims whose trailing ``n_dims`` dims are normalised (>= 2 elements)."""
    shape = tuple(draw(st.integers(1, 3)) for _ in range(draw(st.integers(1, 3))))
    n_dims = draw(st.integers(1, len(shape)))
    if np.prod(shape[len(shape) - n_dims:]) < 2:
        shape = shape[:-1] + (shape[-1] + 1,)
    return dict(shape=shape, n_dims=n_dims, eps=draw(st.sampled_from([1e-5, 1e-2, 0.5])),
                affine=draw(st.sampled_from(["none", "weight", "both"])),
                seed=draw(st.integers(0, 2**16)))


@settings(deadline=None)
@given(case=ln_cases())
def test_layer_norm_values_and_derivatives(case):
    rng = np.random.default_rng(case["seed"])
    normalized = case["shape"][len(case["shape"]) - case["n_dims"]:]
    arrays = [rng.standard_normal(case["shape"]) * 3 - 1]
    if case["affine"] != "none":
        arrays.append(rng.standard_normal(normalized))
    if case["affine"] == "both":
        arrays.append(rng.standard_normal(normalized))
    inputs = [minidl.tensor(a, requires_grad=True) for a in arrays]

    def fn(x, w=None, b=None):
        return layer_norm(x, normalized, w, b, eps=case["eps"])

    w, b = (arrays[1:] + [None, None])[:2]
    expected = layer_norm_numpy(arrays[0], case["n_dims"], w, b, case["eps"])
    np.testing.assert_allclose(fn(*inputs)._array, expected, rtol=1e-10, atol=1e-10)
    gradcheck(fn, inputs)
    gradgradcheck(fn, inputs)


def test_layer_is_the_same_in_training_and_eval_and_starts_as_identity_affine():
    layer = LayerNorm((3, 4))
    assert layer.weight.shape == layer.bias.shape == (3, 4)
    np.testing.assert_array_equal(layer.weight._array, 1)
    np.testing.assert_array_equal(layer.bias._array, 0)
    x = minidl.randn(2, 3, 4)
    y_train = layer(x)
    layer.eval()
    np.testing.assert_array_equal(layer(x)._array, y_train._array)
    assert y_train.dtype == np.float32
    np.testing.assert_allclose(y_train._array, layer_norm_numpy(x._array, 2, None, None, 1e-5),
                               rtol=1e-4, atol=1e-5)
    assert list(LayerNorm(5, elementwise_affine=False).parameters()) == []
    assert LayerNorm(5, bias=False).bias is None
    assert repr(LayerNorm(10)) == ("LayerNorm((10,), eps=1e-05, elementwise_affine=True, "
                                   "bias=True)")


def test_constant_rows_give_finite_outputs_and_gradients(device):
    x = minidl.full((3, 6), 1e4, device=device, requires_grad=True)
    layer = LayerNorm(6).to(device)
    y = layer(x)
    (gx,) = minidl.grad((y * y + y).sum(), [x], create_graph=True)
    (ggx,) = minidl.grad(gx.sum(), [x])
    for t in (y, gx, ggx):
        assert np.isfinite(minidl.backend.to_host(t._array)).all()
        assert t.device == x.device


def test_layer_norm_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, w, b = rng.standard_normal((4, 3, 5)), rng.standard_normal(5), rng.standard_normal(5)
    ours = [minidl.tensor(v, requires_grad=True) for v in (a, w, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (a, w, b)]
    y = layer_norm(ours[0], 5, ours[1], ours[2])
    y_torch = torch.nn.functional.layer_norm(theirs[0], (5,), theirs[1], theirs[2])
    np.testing.assert_allclose(y._array, y_torch.detach().numpy(), rtol=1e-10, atol=1e-10)
    gy = rng.standard_normal(y.shape)
    y.backward(minidl.tensor(gy))
    y_torch.backward(torch.tensor(gy))
    for t, t_torch in zip(ours, theirs):
        np.testing.assert_allclose(t.grad._array, t_torch.grad.numpy(), rtol=1e-9, atol=1e-10)
