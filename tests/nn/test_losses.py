"""Every loss against a NumPy reference written from its formula, with first and second
derivatives checked by central differences (float64); the fused cross_entropy against its
composed twin; stability for logits of size 1e4; the loss Modules against the functions.

Kinks kept off (central differences step 1e-6, so a margin of 1e-3 is plenty):
* l1_loss at x = y: the difference d = x - y is drawn with |d| >= 0.01;
* huber_loss at |d| = delta: d is moved 0.01 further when it falls within 1e-3 of +-delta;
* multi_margin_loss at margin - x[c] + x[k] = 0: examples within 1e-3 of it are rejected.
"""
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl import backend, testing
from minidl.nn.loss_functional import cross_entropy_composed
from minidl.testing import gradcheck, gradgradcheck

REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


def t64(a, grad=False):
    return minidl.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# ---------------------------------------------------------------------------- NumPy references
def ref_reduce(loss, reduction, denominator=None):
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    return total / (loss.size if denominator is None else denominator)


def ref_log_softmax(x):
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def ref_cross_entropy(x, t, w=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """PyTorch's definition for (N, C) logits, written out."""
    n, c = x.shape
    w = np.ones(c) if w is None else w
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    logp = ref_log_softmax(x)
    nll = -logp[np.arange(n), safe] * w[safe]
    smooth = -(logp * w).sum(axis=1)
    loss = ((1 - label_smoothing) * nll + label_smoothing / c * smooth) * valid
    return ref_reduce(loss, reduction, (w[safe] * valid).sum())


def ref_nll(x, t, w=None, ignore_index=-100, reduction="mean"):
    n, c = x.shape
    w = np.ones(c) if w is None else w
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    loss = -x[np.arange(n), safe] * w[safe] * valid
    return ref_reduce(loss, reduction, (w[safe] * valid).sum())


def ref_multi_margin(x, t, p=1, margin=1.0, w=None, reduction="mean"):
    n, c = x.shape
    w = np.ones(c) if w is None else w
    loss = np.zeros(n)
    for i in range(n):
        for k in range(c):
            if k != t[i]:
                loss[i] += w[t[i]] * max(0.0, margin - x[i, t[i]] + x[i, k]) ** p / c
    return ref_reduce(loss, reduction)


def ref_bce_with_logits(x, y, w=None, pos_weight=None, reduction="mean"):
    p = 1 / (1 + np.exp(-x))
    pw = 1 if pos_weight is None else pos_weight
    loss = -(pw * y * np.log(p) + (1 - y) * np.log(1 - p)) * (1 if w is None else w)
    return ref_reduce(loss, reduction)


def ref_huber(d, delta):
    return np.where(np.abs(d) < delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))


# ---------------------------------------------------------------------------- strategies
@st.composite
def class_case(draw, min_classes=2, ignore=True, weighted=True):
    """Logits (N, C) in [-3, 3], targets in [0, C) (some ignored, never the first), weights."""
    n, c = draw(st.integers(1, 4)), draw(st.integers(min_classes, 4))
    x = draw(testing.float_arrays((n, c)))
    t = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    ignore_index = draw(st.sampled_from([-100, 0, c - 1])) if ignore else -100
    if ignore and n > 1 and draw(st.booleans()):
        t[1:] = np.where(draw(hnp.arrays(bool, (n - 1,))), ignore_index, t[1:])
    t[0] = (ignore_index + 1) % c if t[0] == ignore_index else t[0]
    w = None
    if weighted and draw(st.booleans()):
        w = draw(hnp.arrays(np.float64, (c,), elements=st.floats(0.25, 2.0)))
    return x, t, w, ignore_index


def _twice_differentiable(fn, inputs):
    gradcheck(fn, inputs)
    gradgradcheck(fn, inputs)


# ---------------------------------------------------------------------------- cross entropy
@settings(deadline=None)
@given(case=class_case(), reduction=REDUCTIONS,
       smoothing=st.sampled_from([0.0, 0.1, 0.5, 1.0]))
def test_cross_entropy(case, reduction, smoothing):
    x, t, w, ignore_index = case
    kwargs = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
    weight = None if w is None else t64(w)
    expected = ref_cross_entropy(x, t, w, **kwargs)

    def fused(xt):
        return F.cross_entropy(xt, minidl.tensor(t), weight, **kwargs)

    def composed(xt):
        return cross_entropy_composed(xt, minidl.tensor(t), weight, **kwargs)

    xt = t64(x, grad=True)
    value, twin = fused(xt), composed(xt)
    np.testing.assert_allclose(value._array, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(twin._array, value._array, rtol=1e-12, atol=1e-14)
    v = t64(np.random.default_rng(0).standard_normal(value.shape))
    g_fused, = minidl.grad(value, xt, v, create_graph=True)
    g_twin, = minidl.grad(twin, xt, v, create_graph=True)
    np.testing.assert_allclose(g_fused._array, g_twin._array, rtol=1e-10, atol=1e-13)
    hv_fused, = minidl.grad((g_fused * g_fused).sum(), xt)
    hv_twin, = minidl.grad((g_twin * g_twin).sum(), xt)
    np.testing.assert_allclose(hv_fused._array, hv_twin._array, rtol=1e-9, atol=1e-12)
    _twice_differentiable(fused, [xt])


@settings(deadline=None)
@given(data=st.data(), n=st.integers(1, 3), c=st.integers(2, 3),
       spatial=testing.shapes(1, 2, max_side=3), reduction=REDUCTIONS)
def test_cross_entropy_with_spatial_dimensions(data, n, c, spatial, reduction):
    x = data.draw(testing.float_arrays((n, c) + spatial), label="x")
    t = data.draw(hnp.arrays(np.int64, (n,) + spatial, elements=st.integers(0, c - 1)))
    xt = t64(x, grad=True)
    out = F.cross_entropy(xt, minidl.tensor(t), reduction=reduction)
    rows = np.moveaxis(x, 1, -1).reshape(-1, c)
    expected = ref_cross_entropy(rows, t.reshape(-1), reduction=reduction)
    expected = expected.reshape(t.shape) if reduction == "none" else expected
    np.testing.assert_allclose(out._array, expected, rtol=1e-12, atol=1e-14)
    twin = cross_entropy_composed(xt, minidl.tensor(t), reduction=reduction)
    g = minidl.grad(out.sum(), xt)[0]._array
    np.testing.assert_allclose(g, minidl.grad(twin.sum(), xt)[0]._array, rtol=1e-10, atol=1e-13)


def test_cross_entropy_unbatched_input():
    x = t64([1.0, 2.0, 0.5], grad=True)
    out = F.cross_entropy(x, minidl.tensor(1))
    assert out.shape == ()
    np.testing.assert_allclose(out._array, ref_cross_entropy(x._array[None], np.array([1])))


# ---------------------------------------------------------------------------- nll, margin
@settings(deadline=None)
@given(case=class_case(), reduction=REDUCTIONS)
def test_nll_loss(case, reduction):
    x, t, w, ignore_index = case
    weight = None if w is None else t64(w)

    def fn(xt):
        return F.nll_loss(xt, minidl.tensor(t), weight, ignore_index=ignore_index,
                          reduction=reduction)

    xt = t64(x, grad=True)
    np.testing.assert_allclose(fn(xt)._array, ref_nll(x, t, w, ignore_index, reduction),
                               rtol=1e-12, atol=1e-14)
    _twice_differentiable(fn, [xt])


@settings(deadline=None)
@given(case=class_case(ignore=False), reduction=REDUCTIONS, p=st.sampled_from([1, 2]),
       margin=st.sampled_from([0.5, 1.0, 2.0]))
def test_multi_margin_loss(case, reduction, p, margin):
    x, t, w, _ = case
    hinge = margin - x[np.arange(len(t)), t][:, None] + x
    assume(np.all(np.abs(hinge[np.arange(x.shape[1]) != t[:, None]]) > 1e-3))
    weight = None if w is None else t64(w)

    def fn(xt):
        return F.multi_margin_loss(xt, minidl.tensor(t), p, margin, weight, reduction=reduction)

    xt = t64(x, grad=True)
    np.testing.assert_allclose(fn(xt)._array, ref_multi_margin(x, t, p, margin, w, reduction),
                               rtol=1e-12, atol=1e-14)
    _twice_differentiable(fn, [xt])


# ---------------------------------------------------------------------------- regression, BCE
@st.composite
def pair(draw, away_from=None):
    """(x, d): input and difference x - y, with |d| >= 0.01 when ``away_from`` is "zero"."""
    shape = draw(testing.shapes(1, 2, max_side=3))
    x = draw(testing.float_arrays(shape))
    if away_from == "zero":
        magnitude = st.floats(0.01, 3.0)
        d = draw(hnp.arrays(np.float64, shape, elements=st.one_of(magnitude,
                                                                  magnitude.map(lambda v: -v))))
    else:
        d = draw(testing.float_arrays(shape))
    return x, d


@settings(deadline=None)
@given(xd=pair(), reduction=REDUCTIONS)
def test_mse_loss(xd, reduction):
    x, d = xd
    fn = lambda a, b: F.mse_loss(a, b, reduction=reduction)  # noqa: E731
    np.testing.assert_allclose(fn(t64(x), t64(x - d))._array, ref_reduce((d * d), reduction),
                               rtol=1e-10, atol=1e-12)
    _twice_differentiable(fn, [t64(x, grad=True), t64(x - d, grad=True)])


@settings(deadline=None)
@given(xd=pair(away_from="zero"), reduction=REDUCTIONS)
def test_l1_loss(xd, reduction):
    x, d = xd
    fn = lambda a, b: F.l1_loss(a, b, reduction=reduction)  # noqa: E731
    y = x - d
    np.testing.assert_allclose(fn(t64(x), t64(y))._array, ref_reduce(np.abs(x - y), reduction),
                               rtol=1e-12, atol=1e-14)
    _twice_differentiable(fn, [t64(x, grad=True), t64(y, grad=True)])


@settings(deadline=None)
@given(xd=pair(), reduction=REDUCTIONS, delta=st.sampled_from([0.5, 1.0, 2.0]))
def test_huber_loss(xd, reduction, delta):
    x, d = xd
    d = np.where(np.abs(np.abs(d) - delta) < 1e-3, d + 0.01, d)  # off the kink |d| = delta
    y = x - d
    fn = lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=delta)  # noqa: E731
    np.testing.assert_allclose(fn(t64(x), t64(y))._array, ref_reduce(ref_huber(x - y, delta),
                                                                   reduction),
                               rtol=1e-12, atol=1e-14)
    _twice_differentiable(fn, [t64(x, grad=True), t64(y, grad=True)])


@settings(deadline=None)
@given(data=st.data(), shape=testing.shapes(1, 2, max_side=3), reduction=REDUCTIONS,
       weighted=st.booleans(), positive_weighted=st.booleans())
def test_binary_cross_entropy_with_logits(data, shape, reduction, weighted, positive_weighted):
    x = data.draw(testing.float_arrays(shape), label="x")
    y = data.draw(testing.float_arrays(shape, 0.0, 1.0), label="y")
    positive = hnp.arrays(np.float64, shape[-1:], elements=st.floats(0.25, 3.0))
    w = data.draw(positive, label="w") if weighted else None
    pw = data.draw(positive, label="pos_weight") if positive_weighted else None

    def fn(a, b):
        return F.binary_cross_entropy_with_logits(
            a, b, None if w is None else t64(w), reduction=reduction,
            pos_weight=None if pw is None else t64(pw))

    np.testing.assert_allclose(fn(t64(x), t64(y))._array,
                               ref_bce_with_logits(x, y, w, pw, reduction),
                               rtol=1e-10, atol=1e-12)
    _twice_differentiable(fn, [t64(x, grad=True), t64(y, grad=True)])


# ---------------------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", [minidl.float32, minidl.float64])
def test_huge_logits_stay_finite(dtype, device):
    x = minidl.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]], dtype=dtype, device=device,
                      requires_grad=True)
    t = minidl.tensor([0, 0], device=device)
    loss = F.cross_entropy(x, t, reduction="none", label_smoothing=0.1)
    loss.sum().backward()
    values = backend.to_host(loss._array)
    assert loss.dtype == dtype and np.isfinite(values).all()
    assert np.isfinite(backend.to_host(x.grad._array)).all()
    assert values[1] == pytest.approx(0.9 * 2e4 + 0.1 / 3 * (2e4 + 0 + 5e3), rel=1e-6)
    logits = minidl.tensor([1e4, -1e4, 1e4, -1e4], dtype=dtype, device=device,
                           requires_grad=True)
    target = minidl.tensor([0.0, 1.0, 1.0, 0.0], dtype=dtype, device=device)
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    bce.sum().backward()
    np.testing.assert_array_equal(backend.to_host(bce._array), [1e4, 1e4, 0.0, 0.0])
    np.testing.assert_array_equal(backend.to_host(logits.grad._array), [1, -1, 0, 0])


def test_float32_in_float32_out(device):
    x = minidl.randn(4, 3, device=device, requires_grad=True)
    t = minidl.tensor([0, 2, 1, 1], device=device)
    y = minidl.rand(4, 3, device=device)
    for loss in (F.cross_entropy(x, t, label_smoothing=0.2), F.nll_loss(x, t),
                 F.multi_margin_loss(x, t, p=2), F.mse_loss(x, y), F.l1_loss(x, y),
                 F.huber_loss(x, y), F.binary_cross_entropy_with_logits(x, y)):
        assert loss.dtype == np.float32 and loss.device == x.device
        assert minidl.grad(loss, x)[0].dtype == np.float32


# ---------------------------------------------------------------------------- Modules
def test_loss_modules_equal_their_functions():
    rng = np.random.default_rng(1)
    x, y = t64(rng.standard_normal((5, 4))), t64(rng.random((5, 4)))
    t = minidl.tensor([0, 3, 1, 2, 3])
    w = t64(rng.random(4) + 0.5)
    pairs = [
        (nn.CrossEntropyLoss(w, ignore_index=1, label_smoothing=0.2, reduction="sum"),
         F.cross_entropy(x, t, w, ignore_index=1, label_smoothing=0.2, reduction="sum"), t),
        (nn.NLLLoss(w, reduction="none"), F.nll_loss(x, t, w, reduction="none"), t),
        (nn.MultiMarginLoss(p=2, margin=0.5, weight=w),
         F.multi_margin_loss(x, t, 2, 0.5, w), t),
        (nn.MSELoss(), F.mse_loss(x, y), y),
        (nn.L1Loss(reduction="sum"), F.l1_loss(x, y, reduction="sum"), y),
        (nn.HuberLoss(delta=0.3), F.huber_loss(x, y, delta=0.3), y),
        (nn.BCEWithLogitsLoss(w, pos_weight=w * 2),
         F.binary_cross_entropy_with_logits(x, y, w, pos_weight=w * 2), y),
    ]
    for module, expected, target in pairs:
        np.testing.assert_array_equal(module(x, target)._array, expected._array)
    criterion = nn.CrossEntropyLoss(w)
    assert [name for name, _ in criterion.named_buffers()] == ["weight"]


def test_against_pytorch_when_installed():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((6, 5)), rng.random((6, 5))
    t, w = np.array([0, 4, 2, 1, 1, 3]), rng.random(5) + 0.5
    X, Y, T, W = t64(x), t64(y), minidl.tensor(t), t64(w)
    tx, ty, tt, tw = (torch.tensor(a) for a in (x, y, t, w))
    checks = [
        (F.cross_entropy(X, T, W, ignore_index=4, label_smoothing=0.3),
         tf.cross_entropy(tx, tt, tw, ignore_index=4, label_smoothing=0.3)),
        (F.nll_loss(X, T, W), tf.nll_loss(tx, tt, tw)),
        (F.multi_margin_loss(X, T, 2, 0.7, W), tf.multi_margin_loss(tx, tt, 2, 0.7, tw)),
        (F.huber_loss(X, Y, delta=0.4), tf.huber_loss(tx, ty, delta=0.4)),
        (F.binary_cross_entropy_with_logits(X, Y, W, pos_weight=W),
         tf.binary_cross_entropy_with_logits(tx, ty, tw, pos_weight=tw)),
        (F.gelu(X), tf.gelu(tx)),
        (F.leaky_relu(X, 0.2), tf.leaky_relu(tx, 0.2)),
    ]
    for ours, theirs in checks:
        np.testing.assert_allclose(ours._array, theirs.numpy(), rtol=1e-12, atol=1e-14)
    assert math.isclose(F.cross_entropy(X, T).item(), tf.cross_entropy(tx, tt).item())
