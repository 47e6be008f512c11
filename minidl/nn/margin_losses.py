"""The margin losses of labels +-1 and of several labels per sample (``torch.nn.functional``
names), composed from Tensor ops (no backward of their own):

    soft_margin_loss              log(1 + exp(-y x))                    y = +1 or -1
    hinge_embedding_loss          x  if y = 1;   max(0, margin - x)  if y = -1
    multilabel_soft_margin_loss   -sum_c w_c (y_c log s(x_c) + (1 - y_c) log s(-x_c)) / C,
                                  s the sigmoid, y_c in {0, 1}: one logistic loss per class
    multilabel_margin_loss        sum_{j in T} sum_{k not in T} max(0, 1 - (x_j - x_k)) / C,
                                  T the sample's target classes

``multilabel_margin_loss`` takes its targets as PyTorch does: an int64 tensor of x's shape
listing the target classes first, ended by the first -1 (``[3, 0, -1, 1]`` means T = {3, 0}).
Each listed class must beat every class outside T by a margin of 1. Targets carry no
gradient. ``reduction`` is "mean", "sum" or "none"; the multi-label losses reduce over the
samples, the others over every element. Arguments after the targets are keyword-only past
PyTorch's own (its deprecated ``size_average``/``reduce`` are not reproduced).

Read next: ``minidl/nn/regularization.py`` (a penalty added to the loss).
"""
from __future__ import annotations

from typing import Optional

from minidl import backend
from minidl.config_checks import check_number
from minidl.errors import DTypeError, OutOfRangeError, ShapeError
from minidl.nn.activation_functional import constant_like
from minidl.nn.loss_functional import check_pair, check_reduction, reduce_loss
from minidl.ops import relu, where
from minidl.ops.dtype_checks import require_float
from minidl.ops.special import Softplus
from minidl.tensor import Tensor


def soft_margin_loss(input: Tensor, target: Tensor, *, reduction: str = "mean") -> Tensor:
    """l = log(1 + exp(-y x)): the logistic loss of a score x for labels y = +-1 (softplus,
    which never overflows)."""
    check_pair("soft_margin_loss", input, target, reduction)
    return reduce_loss(Softplus.apply(-target * input), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, *,
                         reduction: str = "mean") -> Tensor:
    """l = x where y = 1 (a distance to shrink), max(0, margin - x) where y = -1 (pushed out
    to ``margin``). As in PyTorch, a label that is neither adds both terms."""
    name = "hinge_embedding_loss"
    check_reduction(name, reduction)
    check_number(name, "margin", margin)
    require_float(name, input)
    if not isinstance(target, Tensor) or target.shape != input.shape:
        raise ShapeError(f"{name}: expected a target tensor of the input's shape "
                         f"{tuple(input.shape)}, got {getattr(target, 'shape', target)!r}")
    pushed = where(target != 1, relu(margin - input), 0.0)
    pulled = where(target != -1, input, 0.0)
    return reduce_loss(pushed + pulled, reduction)


def _multilabel_shapes(name: str, input: Tensor, target: Tensor) -> None:
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise ShapeError(f"{name}: expected input of shape (C,) or (N, C) with C >= 1, got "
                         f"{tuple(input.shape)}")
    if not isinstance(target, Tensor) or target.shape != input.shape:
        raise ShapeError(f"{name}: expected a target of the input's shape {tuple(input.shape)}, "
                         f"got {getattr(target, 'shape', type(target).__name__)}")


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                                *, reduction: str = "mean") -> Tensor:
    """One logistic loss per class, averaged over the C classes of each sample:
    l = -sum_c w_c (y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c)) / C, with
    -log sigmoid(x) = softplus(-x)."""
    name = "multilabel_soft_margin_loss"
    check_reduction(name, reduction)
    require_float(name, input)
    _multilabel_shapes(name, input, target)
    require_float(name, target, "target")
    loss = target * Softplus.apply(-input) + (1 - target) * Softplus.apply(input)
    if weight is not None:
        require_float(name, weight, "weight")
        loss = loss * weight
    return reduce_loss(loss.sum(-1) * (1 / input.shape[-1]), reduction)


def multilabel_margin_loss(input: Tensor, target: Tensor, *, reduction: str = "mean") -> Tensor:
    """l = sum_{j in T} sum_{k not in T} max(0, 1 - (x_j - x_k)) / C for each sample, T the
    classes that ``target`` lists before its first -1. Composed: every pair's hinge, times a
    constant mask (the count of j in the list) x (k not in T)."""
    name = "multilabel_margin_loss"
    check_reduction(name, reduction)
    require_float(name, input)
    _multilabel_shapes(name, input, target)
    if target.dtype.kind not in "iu":
        raise DTypeError(f"{name}: target must be an integer tensor of class indices (int64), "
                         f"got {target.dtype}")
    xp = backend.get_array_module(input._array)
    c = input.shape[-1]
    t = target._array.reshape(-1, c)
    listed = xp.cumprod(t != -1, axis=1).astype(bool)  # the entries before the first -1
    bad = listed & ((t < 0) | (t >= c))
    if bool(bad.any()):
        raise OutOfRangeError(f"{name}: target {int(t[bad][0])} is out of bounds for {c} "
                              f"classes (expected class indices in [0, {c - 1}], ended by -1)")
    rows = xp.arange(t.shape[0])[:, None].repeat(c, axis=1)
    count = xp.zeros(t.shape, dtype=input.dtype)  # how often class j is listed
    backend.scatter_add(count, (rows[listed], t[listed]), 1)
    mask = count[:, :, None] * (count == 0)[:, None, :]  # pairs (j in T, k not in T)
    x = input.reshape(-1, c)
    hinge = relu(1 - x.reshape(-1, c, 1) + x.reshape(-1, 1, c))
    loss = (hinge * constant_like(mask, input)).sum((1, 2)) * (1 / c)
    return reduce_loss(loss if input.ndim == 2 else loss.reshape(()), reduction)
