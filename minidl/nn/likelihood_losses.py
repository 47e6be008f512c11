"""Losses that are negative log-likelihoods of a distribution (``torch.nn.functional`` names):

    binary_cross_entropy  -w [y log p + (1 - y) log(1 - p)]     p: a probability (Bernoulli)
    kl_div                y (log y - x)                          x: log-probabilities
    poisson_nll_loss      exp(x) - y x    (log_input)            x: a log-rate
    gaussian_nll_loss     0.5 (log v + (x - y)^2 / v)            v: a variance

Each is composed from Tensor ops (no backward of its own) and reduced as in
``loss_functional.py`` ("mean", "sum", "none"; ``kl_div`` also "batchmean"). The constants PyTorch
uses to stay finite are reproduced exactly: each log of ``binary_cross_entropy`` is clamped to
>= -100, the Poisson rate is offset by ``eps``, the variance is clamped to >= ``eps``.

Read next: ``minidl/nn/distance_losses.py`` (losses built on distances and similarities).
"""
from __future__ import annotations

import math
import warnings
from typing import Optional, Union

from minidl import backend
from minidl.config_checks import check_bool, check_choice, check_number
from minidl.errors import ConfigError, ShapeError
from minidl.nn.loss_functional import check_pair, reduce_loss
from minidl.ops import where
from minidl.ops.dims import check_broadcast
from minidl.ops.dtype_checks import require_float
from minidl.tensor import Tensor


def _constant_like(x: Tensor, array) -> Tensor:
    return Tensor._make(backend.get_array_module(x._array).asarray(array, dtype=x.dtype), False)


def clamp_min_keep_grad(x: Tensor, low: float) -> Tensor:
    """max(x, low) in value, but with the gradient of x (1 everywhere): PyTorch clamps the
    variance of gaussian_nll_loss and the norms of cosine_similarity under no_grad, so the
    gradient flows as if nothing were clamped. x + (max(x, low) - x), the shift a constant."""
    xp = backend.get_array_module(x._array)
    return x + _constant_like(x, xp.maximum(x._array, low) - x._array)


def _safe_log(x: Tensor, keep, fill: float = 0.0) -> Tensor:
    """log(x) where ``keep`` (a bool array), ``fill`` elsewhere, with no NaN or inf in the
    gradient (and no NumPy warning): the log only ever sees 1 where it is not kept."""
    return where(keep, where(keep, x, 1.0).log(), fill)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, *,
                         reduction: str = "mean") -> Tensor:
    """l = -w [y max(log p, -100) + (1 - y) max(log(1 - p), -100)] for probabilities p in [0, 1]
    (e.g. the output of a sigmoid) and targets y in [0, 1]. The clamp at -100 (PyTorch's)
    keeps p = 0 or 1 finite; ``binary_cross_entropy_with_logits`` on the logits is more
    accurate, since 1 - sigmoid(x) rounds to 0 already for x > 37 in float64. The gradient is
    the formula's, (p - y) / (p (1 - p)), and 0 where a log is clamped; PyTorch's hand-written
    rule divides by max(p (1 - p), 1e-12) instead, which differs only within 1e-12 of 0 and 1.
    ``weight`` broadcasts against the input and gets no gradient, as in PyTorch."""
    name = "binary_cross_entropy"
    check_pair(name, input, target, reduction)
    xp = backend.get_array_module(input._array)
    p = input._array
    outside = (p < 0) | (p > 1) | xp.isnan(p)
    if bool(outside.any()):
        bad = float(p[outside][0])
        raise ConfigError(f"{name}: every input must be a probability in [0, 1], got {bad} "
                          "(apply sigmoid first, or use binary_cross_entropy_with_logits)")
    # log 0 = -inf is clamped to -100 without being computed (NumPy would warn)
    log_p = _safe_log(input, p > 0, -100.0).clamp(min=-100)
    log_q = _safe_log(1 - input, p < 1, -100.0).clamp(min=-100)
    loss = -(target * log_p + (1 - target) * log_q)
    if weight is not None:
        require_float(name, weight, "weight")
        check_broadcast(f"{name}: weight", weight.shape, input.shape, onto="input")
        loss = loss * weight.detach()
    return reduce_loss(loss, reduction)


def kl_div(input: Tensor, target: Tensor, *, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Pointwise KL divergence of the distribution q (``target``) from p, given log p
    (``input``, e.g. from log_softmax):

        l = q (log q - log p)           (0 where q = 0: 0 log 0 = 0)
        l = exp(t) (t - log p)          (``log_target``: the target given as t = log q)

    KL(q || p) = sum over the support of l. That is ``reduction="batchmean"`` (the sum divided
    by the batch size, input.shape[0]); "mean" divides by every element, batch and support,
    which is not the KL divergence: PyTorch warns and keeps it as the default, and so does
    minidl."""
    name = "kl_div"
    check_choice(name, "reduction", reduction, ("mean", "batchmean", "sum", "none"))
    check_bool(name, "log_target", log_target)
    check_pair(name, input, target, "sum")
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size, and "
                      "is the KL divergence. 'mean' is PyTorch's default.", UserWarning,
                      stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = target * _safe_log(target, target._array > 0) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return reduce_loss(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     *, eps: float = 1e-8, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of counts y under Poisson(rate), up to the constant log(y!):

        l = exp(x) - y x                 (``log_input``: x = log rate, the stable choice)
        l = x - y log(x + eps)           (x = the rate itself; eps keeps log finite at 0)

    ``full`` adds Stirling's approximation of log(y!), y log y - y + 0.5 log(2 pi y), where
    y > 1 (for y <= 1, log(y!) = 0 at the integers, and the term is left out)."""
    name = "poisson_nll_loss"
    check_pair(name, input, target, reduction)
    check_bool(name, "log_input", log_input)
    check_bool(name, "full", full)
    check_number(name, "eps", eps, 0)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        above_one = target._array > 1
        log_y = _safe_log(target, above_one)
        stirling = target * log_y - target + 0.5 * _safe_log(target * (2 * math.pi), above_one)
        loss = loss + where(above_one, stirling, 0.0)
    return reduce_loss(loss, reduction)


def _check_variance_shape(name: str, input: Tensor, var: Tensor) -> Tensor:
    """PyTorch's shapes for ``var``: the input's (one variance per prediction), the input's
    without its last dimension (one per sample: unsqueezed), or the input's with exactly one
    dimension of size 1 (shared along that dimension)."""
    if var.shape == input.shape:
        return var
    if var.shape == input.shape[:-1]:
        return var.unsqueeze(-1)
    mismatched = [v for i, v in zip(input.shape, var.shape) if i != v]
    if var.ndim == input.ndim and mismatched == [1]:
        return var
    raise ShapeError(f"{name}: var of shape {tuple(var.shape)} does not fit input of shape "
                     f"{tuple(input.shape)} (expected the input's shape, the input's shape "
                     "without its last dimension, or one dimension of size 1)")


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Union[Tensor, float],
                      full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of targets y under N(mean = x, variance = v):

        l = 0.5 (log max(v, eps) + (x - y)^2 / max(v, eps))   [+ 0.5 log(2 pi) if ``full``]

    A network predicting both x and v learns its own uncertainty: a large v excuses a large
    error at the price of log v. The clamp at eps has the gradient of v itself (PyTorch clamps
    under no_grad). Negative variances are refused."""
    name = "gaussian_nll_loss"
    check_pair(name, input, target, reduction)
    check_bool(name, "full", full)
    check_number(name, "eps", eps, 0)
    if not isinstance(var, Tensor):
        check_number(name, "var", var, 0)
        var = _constant_like(input, backend.get_array_module(input._array).full(
            input.shape, float(var)))
    require_float(name, var, "var")
    backend.same_device_or_raise(name, [input._array, var._array])
    if var._array.size and bool((var._array < 0).any()):
        raise ConfigError(f"{name}: var has negative entries (min {float(var._array.min())}); "
                          "a variance must be >= 0")
    var = clamp_min_keep_grad(_check_variance_shape(name, input, var), eps)
    d = input - target
    loss = (var.log() + d * d / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss(loss, reduction)
