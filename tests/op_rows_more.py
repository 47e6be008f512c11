"""Op-table rows of issue 17's last PyTorch names: bilinear, rrelu (eval mode, deterministic),
and the margin losses of ``minidl/nn/margin_losses.py`` (soft_margin_loss,
hinge_embedding_loss, multilabel_soft_margin_loss, multilabel_margin_loss).

``ROWS`` joins the op table (``tests/op_table.py``); ``TORCH`` maps each row's name to the
same computation written with PyTorch (``tests/torch_equivalents.py`` merges it), called only
when PyTorch is installed. Targets (+-1 labels, 0/1 labels, class lists) and class weights
travel in the params: they carry no gradient.

Corners: rrelu's kink at 0 (|x| >= 1e-3); hinge_embedding_loss's hinge at x = margin (x at
least 0.05 from a multiple of 0.25, margins multiples of 0.25); multilabel_margin_loss's
hinges at x_j - x_k = 1 (x on a grid of step 0.3 with a jitter below 0.02, so every
difference is at least 0.08 from 1).

Read next: ``tests/op_table.py``.
"""
from __future__ import annotations

from typing import Callable, Dict, List

import numpy as np
from hypothesis import strategies as st
from op_cases import Case, off_zero, shapes, unary, values
from op_row import Op
from op_rows_losses import REDUCTIONS, _like, _reduce, _signs, _torch
from op_rows_nn import off_quarters

import minidl
import minidl.nn.functional as F

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # the rows run without PyTorch; only the cross-check needs it
    torch = TF = None


# ------------------------------------------------------------------ bilinear
@st.composite
def bilinear_cases(draw):
    """x1 (*, in1), x2 (*, in2), weight (out, in1, in2), and a bias or none."""
    batch = draw(st.sampled_from([(), (2,), (1, 2)]))
    in1, in2, out = (draw(st.integers(1, 3)) for _ in range(3))
    arrays = (draw(values(batch + (in1,))), draw(values(batch + (in2,))),
              draw(values((out, in1, in2))))
    if draw(st.booleans()):
        arrays += (draw(values((out,))),)
    return Case(arrays, {})


def bilinear_ref(x1, x2, w, *bias):
    y = np.einsum("...i,kij,...j->...k", x1, w, x2)
    return y + bias[0] if bias else y


# ------------------------------------------------------------------ the margin losses
@st.composite
def soft_margin_cases(draw):
    shape = draw(shapes())
    return Case((draw(values(shape)),),
                {"target": draw(_signs(shape)), "reduction": draw(REDUCTIONS)})


def soft_margin_ref(x, target, reduction):
    return _reduce(np.logaddexp(0, -target * x), reduction)


@st.composite
def hinge_embedding_cases(draw):
    shape = draw(shapes())
    return Case((draw(off_quarters()(shape)),),
                {"target": draw(_signs(shape)), "margin": draw(st.sampled_from([0.5, 1.0, 2.0])),
                 "reduction": draw(REDUCTIONS)})


def hinge_embedding_ref(x, target, margin, reduction):
    return _reduce(np.where(target == 1, x, np.maximum(margin - x, 0)), reduction)


def _multilabel_shape(draw):
    return draw(st.sampled_from([(), (1,), (2,), (3,)])) + (draw(st.integers(1, 4)),)


@st.composite
def multilabel_soft_margin_cases(draw):
    shape = _multilabel_shape(draw)
    weight = draw(st.none() | values(shape[-1:], 0.5, 2.0))
    return Case((draw(values(shape)),), {"target": draw(values(shape, 0.0, 1.0)),
                                         "weight": weight, "reduction": draw(REDUCTIONS)})


def multilabel_soft_margin_ref(x, target, weight, reduction):
    loss = target * np.logaddexp(0, -x) + (1 - target) * np.logaddexp(0, x)
    loss = loss if weight is None else loss * weight
    return _reduce(loss.mean(-1), reduction)


@st.composite
def multilabel_margin_cases(draw):
    """Each row lists some classes, then -1, then leftovers that must be ignored."""
    shape = _multilabel_shape(draw)
    c = shape[-1]
    grid = draw(st.lists(st.integers(-10, 10), min_size=c, max_size=c, unique=True))
    x = np.stack([0.3 * np.array(grid, float) + 0.02 * draw(values((c,), 0.0, 1.0))
                  for _ in range(int(np.prod(shape[:-1])))]).reshape(shape)
    rows = []
    for _ in range(int(np.prod(shape[:-1]))):
        classes = draw(st.permutations(range(c)))
        listed = draw(st.integers(0, c))
        tail = [-1] + draw(st.lists(st.integers(-1, c - 1), min_size=c, max_size=c))
        rows.append((list(classes[:listed]) + tail)[:c])
    return Case((x,), {"target": np.array(rows, dtype=np.int64).reshape(shape),
                       "reduction": draw(REDUCTIONS)})


def multilabel_margin_ref(x, target, reduction):
    x2, t2 = x.reshape(-1, x.shape[-1]), target.reshape(-1, x.shape[-1])
    losses = []
    for row, t in zip(x2, t2):
        listed = list(t[:list(t).index(-1)]) if -1 in t else list(t)
        others = [k for k in range(len(row)) if k not in listed]
        losses.append(sum(max(0.0, 1 - (row[j] - row[k])) for j in listed for k in others)
                      / len(row))
    loss = np.array(losses).reshape(x.shape[:-1])
    return _reduce(loss, reduction)


def _ints(x, array):
    return minidl.tensor(array, device=x.device)


def _torch_multilabel_margin(x, target, reduction):
    """PyTorch's multilabel_margin_loss has no second derivative; the same loss composed from
    torch ops (the first derivative against the real one: ``tests/nn/test_losses_extra.py``)."""
    c = x.shape[-1]
    mask = torch.tensor(_pair_mask(target.reshape(-1, c)), dtype=x.dtype)
    rows = x.reshape(-1, c)
    hinge = torch.relu(1 - rows[:, :, None] + rows[:, None, :])
    loss = (hinge * mask).sum((1, 2)).reshape(x.shape[:-1]) / c
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _pair_mask(target):
    """mask[n, j, k] = (times j is listed) * (k is not listed), per row of (N, C) targets."""
    n, c = target.shape
    mask = np.zeros((n, c, c))
    for i, t in enumerate(target):
        listed = list(t[:list(t).index(-1)]) if -1 in t else list(t)
        for j in listed:
            mask[i, j] += [k not in listed for k in range(c)]
    return mask


HINGE_QUARTERS = "the hinge: x 0.05 from every multiple of 0.25, margins multiples of 0.25"
ROWS: List[Op] = [
    Op("bilinear", lambda x1, x2, w, *b: F.bilinear(x1, x2, w, *b), bilinear_ref,
       bilinear_cases(), domain="(*, in1), (*, in2), weight (out, in1, in2), sides 1..3; with "
       "or without bias"),
    Op("rrelu", lambda a: F.rrelu(a, 0.125, 0.375), lambda a: np.where(a > 0, a, 0.25 * a),
       unary(off_zero(1e-3)), domain="|x| in [1e-3, 3.001]; eval mode: slope 0.25",
       kinks="|x| >= 1e-3 (the kink is at 0)"),
    Op("soft_margin_loss", lambda x, target, reduction: F.soft_margin_loss(
        x, _like(x, target), reduction=reduction),
       soft_margin_ref, soft_margin_cases(), domain="[-3, 3]; targets +-1"),
    Op("hinge_embedding_loss", lambda x, target, margin, reduction: F.hinge_embedding_loss(
        x, _like(x, target), margin, reduction=reduction),
       hinge_embedding_ref, hinge_embedding_cases(), domain="[-3, 3]; targets +-1; margin "
       "0.5, 1, 2", kinks=HINGE_QUARTERS),
    Op("multilabel_soft_margin_loss",
       lambda x, target, weight, reduction: F.multilabel_soft_margin_loss(
           x, _like(x, target), _like(x, weight), reduction=reduction),
       multilabel_soft_margin_ref, multilabel_soft_margin_cases(),
       domain="(C,) or (N, C), C 1..4; targets in [0, 1]; class weights or none"),
    Op("multilabel_margin_loss", lambda x, target, reduction: F.multilabel_margin_loss(
        x, _ints(x, target), reduction=reduction),
       multilabel_margin_ref, multilabel_margin_cases(),
       domain="(C,) or (N, C), C 1..4; targets: classes, -1, ignored leftovers",
       kinks="the hinges: x on a grid of step 0.3 (jitter < 0.02), differences >= 0.08 "
       "from 1"),
]

TORCH: Dict[str, Callable] = {
    "bilinear": lambda x1, x2, w, *b: TF.bilinear(x1, x2, w, *b),
    "rrelu": lambda a: TF.rrelu(a, 0.125, 0.375),
    "soft_margin_loss": lambda x, target, reduction: TF.soft_margin_loss(
        x, _torch(x, target), reduction=reduction),
    "hinge_embedding_loss": lambda x, target, margin, reduction: TF.hinge_embedding_loss(
        x, _torch(x, target), margin, reduction=reduction),
    "multilabel_soft_margin_loss": lambda x, target, weight, reduction:
        TF.multilabel_soft_margin_loss(x, _torch(x, target), _torch(x, weight),
                                       reduction=reduction),
    "multilabel_margin_loss": lambda x, target, reduction: _torch_multilabel_margin(
        x, target, reduction),
}
