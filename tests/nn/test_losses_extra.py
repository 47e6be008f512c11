"""The losses of ``minidl/nn/margin_losses.py`` as Modules and functions: values and first
derivatives against PyTorch's (multilabel_margin_loss's against PyTorch's own kernel, which
has no second derivative; the op table checks the second derivatives of a composed twin:
``tests/op_rows_more.py``), reprs, and the errors that name the loss.
"""
import numpy as np
import pytest

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl.config_checks import ConfigTypeError
from minidl.errors import ConfigError, DTypeError, OutOfRangeError, ShapeError

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 5))
SIGNS = RNG.choice([-1.0, 1.0], (3, 5))
LABELS = RNG.integers(0, 2, (3, 5)).astype(float)
WEIGHT = RNG.random(5) + 0.5
CLASSES = np.array([[3, 0, -1, 1, 2], [1, 2, 3, 4, 0], [-1, 2, 0, 0, 0]])

# (minidl loss, the same loss in PyTorch's spelling (torch.nn as nn), input, target)
LOSSES = [
    ("nn.SoftMarginLoss()", X, SIGNS),
    ("nn.SoftMarginLoss(reduction='sum')", X, SIGNS),
    ("nn.HingeEmbeddingLoss()", X, SIGNS),
    ("nn.HingeEmbeddingLoss(margin=0.5, reduction='none')", X, SIGNS),
    ("nn.HingeEmbeddingLoss(margin=2.0)", X, np.where(LABELS > 0, 1.0, 0.5)),  # neither +-1
    ("nn.MultiLabelSoftMarginLoss()", X, LABELS),
    ("nn.MultiLabelSoftMarginLoss(reduction='none')", X[0], LABELS[0]),
    ("nn.MultiLabelSoftMarginLoss(weight=WEIGHT, reduction='sum')", X, LABELS),
    ("nn.MultiLabelMarginLoss()", X, CLASSES),
    ("nn.MultiLabelMarginLoss(reduction='none')", X, CLASSES),
    ("nn.MultiLabelMarginLoss(reduction='sum')", X[1], CLASSES[1]),
    ("nn.MultiMarginLoss(p=2, margin=0.5, weight=WEIGHT)", X, np.array([0, 4, 2])),
]


@pytest.mark.parametrize("spelling, x, target", LOSSES, ids=[s for s, _, _ in LOSSES])
def test_loss_matches_pytorch(spelling, x, target):
    torch = pytest.importorskip("torch")
    ours = eval(spelling, {"nn": nn, "WEIGHT": minidl.tensor(WEIGHT)})
    theirs = eval(spelling, {"nn": torch.nn, "WEIGHT": torch.tensor(WEIGHT)})
    if "reduction" not in spelling:  # minidl's losses show a reduction that is not "mean"
        assert repr(ours) == repr(theirs)
    a, b = minidl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    mine, their = ours(a, minidl.tensor(target)), theirs(b, torch.tensor(target))
    np.testing.assert_allclose(mine.detach().numpy(), their.detach().numpy(), rtol=1e-12)
    gy = RNG.standard_normal(their.shape)
    mine.backward(minidl.tensor(gy))
    their.backward(torch.tensor(gy))
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_values_without_pytorch():
    x = minidl.tensor([[2.0, 0.5, -1.0]])
    assert F.multilabel_margin_loss(x, minidl.tensor([[0, -1, 1]])).item() == pytest.approx(
        (0 + 0) / 3)  # x_0 beats x_1 and x_2 by >= 1
    assert F.multilabel_margin_loss(x, minidl.tensor([[1, -1, 0]])).item() == pytest.approx(
        (2.5 + 0) / 3)  # (1 - (0.5 - 2)) + max(0, 1 - (0.5 + 1))
    assert F.hinge_embedding_loss(x, minidl.tensor([[1.0, -1.0, -1.0]]),
                                  reduction="sum").item() == pytest.approx(2.0 + 0.5 + 2.0)
    assert F.soft_margin_loss(minidl.tensor([0.0]), minidl.tensor([1.0])).item() == \
        pytest.approx(np.log(2))


def test_errors_name_the_loss():
    x = minidl.ones(2, 3)
    with pytest.raises(OutOfRangeError, match="multilabel_margin_loss.*3"):
        F.multilabel_margin_loss(x, minidl.tensor([[0, 3, -1], [0, -1, 1]]))
    with pytest.raises(DTypeError, match="multilabel_margin_loss"):
        F.multilabel_margin_loss(x, minidl.zeros(2, 3))
    with pytest.raises(ShapeError, match="multilabel_soft_margin_loss"):
        F.multilabel_soft_margin_loss(x, minidl.zeros(3, 2))
    with pytest.raises(ShapeError, match="hinge_embedding_loss"):
        F.hinge_embedding_loss(x, minidl.ones(3))
    with pytest.raises(ShapeError, match="soft_margin_loss"):
        F.soft_margin_loss(x, minidl.ones(3))
    with pytest.raises(ConfigError, match="reduction"):
        nn.SoftMarginLoss(reduction="avg")
    with pytest.raises(ConfigTypeError, match="HingeEmbeddingLoss"):
        nn.HingeEmbeddingLoss(margin="1")
    with pytest.raises(ConfigTypeError, match="MultiLabelSoftMarginLoss"):
        nn.MultiLabelSoftMarginLoss(weight=[1.0, 2.0])
