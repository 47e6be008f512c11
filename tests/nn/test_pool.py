"""max_pool2d, avg_pool2d, adaptive_avg_pool2d and their layers: values against NumPy loops,
first and second derivatives, ties, padding, float32, and PyTorch when it is installed.

Max pooling is not differentiable where two elements of a window tie for the maximum. The
gradient tests keep samples off ties by using distinct values: a random permutation of
0, 0.1, 0.2, ... (any two differ by 0.1, far more than the 1e-6 difference step).

Read next: ``test_batchnorm.py``.
"""
import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

import minidl
from minidl import backend
from minidl.nn.layers.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from minidl.ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from minidl.testing import gradcheck, gradgradcheck


def pool_loop(x, kernel, stride, padding, dilation, reduce, pad_value):
    """One window at a time: reduce(x_pad[n, c, s*h + d*i, s*v + d*j] over i, j)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    ho = (x.shape[2] + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (x.shape[3] + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros(x.shape[:2] + (ho, wo))
    for h in range(ho):
        for v in range(wo):
            window = xpad[:, :, h * sh:h * sh + dh * (kh - 1) + 1:dh,
                          v * sw:v * sw + dw * (kw - 1) + 1:dw]
            y[:, :, h, v] = reduce(window, axis=(2, 3))
    return y


def adaptive_loop(x, out_h, out_w):
    """PyTorch's adaptive windows: rows floor(a*H/Ho) to ceil((a+1)*H/Ho) - 1."""
    height, width = x.shape[2:]
    y = np.zeros(x.shape[:2] + (out_h, out_w))
    for a in range(out_h):
        for b in range(out_w):
            rows = slice(a * height // out_h, -(-(a + 1) * height // out_h))
            cols = slice(b * width // out_w, -(-(b + 1) * width // out_w))
            y[:, :, a, b] = x[:, :, rows, cols].mean(axis=(2, 3))
    return y


@st.composite
def pool_cases(draw, max_side=8, max_kernel=4, dilate=True):
    kernel = (draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)  # PyTorch: at most k/2
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilate else (1, 1)
    size = []
    for k, d, p in zip(kernel, dilation, padding):
        low = max(1, d * (k - 1) + 1 - 2 * p)
        size.append(draw(st.integers(low, max(low, max_side))))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), *size)
    return dict(shape=shape, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                seed=draw(st.integers(0, 2**16)))


def distinct_values(shape, seed):
    """0, 0.1, 0.2, ... in random order, minus a shift so that some are negative."""
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 - 1.0


def max_pool_fn(case):
    return lambda x: max_pool2d(x, case["kernel"], case["stride"], case["padding"],
                                case["dilation"])


def avg_pool_fn(case):
    return lambda x: avg_pool2d(x, case["kernel"], case["stride"], case["padding"])


KERNEL_7 = dict(shape=(1, 2, 9, 8), kernel=(7, 7), stride=(3, 3), padding=(2, 3),
                dilation=(1, 1), seed=5)


@settings(deadline=None)
@given(case=pool_cases(max_side=12, max_kernel=7))
@example(case=KERNEL_7)
def test_max_and_avg_pool_match_numpy_loops(case):
    a = distinct_values(case["shape"], case["seed"])
    x = minidl.tensor(a)
    geometry = (case["kernel"], case["stride"], case["padding"], case["dilation"])
    np.testing.assert_array_equal(max_pool_fn(case)(x)._array,
                                  pool_loop(a, *geometry, np.max, -np.inf))
    geometry = (case["kernel"], case["stride"], case["padding"], (1, 1))
    np.testing.assert_allclose(avg_pool_fn(case)(x)._array, pool_loop(a, *geometry, np.mean, 0),
                               rtol=1e-12, atol=1e-12)


@settings(deadline=None)
@given(case=pool_cases(max_side=6, max_kernel=3))
@example(case=KERNEL_7)
def test_max_pool_first_and_second_derivatives_off_ties(case):
    x = minidl.tensor(distinct_values(case["shape"], case["seed"]), requires_grad=True)
    # A dilated window can hold padding only: its max is -inf (as in PyTorch), no derivative.
    assume(np.isfinite(max_pool_fn(case)(x)._array).all())
    gradcheck(max_pool_fn(case), [x])
    gradgradcheck(max_pool_fn(case), [x])


@settings(deadline=None)
@given(case=pool_cases(max_side=6, max_kernel=3, dilate=False))
@example(case=KERNEL_7)
def test_avg_pool_first_and_second_derivatives(case):
    x = minidl.tensor(np.random.default_rng(case["seed"]).standard_normal(case["shape"]),
                      requires_grad=True)
    gradcheck(avg_pool_fn(case), [x])
    gradgradcheck(avg_pool_fn(case), [x])


@settings(deadline=None)
@given(height=st.integers(1, 7), width=st.integers(1, 7), out_h=st.integers(1, 5),
       out_w=st.integers(1, 5), seed=st.integers(0, 100))
def test_adaptive_avg_pool_values_and_derivatives(height, width, out_h, out_w, seed):
    a = np.random.default_rng(seed).standard_normal((2, 1, height, width))
    x = minidl.tensor(a, requires_grad=True)
    y = adaptive_avg_pool2d(x, (out_h, out_w))
    np.testing.assert_allclose(y._array, adaptive_loop(a, out_h, out_w), rtol=1e-12, atol=1e-12)
    gradcheck(lambda t: adaptive_avg_pool2d(t, (out_h, out_w)), [x])
    gradgradcheck(lambda t: adaptive_avg_pool2d(t, (out_h, out_w)), [x])


def test_max_pool_gradient_goes_to_the_first_maximum_on_ties():
    x = minidl.zeros(1, 1, 4, 4, dtype=minidl.float64, requires_grad=True)
    max_pool2d(x, 2).sum().backward()
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1  # the top-left element is the first of each window
    np.testing.assert_array_equal(x.grad._array[0, 0], expected)


def test_overlapping_windows_add_their_gradients():
    """With stride 1 one element can be the maximum of several windows."""
    a = np.zeros((1, 1, 3, 3))
    a[0, 0, 1, 1] = 5.0
    x = minidl.tensor(a, requires_grad=True)
    y = max_pool2d(x, 2, stride=1)
    np.testing.assert_array_equal(y._array, np.full((1, 1, 2, 2), 5.0))
    y.sum().backward()
    assert x.grad._array[0, 0, 1, 1] == 4 and x.grad._array.sum() == 4


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_a_non_finite_gradient_reaches_only_the_argmax(bad):
    """The fast backward writes (argmax == offset) * gy, where 0 * inf would be NaN: a gy with
    infinities or NaNs must still give exactly 0 to every element that is not a maximum."""
    x = minidl.tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    gy = np.ones((1, 1, 2, 2))
    gy[0, 0, 0, 1] = bad
    max_pool2d(x, 2).backward(minidl.tensor(gy))
    expected = np.zeros((4, 4))
    expected[1::2, 1::2] = gy[0, 0]  # each window's maximum is its bottom-right element
    np.testing.assert_array_equal(x.grad._array[0, 0], expected)


def test_max_pool_padding_never_wins_and_nan_propagates():
    x = minidl.full((1, 1, 3, 3), -7.0)
    np.testing.assert_array_equal(max_pool2d(x, 3, stride=1, padding=1)._array, -7.0)
    # ... unless a dilated window holds nothing else: then -inf, as in PyTorch.
    y = max_pool2d(minidl.ones(1, 1, 1, 1), (1, 2), stride=1, padding=(0, 1), dilation=(1, 2))
    np.testing.assert_array_equal(y._array, -np.inf)
    a = np.arange(16.0).reshape(1, 1, 4, 4)
    a[0, 0, 0, 0] = np.nan
    x = minidl.tensor(a, requires_grad=True)
    y = max_pool2d(x, 2)
    assert np.isnan(y._array[0, 0, 0, 0]) and y._array[0, 0, 1, 1] == 15
    y.sum().backward()
    assert x.grad._array[0, 0, :2, :2].sum() == 1  # one element of the window gets it


def test_pooling_keeps_float32_and_device(device):
    x = minidl.randn(2, 3, 6, 6, device=device, requires_grad=True)
    for fn in (lambda t: max_pool2d(t, 3, 2, 1), lambda t: avg_pool2d(t, 2),
               lambda t: adaptive_avg_pool2d(t, (2, 4)), lambda t: adaptive_avg_pool2d(t, 1)):
        y = fn(x)
        assert y.dtype == np.float32 and y.device == x.device
        (g,) = minidl.grad((y * y).sum(), [x], create_graph=True)
        assert g.dtype == np.float32 and g.device == x.device


def test_unbatched_input():
    x = minidl.randn(3, 6, 6)
    assert max_pool2d(x, 2).shape == (3, 3, 3)
    assert avg_pool2d(x, 3, 3).shape == (3, 2, 2)
    assert adaptive_avg_pool2d(x, 1).shape == (3, 1, 1)


def test_layers_hold_hyperparameters_and_match_the_functions():
    x = minidl.randn(2, 3, 7, 7)
    layer = MaxPool2d(3, stride=2, padding=1)
    assert (layer.kernel_size, layer.stride, layer.padding) == (3, 2, 1)
    assert MaxPool2d(2).stride == 2
    np.testing.assert_array_equal(layer(x)._array, max_pool2d(x, 3, 2, 1)._array)
    np.testing.assert_array_equal(AvgPool2d(2)(x)._array, avg_pool2d(x, 2)._array)
    np.testing.assert_allclose(AdaptiveAvgPool2d(1)(x)._array,
                               x._array.mean(axis=(2, 3), keepdims=True), rtol=1e-6)
    assert AdaptiveAvgPool2d((None, 2))(x).shape == (2, 3, 7, 2)
    assert repr(MaxPool2d(2)) == ("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, "
                                  "ceil_mode=False)")
    assert repr(AvgPool2d(3, 1, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=1)"
    assert repr(AdaptiveAvgPool2d((5, 7))) == "AdaptiveAvgPool2d(output_size=(5, 7))"
    assert list(layer.parameters()) == []


# ------------------------------------------------------------------- PyTorch, when present
@pytest.mark.parametrize("kernel, stride, padding, dilation", [
    (2, None, 0, 1), (3, 1, 1, 1), (3, 2, 1, 2), ((7, 5), 3, (2, 1), 1), ((2, 3), (1, 2), 0, 1)])
def test_pooling_matches_pytorch(kernel, stride, padding, dilation):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 2, 11, 10))
    a[0, 0, :4, :4] = 1.0  # ties: both frameworks send the gradient to the first maximum
    gy_rng = np.random.default_rng(1)
    for ours, theirs in [
            (lambda t: max_pool2d(t, kernel, stride, padding, dilation),
             lambda t: torch.nn.functional.max_pool2d(t, kernel, stride, padding, dilation)),
            (lambda t: avg_pool2d(t, kernel, stride, padding),
             lambda t: torch.nn.functional.avg_pool2d(t, kernel, stride, padding))]:
        x, x_torch = minidl.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        y, y_torch = ours(x), theirs(x_torch)
        np.testing.assert_allclose(y._array, y_torch.detach().numpy(), rtol=1e-12, atol=1e-12)
        gy = gy_rng.standard_normal(y.shape)
        y.backward(minidl.tensor(gy))
        y_torch.backward(torch.tensor(gy))
        np.testing.assert_allclose(x.grad._array, x_torch.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("output_size", [1, (3, 4), (5, 2), (None, 3)])
def test_adaptive_avg_pool_matches_pytorch(output_size):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(2).standard_normal((2, 3, 7, 9))
    y = adaptive_avg_pool2d(minidl.tensor(a), output_size)
    expected = torch.nn.functional.adaptive_avg_pool2d(torch.tensor(a), output_size).numpy()
    np.testing.assert_allclose(backend.to_host(y._array), expected, rtol=1e-12, atol=1e-12)
