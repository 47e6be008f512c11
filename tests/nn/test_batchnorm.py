"""batch_norm and BatchNorm1d/2d: the fused training Function against its composed twin, first
and second derivatives, running statistics, eval mode, a graph that never grows, degenerate
inputs, and PyTorch when it is installed.

Read next: ``test_layernorm.py``.
"""
import gc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl import backend
from minidl.errors import ShapeError
from minidl.nn.layers.normalization import BatchNorm1d, BatchNorm2d
from minidl.nn.normalization_functional import batch_norm, normalize
from minidl.node import Node
from minidl.testing import gradcheck, gradgradcheck


@st.composite
def bn_cases(draw, max_side=3):
    """(N, C), (N, C, L) or (N, C, H, W) with at least two values per channel."""
    rank = draw(st.integers(2, 4))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) + tuple(
        draw(st.integers(1, max_side)) for _ in range(rank - 2))
    if np.prod(shape) // shape[1] < 2:
        shape = (shape[0] + 1,) + shape[1:]
    return dict(shape=shape, eps=draw(st.sampled_from([1e-5, 1e-3, 0.1])),
                affine=draw(st.booleans()), seed=draw(st.integers(0, 2**16)))


def bn_inputs(case, device="cpu"):
    rng = np.random.default_rng(case["seed"])
    channels = case["shape"][1]
    x = minidl.tensor(rng.standard_normal(case["shape"]) * 2 + 1, device=device,
                      requires_grad=True)
    if not case["affine"]:
        return [x]
    w = minidl.tensor(rng.standard_normal(channels), device=device, requires_grad=True)
    b = minidl.tensor(rng.standard_normal(channels), device=device, requires_grad=True)
    return [x, w, b]


def train_fn(case):
    def fn(x, w=None, b=None):
        return batch_norm(x, None, None, w, b, training=True, eps=case["eps"])
    return fn


def axes_of(x):
    return (0,) + tuple(range(2, x.ndim))


@settings(deadline=None)
@given(case=bn_cases(max_side=5))
def test_fused_batch_norm_equals_its_composed_twin(case):
    fused_inputs, twin_inputs = bn_inputs(case), bn_inputs(case)
    y = train_fn(case)(*fused_inputs)
    x, *affine = twin_inputs
    y_twin = normalize(x, axes_of(x), case["eps"])
    if affine:
        shape = (1, -1) + (1,) * (x.ndim - 2)  # a (C,) vector along axis 1
        y_twin = y_twin * affine[0].reshape(shape) + affine[1].reshape(shape)
    np.testing.assert_allclose(y._array, y_twin._array, rtol=1e-10, atol=1e-10)
    gy = minidl.tensor(np.random.default_rng(1).standard_normal(y.shape))
    y.backward(gy)
    y_twin.backward(gy)
    for a, b in zip(fused_inputs, twin_inputs):
        np.testing.assert_allclose(a.grad._array, b.grad._array, rtol=1e-9, atol=1e-10)


@settings(deadline=None)
@given(case=bn_cases())
def test_training_mode_first_and_second_derivatives(case):
    inputs = bn_inputs(case)
    gradcheck(train_fn(case), inputs)
    gradgradcheck(train_fn(case), inputs)


@settings(deadline=None)
@given(case=bn_cases())
def test_eval_mode_first_and_second_derivatives(case):
    inputs = bn_inputs(case)
    rng = np.random.default_rng(0)
    mean = minidl.tensor(rng.standard_normal(case["shape"][1]))
    var = minidl.tensor(rng.uniform(0.5, 2.0, case["shape"][1]))

    def fn(x, w=None, b=None):
        return batch_norm(x, mean, var, w, b, training=False, eps=case["eps"])

    shape = (1, -1) + (1,) * (inputs[0].ndim - 2)  # a (C,) vector along axis 1
    expected = (inputs[0]._array - mean._array.reshape(shape)) / np.sqrt(
        var._array.reshape(shape) + case["eps"])
    if case["affine"]:
        expected = expected * inputs[1]._array.reshape(shape) + inputs[2]._array.reshape(shape)
    np.testing.assert_allclose(fn(*inputs)._array, expected, rtol=1e-10, atol=1e-10)
    gradcheck(fn, inputs)
    gradgradcheck(fn, inputs)


def test_running_statistics_follow_the_formula():
    """running = (1 - m) running + m batch; the variance fed in is unbiased (n / (n - 1))."""
    rng = np.random.default_rng(0)
    layer = BatchNorm2d(3, momentum=0.2)
    mean, var = np.zeros(3), np.ones(3)
    for _ in range(5):
        a = (rng.standard_normal((4, 3, 5, 5)) * 3 + 2).astype(np.float32)
        layer(minidl.tensor(a))
        mean = 0.8 * mean + 0.2 * a.mean(axis=(0, 2, 3))
        var = 0.8 * var + 0.2 * a.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(layer.running_mean._array, mean, rtol=1e-5)
    np.testing.assert_allclose(layer.running_var._array, var, rtol=1e-5)
    assert layer.num_batches_tracked.item() == 5
    assert layer.running_mean.dtype == np.float32 and layer.num_batches_tracked.dtype == np.int64


def test_momentum_none_is_the_cumulative_average():
    rng = np.random.default_rng(1)
    layer = BatchNorm1d(2, momentum=None)
    batches = [rng.standard_normal((6, 2)) for _ in range(4)]
    for a in batches:
        layer(minidl.tensor(a.astype(np.float32)))
    np.testing.assert_allclose(layer.running_mean._array,
                               np.mean([a.mean(axis=0) for a in batches], axis=0), rtol=1e-5)
    np.testing.assert_allclose(layer.running_var._array,
                               np.mean([a.var(axis=0, ddof=1) for a in batches], axis=0),
                               rtol=1e-5)


def test_eval_uses_running_statistics_and_works_with_batch_size_one():
    layer = BatchNorm1d(3)
    layer.running_mean.copy_(np.array([1.0, -2.0, 0.5]))
    layer.running_var.copy_(np.array([4.0, 0.25, 1.0]))
    with minidl.no_grad():
        layer.weight.copy_(np.array([2.0, 1.0, -1.0]))
        layer.bias.copy_(np.array([0.0, 1.0, 3.0]))
    layer.eval()
    x = np.array([[3.0, -1.0, 0.5]], dtype=np.float32)
    y = layer(minidl.tensor(x))
    expected = (x - [1.0, -2.0, 0.5]) / np.sqrt(np.array([4.0, 0.25, 1.0]) + 1e-5) \
        * [2.0, 1.0, -1.0] + [0.0, 1.0, 3.0]
    np.testing.assert_allclose(y._array, expected, rtol=1e-5)
    assert layer.num_batches_tracked.item() == 0  # eval leaves the buffers alone
    assert BatchNorm2d(2).eval()(minidl.randn(1, 2, 1, 1)).shape == (1, 2, 1, 1)


@pytest.mark.parametrize("layer, shape", [(BatchNorm1d(4), (1, 4)), (BatchNorm1d(4), (1, 4, 1)),
                                          (BatchNorm2d(4), (1, 4, 1, 1))])
def test_one_value_per_channel_in_training_is_an_error(layer, shape):
    with pytest.raises(ShapeError, match=r"more than 1 value per channel.*\(1, 4"):
        layer(minidl.randn(*shape))
    assert layer.num_batches_tracked.item() == 0


def _live_functions() -> int:
    gc.collect()
    return sum(type(o) is Node for o in gc.get_objects())


def test_graph_does_not_grow_over_training_steps():
    """Buffers are updated outside the graph: step 100 builds the same graph as step 1."""
    layer = BatchNorm2d(3)
    x = minidl.randn(4, 3, 2, 2)
    sizes = []
    for step in range(100):
        y = layer(x)
        (y * y).sum().backward()
        if step in (0, 99):
            sizes.append(_live_functions())
        del y
    assert sizes[0] == sizes[1]
    for buffer in layer.buffers():
        assert buffer.grad_fn is None and not buffer.requires_grad


@pytest.mark.parametrize("shift", [0.0, 1e4])
def test_degenerate_inputs_give_finite_outputs_and_gradients(shift):
    """A constant channel (variance 0) and 1e4 + tiny noise (large mean, tiny variance)."""
    rng = np.random.default_rng(0)
    a = np.full((8, 2, 3, 3), shift, dtype=np.float32)
    a[:, 1] += rng.standard_normal((8, 3, 3)).astype(np.float32) * 1e-3
    layer = BatchNorm2d(2)
    x = minidl.tensor(a, requires_grad=True)
    y = layer(x)
    (gx,) = minidl.grad((y * minidl.randn(*y.shape)).sum(), [x], create_graph=True)
    (ggx,) = minidl.grad((gx * gx).sum(), [x])
    for t in (y, gx, ggx, layer.weight.grad, layer.running_var):
        assert t is None or np.isfinite(t._array).all()
    assert y.dtype == gx.dtype == np.float32
    np.testing.assert_allclose(y._array[:, 0], 0.0, atol=1e-3)


def test_track_running_stats_false_and_affine_false():
    layer = BatchNorm1d(3, affine=False, track_running_stats=False)
    assert list(layer.parameters()) == [] and layer.running_mean is None
    x = minidl.randn(5, 3, dtype=minidl.float64)
    for mode in (layer.train, layer.eval):  # batch statistics in both modes
        mode()
        np.testing.assert_allclose(layer(x)._array, normalize(x, (0,), 1e-5)._array, atol=1e-12)
    assert repr(BatchNorm2d(8)) == ("BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, "
                                    "bias=True, track_running_stats=True)")
    assert sorted(BatchNorm2d(2).state_dict()) == [
        "bias", "num_batches_tracked", "running_mean", "running_var", "weight"]


def test_batch_norm_on_every_device(device):
    layer = BatchNorm2d(2).to(device)
    x = minidl.randn(3, 2, 4, 4, device=device, requires_grad=True)
    y = layer(x)
    (y * y).sum().backward()
    assert y.device == x.device == x.grad.device == layer.running_mean.device


# ------------------------------------------------------------------- PyTorch, when present
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (4, 3, 3, 2)])
def test_matches_pytorch_over_training_steps_and_in_eval(shape, momentum):
    torch = pytest.importorskip("torch")
    ours = (BatchNorm1d if len(shape) < 4 else BatchNorm2d)(3, momentum=momentum).double()
    theirs = getattr(torch.nn, type(ours).__name__)(3, momentum=momentum).double()
    rng = np.random.default_rng(0)
    for step in range(4):
        if step == 3:
            ours.eval()
            theirs.eval()
        a = rng.standard_normal(shape) * 2 + 1
        x, x_torch = minidl.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        y, y_torch = ours(x), theirs(x_torch)
        np.testing.assert_allclose(y._array, y_torch.detach().numpy(), rtol=1e-10, atol=1e-10)
        gy = rng.standard_normal(shape)
        y.backward(minidl.tensor(gy))
        y_torch.backward(torch.tensor(gy))
        np.testing.assert_allclose(x.grad._array, x_torch.grad.numpy(), rtol=1e-9, atol=1e-10)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(backend.to_host(getattr(ours, name)._array),
                                   getattr(theirs, name).numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.weight.grad._array, theirs.weight.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(ours.bias.grad._array, theirs.bias.grad.numpy(), rtol=1e-9)
