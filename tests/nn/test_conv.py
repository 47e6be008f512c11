"""conv2d and Conv2d: values against a direct NumPy loop, the fused Functions against their
composed twin, first and second derivatives (gradcheck, gradgradcheck), float32, the layer's
initialisation, and PyTorch when it is installed.

Read next: ``test_pool.py``.
"""
import fake_device
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import minidl
from minidl import backend
from minidl.nn.layers.conv import Conv2d
from minidl.nn.layers.normalization import BatchNorm2d, LayerNorm
from minidl.ops.conv import conv2d, conv2d_composed
from minidl.ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from minidl.testing import gradcheck, gradgradcheck


def conv2d_loop(x, w, b, stride, padding, dilation, groups):
    """The definition, one output element at a time: y[n, o, h, v] = b[o] + sum over the
    group's channels c and kernel offsets (i, j) of w[o, c, i, j] * x_pad[n, c, s*h + d*i,
    s*v + d*j]."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n, c, height, width = x.shape
    o, cg, kh, kw = w.shape
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho = (height + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (width + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, o, ho, wo))
    for out in range(o):
        group = out // (o // groups)
        channels = slice(group * cg, (group + 1) * cg)
        for h in range(ho):
            for v in range(wo):
                patch = xpad[:, channels, h * sh:h * sh + dh * (kh - 1) + 1:dh,
                             v * sw:v * sw + dw * (kw - 1) + 1:dw]
                y[:, out, h, v] = (patch * w[out]).sum(axis=(1, 2, 3))
        if b is not None:
            y[:, out] += b[out]
    return y


@st.composite
def conv_cases(draw, max_batch=2, max_group_channels=2, max_side=9, max_kernel=4):
    """Hyperparameters, then an input size that the (dilated) kernel fits in."""
    groups = draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    size = []
    for k, d, p in zip(kernel, dilation, padding):
        low = max(1, d * (k - 1) + 1 - 2 * p)
        size.append(draw(st.integers(low, max(low, max_side))))
    shape_x = (draw(st.integers(1, max_batch)),
               groups * draw(st.integers(1, max_group_channels)), *size)
    shape_w = (groups * draw(st.integers(1, max_group_channels)), shape_x[1] // groups, *kernel)
    bias = draw(st.booleans())
    seed = draw(st.integers(0, 2**16))
    return dict(shape_x=shape_x, shape_w=shape_w, bias=bias, stride=stride, padding=padding,
                dilation=dilation, groups=groups, seed=seed)


def make_inputs(case, dtype=np.float64, device="cpu"):
    rng = np.random.default_rng(case["seed"])
    arrays = [rng.standard_normal(case["shape_x"]), rng.standard_normal(case["shape_w"])]
    if case["bias"]:
        arrays.append(rng.standard_normal(case["shape_w"][0]))
    tensors = [minidl.tensor(a.astype(dtype), device=device, requires_grad=True)
               for a in arrays]
    return arrays, tensors


def hyper(case):
    return {k: case[k] for k in ("stride", "padding", "dilation", "groups")}


# Kernel 7, stride 3, padding 2 (the example) and a depthwise-like grouped conv.
BIG_KERNEL = dict(shape_x=(1, 2, 9, 8), shape_w=(2, 1, 7, 7), bias=True, stride=(3, 3),
                  padding=(2, 2), dilation=(1, 1), groups=2, seed=7)
DILATED = dict(shape_x=(2, 2, 7, 7), shape_w=(3, 2, 3, 2), bias=False, stride=(2, 1),
               padding=(1, 0), dilation=(2, 3), groups=1, seed=3)


@settings(deadline=None)
@given(case=conv_cases(max_batch=3, max_group_channels=3, max_side=12, max_kernel=7))
@example(case=BIG_KERNEL)
def test_conv2d_matches_the_numpy_loop(case):
    arrays, tensors = make_inputs(case)
    y = conv2d(*tensors, **hyper(case)) if case["bias"] else conv2d(*tensors, **hyper(case))
    b = arrays[2] if case["bias"] else None
    expected = conv2d_loop(arrays[0], arrays[1], b, **hyper(case))
    np.testing.assert_allclose(y._array, expected, rtol=1e-10, atol=1e-10)


@settings(deadline=None)
@given(case=conv_cases(max_batch=3, max_group_channels=3, max_side=12, max_kernel=7))
@example(case=BIG_KERNEL)
def test_fused_conv2d_equals_its_composed_twin(case):
    """Same values and same gradients for x, W and b as the sum over kernel offsets."""
    _, fused_inputs = make_inputs(case)
    _, twin_inputs = make_inputs(case)
    y = conv2d(*fused_inputs, **hyper(case))
    y_twin = conv2d_composed(*twin_inputs, **hyper(case))
    np.testing.assert_allclose(y._array, y_twin._array, rtol=1e-10, atol=1e-10)
    gy = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(minidl.tensor(gy))
    y_twin.backward(minidl.tensor(gy))
    for a, b in zip(fused_inputs, twin_inputs):
        np.testing.assert_allclose(a.grad._array, b.grad._array, rtol=1e-10, atol=1e-10)


# gradgradcheck differentiates a backward pass numerically (a forward and a backward per input
# element, twice), so the drawn shapes stay small; the two explicit examples add the big
# kernel and a dilated, strided, asymmetric one.
@settings(deadline=None)
@given(case=conv_cases(max_batch=2, max_group_channels=2, max_side=6, max_kernel=3))
@example(case=BIG_KERNEL)
@example(case=DILATED)
def test_conv2d_first_and_second_derivatives(case):
    _, tensors = make_inputs(case)

    def fn(*xs):
        return conv2d(*xs, **hyper(case))

    gradcheck(fn, tensors)
    gradgradcheck(fn, tensors)


def test_conv2d_grads_on_every_device(device):
    """The fused Functions on each backend (CuPy on a GPU) agree with the composed twin."""
    _, fused = make_inputs(DILATED, device=device)
    _, twin = make_inputs(DILATED, device=device)
    y = conv2d(*fused, **hyper(DILATED))
    y_twin = conv2d_composed(*twin, **hyper(DILATED))
    assert y.device == fused[0].device
    (y * y).sum().backward()
    (y_twin * y_twin).sum().backward()
    for a, b in zip(fused, twin):
        np.testing.assert_allclose(backend.to_host(a.grad._array), backend.to_host(b.grad._array),
                                   rtol=1e-10, atol=1e-10)


@pytest.fixture
def fake():
    """A stand-in device whose arrays are a NumPy subclass (see tests/fake_device.py)."""
    yield fake_device.register()
    fake_device.unregister()


def test_a_cnn_stays_on_a_stand_in_device_through_second_derivatives(fake):
    """No kernel of conv, pooling or normalization creates arrays with NumPy directly."""
    x = minidl.randn(2, 3, 8, 8, device=fake, requires_grad=True)
    conv = Conv2d(3, 4, 3, padding=1).to(fake)
    norm = BatchNorm2d(4).to(fake)
    y = norm(conv(x))
    y = adaptive_avg_pool2d(max_pool2d(y, 3, 1, 1) + avg_pool2d(y, 3, 1, 1), (3, 2))
    y = LayerNorm(2).to(fake)(y)
    grads = minidl.grad((y * y).sum(), [x, conv.weight], create_graph=True)
    (ggx,) = minidl.grad(sum((g * g).sum() for g in grads), [x])
    for t in (y, *grads, ggx, norm.running_mean):
        assert t.device == fake and type(t._array) is fake_device.FakeArray


def test_float32_stays_float32_through_forward_and_both_backwards():
    case = dict(BIG_KERNEL)
    _, (x, w, b) = make_inputs(case, dtype=np.float32)
    y = conv2d(x, w, b, **hyper(case))
    assert y.dtype == np.float32
    (gx, gw, gb) = minidl.grad((y * y).sum(), [x, w, b], create_graph=True)
    assert (gx.dtype, gw.dtype, gb.dtype) == (np.float32,) * 3
    (ggx,) = minidl.grad((gw * gw).sum(), [x])
    assert ggx.dtype == np.float32


def test_unbatched_input_gives_unbatched_output():
    x = minidl.randn(2, 6, 5, dtype=minidl.float64)
    w = minidl.randn(4, 2, 3, 3, dtype=minidl.float64)
    y = conv2d(x, w, padding=1)
    assert y.shape == (4, 6, 5)
    np.testing.assert_allclose(y._array, conv2d(x.reshape(1, 2, 6, 5), w, padding=1)._array[0])


def test_graph_is_freed_and_columns_are_not_kept_without_a_weight_gradient():
    """The im2col columns are saved for gW only when W needs a gradient."""
    x = minidl.randn(2, 3, 8, 8, requires_grad=True)
    w = minidl.randn(4, 3, 3, 3)
    y = conv2d(x, w)
    assert y.grad_fn.saved_tensors[2] is None
    w.requires_grad_()
    y = conv2d(x, w)
    assert y.grad_fn.saved_tensors[2].shape == (1, 27, 2 * 36)  # (groups, K, N*Ho*Wo)


# ------------------------------------------------------------------------------ the layer
def test_conv2d_layer_initialisation_and_repr():
    minidl.manual_seed(0)
    layer = Conv2d(4, 6, kernel_size=(3, 2), groups=2, padding=1)
    assert layer.weight.shape == (6, 2, 3, 2) and layer.bias.shape == (6,)
    bound = 1 / np.sqrt(2 * 3 * 2)  # fan_in = in_channels / groups * kh * kw
    for p in (layer.weight, layer.bias):
        assert p.dtype == np.float32 and p.requires_grad
        assert np.abs(p._array).max() <= bound and np.abs(p._array).max() > 0.5 * bound
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert repr(layer) == ("Conv2d(4, 6, kernel_size=(3, 2), stride=(1, 1), padding=(1, 1), "
                           "groups=2)")
    assert repr(Conv2d(3, 8, 3, stride=2, bias=False)) == \
        "Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), bias=False)"
    assert Conv2d(1, 2, 3, bias=False, dtype=minidl.float64).weight.dtype == np.float64


def test_conv2d_layer_forward_and_backward_shapes():
    layer = Conv2d(3, 5, 3, stride=2, padding=1)
    x = minidl.randn(4, 3, 9, 9, requires_grad=True)
    y = layer(x)
    assert y.shape == (4, 5, 5, 5)
    y.sum().backward()
    assert x.grad.shape == x.shape and layer.weight.grad.shape == layer.weight.shape
    np.testing.assert_allclose(layer.bias.grad._array, np.full(5, 4 * 25.0))


# ------------------------------------------------------------------- PyTorch, when present
@pytest.mark.parametrize("case", [BIG_KERNEL, DILATED,
                                  dict(shape_x=(3, 4, 10, 11), shape_w=(6, 2, 3, 3), bias=True,
                                       stride=(1, 2), padding=(2, 1), dilation=(1, 1),
                                       groups=2, seed=11)])
def test_conv2d_matches_pytorch(case):
    torch = pytest.importorskip("torch")
    arrays, tensors = make_inputs(case)
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = conv2d(*tensors, **hyper(case))
    y_torch = torch.nn.functional.conv2d(*theirs, **hyper(case))
    np.testing.assert_allclose(y._array, y_torch.detach().numpy(), rtol=1e-10, atol=1e-10)
    gy = np.random.default_rng(0).standard_normal(y.shape)
    y.backward(minidl.tensor(gy))
    y_torch.backward(torch.tensor(gy))
    for a, b in zip(tensors, theirs):
        np.testing.assert_allclose(a.grad._array, b.grad.numpy(), rtol=1e-10, atol=1e-10)
