"""Issue 17's losses as Modules and functions: values against PyTorch (when installed) for
every reduction and option, the Modules against the functions, the edge cases PyTorch defines
(log clamped at -100, 0 log 0 = 0, "batchmean", var clamped at eps with the gradient of var),
and the errors, each a minidl error naming the loss.

The differentiable cases, with gradients and second derivatives, are rows of the op table
(``tests/op_rows_losses.py``); this file covers what a row can not: Modules, warnings, errors.
"""
import math
import warnings

import numpy as np
import pytest

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl.config_checks import ConfigTypeError
from minidl.errors import ConfigError, DTypeError, MinidlError, ShapeError
from minidl.nn.loss_functional import cross_entropy_soft

REDUCTIONS = ["mean", "sum", "none"]
RNG = np.random.default_rng(17)


def t64(a, grad=False):
    return minidl.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def host(t):
    return t.detach().numpy()


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def both(torch, *arrays):
    """The same float64 arrays as minidl tensors and as torch tensors."""
    return ([t64(a) for a in arrays],
            [torch.tensor(np.asarray(a, dtype=np.float64)) for a in arrays])


def close(ours, theirs):
    np.testing.assert_allclose(host(ours), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------- against PyTorch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_and_bceloss_match_pytorch_with_weights_and_saturated_inputs(torch, reduction):
    p = RNG.random((4, 3))
    p[0, 0], p[1, 1] = 0.0, 1.0  # logs clamped to -100, as PyTorch does
    y = RNG.random((4, 3))
    w = RNG.random(3) + 0.5
    (mp, my, mw), (tp, ty, tw) = both(torch, p, y, w)
    close(F.binary_cross_entropy(mp, my, mw, reduction=reduction),
          torch.nn.functional.binary_cross_entropy(tp, ty, tw, reduction=reduction))
    close(nn.BCELoss(mw, reduction)(mp, my),
          torch.nn.BCELoss(tw, reduction=reduction)(tp, ty))
    assert math.isfinite(F.binary_cross_entropy(t64([0.0]), t64([1.0])).item())


def test_bce_with_logits_pos_weight_matches_pytorch(torch):
    x = RNG.standard_normal((4, 3)) * 3
    y = RNG.random((4, 3))
    w, pw = RNG.random(3) + 0.5, RNG.random(3) * 3
    (mx, my, mw, mpw), (tx, ty, tw, tpw) = both(torch, x, y, w, pw)
    for reduction in REDUCTIONS:
        close(nn.BCEWithLogitsLoss(mw, reduction, pos_weight=mpw)(mx, my),
              torch.nn.BCEWithLogitsLoss(tw, reduction=reduction, pos_weight=tpw)(tx, ty))


def test_bce_gradient_is_finite_where_the_log_is_clamped():
    p = t64([0.0, 0.5, 1.0], grad=True)
    F.binary_cross_entropy(p, t64([0.0, 1.0, 1.0]), reduction="sum").backward()
    assert np.isfinite(p.grad.numpy()).all()


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0, 3.0])
def test_smooth_l1_matches_pytorch_and_is_huber_over_beta(torch, beta):
    x, y = RNG.standard_normal((2, 5, 4)) * 2
    (mx, my), (tx, ty) = both(torch, x, y)
    for reduction in REDUCTIONS:
        close(nn.SmoothL1Loss(reduction, beta)(mx, my),
              torch.nn.SmoothL1Loss(reduction=reduction, beta=beta)(tx, ty))
    if beta:
        np.testing.assert_allclose(host(F.smooth_l1_loss(mx, my, beta=beta)),
                                   host(F.huber_loss(mx, my, delta=beta)) / beta, rtol=1e-12)


@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
def test_kl_div_matches_pytorch(torch, reduction, log_target):
    logp = np.log(RNG.dirichlet(np.ones(5), size=3))
    q = RNG.dirichlet(np.ones(5), size=3)
    q[0, 2] = 0.0  # 0 log 0 = 0
    target = np.log(q + 0.1) if log_target else q
    (mx, mt), (tx, tt) = both(torch, logp, target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.nn.KLDivLoss(reduction=reduction, log_target=log_target)(tx, tt)
        close(nn.KLDivLoss(reduction, log_target)(mx, mt), expected)
        close(F.kl_div(mx, mt, reduction=reduction, log_target=log_target), expected)


def test_kl_div_batchmean_is_the_kl_divergence_and_mean_warns():
    p = RNG.dirichlet(np.ones(4), size=2)
    q = RNG.dirichlet(np.ones(4), size=2)
    expected = (q * np.log(q / p)).sum(1).mean()
    loss = F.kl_div(t64(np.log(p)), t64(q), reduction="batchmean")
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(t64(np.log(p)), t64(q))
    with pytest.warns(UserWarning, match="batchmean"):
        nn.KLDivLoss()(t64(np.log(p)), t64(q))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning for the other reductions
        F.kl_div(t64(np.log(p)), t64(q), reduction="sum")


def test_kl_div_gradient_is_finite_at_zero_target():
    q = t64([0.0, 0.5, 0.5], grad=True)
    x = t64(np.log([0.2, 0.3, 0.5]), grad=True)
    F.kl_div(x, q, reduction="sum").backward()
    assert np.isfinite(q.grad.numpy()).all() and np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("shape", [(3, 4), (4,), (2, 4, 3)])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
def test_cross_entropy_with_class_probabilities_matches_pytorch(torch, shape, smoothing):
    x = RNG.standard_normal(shape)
    q = RNG.random(shape)
    c = shape[1] if len(shape) > 1 else shape[0]
    w = RNG.random(c) + 0.5
    (mx, mq, mw), (tx, tq, tw) = both(torch, x, q, w)
    for reduction in REDUCTIONS:
        for weight, tweight in ((None, None), (mw, tw)):
            close(F.cross_entropy(mx, mq, weight, reduction=reduction,
                                  label_smoothing=smoothing),
                  torch.nn.functional.cross_entropy(tx, tq, tweight, reduction=reduction,
                                                    label_smoothing=smoothing))
    close(nn.CrossEntropyLoss(mw, label_smoothing=smoothing)(mx, mq),
          torch.nn.CrossEntropyLoss(tw, label_smoothing=smoothing)(tx, tq))


def test_cross_entropy_one_hot_probabilities_equal_class_indices():
    x = t64(RNG.standard_normal((5, 3)))
    labels = minidl.tensor([0, 2, 1, 1, 0])
    onehot = t64(np.eye(3)[labels.numpy()])
    for smoothing in (0.0, 0.3):
        a = F.cross_entropy(x, labels, reduction="none", label_smoothing=smoothing)
        b = F.cross_entropy(x, onehot, reduction="none", label_smoothing=smoothing)
        np.testing.assert_allclose(host(a), host(b), rtol=1e-12)


@pytest.mark.parametrize("log_input, full", [(True, False), (True, True), (False, False),
                                             (False, True)])
def test_poisson_nll_matches_pytorch(torch, log_input, full):
    x = RNG.standard_normal((3, 4)) if log_input else RNG.random((3, 4)) * 3
    y = RNG.integers(0, 6, (3, 4)).astype(np.float64)
    (mx, my), (tx, ty) = both(torch, x, y)
    for reduction in REDUCTIONS:
        close(nn.PoissonNLLLoss(log_input, full, reduction=reduction)(mx, my),
              torch.nn.PoissonNLLLoss(log_input, full, reduction=reduction)(tx, ty))
    close(F.poisson_nll_loss(mx, my, log_input, full, eps=0.5),
          torch.nn.functional.poisson_nll_loss(tx, ty, log_input, full, eps=0.5))


@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1), (1, 3)])
def test_gaussian_nll_matches_pytorch_for_every_variance_shape(torch, var_shape):
    x, y = RNG.standard_normal((2, 4, 3))
    var = RNG.random(var_shape) + 0.1
    var.flat[0] = 1e-9  # clamped to eps
    (mx, my, mv), (tx, ty, tv) = both(torch, x, y, var)
    for reduction in REDUCTIONS:
        for full in (False, True):
            close(nn.GaussianNLLLoss(full=full, reduction=reduction)(mx, my, mv),
                  torch.nn.GaussianNLLLoss(full=full, reduction=reduction)(tx, ty, tv))
    close(F.gaussian_nll_loss(mx, my, 0.7), torch.nn.functional.gaussian_nll_loss(tx, ty, 0.7))


def test_gaussian_nll_clamped_variance_keeps_its_gradient(torch):
    """PyTorch clamps var under no_grad: the gradient is that of the clamped value, passed to
    var unchanged."""
    var = t64([1e-9, 0.5], grad=True)
    F.gaussian_nll_loss(t64([0.1, 0.2]), t64([0.0, 0.0]), var, eps=1e-3).backward()
    tv = torch.tensor([1e-9, 0.5], dtype=torch.float64, requires_grad=True)
    torch.nn.functional.gaussian_nll_loss(torch.tensor([0.1, 0.2], dtype=torch.float64),
                                          torch.zeros(2, dtype=torch.float64), tv,
                                          eps=1e-3).backward()
    np.testing.assert_allclose(var.grad.numpy(), tv.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cosine_similarity_and_pairwise_distance_match_pytorch(torch, dim):
    a, b = RNG.standard_normal((2, 3, 4))
    (ma, mb, mrow), (ta, tb, trow) = both(torch, a, b, b[:1])
    close(F.cosine_similarity(ma, mb, dim), torch.nn.functional.cosine_similarity(ta, tb, dim))
    close(F.cosine_similarity(ma, mrow, dim),
          torch.nn.functional.cosine_similarity(ta, trow, dim))
    for p in (1.0, 2.0, 3.5):
        close(F.pairwise_distance(ma, mb, p, keepdim=True),
              torch.nn.functional.pairwise_distance(ta, tb, p, keepdim=True))
    zero = t64(np.zeros((2, 4)), grad=True)  # |x| < eps: clamped, finite
    out = F.cosine_similarity(zero, t64(np.ones((2, 4))))
    assert np.allclose(host(out), 0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_embedding_and_ranking_losses_match_pytorch(torch, reduction):
    a, b, c = RNG.standard_normal((3, 5, 4))
    y = np.array([1.0, -1.0, -1.0, 1.0, -1.0])
    (ma, mb, mc, my), (ta, tb, tc, ty) = both(torch, a, b, c, y)
    close(nn.CosineEmbeddingLoss(0.1, reduction)(ma, mb, my),
          torch.nn.CosineEmbeddingLoss(0.1, reduction=reduction)(ta, tb, ty))
    close(F.cosine_embedding_loss(ma[0], mb[0], my[1]),
          torch.nn.functional.cosine_embedding_loss(ta[0], tb[0], ty[1]))
    close(nn.MarginRankingLoss(0.3, reduction)(ma[:, 0], mb[:, 0], my),
          torch.nn.MarginRankingLoss(0.3, reduction=reduction)(ta[:, 0], tb[:, 0], ty))
    for swap in (False, True):
        for p in (1.0, 2.0, 3.0):
            close(nn.TripletMarginLoss(1.5, p, swap=swap, reduction=reduction)(ma, mb, mc),
                  torch.nn.TripletMarginLoss(1.5, p, swap=swap, reduction=reduction)(ta, tb, tc))
    close(F.triplet_margin_loss(ma[0], mb[0], mc[0]),
          torch.nn.functional.triplet_margin_loss(ta[0], tb[0], tc[0]))


def test_triplet_loss_is_zero_once_the_negative_is_far_enough():
    anchor = t64([[0.0, 0.0]], grad=True)
    loss = F.triplet_margin_loss(anchor, t64([[1.0, 0.0]]), t64([[5.0, 0.0]]), margin=1.0)
    loss.backward()
    assert loss.item() == 0 and not anchor.grad.numpy().any()


# ---------------------------------------------------------------------------- modules
def test_modules_hold_their_options_and_weights_move_with_them():
    loss = nn.BCELoss(weight=t64([1.0, 2.0]), reduction="sum")
    assert "weight" in dict(loss.named_buffers()) and loss.reduction == "sum"
    assert nn.TripletMarginLoss(swap=True).swap is True
    assert nn.GaussianNLLLoss(full=True).full is True
    assert nn.KLDivLoss(reduction="batchmean").reduction == "batchmean"
    assert nn.PoissonNLLLoss(log_input=False).log_input is False
    with pytest.raises(TypeError):
        nn.GaussianNLLLoss(True)  # keyword-only, as in PyTorch


# ---------------------------------------------------------------------------- errors
def _pair(n=3):
    return t64(RNG.random(n)), t64(RNG.random(n))


ERRORS = [
    ("binary_cross_entropy", ConfigError, "probability in \\[0, 1\\]",
     lambda: F.binary_cross_entropy(t64([0.5, 1.5]), t64([0.0, 1.0]))),
    ("binary_cross_entropy", ShapeError, "target shape",
     lambda: F.binary_cross_entropy(t64([0.5, 0.5]), t64([1.0]))),
    ("binary_cross_entropy", DTypeError, "target",
     lambda: F.binary_cross_entropy(t64([0.5]), minidl.tensor([1]))),
    ("binary_cross_entropy", ConfigError, "reduction",
     lambda: F.binary_cross_entropy(*_pair(), reduction="avg")),
    ("binary_cross_entropy", ShapeError, "weight",
     lambda: F.binary_cross_entropy(*_pair(), t64([1.0, 2.0]))),
    ("smooth_l1_loss", ConfigError, "beta", lambda: F.smooth_l1_loss(*_pair(), beta=-1.0)),
    ("SmoothL1Loss", ConfigError, "beta", lambda: nn.SmoothL1Loss(beta=-1.0)),
    ("kl_div", ConfigError, "reduction", lambda: F.kl_div(*_pair(), reduction="batch")),
    ("KLDivLoss", ConfigError, "reduction", lambda: nn.KLDivLoss("batch")),
    ("kl_div", ConfigTypeError, "log_target", lambda: F.kl_div(*_pair(), log_target="no")),
    ("cross_entropy", DTypeError, "integer class indices",  # nor probabilities: no shape fit
     lambda: F.cross_entropy(t64(np.zeros((2, 3))), t64(np.zeros((2, 4))))),
    ("cross_entropy", ShapeError, "class-probability",
     lambda: cross_entropy_soft(t64(np.zeros((2, 3))), t64(np.zeros((2, 4))))),
    ("cross_entropy", ConfigError, "ignore_index",
     lambda: F.cross_entropy(t64(np.zeros((2, 3))), t64(np.zeros((2, 3))), ignore_index=0)),
    ("cross_entropy", ShapeError, "weight",
     lambda: F.cross_entropy(t64(np.zeros((2, 3))), t64(np.zeros((2, 3))), t64([1.0]))),
    ("poisson_nll_loss", ConfigError, "eps", lambda: F.poisson_nll_loss(*_pair(), eps=-1.0)),
    ("PoissonNLLLoss", ConfigTypeError, "full", lambda: nn.PoissonNLLLoss(full=1)),
    ("gaussian_nll_loss", ConfigError, "negative",
     lambda: F.gaussian_nll_loss(*_pair(), t64([1.0, -1.0, 1.0]))),
    ("gaussian_nll_loss", ConfigError, "var",
     lambda: F.gaussian_nll_loss(*_pair(), -0.5)),
    ("gaussian_nll_loss", ShapeError, "var of shape",
     lambda: F.gaussian_nll_loss(t64(np.zeros((2, 3))), t64(np.zeros((2, 3))),
                                 t64(np.ones((3, 2))))),
    ("cosine_similarity", ShapeError, "broadcast",
     lambda: F.cosine_similarity(t64(np.ones((2, 3))), t64(np.ones((2, 4))))),
    ("cosine_similarity", MinidlError, "dim",
     lambda: F.cosine_similarity(t64(np.ones((2, 3))), t64(np.ones((2, 3))), dim=2)),
    ("pairwise_distance", DTypeError, "x2",
     lambda: F.pairwise_distance(t64([1.0]), minidl.tensor([1]))),
    ("cosine_embedding_loss", ConfigError, "1 or -1",
     lambda: F.cosine_embedding_loss(t64(np.ones((2, 3))), t64(np.ones((2, 3))),
                                     t64([1.0, 0.0]))),
    ("cosine_embedding_loss", ShapeError, "target",
     lambda: F.cosine_embedding_loss(t64(np.ones((2, 3))), t64(np.ones((2, 3))), t64([1.0]))),
    ("cosine_embedding_loss", ShapeError, "one shape",
     lambda: F.cosine_embedding_loss(t64(np.ones((2, 3))), t64(np.ones((2, 2))),
                                     t64([1.0, 1.0]))),
    ("margin_ranking_loss", ShapeError, "one shape",
     lambda: F.margin_ranking_loss(*_pair(), t64([1.0]))),
    ("triplet_margin_loss", ShapeError, "one shape",
     lambda: F.triplet_margin_loss(*_pair(3), t64([1.0, 2.0]))),
    ("triplet_margin_loss", ShapeError, "\\(N, D\\)",
     lambda: F.triplet_margin_loss(*(t64(np.ones((1, 2, 2))) for _ in range(3)))),
    ("TripletMarginLoss", ConfigTypeError, "swap", lambda: nn.TripletMarginLoss(swap="yes")),
    ("CosineEmbeddingLoss", ConfigTypeError, "margin",
     lambda: nn.CosineEmbeddingLoss(margin="1")),
]


@pytest.mark.parametrize("name, error, words, call", ERRORS,
                         ids=[f"{e[0]}-{e[2]}" for e in ERRORS])
def test_bad_arguments_raise_minidl_errors_naming_the_loss(name, error, words, call):
    with pytest.raises(error, match=words) as raised:
        call()
    assert isinstance(raised.value, MinidlError) and name in str(raised.value)
