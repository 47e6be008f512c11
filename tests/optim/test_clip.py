"""Gradient clipping against NumPy."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl
from minidl import backend
from minidl.errors import MinidlError
from minidl.nn.clip import NonFiniteNormError, clip_grad_norm_, clip_grad_value_

SHAPES = [(3, 4), (5,), (2, 1, 3), ()]


def params_with_grads(grads):
    params = []
    for g in grads:
        p = minidl.tensor(np.zeros(2) if g is None else np.zeros_like(g), requires_grad=True)
        p.grad = None if g is None else minidl.tensor(np.array(g, copy=True))
        params.append(p)
    return params


def random_grads(seed=0, scale=3.0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [(scale * rng.standard_normal(shape)).astype(dtype) for shape in SHAPES]


def numpy_total_norm(grads, norm_type):
    flat = np.concatenate([g.ravel() for g in grads])
    return np.linalg.norm(flat, ord=norm_type)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 3.0, 0.5])
def test_clip_grad_norm_matches_numpy(norm_type):
    grads = random_grads()
    params = params_with_grads(grads)
    total = numpy_total_norm(grads, norm_type)
    max_norm = total / 4
    returned = clip_grad_norm_(params, max_norm, norm_type=norm_type)
    assert isinstance(returned, minidl.tensor(0.0).__class__) and returned.shape == ()
    np.testing.assert_allclose(float(returned), total, rtol=1e-12)
    scale = max_norm / (total + 1e-6)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad._array, g * scale, rtol=1e-12)
    after = numpy_total_norm([p.grad._array for p in params], norm_type)
    np.testing.assert_allclose(after, max_norm, rtol=1e-6)


def test_clip_grad_norm_leaves_small_gradients_alone():
    grads = random_grads()
    params = params_with_grads(grads)
    total = clip_grad_norm_(params, max_norm=1e6)
    np.testing.assert_allclose(float(total), numpy_total_norm(grads, 2), rtol=1e-12)
    for p, g in zip(params, grads):
        np.testing.assert_array_equal(p.grad._array, g)  # scale clamped to 1: untouched


def test_clip_grad_norm_all_zero_gradients_stay_zero():
    params = params_with_grads([np.zeros(3), np.zeros((2, 2))])
    assert float(clip_grad_norm_(params, 1.0)) == 0.0
    for p in params:
        np.testing.assert_array_equal(p.grad._array, 0.0)


def test_clip_grad_norm_skips_missing_grads_and_accepts_one_tensor():
    grads = random_grads()
    params = params_with_grads(grads + [None])
    total = clip_grad_norm_(iter(params), max_norm=1.0)  # any iterable, even a generator
    np.testing.assert_allclose(float(total), numpy_total_norm(grads, 2), rtol=1e-12)
    assert params[-1].grad is None
    (single,) = params_with_grads([np.array([3.0, 4.0])])
    assert float(clip_grad_norm_(single, 1.0)) == pytest.approx(5.0)
    np.testing.assert_allclose(single.grad._array, [0.6, 0.8], rtol=1e-6)
    assert float(clip_grad_norm_(params_with_grads([None]), 1.0)) == 0.0


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_clip_grad_norm_nonfinite(bad):
    grads = [np.array([1.0, bad]), np.ones(3)]
    params = params_with_grads(grads)
    with pytest.raises(NonFiniteNormError, match="norm of order 2.0") as info:
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert isinstance(info.value, (RuntimeError, MinidlError))
    np.testing.assert_array_equal(params[1].grad._array, 1.0)  # nothing scaled before the error
    # Without the flag PyTorch scales by the non-finite coefficient anyway (1/inf = 0, or NaN);
    # so do we, and the non-finite entry becomes NaN.
    with np.errstate(invalid="ignore"):
        total = clip_grad_norm_(params, 1.0)
    assert not np.isfinite(float(total))
    assert np.isnan(params[0].grad._array[1])


def test_clip_grad_norm_keeps_float32():
    params = params_with_grads(random_grads(dtype=np.float32))
    total = clip_grad_norm_(params, 0.5)
    assert total.dtype == np.float32
    assert all(p.grad._array.dtype == np.float32 for p in params)


def test_clip_grad_norm_rejects_bad_norm_type():
    with pytest.raises(ValueError, match="norm_type"):
        clip_grad_norm_(params_with_grads([np.ones(2)]), 1.0, norm_type=0)


@settings(deadline=None)
@given(grads=st.lists(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=4),
                                 elements=st.floats(-1e3, 1e3)), min_size=1, max_size=4),
       max_norm=st.floats(1e-3, 1e3),
       norm_type=st.sampled_from([1.0, 2.0, 3.0, float("inf")]))
def test_clip_grad_norm_bounds_the_norm_and_keeps_directions(grads, max_norm, norm_type):
    params = params_with_grads(grads)
    total = float(clip_grad_norm_(params, max_norm, norm_type=norm_type))
    after = numpy_total_norm([p.grad._array for p in params], norm_type)
    assert after <= max_norm * (1 + 1e-9) or after <= total * (1 + 1e-9)
    assert after <= max(max_norm, total) * (1 + 1e-9)
    coef = min(max_norm / (total + 1e-6), 1.0)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad._array, g * coef, rtol=1e-12, atol=0)


def test_clipping_on_device(device):
    grads = random_grads(dtype=np.float32)
    params = [minidl.tensor(np.zeros_like(g), device=device, requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = minidl.tensor(g, device=device)
    total = clip_grad_norm_(params, 1.0)
    assert total.device == params[0].device
    np.testing.assert_allclose(float(total), numpy_total_norm(grads, 2), rtol=1e-5)
    clip_grad_value_(params, 0.1)
    for p, g in zip(params, grads):
        assert p.grad.device == params[0].device
        expected = np.clip(g * (1.0 / (float(total) + 1e-6)), -0.1, 0.1)
        np.testing.assert_allclose(backend.to_host(p.grad._array), expected, rtol=1e-5, atol=1e-7)


def test_clip_grad_value_matches_numpy_clip():
    grads = random_grads()
    params = params_with_grads(grads + [None])
    assert clip_grad_value_(params, 1.5) is None
    for p, g in zip(params, grads):
        np.testing.assert_array_equal(p.grad._array, np.clip(g, -1.5, 1.5))
    assert params[-1].grad is None
    (single,) = params_with_grads([np.array([-3.0, 0.5, 3.0], dtype=np.float32)])
    clip_grad_value_(single, 1)
    np.testing.assert_array_equal(single.grad._array, [-1.0, 0.5, 1.0])
    assert single.grad._array.dtype == np.float32
    with pytest.raises(ValueError, match="clip_value"):
        clip_grad_value_(params, -1.0)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_matches_pytorch_when_installed(norm_type):
    torch = pytest.importorskip("torch")
    grads = random_grads()
    ours = params_with_grads(grads)
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(theirs, grads):
        t.grad = torch.tensor(g)
    our_total = clip_grad_norm_(ours, 0.7, norm_type=norm_type)
    their_total = torch.nn.utils.clip_grad_norm_(theirs, 0.7, norm_type=norm_type)
    np.testing.assert_allclose(float(our_total), float(their_total), rtol=1e-12)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad._array, t.grad.numpy(), rtol=1e-12)
