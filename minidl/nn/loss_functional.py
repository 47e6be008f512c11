"""Loss functions (``torch.nn.functional`` names): each maps predictions and targets to a loss.

    mse_loss            (x - y)^2
    l1_loss             |x - y|
    huber_loss          0.5 (x - y)^2 if |x - y| < delta else delta (|x - y| - 0.5 delta)
    smooth_l1_loss      huber_loss / beta (with delta = beta)
    binary_cross_entropy_with_logits
                        (1 - y) x + (1 + (pos_weight - 1) y) softplus(-x)   [times weight]
    nll_loss            -w[c] x[c]                         (x: log-probabilities, c: the class)
    cross_entropy       -sum_k q_k log softmax(x)_k,  q_k = (1 - s) w[c] [k = c] + s w[k] / C
                        (or, for class probabilities p: q_k = w[k] ((1 - s) p_k + s / C))
    multi_margin_loss   sum_{k != c} w[c] max(0, margin - x[c] + x[k])^p / C

``reduction`` is "mean" (the default; for the class losses a mean weighted by w[c]), "sum" or
"none". Everything is composed from Tensor ops except ``cross_entropy``, which is one fused
Function (``CrossEntropy``, in ``minidl/ops/cross_entropy.py``) with a composed twin here,
``cross_entropy_composed``, that the tests compare it with. Unlike PyTorch, a regression loss
refuses targets whose shape differs from the input's (PyTorch warns and broadcasts, which
silently computes the wrong loss). Arguments after
``weight`` (or after ``target``) are keyword-only: PyTorch's deprecated positional
``size_average``/``reduce`` are not reproduced.

Read next: ``minidl/nn/likelihood_losses.py`` (binary cross-entropy, KL divergence, Poisson and
Gaussian negative log-likelihoods).
"""
from __future__ import annotations

from typing import Optional

from minidl import backend
from minidl.config_checks import check_choice, check_number, is_int
from minidl.errors import ConfigError, DTypeError, OutOfRangeError, ShapeError
from minidl.ops import log_softmax, relu, where
from minidl.ops.cross_entropy import CrossEntropy
from minidl.ops.dims import check_broadcast
from minidl.ops.dtype_checks import require_float
from minidl.ops.special import Softplus
from minidl.tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


# ------------------------------------------------------------------------------ checks
def check_reduction(name: str, reduction: str) -> None:
    check_choice(name, "reduction", reduction, REDUCTIONS)


def check_pair(name: str, input: Tensor, target: Tensor, reduction: str) -> None:
    """Input and target: floating point, one shape (no broadcasting), valid reduction."""
    check_reduction(name, reduction)
    require_float(name, input)
    require_float(name, target, "target")
    if input.shape != target.shape:
        raise ShapeError(f"{name}: target shape {tuple(target.shape)} differs from input shape "
                         f"{tuple(input.shape)}; minidl does not broadcast loss targets "
                         "(reshape the target to the input's shape)")


def reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def reduce_weighted(name: str, loss: Tensor, weight: Optional[Tensor], reduction: str,
                    weighted_mean: bool = True) -> Tensor:
    """``weight`` (one per element, the input's shape) scales each loss; "mean" is then the
    weighted mean sum(w l) / sum(w), or (``weighted_mean=False``, huber_loss's rule in
    PyTorch) the plain mean of w l."""
    if weight is None:
        return reduce_loss(loss, reduction)
    require_float(name, weight, "weight")
    if weight.shape != loss.shape:
        raise ShapeError(f"{name}: weight shape {tuple(weight.shape)} differs from input shape "
                         f"{tuple(loss.shape)} (one weight per element)")
    loss = loss * weight
    if reduction == "mean" and weighted_mean:
        return loss.sum() / weight.sum()
    return reduce_loss(loss, reduction)


# ------------------------------------------------------------------------------ regression
def mse_loss(input: Tensor, target: Tensor, *, reduction: str = "mean",
             weight: Optional[Tensor] = None) -> Tensor:
    """l = (x - y)^2, reduced (``weight``: ``reduce_weighted``)."""
    check_pair("mse_loss", input, target, reduction)
    d = input - target
    return reduce_weighted("mse_loss", d * d, weight, reduction)


def l1_loss(input: Tensor, target: Tensor, *, reduction: str = "mean",
            weight: Optional[Tensor] = None) -> Tensor:
    """l = |x - y|, reduced (gradient sign(x - y), 0 at x = y)."""
    check_pair("l1_loss", input, target, reduction)
    return reduce_weighted("l1_loss", (input - target).abs(), weight, reduction)


def huber_loss(input: Tensor, target: Tensor, *, reduction: str = "mean",
               delta: float = 1.0, weight: Optional[Tensor] = None) -> Tensor:
    """l = 0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta), d = x - y: quadratic near 0,
    linear (gradient +-delta) for outliers; the two pieces meet with equal slope at |d| = delta."""
    check_pair("huber_loss", input, target, reduction)
    check_number("huber_loss", "delta", delta, 0, low_open=True)
    d = input - target
    a = d.abs()
    loss = where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    return reduce_weighted("huber_loss", loss, weight, reduction, weighted_mean=False)


def smooth_l1_loss(input: Tensor, target: Tensor, *, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """l = 0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta, d = x - y: Huber's loss divided
    by its threshold (huber_loss(delta=beta) / beta), so outliers get slope +-1 whatever beta;
    beta = 0 is l1_loss."""
    check_pair("smooth_l1_loss", input, target, reduction)
    check_number("smooth_l1_loss", "beta", beta, 0)
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    d = input - target
    a = d.abs()
    return reduce_loss(where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta), reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Optional[Tensor] = None, *,
                                     reduction: str = "mean",
                                     pos_weight: Optional[Tensor] = None) -> Tensor:
    """Sigmoid and binary cross-entropy in one stable formula. With p = sigmoid(x):

        l = -w [pos_weight y log p + (1 - y) log(1 - p)]
          = w [(1 - y) x + (1 + (pos_weight - 1) y) softplus(-x)],

    using log p = -softplus(-x) and log(1 - p) = -x - softplus(-x). softplus never overflows,
    so logits of size 1e4 give finite losses. ``pos_weight`` (broadcast along the last
    dimension) scales the positive term; ``weight`` broadcasts against the input."""
    name = "binary_cross_entropy_with_logits"
    check_pair(name, input, target, reduction)
    for what, extra in (("weight", weight), ("pos_weight", pos_weight)):
        if extra is None:
            continue
        require_float(name, extra, what)
        check_broadcast(f"{name}: {what}", extra.shape, input.shape, onto="input")
    log_weight = 1 if pos_weight is None else (pos_weight - 1) * target + 1
    loss = (1 - target) * input + log_weight * Softplus.apply(-input)
    return reduce_loss(loss if weight is None else loss * weight, reduction)


# ------------------------------------------------------------------------------ class targets
class _ClassTargets:
    """Class-index targets checked against a (N, C), (C,) or (N, C, d1, ...) input and laid out
    as rows: ``rows`` is the input as (M, C); ``safe`` the M targets (ignored ones set to 0);
    ``valid`` 1.0 where a target counts, else 0.0; ``w`` the class weights (ones by default);
    ``w_y`` = w[target] * valid, whose sum is the denominator of the weighted mean."""

    def __init__(self, name: str, input: Tensor, target, weight: Optional[Tensor],
                 ignore_index: Optional[int], max_dims: Optional[int] = None):
        require_float(name, input)
        if not isinstance(target, Tensor) or target.dtype.kind not in "iu":
            raise DTypeError(f"{name}: target must be a tensor of integer class indices "
                             f"(int64), got {getattr(target, 'dtype', type(target).__name__)}")
        if input.ndim == 0 or (max_dims is not None and input.ndim > max_dims):
            shapes = "(C,) or (N, C)" if max_dims == 2 else "(C,), (N, C) or (N, C, d1, ...)"
            raise ShapeError(f"{name}: expected input of shape {shapes}, got shape "
                             f"{tuple(input.shape)}")
        arrays = [input._array, target._array] + ([weight._array] if weight is not None else [])
        backend.same_device_or_raise(name, arrays)
        batched = input.ndim > 1
        self.num_classes = c = input.shape[1] if batched else input.shape[0]
        expected = tuple(input.shape[:1] + input.shape[2:]) if batched else ()
        if target.shape != expected:
            raise ShapeError(f"{name}: expected target of shape {expected} for input of shape "
                             f"{tuple(input.shape)} (the class dimension removed), got "
                             f"{tuple(target.shape)}")
        if c == 0:
            raise ShapeError(f"{name}: input of shape {tuple(input.shape)} has no classes (the "
                             "class dimension has size 0)")
        self.out_shape = expected
        xp = backend.get_array_module(input._array)
        t = target._array.reshape(-1)
        valid = t != ignore_index if ignore_index is not None else xp.ones(t.shape, bool)
        bad = valid & ((t < 0) | (t >= c))
        if bool(bad.any()):
            value = int(t[bad][0])
            ignore = f", or ignore_index={ignore_index}" if ignore_index is not None else ""
            raise OutOfRangeError(f"{name}: target {value} is out of bounds for {c} classes "
                                  f"(expected a class index in [0, {c - 1}]{ignore})")
        if input.ndim > 2:  # move the class dimension last: (N, C, d...) -> (N, d..., C)
            input = input.permute(0, *range(2, input.ndim), 1)
        self.rows = input.reshape(-1, c)
        self.safe = xp.where(valid, t, 0)
        self.valid = valid.astype(input.dtype)
        if weight is None:
            self.w = xp.ones(c, dtype=input.dtype)
        else:
            require_float(name, weight, "weight")
            if weight.shape != (c,):
                raise ShapeError(f"{name}: weight must have shape ({c},), one weight per "
                                 f"class, got {tuple(weight.shape)}")
            self.w = weight._array.astype(input.dtype, copy=False)
        self.w_y = self.w[self.safe] * self.valid
        # The mean's denominator, on the host: mean() must know whether it is 0.
        self.total_weight = float(self.w_y.sum())

    def constant(self, array) -> Tensor:
        """An array (or a NumPy scalar, as reductions return) as a constant Tensor."""
        return Tensor._make(backend.get_array_module(self.safe).asarray(array), False)

    def pick(self, x: Tensor) -> Tensor:
        """x[i, target_i] for every row i (a gather; its backward scatters back)."""
        xp = backend.get_array_module(self.safe)
        return x[xp.arange(self.safe.shape[0]), self.safe]

    def reduce(self, loss: Tensor, reduction: str) -> Tensor:
        """Weighted mean (sum / sum of w[target]), sum, or per-target losses in target shape."""
        if reduction == "none":
            return loss.reshape(self.out_shape)
        return self.mean(loss.sum()) if reduction == "mean" else loss.sum()

    def mean(self, total: Tensor) -> Tensor:
        """``total`` divided by the total weight of the counted targets. When that is 0 (every
        target ignored, or an empty batch) the loss is NaN (0/0, as in PyTorch) and its
        gradient is 0: no target pulls on the logits. ``total * 0 + NaN`` gives exactly that,
        without computing 0/0 (NumPy would warn) or sending NaN back through the graph."""
        if self.total_weight == 0:
            return total * 0.0 + self.constant(self.w.dtype.type("nan"))
        return total / self.constant(self.w_y.sum())


def nll_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, *,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """l_i = -w[c_i] x[i, c_i] for log-probabilities x (e.g. from log_softmax); targets equal
    to ``ignore_index`` contribute 0 and are left out of the mean's denominator sum w[c_i]."""
    check_reduction("nll_loss", reduction)
    _check_ignore_index("nll_loss", ignore_index)
    targets = _ClassTargets("nll_loss", input, target, weight, ignore_index)
    loss = -targets.pick(targets.rows) * targets.constant(targets.w_y)
    return targets.reduce(loss, reduction)


def check_label_smoothing(name: str, label_smoothing: float) -> None:
    check_number(name, "label_smoothing", label_smoothing, 0, 1)


def _check_ignore_index(name: str, ignore_index: int) -> None:
    check_number(name, "ignore_index", ignore_index, integer=True)


def cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, *,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits ``input`` (N, C) (or (C,), or (N, C, d1, ...)) against
    integer class indices ``target`` (N,) (or (), or (N, d1, ...)):

        l_i = (1 - s) w[c_i] (-log p_i[c_i]) + (s / C) sum_k w_k (-log p_ik),   p = softmax(x_i)

    with label smoothing s; the mean divides by sum_i w[c_i] over non-ignored targets (exactly
    PyTorch's). One fused Function, ``CrossEntropy``; ``weight`` gets no gradient.

    A floating-point ``target`` of the input's shape holds class probabilities instead
    (``cross_entropy_soft``); a float target of any other shape is refused as class indices."""
    check_reduction("cross_entropy", reduction)
    check_label_smoothing("cross_entropy", label_smoothing)
    _check_ignore_index("cross_entropy", ignore_index)
    if isinstance(target, Tensor) and target.dtype.kind == "f" and target.shape == input.shape:
        return cross_entropy_soft(input, target, weight, ignore_index=ignore_index,
                                  reduction=reduction, label_smoothing=label_smoothing)
    targets = _ClassTargets("cross_entropy", input, target, weight, ignore_index)
    if reduction == "mean" and targets.total_weight == 0:
        # The fused op's mean would divide 0 by 0: take its sum, and mean() gives the NaN.
        return targets.mean(CrossEntropy.apply(targets.rows, targets, float(label_smoothing),
                                               "sum"))
    loss = CrossEntropy.apply(targets.rows, targets, float(label_smoothing), reduction)
    return loss.reshape(targets.out_shape) if reduction == "none" else loss


def cross_entropy_soft(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, *,
                       ignore_index: int = -100, reduction: str = "mean",
                       label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy against class probabilities q (a float ``target`` of the input's shape,
    the class dimension 1, or 0 for an unbatched (C,) input):

        l_i = -sum_k w_k q'_ik log softmax(x_i)_k,    q' = (1 - s) q + s / C

    "mean" averages over the samples (N d1 ...), not over weights, as PyTorch does; targets
    can not be ignored (an ``ignore_index`` >= 0 is refused). Composed, so ``target`` gets a
    gradient too (distillation from a teacher that is still learning)."""
    name = "cross_entropy"
    require_float(name, input)
    if input.ndim == 0 or target.shape != input.shape:
        raise ShapeError(f"{name}: class-probability targets (a floating-point target) must "
                         f"have the input's shape, got input {tuple(input.shape)} and target "
                         f"{tuple(target.shape)} (class indices must be an integer tensor)")
    if ignore_index >= 0:
        raise ConfigError(f"{name}: ignore_index={ignore_index} is not supported for "
                          "class-probability (floating-point) targets")
    arrays = [input._array, target._array] + ([weight._array] if weight is not None else [])
    backend.same_device_or_raise(name, arrays)
    dim = 1 if input.ndim > 1 else 0
    c = input.shape[dim]
    q = target if label_smoothing == 0 else target * (1 - label_smoothing) + label_smoothing / c
    terms = log_softmax(input, dim) * q
    if weight is not None:
        require_float(name, weight, "weight")
        if weight.shape != (c,):
            raise ShapeError(f"{name}: weight must have shape ({c},), one weight per class, "
                             f"got {tuple(weight.shape)}")
        terms = terms * weight.reshape((c,) + (1,) * (input.ndim - dim - 1))
    return reduce_loss(-terms.sum(dim), reduction)


def cross_entropy_composed(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, *,
                           ignore_index: int = -100, reduction: str = "mean",
                           label_smoothing: float = 0.0) -> Tensor:
    """The composed twin of ``cross_entropy`` (log_softmax, gather, weighted mean), written as
    PyTorch defines the loss; the tests check that both agree in values and gradients."""
    check_reduction("cross_entropy", reduction)
    check_label_smoothing("cross_entropy", label_smoothing)
    _check_ignore_index("cross_entropy", ignore_index)
    targets = _ClassTargets("cross_entropy", input, target, weight, ignore_index)
    logp = log_softmax(targets.rows, 1)
    nll = -targets.pick(logp) * targets.constant(targets.w_y)
    smooth = -(logp * targets.constant(targets.w)).sum(1) * targets.constant(targets.valid)
    loss = nll * (1 - label_smoothing) + smooth * (label_smoothing / targets.num_classes)
    return targets.reduce(loss, reduction)


def check_margin_p(name: str, p: int) -> None:
    if p not in (1, 2) or not is_int(p):
        raise ConfigError(f"{name}: invalid p value: {p!r} (only p == 1 and p == 2 are "
                          "supported)")


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Optional[Tensor] = None, *, reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss for scores x (N, C) or (C,):

        l_i = sum_{k != c_i} w[c_i] max(0, margin - x[i, c_i] + x[i, k])^p / C,   p in {1, 2}

    zero once the true class beats every other by ``margin``. "mean" averages over N."""
    name = "multi_margin_loss"
    check_reduction(name, reduction)
    check_margin_p(name, p)
    check_number(name, "margin", margin)
    targets = _ClassTargets(name, input, target, weight, None, max_dims=2)
    x = targets.rows
    xp = backend.get_array_module(x._array)
    m, c = x.shape
    h = relu(x - targets.pick(x).reshape(m, 1) + margin)
    if p == 2:
        h = h * h
    others = xp.ones((m, c), dtype=x.dtype)
    others[xp.arange(m), targets.safe] = 0  # the k = c_i term is left out
    loss = (h * targets.constant(others * targets.w_y[:, None])).sum(1) * (1 / c)
    if reduction == "none":
        return loss.reshape(targets.out_shape)
    return reduce_loss(loss, reduction)
