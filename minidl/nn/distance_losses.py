"""Similarities, distances, and the losses that pull pairs together or push them apart
(``torch.nn.functional`` names):

    cosine_similarity       x1 . x2 / (max(|x1|, eps) max(|x2|, eps))      along ``dim``
    pairwise_distance       |x1 - x2 + eps|_p                              along the last dim
    cosine_embedding_loss   1 - cos(x1, x2)  if y = 1;   max(0, cos(x1, x2) - margin)  if y = -1
    margin_ranking_loss     max(0, -y (x1 - x2) + margin)
    triplet_margin_loss     max(0, d(a, p) - d(a, n) + margin),   d = pairwise_distance

Metric learning (face recognition, retrieval, contrastive pretraining) trains embeddings with
these: similar pairs close, dissimilar ones at least ``margin`` apart. All are composed from
Tensor ops; the hinge max(0, .) is ``relu``, whose gradient is 0 once a pair is far enough
apart. Targets y are +1 or -1 and have no gradient.

Read next: ``minidl/nn/margin_losses.py`` (the losses of +-1 labels and of several labels).
"""
from __future__ import annotations

from minidl import backend
from minidl.config_checks import check_bool, check_number
from minidl.errors import ConfigError, ShapeError
from minidl.nn.likelihood_losses import clamp_min_keep_grad
from minidl.nn.loss_functional import check_reduction, reduce_loss
from minidl.ops import broadcast_to, minimum, relu, where
from minidl.ops.dims import broadcast_shape, normalize_dim
from minidl.ops.dtype_checks import require_float
from minidl.tensor import Tensor


def _check_inputs(name: str, tensors: dict) -> None:
    for what, t in tensors.items():
        require_float(name, t, what)
    backend.same_device_or_raise(name, [t._array for t in tensors.values()])


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """cos = sum_dim (x1 / n1) (x2 / n2), n = max(|x|_2, eps) along ``dim`` of x1 and x2
    broadcast to one shape. Each input is divided by its norm first, which keeps |cos| <= 1;
    the clamp at eps keeps the gradient of the norm (PyTorch clamps under no_grad)."""
    name = "cosine_similarity"
    _check_inputs(name, {"x1": x1, "x2": x2})
    check_number(name, "eps", eps, 0)
    shape = broadcast_shape(tuple(x1.shape), tuple(x2.shape))
    if shape is None:
        raise ShapeError(f"{name}: x1 of shape {tuple(x1.shape)} and x2 of shape "
                         f"{tuple(x2.shape)} do not broadcast")
    # broadcast first, as PyTorch does: a row shared by broadcasting counts in the norm as
    # often as it is repeated
    x1, x2 = broadcast_to(x1, shape), broadcast_to(x2, shape)
    ndim = len(shape)
    dim = normalize_dim(dim, ndim, name)
    n1 = clamp_min_keep_grad(x1.norm(2, dim, keepdim=True), eps)
    n2 = clamp_min_keep_grad(x2.norm(2, dim, keepdim=True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim - ndim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """d = |x1 - x2 + eps|_p along the last dimension (x1 and x2 broadcast). The eps shift
    (PyTorch's) keeps identical rows off the kink of the norm at 0."""
    name = "pairwise_distance"
    _check_inputs(name, {"x1": x1, "x2": x2})
    check_number(name, "p", p, 0)
    check_number(name, "eps", eps)
    check_bool(name, "keepdim", keepdim)
    diff = x1 - x2 + eps
    return diff.norm(p, -1 if diff.ndim else None, keepdim=keepdim)


def _check_pm_one(name: str, target: Tensor) -> None:
    """Targets of the embedding losses are labels +1 (similar) or -1 (dissimilar); PyTorch
    silently gives 0 for any other value, which hides a wrongly encoded target (0/1)."""
    t = target._array
    bad = (t != 1) & (t != -1)
    if t.size and bool(bad.any()):
        raise ConfigError(f"{name}: targets must be 1 or -1, got {float(t[bad][0])}")


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor,
                          margin: float = 0.0, *, reduction: str = "mean") -> Tensor:
    """For rows x1, x2 of (N, D) (or vectors (D,)) and targets y in {1, -1} of (N,) (or ()):

        l = 1 - cos(x1, x2)              if y = 1   (pull together)
        l = max(0, cos(x1, x2) - margin) if y = -1  (push apart until cos <= margin)

    with cos = x1 . x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)), PyTorch's form of it."""
    name = "cosine_embedding_loss"
    check_reduction(name, reduction)
    check_number(name, "margin", margin)
    _check_inputs(name, {"input1": input1, "input2": input2, "target": target})
    if input1.ndim not in (1, 2) or input2.shape != input1.shape:
        raise ShapeError(f"{name}: expected input1 and input2 of one shape, (N, D) or (D,), "
                         f"got {tuple(input1.shape)} and {tuple(input2.shape)}")
    if target.shape != input1.shape[:-1]:
        raise ShapeError(f"{name}: expected target of shape {tuple(input1.shape[:-1])} for "
                         f"inputs of shape {tuple(input1.shape)}, got {tuple(target.shape)}")
    _check_pm_one(name, target)
    squared1 = (input1 * input1).sum(-1) + 1e-12
    squared2 = (input2 * input2).sum(-1) + 1e-12
    cos = (input1 * input2).sum(-1) / (squared1 * squared2).sqrt()
    loss = where(target._array == 1, 1 - cos, relu(cos - margin))
    return reduce_loss(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        *, reduction: str = "mean") -> Tensor:
    """l = max(0, -y (x1 - x2) + margin): y = 1 asks x1 to rank above x2 by ``margin``, y = -1
    the reverse. The three tensors have one shape (minidl does not broadcast them)."""
    name = "margin_ranking_loss"
    check_reduction(name, reduction)
    check_number(name, "margin", margin)
    _check_inputs(name, {"input1": input1, "input2": input2, "target": target})
    if not input1.shape == input2.shape == target.shape:
        raise ShapeError(f"{name}: input1, input2 and target must have one shape, got "
                         f"{tuple(input1.shape)}, {tuple(input2.shape)} and "
                         f"{tuple(target.shape)}")
    return reduce_loss(relu(-target * (input1 - input2) + margin), reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                        swap: bool = False, *, reduction: str = "mean") -> Tensor:
    """l = max(0, d(a, p) - d(a, n) + margin), d = pairwise_distance(., ., p, eps): the
    positive must be closer to the anchor than the negative is, by ``margin``. With ``swap``,
    d(a, n) becomes min(d(a, n), d(p, n)): the harder of the two negatives' distances
    (Balntas et al., 2016). Inputs (N, D) or (D,), all of one shape."""
    name = "triplet_margin_loss"
    check_reduction(name, reduction)
    check_number(name, "margin", margin)
    check_bool(name, "swap", swap)
    _check_inputs(name, {"anchor": anchor, "positive": positive, "negative": negative})
    if anchor.ndim not in (1, 2) or not anchor.shape == positive.shape == negative.shape:
        raise ShapeError(f"{name}: expected anchor, positive and negative of one shape, (N, D) "
                         f"or (D,), got {tuple(anchor.shape)}, {tuple(positive.shape)} and "
                         f"{tuple(negative.shape)}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return reduce_loss(relu(d_pos - d_neg + margin), reduction)
