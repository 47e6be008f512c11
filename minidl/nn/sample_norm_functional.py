"""Normalizations within each sample: group_norm, instance_norm, rms_norm, and normalize (the
Lp-normalization of vectors). Unlike batch_norm, none mixes the samples of a batch, so they
work the same at batch size 1 and in training and eval (instance_norm with running statistics
aside):

* group_norm     x of shape (N, C, *) cut into G groups of C / G channels; each (sample,
                 group) is normalised over its channels and positions:
                 xhat = (x - mean) / sqrt(var + eps), then y = weight[c] * xhat + bias[c].
                 G = 1 normalises a whole sample (like layer_norm over (C, *) but with
                 per-channel affine); G = C is instance_norm.
* instance_norm  each (sample, channel) over its positions (style transfer, GANs).
* rms_norm       y = x / sqrt(mean(x^2) + eps) * weight over the trailing ``normalized_shape``
                 dims: layer_norm without the centring and the bias (LLaMA, T5). eps=None is
                 the dtype's machine epsilon, as in PyTorch.
* normalize      y = x / max(||x||_p, eps) along ``dim``: unit vectors (cosine similarity,
                 embeddings); eps keeps the zero vector at zero.

Conventions as in ``normalization_functional.py``: the biased variance normalises; instance
norm's running variance is fed the unbiased one (averaged over the batch), with
``running = (1 - momentum) * running + momentum * batch_statistic``.

group_norm and instance_norm normalise with the fused ``minidl/ops/layer_norm.py`` (their
groups are trailing dims after a reshape); rms_norm and normalize are composed.

Read next: ``minidl/nn/layers/sample_norm.py`` (GroupNorm, InstanceNorm1d/2d, RMSNorm).
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Union

import numpy as np

from minidl.config_checks import check_number, check_positive_int
from minidl.errors import ConfigError, DTypeError, ShapeError
from minidl.nn.normalization_functional import (
    batch_statistics,
    check_eps,
    check_momentum,
    check_normalized_shape,
    update_running,
)
from minidl.ops.arguments import write_out
from minidl.ops.dims import normalize_dim
from minidl.ops.dtype_checks import require_float
from minidl.ops.layer_norm import layer_norm as fused_layer_norm
from minidl.tensor import Tensor


def _check_tensor_or_none(op: str, name: str, t: Optional[Tensor], shape: tuple,
                          what: str = "") -> None:
    """t is None or a Tensor of ``shape`` (``what``: where that shape comes from)."""
    if t is None:
        return
    if not isinstance(t, Tensor):
        raise DTypeError(f"{op}: {name} must be a minidl Tensor or None, got "
                         f"{type(t).__name__}")
    if tuple(t.shape) != shape:
        raise ShapeError(f"{op}: {name} has shape {tuple(t.shape)}, expected {shape}{what}")


def _check_channels_input(op: str, x: Tensor, min_ndim: int, shapes: str) -> None:
    if not isinstance(x, Tensor) or x.ndim < min_ndim:
        got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ShapeError(f"{op}: expected an input of shape {shapes}, got {got}")
    require_float(op, x)


def _per_channel_affine(y: Tensor, weight: Optional[Tensor], bias: Optional[Tensor]) -> Tensor:
    """y * weight[c] + bias[c], the (C,) vectors broadcast along axis 1 of y."""
    per_channel = (1, -1) + (1,) * (y.ndim - 2)
    y = y if weight is None else y * weight.reshape(per_channel)
    return y if bias is None else y + bias.reshape(per_channel)


# ------------------------------------------------------------------------------ group norm
def group_norm_impl(op: str, input: Tensor, num_groups: int, weight: Optional[Tensor],
                    bias: Optional[Tensor], eps: float) -> Tensor:
    """``group_norm``, shared with ``GroupNorm``; ``op`` names the caller in errors."""
    _check_channels_input(op, input, 2, "(N, C, *)")
    check_positive_int(op, "num_groups", num_groups)
    check_eps(op, eps)
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise ShapeError(f"{op}: the input's {c} channels (shape {tuple(input.shape)}) do not "
                         f"split into {num_groups} groups")
    for name, t in (("weight", weight), ("bias", bias)):
        _check_tensor_or_none(op, name, t, (c,), f" (the input of shape "
                              f"{tuple(input.shape)} has {c} channels)")
    # (N, G, C/G * positions): each group's elements in the trailing dim
    grouped = input.reshape(n, num_groups, -1)
    y = fused_layer_norm(grouped, None, None, (2,), eps).reshape(input.shape)
    return _per_channel_affine(y, weight, bias)


def group_norm(input: Tensor, num_groups: int, weight: Optional[Tensor] = None,
               bias: Optional[Tensor] = None, eps: float = 1e-5) -> Tensor:
    """Group normalization of (N, C, *) (see the module docstring)."""
    return group_norm_impl("group_norm", input, num_groups, weight, bias, eps)


# ------------------------------------------------------------------------------ instance norm
def instance_norm_impl(op: str, input: Tensor, running_mean: Optional[Tensor],
                       running_var: Optional[Tensor], weight: Optional[Tensor],
                       bias: Optional[Tensor], use_input_stats: bool, momentum: float,
                       eps: float) -> Tensor:
    """``instance_norm``, shared with the InstanceNorm layers."""
    _check_channels_input(op, input, 3, "(N, C, *) with at least one position dim")
    check_eps(op, eps)
    check_momentum(op, momentum)
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_tensor_or_none(op, name, t, (c,), f" (the input of shape "
                              f"{tuple(input.shape)} has {c} channels)")
    axes = tuple(range(2, input.ndim))
    if use_input_stats:
        count = math.prod(input.shape[2:])
        if count <= 1:
            raise ShapeError(f"{op}: expected more than 1 position per channel when using the "
                             f"input's statistics, got input of shape {tuple(input.shape)}")
        if running_mean is not None or running_var is not None:
            # each sample's statistics, averaged over the batch (PyTorch's rule)
            mean, var = batch_statistics(input._array, axes)
            if running_mean is not None:
                update_running(running_mean, mean.mean(axis=0), momentum)
            if running_var is not None:
                update_running(running_var, (var * (count / (count - 1))).mean(axis=0),
                                momentum)
        y = fused_layer_norm(input, None, None, axes, eps)
        return _per_channel_affine(y, weight, bias)
    if running_mean is None or running_var is None:
        raise ConfigError(f"{op}: running_mean and running_var are needed when "
                          "use_input_stats=False")
    # the running statistics normalise, as constants (batch_norm in eval)
    per_channel = (1, -1) + (1,) * (input.ndim - 2)
    mean = Tensor._make(running_mean._array.reshape(per_channel), False)
    inv_std = Tensor._make(((running_var._array + eps) ** -0.5).reshape(per_channel), False)
    return _per_channel_affine((input - mean) * inv_std, weight, bias)


def instance_norm(input: Tensor, running_mean: Optional[Tensor] = None,
                  running_var: Optional[Tensor] = None, weight: Optional[Tensor] = None,
                  bias: Optional[Tensor] = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Instance normalization of (N, C, *): each (sample, channel) over its positions. With
    ``use_input_stats`` the input's statistics normalise (and update the running ones, if
    given, in place); without, the running statistics do."""
    return instance_norm_impl("instance_norm", input, running_mean, running_var, weight, bias,
                              use_input_stats, momentum, eps)


# ------------------------------------------------------------------------------ RMS norm
def rms_norm_impl(op: str, input: Tensor, normalized_shape: Union[int, Sequence[int]],
                  weight: Optional[Tensor], eps: Optional[float]) -> Tensor:
    """``rms_norm``, shared with ``RMSNorm``."""
    shape = check_normalized_shape(op, normalized_shape)
    if not isinstance(input, Tensor) or input.ndim < len(shape) \
            or tuple(input.shape[input.ndim - len(shape):]) != shape:
        got = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise ShapeError(f"{op}: expected an input whose trailing dimensions are {shape}, got "
                         f"shape {got}")
    require_float(op, input)
    _check_tensor_or_none(op, "weight", weight, shape)
    if eps is None:
        eps = float(np.finfo(input.dtype).eps)
    check_eps(op, eps)
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    y = input * ((input * input).mean(axes, keepdim=True) + eps) ** -0.5
    return y if weight is None else y * weight


def rms_norm(input: Tensor, normalized_shape: Union[int, Sequence[int]],
             weight: Optional[Tensor] = None, eps: Optional[float] = None) -> Tensor:
    """y = x / sqrt(mean(x^2) + eps) * weight over the trailing ``normalized_shape`` dims."""
    return rms_norm_impl("rms_norm", input, normalized_shape, weight, eps)


# ------------------------------------------------------------------------------ Lp normalize
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Optional[Tensor] = None) -> Tensor:
    """y = x / max(||x||_p, eps) along ``dim``. The norm's gradient at the zero vector is 0
    (minidl's ``norm``, as PyTorch's), and the clamp passes none below eps: a zero vector gets
    a zero output and the gradient gy / eps."""
    require_float("normalize", input)
    check_number("normalize", "p", p)
    check_number("normalize", "eps", eps, 0)
    axis = normalize_dim(dim, input.ndim, "normalize")
    y = input / input.norm(p, axis, keepdim=True).clamp(min=eps)
    return y if out is None else write_out("normalize", y, out)
