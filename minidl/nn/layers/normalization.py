"""Normalization layers: BatchNorm1d, BatchNorm2d, BatchNorm3d and LayerNorm.

The math and its conventions (biased variance to normalise, unbiased for the running estimate,
what momentum means, what eval mode does) are in ``minidl/nn/normalization_functional.py``.
These modules own the learned weight and bias, the running statistics (buffers: saved in
``state_dict()``, moved by ``to()``, never learned) and the train/eval switch.

Read next: ``minidl/nn/normalization_functional.py`` (the math: batch_norm, layer_norm).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from minidl.config_checks import check_bool, check_positive_int
from minidl.creation import ones, zeros
from minidl.errors import ShapeError
from minidl.nn import init
from minidl.nn.module import Module
from minidl.nn.normalization_functional import (
    batch_norm_impl,
    check_eps,
    check_momentum,
    check_normalized_shape,
    layer_norm_impl,
)
from minidl.nn.parameter import Parameter
from minidl.tensor import Tensor


def add_scale_and_shift(module: Module, shape: Any, scale: bool, shift: bool, device: Any,
                        dtype: Any) -> None:
    """The learned affine part of a normalization layer: ``weight`` (gamma, starts at 1) when
    ``scale``, ``bias`` (beta, starts at 0) when ``scale and shift``; each None otherwise."""
    module.register_parameter(
        "weight", Parameter(ones(shape, dtype=dtype, device=device)) if scale else None)
    module.register_parameter(
        "bias", Parameter(zeros(shape, dtype=dtype, device=device)) if scale and shift else None)


def reset_scale_and_shift(module: Module) -> None:
    """weight back to 1 and bias back to 0, those the layer has."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the input ranks they take.

    * training: normalise with the batch's per-channel mean and biased variance; update
      ``running_mean`` and ``running_var`` (unbiased) with
      ``running = (1 - momentum) * running + momentum * batch``, or with the cumulative
      average 1/t when ``momentum=None``; count the batches in ``num_batches_tracked``.
    * eval: normalise with the running statistics (so batch size 1 works).
    * ``track_running_stats=False``: no buffers; batch statistics in both modes.
    * ``affine=False``: no weight (gamma, starts at 1) and bias (beta, starts at 0);
      ``bias=False``: the weight without the bias.
    """

    ranks = ()  # the input ranks a subclass accepts
    shapes = ""  # ... described for error messages

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True):
        super().__init__()
        name = type(self).__name__
        check_positive_int(name, "num_features", num_features)
        check_eps(name, eps)
        check_momentum(name, momentum)
        check_bool(name, "affine", affine)
        check_bool(name, "bias", bias)
        check_bool(name, "track_running_stats", track_running_stats)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        # bias=False: a learned scale and no shift (PyTorch's bias=)
        add_scale_and_shift(self, num_features, affine, bias, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", zeros((), dtype=np.int64, device=device))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        reset_scale_and_shift(self)

    def forward(self, input: Tensor) -> Tensor:
        label = f"{type(self).__name__}({self.extra_repr()})"
        if not isinstance(input, Tensor) or input.ndim not in self.ranks:
            shape = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
            raise ShapeError(f"{label}: expected input of shape {self.shapes}, got {shape}")
        if input.shape[1] != self.num_features:
            raise ShapeError(f"{label}: expected input with {self.num_features} channels, got "
                             f"shape {tuple(input.shape)}")
        # PyTorch's rules: which statistics normalise, and which buffers get updated.
        update = self.training and self.track_running_stats
        momentum = self.momentum
        if update and momentum is None:  # cumulative moving average over the batches so far
            momentum = 1.0 / (int(self.num_batches_tracked.item()) + 1)
        use_batch_stats = self.training or self.running_mean is None
        keep = not self.training or self.track_running_stats
        out = batch_norm_impl(label, input, self.running_mean if keep else None,
                              self.running_var if keep else None, self.weight, self.bias,
                              use_batch_stats, 0.0 if momentum is None else momentum, self.eps)
        if update:
            self.num_batches_tracked.add_(1)
        return out

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) features or (N, C, L) sequences, per channel C."""

    ranks = (2, 3)
    shapes = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) images, per channel C."""

    ranks = (4,)
    shapes = "(N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) volumes, per channel C."""

    ranks = (5,)
    shapes = "(N, C, D, H, W)"


class LayerNorm(Module):
    """Normalise each sample over its trailing ``normalized_shape`` dimensions (mean and biased
    variance of those elements), then y = weight * xhat + bias elementwise (weight starts at
    1, bias at 0). The same in training and eval; no running statistics."""

    def __init__(self, normalized_shape: Union[int, Sequence[int]], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None):
        super().__init__()
        shape = check_normalized_shape("LayerNorm", normalized_shape)
        check_eps("LayerNorm", eps)
        check_bool("LayerNorm", "elementwise_affine", elementwise_affine)
        check_bool("LayerNorm", "bias", bias)
        self.normalized_shape, self.eps = shape, eps
        self.elementwise_affine = elementwise_affine
        add_scale_and_shift(self, shape, elementwise_affine, bias, device, dtype)

    def reset_parameters(self) -> None:
        reset_scale_and_shift(self)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm_impl(f"LayerNorm({self.extra_repr()})", input,
                               self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
