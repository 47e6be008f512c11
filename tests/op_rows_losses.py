"""Op-table rows of issue 17's losses: binary cross-entropy, smooth L1,
KL divergence, soft-target cross-entropy, margin, triplet, Poisson and Gaussian NLL

``ROWS`` joins the op table (``tests/op_table.py``); ``TORCH`` maps each row's name to the
same computation written with PyTorch (``tests/torch_equivalents.py`` merges it), called only
when PyTorch is installed. Every reduction is drawn; targets with no gradient (the +-1 labels)
and class weights travel in the params. The hinge losses draw their margin (or their inputs)
so that no sample sits within 1e-3 of the hinge, nor a swap at a tie.

Read next: ``tests/op_table.py``.
"""
from __future__ import annotations

import math
from typing import Callable, Dict, List

import numpy as np
from hypothesis import strategies as st
from op_cases import Case, broadcast_shapes, off_zero, on_grid, shapes, values
from op_row import Op

import minidl
import minidl.nn.functional as F

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # the rows run without PyTorch; only the cross-check needs it
    torch = TF = None

REDUCTIONS = st.sampled_from(["mean", "sum", "none"])
HINGE = "the hinge: margins drawn so that every sample is at least 1e-3 from it"


def _reduce(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _like(x, array):
    """A params array as a constant tensor of x's dtype and device (None stays None)."""
    return None if array is None else minidl.tensor(array, dtype=x.dtype, device=x.device)


def _torch(x, array):
    return None if array is None else torch.tensor(array, dtype=x.dtype)


def _pair(low=-3.0, high=3.0, target_low=-3.0, target_high=3.0):
    @st.composite
    def cases(draw, **params):
        shape = draw(shapes())
        arrays = (draw(values(shape, low, high)), draw(values(shape, target_low, target_high)))
        return Case(arrays, {"reduction": draw(REDUCTIONS),
                             **{k: draw(v) for k, v in params.items()}})
    return cases


# ------------------------------------------------------------------ binary cross-entropy
@st.composite
def bce_cases(draw):
    shape = draw(shapes())
    p = draw(values(shape, 0.05, 0.95))
    y = draw(values(shape, 0.0, 1.0))
    weight = draw(st.none() | st.sampled_from([shape[-1:], ()]).flatmap(
        lambda s: values(s, 0.5, 2.0)))
    return Case((p, y), {"weight": weight, "reduction": draw(REDUCTIONS)})


def bce_ref(p, y, weight, reduction):
    loss = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return _reduce(loss if weight is None else loss * weight, reduction)


# ------------------------------------------------------------------ smooth L1
@st.composite
def smooth_l1_cases(draw):
    """|x - y| kept 1e-3 away from beta, where the second derivative jumps."""
    case = draw(_pair()(beta=st.sampled_from([0.5, 1.0, 2.0])))
    x, y = case.arrays
    beta = case.params["beta"]
    d = x - y
    x = np.where(np.abs(np.abs(d) - beta) < 1e-3, y + np.sign(d) * (beta + 2e-3), x)
    return Case((x, y), case.params)


def smooth_l1_ref(x, y, reduction, beta):
    a = np.abs(x - y)
    return _reduce(np.where(a < beta, 0.5 * a * a / beta, a - 0.5 * beta), reduction)


# ------------------------------------------------------------------ KL divergence
@st.composite
def kl_div_cases(draw):
    log_target = draw(st.booleans())
    shape = draw(shapes())
    target = draw(values(shape) if log_target else values(shape, 0.1, 2.0))
    # "mean" warns (as in PyTorch); its arithmetic is sum / numel, drawn in the other rows
    return Case((draw(values(shape)), target),
                {"reduction": draw(st.sampled_from(["batchmean", "sum", "none"])),
                 "log_target": log_target})


def kl_div_ref(x, t, reduction, log_target):
    loss = np.exp(t) * (t - x) if log_target else t * (np.log(t) - x)
    if reduction == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    return _reduce(loss, reduction)


# ------------------------------------------------------------------ soft-target cross-entropy
@st.composite
def soft_cross_entropy_cases(draw):
    layout = draw(st.sampled_from([(3,), (2, 3), (2, 3, 2), (1, 4, 2, 2)]))
    c = layout[1] if len(layout) > 1 else layout[0]
    weight = draw(st.none() | values((c,), 0.5, 2.0))
    return Case((draw(values(layout)), draw(values(layout, 0.0, 1.0))),
                {"weight": weight, "reduction": draw(REDUCTIONS),
                 "label_smoothing": draw(st.sampled_from([0.0, 0.1]))})


def soft_cross_entropy_ref(x, q, weight, reduction, label_smoothing):
    dim = 1 if x.ndim > 1 else 0
    c = x.shape[dim]
    m = x.max(axis=dim, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(axis=dim, keepdims=True))
    q = q * (1 - label_smoothing) + label_smoothing / c
    w = np.ones(c) if weight is None else weight
    terms = logp * q * w.reshape((c,) + (1,) * (x.ndim - dim - 1))
    return _reduce(-terms.sum(axis=dim), reduction)


# ------------------------------------------------------------------ Poisson and Gaussian NLL
@st.composite
def poisson_cases(draw):
    """Counts kept 1e-3 from 1, where ``full``'s Stirling term switches on, and 0.1 from 0,
    where PyTorch's target gradient of that (masked) term is NaN (minidl's is finite)."""
    log_input = draw(st.booleans())
    shape = draw(shapes())
    x = draw(values(shape) if log_input else values(shape, 0.5, 3.0))
    y = draw(values(shape, 0.1, 4.0))
    y = np.where(np.abs(y - 1) < 1e-3, 1.01, y)
    return Case((x, y), {"log_input": log_input, "full": draw(st.booleans()),
                         "reduction": draw(REDUCTIONS)})


def poisson_ref(x, y, log_input, full, reduction):
    loss = np.exp(x) - y * x if log_input else x - y * np.log(x + 1e-8)
    if full:
        safe = np.where(y > 1, y, 1.0)
        loss = loss + np.where(y > 1, safe * np.log(safe) - safe
                               + 0.5 * np.log(2 * math.pi * safe), 0.0)
    return _reduce(loss, reduction)


@st.composite
def gaussian_cases(draw):
    """Variances in [0.5, 3], far above eps: the clamp does not act. Their shape is the
    input's, the input's without its last dim, or one dim of size 1."""
    shape = draw(shapes(min_dims=1))
    kind = draw(st.sampled_from(["same", "drop_last", "one"]))
    if kind == "drop_last":
        var_shape = shape[:-1]
    elif kind == "one":
        i = draw(st.integers(0, len(shape) - 1))
        var_shape = shape[:i] + (1,) + shape[i + 1:]
    else:
        var_shape = shape
    return Case((draw(values(shape)), draw(values(shape)), draw(values(var_shape, 0.5, 3.0))),
                {"full": draw(st.booleans()), "reduction": draw(REDUCTIONS)})


def gaussian_ref(x, y, var, full, reduction):
    if var.shape == x.shape[:-1] and var.shape != x.shape:
        var = var[..., None]
    loss = 0.5 * (np.log(var) + (x - y) ** 2 / var) + (0.5 * math.log(2 * math.pi) * full)
    return _reduce(np.broadcast_to(loss, x.shape), reduction)


# ------------------------------------------------------------------ similarities, distances
@st.composite
def cosine_similarity_cases(draw):
    """|x| >= 0.5 elementwise: no zero vector, where the norm has its kink."""
    a, b = draw(broadcast_shapes().filter(lambda ss: len(np.broadcast_shapes(*ss)) >= 1))
    ndim = len(np.broadcast_shapes(a, b))
    return Case((draw(off_zero(0.5)(a)), draw(off_zero(0.5)(b))),
                {"dim": draw(st.integers(-ndim, ndim - 1))})


def cosine_similarity_ref(x1, x2, dim):
    x1, x2 = np.broadcast_arrays(x1, x2)
    n1 = np.linalg.norm(x1, axis=dim, keepdims=True)
    n2 = np.linalg.norm(x2, axis=dim, keepdims=True)
    return (x1 / n1 * x2 / n2).sum(axis=dim)


@st.composite
def pairwise_distance_cases(draw):
    """Two grids 0.05 apart: every difference x1 - x2 is 0.05 or more from 0 (the kink of
    |d| for p = 1, and of the norm of a zero row)."""
    a, b = draw(broadcast_shapes().filter(lambda ss: len(np.broadcast_shapes(*ss)) >= 1))
    return Case((draw(on_grid(0.0)(a)), draw(on_grid(0.1)(b))),
                {"p": draw(st.sampled_from([1.0, 2.0, 3.0])), "keepdim": draw(st.booleans())})


def pairwise_distance_ref(x1, x2, p, keepdim):
    d = np.abs(x1 - x2 + 1e-6)
    axis = -1 if d.ndim else None
    return (d ** p).sum(axis=axis, keepdims=keepdim and d.ndim > 0) ** (1 / p)


# ------------------------------------------------------------------ embedding and ranking
def _signs(shape):
    """Targets +1 and -1."""
    return values(shape).map(lambda a: np.where(a < 0, -1.0, 1.0))


def _clear_margin(values_off, candidates):
    """The first margin at least 1e-3 from every value whose hinge it decides."""
    for margin in candidates:
        if np.all(np.abs(values_off - margin) >= 1e-3):
            return margin
    return None


@st.composite
def cosine_embedding_cases(draw):
    shape = draw(st.sampled_from([(3,), (1, 2), (2, 3), (3, 2)]))
    x1, x2 = draw(off_zero(0.5)(shape)), draw(off_zero(0.5)(shape))
    target = draw(_signs(shape[:-1]))
    cos = (x1 * x2).sum(-1) / np.sqrt((x1 * x1).sum(-1) * (x2 * x2).sum(-1))
    margin = _clear_margin(cos[target == -1], draw(st.permutations([0.0, -0.3, 0.2, 0.5])))
    return Case((x1, x2), {"target": target, "margin": margin, "reduction": draw(REDUCTIONS)})


def cosine_embedding_ref(x1, x2, target, margin, reduction):
    cos = (x1 * x2).sum(-1) / np.sqrt(((x1 * x1).sum(-1) + 1e-12) * ((x2 * x2).sum(-1) + 1e-12))
    return _reduce(np.where(target == 1, 1 - cos, np.maximum(cos - margin, 0)), reduction)


@st.composite
def margin_ranking_cases(draw):
    """x1 - x2 is 0.1 to 0.2 past a multiple of 0.25 (grids 0 and 0.1), and the margin is a
    multiple of 0.25: the hinge -y (x1 - x2) + margin stays 0.05 from 0."""
    shape = draw(shapes())
    target = draw(_signs(shape))
    return Case((draw(on_grid(0.0)(shape)), draw(on_grid(0.1)(shape))),
                {"target": target, "margin": draw(st.sampled_from([0.0, 0.25, 1.0])),
                 "reduction": draw(REDUCTIONS)})


def margin_ranking_ref(x1, x2, target, margin, reduction):
    return _reduce(np.maximum(-target * (x1 - x2) + margin, 0), reduction)


def _distance(a, b, p):
    return (np.abs(a - b + 1e-6) ** p).sum(-1) ** (1 / p)


@st.composite
def triplet_cases(draw):
    """Distances 0.1 or more from 0 (no zero rows), no tie in the swap's minimum, and the
    margin 1e-3 or more from the hinge."""
    shape = draw(st.sampled_from([(3,), (1, 2), (2, 3), (3, 2)]))
    p = draw(st.sampled_from([2.0, 3.0]))
    swap = draw(st.booleans())
    a, pos, neg = (draw(values(shape)) for _ in range(3))
    d_pos, d_neg, d_swap = _distance(a, pos, p), _distance(a, neg, p), _distance(pos, neg, p)
    close = min(d_pos.min(), d_neg.min(), d_swap.min()) < 0.1
    if close or (swap and np.abs(d_neg - d_swap).min() < 1e-3):
        a, pos, neg = np.zeros(shape), np.full(shape, 0.5), np.full(shape, -1.0)
        d_pos, d_neg, d_swap = _distance(a, pos, p), _distance(a, neg, p), _distance(pos, neg, p)
    d_neg = np.minimum(d_neg, d_swap) if swap else d_neg
    margin = _clear_margin(d_neg - d_pos, draw(st.permutations([1.0, 0.5, 2.0, 0.0])))
    return Case((a, pos, neg), {"margin": margin, "p": p, "swap": swap,
                                "reduction": draw(REDUCTIONS)})


def triplet_ref(a, pos, neg, margin, p, swap, reduction):
    d_neg = _distance(a, neg, p)
    if swap:
        d_neg = np.minimum(d_neg, _distance(pos, neg, p))
    return _reduce(np.maximum(_distance(a, pos, p) - d_neg + margin, 0), reduction)


# ------------------------------------------------------------------ the rows
ROWS: List[Op] = [
    Op("binary_cross_entropy",
       lambda p, y, weight, reduction: F.binary_cross_entropy(
           p, y, _like(p, weight), reduction=reduction),
       bce_ref, bce_cases(), domain="p in [0.05, 0.95] (no log is clamped); y in [0, 1]; "
       "weight none, a scalar or per last-dim entry"),
    Op("smooth_l1_loss",
       lambda x, y, reduction, beta: F.smooth_l1_loss(x, y, reduction=reduction, beta=beta),
       smooth_l1_ref, smooth_l1_cases(), domain="[-3, 3]; beta 0.5, 1, 2",
       kinks="|x - y| = beta, where the second derivative jumps: kept 1e-3 away"),
    Op("kl_div",
       lambda x, t, reduction, log_target: F.kl_div(x, t, reduction=reduction,
                                                    log_target=log_target),
       kl_div_ref, kl_div_cases(),
       domain="log-probabilities [-3, 3]; targets [0.1, 2] or, as logs, [-3, 3]"),
    Op("cross_entropy_soft",
       lambda x, q, weight, reduction, label_smoothing: F.cross_entropy(
           x, q, _like(x, weight), reduction=reduction, label_smoothing=label_smoothing),
       soft_cross_entropy_ref, soft_cross_entropy_cases(),
       domain="(C,), (N, C), (N, C, d...) logits; class probabilities [0, 1] of that shape; "
              "class weights; label smoothing 0 or 0.1"),
    Op("poisson_nll_loss",
       lambda x, y, log_input, full, reduction: F.poisson_nll_loss(
           x, y, log_input, full, reduction=reduction),
       poisson_ref, poisson_cases(),
       domain="log-rates [-3, 3] or rates [0.5, 3]; counts [0.1, 4]",
       kinks="full's Stirling term starts at y = 1: counts kept 1e-3 from 1"),
    Op("gaussian_nll_loss",
       lambda x, y, var, full, reduction: F.gaussian_nll_loss(x, y, var, full,
                                                              reduction=reduction),
       gaussian_ref, gaussian_cases(),
       domain="means and targets [-3, 3]; variances [0.5, 3] (above eps), shaped as the "
              "input, without its last dim, or with one dim of size 1"),
    Op("cosine_similarity", lambda x1, x2, dim: F.cosine_similarity(x1, x2, dim),
       cosine_similarity_ref, cosine_similarity_cases(),
       domain="|x| in [0.5, 3.5], broadcast shapes, any dim",
       kinks="a zero vector: every element is 0.5 from 0"),
    Op("pairwise_distance",
       lambda x1, x2, p, keepdim: F.pairwise_distance(x1, x2, p, keepdim=keepdim),
       pairwise_distance_ref, pairwise_distance_cases(), domain="broadcast shapes; p 1, 2, 3",
       kinks="x1 - x2 = 0: the inputs lie on grids 0.05 apart"),
    Op("cosine_embedding_loss",
       lambda x1, x2, target, margin, reduction: F.cosine_embedding_loss(
           x1, x2, _like(x1, target), margin, reduction=reduction),
       cosine_embedding_ref, cosine_embedding_cases(),
       domain="(N, D) or (D,), |x| in [0.5, 3.5]; targets +-1", kinks=HINGE),
    Op("margin_ranking_loss",
       lambda x1, x2, target, margin, reduction: F.margin_ranking_loss(
           x1, x2, _like(x1, target), margin, reduction=reduction),
       margin_ranking_ref, margin_ranking_cases(), domain="[-3, 3]; targets +-1",
       kinks="the hinge: grids 0.1 apart and margins in steps of 0.25 keep it 0.05 away"),
    Op("triplet_margin_loss",
       lambda a, pos, neg, margin, p, swap, reduction: F.triplet_margin_loss(
           a, pos, neg, margin, p, swap=swap, reduction=reduction),
       triplet_ref, triplet_cases(), domain="(N, D) or (D,) in [-3, 3]; p 2 or 3; swap",
       kinks=HINGE + "; distances 0.1 from 0; no tie in swap's minimum"),
]

TORCH: Dict[str, Callable] = {
    "binary_cross_entropy": lambda p, y, weight, reduction: TF.binary_cross_entropy(
        p, y, _torch(p, weight), reduction=reduction),
    "smooth_l1_loss": lambda x, y, reduction, beta: TF.smooth_l1_loss(
        x, y, reduction=reduction, beta=beta),
    "kl_div": lambda x, t, reduction, log_target: TF.kl_div(x, t, reduction=reduction,
                                                           log_target=log_target),
    "cross_entropy_soft": lambda x, q, weight, reduction, label_smoothing: TF.cross_entropy(
        x, q, _torch(x, weight), reduction=reduction, label_smoothing=label_smoothing),
    "poisson_nll_loss": lambda x, y, log_input, full, reduction: TF.poisson_nll_loss(
        x, y, log_input, full, reduction=reduction),
    "gaussian_nll_loss": lambda x, y, var, full, reduction: TF.gaussian_nll_loss(
        x, y, var, full, reduction=reduction),
    "cosine_similarity": lambda x1, x2, dim: TF.cosine_similarity(x1, x2, dim),
    "pairwise_distance": lambda x1, x2, p, keepdim: TF.pairwise_distance(
        x1, x2, p, keepdim=keepdim),
    "cosine_embedding_loss": lambda x1, x2, target, margin, reduction:
        TF.cosine_embedding_loss(x1, x2, _torch(x1, target), margin, reduction=reduction),
    "margin_ranking_loss": lambda x1, x2, target, margin, reduction: TF.margin_ranking_loss(
        x1, x2, _torch(x1, target), margin, reduction=reduction),
    "triplet_margin_loss": lambda a, pos, neg, margin, p, swap, reduction:
        TF.triplet_margin_loss(a, pos, neg, margin, p, swap=swap, reduction=reduction),
}
