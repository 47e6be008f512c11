"""The layers of ``padding.py``, ``distance.py``, ``activation_extra.py`` and ``bilinear.py``,
with AdaptiveMaxPool1d and BatchNorm3d: values, input gradients and reprs against PyTorch's
layers of the same spelling (the same weights copied in), the checks of their settings, and
what holds without PyTorch (shapes, RReLU's slopes). ``F.bilinear`` and ``F.rrelu`` (eval)
are also rows of the op table (``tests/op_rows_more.py``).
"""
import numpy as np
import pytest

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl.config_checks import ConfigTypeError
from minidl.errors import ConfigError, ShapeError

# (minidl layer, the same layer in PyTorch's spelling (torch.nn as nn), input shapes)
LAYERS = [
    (lambda: nn.ZeroPad1d(2), "nn.ZeroPad1d(2)", [(2, 3, 4)]),
    (lambda: nn.ZeroPad2d((1, 0, 2, 1)), "nn.ZeroPad2d((1, 0, 2, 1))", [(2, 3, 4)]),
    (lambda: nn.ZeroPad2d((-1, 1, 0, -1)), "nn.ZeroPad2d((-1, 1, 0, -1))", [(1, 2, 3, 4)]),
    (lambda: nn.ConstantPad1d((1, 2), 3.5), "nn.ConstantPad1d((1, 2), 3.5)", [(3, 4)]),
    (lambda: nn.ConstantPad2d(1, -1.0), "nn.ConstantPad2d(1, -1.0)", [(1, 2, 3, 3)]),
    (lambda: nn.ReflectionPad1d(2), "nn.ReflectionPad1d(2)", [(2, 3, 4)]),
    (lambda: nn.ReflectionPad2d((1, 2, 0, 2)), "nn.ReflectionPad2d((1, 2, 0, 2))",
     [(1, 2, 3, 4)]),
    (lambda: nn.ReplicationPad1d((3, 1)), "nn.ReplicationPad1d((3, 1))", [(2, 3, 4)]),
    (lambda: nn.ReplicationPad2d(2), "nn.ReplicationPad2d(2)", [(1, 2, 3, 3)]),
    (lambda: nn.CircularPad1d(2), "nn.CircularPad1d(2)", [(2, 3, 4)]),
    (lambda: nn.CircularPad2d((1, 0, 2, 1)), "nn.CircularPad2d((1, 0, 2, 1))", [(1, 2, 3, 4)]),
    (lambda: nn.Softmax2d(), "nn.Softmax2d()", [(2, 3, 2, 2)]),
    (lambda: nn.Softmax2d(), "nn.Softmax2d()", [(3, 2, 4)]),
    (lambda: nn.CosineSimilarity(), "nn.CosineSimilarity()", [(4, 3), (4, 3)]),
    (lambda: nn.CosineSimilarity(dim=0, eps=1e-6), "nn.CosineSimilarity(dim=0, eps=1e-6)",
     [(3, 2), (3, 2)]),
    (lambda: nn.PairwiseDistance(), "nn.PairwiseDistance()", [(4, 3), (4, 3)]),
    (lambda: nn.PairwiseDistance(p=1.5, eps=1e-3, keepdim=True),
     "nn.PairwiseDistance(p=1.5, eps=1e-3, keepdim=True)", [(4, 3), (4, 3)]),
    (lambda: nn.AdaptiveMaxPool1d(3), "nn.AdaptiveMaxPool1d(3)", [(2, 3, 7)]),
    (lambda: nn.AdaptiveMaxPool1d(2), "nn.AdaptiveMaxPool1d(2)", [(3, 5)]),
    (lambda: nn.BatchNorm3d(3), "nn.BatchNorm3d(3)", [(2, 3, 2, 2, 2)]),
    (lambda: nn.BatchNorm3d(3, affine=False, momentum=None),
     "nn.BatchNorm3d(3, affine=False, momentum=None)", [(2, 3, 1, 2, 3)]),
    (lambda: nn.Bilinear(3, 2, 4), "nn.Bilinear(3, 2, 4)", [(5, 3), (5, 2)]),
    (lambda: nn.Bilinear(2, 3, 2, bias=False), "nn.Bilinear(2, 3, 2, bias=False)",
     [(2, 4, 2), (2, 4, 3)]),
    (lambda: nn.RReLU(), "nn.RReLU()", [(3, 4)]),
    (lambda: nn.RReLU(0.1, 0.3), "nn.RReLU(0.1, 0.3)", [(6,)]),
]


def _inputs(shapes, seed=0):
    rng = np.random.default_rng(seed)
    # distinct values away from 0: no ties for the max pools, no kink for RReLU
    return [np.sign(a) * (0.1 + np.abs(a)) for a in (rng.standard_normal(s) for s in shapes)]


@pytest.mark.parametrize("make, spelling, shapes", LAYERS, ids=[s for _, s, _ in LAYERS])
def test_layer_matches_pytorch(make, spelling, shapes):
    torch = pytest.importorskip("torch")
    ns = {"nn": torch.nn}
    layer, theirs = make(), eval(spelling, ns)
    assert repr(layer) == repr(theirs)
    layer, theirs = layer.double(), theirs.double()
    layer.load_state_dict({k: minidl.tensor(v.detach().numpy())
                           for k, v in theirs.state_dict().items()})
    layer.eval() if "RReLU" in spelling else layer.train()  # RReLU: its deterministic mode
    theirs.eval() if "RReLU" in spelling else theirs.train()
    arrays = _inputs(shapes)
    ours_in = [minidl.tensor(a, requires_grad=True) for a in arrays]
    their_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours, out = layer(*ours_in), theirs(*their_in)
    np.testing.assert_allclose(ours.detach().numpy(), out.detach().numpy(), rtol=1e-10, atol=1e-12)
    gy = np.random.default_rng(1).standard_normal(out.shape)
    ours.backward(minidl.tensor(gy))
    out.backward(torch.tensor(gy))
    for mine, their in zip(ours_in, their_in):
        np.testing.assert_allclose(mine.grad.numpy(), their.grad.numpy(), rtol=1e-9,
                                   atol=1e-12)
    for name, param in theirs.named_parameters():
        np.testing.assert_allclose(dict(layer.named_parameters())[name].grad.numpy(),
                                   param.grad.numpy(), rtol=1e-9, atol=1e-12)
    for name, buffer in theirs.named_buffers():
        np.testing.assert_allclose(dict(layer.named_buffers())[name].numpy(),
                                   buffer.numpy(), rtol=1e-10)


def test_padding_shapes_without_pytorch():
    x = minidl.arange(12.0).reshape(1, 3, 4)
    assert nn.ZeroPad2d(1)(x).shape == (1, 5, 6)
    assert nn.ConstantPad1d(2, 7.0)(x)[0, 0].tolist() == [7, 7, 0, 1, 2, 3, 7, 7]
    assert nn.ReflectionPad1d(2)(x)[0, 0].tolist() == [2, 1, 0, 1, 2, 3, 2, 1]
    assert nn.ReplicationPad1d(2)(x)[0, 0].tolist() == [0, 0, 0, 1, 2, 3, 3, 3]
    assert nn.CircularPad1d(2)(x)[0, 0].tolist() == [2, 3, 0, 1, 2, 3, 0, 1]


@pytest.mark.parametrize("make, error", [
    (lambda: nn.ZeroPad2d((1, 2)), ConfigError),
    (lambda: nn.ReflectionPad1d(1.5), ConfigTypeError),
    (lambda: nn.ConstantPad2d(1, "zero"), ConfigTypeError),
    (lambda: nn.CosineSimilarity(dim=1.0), ConfigTypeError),
    (lambda: nn.PairwiseDistance(p=-1), ConfigError),
    (lambda: nn.PairwiseDistance(keepdim=1), ConfigTypeError),
    (lambda: nn.Bilinear(0, 2, 3), ConfigError),
    (lambda: nn.AdaptiveMaxPool1d(2, return_indices=1), ConfigTypeError),
    (lambda: nn.RReLU(inplace="yes"), ConfigTypeError),
])
def test_bad_settings_are_named(make, error):
    with pytest.raises(error):
        make()


def test_bad_inputs_are_named():
    with pytest.raises(ShapeError, match="Softmax2d"):
        nn.Softmax2d()(minidl.ones(2, 3))
    with pytest.raises(ShapeError, match="BatchNorm3d"):
        nn.BatchNorm3d(3)(minidl.ones(2, 3, 4, 4))
    with pytest.raises(ShapeError, match="bilinear"):
        nn.Bilinear(3, 2, 4)(minidl.ones(5, 3), minidl.ones(4, 2))
    with pytest.raises(ConfigError, match="rrelu"):
        F.rrelu(minidl.ones(3), 0.5, 0.1, training=True)


def test_rrelu_inplace_repr():
    torch = pytest.importorskip("torch")
    assert repr(nn.RReLU(0.1, 0.3, True)) == repr(torch.nn.RReLU(0.1, 0.3, True))


def test_rrelu_training_draws_slopes_in_range():
    layer = nn.RReLU(0.1, 0.3)
    x = -minidl.ones(1000, dtype=minidl.float64)
    slopes = layer(x).numpy() / x.numpy()
    assert 0.1 <= slopes.min() and slopes.max() <= 0.3 and slopes.std() > 0.03
    assert (layer(-x).numpy() == 1).all()  # x >= 0 passes through
    layer.eval()
    np.testing.assert_allclose(layer(x).numpy(), -0.2)
    x = minidl.tensor([-1.0, 2.0], requires_grad=True)
    y = F.rrelu(x, training=True)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy() / x.detach().numpy())


def test_adaptive_max_pool1d_indices():
    x = minidl.tensor([[[1.0, 5.0, 2.0, 0.0, 3.0]]])
    values, indices = nn.AdaptiveMaxPool1d(2, return_indices=True)(x)
    assert values.tolist() == [[[5.0, 3.0]]] and indices.tolist() == [[[1, 4]]]


@pytest.mark.parametrize("name, args, shape", [
    ("max_pool1d_with_indices", (2,), (2, 3, 7)),
    ("max_pool1d_with_indices", (3, 2, 1, 1, True), (1, 2, 8)),
    ("max_pool2d_with_indices", (2,), (1, 2, 5, 4)),
    ("max_pool2d_with_indices", (3, 1, 1), (2, 4, 4)),
    ("adaptive_max_pool1d_with_indices", (3,), (2, 3, 7)),
    ("adaptive_max_pool2d_with_indices", ((2, 3),), (1, 2, 5, 4)),
])
def test_pools_with_indices_match_pytorch(name, args, shape):
    torch = pytest.importorskip("torch")
    x = _inputs([shape])[0]
    a, b = minidl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (values, indices), (their_values, their_indices) = (
        getattr(F, name)(a, *args), getattr(torch.nn.functional, name)(b, *args))
    np.testing.assert_array_equal(values.detach().numpy(), their_values.detach().numpy())
    np.testing.assert_array_equal(indices.numpy(), their_indices.numpy())
    values.sum().backward()
    their_values.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
